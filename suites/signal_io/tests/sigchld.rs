//! SIGCHLD and waitpid(2) with WNOHANG: how event loops (libuv, nginx, Redis, tmux) learn
//! that a child exited and reap it without blocking. signal(7): SIGCHLD "Child stopped or
//! terminated" (default action: ignore); wait(2): "WNOHANG return immediately if no child
//! has exited", and "waitpid(): on success, returns the process ID of the child whose
//! state has changed; if WNOHANG was specified and one or more child(ren) specified by pid
//! exist, but have not yet changed state, then 0 is returned." ECHILD: "The process
//! specified by pid ... does not exist or is not a child of the calling process."
//!
//! Every claim runs in a forked, single-threaded child, which forks the children it waits
//! for itself (so that waitpid(-1) sees exactly those). Such a child waits on a pipe and
//! exits with a given status once the pipe is closed; the test knows it has exited, without
//! reaping it, through waitid(2) with WNOWAIT. Everything is bounded by the deadline of the
//! forked child that runs the claim.

use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::signals::{block, count, install_counter, is_pending, last_info, unblock};
use fixtures::{assert_errno, run_in_child, sys};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use rstest::rstest;

/// A child of the calling process that runs until the returned pipe end is dropped, then
/// exits with `code`.
fn held_child(code: i32) -> (libc::pid_t, OwnedFd) {
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2");
    // SAFETY: fork(2) in a single-threaded child of the test; the new child only reads,
    // closes and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", Errno::last());
    if pid == 0 {
        // SAFETY: plain system calls on our own descriptors, then _exit.
        unsafe {
            libc::close(tx.as_raw_fd());
            let mut b = [0u8; 1];
            while libc::read(rx.as_raw_fd(), b.as_mut_ptr().cast(), 1) < 0 && Errno::last() == Errno::EINTR {}
            libc::_exit(code);
        }
    }
    (pid, tx)
}

/// waitpid(2) with `options`: (returned pid, status).
fn waitpid(pid: libc::pid_t, options: libc::c_int) -> Result<(libc::pid_t, libc::c_int), Errno> {
    let mut status = 0;
    // SAFETY: waitpid with a status int we own.
    sys(unsafe { libc::waitpid(pid, &mut status, options) }).map(|p| (p, status))
}

/// Block (bounded by the deadline of the child running the claim) until `pid` has exited,
/// leaving it waitable: waitid(P_PID, WEXITED | WNOWAIT).
fn await_exit_unreaped(pid: libc::pid_t) {
    // SAFETY: a zeroed siginfo_t is a valid out-parameter.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waitid with a siginfo we own.
        let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
        match (r, Errno::last()) {
            (0, _) => return,
            (_, Errno::EINTR) => continue,
            (_, e) => panic!("waitid(P_PID {pid}, WNOWAIT): {e}"),
        }
    }
}

/// Which children a waitpid asks about.
#[derive(Debug, Clone, Copy)]
enum Which {
    /// waitpid(pid, ...): that child (libuv).
    ThePid,
    /// waitpid(-1, ...): any child (nginx, Redis, tmux).
    AnyChild,
}

/// wait(2): with WNOHANG, waitpid returns 0 while the child it asks about still runs, the
/// child's pid with its exit status once it has exited, and then fails with ECHILD (no
/// such child is left). Asked for the child's pid and for any child (-1).
#[rstest]
#[case::the_pid(Which::ThePid)]
#[case::any_child(Which::AnyChild)]
fn waitpid_wnohang_returns_zero_while_the_child_runs_and_its_pid_once_it_exited(#[case] which: Which) {
    run_in_child("parent of one child", || {
        let (pid, release) = held_child(7);
        let asked = match which {
            Which::ThePid => pid,
            Which::AnyChild => -1,
        };
        assert_eq!(waitpid(asked, libc::WNOHANG), Ok((0, 0)), "while the child runs");
        drop(release);
        await_exit_unreaped(pid);
        let (got, status) = waitpid(asked, libc::WNOHANG).expect("waitpid once the child exited");
        assert_eq!(got, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 7, "status {status:#x}");
        assert_errno!(waitpid(asked, libc::WNOHANG), Errno::ECHILD);
    })
    .expect_success();
}

