//! `ipcspec soak --runs N [--load] [--unprivileged]`: the whole suite N times on the host
//! (cargo-nextest, no retries), optionally under CPU load the runner starts itself
//! (`stress-ng --cpu <cores>`), reporting every test that ever failed with its messages, every
//! leak, and the run-to-run spread of the wall time.
//!
//! A test that fails once in fifty runs is a defect (a race to synchronise), never something
//! to retry: see docs/trust.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::discover::{self, Workspace};
use crate::model::{Outcome, User};
use crate::progress::Progress;
use crate::nextest::{self, Prebuilt};
use crate::plan::{Plan, PlannedBinary};

/// The suites built once, listed and pinned for the host target.
pub struct Prepared {
    pub ws: Workspace,
    pub plan: Plan,
    pub prebuilt: Option<Prebuilt>,
}

/// Build `suites` (empty: all) once, list their tests and pin the binaries (nextest::prebuild).
pub fn prepare(suites: &[String], log_dir: &Path, progress: &Progress) -> Result<Prepared> {
    let ws = Workspace::load(None)?;
    let suites = ws.select(suites)?;
    progress.say(&format!("building {} suites", suites.len()));
    let build = discover::build(&ws, &suites, false)?;
    if let Some(e) = build.errors.first() {
        bail!("suite {} does not build:\n{}", e.suite, e.message);
    }
    let mut plan = Plan::default();
    for b in &build.binaries {
        let tests = discover::list_tests(&b.path)?;
        plan.binaries.push(PlannedBinary { id: b.id.clone(), path: b.path.clone(), serial: b.serial, tests });
    }
    let prebuilt = match nextest::prebuild(&ws, &suites, log_dir) {
        Ok(p) => Some(p),
        Err(e) => {
            progress.say(&format!("note: nextest will build again itself ({e:#})"));
            None
        }
    };
    Ok(Prepared { ws, plan, prebuilt })
}

/// CPU load started by the runner, stopped on drop (the process we started, by its pid).
pub struct Load {
    child: Child,
}

