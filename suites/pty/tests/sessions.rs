//! Controlling terminals and foreground process groups: setsid(2), credentials(7) "Process
//! group ID and session ID", ioctl_tty(2) "Controlling terminal" and "Process group and
//! session ID", tcgetpgrp(3), tty(4), open(2) O_NOCTTY.
//!
//! Everything that changes sessions runs in forked children (setsid is per process); the
//! test process itself always opens slaves with O_NOCTTY.

use std::os::fd::AsRawFd;

use fixtures::signals::SignalCatcher;
use fixtures::sync::channel;
use fixtures::{assert_errno, gate, require, run_in_child, spawn};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use pty::*;
use rstest::rstest;

/// ioctl_tty(2), TIOCSCTTY: "Make the given terminal the controlling terminal of the calling
/// process. The calling process must be a session leader and not have a controlling terminal
/// already." Afterwards tcgetsid(3) gives the caller's session, tcgetpgrp(3) its process
/// group (the session's only group is in the foreground), and /dev/tty (tty(4): "a synonym
/// for the controlling terminal") leads to this pty: what is written to it arrives on the
/// master.
#[test]
fn tiocsctty_makes_the_slave_the_controlling_terminal() {
    require!(ptmx_available());
    require!(gate::path_exists("/dev/tty"));
    let p = Pty::open();
    run_in_child("session leader", || {
        take_controlling_terminal(p.s());
        let me = getpid();
        // SAFETY: plain call.
        assert_eq!(unsafe { libc::tcgetsid(p.s()) }, me);
        assert_eq!(tcgetpgrp(p.s()), Ok(me));
        let tty = open_path("/dev/tty", libc::O_RDWR | libc::O_CLOEXEC).expect("open /dev/tty");
        update_termios(p.s(), |t| t.c_oflag = 0);
        write_all(tty.as_raw_fd(), b"via /dev/tty");
    })
    .expect_success();
    assert_eq!(read_exactly(p.m(), 12), b"via /dev/tty", "/dev/tty is not this pty");
}

/// credentials(7): "The controlling terminal is established when the session leader first
/// opens a terminal (unless the O_NOCTTY flag is specified when calling open(2))." open(2),
/// O_NOCTTY: "it will not become the process's controlling terminal even if the process does
/// not have one."
#[rstest]
#[case::acquired_without_o_noctty(false)]
#[case::not_acquired_with_o_noctty(true)]
fn a_session_leader_opening_a_terminal_acquires_it_unless_o_noctty(#[case] noctty: bool) {
    require!(ptmx_available());
    require!(gate::path_exists("/dev/tty"));
    let p = Pty::open();
    let path = p.slave_path();
    run_in_child("new session leader", || {
        nix::unistd::setsid().unwrap();
        let flags = libc::O_RDWR | libc::O_CLOEXEC | if noctty { libc::O_NOCTTY } else { 0 };
        let s = open_path(&path, flags).expect("open the slave");
        if noctty {
            assert_errno!(tcgetpgrp(s.as_raw_fd()), Errno::ENOTTY);
            assert_errno!(open_path("/dev/tty", libc::O_RDWR), Errno::ENXIO);
        } else {
            assert_eq!(tcgetpgrp(s.as_raw_fd()), Ok(getpid()));
        }
    })
    .expect_success();
}

/// ioctl_tty(2), TIOCSCTTY: "The calling process must be a session leader". A forked child
/// (never a session leader) gets EPERM (drivers/tty/tty_jobctrl.c, tiocsctty).
#[test]
fn tiocsctty_by_a_process_that_is_not_a_session_leader_fails_eperm() {
    require!(ptmx_available());
    let p = Pty::open();
    run_in_child("not a session leader", || {
        assert_errno!(ioctl_arg(p.s(), libc::TIOCSCTTY, 0), Errno::EPERM);
    })
    .expect_success();
}

/// Start a session leader that takes the slave as its controlling terminal and stays until
/// the returned handle is dropped.
fn hold_as_controlling_terminal(p: &Pty) -> fixtures::Forked {
    let (ready, wait_ready) = channel();
    let holder = spawn("first session leader", || {
        take_controlling_terminal(p.s());
        ready.notify();
        loop {
            // SAFETY: waiting for the kill that ends this child.
            unsafe { libc::pause() };
        }
    });
    wait_ready.wait();
    holder
}

