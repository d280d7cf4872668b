//! SO_INQ and SCM_INQ on AF_UNIX stream sockets (Linux 6.17, not in man-pages 6.20): the
//! receiver asks for the number of bytes still queued after each read, as TCP_INQ gives it
//! on TCP (tcp(7), TCP_INQ).

use fixtures::cases::socket_types;
use fixtures::net::SockType;

use ancillary::cmsg::{recvmsg, sendmsg};
use ancillary::{SCM_INQ, SO_INQ, socketpair};
use fixtures::net::setsockopt_int;
use fixtures::{assert_errno, variant};
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::parallel;

/// The int of the SCM_INQ message of a recvmsg(2), if one came.
fn inq(r: &ancillary::cmsg::Received) -> Option<i32> {
    r.cmsgs
        .iter()
        .find(|c| c.level == libc::SOL_SOCKET && c.ty == SCM_INQ)
        .map(|c| i32::from_ne_bytes(c.data[..4].try_into().expect("SCM_INQ carries an int")))
}

/// SO_INQ (commit df30285b3670, "af_unix: Introduce SO_INQ.", merged for 6.17): with it set
/// on an AF_UNIX stream socket every recvmsg(2) carries an SCM_INQ control message
/// (SOL_SOCKET, 84) with the number of bytes left in the receive queue — 4 after reading 2 of
/// 6, 0 after reading the rest. Datagram and seqpacket sockets refuse the option
/// (ENOPROTOOPT), as every AF_UNIX socket did before 6.17 (variant `absent`: ENOPROTOOPT for
/// all three types).
///
/// Kernel change: 6.17, commit df30285b3670 — SO_INQ on AF_UNIX stream sockets: recvmsg reports the bytes still queued in an SCM_INQ message.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_inq_reports_the_bytes_left_after_each_read(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let set = setsockopt_int(&b, libc::SOL_SOCKET, SO_INQ, 1);
    if !variant::since(6, 17, "SO_INQ") || ty != SockType::Stream {
        assert_errno!(set, Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(set, Ok(()));
    assert_eq!(sendmsg(&a, b"abcdef", &[], 0), Ok(6));
    let r = recvmsg(&b, 2, 64, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(r.data, b"ab");
    assert_eq!(inq(&r), Some(4), "{:?}", r.cmsgs);
    let r = recvmsg(&b, 16, 64, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(r.data, b"cdef");
    assert_eq!(inq(&r), Some(0), "{:?}", r.cmsgs);
    // Cleared again: no SCM_INQ.
    setsockopt_int(&b, libc::SOL_SOCKET, SO_INQ, 0).unwrap();
    assert_eq!(sendmsg(&a, b"gh", &[], 0), Ok(2));
    let r = recvmsg(&b, 1, 64, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(inq(&r), None, "{:?}", r.cmsgs);
}
