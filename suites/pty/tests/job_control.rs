//! Job control on a controlling terminal: what happens when a process of a background
//! process group reads, writes or changes the terminal. credentials(7), termios(3) TOSTOP,
//! tcgetpgrp(3), POSIX.1-2017 XBD 11.1.4 "Terminal Access Control".
//!
//! Layout of every test: a session leader (child of the test) takes the slave as controlling
//! terminal and stays in the foreground; it forks the job, which moves into a process group
//! of its own and is therefore in the background. The job's group is not orphaned: its
//! parent (the leader) is in another group of the same session.

use std::os::fd::BorrowedFd;

use fixtures::facility::pty;
use fixtures::io::{read_exact, write_all, write_once};
use fixtures::signals::{self, SignalCatcher, install_counter};
use fixtures::sync::channel;
use fixtures::{assert_errno, needs, run_in_child, spawn};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use nix::unistd::{getpgrp, tcgetpgrp, tcsetpgrp};
use pty::pair::Pty;
use pty::reads::read_up_to;
use pty::session::{new_process_group, take_controlling_terminal};
use pty::termios::{get_termios, tcsetattr, update_termios};
use rstest::rstest;

/// Run `job` in a background process group of the session whose controlling terminal is the
/// slave.
fn in_background_job(p: &Pty, job: impl FnOnce(BorrowedFd<'_>)) {
    run_in_child("session leader", || {
        take_controlling_terminal(p.s());
        spawn("background job", || {
            new_process_group();
            assert_ne!(tcgetpgrp(p.s()), Ok(getpgrp()), "the job is not in the background");
            job(p.s());
        })
        .expect_success();
    })
    .expect_success();
}

/// [`in_background_job`] on a new pty (for claims that need nothing set up on it first).
fn in_background_job_of_a_new_pty(job: impl FnOnce(BorrowedFd<'_>)) {
    in_background_job(&Pty::open(), job);
}

/// credentials(7): "when a process in the background attempts to read from the terminal, its
/// process group is sent a SIGTTIN signal". With a handler (no SA_RESTART) the read fails
/// with EINTR after the handler ran once.
#[test]
fn background_read_sends_sigttin_to_the_job() {
    needs!(available(pty()));
    in_background_job_of_a_new_pty(|s| {
        install_counter(Signal::SIGTTIN, SaFlags::empty());
        assert_errno!(read_up_to(s, 64), Errno::EINTR);
        assert_eq!(signals::count(Signal::SIGTTIN), 1);
    });
}

/// credentials(7): the SIGTTIN a background read causes "suspends the job" (its default
/// action is to stop the process). The leader learns it from SIGCHLD: si_code CLD_STOPPED,
/// si_status SIGTTIN (sigaction(2), "The siginfo_t argument to a SA_SIGINFO handler").
#[test]
fn background_read_stops_the_job_by_default() {
    needs!(available(pty()));
    let p = Pty::open();
    run_in_child("session leader", || {
        let chld = SignalCatcher::new(&[Signal::SIGCHLD]);
        take_controlling_terminal(p.s());
        let job = spawn("background job", || {
            signals::set_default(Signal::SIGTTIN);
            new_process_group();
            let _ = read_up_to(p.s(), 64);
        });
        let info = chld.wait();
        assert_eq!((info.code, info.pid(), info.status()), (libc::CLD_STOPPED, job.pid().as_raw(), libc::SIGTTIN));
        drop(job); // SIGKILL and reap the stopped job
    })
    .expect_success();
}

/// POSIX.1-2017 XBD 11.1.4: "If the reading process is ignoring or blocking the SIGTTIN
/// signal, or if the process group of the reading process is orphaned, the read() shall
/// return -1, with errno set to [EIO] and no signal shall be sent."
#[rstest]
#[case::sigttin_ignored(true)]
#[case::sigttin_blocked(false)]
fn background_read_with_sigttin_ignored_or_blocked_fails_eio(#[case] ignore: bool) {
    needs!(available(pty()));
    in_background_job_of_a_new_pty(|s| {
        if ignore {
            signals::ignore(Signal::SIGTTIN);
        } else {
            signals::block(Signal::SIGTTIN);
        }
        assert_errno!(read_up_to(s, 64), Errno::EIO);
        assert!(!signals::is_pending(Signal::SIGTTIN), "SIGTTIN was sent anyway");
    });
}

/// POSIX.1-2017 XBD 11.1.4: a background read from an orphaned process group returns EIO and
/// no signal is sent. The session leader's own group is orphaned (its parent, the test, is
/// in another session); once it moved a job to the foreground, its read fails with EIO and
/// its SIGTTIN handler never runs.
#[test]
fn background_read_from_an_orphaned_process_group_fails_eio() {
    needs!(available(pty()));
    let p = Pty::open();
    run_in_child("session leader", || {
        take_controlling_terminal(p.s());
        install_counter(Signal::SIGTTIN, SaFlags::empty());
        let (job_ready, wait_job) = channel();
        let job = spawn("foreground job", || {
            new_process_group();
            job_ready.notify();
            loop {
                // SAFETY: waiting for the kill that ends this child.
                unsafe { libc::pause() };
            }
        });
        wait_job.wait();
        tcsetpgrp(p.s(), job.pid()).expect("tcsetpgrp to the job");
        assert_errno!(read_up_to(p.s(), 64), Errno::EIO);
        assert_eq!(signals::count(Signal::SIGTTIN), 0);
        drop(job);
    })
    .expect_success();
}

/// termios(3): "TOSTOP Send the SIGTTOU signal to the process group of a background process
/// which tries to write to its controlling terminal." The write fails with EINTR after the
/// handler ran, and nothing reaches the master: the leader's marker is the first byte there.
#[test]
fn background_write_with_tostop_sends_sigttou() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| {
        t.c_lflag |= libc::TOSTOP;
        t.c_oflag = 0;
    });
    in_background_job(&p, |s| {
        install_counter(Signal::SIGTTOU, SaFlags::empty());
        assert_errno!(write_once(s, b"bg"), Errno::EINTR);
        assert_eq!(signals::count(Signal::SIGTTOU), 1);
    });
    write_all(p.s(), b"#");
    assert_eq!(read_exact(p.m(), 1), b"#", "the background write reached the master");
}

