//! SCM_RIGHTS on stream sockets (unix(7), NOTES and "Ancillary messages"): the byte of real
//! data that must carry the descriptors, and the barrier a message with descriptors puts
//! into the byte stream.

use fixtures::cases::socket_types;
use fixtures::net::SockType;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use ancillary::cmsg::{recv_fds, rights, send_fds, sendmsg};
use ancillary::{open_fd_count, pipe, pipe_has_a_writer_now, pipe_hits_eof_within, same_description, socketpair};
use fixtures::io::{read_once, write_once};
use fixtures::net::{send, setsockopt_int};
use fixtures::poll::revents_now;
use fixtures::{DEFAULT_DEADLINE, run_in_child};
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::{parallel, serial};

/// unix(7), NOTES: "To pass file descriptors or credentials over a SOCK_STREAM socket, you
/// must send or receive at least one byte of nonancillary data in the same sendmsg(2) or
/// recvmsg(2) call"; "Ancillary messages": "On Linux, this is required to successfully send
/// ancillary data over a UNIX domain stream socket. When sending ancillary data over a UNIX
/// domain datagram socket, it is not necessary on Linux to send any accompanying real data."
/// Linux differs from unix(7) in how a stream refuses: a zero-byte sendmsg(2) with a descriptor
/// does not fail, it returns 0, delivers nothing and drops the descriptor (the pipe reaches
/// end of file once the sender closes its copy; docs/findings.md); on
/// datagram and seqpacket sockets an empty message carries it.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn descriptors_without_data(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    assert_eq!(send_fds(&a, b"", &[tx.as_raw_fd()]), Ok(0));
    drop(tx);
    if ty == SockType::Stream {
        assert_eq!(revents_now(&b, libc::POLLIN), 0, "nothing was queued");
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
    assert!(same_description(&first.fds[0], &tx));
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
    assert_eq!(first.fds.len(), 1);
    assert!(same_description(&first.fds[0], &r1));
    assert_eq!(second.data, b"cd");
    assert_eq!(second.fds.len(), 2);
    assert!(same_description(&second.fds[0], &r2) && same_description(&second.fds[1], &w2), "in the order sent");
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
        assert_eq!(read_once(&b, &mut buf), Ok(5));
        assert_eq!(&buf[..5], b"12345");
        assert_eq!(read_once(&b, &mut buf), Ok(4));
        assert_eq!(&buf[..4], b"6789");
        assert_eq!(open_fd_count(), before, "no descriptor was installed");
        assert!(pipe_hits_eof_within(&rx, DEFAULT_DEADLINE));
    })
    .expect_success();
}

/// Everything queued on `b` now (nonblocking reads until EAGAIN), appended to `got`; no read
/// may bring a control message.
fn drain_without_descriptors(b: &OwnedFd, got: &mut Vec<u8>, what: &str) {
    loop {
        match recv_fds(b, 1 << 16, 8, libc::MSG_DONTWAIT) {
            Ok(r) => {
                assert!(r.ret > 0, "end of stream while reading {what}");
                assert!(r.cmsgs.is_empty() && r.fds.is_empty(), "{what} came with control data: {:?}", r.cmsgs);
                got.extend_from_slice(&r.data);
            }
            Err(Errno::EAGAIN) => return,
            Err(e) => panic!("recvmsg of {what}: {e}"),
        }
    }
}

/// send(2): "When the message does not fit into the send buffer of the socket, send() normally
/// blocks, unless the socket has been placed in nonblocking I/O mode" — and a stream may then
/// take part of it and return the count. unix(7) does not say where the descriptors of such
/// a partial sendmsg(2) go; net/unix/af_unix.c, unix_stream_sendmsg(): "Only send the fds in
/// the first buffer" — they travel with the first chunk, so any positive return means all of
/// them were sent (libwayland's wl_connection_flush and Chromium Mojo's
/// ChannelPosix::WriteNoLock close them then and send the remaining bytes without them).
/// With the smallest send buffer a 64 KiB message with three pipe write ends is sent in part;
/// the sender closes its copies at once; the receiver's first recvmsg(2) returns the start of
/// the message with exactly the three descriptors (each still a working write end of its
/// pipe), and no later read — of that part, or of the rest sent afterwards — carries any.
#[test]
#[parallel]
fn a_partial_stream_send_delivers_every_descriptor_with_the_first_part() {
    let (a, b) = socketpair(SockType::Stream, libc::SOCK_NONBLOCK);
    setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_SNDBUF, 1).unwrap();
    let msg: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
    let pipes: Vec<(OwnedFd, OwnedFd)> = (0..3).map(|_| pipe()).collect();
    let ends: Vec<RawFd> = pipes.iter().map(|(_, w)| w.as_raw_fd()).collect();
    let n = sendmsg(&a, &msg, &[rights(&ends)], libc::MSG_DONTWAIT).unwrap();
    assert!(n > 0 && n < msg.len(), "expected a partial send, got {n} of {} bytes", msg.len());
    // The sender's copies go as soon as sendmsg returned, as the applications do.
    let readers: Vec<OwnedFd> = pipes.into_iter().map(|(r, _w)| r).collect();
    let first = recv_fds(&b, msg.len(), 8, libc::MSG_DONTWAIT).unwrap();
    assert!(first.ret > 0 && first.ret <= n, "the first read returns part of what was sent: {}", first.ret);
    assert!(!first.ctrunc());
    assert_eq!(first.fds.len(), 3, "every descriptor comes with the first read");
    for (i, (w, r)) in first.fds.iter().zip(&readers).enumerate() {
        assert_eq!(write_once(w, &[i as u8]), Ok(1));
        let mut buf = [0xffu8; 2];
        assert_eq!(read_once(r, &mut buf), Ok(1));
        assert_eq!(buf[0], i as u8, "descriptor {i} is the write end of pipe {i}");
    }
    let mut got = first.data.clone();
    drain_without_descriptors(&b, &mut got, "the rest of the partial send");
    assert_eq!(got.len(), n, "everything the partial send took is readable now");
    // The rest of the message, sent afterwards without descriptors.
    let mut sent = n;
    for _ in 0..msg.len() {
        if sent == msg.len() {
            break;
        }
        match send(&a, &msg[sent..], libc::MSG_DONTWAIT) {
            Ok(k) => sent += k,
            Err(Errno::EAGAIN) => {}
            Err(e) => panic!("send of the rest: {e}"),
        }
        drain_without_descriptors(&b, &mut got, "the rest of the message");
    }
    assert_eq!(sent, msg.len());
    assert!(got == msg, "the bytes arrive in order: {} of {}", got.len(), msg.len());
}
