//! `ipcspec selfcheck [--fault NAME]... [--injector preload|seccomp]`: does the suite catch
//! broken implementations?
//!
//! The fault library (runner/faults/, package `ipcspec-faults`) is preloaded into every test
//! process; `IPCSPEC_FAULT=<name>` makes it break one documented semantic, through one of its
//! two injectors: a wrapper of a libc function (preload), or a seccomp filter that traps the
//! exact system calls the fault breaks and a SIGSYS handler that emulates the faulty kernel
//! (seccomp: raw system calls included). For each fault the suites that claim that semantic
//! run on the host (cargo-nextest, root, the target runner `env LD_PRELOAD=<shim>
//! IPCSPEC_FAULT=<name>`), and the verdict is:
//!
//! - **caught**: some test failed (the failing tests are listed; all are in the fault's suites,
//!   since only those run);
//! - **MISSED**: every test passed or skipped — a suite lacks a test, or its test is too weak;
//! - **HANG**: a test hit nextest's deadline (TIMEOUT) instead of failing.
//!
//! First, unless `--no-baseline`, every involved suite runs with the library preloaded and
//! `IPCSPEC_FAULT=passthrough`: no fault, every libc wrapper a pass-through, and the seccomp
//! filter trapping every call any seccomp fault traps, each answered by the real call. All
//! tests must pass or skip (both injectors are transparent), and a test that does not is not
//! counted as catching anything. The report says in how many processes the filter trapped. Exit status 0 only when the baseline is clean
//! and every fault is caught with no hang. Objects that the deliberately broken runs leave
//! behind (tests aborted mid-way) are removed at the end.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ipcspec_faults::{FAULTS, Fault, Injector};
use serde::Serialize;

use crate::discover::cargo;
use crate::model::{Outcome, TestResult, User};
use crate::progress::Progress;
use crate::soak::{Prepared, prepare};
use crate::nextest::{self, RUNNER_ENV};
use crate::util::FileLock;

pub struct SelfcheckOptions {
    /// Faults to check (empty: all).
    pub faults: Vec<String>,
    /// Only the faults of this injector (`preload` or `seccomp`); None: both.
    pub injector: Option<String>,
    pub baseline: bool,
    pub out_dir: PathBuf,
    pub quiet: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Caught,
    Missed,
    Hang,
}

#[derive(Clone, Debug, Serialize)]
pub struct FaultResult {
    pub fault: String,
    pub mechanism: String,
    /// How the fault was injected: `preload` or `seccomp`.
    pub injector: String,
    /// What it changes: the libc functions (preload) or the system calls its filter traps,
    /// with their argument values (seccomp).
    pub changes: String,
    pub suites: Vec<String>,
    pub verdict: Verdict,
    /// Tests that failed (or crashed) under the fault and pass without it.
    pub caught_by: Vec<String>,
    /// Tests that hit the deadline.
    pub hung: Vec<String>,
    /// Processes in which the fault fired at least once.
    pub fired_in: usize,
    pub tests_run: usize,
    pub ms: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SelfcheckReport {
    pub shim: String,
    pub baseline_tests: usize,
    /// Baseline processes in which the passthrough filter trapped a call (and made it unchanged).
    pub baseline_trapped_in: usize,
    /// Tests that did not pass with the shim preloaded and no fault (must be empty).
    pub baseline_failures: Vec<String>,
    pub results: Vec<FaultResult>,
    pub cleaned: Vec<String>,
    pub total_ms: u64,
}

/// The faults to check, in catalogue order: those named (all if none), of `injector` if given.
/// An unknown name or injector is an error listing the known ones.
pub fn select(names: &[String], injector: Option<&str>) -> Result<Vec<&'static Fault>> {
    let only = match injector {
        None => None,
        Some(i) => Some(Injector::parse(i).ok_or_else(|| anyhow::anyhow!("unknown injector {i:?}: preload or seccomp"))?),
    };
    let keep = |f: &&'static Fault| only.is_none_or(|i| f.injector == i);
    if names.is_empty() {
        return Ok(FAULTS.iter().filter(keep).collect());
    }
    let mut out = Vec::new();
    for n in names {
        match ipcspec_faults::find(n.trim()) {
            Some(f) if !out.contains(&f) => out.push(f),
            Some(_) => {}
            None => bail!(
                "unknown fault {n:?}. Known faults:\n  {}",
                FAULTS.iter().map(|f| f.name).collect::<Vec<_>>().join("\n  ")
            ),
        }
    }
    if let Some(i) = only
        && let Some(other) = out.iter().find(|f| f.injector != i)
    {
        bail!("fault {} is injected by {}, not {}", other.name, other.injector.name(), i.name());
    }
    Ok(out)
}

