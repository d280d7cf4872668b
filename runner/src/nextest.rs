//! Running the suites on this machine through cargo-nextest: what the `host` target does
//! (runner/src/targets/host.rs), and what `soak` and `selfcheck` do run after run.
//!
//! `cargo nextest run --profile ipcspec --no-fail-fast -p <suites> -E <filter>` with the
//! workspace's .config/nextest.toml (timeouts, the serial group for global_* files), then
//! target/nextest/ipcspec/junit.xml is read into results. As nobody, nextest runs each test
//! binary through `setpriv --reuid=65534 --regid=65534 --clear-groups` (the target runner).
//! Runs of the host target are serialised with a lock, as they share nextest's JUnit path.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use nextest_metadata::BinaryListSummary;

use crate::discover::{Workspace, cargo};
use crate::model::{ColumnHead, ColumnRun, Outcome, RunStatus, TestResult, Timings, User, column_name};
use crate::nextest_junit;
use crate::progress::Progress;
use crate::plan::Plan;
use crate::util::FileLock;

pub const RUNNER_ENV: &str = "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER";
pub const NOBODY_RUNNER: &str = "setpriv --reuid=65534 --regid=65534 --clear-groups";

/// Check that cargo-nextest is installed (and, for nobody, that we can switch users).
pub fn preflight(users: &[User]) -> Result<()> {
    let ok = Command::new(cargo())
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        bail!("cargo-nextest is not installed: install it with `cargo install cargo-nextest --locked`");
    }
    if users.contains(&User::Nobody) {
        if !nix::unistd::geteuid().is_root() {
            bail!("running the host suites as nobody (uid 65534) needs root, to switch users with setpriv");
        }
        if !crate::util::on_path("setpriv") {
            bail!("setpriv is not installed: install it with `apt-get install util-linux`");
        }
    }
    Ok(())
}

/// The host's test binaries as nextest sees them, recorded right after the runner's build
/// (or taken from an archive), so that the host target runs exactly those binaries later
/// without building again (a suite edited in the meantime must not change or break the host
/// column).
#[derive(Clone, Debug)]
pub struct Prebuilt {
    pub binaries_metadata: PathBuf,
    pub cargo_metadata: PathBuf,
    /// The binaries, laid out as under the target directory (nextest's `--target-dir-remap`).
    pub target_dir_remap: PathBuf,
    /// From an archive: the workspace the archive was built in is this one
    /// (`--workspace-remap`).
    pub workspace_remap: Option<PathBuf>,
}

impl Prebuilt {
    /// `cargo nextest run`'s flags that make it run exactly these binaries, never building.
    pub fn run_args(&self) -> Vec<&OsStr> {
        let mut a: Vec<&OsStr> = vec![
            "--binaries-metadata".as_ref(),
            self.binaries_metadata.as_os_str(),
            "--cargo-metadata".as_ref(),
            self.cargo_metadata.as_os_str(),
            "--target-dir-remap".as_ref(),
            self.target_dir_remap.as_os_str(),
        ];
        if let Some(w) = &self.workspace_remap {
            a.extend(["--workspace-remap".as_ref(), w.as_os_str()]);
        }
        a
    }
}

/// nextest's list of the test binaries (`cargo nextest list --list-type binaries-only`),
/// typed by nextest-metadata.
fn binary_list(json: &[u8]) -> Result<BinaryListSummary> {
    serde_json::from_slice(json).context("reading nextest's binaries list")
}

