//! `host`: the suites on this machine's kernel, through cargo-nextest.
//!
//! `cargo nextest run --profile ipcspec --no-fail-fast -p <suites> -E <filter>` with the
//! workspace's .config/nextest.toml (timeouts, the serial group for global_* files), then
//! target/nextest/ipcspec/junit.xml is read into results. As nobody, nextest runs each test
//! binary through `setpriv --reuid=65534 --regid=65534 --clear-groups` (the target runner).
//! Runs of the host target are serialised with a lock, as they share nextest's JUnit path.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::discover::{Workspace, cargo};
use crate::model::{ColumnRun, Outcome, RunStatus, TestResult, Timings, User};
use crate::nextest_junit;
use crate::progress::Progress;
use crate::targets::{Plan, column_name};
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

/// The host's test binaries as nextest sees them, recorded right after the runner's build,
/// so that the host target runs exactly those binaries later without building again (a
/// suite edited in the meantime must not change or break the host column).
#[derive(Clone, Debug)]
pub struct Prebuilt {
    pub binaries_metadata: PathBuf,
    pub cargo_metadata: PathBuf,
    /// The binaries pinned by hard links (nextest's `--target-dir-remap`).
    pub target_dir_remap: PathBuf,
}

/// `cargo nextest list --list-type binaries-only` and `cargo metadata`, into `dir`.
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
        bail!("cargo nextest list failed: {}", crate::qemu::console_tail(&out.stderr, 10));
    }
    fs::write(&bm, &out.stdout)?;
    let remap = pin_binaries(&out.stdout, &dir.join("host-target"))?;
    let meta = Command::new(cargo())
        .current_dir(&ws.root)
        .args(["metadata", "--format-version", "1"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("running cargo metadata")?;
    if !meta.status.success() {
        bail!("cargo metadata failed: {}", crate::qemu::console_tail(&meta.stderr, 10));
    }
    fs::write(&cm, &meta.stdout)?;
    Ok(Prebuilt { binaries_metadata: bm, cargo_metadata: cm, target_dir_remap: remap })
}

/// Hard-link (or copy) every test binary nextest listed into `dest`, laid out as under the
/// target directory, so that a rebuild of the workspace (another cargo run in the same tree)
/// cannot replace or remove them before the host target runs them. Returns `dest`.
fn pin_binaries(binaries_json: &[u8], dest: &Path) -> Result<PathBuf> {
    let v: serde_json::Value = serde_json::from_slice(binaries_json).context("reading nextest's binaries list")?;
    let target = v["rust-build-meta"]["target-directory"].as_str().map(PathBuf::from).context("no target-directory in nextest's binaries list")?;
    let _ = fs::remove_dir_all(dest);
    if let Some(bins) = v["rust-binaries"].as_object() {
        for b in bins.values() {
            let Some(src) = b["binary-path"].as_str().map(Path::new) else { continue };
            let Ok(rel) = src.strip_prefix(&target) else { continue };
            let to = dest.join(rel);
            if let Some(d) = to.parent() {
                fs::create_dir_all(d)?;
            }
            if fs::hard_link(src, &to).is_err() {
                fs::copy(src, &to).with_context(|| format!("copying {}", src.display()))?;
            }
        }
    }
    Ok(dest.to_path_buf())
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
            cmd.arg("--binaries-metadata")
                .arg(&p.binaries_metadata)
                .arg("--cargo-metadata")
                .arg(&p.cargo_metadata)
                .arg("--target-dir-remap")
                .arg(&p.target_dir_remap);
        }
        None => {
            for s in plan.suites() {
                cmd.args(["-p", &s]);
            }
        }
    }
    cmd.args(["-E", &filter_expression(plan, all)]);
    match user {
        User::Root => {
            cmd.env_remove(RUNNER_ENV);
        }
        User::Nobody => {
            cmd.env(RUNNER_ENV, NOBODY_RUNNER);
        }
    }
    progress.update(&column, "running (nextest)", 0, plan.len());
    let status = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("running cargo nextest")?;
    progress.finish(&column);
    let xml = fs::read_to_string(&junit).map_err(|_| {
        anyhow::anyhow!(
            "cargo nextest run ended ({status}) without writing {}; see {}:\n{}",
            junit.display(),
            log_path.display(),
            crate::qemu::console_tail(&fs::read(&log_path).unwrap_or_default(), 20)
        )
    })?;
    let _ = fs::copy(&junit, log_dir.join(format!("{}.nextest-junit.xml", crate::util::file_stem(&column))));
    let parsed = nextest_junit::parse(&xml).map_err(|e| anyhow::anyhow!("reading {}: {e}", junit.display()))?;
    let mut by_id: BTreeMap<String, TestResult> = parsed.into_iter().map(|r| (r.id.as_str().to_string(), r)).collect();
    let mut results = Vec::new();
    let mut missing = 0;
    for id in plan.ids() {
        match by_id.remove(id.as_str()) {
            Some(r) => results.push(r),
            None => {
                missing += 1;
                results.push(TestResult {
                    id,
                    outcome: Outcome::Crash { reason: "nextest reported no result for this test".into() },
                    duration_ms: None,
                });
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
        column,
        target: "host".into(),
        kind: "host".into(),
        user,
        kernel_release: Some(host_release()),
        kernel_source: Some("this machine".into()),
        status: if missing == 0 {
            RunStatus::Complete
        } else {
            RunStatus::Incomplete { reason: format!("nextest reported no result for {missing} tests") }
        },
        timings: Timings { boot_ms: None, tests_ms: Some(total_ms), teardown_ms: None, total_ms },
        results,
        diagnostics,
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

pub fn host_release() -> String {
    nix::sys::utsname::uname().map(|u| u.release().to_string_lossy().into_owned()).unwrap_or_default()
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
    use crate::targets::PlannedBinary;

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
    }
}
