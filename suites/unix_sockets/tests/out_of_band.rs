//! Out-of-band data (MSG_OOB). unix(7), "Sockets API": "UNIX domain sockets do not support
//! the transmission of out-of-band data (the MSG_OOB flag for send(2) and recv(2))." That is
//! still true for datagram and seqpacket sockets; stream sockets gained it in Linux 5.15
//! (the AF_UNIX_OOB option, on by default). See Findings.

use fixtures::{assert_errno, kernel_at_least};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::parallel;
use unix_sockets::*;

/// unix(7), "Sockets API": no MSG_OOB for datagram and seqpacket sockets; unix(7), ERRORS:
/// "EOPNOTSUPP ... tried to use the out-of-band data option." Both send(2) and recv(2).
#[rstest]
#[parallel]
fn msg_oob_on_message_sockets_fails_eopnotsupp(
    #[values(SockType::Dgram, SockType::Seqpacket)] ty: SockType,
    #[values("send", "recv")] call: &str,
) {
    let (a, b) = socketpair(ty, 0);
    if call == "send" {
        assert_errno!(send(&a, b"x", libc::MSG_OOB), Errno::EOPNOTSUPP);
    } else {
        send(&a, b"x", 0).unwrap();
        let mut buf = [0u8; 4];
        assert_errno!(recv(&b, &mut buf, libc::MSG_OOB | libc::MSG_DONTWAIT), Errno::EOPNOTSUPP);
    }
}

/// Version dependent. Before Linux 5.15, unix(7) holds for streams too: send(2) with MSG_OOB
/// fails with EOPNOTSUPP. Since 5.15 a stream sends the last byte of a MSG_OOB send as
/// urgent data, as TCP does (recv(2): "MSG_OOB This flag requests receipt of out-of-band
/// data that would not be received in the normal data stream"): the receiver polls POLLPRI,
/// recv(MSG_OOB) returns that one byte, and the normal stream carries the rest without it.
#[test]
#[parallel]
fn msg_oob_on_a_stream_depends_on_the_kernel_version() {
    let (a, b) = socketpair(SockType::Stream, 0);
    if !kernel_at_least(5, 15) {
        assert_errno!(send(&a, b"hello", libc::MSG_OOB), Errno::EOPNOTSUPP);
        return;
    }
    assert_eq!(send(&a, b"hello", libc::MSG_OOB), Ok(5));
    assert_eq!(poll_fd(&b, libc::POLLPRI, 0) & libc::POLLPRI, libc::POLLPRI);
    assert_eq!(recv_vec(&b, 8, libc::MSG_OOB | libc::MSG_DONTWAIT).as_deref(), Ok(&b"o"[..]));
    assert_eq!(recv_vec(&b, 8, libc::MSG_DONTWAIT).as_deref(), Ok(&b"hell"[..]));
}

/// unix(7): "UNIX domain sockets do not support the transmission of out-of-band data (the
/// MSG_OOB flag for send(2) and recv(2))" — true before commit 314001f0bf92 ("af_unix: Add
/// OOB support", 5.15): there MSG_OOB is refused with EOPNOTSUPP. Since then
/// recv(MSG_OOB) on a stream with no urgent byte pending fails with EINVAL (as for TCP).
#[test]
#[parallel]
fn recv_msg_oob_without_urgent_data_on_a_stream() {
    let (a, b) = socketpair(SockType::Stream, 0);
    send(&a, b"plain", 0).unwrap();
    let mut buf = [0u8; 8];
    let expected = if kernel_at_least(5, 15) { Errno::EINVAL } else { Errno::EOPNOTSUPP };
    assert_errno!(recv(&b, &mut buf, libc::MSG_OOB | libc::MSG_DONTWAIT), expected);
    assert_eq!(recv_vec(&b, 8, libc::MSG_DONTWAIT).as_deref(), Ok(&b"plain"[..]));
}
