//! Controlling terminals and foreground process groups: setsid(2), credentials(7) "Process
//! group ID and session ID", ioctl_tty(2) "Controlling terminal" and "Process group and
//! session ID", tcgetpgrp(3), tty(4), open(2) O_NOCTTY.
//!
//! Everything that changes sessions runs in forked children (setsid is per process); the
//! test process itself always opens slaves with O_NOCTTY.

use std::path::Path;

use fixtures::facility::pty;
use fixtures::io::{open, read_exact, write_all};
use fixtures::signals::SignalCatcher;
use fixtures::sync::channel;
use fixtures::{Agent, assert_errno, needs, run_in_child, spawn};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::termios::tcgetsid;
use nix::unistd::{Pid, getpgrp, getpid, setsid, tcgetpgrp, tcsetpgrp};
use pty::ioctls::ioctl_arg;
use pty::pair::Pty;
use pty::session::{DEV_TTY, dev_tty, new_process_group, session_leader, take_controlling_terminal};
use pty::termios::update_termios;
use rstest::rstest;

/// open(2) of /dev/tty with `flags` (and O_CLOEXEC).
fn open_dev_tty(flags: libc::c_int) -> Result<std::os::fd::OwnedFd, Errno> {
    open(Path::new(DEV_TTY), flags | libc::O_CLOEXEC)
}

/// ioctl_tty(2), TIOCSCTTY: "Make the given terminal the controlling terminal of the calling
/// process. The calling process must be a session leader and not have a controlling terminal
/// already." Afterwards tcgetsid(3) gives the caller's session, tcgetpgrp(3) its process
/// group (the session's only group is in the foreground), and /dev/tty (tty(4): "a synonym
/// for the controlling terminal") leads to this pty: what is written to it arrives on the
/// master.
#[test]
fn tiocsctty_makes_the_slave_the_controlling_terminal() {
    needs!(available(pty()), available(dev_tty()));
    let p = Pty::open();
    run_in_child("session leader", || {
        take_controlling_terminal(p.s());
        let me = getpid();
        assert_eq!(tcgetsid(p.s()), Ok(me));
        assert_eq!(tcgetpgrp(p.s()), Ok(me));
        let tty = open_dev_tty(libc::O_RDWR).expect("open /dev/tty");
        update_termios(p.s(), |t| t.c_oflag = 0);
        write_all(&tty, b"via /dev/tty");
    })
    .expect_success();
    assert_eq!(read_exact(p.m(), 12), b"via /dev/tty", "/dev/tty is not this pty");
}

/// credentials(7): "The controlling terminal is established when the session leader first
/// opens a terminal (unless the O_NOCTTY flag is specified when calling open(2))." open(2),
/// O_NOCTTY: "it will not become the process's controlling terminal even if the process does
/// not have one."
#[rstest]
#[case::acquired_without_o_noctty(false)]
#[case::not_acquired_with_o_noctty(true)]
fn a_session_leader_opening_a_terminal_acquires_it_unless_o_noctty(#[case] noctty: bool) {
    needs!(available(pty()), available(dev_tty()));
    let p = Pty::open();
    let path = p.slave_path();
    run_in_child("new session leader", || {
        setsid().unwrap();
        let flags = libc::O_RDWR | libc::O_CLOEXEC | if noctty { libc::O_NOCTTY } else { 0 };
        let s = open(&path, flags).expect("open the slave");
        if noctty {
            assert_errno!(tcgetpgrp(&s), Errno::ENOTTY);
            assert_errno!(open_dev_tty(libc::O_RDWR), Errno::ENXIO);
        } else {
            assert_eq!(tcgetpgrp(&s), Ok(getpid()));
        }
    })
    .expect_success();
}

/// ioctl_tty(2), TIOCSCTTY: "The calling process must be a session leader". A forked child
/// (never a session leader) gets EPERM (drivers/tty/tty_jobctrl.c, tiocsctty).
#[test]
fn tiocsctty_by_a_process_that_is_not_a_session_leader_fails_eperm() {
    needs!(available(pty()));
    let p = Pty::open();
    run_in_child("not a session leader", || {
        assert_errno!(ioctl_arg(p.s(), libc::TIOCSCTTY, 0), Errno::EPERM);
    })
    .expect_success();
}

/// Start a session leader that takes the slave as its controlling terminal and stays until
/// the returned handle is dropped.
fn hold_as_controlling_terminal(p: &Pty) -> fixtures::Agent<(), ()> {
    session_leader(p.s(), &[], |_| loop {
        // SAFETY: waiting for the kill that ends this child (the handle's drop).
        unsafe { libc::pause() };
    })
}

