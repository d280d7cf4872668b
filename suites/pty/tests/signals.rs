//! Signals the terminal generates for its foreground process group: the ISIG characters
//! (termios(3), pty(7)) and SIGWINCH on a window size change (ioctl_tty(2)).
//!
//! The receiving side is a child that starts a new session and makes the slave its
//! controlling terminal (setsid + TIOCSCTTY), so its process group is the foreground group.
//! Signals are taken synchronously with sigtimedwait (blocked first, so a default action
//! cannot kill the child before it looks).

use fixtures::facility::pty;
use fixtures::io::write_all;
use fixtures::signals::SignalCatcher;
use fixtures::sync::channel;
use fixtures::{needs, spawn};
use nix::sys::signal::Signal;
use nix::unistd::{tcgetpgrp, tcsetpgrp};
use pty::pair::Pty;
use pty::reads::read_available;
use pty::session::{new_process_group, session_leader, take_controlling_terminal};
use pty::termios::{get_termios, get_winsize, set_winsize, update_termios};
use rstest::rstest;

/// pty(7): "writing the interrupt character (usually control-C) to the master device would
/// cause an interrupt signal (SIGINT) to be generated for the foreground process group that
/// is connected to the slave"; termios(3): VINTR "Send a SIGINT signal", VQUIT "Send SIGQUIT
/// signal", VSUSP "Send SIGTSTP signal", each "Recognized when ISIG is set".
#[rstest]
#[case::vintr_sends_sigint(libc::VINTR, Signal::SIGINT)]
#[case::vquit_sends_sigquit(libc::VQUIT, Signal::SIGQUIT)]
#[case::vsusp_sends_sigtstp(libc::VSUSP, Signal::SIGTSTP)]
fn isig_character_signals_the_foreground_process_group(#[case] cc: usize, #[case] sig: Signal) {
    needs!(available(pty()));
    let p = Pty::open();
    let ch = get_termios(p.s()).c_cc[cc];
    let leader = session_leader(p.s(), &[sig], |catcher| assert_eq!(catcher.wait().signo, sig as i32));
    assert_eq!(tcgetpgrp(p.m()), Ok(leader.pid()), "the leader's group is the foreground group");
    write_all(p.m(), &[ch]);
    leader.expect_success();
}

/// termios(3), VINTR "Recognized when ISIG is set, and then not passed as input"; "NOFLSH
/// Disable flushing the input and output queues when generating signals for the INT, QUIT,
/// and SUSP characters." Without NOFLSH the unfinished "abc" before ^C is discarded; with it
/// the line survives. The ^C itself is never part of the line.
#[rstest]
#[case::flushes_by_default(false, b"d\n")]
#[case::keeps_input_with_noflsh(true, b"abcd\n")]
fn interrupt_character_flushes_pending_input_unless_noflsh(#[case] noflsh: bool, #[case] line: &[u8]) {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| {
        t.c_lflag &= !libc::ECHO;
        if noflsh {
            t.c_lflag |= libc::NOFLSH;
        }
    });
    // No process has this terminal as its controlling terminal: the signal goes nowhere,
    // the flush happens regardless.
    write_all(p.m(), b"abc\x03d\n");
    assert_eq!(read_available(p.s(), 64), line);
}

/// termios(3): the signal characters are recognized "when ISIG is set". With ISIG cleared,
/// ^C is read as an ordinary byte and the foreground group gets no SIGINT (checked after the
/// line was read: the signal would have been generated while the byte was processed).
#[test]
fn without_isig_the_interrupt_character_is_data() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_lflag &= !libc::ISIG);
    let leader = session_leader(p.s(), &[Signal::SIGINT], |catcher| {
        assert_eq!(read_available(p.s(), 64), b"\x03\n");
        assert_eq!(catcher.take_pending().map(|i| i.signo), None, "SIGINT although ISIG is off");
    });
    write_all(p.m(), b"\x03\n");
    leader.expect_success();
}

/// credentials(7): "When terminal keys that generate a signal (such as the interrupt key,
/// normally control-C) are pressed, the signal is sent to the processes in the foreground
/// job." The session leader moves a child's process group to the foreground; ^C reaches the
/// child and not the (now background) leader.
#[test]
fn only_the_foreground_process_group_gets_the_signal() {
    needs!(available(pty()));
    let p = Pty::open();
    let (ready, wait_ready) = channel();
    let leader = spawn("session leader", || {
        let leader_catcher = SignalCatcher::new(&[Signal::SIGINT]);
        take_controlling_terminal(p.s());
        let (job_ready, wait_job) = channel();
        let job = spawn("foreground job", || {
            let catcher = SignalCatcher::new(&[Signal::SIGINT]);
            new_process_group();
            job_ready.notify();
            assert_eq!(catcher.wait().signo, libc::SIGINT);
        });
        wait_job.wait();
        tcsetpgrp(p.s(), job.pid()).expect("tcsetpgrp to the job's group");
        ready.notify();
        job.expect_success();
        assert_eq!(leader_catcher.take_pending().map(|i| i.signo), None, "the background leader got SIGINT");
    });
    wait_ready.wait();
    write_all(p.m(), b"\x03");
    leader.expect_success();
}

/// ioctl_tty(2), "Get and set window size": "When the window size changes, a SIGWINCH signal
/// is sent to the foreground process group." The size set through the master is what
/// TIOCGWINSZ reads on both sides.
#[test]
fn tiocswinsz_sends_sigwinch_to_the_foreground_group() {
    needs!(available(pty()));
    let p = Pty::open();
    let leader = session_leader(p.s(), &[Signal::SIGWINCH], |catcher| {
        assert_eq!(catcher.wait().signo, libc::SIGWINCH);
        assert_eq!(get_winsize(p.s()), Ok((33, 111, 0, 0)));
    });
    set_winsize(p.m(), 33, 111).unwrap();
    leader.expect_success();
    assert_eq!(get_winsize(p.m()), Ok((33, 111, 0, 0)));
}

/// ioctl_tty(2): SIGWINCH is sent "When the window size changes". Setting the size it
/// already has is no change and sends nothing (drivers/tty/pty.c, pty_resize: "if
/// (!memcmp(ws, &tty->winsize, sizeof(*ws))) goto done;"). The signal would be queued before
/// TIOCSWINSZ returns, so the child checks for a pending SIGWINCH right after.
#[test]
fn setting_the_same_window_size_sends_no_sigwinch() {
    needs!(available(pty()));
    let p = Pty::open();
    set_winsize(p.m(), 24, 80).unwrap();
    let (done, wait_done) = channel();
    let leader = session_leader(p.s(), &[Signal::SIGWINCH], |catcher| {
        wait_done.wait();
        assert_eq!(catcher.take_pending().map(|i| i.signo), None, "SIGWINCH for an unchanged size");
    });
    set_winsize(p.m(), 24, 80).unwrap();
    done.notify();
    leader.expect_success();
}

/// ioctl_tty(2): "Window sizes are kept in the kernel, but not used by the kernel". A new
/// pseudoterminal has no size yet: TIOCGWINSZ reads all zeros.
#[test]
fn a_new_pty_has_a_zero_window_size() {
    needs!(available(pty()));
    let p = Pty::open();
    assert_eq!(get_winsize(p.s()), Ok((0, 0, 0, 0)));
}