/// How the child ends.
#[derive(Debug, Clone, Copy)]
enum End {
    /// _exit(7): si_code CLD_EXITED, si_status 7.
    Exits,
    /// SIGKILL from the parent: si_code CLD_KILLED, si_status SIGKILL.
    Killed,
}

/// sigaction(2): "SIGCHLD fills in si_pid, si_uid, si_status, si_utime, and si_stime";
/// si_code is CLD_EXITED ("child has exited") or CLD_KILLED ("child was killed"). A handler
/// for SIGCHLD runs once when the child ends, with the child's pid and its exit status or
/// the signal that killed it; nothing is delivered while the child runs.
#[rstest]
#[case::exits(End::Exits)]
#[case::killed(End::Killed)]
fn a_child_ending_delivers_sigchld_with_its_pid_and_status(#[case] end: End) {
    run_in_child("parent with a SIGCHLD handler", || {
        install_counter(Signal::SIGCHLD, SaFlags::SA_RESTART);
        block(Signal::SIGCHLD);
        let (pid, release) = held_child(7);
        assert!(!is_pending(Signal::SIGCHLD), "SIGCHLD while the child runs");
        match end {
            End::Exits => drop(release),
            // SAFETY: kill(2) of our own child.
            End::Killed => assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0),
        }
        await_exit_unreaped(pid);
        unblock(Signal::SIGCHLD);
        assert_eq!(count(Signal::SIGCHLD), 1, "SIGCHLD handler runs");
        let (code, from, _, _) = last_info(Signal::SIGCHLD);
        let expected = match end {
            End::Exits => libc::CLD_EXITED,
            End::Killed => libc::CLD_KILLED,
        };
        assert_eq!((code, from), (expected, pid), "si_code, si_pid");
        let (got, status) = waitpid(pid, libc::WNOHANG).expect("reap");
        assert_eq!(got, pid);
        match end {
            End::Exits => assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 7, "status {status:#x}"),
            End::Killed => {
                assert!(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL, "status {status:#x}")
            }
        }
    })
    .expect_success();
}

/// signal(7): "Standard signals do not queue. If multiple instances of a standard signal
/// are generated while that signal is blocked, then only one instance of the signal is
/// marked as pending (and the signal will be delivered just once when it is unblocked)."
/// Three children exit while SIGCHLD is blocked: the handler runs once when it is
/// unblocked, so a reaper must loop: waitpid(-1, WNOHANG) returns each of the three pids
/// (in some order), then 0 because a fourth child still runs; once that one exits, a new
/// SIGCHLD arrives, the loop returns its pid, and then waitpid fails with ECHILD.
#[test]
fn sigchld_of_several_exited_children_is_delivered_once_and_a_wnohang_loop_reaps_each() {
    run_in_child("parent of four children", || {
        install_counter(Signal::SIGCHLD, SaFlags::SA_RESTART);
        block(Signal::SIGCHLD);
        let (running, keep) = held_child(4);
        let mut exited: Vec<libc::pid_t> = (1..=3)
            .map(|code| {
                let (pid, release) = held_child(code);
                drop(release);
                pid
            })
            .collect();
        for &pid in &exited {
            await_exit_unreaped(pid);
        }
        assert!(is_pending(Signal::SIGCHLD));
        unblock(Signal::SIGCHLD);
        assert_eq!(count(Signal::SIGCHLD), 1, "SIGCHLD handler runs for three exits while blocked");

        let mut reaped = Vec::new();
        loop {
            match waitpid(-1, libc::WNOHANG) {
                Ok((0, _)) => break,
                Ok((pid, status)) => {
                    assert!(libc::WIFEXITED(status), "status {status:#x} of {pid}");
                    reaped.push(pid);
                }
                Err(e) => panic!("waitpid(-1, WNOHANG) after {reaped:?}: {e}"),
            }
        }
        reaped.sort_unstable();
        exited.sort_unstable();
        assert_eq!(reaped, exited, "pids reaped before waitpid returned 0 (child {running} still runs)");

        block(Signal::SIGCHLD);
        drop(keep);
        await_exit_unreaped(running);
        unblock(Signal::SIGCHLD);
        assert_eq!(count(Signal::SIGCHLD), 2, "SIGCHLD handler runs after the last child exits");
        assert_eq!(waitpid(-1, libc::WNOHANG).map(|(p, _)| p), Ok(running));
        assert_errno!(waitpid(-1, libc::WNOHANG), Errno::ECHILD);
    })
    .expect_success();
}