/// ioctl_tty(2), TIOCSCTTY: "If this terminal is already the controlling terminal of a
/// different session group, then the ioctl fails with EPERM, unless the caller has the
/// CAP_SYS_ADMIN capability and arg equals 1". Checked for arg 0 (any caller) and for arg 1
/// as an unprivileged user.
#[rstest]
#[case::arg_0(0, false)]
#[case::arg_1_without_cap_sys_admin(1, true)]
fn tiocsctty_of_another_sessions_terminal_fails_eperm(#[case] arg: libc::c_int, #[case] unprivileged: bool) {
    needs!(available(pty()));
    if unprivileged {
        needs!(other_user);
    }
    let p = Pty::open();
    let holder = hold_as_controlling_terminal(&p);
    run_in_child("second session leader", || {
        if unprivileged {
            fixtures::privilege::drop_to_nobody();
        }
        setsid().unwrap();
        assert_errno!(ioctl_arg(p.s(), libc::TIOCSCTTY, arg), Errno::EPERM);
    })
    .expect_success();
    assert_eq!(tcgetsid(p.m()), Ok(holder.pid()), "the terminal changed sessions");
}

/// ioctl_tty(2), TIOCSCTTY: with CAP_SYS_ADMIN and arg 1 "the terminal is stolen, and all
/// processes that had it as controlling terminal lose it". The master then reports the new
/// session (TIOCGSID).
#[test]
fn tiocsctty_with_arg_1_and_cap_sys_admin_steals_the_terminal() {
    needs!(available(pty()), cap(SYS_ADMIN));
    let p = Pty::open();
    let _holder = hold_as_controlling_terminal(&p);
    let thief = Agent::<(), ()>::spawn("second session leader", |serve| {
        setsid().unwrap();
        ioctl_arg(p.s(), libc::TIOCSCTTY, 1).expect("steal with TIOCSCTTY 1");
        serve.ready(());
        serve.wait_release();
    });
    thief.ready::<()>();
    assert_eq!(tcgetsid(p.m()), Ok(thief.pid()));
    assert_eq!(tcgetpgrp(p.m()), Ok(thief.pid()));
    thief.expect_success();
}

/// tcgetpgrp(3), ERRORS: "ENOTTY The calling process does not have a controlling terminal, or
/// it has one but it is not described by fd." The test process never has this slave as its
/// controlling terminal (it opened it with O_NOCTTY).
#[test]
fn tcgetpgrp_of_a_terminal_that_is_not_the_controlling_one_fails_enotty() {
    needs!(available(pty()));
    let p = Pty::open();
    assert_errno!(tcgetpgrp(p.s()), Errno::ENOTTY);
    assert_errno!(tcsetpgrp(p.s(), getpgrp()), Errno::ENOTTY);
}

/// ioctl_tty(2), TIOCGSID: "This fails with the error ENOTTY if the terminal is not a master
/// pseudoterminal and not our controlling terminal." On the master the foreground group
/// (TIOCGPGRP) and session (TIOCGSID) of the slave can be read by any process, here one
/// outside that session.
#[test]
fn the_master_reports_the_slaves_session_and_foreground_group() {
    needs!(available(pty()));
    let p = Pty::open();
    let holder = hold_as_controlling_terminal(&p);
    let leader = holder.pid();
    assert_eq!(tcgetsid(p.m()), Ok(leader));
    assert_eq!(tcgetpgrp(p.m()), Ok(leader));
    assert_errno!(tcgetsid(p.s()), Errno::ENOTTY);
}

/// ioctl_tty(2), TIOCGSID on a master whose slave is nobody's controlling terminal: there is
/// no session to report and the call fails with ENOTTY (drivers/tty/tty_jobctrl.c, tiocgsid:
/// "if (!real_tty->session) return -ENOTTY").
#[test]
fn tiocgsid_on_a_master_without_a_session_fails_enotty() {
    needs!(available(pty()));
    let p = Pty::open();
    assert_errno!(tcgetsid(p.m()), Errno::ENOTTY);
}

/// tcgetpgrp(3): tcsetpgrp "makes the process group with process group ID pgrp the
/// foreground process group on the terminal ... pgrp must be a (nonempty) process group
/// belonging to the same session as the calling process." The new foreground group is what
/// tcgetpgrp and the master's TIOCGPGRP report.
#[test]
fn tcsetpgrp_moves_the_foreground_to_another_group_of_the_session() {
    needs!(available(pty()));
    let p = Pty::open();
    let leader = Agent::<(), ()>::spawn("session leader", |serve| {
        take_controlling_terminal(p.s());
        let job = Agent::<(), ()>::spawn("job", |serve| {
            new_process_group();
            serve.ready(());
            serve.wait_release();
        });
        job.ready::<()>();
        tcsetpgrp(p.s(), job.pid()).expect("tcsetpgrp");
        assert_eq!(tcgetpgrp(p.s()), Ok(job.pid()));
        serve.ready(job.pid());
        serve.wait_release();
        job.expect_success();
    });
    let job_pgrp = leader.ready::<Pid>();
    assert_eq!(tcgetpgrp(p.m()), Ok(job_pgrp));
    leader.expect_success();
}

