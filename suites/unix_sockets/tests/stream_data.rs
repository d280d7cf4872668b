//! Moving data over a connected pair: byte streams versus messages, blocking and
//! nonblocking receives and sends, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_MORE,
//! SO_PEEK_OFF and end of file. Every case runs over each address kind, since how a socket
//! was named must not change how data flows.

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;
use std::os::fd::{AsFd, AsRawFd};

use fixtures::child::assert_all_blocked_in;
use fixtures::io::{status_flags, write_all};
use fixtures::net::{recv, send};
use fixtures::{assert_errno, spawn, within};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::calls::{SIOCINQ, ioctl_int, recv_vec, socketpair};
use unix_sockets::cases::{address_kinds, connection_types_and_kinds, message_types_and_kinds, socket_types_in_both_modes, types_and_kinds};
use unix_sockets::{AddrKind, Blocking};
use unix_sockets::pairs::{connected_pair, pairs_of_every_kind};
use libc::c_int;
use rstest_reuse::apply;

/// socket(2): "Sockets of type SOCK_STREAM are full-duplex byte streams. They do not
/// preserve record boundaries"; unix(7): SOCK_DGRAM "preserves message boundaries" and
/// SOCK_SEQPACKET "preserves message boundaries". Two sends, then one large receive: a
/// stream returns both at once, the message types only the first.
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn only_message_types_keep_boundaries(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    assert_eq!(send(&p.a, b"abc", 0), Ok(3));
    assert_eq!(send(&p.a, b"defg", 0), Ok(4));
    let first = recv_vec(&p.b, 100, libc::MSG_DONTWAIT).unwrap();
    if ty.keeps_boundaries() {
        assert_eq!(first, b"abc");
        assert_eq!(recv_vec(&p.b, 100, libc::MSG_DONTWAIT).unwrap(), b"defg");
    } else {
        assert_eq!(first, b"abcdefg");
    }
    assert_errno!(recv_vec(&p.b, 100, libc::MSG_DONTWAIT), Errno::EAGAIN);
}

/// recv(2): "If no messages are available at the socket, the receive calls wait for a
/// message to arrive, unless the socket is nonblocking (see fcntl(2)), in which case the
/// value -1 is returned and errno is set to EAGAIN". Over every address kind: nonblocking,
/// recv(2) and read(2) fail with EAGAIN; blocking, one child per kind stays asleep in
/// recv(2) until the peer sends, then gets exactly that data.
#[apply(socket_types_in_both_modes)]
#[rstest]
#[serial]
fn recv_with_nothing_queued(#[case] ty: SockType, mode: Blocking) {
    let pairs = pairs_of_every_kind(ty, mode);
    if mode == Blocking::Nonblocking {
        for p in &pairs {
            let mut b = [0u8; 8];
            assert_errno!(recv(&p.b, &mut b, 0), Errno::EAGAIN, "{:?}", p.kind);
            assert_errno!(nix::unistd::read(&p.b, &mut b), Errno::EAGAIN, "read(2) over {:?}", p.kind);
        }
        return;
    }
    let mut readers: Vec<_> = pairs
        .iter()
        .map(|p| {
            spawn(&format!("blocked reader over {:?}", p.kind), || {
                assert_eq!(recv_vec(&p.b, 16, 0).as_deref(), Ok(&b"wake"[..]));
            })
        })
        .collect();
    assert_all_blocked_in(&mut readers, fixtures::blocked::calls::RECV, "recv(2) on an empty socket");
    for (p, mut r) in pairs.iter().zip(readers) {
        assert_eq!(send(&p.a, b"wake", 0), Ok(4));
        r.join().expect_success();
    }
}