/// `cargo nextest list --list-type binaries-only` and `cargo metadata`, into `dir`; the
/// binaries pinned by hard links in `dir/host-target`.
pub fn prebuild(ws: &Workspace, suites: &[String], dir: &Path) -> Result<Prebuilt> {
    fs::create_dir_all(dir)?;
    let bm = dir.join("nextest-binaries.json");
    let cm = dir.join("cargo-metadata.json");
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&ws.root).args(["nextest", "list", "--list-type", "binaries-only", "--message-format", "json"]);
    for s in suites {
        cmd.args(["-p", s]);
    }
    let out = cmd.stdin(Stdio::null()).stderr(Stdio::piped()).output().context("running cargo nextest list")?;
    if !out.status.success() {
        bail!("cargo nextest list failed: {}", crate::util::console_tail(&out.stderr, 10));
    }
    fs::write(&bm, &out.stdout)?;
    let remap = pin_binaries(&binary_list(&out.stdout)?, &dir.join("host-target"))?;
    let meta = Command::new(cargo())
        .current_dir(&ws.root)
        .args(["metadata", "--format-version", "1"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("running cargo metadata")?;
    if !meta.status.success() {
        bail!("cargo metadata failed: {}", crate::util::console_tail(&meta.stderr, 10));
    }
    fs::write(&cm, &meta.stdout)?;
    Ok(Prebuilt { binaries_metadata: bm, cargo_metadata: cm, target_dir_remap: remap, workspace_remap: None })
}

/// Hard-link (or copy) every test binary nextest listed into `dest`, laid out as under the
/// target directory, so that a rebuild of the workspace (another cargo run in the same tree)
/// cannot replace or remove them before the host target runs them. Returns `dest`.
///
/// Why not `cargo nextest archive` here (measured, docs/timings.md): for ~200 binaries it
/// writes a 438 MB archive in 6.3 s and extracts 1.7 GB in 5.2 s, on every run; hard links
/// take 0.01 s and no space. The archive is for handing a build to another machine or job
/// ([`from_archive`]).
fn pin_binaries(list: &BinaryListSummary, dest: &Path) -> Result<PathBuf> {
    let target = list.rust_build_meta.target_directory.as_std_path();
    let _ = fs::remove_dir_all(dest);
    for b in list.rust_binaries.values() {
        let src = b.binary_path.as_std_path();
        let Ok(rel) = src.strip_prefix(target) else { continue };
        let to = dest.join(rel);
        if let Some(d) = to.parent() {
            fs::create_dir_all(d)?;
        }
        if fs::hard_link(src, &to).is_err() {
            fs::copy(src, &to).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(dest.to_path_buf())
}

/// A test binary of an archive, where its extraction put it.
#[derive(Clone, Debug)]
pub struct ArchivedBinary {
    /// nextest's binary id: `<suite>::<file>`.
    pub id: String,
    /// cargo's package id.
    pub package_id: String,
    pub path: PathBuf,
}

/// Use a `cargo nextest archive` built elsewhere (CI's build job) instead of building:
/// extract it into `dir/host-target` (once; every run of the host target then uses the
/// extraction) and return its test binaries (integration tests only: `kind` test).
pub fn from_archive(ws: &Workspace, archive: &Path, dir: &Path) -> Result<(Vec<ArchivedBinary>, Prebuilt)> {
    let dest = dir.join("host-target");
    let _ = fs::remove_dir_all(&dest);
    fs::create_dir_all(&dest)?;
    let out = Command::new(cargo())
        .current_dir(&ws.root)
        .args(["nextest", "list", "--archive-file"])
        .arg(archive)
        .arg("--workspace-remap")
        .arg(&ws.root)
        .arg("--extract-to")
        .arg(&dest)
        .args(["--extract-overwrite", "--list-type", "binaries-only", "--message-format", "json"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("running cargo nextest list --archive-file")?;
    if !out.status.success() {
        bail!("cannot use the archive {}: {}", archive.display(), crate::util::console_tail(&out.stderr, 10));
    }
    fs::write(dir.join("nextest-binaries.json"), &out.stdout)?;
    let list = binary_list(&out.stdout)?;
    let target = list.rust_build_meta.target_directory.as_std_path();
    let remap = dest.join("target");
    let binaries = list
        .rust_binaries
        .values()
        .filter(|b| b.kind.0 == "test")
        .filter_map(|b| {
            let rel = b.binary_path.as_std_path().strip_prefix(target).ok()?;
            Some(ArchivedBinary { id: b.binary_id.to_string(), package_id: b.package_id.clone(), path: remap.join(rel) })
        })
        .collect();
    let meta = remap.join("nextest");
    let p = Prebuilt {
        binaries_metadata: meta.join("binaries-metadata.json"),
        cargo_metadata: meta.join("cargo-metadata.json"),
        target_dir_remap: remap,
        workspace_remap: Some(ws.root.clone()),
    };
    Ok((binaries, p))
}

/// Run `plan` on the host as `user`. `all` says the plan is every test of its suites (so a
/// simple filter does).
pub fn run(
    ws: &Workspace,
    plan: &Plan,
    all: bool,
    user: User,
    prebuilt: Option<&Prebuilt>,
    log_dir: &Path,
    progress: &Progress,
) -> Result<ColumnRun> {
    let column = column_name("host", user);
    let start = Instant::now();
    let store = ws.root.join("target/nextest");
    let _lock = FileLock::acquire(&store.join(".ipcspec-host.lock"))?;
    let junit = store.join("ipcspec/junit.xml");
    let _ = fs::remove_file(&junit);
    fs::create_dir_all(log_dir)?;
    let log_path = log_dir.join(format!("{}.nextest.log", crate::util::file_stem(&column)));
    let log = fs::File::create(&log_path)?;
    // The leak checker (runner/src/leaks.rs): what is on the machine before the tests run.
    let leak_places = crate::leaks::Places::for_binaries(plan.binaries.iter().map(|b| b.path.as_path()));
    let leaks_before = crate::leaks::enabled().then(|| crate::leaks::snapshot(&leak_places));
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&ws.root).args(["nextest", "run", "--profile", "ipcspec", "--no-fail-fast"]);
    match prebuilt {
        Some(p) => {
            cmd.args(p.run_args());
        }
        None => {
            for s in plan.suites() {
                cmd.args(["-p", &s]);
            }
        }
    }
    // An archive may hold more suites than were asked for: then whole binaries by id.
    let filter = match prebuilt {
        Some(p) if all && p.workspace_remap.is_some() => binaries_filter(plan),
        _ => filter_expression(plan, all),
    };
    cmd.args(["-E", &filter]);
    match user {
        User::Root => {
            cmd.env_remove(RUNNER_ENV);
        }
        User::Nobody => {
            cmd.env(RUNNER_ENV, NOBODY_RUNNER);
        }
    }
    // A status line per finished test on stderr (the profile is quiet), counted as it comes
    // so that the progress moves with the run, and copied into the log.
    cmd.args(["--status-level", "pass"]);
    progress.update(&column, "running (nextest)", 0, plan.len());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(Stdio::piped())
        .spawn()
        .context("running cargo nextest")?;
    let mut done = 0usize;
    if let Some(err) = child.stderr.take() {
        let mut log = log;
        for line in std::io::BufRead::lines(std::io::BufReader::new(err)).map_while(Result::ok) {
            let _ = writeln!(log, "{line}");
            if is_status_line(&line) {
                done += 1;
                progress.update(&column, "running (nextest)", done, plan.len());
            }
        }
    }
    let status = child.wait().context("waiting for cargo nextest")?;
    progress.finish(&column);
    let keep_as = log_dir.join(format!("{}.nextest-junit.xml", crate::util::file_stem(&column)));
    let (xml, parsed) = nextest_junit::read_after_run(&junit, status, &log_path, &keep_as)?;
    let mut by_id: BTreeMap<String, TestResult> = parsed.into_iter().map(|r| (r.id.as_str().to_string(), r)).collect();
    let mut results = Vec::new();
    let mut missing = 0;
    for id in plan.ids() {
        match by_id.remove(id.as_str()) {
            Some(r) => results.push(r),
            None => {
                missing += 1;
                results.push(TestResult::new(id, Outcome::Crash { reason: "nextest reported no result for this test".into() }, None, None));
            }
        }
    }
    let mut diagnostics = Vec::new();
    let euid = nix::unistd::geteuid();
    if user == User::Root && !euid.is_root() {
        diagnostics.push(format!("the runner is not root: the `host` column ran as uid {euid}, not as root"));
    }
    if !by_id.is_empty() {
        diagnostics.push(format!(
            "nextest ran {} tests that were not planned (listed after the plan was made?): {}",
            by_id.len(),
            by_id.keys().take(5).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let total_ms = start.elapsed().as_millis() as u64;
    let mut col = ColumnRun {
        head: ColumnHead {
            column,
            kernel_release: Some(crate::util::host_release()),
            kernel_source: Some("this machine".into()),
            status: if missing == 0 {
                RunStatus::Complete
            } else {
                RunStatus::Incomplete { reason: format!("nextest reported no result for {missing} tests") }
            },
            timings: Timings { boot_ms: None, tests_ms: Some(total_ms), teardown_ms: None, total_ms },
            diagnostics,
            ..ColumnHead::new("host", "host", user)
        },
        results,
    };
    if let Some(before) = leaks_before {
        let ours = crate::leaks::Ours {
            uid: Some(if user == User::Nobody { User::NOBODY_ID } else { euid.as_raw() }),
            run_id: crate::leaks::run_id(&xml),
        };
        let (mut leaks, after) = crate::leaks::settle(&before, &leak_places, std::time::Duration::from_secs(3), &ours);
        crate::leaks::attribute(&mut leaks, &crate::leaks::test_windows(&xml));
        col.diagnostics.extend(after.notes.iter().map(|n| format!("leak check: {n}")));
        crate::leaks::apply(&mut col, &leaks);
    }
    Ok(col)
}

/// A line of nextest's human output that reports a finished test: `PASS [ 0.004s] ...`,
/// `FAIL`, `TIMEOUT`, `SIGSEGV`, `ABORT`, `LEAK`, `LEAK-FAIL`.
pub fn is_status_line(line: &str) -> bool {
    let Some(word) = line.split_whitespace().next() else { return false };
    let status = matches!(word, "PASS" | "FAIL" | "TIMEOUT" | "ABORT" | "LEAK" | "LEAK-FAIL") || (word.starts_with("SIG") && word.len() > 3);
    status && line.trim_start()[word.len()..].trim_start().starts_with('[')
}

/// The nextest filterset that selects every test of the plan's binaries.
pub fn binaries_filter(plan: &Plan) -> String {
    let parts: Vec<String> = plan.binaries.iter().map(|b| format!("binary_id(={})", b.id)).collect();
    if parts.is_empty() { "none()".to_string() } else { format!("kind(test) & ({})", parts.join(" | ")) }
}

/// The nextest filterset that selects exactly the plan: `kind(test)` when it is all of its
/// suites' tests, else each binary's tests by exact name.
pub fn filter_expression(plan: &Plan, all: bool) -> String {
    if all {
        return "kind(test)".to_string();
    }
    let parts: Vec<String> = plan
        .binaries
        .iter()
        .map(|b| {
            let tests: Vec<String> = b.tests.iter().map(|t| format!("test(={t})")).collect();
            format!("(binary_id(={}) & ({}))", b.id, tests.join(" | "))
        })
        .collect();
    if parts.is_empty() { "none()".to_string() } else { format!("kind(test) & ({})", parts.join(" | ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlannedBinary;

    #[test]
    fn filters() {
        let p = Plan {
            binaries: vec![PlannedBinary { id: "pipes::atomicity".into(), path: "/x".into(), serial: false, tests: vec!["a".into(), "b::case_1".into()] }],
        };
        assert_eq!(filter_expression(&p, true), "kind(test)");
        assert_eq!(
            filter_expression(&p, false),
            "kind(test) & ((binary_id(=pipes::atomicity) & (test(=a) | test(=b::case_1))))"
        );
        assert_eq!(filter_expression(&Plan::default(), false), "none()");
        assert_eq!(binaries_filter(&p), "kind(test) & (binary_id(=pipes::atomicity))");
        assert_eq!(binaries_filter(&Plan::default()), "none()");
    }

    #[test]
    fn status_lines() {
        assert!(is_status_line("        PASS [   0.004s] fds::dup dup_returns_the_lowest_unused_number"));
        assert!(is_status_line("     SIGSEGV [   0.100s] (3/9) nxj::t segfaults"));
        assert!(is_status_line("   LEAK-FAIL [   1.000s] a::b c"));
        assert!(!is_status_line("    Starting 2635 tests across 178 binaries"));
        assert!(!is_status_line("     Summary [  26.356s] 2635 tests run: 2635 passed, 0 skipped"));
        assert!(!is_status_line("        SLOW [> 10.000s] a::b c"));
        assert!(!is_status_line("PASS"));
    }
}
