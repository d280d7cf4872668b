//! pidfd_send_signal(2): signalling through a pidfd, its scopes (6.9) and the PIDFD_SELF
//! sentinels (6.15).

use fixtures::signals::{block, is_pending, sigset};
use fixtures::sync::channel;
use fixtures::{assert_errno, needs, run_in_child, spawn, variant};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use pidfd::calls::{
    PIDFD_SELF_THREAD, PIDFD_SELF_THREAD_GROUP, PIDFD_SIGNAL_PROCESS_GROUP, PIDFD_SIGNAL_THREAD, PIDFD_SIGNAL_THREAD_GROUP, pidfd_open,
    pidfds_usable, send_signal, send_signal_raw, waitid,
};
use pidfd::held::Held;
use pidfd::needs_pidfd_open;

/// pidfd_send_signal(2): "If sig is 0, then no signal is sent, but error checking is still
/// performed"; ERRORS: "ESRCH The target process does not exist (i.e., it has terminated and
/// been waited on)." Asserted: signal 0 succeeds while the child lives and after it exited
/// but was not yet reaped (a zombie still exists); once waitid(P_PIDFD) reaped it, signal 0
/// and SIGKILL both fail with ESRCH — the pidfd can never reach a process that reused the
/// pid. Variants as for pidfd_open(2) (`present`, `absent`, `blocked`).
#[test]
fn pidfd_send_signal_fails_esrch_once_the_child_is_reaped() {
    needs_pidfd_open!();
    let mut child = Held::fork(0);
    let fd = pidfd_open(child.pid(), 0).unwrap();
    assert_eq!(send_signal(&fd, 0, 0), Ok(()), "a live child");
    child.release();
    fixtures::poll::wait_for_events(&fd, libc::POLLIN, "the child's exit");
    assert_eq!(send_signal(&fd, 0, 0), Ok(()), "an exited, unreaped child");
    waitid(&fd, libc::WEXITED).unwrap();
    assert_errno!(send_signal(&fd, 0, 0), Errno::ESRCH);
    assert_errno!(send_signal(&fd, libc::SIGKILL, 0), Errno::ESRCH);
}

/// pidfd_send_signal(2) (man-pages 6.20): flags "PIDFD_SIGNAL_THREAD, PIDFD_SIGNAL_THREAD_GROUP,
/// PIDFD_SIGNAL_PROCESS_GROUP (since Linux 6.9)": "send the signal to ... the process group
/// of" the target. Asserted: a child that leads its own process group, with a second member
/// (its own child), both blocking SIGUSR1 and waiting for it: one pidfd_send_signal(SIGUSR1,
/// PIDFD_SIGNAL_PROCESS_GROUP) reaches both; the other scopes with signal 0 succeed on a
/// process pidfd, and two scopes at once fail with EINVAL. Before 6.9 (variant `absent`)
/// every flag is rejected: EINVAL ("flags is not 0"), and the group is released with
/// kill(2) instead.
///
/// Kernel change: 6.9 — pidfd_send_signal(2) scopes PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP.
#[test]
fn pidfd_signal_process_group_reaches_every_member_of_the_group() {
    needs!(gate(pidfds_usable()));
    let (ready, wait_ready) = channel();
    let leader = spawn("process-group leader", || {
        nix::unistd::setpgid(nix::unistd::Pid::from_raw(0), nix::unistd::Pid::from_raw(0)).unwrap();
        block(Signal::SIGUSR1);
        let member = spawn("second member of the group", || assert!(got_sigusr1(), "the member never got SIGUSR1"));
        ready.notify();
        assert!(got_sigusr1(), "the leader never got SIGUSR1");
        member.expect_success();
    });
    wait_ready.wait();
    let fd = pidfd_open(leader.pid().as_raw(), 0).unwrap();
    let r = send_signal(&fd, libc::SIGUSR1, PIDFD_SIGNAL_PROCESS_GROUP);
    if !variant::since(6, 9, "pidfd_send_signal scopes") {
        assert_errno!(r, Errno::EINVAL, "PIDFD_SIGNAL_PROCESS_GROUP before 6.9");
        assert_errno!(send_signal(&fd, 0, PIDFD_SIGNAL_THREAD_GROUP), Errno::EINVAL);
        nix::sys::signal::killpg(leader.pid(), Signal::SIGUSR1).unwrap();
        leader.expect_success();
        return;
    }
    assert_eq!(r, Ok(()));
    leader.expect_success();
    let mut other = Held::fork(0);
    let fd = pidfd_open(other.pid(), 0).unwrap();
    assert_eq!(send_signal(&fd, 0, PIDFD_SIGNAL_THREAD), Ok(()));
    assert_eq!(send_signal(&fd, 0, PIDFD_SIGNAL_THREAD_GROUP), Ok(()));
    assert_errno!(send_signal(&fd, 0, PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP), Errno::EINVAL);
    other.release();
}

/// Whether SIGUSR1 (blocked) arrives within the harness deadline (sigtimedwait(2)).
fn got_sigusr1() -> bool {
    let set = sigset(&[libc::SIGUSR1]);
    let limit = fixtures::scaled(fixtures::DEFAULT_DEADLINE);
    let ts = libc::timespec { tv_sec: limit.as_secs() as libc::time_t, tv_nsec: 0 };
    loop {
        // SAFETY: a valid set and timeout; no siginfo wanted.
        let r = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &ts) };
        if r == libc::SIGUSR1 {
            return true;
        }
        if Errno::last() != Errno::EINTR {
            return false;
        }
    }
}

/// pidfd_send_signal(2) and <linux/pidfd.h> (6.15): "PIDFD_SELF refers to the current thread, PIDFD_SELF_PROCESS
/// refers to the process thread group leader" — the sentinels PIDFD_SELF_THREAD (-10000) and
/// PIDFD_SELF_THREAD_GROUP (-10001) are accepted where a pidfd is expected. Asserted in a
/// child that blocks SIGUSR1: pidfd_send_signal(PIDFD_SELF_THREAD_GROUP, SIGUSR1) returns 0
/// and leaves SIGUSR1 pending for the process; PIDFD_SELF_THREAD with signal 0 returns 0.
/// Before 6.15 (variant `absent`) they are just invalid descriptors: EBADF.
///
/// Kernel change: 6.15 — the PIDFD_SELF_THREAD and PIDFD_SELF_THREAD_GROUP sentinels are accepted as pidfds.
#[test]
fn pidfd_self_sentinels_name_the_calling_thread_and_process() {
    needs!(gate(pidfds_usable()));
    run_in_child("signalling itself", || {
        block(Signal::SIGUSR1);
        let group = send_signal_raw(PIDFD_SELF_THREAD_GROUP, libc::SIGUSR1, 0);
        let thread = send_signal_raw(PIDFD_SELF_THREAD, 0, 0);
        if !variant::since(6, 15, "PIDFD_SELF sentinels") {
            assert_errno!(group, Errno::EBADF, "PIDFD_SELF_THREAD_GROUP before 6.15");
            assert_errno!(thread, Errno::EBADF, "PIDFD_SELF_THREAD before 6.15");
            assert!(!is_pending(Signal::SIGUSR1));
            return;
        }
        assert_eq!((group, thread), (Ok(()), Ok(())));
        assert!(is_pending(Signal::SIGUSR1), "SIGUSR1 sent through PIDFD_SELF_THREAD_GROUP is pending");
    })
    .expect_success();
}