/// recv(2): "MSG_DONTWAIT ... Enables nonblocking operation; if the operation would block,
/// the call fails with the error EAGAIN", a per-call option that leaves the open file
/// description blocking.
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn msg_dontwait_on_a_blocking_socket_fails_eagain(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    let mut b = [0u8; 8];
    assert_errno!(recv(&p.b, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN);
    assert_eq!(status_flags(&p.b) & libc::O_NONBLOCK, 0, "the socket itself stays blocking");
}

/// recv(2): "MSG_PEEK This flag causes the receive operation to return data from the
/// beginning of the receive queue without removing that data from the queue. Thus, a
/// subsequent receive call will return the same data."
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn msg_peek_leaves_the_data_queued(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"peekaboo", 0).unwrap();
    // send(2) on a UNIX socket has queued the data at the receiver when it returns, so every
    // receive here is MSG_DONTWAIT: if a peek consumed the data (a broken kernel or libc),
    // the next receive must fail with EAGAIN and name the defect, not block forever (a
    // datagram peeked with 4 bytes would be gone, truncated, leaving nothing to read).
    assert_eq!(recv_vec(&p.b, 4, libc::MSG_PEEK | libc::MSG_DONTWAIT).as_deref(), Ok(&b"peek"[..]));
    assert_eq!(recv_vec(&p.b, 16, libc::MSG_PEEK | libc::MSG_DONTWAIT).as_deref(), Ok(&b"peekaboo"[..]));
    assert_eq!(recv_vec(&p.b, 16, libc::MSG_DONTWAIT).as_deref(), Ok(&b"peekaboo"[..]));
    assert_errno!(recv_vec(&p.b, 16, libc::MSG_DONTWAIT), Errno::EAGAIN);
}

/// recv(2): "MSG_WAITALL This flag requests that the operation block until the full request
/// is satisfied." Over every address kind, a child asks for 10 bytes; after 4 have arrived
/// it is still blocked; the remaining 6 complete the call with exactly 10 bytes.
#[test]
#[serial]
fn msg_waitall_blocks_until_the_full_request_on_a_stream() {
    let pairs = pairs_of_every_kind(SockType::Stream, Blocking::Blocking);
    let mut readers: Vec<_> = pairs
        .iter()
        .map(|p| {
            send(&p.a, b"0123", 0).unwrap();
            spawn(&format!("waitall reader over {:?}", p.kind), || {
                assert_eq!(recv_vec(&p.b, 10, libc::MSG_WAITALL).as_deref(), Ok(&b"0123456789"[..]));
            })
        })
        .collect();
    assert_all_blocked_in(&mut readers, fixtures::blocked::calls::RECV, "recv(MSG_WAITALL) with 4 of 10 bytes");
    for (p, mut r) in pairs.iter().zip(readers) {
        send(&p.a, b"456789", 0).unwrap();
        r.join().expect_success();
    }
}

/// recv(2), MSG_WAITALL: "the call may still return less data than requested if ... an
/// error or disconnect occurs": at end of file the bytes received so far are returned.
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn msg_waitall_returns_less_at_end_of_file(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Stream, kind);
    send(&p.a, b"abc", 0).unwrap();
    drop(p.a);
    let got = within("recv(MSG_WAITALL) at end of file", || recv_vec(&p.b, 10, libc::MSG_WAITALL));
    assert_eq!(got.as_deref(), Ok(&b"abc"[..]));
}

/// recv(2), MSG_WAITALL: "This flag has no effect for datagram sockets"; SOCK_SEQPACKET
/// sockets behave the same (each receive returns one record). With two messages queued, a
/// MSG_WAITALL receive for far more returns only the first one, at once.
#[apply(message_types_and_kinds)]
#[rstest]
#[parallel]
fn msg_waitall_has_no_effect_on_message_sockets(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"one", 0).unwrap();
    send(&p.a, b"two", 0).unwrap();
    let got = within("recv(MSG_WAITALL) of a message", || recv_vec(&p.b, 100, libc::MSG_WAITALL));
    assert_eq!(got.as_deref(), Ok(&b"one"[..]));
}

/// recv(2), RETURN VALUE: "When a stream socket peer has performed an orderly shutdown, the
/// return value will be 0 (the traditional "end-of-file" return)" — for SOCK_SEQPACKET too.
/// Data sent before close(2) is delivered first, and end of file repeats.
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn recv_returns_zero_after_the_peer_closes(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"last words", 0).unwrap();
    drop(p.a);
    assert_eq!(recv_vec(&p.b, 100, libc::MSG_DONTWAIT).unwrap(), b"last words");
    let mut b = [0u8; 8];
    assert_eq!(recv(&p.b, &mut b, libc::MSG_DONTWAIT), Ok(0));
    assert_eq!(recv(&p.b, &mut b, 0), Ok(0), "end of file does not block and repeats");
}