/// credentials(7): "If the TOSTOP flag has been set for the terminal ..., then only the
/// foreground job may write to the terminal" — so without TOSTOP a background write succeeds.
/// POSIX.1-2017 XBD 11.1.4: with TOSTOP, "If TOSTOP is set, and the process is ignoring or
/// blocking the SIGTTOU signal, the process is allowed to write to the terminal and the
/// SIGTTOU signal is not sent."
#[rstest]
#[case::without_tostop(false, None)]
#[case::tostop_sigttou_ignored(true, Some(true))]
#[case::tostop_sigttou_blocked(true, Some(false))]
fn background_write_is_allowed_without_tostop_or_with_sigttou_ignored(#[case] tostop: bool, #[case] ignore: Option<bool>) {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| {
        t.c_oflag = 0;
        if tostop {
            t.c_lflag |= libc::TOSTOP;
        }
    });
    in_background_job(&p, |s| {
        match ignore {
            Some(true) => signals::ignore(Signal::SIGTTOU),
            Some(false) => signals::block(Signal::SIGTTOU),
            None => install_counter(Signal::SIGTTOU, SaFlags::empty()),
        }
        assert_eq!(write_once(s, b"bg"), Ok(2));
        assert!(!signals::is_pending(Signal::SIGTTOU), "SIGTTOU is pending");
        if ignore.is_none() {
            assert_eq!(signals::count(Signal::SIGTTOU), 0);
        }
    });
    assert_eq!(read_exact(p.m(), 2), b"bg");
}

/// POSIX.1-2017, tcsetattr(): "If this function is called from a process which is a member of
/// a background process group on a fildes associated with its controlling terminal ... a
/// SIGTTOU signal shall be sent to the process group" (unless SIGTTOU is blocked or
/// ignored) — independent of TOSTOP. The attributes stay unchanged.
#[test]
fn background_tcsetattr_sends_sigttou() {
    needs!(available(pty()));
    in_background_job_of_a_new_pty(|s| {
        install_counter(Signal::SIGTTOU, SaFlags::empty());
        let mut t = get_termios(s);
        t.c_lflag &= !libc::ECHO;
        assert_errno!(tcsetattr(s, libc::TCSANOW, &t), Errno::EINTR);
        assert_eq!(signals::count(Signal::SIGTTOU), 1);
        assert_ne!(get_termios(s).c_lflag & libc::ECHO, 0, "the background tcsetattr took effect");
    });
}

/// termios(3): tcgetattr "may be invoked from a background process": it succeeds and sends
/// no signal.
#[test]
fn background_tcgetattr_is_allowed() {
    needs!(available(pty()));
    in_background_job_of_a_new_pty(|s| {
        install_counter(Signal::SIGTTOU, SaFlags::empty());
        install_counter(Signal::SIGTTIN, SaFlags::empty());
        let t = get_termios(s);
        assert_ne!(t.c_lflag & libc::ICANON, 0);
        assert_eq!((signals::count(Signal::SIGTTOU), signals::count(Signal::SIGTTIN)), (0, 0));
    });
}

/// tcgetpgrp(3): "If tcsetpgrp() is called by a member of a background process group in its
/// session, and the calling process is not blocking or ignoring SIGTTOU, a SIGTTOU signal is
/// sent to all members of this background process group." With SIGTTOU blocked (what a
/// shell does) the call succeeds and the job becomes the foreground group; with a handler it
/// fails with EINTR and the foreground group is unchanged.
#[rstest]
#[case::sigttou_blocked(true)]
#[case::sigttou_handled(false)]
fn background_tcsetpgrp_needs_sigttou_blocked(#[case] blocked: bool) {
    needs!(available(pty()));
    in_background_job_of_a_new_pty(|s| {
        let leader_group = tcgetpgrp(s).unwrap();
        if blocked {
            signals::block(Signal::SIGTTOU);
            assert_eq!(tcsetpgrp(s, getpgrp()), Ok(()));
            assert_eq!(tcgetpgrp(s), Ok(getpgrp()));
            assert!(!signals::is_pending(Signal::SIGTTOU));
        } else {
            install_counter(Signal::SIGTTOU, SaFlags::empty());
            assert_errno!(tcsetpgrp(s, getpgrp()), Errno::EINTR);
            assert_eq!(signals::count(Signal::SIGTTOU), 1);
            assert_eq!(tcgetpgrp(s), Ok(leader_group));
        }
    });
}
