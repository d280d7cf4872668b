//! process_mrelease(2) (Linux 5.15, system call 448): release the memory of a dying process
//! through its pidfd, before the process itself gets to it — the other way, besides
//! process_vm_writev(2) and /proc/<pid>/mem, in which one process acts on another's address
//! space. man-pages has no page for it; the behaviour asserted is that of mm/oom_kill.c
//! (SYSCALL_DEFINE2(process_mrelease, int pidfd, unsigned int flags)): flags must be 0
//! (EINVAL); the descriptor must be a pidfd (EBADF); a process that is not dying is refused
//! with EINVAL; a process that no longer has a memory map — exited, zombie or reaped — gives
//! ESRCH; a process killed by SIGKILL whose memory is still there is reaped (0).
//!
//! Before 5.15 the system call does not exist: ENOSYS (variant `absent`, the test passes); on
//! 5.15+ an ENOSYS or EPERM from a seccomp filter is `blocked` (SKIP).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::child::await_child_state;
use fixtures::facility::{self, Availability};
use fixtures::io::owned;
use fixtures::{Outcome, assert_errno, needs, spawn, sync, sys, variant};
use nix::errno::Errno;
use nix::sys::signal::Signal;

/// process_mrelease(pidfd, flags), the raw system call.
fn process_mrelease(pidfd: impl AsFd, flags: libc::c_uint) -> Result<(), Errno> {
    // SAFETY: the call takes a descriptor number and flags.
    sys(unsafe { libc::syscall(libc::SYS_process_mrelease, pidfd.as_fd().as_raw_fd(), flags) } as libc::c_int).map(drop)
}

/// pidfd_open(pid, 0), the raw system call (5.3).
fn pidfd_open(pid: nix::unistd::Pid) -> OwnedFd {
    // SAFETY: pidfd_open takes a pid and flags; a returned fd is fresh and ours.
    owned(sys(unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) } as libc::c_int).expect("pidfd_open"))
}

/// mm/oom_kill.c, process_mrelease: "if (flags) return -EINVAL"; a descriptor that is not a
/// pidfd: EBADF (pidfd_get_task); a live process that is not exiting: EINVAL
/// (!task_will_free_mem); once SIGKILL is sent (complete_signal marks the whole group as
/// exiting before kill(2) returns) the call never answers EINVAL again: 0 when it reaped
/// the memory, ESRCH when the process had already released it; a zombie (its exit observed
/// with waitid(WNOWAIT)) and a reaped process: ESRCH (no thread with a memory map). Before
/// 5.15: ENOSYS for every call (variant `absent`).
///
/// Kernel change: 5.15 — process_mrelease(2) reaps the memory of a process killed by SIGKILL through its pidfd (ENOSYS before).
#[test]
fn process_mrelease_reaps_only_a_dying_process_since_5_15() {
    let probe = facility::syscall("process_mrelease", libc::SYS_process_mrelease, (5, 15), [-1, 0, 0, 0, 0, 0]);
    if let Availability::Absent(why) = probe {
        variant::absent(why);
        let (_rx, tx) = nix::unistd::pipe().unwrap();
        assert_errno!(process_mrelease(&tx, 0), Errno::ENOSYS, "process_mrelease before 5.15");
        return;
    }
    needs!(available(probe));
    let (_stop, wait_stop) = sync::channel();
    let mut victim = spawn("process whose memory is released", move || wait_stop.wait());
    let pidfd = pidfd_open(victim.pid());
    assert_errno!(process_mrelease(&pidfd, 1), Errno::EINVAL, "flags 1");
    let (pipe_rx, _pipe_tx) = nix::unistd::pipe().unwrap();
    assert_errno!(process_mrelease(&pipe_rx, 0), Errno::EBADF, "a pipe instead of a pidfd");
    assert_errno!(process_mrelease(&pidfd, 0), Errno::EINVAL, "a live process that is not exiting");
    victim.signal(Signal::SIGKILL);
    let killed = process_mrelease(&pidfd, 0);
    assert!(matches!(killed, Ok(()) | Err(Errno::ESRCH)), "a process killed by SIGKILL: {killed:?}, expected 0 or ESRCH");
    await_child_state(victim.pid(), libc::WEXITED, "the killed process's exit");
    assert_errno!(process_mrelease(&pidfd, 0), Errno::ESRCH, "a zombie");
    assert_eq!(victim.join(), Outcome::Signaled(Signal::SIGKILL));
    assert_errno!(process_mrelease(&pidfd, 0), Errno::ESRCH, "a reaped process");
}