/// ioctl_tty(2), TIOCSCTTY: "If this terminal is already the controlling terminal of a
/// different session group, then the ioctl fails with EPERM, unless the caller has the
/// CAP_SYS_ADMIN capability and arg equals 1". Checked for arg 0 (any caller) and for arg 1
/// as an unprivileged user.
#[rstest]
#[case::arg_0(0, false)]
#[case::arg_1_without_cap_sys_admin(1, true)]
fn tiocsctty_of_another_sessions_terminal_fails_eperm(#[case] arg: libc::c_int, #[case] unprivileged: bool) {
    require!(ptmx_available());
    if unprivileged {
        require!(fixtures::privilege::other_user_reachable());
    }
    let p = Pty::open();
    let holder = hold_as_controlling_terminal(&p);
    run_in_child("second session leader", || {
        if unprivileged {
            fixtures::privilege::drop_to_nobody();
        }
        nix::unistd::setsid().unwrap();
        assert_errno!(ioctl_arg(p.s(), libc::TIOCSCTTY, arg), Errno::EPERM);
    })
    .expect_success();
    assert_eq!(tiocgsid(p.m()), Ok(holder.pid().as_raw()), "the terminal changed sessions");
}

/// ioctl_tty(2), TIOCSCTTY: with CAP_SYS_ADMIN and arg 1 "the terminal is stolen, and all
/// processes that had it as controlling terminal lose it". The master then reports the new
/// session (TIOCGSID).
#[test]
fn tiocsctty_with_arg_1_and_cap_sys_admin_steals_the_terminal() {
    require!(ptmx_available());
    require!(gate::capability(gate::Cap::SYS_ADMIN));
    let p = Pty::open();
    let _holder = hold_as_controlling_terminal(&p);
    let (stolen, wait_stolen) = channel();
    let (checked, wait_checked) = channel();
    let mut thief = spawn("second session leader", || {
        nix::unistd::setsid().unwrap();
        ioctl_arg(p.s(), libc::TIOCSCTTY, 1).expect("steal with TIOCSCTTY 1");
        stolen.notify();
        wait_checked.wait();
    });
    wait_stolen.wait();
    assert_eq!(tiocgsid(p.m()), Ok(thief.pid().as_raw()));
    assert_eq!(tiocgpgrp(p.m()), Ok(thief.pid().as_raw()));
    checked.notify();
    thief.join().expect_success();
}

/// tcgetpgrp(3), ERRORS: "ENOTTY The calling process does not have a controlling terminal, or
/// it has one but it is not described by fd." The test process never has this slave as its
/// controlling terminal (it opened it with O_NOCTTY).
#[test]
fn tcgetpgrp_of_a_terminal_that_is_not_the_controlling_one_fails_enotty() {
    require!(ptmx_available());
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
    require!(ptmx_available());
    let p = Pty::open();
    let holder = hold_as_controlling_terminal(&p);
    let leader = holder.pid().as_raw();
    assert_eq!(tiocgsid(p.m()), Ok(leader));
    assert_eq!(tiocgpgrp(p.m()), Ok(leader));
    assert_errno!(tiocgsid(p.s()), Errno::ENOTTY);
}

/// ioctl_tty(2), TIOCGSID on a master whose slave is nobody's controlling terminal: there is
/// no session to report and the call fails with ENOTTY (drivers/tty/tty_jobctrl.c, tiocgsid:
/// "if (!real_tty->session) return -ENOTTY").
#[test]
fn tiocgsid_on_a_master_without_a_session_fails_enotty() {
    require!(ptmx_available());
    let p = Pty::open();
    assert_errno!(tiocgsid(p.m()), Errno::ENOTTY);
}

