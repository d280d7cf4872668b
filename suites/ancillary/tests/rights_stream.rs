//! SCM_RIGHTS on stream sockets (unix(7), NOTES and "Ancillary messages"): the byte of real
//! data that must carry the descriptors, and the barrier a message with descriptors puts
//! into the byte stream.

use std::os::fd::AsRawFd;

use ancillary::*;
use fixtures::{DEFAULT_DEADLINE, run_in_child};
use rstest::rstest;
use serial_test::{parallel, serial};

/// unix(7), NOTES: "To pass file descriptors or credentials over a SOCK_STREAM socket, you
/// must send or receive at least one byte of nonancillary data in the same sendmsg(2) or
/// recvmsg(2) call"; "Ancillary messages": "On Linux, this is required to successfully send
/// ancillary data over a UNIX domain stream socket. When sending ancillary data over a UNIX
/// domain datagram socket, it is not necessary on Linux to send any accompanying real data."
/// A zero-byte sendmsg(2) with a descriptor on a stream returns 0, delivers nothing and
/// drops the descriptor (the pipe reaches end of file once the sender closes its copy); on
/// datagram and seqpacket sockets an empty message carries it.
#[rstest]
#[parallel]
fn descriptors_without_data(#[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    assert_eq!(send_fds(&a, b"", &[tx.as_raw_fd()]), Ok(0));
    drop(tx);
    if ty == SockType::Stream {
        let mut p = libc::pollfd { fd: b.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        assert_eq!(unsafe { libc::poll(&mut p, 1, 0) }, 0, "nothing was queued");
        assert!(pipe_hits_eof_within(&rx, DEFAULT_DEADLINE), "the descriptor was dropped, not kept in flight");
    } else {
        let r = recv_fds(&b, 4, 1, libc::MSG_DONTWAIT).unwrap();
        assert_eq!(r.ret, 0);
        assert_eq!(r.fds.len(), 1);
        assert!(pipe_has_a_writer_now(&rx));
    }
}

/// unix(7), "Ancillary messages": "When receiving from a stream socket, ancillary data forms a
/// kind of barrier for the received data. For example, suppose that the sender transmits as
/// follows: (1) sendmsg(2) of four bytes, with no ancillary data. (2) sendmsg(2) of one byte,
/// with ancillary data. (3) sendmsg(2) of four bytes, with no ancillary data. Suppose that the
/// receiver now performs recvmsg(2) calls each with a buffer size of 20 bytes. The first call
/// will receive five bytes of data, along with the ancillary data sent by the second
/// sendmsg(2) call. The next call will receive the remaining four bytes of data." Exactly
/// that.
#[test]
#[parallel]
fn ancillary_data_is_a_barrier_in_the_byte_stream() {
    let (a, b) = socketpair(SockType::Stream, 0);
    let (_rx, tx) = pipe();
    assert_eq!(sendmsg(&a, b"1234", &[], 0), Ok(4));
    assert_eq!(send_fds(&a, b"5", &[tx.as_raw_fd()]), Ok(1));
    assert_eq!(sendmsg(&a, b"6789", &[], 0), Ok(4));
    let first = recv_fds(&b, 20, 1, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(first.data, b"12345");
    assert_eq!(first.fds.len(), 1);
    assert_eq!(file_id(&first.fds[0]), file_id(&tx));
    let second = recv_fds(&b, 20, 1, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(second.data, b"6789");
    assert!(second.fds.is_empty());
}

/// unix(7), "Ancillary messages" (the barrier): two consecutive messages that both carry
/// descriptors are never merged into one read — each receive returns one message's bytes
/// with that message's descriptors.
#[test]
#[parallel]
fn two_messages_with_descriptors_are_read_separately() {
    let (a, b) = socketpair(SockType::Stream, 0);
    let (r1, _w1) = pipe();
    let (r2, w2) = pipe();
    send_fds(&a, b"ab", &[r1.as_raw_fd()]).unwrap();
    send_fds(&a, b"cd", &[r2.as_raw_fd(), w2.as_raw_fd()]).unwrap();
    let first = recv_fds(&b, 20, 4, libc::MSG_DONTWAIT).unwrap();
    let second = recv_fds(&b, 20, 4, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(first.data, b"ab");
    assert_eq!(first.fds.iter().map(file_id).collect::<Vec<_>>(), vec![file_id(&r1)]);
    assert_eq!(second.data, b"cd");
    assert_eq!(second.fds.iter().map(file_id).collect::<Vec<_>>(), vec![file_id(&r2), file_id(&w2)]);
}

/// unix(7): "If no buffer is provided for incoming ancillary data ... then the incoming
/// ancillary data is discarded" — read(2) provides none. Reading the barrier example with
/// read(2) gives the same two chunks (the barrier holds) and the descriptor is closed: its
/// pipe reaches end of file once the sender's copy is gone.
#[test]
#[serial]
fn read_discards_passed_descriptors_and_releases_them() {
    run_in_child("reader", || {
        let (a, b) = socketpair(SockType::Stream, libc::SOCK_CLOEXEC);
        let (rx, tx) = pipe();
        sendmsg(&a, b"1234", &[], 0).unwrap();
        send_fds(&a, b"5", &[tx.as_raw_fd()]).unwrap();
        sendmsg(&a, b"6789", &[], 0).unwrap();
        drop(tx);
        let before = open_fd_count();
        let mut buf = [0u8; 20];
        assert_eq!(nix::unistd::read(&b, &mut buf), Ok(5));
        assert_eq!(&buf[..5], b"12345");
        assert_eq!(nix::unistd::read(&b, &mut buf), Ok(4));
        assert_eq!(&buf[..4], b"6789");
        assert_eq!(open_fd_count(), before, "no descriptor was installed");
        assert!(pipe_hits_eof_within(&rx, DEFAULT_DEADLINE));
    })
    .expect_success();
}
