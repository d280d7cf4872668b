//! poll(2) on a PID file descriptor. pidfd_open(2), NOTES, "Use cases for PID file
//! descriptors": "A PID file descriptor can be monitored using poll(2), select(2), and
//! epoll(7). When the task that it refers to terminates and becomes a zombie, these
//! interfaces indicate the file descriptor as readable (EPOLLIN). When the task is reaped,
//! these interfaces produce a hangup event (EPOLLHUP)."
//!
//! The hangup came later than the readability: commit 43f0df54c96f ("pidfd_poll: report
//! POLLHUP when pid_task() == NULL", 6.9, with PIDFD_THREAD). Before it, pidfd_poll reported
//! EPOLLIN | EPOLLRDNORM once the thread group had exited, zombie or reaped alike.

use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::child::await_child_state;
use fixtures::io::owned;
use fixtures::poll::revents_now;
use fixtures::{skip_blocked, spawn, sync, sys, variant};
use nix::errno::Errno;

/// pidfd_open(pid, 0) (5.3): the raw system call.
fn pidfd_open(pid: nix::unistd::Pid) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open takes a pid and flags; a returned fd is fresh and ours.
    sys(unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) } as libc::c_int).map(owned)
}

/// pidfd_open(2), NOTES (quoted in the file comment): a pidfd of a running child reports
/// nothing; once the child has exited and is a zombie (observed with waitid(WEXITED |
/// WNOWAIT), which leaves it unreaped) poll reports exactly POLLIN; once it is reaped, POLLIN
/// | POLLHUP (6.9+, commit 43f0df54c96f) — before 6.9 still POLLIN alone (variant `absent`).
/// A pidfd_open refused by a seccomp filter skips (variant `blocked`).
///
/// Kernel change: 6.9, commit 43f0df54c96f — poll(2) on the pidfd of a reaped process reports POLLHUP as well as POLLIN.
#[test]
fn a_pidfd_polls_in_at_exit_and_hup_once_reaped_since_6_9() {
    let (go, wait_go) = sync::channel();
    let mut child = spawn("child that exits when told", move || wait_go.wait());
    let pidfd = match pidfd_open(child.pid()) {
        Ok(fd) => fd,
        Err(e @ (Errno::ENOSYS | Errno::EPERM)) => skip_blocked!("pidfd_open (5.3) fails with {e} here"),
        Err(e) => panic!("pidfd_open of a running child: {e}"),
    };
    let asked = libc::POLLIN | libc::POLLRDNORM;
    assert_eq!(revents_now(&pidfd, asked), 0, "the pidfd {} of a running child", pidfd.as_raw_fd());
    go.notify();
    await_child_state(child.pid(), libc::WEXITED, "the child's exit");
    assert_eq!(revents_now(&pidfd, asked), asked, "the pidfd of a zombie");
    child.join().expect_success();
    let reaped = revents_now(&pidfd, asked);
    if variant::since(6, 9, "POLLHUP on the pidfd of a reaped process") {
        assert_eq!(reaped, asked | libc::POLLHUP, "the pidfd of a reaped child since 6.9");
    } else {
        assert_eq!(reaped, asked, "the pidfd of a reaped child before 6.9");
    }
}
