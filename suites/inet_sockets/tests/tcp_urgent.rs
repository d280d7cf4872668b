//! TCP urgent ("out-of-band") data: MSG_OOB, SIOCATMARK, SO_OOBINLINE (tcp(7), socket(7)).
//!
//! Every test sends with TCP_NODELAY and waits until the urgent byte has arrived (POLLPRI)
//! or the sender's FIN has (POLLRDHUP, after all data) before reading.

use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::io::read_to_eof;
use fixtures::net::{recv, send, setsockopt_int};
use fixtures::poll::{await_events, revents, wait_for_events};
use fixtures::assert_errno;
use inet_sockets::addr::Family;
use inet_sockets::sockets::tcp_pair;
use inet_sockets::tcp::at_mark;
use nix::errno::Errno;
use nix::sys::socket::{Shutdown, shutdown};

fn pair() -> (OwnedFd, OwnedFd) {
    let (c, s) = tcp_pair(Family::V4);
    setsockopt_int(&c, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1).unwrap();
    (c, s)
}

/// Send `pieces` (data and send(2) flags) in order from `c`, shut its writing side, and wait
/// until `s` has everything, the FIN included (POLLRDHUP).
fn send_then_fin(c: &OwnedFd, s: &OwnedFd, pieces: &[(&[u8], libc::c_int)]) {
    for (data, flags) in pieces {
        send(c, data, *flags).unwrap();
    }
    shutdown(c.as_raw_fd(), Shutdown::Write).unwrap();
    await_events(s, libc::POLLRDHUP, "all data and the FIN");
}

/// tcp(7): "TCP provides limited support for out-of-band data, in the form of (a single
/// byte of) urgent data"; "To send urgent data specify the MSG_OOB option to send(2)";
/// without SO_OOBINLINE "it can be received only when the MSG_OOB flag is set for recv(2)";
/// SIOCATMARK: "Note that a read never reads across the urgent mark", and "returns true ...
/// if the inbound data stream is at the urgent mark". Sending "ab" then "c" with MSG_OOB:
/// poll reports POLLPRI, recv(MSG_OOB) gives "c", a normal read gives "ab" and stops at the
/// mark, SIOCATMARK is false before and true after that read, and the urgent byte is not in
/// the normal stream.
#[test]
fn urgent_byte_is_read_with_msg_oob_and_normal_reads_stop_at_the_mark() {
    let (c, s) = pair();
    send_then_fin(&c, &s, &[(b"ab", 0), (b"c", libc::MSG_OOB), (b"de", 0)]);
    assert_ne!(revents(&s, libc::POLLPRI, fixtures::deadline::poll_ms(std::time::Duration::ZERO)) & libc::POLLPRI, 0, "POLLPRI for urgent data");
    let mut b = [0u8; 16];
    assert_eq!(recv(&s, &mut b, libc::MSG_OOB), Ok(1));
    assert_eq!(b[0], b'c');
    assert_eq!(at_mark(&s), 0, "not at the mark before reading \"ab\"");
    assert_eq!(recv(&s, &mut b, libc::MSG_DONTWAIT), Ok(2), "the read stops at the mark");
    assert_eq!(&b[..2], b"ab");
    assert_eq!(at_mark(&s), 1, "at the mark after reading \"ab\"");
    assert_eq!(read_to_eof(&s), b"de", "the urgent byte is not part of the normal stream");
}

/// tcp(7): "It is possible to peek at out-of-band data using the recv(2) MSG_PEEK flag."
/// A peek leaves the urgent byte to be read again; once read, recv(MSG_OOB) fails with
/// EINVAL (no urgent data: net/ipv4/tcp.c, tcp_recv_urg()).
#[test]
fn urgent_byte_can_be_peeked_and_is_gone_once_read() {
    let (c, s) = pair();
    send(&c, b"x", libc::MSG_OOB).unwrap();
    wait_for_events(&s, libc::POLLPRI, "urgent data");
    let mut b = [0u8; 4];
    assert_eq!(recv(&s, &mut b, libc::MSG_OOB | libc::MSG_PEEK), Ok(1));
    assert_eq!(b[0], b'x');
    b[0] = 0;
    assert_eq!(recv(&s, &mut b, libc::MSG_OOB), Ok(1));
    assert_eq!(b[0], b'x');
    assert_errno!(recv(&s, &mut b, libc::MSG_OOB), Errno::EINVAL);
}

