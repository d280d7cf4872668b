//! shmop(2): what execve(2) does to System V shared memory attachments.

use std::os::fd::AsRawFd;

use fixtures::deadline::wait_until;
use fixtures::exec::exec_probe;
use fixtures::{spawn, sys};
use sysv_ipc::{Attached, Segment, shm_stat};

fn nattch(id: libc::c_int) -> u64 {
    shm_stat(id).expect("IPC_STAT").shm_nattch
}

/// shmop(2): "After an execve(2), all attached shared memory segments are detached from the
/// process" (and "After a fork(2), the child inherits the attached shared memory segments").
/// Asserted: with the parent attached, shm_nattch is 1; a forked child inherits the
/// attachment and execs a probe that blocks reading a pipe; once the probe runs (its
/// /proc/<pid>/cmdline is the probe's, and it sleeps in read(2)), shm_nattch is 1 again — the
/// exec detached the child's copy while the child lives on.
#[test]
fn execve_detaches_the_shared_memory_segments_a_child_inherited() {
    let seg = Segment::create(4096, 0o600);
    let _a = Attached::attach(seg.id, 0).unwrap();
    assert_eq!(nattch(seg.id), 1);
    let mut fds = [0; 2];
    // SAFETY: a valid array of two ints.
    sys(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }).unwrap();
    let (rx, tx) = (fixtures::io::owned(fds[0]), fixtures::io::owned(fds[1]));
    let mut child = spawn("child that execs with an inherited attachment", || {
        // SAFETY: F_DUPFD gives a copy without FD_CLOEXEC, for the probe to read.
        let n = sys(unsafe { libc::fcntl(rx.as_raw_fd(), libc::F_DUPFD, 10) }).unwrap();
        exec_probe(&["hold", &n.to_string()]);
    });
    let pid = child.pid();
    wait_until("the probe to run after execve(2)", || {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == b"ipcspec-probe\0")
    });
    child.wait_until_blocked_in(&[libc::SYS_read]);
    assert_eq!(nattch(seg.id), 1, "after the child's execve(2)");
    drop(tx);
    child.expect_success();
    assert_eq!(nattch(seg.id), 1);
}