/// recv(2), RETURN VALUE (end of file), for a reader already asleep: closing the peer wakes
/// a child blocked in recv(2), which returns 0. One child per address kind.
#[apply(connection_types)]
#[rstest]
#[serial]
fn a_blocked_reader_wakes_with_end_of_file_when_the_peer_closes(#[case] ty: SockType) {
    let pairs = pairs_of_every_kind(ty, Blocking::Blocking);
    let peers: Vec<c_int> = pairs.iter().map(|p| p.a.as_raw_fd()).collect();
    let mut readers: Vec<_> = pairs
        .iter()
        .map(|p| {
            spawn(&format!("blocked reader over {:?}", p.kind), || {
                // The child's copies of the peers must go, so that the parent's close is the last.
                for &fd in &peers {
                    // SAFETY: closing this child's copies of descriptors it does not use.
                    unsafe { libc::close(fd) };
                }
                let mut b = [0u8; 8];
                assert_eq!(recv(&p.b, &mut b, 0), Ok(0));
            })
        })
        .collect();
    assert_all_blocked_in(&mut readers, fixtures::blocked::calls::RECV, "recv(2) before the peer closes");
    for (p, mut r) in pairs.into_iter().zip(readers) {
        drop(p.a);
        r.join().expect_success();
        drop(p.b);
    }
}

/// recv(2), RETURN VALUE: "Datagram sockets in various domains ... permit zero-length
/// datagrams" — but a stream has no messages: send(2) of zero bytes returns 0 and queues
/// nothing, so the peer does not become readable.
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn a_zero_byte_send_on_a_stream_queues_nothing(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Stream, kind);
    assert_eq!(send(&p.a, b"", 0), Ok(0));
    // send(2) queues synchronously: anything it queued would be visible at once.
    assert_eq!(fixtures::poll::revents(&p.b, libc::POLLIN, 0), 0, "the peer is not readable");
    assert_eq!(ioctl_int(&p.b, SIOCINQ), Ok(0));
}

/// unix(7), "Sockets API": "The send(2) MSG_MORE flag is not supported by UNIX domain
/// sockets." It is accepted and ignored: the data is readable at once, not held back for
/// more (as TCP_CORK would).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn msg_more_is_ignored(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    assert_eq!(send(&a, b"now", libc::MSG_MORE), Ok(3));
    assert_eq!(recv_vec(&b, 16, libc::MSG_DONTWAIT).as_deref(), Ok(&b"now"[..]));
}

/// socket(7), SO_PEEK_OFF: "When the option is set to a value greater than or equal to
/// zero, then the next peek at data queued in the socket will occur at the byte offset
/// specified by the option value. At the same time, the "peek offset" will be incremented by
/// the number of bytes that were peeked ... If data is removed from the front of the queue
/// via a call to recv(2) ... without the MSG_PEEK flag, the "peek offset" will be decreased
/// by the number of bytes removed."
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn so_peek_off_moves_the_peek_position(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Stream, kind);
    send(&p.a, b"abcdef", 0).unwrap();
    assert_eq!(fixtures::net::setsockopt_int(&p.b, libc::SOL_SOCKET, libc::SO_PEEK_OFF, 2), Ok(()));
    // The data is queued before the first peek: every receive is MSG_DONTWAIT, so a peek
    // that consumed data gives EAGAIN or wrong bytes instead of a receive that blocks.
    assert_eq!(recv_vec(&p.b, 2, libc::MSG_PEEK | libc::MSG_DONTWAIT).as_deref(), Ok(&b"cd"[..]));
    assert_eq!(recv_vec(&p.b, 2, libc::MSG_PEEK | libc::MSG_DONTWAIT).as_deref(), Ok(&b"ef"[..]));
    assert_eq!(fixtures::net::getsockopt_int(&p.b, libc::SOL_SOCKET, libc::SO_PEEK_OFF), Ok(6));
    assert_eq!(
        recv_vec(&p.b, 4, libc::MSG_DONTWAIT).as_deref(),
        Ok(&b"abcd"[..]),
        "a normal receive starts at the front"
    );
    assert_eq!(fixtures::net::getsockopt_int(&p.b, libc::SOL_SOCKET, libc::SO_PEEK_OFF), Ok(2));
}

