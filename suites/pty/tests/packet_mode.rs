//! Packet mode on the master (ioctl_tty(2), TIOCPKT): every read returns either a zero byte
//! followed by data, or a single control byte describing an event on the slave.

use std::os::fd::AsRawFd;
use std::time::Duration;

use fixtures::deadline::{DEFAULT_DEADLINE, poll_ms};
use fixtures::facility::pty;
use fixtures::io::{read_exact, write_all};
use fixtures::poll::revents;
use fixtures::{assert_errno, needs};
use nix::errno::Errno;
use pty::ioctls::{
    TIOCPKT_DATA, TIOCPKT_DOSTOP, TIOCPKT_FLUSHREAD, TIOCPKT_FLUSHWRITE, TIOCPKT_NOSTOP, TIOCPKT_START, TIOCPKT_STOP,
    ioctl_get_int, ioctl_set_int,
};
use pty::pair::Pty;
use pty::reads::read_available;
use pty::termios::update_termios;
use rstest::rstest;

/// A pair with packet mode on and the slave's output unprocessed and unechoed, so that every
/// byte on the master is either a packet header or data the slave wrote.
fn packet_pty() -> Pty {
    let p = Pty::open();
    update_termios(p.s(), |t| {
        t.c_oflag = 0;
        t.c_lflag &= !libc::ECHO;
    });
    ioctl_set_int(p.m(), libc::TIOCPKT, 1).expect("TIOCPKT on");
    p
}

/// ioctl_tty(2), TIOCPKT: "each subsequent read(2) will return a packet that either contains
/// a single nonzero control byte, or has a single byte containing zero ('\0') followed by
/// data written on the slave side of the pseudoterminal."
#[test]
fn data_packets_start_with_tiocpkt_data() {
    needs!(available(pty()));
    let p = packet_pty();
    write_all(p.s(), b"hi");
    assert_eq!(read_available(p.m(), 64), [TIOCPKT_DATA, b'h', b'i']);
}

/// ioctl_tty(2), TIOCPKT control bytes: "TIOCPKT_FLUSHREAD The read queue for the terminal is
/// flushed", "TIOCPKT_FLUSHWRITE The write queue for the terminal is flushed"; "If the first
/// byte is not TIOCPKT_DATA (0), it is an OR of one or more of the following bits".
/// tcflush(3) on the slave produces exactly these, as a one-byte packet.
#[rstest]
#[case::tciflush(libc::TCIFLUSH, TIOCPKT_FLUSHREAD)]
#[case::tcoflush(libc::TCOFLUSH, TIOCPKT_FLUSHWRITE)]
#[case::tcioflush(libc::TCIOFLUSH, TIOCPKT_FLUSHREAD | TIOCPKT_FLUSHWRITE)]
fn tcflush_on_the_slave_is_reported_as_a_control_packet(#[case] queue: libc::c_int, #[case] status: u8) {
    needs!(available(pty()));
    let p = packet_pty();
    // SAFETY: plain call on an fd.
    assert_eq!(unsafe { libc::tcflush(p.s().as_raw_fd(), queue) }, 0);
    assert_eq!(read_available(p.m(), 64), [status]);
}

/// ioctl_tty(2): "TIOCPKT_STOP Output to the terminal is stopped", "TIOCPKT_START Output to
/// the terminal is restarted". Typing the STOP (^S) and START (^Q) characters with IXON set
/// produces these packets.
#[test]
fn stop_and_start_characters_are_reported_as_control_packets() {
    needs!(available(pty()));
    let p = packet_pty();
    write_all(p.m(), b"\x13");
    assert_eq!(read_available(p.m(), 64), [TIOCPKT_STOP]);
    write_all(p.m(), b"\x11");
    assert_eq!(read_available(p.m(), 64), [TIOCPKT_START]);
}

/// ioctl_tty(2): "TIOCPKT_DOSTOP The start and stop characters are ^S/^Q", "TIOCPKT_NOSTOP The
/// start and stop characters are not ^S/^Q." Turning IXON off and on again on the slave
/// reports NOSTOP, then DOSTOP.
#[test]
fn switching_ixon_is_reported_as_nostop_then_dostop() {
    needs!(available(pty()));
    let p = packet_pty();
    update_termios(p.s(), |t| t.c_iflag &= !libc::IXON);
    assert_eq!(read_available(p.m(), 64), [TIOCPKT_NOSTOP]);
    update_termios(p.s(), |t| t.c_iflag |= libc::IXON);
    assert_eq!(read_available(p.m(), 64), [TIOCPKT_DOSTOP]);
}

/// ioctl_tty(2): "While packet mode is in use, the presence of control status information to
/// be read from the master side may be detected ... by a poll(2) for the POLLPRI event."
/// Nothing is pending at first (immediate poll), a flush makes POLLPRI appear.
#[test]
fn pending_control_status_is_signalled_by_pollpri() {
    needs!(available(pty()));
    let p = packet_pty();
    assert_eq!(revents(p.m(), libc::POLLPRI, poll_ms(Duration::ZERO)), 0);
    // SAFETY: plain call on an fd.
    assert_eq!(unsafe { libc::tcflush(p.s().as_raw_fd(), libc::TCIFLUSH) }, 0);
    assert_ne!(revents(p.m(), libc::POLLPRI, poll_ms(DEFAULT_DEADLINE)) & libc::POLLPRI, 0);
    assert_eq!(read_available(p.m(), 64), [TIOCPKT_FLUSHREAD]);
}

/// ioctl_tty(2), TIOCGPKT (since Linux 3.8): "Return the current packet mode setting";
/// TIOCPKT "Enable (when *argp is nonzero) or disable packet mode." Off by default, on after
/// TIOCPKT 1, off after TIOCPKT 0 — after which data arrives without a header.
#[test]
fn tiocgpkt_reports_the_packet_mode_setting() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_oflag = 0);
    assert_eq!(ioctl_get_int(p.m(), libc::TIOCGPKT), Ok(0));
    ioctl_set_int(p.m(), libc::TIOCPKT, 1).unwrap();
    assert_eq!(ioctl_get_int(p.m(), libc::TIOCGPKT), Ok(1));
    ioctl_set_int(p.m(), libc::TIOCPKT, 0).unwrap();
    assert_eq!(ioctl_get_int(p.m(), libc::TIOCGPKT), Ok(0));
    write_all(p.s(), b"raw");
    assert_eq!(read_exact(p.m(), 3), b"raw");
}

/// ioctl_tty(2), TIOCPKT: "Can be applied to the master side of a pseudoterminal only (and
/// will return ENOTTY otherwise)."
#[test]
fn tiocpkt_on_the_slave_fails_enotty() {
    needs!(available(pty()));
    let p = Pty::open();
    assert_errno!(ioctl_set_int(p.s(), libc::TIOCPKT, 1), Errno::ENOTTY);
}
