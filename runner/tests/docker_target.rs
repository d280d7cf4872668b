//! The docker target leaves nothing behind and loses no result: an interrupted run (SIGINT,
//! SIGTERM) removes its container before the runner exits; a container whose runner was
//! killed (SIGKILL: no chance to clean up) is removed by the next run; a hung test is a
//! TIMEOUT; a container that dies makes every test it did not report CRASH; no volume is
//! created.
//!
//! They need a docker daemon (and build the bundle image on first use), so they are ignored
//! by default. Run them with:
//!
//!     cargo test -p ipcspec --test docker_target -- --ignored --test-threads=1
//!
//! (about 1 minute; one at a time, since they count the daemon's containers.)

mod common;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

const HANG: &str = "fds::dup::dup_returns_the_lowest_unused_number";
const KILL_AT: &str = "fds::dup::dup_shares_the_file_offset";

/// True when a docker daemon answers; otherwise the test reports SKIP.
fn docker_ready() -> bool {
    if !common::need_root() {
        return false;
    }
    let ok = Command::new("docker").args(["version", "--format", "{{.Server.Version}}"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        println!("\n{} no docker daemon answers `docker version`", ipcspec_protocol::SKIP_MARKER);
    }
    ok
}

fn docker(args: &[&str]) -> String {
    let o = Command::new("docker").args(args).output().expect("docker");
    assert!(o.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// ids of the containers (any state) whose owner label names runner `pid`.
fn containers_of(pid: u32) -> Vec<String> {
    owned_by(pid, &["ps", "-a"])
}

/// ids of the running containers of runner `pid`.
fn running_containers_of(pid: u32) -> Vec<String> {
    owned_by(pid, &["ps", "--filter", "status=running"])
}

fn owned_by(pid: u32, ps: &[&str]) -> Vec<String> {
    let fmt = "{{.ID}}\t{{.Label \"org.ipcspec.owner\"}}";
    let mut args = ps.to_vec();
    args.extend(["--filter", "label=org.ipcspec.role=run", "--format", fmt]);
    docker(&args)
        .lines()
        .filter(|l| l.split('\t').nth(1).is_some_and(|o| o.split(':').rev().nth(1) == Some(pid.to_string().as_str())))
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}

fn volumes() -> Vec<String> {
    let mut v: Vec<String> = docker(&["volume", "ls", "-q"]).lines().map(str::to_string).collect();
    v.sort();
    v
}

/// Wait until the runner has a running container (the tests are running in it).
fn wait_for_container(child: &mut Child) -> Vec<String> {
    let t = Instant::now();
    loop {
        let ids = running_containers_of(child.id());
        if !ids.is_empty() {
            return ids;
        }
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the runner ended ({st}) before its container appeared");
        }
        assert!(t.elapsed() < Duration::from_secs(240), "no container after 240 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn interrupted_run_removes_its_container(signal: i32) {
    let out = tempfile::tempdir().unwrap();
    let before = volumes();
    // The hung test keeps the container alive for a minute, so it is surely running when
    // the signal comes.
    let mut child = common::spawn_json(out.path(), &["run", "--target", "docker:default", "--suite", "fds", "--test-timeout", "60s", "--inject-hang", HANG]);
    let ids = wait_for_container(&mut child);
    assert_eq!(ids.len(), 1, "{ids:?}");
    common::interrupt(&mut child, signal);
    assert!(containers_of(child.id()).is_empty(), "containers left: {:?}", containers_of(child.id()));
    assert_eq!(volumes(), before, "volumes were created");
}

#[test]
#[ignore = "needs a docker daemon"]
fn sigint_removes_the_running_container() {
    if docker_ready() {
        interrupted_run_removes_its_container(libc::SIGINT);
    }
}

#[test]
#[ignore = "needs a docker daemon"]
fn sigterm_removes_the_running_container() {
    if docker_ready() {
        interrupted_run_removes_its_container(libc::SIGTERM);
    }
}

#[test]
#[ignore = "needs a docker daemon"]
fn a_container_left_by_a_killed_runner_is_removed_by_the_next_run() {
    skip_unless!(docker_ready());
    let out = tempfile::tempdir().unwrap();
    let mut child = common::spawn_json(out.path(), &["run", "--target", "docker:default", "--suite", "fds", "--test-timeout", "60s", "--inject-hang", HANG]);
    let ids = wait_for_container(&mut child);
    child.kill().unwrap(); // SIGKILL: the runner cannot clean up.
    child.wait().unwrap();
    // The container outlives its runner (it would end, and go with --rm, after the hang's
    // deadline)...
    assert_eq!(running_containers_of(child.id()), ids, "the orphan is already gone");
    // ... until the next docker run starts: its owner is gone.
    let out2 = tempfile::tempdir().unwrap();
    let (code, _, text) = common::run_json(out2.path(), &["run", "--target", "docker:nonroot", "--suite", "eventfd"]);
    assert_eq!(code, 0, "{text}");
    assert!(containers_of(child.id()).is_empty(), "the orphan is still there: {ids:?}");
}

#[test]
#[ignore = "needs a docker daemon"]
fn a_hung_test_is_a_timeout_and_the_rest_completes() {
    skip_unless!(docker_ready());
    let out = tempfile::tempdir().unwrap();
    let (code, doc, text) = common::run_json(out.path(), &["run", "--target", "docker:default", "--suite", "fds", "--test-timeout", "3s", "--inject-hang", HANG]);
    assert_eq!(code, 1, "{text}");
    for (id, c) in common::cells(&doc, "docker:default") {
        let want = if id == HANG { "TIMEOUT" } else { "PASS" };
        assert_eq!(c["outcome"], want, "{id}: {c}");
    }
    assert_eq!(doc["columns"][0]["kind"], "docker");
    assert_eq!(doc["columns"][0]["status"]["state"], "complete");
}

/// A test that hangs only in its binary's batch (beside the other tests of its process) runs
/// again alone: its own result counts (PASS), and the column's note names it.
#[test]
#[ignore = "needs a docker daemon"]
fn a_hang_in_a_batch_runs_again_alone_and_its_own_result_counts() {
    skip_unless!(docker_ready());
    let out = tempfile::tempdir().unwrap();
    let (code, doc, text) =
        common::run_json(out.path(), &["run", "--target", "docker:default", "--suite", "fds", "--test-timeout", "3s", "--inject-hang-in-batch", HANG]);
    assert_eq!(code, 0, "{text}");
    for (id, c) in common::cells(&doc, "docker:default") {
        assert_eq!(c["outcome"], "PASS", "{id}: {c}");
    }
    let notes = doc["columns"][0]["diagnostics"].to_string();
    assert!(notes.contains("passed alone") && notes.contains(&format!("{HANG} (root)")), "{notes}");
}

#[test]
#[ignore = "needs a docker daemon"]
fn a_container_that_dies_is_a_crash_for_every_test_it_did_not_report() {
    skip_unless!(docker_ready());
    let out = tempfile::tempdir().unwrap();
    let before = volumes();
    let (pid, code, doc, text) = common::run_json_pid(
        out.path(),
        &["run", "--target", "docker:default", "--suite", "fds", "--vm-parallel", "1", "--vm-mode", "isolated", "--inject-panic-before", KILL_AT],
    );
    assert_eq!(code, 1, "{text}");
    let reason = common::crash_reason(&doc, "docker:default", KILL_AT);
    assert!(reason.contains("container was killed") && reason.contains("while this test was running"), "{reason}");
    // Results reported before are kept; everything else is CRASH; every test has a cell.
    let all = common::cells(&doc, "docker:default");
    assert!(all.iter().any(|(_, c)| c["outcome"] == "PASS"), "nothing passed before the kill");
    assert!(all.iter().all(|(_, c)| c["outcome"] == "PASS" || c["outcome"] == "CRASH"), "{all:?}");
    assert_eq!(doc["columns"][0]["status"]["state"], "incomplete");
    assert_eq!(volumes(), before, "volumes were created");
    // Its own containers only: the other docker tests may be running theirs.
    assert!(containers_of(pid).is_empty(), "a container is left");
}

// Input errors: exit status 2 before anything is built or written (no daemon needed).

fn input_error(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> (i32, String, bool) {
    let out = tempfile::tempdir().unwrap();
    let (code, text) = common::run(common::ipcspec().args(args).arg("--out").arg(out.path()).envs(env.iter().copied()));
    (code, text, out.path().join("results.json").exists())
}

#[test]
fn an_unknown_mode_names_the_modes() {
    let (code, text, wrote) = input_error(&["run", "--suite", "fds", "--target", "docker:rootless"], &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown docker mode \"rootless\"") && text.contains("docker:shm-small"), "{text}");
    assert!(!wrote);
}

#[test]
fn a_missing_docker_cli_is_an_input_error() {
    skip_unless!(common::need_root());
    let find = |t: &str| std::env::split_paths(&std::env::var_os("PATH").unwrap()).map(|d| d.join(t)).find(|p| p.is_file());
    let cargo = find("cargo").unwrap_or_else(|| std::env::var("CARGO").unwrap().into());
    let dir = tempfile::tempdir().unwrap();
    for t in [Some(cargo.clone()), find("rustc")].into_iter().flatten() {
        std::os::unix::fs::symlink(&t, dir.path().join(t.file_name().unwrap())).unwrap();
    }
    let (code, text, wrote) =
        input_error(&["run", "--suite", "fds", "--target", "docker:default"], &[("PATH", dir.path().as_os_str()), ("CARGO", cargo.as_os_str())]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("docker targets need the docker CLI"), "{text}");
    assert!(!wrote);
}

#[test]
fn a_daemon_that_does_not_answer_is_an_input_error() {
    skip_unless!(common::need_root());
    if Command::new("docker").arg("--version").output().is_err() {
        println!("\n{} the docker CLI is not installed", ipcspec_protocol::SKIP_MARKER);
        return;
    }
    let sock = std::ffi::OsStr::new("unix:///nonexistent/ipcspec-test.sock");
    let (code, text, wrote) = input_error(&["run", "--suite", "fds", "--target", "docker:nonroot"], &[("DOCKER_HOST", sock)]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("the docker daemon cannot be reached"), "{text}");
    assert!(!wrote);
}