/// tcgetpgrp(3): tcsetpgrp "makes the process group with process group ID pgrp the
/// foreground process group on the terminal ... pgrp must be a (nonempty) process group
/// belonging to the same session as the calling process." The new foreground group is what
/// tcgetpgrp and the master's TIOCGPGRP report.
#[test]
fn tcsetpgrp_moves_the_foreground_to_another_group_of_the_session() {
    require!(ptmx_available());
    let p = Pty::open();
    let (moved, wait_moved) = channel();
    let (checked, wait_checked) = channel();
    let mut leader = spawn("session leader", || {
        take_controlling_terminal(p.s());
        let (job_ready, wait_job) = channel();
        let (release, wait_release) = channel();
        let job = spawn("job", || {
            setpgid(0, 0).unwrap();
            job_ready.notify();
            wait_release.wait();
        });
        wait_job.wait();
        let job_pgrp = job.pid().as_raw();
        tcsetpgrp(p.s(), job_pgrp).expect("tcsetpgrp");
        assert_eq!(tcgetpgrp(p.s()), Ok(job_pgrp));
        moved.send_u64(job_pgrp as u64);
        wait_checked.wait();
        release.notify();
        job.expect_success();
    });
    let job_pgrp = wait_moved.recv_u64() as libc::pid_t;
    assert_eq!(tiocgpgrp(p.m()), Ok(job_pgrp));
    checked.notify();
    leader.join().expect_success();
}

/// tcgetpgrp(3), ERRORS: "EPERM pgrp has a supported value, but is not the process group ID
/// of a process in the same session as the calling process"; "EINVAL pgrp has an unsupported
/// value" (a negative number).
#[test]
fn tcsetpgrp_to_a_group_outside_the_session_fails_eperm_and_negative_einval() {
    require!(ptmx_available());
    let p = Pty::open();
    let outside = getpgrp(); // the test process's group, in another session
    run_in_child("session leader", || {
        take_controlling_terminal(p.s());
        assert_errno!(tcsetpgrp(p.s(), outside), Errno::EPERM);
        assert_errno!(tcsetpgrp(p.s(), -5), Errno::EINVAL);
        assert_eq!(tcgetpgrp(p.s()), Ok(getpid()));
    })
    .expect_success();
}

/// setsid(2): "Initially, the new session has no controlling terminal." tty(4): /dev/tty is
/// "a synonym for the controlling terminal of a process, if any"; without one opening it
/// fails with ENXIO (drivers/tty/tty_io.c, tty_open_current_tty).
#[test]
fn dev_tty_without_a_controlling_terminal_fails_enxio() {
    require!(gate::path_exists("/dev/tty"));
    run_in_child("new session", || {
        nix::unistd::setsid().unwrap();
        assert_errno!(open_path("/dev/tty", libc::O_RDWR), Errno::ENXIO);
    })
    .expect_success();
}

/// tty(4), TIOCNOTTY: "If the process is the session leader, then SIGHUP and SIGCONT signals
/// are sent to the foreground process group and all processes in the current session lose
/// their controlling tty." The foreground job gets both signals and can no longer open
/// /dev/tty; the leader's tcgetpgrp fails with ENOTTY.
#[test]
fn tiocnotty_by_the_leader_hangs_up_the_foreground_group() {
    require!(ptmx_available());
    require!(gate::path_exists("/dev/tty"));
    let p = Pty::open();
    run_in_child("session leader", || {
        take_controlling_terminal(p.s());
        let (job_ready, wait_job) = channel();
        let (notty_done, wait_notty) = channel();
        let job = spawn("foreground job", || {
            let catcher = SignalCatcher::new(&[Signal::SIGHUP, Signal::SIGCONT]);
            setpgid(0, 0).unwrap();
            job_ready.notify();
            let mut got = vec![catcher.wait().signo, catcher.wait().signo];
            got.sort();
            assert_eq!(got, vec![libc::SIGHUP, libc::SIGCONT]);
            // The kernel signals the group first and clears the session's terminal after
            // (disassociate_ctty()): look at /dev/tty only once TIOCNOTTY has returned.
            wait_notty.wait();
            assert_errno!(open_path("/dev/tty", libc::O_RDWR), Errno::ENXIO);
        });
        wait_job.wait();
        tcsetpgrp(p.s(), job.pid().as_raw()).expect("tcsetpgrp to the job");
        let tty = open_path("/dev/tty", libc::O_RDWR | libc::O_CLOEXEC).expect("open /dev/tty");
        ioctl_arg(tty.as_raw_fd(), libc::TIOCNOTTY, 0).expect("TIOCNOTTY");
        notty_done.notify();
        job.expect_success();
        assert_errno!(tcgetpgrp(p.s()), Errno::ENOTTY);
    })
    .expect_success();
}