/// tcgetpgrp(3), ERRORS: "EPERM pgrp has a supported value, but is not the process group ID
/// of a process in the same session as the calling process"; "EINVAL pgrp has an unsupported
/// value" (a negative number).
#[test]
fn tcsetpgrp_to_a_group_outside_the_session_fails_eperm_and_negative_einval() {
    needs!(available(pty()));
    let p = Pty::open();
    let outside = getpgrp(); // the test process's group, in another session
    run_in_child("session leader", || {
        take_controlling_terminal(p.s());
        assert_errno!(tcsetpgrp(p.s(), outside), Errno::EPERM);
        assert_errno!(tcsetpgrp(p.s(), Pid::from_raw(-5)), Errno::EINVAL);
        assert_eq!(tcgetpgrp(p.s()), Ok(getpid()));
    })
    .expect_success();
}

/// setsid(2): "Initially, the new session has no controlling terminal." tty(4): /dev/tty is
/// "a synonym for the controlling terminal of a process, if any"; without one opening it
/// fails with ENXIO (drivers/tty/tty_io.c, tty_open_current_tty).
#[test]
fn dev_tty_without_a_controlling_terminal_fails_enxio() {
    needs!(available(dev_tty()));
    run_in_child("new session", || {
        setsid().unwrap();
        assert_errno!(open_dev_tty(libc::O_RDWR), Errno::ENXIO);
    })
    .expect_success();
}

/// tty(4), TIOCNOTTY: "If the process is the session leader, then SIGHUP and SIGCONT signals
/// are sent to the foreground process group and all processes in the current session lose
/// their controlling tty." The foreground job gets both signals and can no longer open
/// /dev/tty; the leader's tcgetpgrp fails with ENOTTY.
#[test]
fn tiocnotty_by_the_leader_hangs_up_the_foreground_group() {
    needs!(available(pty()), available(dev_tty()));
    let p = Pty::open();
    run_in_child("session leader", || {
        take_controlling_terminal(p.s());
        let (job_ready, wait_job) = channel();
        let (notty_done, wait_notty) = channel();
        let job = spawn("foreground job", || {
            let catcher = SignalCatcher::new(&[Signal::SIGHUP, Signal::SIGCONT]);
            new_process_group();
            job_ready.notify();
            let mut got = vec![catcher.wait().signo, catcher.wait().signo];
            got.sort();
            assert_eq!(got, vec![libc::SIGHUP, libc::SIGCONT]);
            // The kernel signals the group first and clears the session's terminal after
            // (disassociate_ctty()): look at /dev/tty only once TIOCNOTTY has returned.
            wait_notty.wait();
            assert_errno!(open_dev_tty(libc::O_RDWR), Errno::ENXIO);
        });
        wait_job.wait();
        tcsetpgrp(p.s(), job.pid()).expect("tcsetpgrp to the job");
        let tty = open_dev_tty(libc::O_RDWR).expect("open /dev/tty");
        ioctl_arg(&tty, libc::TIOCNOTTY, 0).expect("TIOCNOTTY");
        notty_done.notify();
        job.expect_success();
        assert_errno!(tcgetpgrp(p.s()), Errno::ENOTTY);
    })
    .expect_success();
}

/// tty(4), TIOCNOTTY: "If the given terminal was the controlling terminal of the calling
/// process, give up this controlling terminal. If the process was session leader, then send
/// SIGHUP and SIGCONT to the foreground process group and all processes in the current
/// session lose their controlling tty." For a process that is *not* the session leader only
/// the first sentence applies (drivers/tty/tty_jobctrl.c tiocnotty: no_tty() for a
/// non-leader): a member of the foreground group detaches itself — /dev/tty then fails with
/// ENXIO for it, it stays in the session — while the leader keeps the terminal (tcgetpgrp,
/// /dev/tty) and no SIGHUP or SIGCONT is sent to anyone (the kernel would have queued them
/// before the ioctl returned: both are blocked and checked as pending). (sshd detaches an
/// inherited controlling terminal this way before setsid.)
#[test]
fn tiocnotty_by_a_process_that_is_not_the_leader_only_detaches_it() {
    needs!(available(pty()), available(dev_tty()));
    let p = Pty::open();
    run_in_child("session leader", || {
        let catcher = SignalCatcher::new(&[Signal::SIGHUP, Signal::SIGCONT]);
        take_controlling_terminal(p.s());
        let leader = getpid();
        spawn("member of the foreground group", || {
            let tty = open_dev_tty(libc::O_RDWR).expect("open /dev/tty in the member");
            ioctl_arg(&tty, libc::TIOCNOTTY, 0).expect("TIOCNOTTY by a non-leader");
            assert_errno!(open_dev_tty(libc::O_RDWR), Errno::ENXIO, "the member has no controlling terminal now");
            assert_eq!(nix::unistd::getsid(None), Ok(leader), "still in the leader's session");
            assert_eq!(catcher.take_pending().map(|i| i.signo), None, "a signal reached the member");
        })
        .expect_success();
        assert_eq!(tcgetpgrp(p.s()), Ok(leader), "the leader's terminal and foreground group are unchanged");
        open_dev_tty(libc::O_RDWR).expect("the leader still has its controlling terminal");
        assert_eq!(catcher.take_pending().map(|i| i.signo), None, "a signal reached the foreground group");
    })
    .expect_success();
}