/// `ipcspec selfcheck --list`: every fault with its injector, what it changes, its suites and
/// the semantic it breaks.
pub fn list() {
    for f in FAULTS {
        println!("{:<52} {:<8} [{}] {}\n    {}", f.name, f.injector.name(), f.suites.join(", "), f.functions, f.breaks);
    }
    let seccomp = FAULTS.iter().filter(|f| f.injector == Injector::Seccomp).count();
    println!("{} faults: {seccomp} injected by seccomp, {} by preload", FAULTS.len(), FAULTS.len() - seccomp);
}

fn build_shim(ws_root: &Path) -> Result<PathBuf> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(ws_root).args(["build", "-q", "-p", "ipcspec-faults"]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let out = cmd.stdin(Stdio::null()).output().context("running cargo build -p ipcspec-faults")?;
    if !out.status.success() {
        bail!("building the fault shim failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let shim = PathBuf::from(ipcspec_faults::SHIM);
    if !shim.is_file() {
        bail!("the fault shim {} is missing after the build", shim.display());
    }
    if shim.to_string_lossy().chars().any(char::is_whitespace) {
        bail!("the fault shim's path {} contains whitespace (it goes into a target-runner string)", shim.display());
    }
    Ok(shim)
}

/// One nextest run of `suites` with the shim preloaded and `fault` selected (the baseline:
/// [`ipcspec_faults::PASSTHROUGH`]).
fn run_suites(p: &Prepared, suites: &[&str], shim: &Path, fault: &str, log_dir: &Path, fired_log: &Path) -> Result<Vec<TestResult>> {
    // nextest's `ci` profile (JUnit with every test's output, in target/nextest/ci/): the
    // host target's `ipcspec` profile and lock stay free, so a soak or a run can go on meanwhile.
    let store = p.ws.root.join("target/nextest");
    let _lock = FileLock::acquire(&store.join(".ipcspec-selfcheck.lock"))?;
    let junit = store.join("ci/junit.xml");
    let _ = fs::remove_file(&junit);
    let _ = fs::remove_file(fired_log);
    let stem = if fault == ipcspec_faults::PASSTHROUGH { "baseline" } else { fault };
    let log_path = log_dir.join(format!("selfcheck-{stem}.nextest.log"));
    let log = fs::File::create(&log_path)?;
    // The tests' scratch directories go to a private temp dir, so that a soak or run going on
    // meanwhile does not see this run's (deliberately broken) tests' files as its leaks.
    let runner = format!(
        "env TMPDIR={} LD_PRELOAD={} {}={fault} {}={}",
        private_tmp().display(),
        shim.display(),
        ipcspec_faults::FAULT_ENV,
        ipcspec_faults::LOG_ENV,
        fired_log.display()
    );
    let filter = format!("kind(test) & ({})", suites.iter().map(|s| format!("package(={s})")).collect::<Vec<_>>().join(" | "));
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&p.ws.root).args(["nextest", "run", "--profile", "ci", "--no-fail-fast", "--status-level", "fail", "--final-status-level", "none"]);
    if let Some(pb) = &p.prebuilt {
        cmd.args(pb.run_args());
    } else {
        for s in suites {
            cmd.args(["-p", s]);
        }
    }
    cmd.args(["-E", &filter]).env(RUNNER_ENV, &runner).env_remove(ipcspec_faults::FAULT_ENV);
    let status = cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log).status().context("running cargo nextest")?;
    let keep_as = log_dir.join(format!("selfcheck-{stem}.junit.xml"));
    Ok(crate::nextest_junit::read_after_run(&junit, status, &log_path, &keep_as)?.1)
}

/// The temp dir of the tests under the shim: short (socket paths must fit in sun_path) and not
/// named like the suites' own objects.
pub fn private_tmp() -> PathBuf {
    std::env::temp_dir().join(format!(".isc{}", std::process::id()))
}

fn bad(r: &TestResult) -> bool {
    !matches!(r.outcome, Outcome::Pass | Outcome::Skip { .. })
}