impl Load {
    pub fn start(workers: usize) -> Result<Load> {
        if !crate::util::on_path("stress-ng") {
            bail!("stress-ng is not installed: install it with `apt-get install stress-ng` (or run without --load)");
        }
        let mut cmd = Command::new("stress-ng");
        cmd.args(["--cpu", &workers.to_string(), "--quiet"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // If the soak is killed, the load goes with it.
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = cmd.spawn().context("starting stress-ng")?;
        Ok(Load { child })
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        // stress-ng forwards SIGTERM to its workers and reaps them.
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub run: usize,
    pub wall_ms: u64,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub timed_out: usize,
    pub crashed: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Flake {
    /// The runs (1-based) in which it did not pass or skip.
    pub runs: Vec<usize>,
    /// Distinct messages, in first-seen order.
    pub messages: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SoakReport {
    pub runs: usize,
    pub user: String,
    pub load: Option<String>,
    pub test_threads: Option<usize>,
    pub tests: usize,
    pub per_run: Vec<RunSummary>,
    /// Test id -> when and how it failed.
    pub failures: BTreeMap<String, Flake>,
    pub wall_min_ms: u64,
    pub wall_median_ms: u64,
    pub wall_max_ms: u64,
}

/// min, median, max.
pub fn spread(v: &[u64]) -> (u64, u64, u64) {
    if v.is_empty() {
        return (0, 0, 0);
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    (s[0], s[s.len() / 2], s[s.len() - 1])
}

pub struct SoakOptions {
    pub runs: usize,
    pub load: bool,
    pub user: User,
    pub suites: Vec<String>,
    pub out_dir: PathBuf,
    pub quiet: bool,
    /// nextest's --test-threads (None: the profile's, test-threads in .config/nextest.toml).
    pub test_threads: Option<usize>,
}

/// Run the soak; the exit status is 0 only when every run passed (or skipped) everything and
/// left nothing behind.
pub fn run(o: &SoakOptions) -> Result<i32> {
    if o.runs == 0 {
        bail!("--runs must be at least 1");
    }
    nextest::preflight(&[o.user])?;
    if let Some(n) = o.test_threads {
        if n == 0 {
            bail!("--test-threads must be at least 1");
        }
        // SAFETY: set before any thread is started; nextest reads it.
        unsafe { std::env::set_var("NEXTEST_TEST_THREADS", n.to_string()) };
    }
    let progress = Progress::new(o.quiet);
    let log_dir = o.out_dir.join("logs");
    std::fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    let p = prepare(&o.suites, &log_dir, &progress)?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let _load = if o.load { Some(Load::start(cores)?) } else { None };
    let load_text = o.load.then(|| format!("stress-ng --cpu {cores}"));
    let mut report = SoakReport {
        runs: o.runs,
        user: o.user.name().to_string(),
        load: load_text.clone(),
        test_threads: o.test_threads,
        tests: p.plan.len(),
        per_run: Vec::new(),
        failures: BTreeMap::new(),
        wall_min_ms: 0,
        wall_median_ms: 0,
        wall_max_ms: 0,
    };
    progress.say(&format!(
        "soak: {} runs of {} tests as {}{}",
        o.runs,
        p.plan.len(),
        o.user.name(),
        load_text.as_ref().map(|l| format!(" under `{l}`")).unwrap_or_default()
    ));
    for i in 1..=o.runs {
        let t = Instant::now();
        let col = nextest::run(&p.ws, &p.plan, true, o.user, p.prebuilt.as_ref(), &log_dir, &progress)?;
        let wall_ms = t.elapsed().as_millis() as u64;
        let n = col.counts();
        for r in &col.results {
            let msg = match &r.outcome {
                Outcome::Pass | Outcome::Skip { .. } | Outcome::Expected { .. } => continue,
                Outcome::Fail { message } => format!("FAIL: {message}"),
                Outcome::Timeout { message } => format!("TIMEOUT: {message}"),
                Outcome::Crash { reason } => format!("CRASH: {reason}"),
            };
            let f = report.failures.entry(r.id.as_str().to_string()).or_default();
            f.runs.push(i);
            if !f.messages.contains(&msg) {
                f.messages.push(msg);
            }
        }
        let _ = std::fs::copy(log_dir.join(format!("{}.nextest.log", crate::util::file_stem(&col.column))), log_dir.join(format!("run-{i:03}.nextest.log")));
        report.per_run.push(RunSummary { run: i, wall_ms, passed: n.pass, failed: n.fail, skipped: n.skip, timed_out: n.timeout, crashed: n.crash });
        println!(
            "run {i}/{}: {} in {}",
            o.runs,
            n.sentence(),
            crate::util::human_ms(wall_ms)
        );
        for d in col.diagnostics.iter().filter(|d| d.starts_with("leak")) {
            println!("  {d}");
        }
        write_report(&mut report, &o.out_dir)?;
    }
    print!("{}", render(&report));
    println!("report in {}", o.out_dir.join("soak.md").display());
    Ok(if report.failures.is_empty() { 0 } else { 1 })
}

fn write_report(report: &mut SoakReport, dir: &Path) -> Result<()> {
    let walls: Vec<u64> = report.per_run.iter().map(|r| r.wall_ms).collect();
    (report.wall_min_ms, report.wall_median_ms, report.wall_max_ms) = spread(&walls);
    crate::util::write_atomic(&dir.join("soak.json"), serde_json::to_string_pretty(report)?.as_bytes())?;
    crate::util::write_atomic(&dir.join("soak.md"), render(report).as_bytes())?;
    Ok(())
}

/// The soak's verdict as Markdown (also what the terminal shows at the end).
pub fn render(r: &SoakReport) -> String {
    let mut s = format!(
        "# Soak: {} of {} runs, {} tests each, as {}{}{}\n\n",
        r.per_run.len(),
        r.runs,
        r.tests,
        r.user,
        r.load.as_ref().map(|l| format!(", under `{l}`")).unwrap_or_default(),
        r.test_threads.map(|n| format!(", {n} tests at once")).unwrap_or_default()
    );
    s.push_str(&format!(
        "Wall time per run: min {}, median {}, max {}.\n\n",
        crate::util::human_ms(r.wall_min_ms),
        crate::util::human_ms(r.wall_median_ms),
        crate::util::human_ms(r.wall_max_ms)
    ));
    if r.failures.is_empty() {
        s.push_str("No test ever failed, timed out or crashed, and no run left anything behind.\n");
    } else {
        s.push_str(&format!("{} tests did not pass in every run:\n\n", r.failures.len()));
        for (id, f) in &r.failures {
            s.push_str(&format!("- `{id}`: runs {:?}\n", f.runs));
            for m in &f.messages {
                let short: String = m.lines().take(6).collect::<Vec<_>>().join("\n    ");
                s.push_str(&format!("    {short}\n"));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_min_median_max() {
        assert_eq!(spread(&[]), (0, 0, 0));
        assert_eq!(spread(&[5]), (5, 5, 5));
        assert_eq!(spread(&[30, 10, 20]), (10, 20, 30));
        assert_eq!(spread(&[4, 1, 3, 2]), (1, 3, 4));
    }
}
