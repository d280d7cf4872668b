//! The gvisor target leaves nothing behind and loses no result: a hung test is a TIMEOUT and
//! the rest completes; a sandbox that dies makes every test it did not report CRASH; an
//! interrupted run (SIGINT, SIGTERM) deletes its sandbox and its files before the runner
//! exits; what a runner killed with SIGKILL left (its run directory with runsc's state, the
//! staged root, any sandbox still listed) is removed by the next run.
//!
//! They need root and runsc (fetched by the runner from Debian on first use, into the
//! cache), so they are ignored by default. Run them with:
//!
//!     cargo test -p ipcspec --test gvisor_target -- --ignored --test-threads=1
//!
//! (about 2 minutes; one at a time, since they look at every sandbox on the machine.)

mod common;

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

const HANG: &str = "fds::dup::dup_returns_the_lowest_unused_number";
const KILL_AT: &str = "fds::dup::dup_shares_the_file_offset";
/// Where the runner keeps its runs' sandboxes (runner/src/container/oci_run.rs).
const RUNS: &str = "/run/ipcspec/oci";

/// The run directories of runner `pid` (`<pid>-<start time>`).
fn run_dirs_of(pid: u32) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(RUNS) else { return vec![] };
    rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(&format!("{pid}-"))).collect()
}

/// Processes whose command line names a run directory of runner `pid` (runsc's sandbox,
/// gofer and client).
fn sandbox_processes_of(pid: u32) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else { return out };
    let needle = format!("{RUNS}/{pid}-");
    for e in rd.flatten() {
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else { continue };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(&needle) && !cmd.contains("cargo") {
            out.push(format!("{}: {}", e.file_name().to_string_lossy(), cmd.chars().take(120).collect::<String>()));
        }
    }
    out
}