pub fn run(o: &SelfcheckOptions) -> Result<i32> {
    let t0 = Instant::now();
    let faults = select(&o.faults, o.injector.as_deref())?;
    nextest::preflight(&[User::Root])?;
    let progress = Progress::new(o.quiet);
    let log_dir = o.out_dir.join("logs");
    fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    let ws = crate::discover::Workspace::load(None)?;
    progress.say("building the fault shim (cargo build -p ipcspec-faults)");
    let shim = build_shim(&ws.root)?;
    let mut suites: Vec<String> = faults.iter().flat_map(|f| f.suites.iter().map(|s| s.to_string())).collect();
    suites.sort();
    suites.dedup();
    let p = prepare(&suites, &log_dir, &progress)?;
    let fired_log = log_dir.join("selfcheck-fired.log");
    let tmp = private_tmp();
    fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut leak_places = crate::leaks::Places::for_binaries(p.plan.binaries.iter().map(|b| b.path.as_path()));
    leak_places.tmp = tmp.clone();
    let before = crate::leaks::snapshot(&leak_places);

    let mut baseline_bad: BTreeSet<String> = BTreeSet::new();
    let mut baseline_tests = 0;
    let mut baseline_trapped_in = 0;
    if o.baseline {
        progress.say(&format!("baseline: {} suites with the library preloaded, no fault, every seccomp rule trapped and passed through", suites.len()));
        let refs: Vec<&str> = suites.iter().map(String::as_str).collect();
        let rs = run_suites(&p, &refs, &shim, ipcspec_faults::PASSTHROUGH, &log_dir, &fired_log)?;
        baseline_tests = rs.len();
        baseline_trapped_in = fired_processes(&fired_log);
        for r in rs.iter().filter(|r| bad(r)) {
            println!("baseline: {} did not pass with the shim and no fault: {}", r.id, r.outcome.detail().lines().next().unwrap_or(""));
            baseline_bad.insert(r.id.as_str().to_string());
        }
        println!(
            "baseline: {} tests, {} not passing (must be 0); the passthrough filter trapped calls in {baseline_trapped_in} processes",
            rs.len(),
            baseline_bad.len()
        );
    }

    let mut results = Vec::new();
    for (i, f) in faults.iter().enumerate() {
        let t = Instant::now();
        progress.say(&format!("[{}/{}] {} ({}, {})", i + 1, faults.len(), f.name, f.injector.name(), f.suites.join(", ")));
        let rs = run_suites(&p, f.suites, &shim, f.name, &log_dir, &fired_log)?;
        let fired_in = fired_processes(&fired_log);
        let mut caught_by = Vec::new();
        let mut hung = Vec::new();
        for r in rs.iter().filter(|r| bad(r) && !baseline_bad.contains(r.id.as_str())) {
            match r.outcome {
                Outcome::Timeout { .. } => hung.push(r.id.as_str().to_string()),
                _ => caught_by.push(r.id.as_str().to_string()),
            }
        }
        // Only the fault's suites ran, so every catching test is in them; checked anyway.
        if let Some(stray) = caught_by.iter().chain(hung.iter()).find(|id| !f.suites.iter().any(|s| id.starts_with(&format!("{s}::")))) {
            bail!("{}: {stray} failed but is not in the fault's suites {:?}", f.name, f.suites);
        }
        let verdict = if !hung.is_empty() {
            Verdict::Hang
        } else if caught_by.is_empty() {
            Verdict::Missed
        } else {
            Verdict::Caught
        };
        let fr = FaultResult {
            fault: f.name.to_string(),
            mechanism: f.mechanism.to_string(),
            injector: f.injector.name().to_string(),
            changes: f.functions.to_string(),
            suites: f.suites.iter().map(|s| s.to_string()).collect(),
            verdict,
            caught_by,
            hung,
            fired_in,
            tests_run: rs.len(),
            ms: t.elapsed().as_millis() as u64,
        };
        println!("{}", line(&fr));
        results.push(fr);
    }

    // Remove what the broken runs left (tests aborted before their guards ran).
    let (left, _) = crate::leaks::settle(&before, &leak_places, std::time::Duration::from_secs(3), &crate::leaks::Ours { uid: Some(0), run_id: None });
    let mut cleaned: Vec<String> = left.iter().filter(|l| crate::leaks::remove(&l.object)).map(|l| l.object.name.clone()).collect();
    if let Ok(rd) = fs::read_dir(&tmp) {
        cleaned.extend(rd.flatten().map(|e| e.path().display().to_string()));
    }
    let _ = fs::remove_dir_all(&tmp);
    let report = SelfcheckReport {
        shim: shim.display().to_string(),
        baseline_tests,
        baseline_trapped_in,
        baseline_failures: baseline_bad.into_iter().collect(),
        results,
        cleaned,
        total_ms: t0.elapsed().as_millis() as u64,
    };
    let md = render(&report);
    crate::util::write_atomic(&o.out_dir.join("selfcheck.json"), serde_json::to_string_pretty(&report)?.as_bytes())?;
    crate::util::write_atomic(&o.out_dir.join("selfcheck.md"), md.as_bytes())?;
    print!("\n{md}");
    println!("report in {}", o.out_dir.join("selfcheck.md").display());
    let ok = report.baseline_failures.is_empty() && report.results.iter().all(|r| r.verdict == Verdict::Caught);
    Ok(if ok { 0 } else { 1 })
}

/// Processes named in the log (one line per process in which the fault fired).
fn fired_processes(log: &Path) -> usize {
    fs::read_to_string(log).map(|s| s.lines().filter(|l| !l.trim().is_empty()).count()).unwrap_or(0)
}

