//! Output flow control on the slave: XON/XOFF characters (termios(3) IXON, IXANY, VSTOP,
//! VSTART) and tcflow(3).
//!
//! A blocked writer is proven with `assert_blocked_in` (the kernel shows it asleep in write(2)). That a typed STOP character has been
//! processed is observed through packet mode (ioctl_tty(2), TIOCPKT_STOP), which is switched
//! off again before the data is checked.

use std::os::fd::AsRawFd;

use fixtures::facility::pty;
use fixtures::io::{read_exact, write_all, write_once};
use fixtures::{needs, spawn};
use pty::ioctls::{TIOCPKT_STOP, ioctl_set_int};
use pty::pair::Pty;
use pty::reads::read_available;
use pty::termios::update_termios;
use rstest::rstest;

/// A pair with a noncanonical, unechoed slave (so typed bytes are readable at once) that
/// keeps IXON, and unprocessed output.
fn flow_pty(ixany: bool) -> Pty {
    let p = Pty::open();
    update_termios(p.s(), |t| {
        t.c_lflag &= !(libc::ICANON | libc::ECHO);
        t.c_oflag = 0;
        t.c_iflag |= libc::IXON;
        if ixany {
            t.c_iflag |= libc::IXANY;
        }
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
    });
    p
}

/// termios(3): "VSTOP ... Stop output until Start character typed. Recognized when IXON is
/// set, and then not passed as input"; "VSTART ... Restarts output stopped by the Stop
/// character"; "IXANY Typing any character will restart stopped output." After ^S the slave's
/// writer blocks; ^Q (or, with IXANY, any character) releases it and its bytes reach the
/// master.
#[rstest]
#[case::start_character(false, b'\x11')]
#[case::any_character_with_ixany(true, b'z')]
fn stop_character_suspends_slave_output_until_restarted(#[case] ixany: bool, #[case] restart: u8) {
    needs!(available(pty()));
    let p = flow_pty(ixany);
    ioctl_set_int(p.m(), libc::TIOCPKT, 1).unwrap();
    write_all(p.m(), b"\x13");
    assert_eq!(read_available(p.m(), 8), [TIOCPKT_STOP]);
    ioctl_set_int(p.m(), libc::TIOCPKT, 0).unwrap();
    let mut writer = spawn("slave writer", || {
        assert_eq!(write_once(p.s(), b"out"), Ok(3));
    });
    writer.assert_blocked_in(fixtures::blocked::calls::WRITE, "write(2) on a stopped terminal");
    write_all(p.m(), &[restart]);
    writer.expect_success();
    assert_eq!(read_exact(p.m(), 3), b"out");
    // STOP and START are "not passed as input"; the IXANY restart character is. A marker
    // typed last shows what was queued before it.
    write_all(p.m(), b"m");
    let expected = if ixany { vec![restart, b'm'] } else { vec![b'm'] };
    assert_eq!(read_exact(p.s(), expected.len()), expected);
}

/// termios(3), tcflow(): "TCOOFF suspends output. TCOON restarts suspended output." The same
/// suspension as the STOP character, requested by the slave's own process.
#[test]
fn tcflow_tcooff_suspends_output_until_tcoon() {
    needs!(available(pty()));
    let p = flow_pty(false);
    // SAFETY: plain call on an fd.
    assert_eq!(unsafe { libc::tcflow(p.s().as_raw_fd(), libc::TCOOFF) }, 0);
    let mut writer = spawn("slave writer", || {
        assert_eq!(write_once(p.s(), b"out"), Ok(3));
    });
    writer.assert_blocked_in(fixtures::blocked::calls::WRITE, "write(2) after TCOOFF");
    // SAFETY: plain call on an fd.
    assert_eq!(unsafe { libc::tcflow(p.s().as_raw_fd(), libc::TCOON) }, 0);
    writer.expect_success();
    assert_eq!(read_exact(p.m(), 3), b"out");
}

/// termios(3), tcflow(): "TCIOFF transmits a STOP character, which stops the terminal device
/// from transmitting data to the system. TCION transmits a START character". On a pty the
/// "terminal device" is the master: it reads the slave's VSTOP/VSTART characters.
#[rstest]
#[case::tcioff_sends_stop(libc::TCIOFF, b'\x13')]
#[case::tcion_sends_start(libc::TCION, b'\x11')]
fn tcflow_tcioff_and_tcion_transmit_stop_and_start(#[case] action: libc::c_int, #[case] sent: u8) {
    needs!(available(pty()));
    let p = flow_pty(false);
    // SAFETY: plain call on an fd.
    assert_eq!(unsafe { libc::tcflow(p.s().as_raw_fd(), action) }, 0);
    assert_eq!(read_exact(p.m(), 1), [sent]);
}