/// Wait until runner `child` has a sandbox running (the tests are running in it).
fn wait_for_sandbox(child: &mut Child) {
    let t = Instant::now();
    loop {
        if sandbox_processes_of(child.id()).iter().any(|p| p.contains("runsc-sandbox") || p.contains(" boot ")) {
            // Give the executor a moment to get to the hung test.
            std::thread::sleep(Duration::from_secs(2));
            return;
        }
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the runner ended ({st}) before its sandbox appeared");
        }
        assert!(t.elapsed() < Duration::from_secs(300), "no sandbox after 300 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn nothing_left_by(pid: u32) {
    let t = Instant::now();
    // The sandbox's processes go a moment after `delete --force` returns.
    while !sandbox_processes_of(pid).is_empty() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(sandbox_processes_of(pid).is_empty(), "sandbox processes left: {:?}", sandbox_processes_of(pid));
    assert!(run_dirs_of(pid).is_empty(), "run directories left: {:?}", run_dirs_of(pid));
}

#[test]
#[ignore = "needs root and runsc (fetched from Debian)"]
fn a_hung_test_is_a_timeout_and_the_rest_completes() {
    skip_unless!(common::need_root());
    let out = tempfile::tempdir().unwrap();
    // 15 s, not less: on gVisor 2022 a test that fails waits out a fixture's 10 s deadline
    // first (fds::listening_socket_exec), which must stay a FAIL, not become a TIMEOUT.
    let (code, doc, text) = common::run_json(out.path(), &["run", "--target", "gvisor:2022", "--suite", "fds", "--test-timeout", "15s", "--inject-hang", HANG]);
    assert_eq!(code, 1, "{text}");
    let hung = common::cell(&doc, "gvisor:2022", HANG);
    assert_eq!(hung["outcome"], "TIMEOUT", "{hung}");
    let all = common::cells(&doc, "gvisor:2022");
    assert!(all.iter().all(|(id, c)| *id == HANG || c["outcome"] != "TIMEOUT" && c["outcome"] != "CRASH"), "{all:?}");
    assert_eq!(doc["columns"][0]["kind"], "gvisor");
    assert_eq!(doc["columns"][0]["kernel_release"], "4.4.0", "gVisor's uname");
    assert_eq!(doc["columns"][0]["status"]["state"], "complete");
}

#[test]
#[ignore = "needs root and runsc (fetched from Debian)"]
fn a_sandbox_that_dies_is_a_crash_for_every_test_it_did_not_report() {
    skip_unless!(common::need_root());
    let out = tempfile::tempdir().unwrap();
    let args = ["run", "--target", "gvisor:2024", "--suite", "fds", "--vm-parallel", "1", "--vm-mode", "isolated", "--inject-panic-before", KILL_AT];
    let (pid, code, doc, text) = common::run_json_pid(out.path(), &args);
    assert_eq!(code, 1, "{text}");
    let reason = common::crash_reason(&doc, "gvisor:2024", KILL_AT);
    assert!(reason.contains("killed") && reason.contains("while this test was running"), "{reason}");
    let all = common::cells(&doc, "gvisor:2024");
    assert!(all.iter().any(|(_, c)| c["outcome"] != "CRASH"), "nothing was reported before the kill");
    assert_eq!(doc["columns"][0]["status"]["state"], "incomplete");
    nothing_left_by(pid);
}

fn interrupted_run_deletes_its_sandbox(signal: i32) {
    let out = tempfile::tempdir().unwrap();
    let mut child = common::spawn_json(out.path(), &["run", "--target", "gvisor:2022", "--suite", "fds", "--test-timeout", "60s", "--inject-hang", HANG]);
    wait_for_sandbox(&mut child);
    assert_eq!(run_dirs_of(child.id()).len(), 1);
    common::interrupt(&mut child, signal);
    nothing_left_by(child.id());
}

#[test]
#[ignore = "needs root and runsc (fetched from Debian)"]
fn sigint_deletes_the_running_sandbox() {
    if common::need_root() {
        interrupted_run_deletes_its_sandbox(libc::SIGINT);
    }
}

#[test]
#[ignore = "needs root and runsc (fetched from Debian)"]
fn sigterm_deletes_the_running_sandbox() {
    if common::need_root() {
        interrupted_run_deletes_its_sandbox(libc::SIGTERM);
    }
}

#[test]
#[ignore = "needs root and runsc (fetched from Debian)"]
fn what_a_killed_runner_left_is_removed_by_the_next_run() {
    skip_unless!(common::need_root());
    let out = tempfile::tempdir().unwrap();
    let mut child = common::spawn_json(out.path(), &["run", "--target", "gvisor:2022", "--suite", "fds", "--test-timeout", "60s", "--inject-hang", HANG]);
    wait_for_sandbox(&mut child);
    let dirs = run_dirs_of(child.id());
    assert_eq!(dirs.len(), 1);
    let rootfs = std::fs::read_to_string(Path::new(RUNS).join(&dirs[0]).join("rootfs")).unwrap();
    child.kill().unwrap(); // SIGKILL: the runner cannot clean up.
    child.wait().unwrap();
    // runsc's client dies with the runner (PR_SET_PDEATHSIG), and an attached sandbox with
    // its client; the run's directory (runsc's state) and the staged root stay ...
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(run_dirs_of(child.id()), dirs);
    assert!(Path::new(&rootfs).is_dir(), "{rootfs}");
    // ... until the next gVisor run starts: their owner is gone (any sandbox still listed in
    // the state is deleted with the runsc that made it).
    let out2 = tempfile::tempdir().unwrap();
    let (code, _, text) = common::run_json(out2.path(), &["run", "--target", "gvisor:2022", "--suite", "posix_shm"]);
    assert!(code == 0 || code == 1, "{text}");
    assert!(text.contains("left by a runner that is gone") || !Path::new(&rootfs).exists(), "{text}");
    nothing_left_by(child.id());
    assert!(!Path::new(&rootfs).exists(), "the staged root {rootfs} is left");
}

#[test]
fn an_unknown_release_names_the_releases() {
    let out = tempfile::tempdir().unwrap();
    let (code, text) = common::run(common::ipcspec().args(["run", "--suite", "fds", "--target", "gvisor:2019", "--out"]).arg(out.path()));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown gVisor release \"2019\"") && text.contains("2022 (bookworm), 2024 (trixie)"), "{text}");
    assert!(!out.path().join("results.json").exists());
}