fn line(r: &FaultResult) -> String {
    let v = match r.verdict {
        Verdict::Caught => format!("caught by {} tests", r.caught_by.len()),
        Verdict::Missed => "MISSED".to_string(),
        Verdict::Hang => format!("HANG ({} tests timed out: {})", r.hung.len(), r.hung.join(", ")),
    };
    let first: Vec<&str> = r.caught_by.iter().take(3).map(String::as_str).collect();
    format!(
        "{:<52} {:<8} {v}{} [fired in {} processes, {} tests, {}]",
        r.fault,
        r.injector,
        if first.is_empty() { String::new() } else { format!(": {}{}", first.join(", "), if r.caught_by.len() > 3 { ", ..." } else { "" }) },
        r.fired_in,
        r.tests_run,
        crate::util::human_ms(r.ms)
    )
}

/// The report as Markdown.
pub fn render(r: &SelfcheckReport) -> String {
    let caught = r.results.iter().filter(|x| x.verdict == Verdict::Caught).count();
    let by = |i: &str| r.results.iter().filter(|x| x.injector == i).count();
    let mut s = format!(
        "# Self-check: {caught} of {} faults caught\n\nFaults injected by seccomp: {}, by preload: {}. Library: `{}`. \
         Baseline (library preloaded, no fault, the seccomp filter passing every trapped call through): {} tests, {} not passing, \
         calls trapped in {} processes. Total time {}.\n\n",
        r.results.len(),
        by("seccomp"),
        by("preload"),
        r.shim,
        r.baseline_tests,
        r.baseline_failures.len(),
        r.baseline_trapped_in,
        crate::util::human_ms(r.total_ms)
    );
    for b in &r.baseline_failures {
        s.push_str(&format!("- baseline failure: `{b}`\n"));
    }
    s.push_str("| fault | injected by | changes | suites | verdict | caught by (first 3) | fired in | time |\n|---|---|---|---|---|---|---|---|\n");
    for x in &r.results {
        let v = match x.verdict {
            Verdict::Caught => format!("caught ({})", x.caught_by.len()),
            Verdict::Missed => "**MISSED**".into(),
            Verdict::Hang => format!("**HANG** ({})", x.hung.join(", ")),
        };
        let by: Vec<String> = x.caught_by.iter().take(3).map(|t| format!("`{t}`")).collect();
        s.push_str(&format!(
            "| `{}` | {} | `{}` | {} | {v} | {}{} | {} | {} |\n",
            x.fault,
            x.injector,
            x.changes.replace('|', "\\|"),
            x.suites.join(", "),
            by.join("<br>"),
            if x.caught_by.len() > 3 { "<br>..." } else { "" },
            x.fired_in,
            crate::util::human_ms(x.ms)
        ));
    }
    s.push_str("\nEvery test that caught each fault (failed under it, passed in the baseline):\n\n");
    for x in r.results.iter().filter(|x| !x.caught_by.is_empty()) {
        s.push_str(&format!("- `{}` ({}): {}\n", x.fault, x.injector, x.caught_by.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")));
    }
    if !r.cleaned.is_empty() {
        s.push_str(&format!("\nRemoved {} objects left by the broken runs: {}\n", r.cleaned.len(), r.cleaned.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selecting_faults() {
        assert_eq!(select(&[], None).unwrap().len(), FAULTS.len());
        let one = select(&["select-ignores-exceptfds".to_string(), "select-ignores-exceptfds".to_string()], None).unwrap();
        assert_eq!(one.len(), 1);
        let e = select(&["nope".to_string()], None).unwrap_err().to_string();
        assert!(e.contains("unknown fault") && e.contains("select-ignores-exceptfds"), "{e}");
        let seccomp = select(&[], Some("seccomp")).unwrap();
        let preload = select(&[], Some("preload")).unwrap();
        assert_eq!(seccomp.len() + preload.len(), FAULTS.len());
        assert!(!seccomp.is_empty() && seccomp.iter().all(|f| f.injector == Injector::Seccomp));
        assert!(!preload.is_empty() && preload.iter().all(|f| f.injector == Injector::Preload));
        assert!(select(&[], Some("ptrace")).unwrap_err().to_string().contains("preload or seccomp"));
        let e = select(&["pipe-returns-the-ends-swapped".to_string()], Some("seccomp")).unwrap_err().to_string();
        assert!(e.contains("injected by preload"), "{e}");
    }

    #[test]
    fn every_faults_suites_exist_in_the_workspace() {
        // Read from the tree (not `cargo metadata`: this also runs as uid 65534).
        let suites = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
        for f in FAULTS {
            for s in f.suites {
                assert!(suites.join(s).join("Cargo.toml").is_file(), "{}: no suite {s}", f.name);
            }
        }
    }
}
