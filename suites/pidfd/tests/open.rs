//! pidfd_open(2) and waiting through a pidfd: waitid(2) with P_PIDFD.
//!
//! The tests of the calls themselves report where pidfd_open(2) stands here: `present`,
//! `absent` (ENOSYS before 5.3: the probe's ENOSYS is the documented answer, the test passes
//! without going further) or `blocked` (a seccomp filter; SKIP).

use std::os::fd::AsFd;
use std::sync::mpsc;

use fixtures::io::{fd_flags, status_flags};
use fixtures::poll::{Epoll, revents, revents_now, wait_for_events};
use fixtures::procfs::{gettid, nonexistent_pid};
use fixtures::{assert_errno, needs, variant};
use nix::errno::Errno;
use pidfd::calls::{PIDFD_NONBLOCK, PIDFD_THREAD, Waited, fdinfo_pid, pidfd_open, pidfds_usable, waitid};
use pidfd::held::Held;
use pidfd::needs_pidfd_open;

/// pidfd_open(2): "the close-on-exec flag is set on the file descriptor"; "PIDFD_NONBLOCK
/// (since Linux 5.10) Return a nonblocking file descriptor"; NOTES: "When the task that it
/// refers to terminates and becomes a zombie, these interfaces indicate the file descriptor
/// as readable (EPOLLIN)". Asserted: FD_CLOEXEC and O_NONBLOCK set; an epoll instance
/// (level-triggered and edge-triggered registrations) reports nothing while the child runs
/// (bounded wait), then exactly EPOLLIN for each once it has exited and is not yet reaped; the
/// edge-triggered one once only. (tokio's PidfdReaper relies on this.)
#[test]
fn pidfd_nonblock_fd_is_cloexec_and_polls_epollin_once_the_child_exits() {
    needs_pidfd_open!();
    let mut child = Held::fork(0);
    let fd = pidfd_open(child.pid(), PIDFD_NONBLOCK).unwrap();
    assert_eq!(fd_flags(&fd) & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    assert_eq!(status_flags(&fd) & libc::O_NONBLOCK, libc::O_NONBLOCK);
    let level = fd.try_clone().unwrap();
    let ep = Epoll::new();
    ep.add(&level, libc::EPOLLIN as u32, 1).unwrap();
    ep.add(&fd, (libc::EPOLLIN | libc::EPOLLET) as u32, 2).unwrap();
    // A pidfd's readiness is computed when it is polled (the task's exit state), and the
    // child is held alive: a poll that does not wait is the whole proof.
    assert_eq!(ep.wait(4, 0), Ok(vec![]), "readable while the child runs");
    child.release();
    wait_for_events(&fd, libc::POLLIN, "the pidfd to become readable after the child's exit");
    let mut got = ep.wait(4, 0).unwrap();
    got.sort_by_key(|e| e.1);
    assert_eq!(got, vec![(libc::EPOLLIN as u32, 1), (libc::EPOLLIN as u32, 2)]);
    assert_eq!(ep.wait(4, 0), Ok(vec![(libc::EPOLLIN as u32, 1)]), "the edge was reported once, the level stays");
}

/// pidfd_open(2), PIDFD_NONBLOCK: "If the task referred to by the file descriptor has not yet
/// terminated, then an attempt to wait on the file descriptor using waitid(2) will
/// immediately return the error EAGAIN rather than blocking." That is the blocking form,
/// waitid(P_PIDFD, WEXITED): EAGAIN. With WNOHANG the call does what waitid(2) says of
/// WNOHANG for any child ("return immediately if no child has exited"): success with si_pid
/// 0, not EAGAIN (kernel/exit.c turns only a wait that would block into EAGAIN). Once the child
/// has terminated, waitid(P_PIDFD, WEXITED) returns its status (CLD_EXITED, the exit code).
#[test]
fn waitid_on_a_nonblocking_pidfd_fails_eagain_until_the_child_exits() {
    needs_pidfd_open!();
    let mut child = Held::fork(5);
    let fd = pidfd_open(child.pid(), PIDFD_NONBLOCK).unwrap();
    assert_errno!(waitid(&fd, libc::WEXITED), Errno::EAGAIN);
    assert_eq!(waitid(&fd, libc::WEXITED | libc::WNOHANG), Ok(None), "WNOHANG: nothing to report, no error");
    child.release();
    wait_for_events(&fd, libc::POLLIN, "the child's exit");
    let want = Waited { pid: child.pid(), code: libc::CLD_EXITED, status: 5 };
    assert_eq!(waitid(&fd, libc::WEXITED), Ok(Some(want)));
}

/// pidfd_open(2) of the calling process gives a close-on-exec descriptor;
/// pidfd_send_signal(2) with signal 0 on it succeeds (kill(2): "If sig is 0, then no signal
/// is sent, but existence and permission checks are still performed"); waitid(2) on it fails
/// with ECHILD: "ECHILD (for waitid() or waitpid()) The process specified by pid (waitpid())
/// or idtype and id (waitid()) does not exist or is not a child of the calling process".
/// (Go's checkPidfd probes exactly these three calls.)
#[test]
fn a_pidfd_of_the_calling_process_signals_but_cannot_be_waited_for() {
    needs_pidfd_open!();
    let me = pidfd_open(std::process::id() as libc::pid_t, 0).unwrap();
    assert_eq!(fd_flags(&me) & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    assert_eq!(pidfd::calls::send_signal(&me, 0, 0), Ok(()));
    assert_errno!(waitid(&me, libc::WEXITED), Errno::ECHILD);
}

/// waitid(2), P_PIDFD (since Linux 5.4): "Wait for the child referred to by the PID file
/// descriptor specified in id"; for an exited child it fills si_pid, si_code CLD_EXITED and
/// si_status (the exit status), and reaps it: a second waitid(2) fails with ECHILD. After
/// the reaping the pidfd still polls readable (it refers to a process that is gone).
#[test]
fn waitid_p_pidfd_reaps_the_child_once() {
    needs_pidfd_open!();
    let mut child = Held::fork(3);
    let fd = pidfd_open(child.pid(), 0).unwrap();
    child.release();
    let want = Waited { pid: child.pid(), code: libc::CLD_EXITED, status: 3 };
    assert_eq!(waitid(&fd, libc::WEXITED), Ok(Some(want)));
    assert_errno!(waitid(&fd, libc::WEXITED), Errno::ECHILD);
    assert_eq!(revents_now(&fd, libc::POLLIN) & libc::POLLIN, libc::POLLIN);
}

/// pidfd_open(2), ERRORS: "ESRCH The process specified by pid does not exist."
#[test]
fn pidfd_open_of_a_pid_that_does_not_exist_fails_esrch() {
    needs_pidfd_open!();
    assert_errno!(pidfd_open(nonexistent_pid().as_raw(), 0), Errno::ESRCH);
}

/// A second thread of this process that runs (is not a thread-group leader, and is alive)
/// until `finish` lets it return and joins it.
struct HeldThread {
    tid: libc::pid_t,
    go: mpsc::Sender<()>,
    handle: std::thread::JoinHandle<()>,
}

impl HeldThread {
    fn start() -> HeldThread {
        let (tid_tx, tid_rx) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let handle = std::thread::spawn(move || {
            tid_tx.send(gettid()).unwrap();
            let _ = go_rx.recv();
        });
        let tid = tid_rx.recv().unwrap();
        HeldThread { tid, go, handle }
    }

    /// Lets the thread return and waits until it has exited.
    fn finish(self) {
        self.go.send(()).unwrap();
        self.handle.join().unwrap();
    }
}

/// pidfd_open(2): "PIDFD_THREAD (since Linux 6.9) Create a file descriptor that refers to a
/// specific thread, rather than a process (thread-group leader). If this flag is not set, pid
/// must refer to a process"; NOTES: "With PIDFD_THREAD, the file descriptor becomes readable
/// when the task exits and becomes a zombie, even if the thread-group is not empty."
/// Asserted for a second thread of this process: with PIDFD_THREAD the descriptor refers to the thread
/// (its fdinfo "Pid:" is the tid), is not readable while the thread runs (bounded wait) and
/// becomes readable once the thread has exited, while the process lives on. Before 6.9
/// (variant `absent`) the flag is unknown: EINVAL ("flags is not valid").
///
/// Kernel change: 6.9, commit 64bef697d33b — pidfd_open(2) PIDFD_THREAD: pidfds for threads.
#[test]
fn pidfd_thread_gives_a_pidfd_of_one_thread_readable_when_it_exits() {
    needs!(gate(pidfds_usable()));
    let thread = HeldThread::start();
    let tid = thread.tid;
    let r = pidfd_open(tid, PIDFD_THREAD);
    if !variant::since(6, 9, "PIDFD_THREAD") {
        assert_errno!(r, Errno::EINVAL, "PIDFD_THREAD before 6.9");
        thread.finish();
        return;
    }
    let fd = r.expect("pidfd_open(tid, PIDFD_THREAD)");
    assert_eq!(fdinfo_pid(&fd), i64::from(tid));
    // Computed when polled, and the thread is held alive: a poll that does not wait suffices.
    assert_eq!(revents(&fd, libc::POLLIN, 0), 0, "readable while the thread runs");
    thread.finish();
    let r = wait_for_events(fd.as_fd(), libc::POLLIN, "the thread pidfd to become readable");
    assert_eq!(r & libc::POLLIN, libc::POLLIN);
}

/// pidfd_open(2) without PIDFD_THREAD: "pid must refer to a process" — a thread that is not
/// a thread-group leader is refused. Which errno changed with "pidfd: improve uapi when task
/// isn't found" (vfs-6.16-rc1.coredump pull, 6.16): "ENOENT for non-thread-group leaders"
/// (and ESRCH for a reaped task), where earlier kernels answered EINVAL ("EINVAL pid is not
/// valid") for both. Asserted for a second thread of this process: ENOENT from 6.16 on
/// (variant `enoent`), EINVAL before (variant `einval`).
///
/// Kernel change: 6.16 — pidfd_open(2) of a thread that is not a leader fails ENOENT instead of EINVAL.
#[test]
fn pidfd_open_of_a_thread_that_is_not_a_leader_is_refused() {
    needs!(gate(pidfds_usable()));
    let thread = HeldThread::start();
    let tid = thread.tid;
    let r = pidfd_open(tid, 0);
    thread.finish();
    if fixtures::kernel_at_least(6, 16) {
        variant::observed("enoent", "6.16+: ENOENT for a thread that is not a thread-group leader");
        assert_errno!(r, Errno::ENOENT);
    } else {
        variant::observed("einval", "before 6.16: EINVAL for a thread that is not a thread-group leader");
        assert_errno!(r, Errno::EINVAL);
    }
}