/// socket(2): "The communications protocols which implement a SOCK_STREAM ensure that data
/// is not lost or duplicated." 1 MiB written by a child through the socket buffer (so the
/// writer blocks and resumes many times) arrives complete and in order.
#[apply(address_kinds)]
#[rstest]
#[serial]
fn a_large_transfer_arrives_complete_and_in_order(#[case] kind: AddrKind) {
    const LEN: usize = 1 << 20;
    let p = connected_pair(SockType::Stream, kind);
    let writer = spawn("writer", || {
        write_all(&p.a, &fixtures::io::word_pattern(LEN));
    });
    let got = within("reading 1 MiB", || {
        let mut got = Vec::with_capacity(LEN);
        let mut buf = vec![0u8; 65536];
        while got.len() < LEN {
            let n = recv(&p.b, &mut buf, 0).expect("recv");
            assert!(n > 0, "early end of file after {} bytes", got.len());
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    writer.expect_success();
    assert_eq!(got.len(), LEN);
    if let Some(i) = fixtures::io::first_difference(&got, &fixtures::io::word_pattern(LEN)) {
        panic!("data corrupted or reordered from byte {i} on (each 4-byte word holds its index)");
    }
}

/// Fill a's send path without blocking; returns (bytes, messages) sent.
fn fill(ty: SockType, a: &impl AsFd) -> (usize, usize) {
    let chunk = vec![0x5au8; if ty == SockType::Stream { 4096 } else { 1024 }];
    let (mut bytes, mut msgs) = (0, 0);
    loop {
        match send(a, &chunk, libc::MSG_DONTWAIT) {
            Ok(n) => {
                bytes += n;
                msgs += 1;
            }
            Err(Errno::EAGAIN) => return (bytes, msgs),
            Err(e) => panic!("filling the socket: {e}"),
        }
        assert!(bytes < 64 << 20, "the socket never filled up");
    }
}

/// send(2): "When the message does not fit into the send buffer of the socket, send()
/// normally blocks, unless the socket has been placed in nonblocking I/O mode. In
/// nonblocking mode it would fail with the error EAGAIN". Over every address kind, after
/// filling the buffer: nonblocking, send(2) fails with EAGAIN; blocking, a child's send stays
/// asleep until the reader drains what was queued, then completes, and its byte arrives
/// after all the earlier data.
#[apply(socket_types_in_both_modes)]
#[rstest]
#[serial]
fn send_on_a_full_socket(#[case] ty: SockType, mode: Blocking) {
    let pairs = pairs_of_every_kind(ty, mode);
    let filled: Vec<(usize, usize)> = pairs.iter().map(|p| fill(ty, &p.a)).collect();
    if mode == Blocking::Nonblocking {
        for p in &pairs {
            assert_errno!(send(&p.a, b"z", 0), Errno::EAGAIN, "{:?}", p.kind);
        }
        return;
    }
    let mut writers: Vec<_> = pairs
        .iter()
        .map(|p| {
            spawn(&format!("blocked writer over {:?}", p.kind), || {
                assert_eq!(send(&p.a, b"z", 0), Ok(1));
            })
        })
        .collect();
    assert_all_blocked_in(&mut writers, fixtures::blocked::calls::SEND, "send(2) on a full socket");
    for ((p, mut w), (bytes, msgs)) in pairs.iter().zip(writers).zip(filled) {
        within("draining the queued data", || {
            let mut buf = vec![0u8; 4096];
            if ty == SockType::Stream {
                let mut left = bytes;
                while left > 0 {
                    let n = left.min(buf.len());
                    left -= recv(&p.b, &mut buf[..n], 0).unwrap();
                }
            } else {
                for _ in 0..msgs {
                    assert_eq!(recv(&p.b, &mut buf, 0), Ok(1024));
                }
            }
        });
        w.join().expect_success();
        assert_eq!(recv_vec(&p.b, 16, libc::MSG_DONTWAIT).as_deref(), Ok(&b"z"[..]), "{:?}", p.kind);
    }
}
