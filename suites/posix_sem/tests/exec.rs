//! Named semaphores across execve(2): the mapping of sem_open(3) does not survive it; the
//! new program opens the name again.

use std::ffi::CString;

use fixtures::exec::exec_probe;
use fixtures::{IpcName, Outcome, run_in_child, within};
use posix_sem::named::create;

/// The probe `sem-post NAME`: exit 100 if a mapping of /dev/shm/sem.NAME is already in
/// /proc/self/maps (it would have survived execve(2)); else sem_open(3) NAME, check the
/// mapping now exists (101 if not), sem_post(3) once; the errno of a failed call otherwise.
fn sem_post_probe(args: &[&str]) -> i32 {
    let name = args.first().copied().unwrap_or("");
    let file = format!("/dev/shm/sem.{}", name.trim_start_matches('/'));
    let mapped = || std::fs::read_to_string("/proc/self/maps").unwrap_or_default().lines().any(|l| l.ends_with(&file));
    if mapped() {
        return 100;
    }
    let c = CString::new(name).unwrap();
    // SAFETY: a valid C string.
    let s = unsafe { libc::sem_open(c.as_ptr(), 0) };
    if s == libc::SEM_FAILED {
        return nix::errno::Errno::last_raw();
    }
    if !mapped() {
        return 101;
    }
    // SAFETY: a semaphore sem_open returned.
    if unsafe { libc::sem_post(s) } != 0 {
        return nix::errno::Errno::last_raw();
    }
    0
}

fixtures::probe!("sem-post", sem_post_probe);

/// sem_overview(7): "Two processes can operate on the same named semaphore by passing the
/// same name to sem_open(3)"; a named semaphore is a mapping of /dev/shm/sem.NAME, and
/// execve(2): "Memory mappings are not preserved". Asserted: a child of the process that
/// has the semaphore open execs a probe; the probe finds no mapping of sem.NAME in
/// /proc/self/maps, opens the name (now mapped) and posts; the probe exits 0 and the
/// parent's sem_wait(3) returns, leaving the value 0.
#[test]
fn an_execd_program_shares_a_named_semaphore_by_opening_its_name() {
    let name = IpcName::sem("exec");
    let s = create(&name, 0);
    let n = name.as_str().to_string();
    assert_eq!(run_in_child("exec'd poster", || exec_probe(&["sem-post", &n])), Outcome::Exited(0));
    within("sem_wait after the probe's post", || s.wait()).expect("sem_wait");
    assert_eq!(s.value(), 0);
}