/// socket(7), SO_OOBINLINE: "If this option is enabled, out-of-band data is directly placed
/// into the receive data stream"; tcp(7): with it set and SIOCATMARK true "the next read
/// from the socket will return the urgent data". recv(MSG_OOB) is then refused (EINVAL:
/// tcp_recv_urg() with SOCK_URGINLINE).
#[test]
fn so_oobinline_puts_the_urgent_byte_into_the_stream() {
    let (c, s) = pair();
    setsockopt_int(&s, libc::SOL_SOCKET, libc::SO_OOBINLINE, 1).unwrap();
    send_then_fin(&c, &s, &[(b"ab", 0), (b"c", libc::MSG_OOB)]);
    let mut b = [0u8; 16];
    assert_errno!(recv(&s, &mut b, libc::MSG_OOB), Errno::EINVAL);
    assert_eq!(recv(&s, &mut b, libc::MSG_DONTWAIT), Ok(2), "the read stops at the mark");
    assert_eq!(&b[..2], b"ab");
    assert_eq!(at_mark(&s), 1);
    assert_eq!(read_to_eof(&s), b"c", "the urgent byte comes inline");
}

/// tcp(7): "In Linux this means if the other end sends newer out-of-band data the older
/// urgent data is inserted as normal data into the stream (even when SO_OOBINLINE is not
/// set). This differs from BSD-based stacks." Sending "a", urgent "x", urgent "y", "z":
/// only "y" is urgent; "x" is read as normal data after "a" (the read stops at the mark
/// before "y"), then "z".
#[test]
fn newer_urgent_data_turns_older_urgent_data_into_normal_data() {
    let (c, s) = pair();
    send_then_fin(&c, &s, &[(b"a", 0), (b"x", libc::MSG_OOB), (b"y", libc::MSG_OOB), (b"z", 0)]);
    let mut b = [0u8; 8];
    assert_eq!(recv(&s, &mut b, libc::MSG_OOB), Ok(1));
    assert_eq!(b[0], b'y', "the urgent byte is the newest one");
    assert_eq!(recv(&s, &mut b, libc::MSG_DONTWAIT), Ok(2), "the read stops at the mark");
    assert_eq!(&b[..2], b"ax", "the older urgent byte became normal data");
    assert_eq!(read_to_eof(&s), b"z");
}

/// tcp(7), "Sockets API": "if the other end sends newer out-of-band data the older urgent
/// data is inserted as normal data into the stream". Linux differs from tcp(7) in one case
/// (net/ipv4/tcp_input.c, tcp_check_urg(): when new urgent data arrives while the old
/// urgent byte is the very next byte to be read, that byte is skipped — the comment calls
/// relying on either outcome "buggy"). Sending urgent "x" then urgent "y" with nothing
/// before them: "x" is neither urgent nor normal data; the stream holds only what follows
/// (see docs/findings.md).
#[test]
fn an_older_urgent_byte_at_the_read_position_is_dropped_by_newer_urgent_data() {
    let (c, s) = pair();
    send_then_fin(&c, &s, &[(b"x", libc::MSG_OOB), (b"y", libc::MSG_OOB), (b"z", 0)]);
    let mut b = [0u8; 4];
    assert_eq!(recv(&s, &mut b, libc::MSG_OOB), Ok(1));
    assert_eq!(b[0], b'y');
    assert_eq!(read_to_eof(&s), b"z", "\"x\" must have been skipped");
}
