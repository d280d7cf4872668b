//! Nonblocking accept(2) and connect(2) on TCP loopback and UNIX stream sockets.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;

use fixtures::deadline::{poll_ms, wait_until};
use fixtures::io::status_flags;
use fixtures::net::{SockAddr, accept4, bind, connect, listener, local_addr, so_error, socket};
use fixtures::poll::revents;
use fixtures::{DEFAULT_DEADLINE, NEGATIVE_WAIT, Scratch, assert_errno, spawn, within};
use nix::errno::Errno;
use rstest::rstest;

/// A listener of either family, and a way to connect a new client to it.
enum Listener {
    Tcp(OwnedFd, SockAddr),
    Unix(OwnedFd, Scratch),
}

impl Listener {
    fn new(unix: bool, backlog: libc::c_int, type_flags: libc::c_int) -> Listener {
        if unix {
            let s = Scratch::new();
            let (l, _) = listener(&SockAddr::unix(&s.join("sock")), backlog, type_flags);
            Listener::Unix(l, s)
        } else {
            let (l, a) = listener(&SockAddr::loopback_v4(0), backlog, type_flags);
            Listener::Tcp(l, a)
        }
    }

    fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            Listener::Tcp(l, _) | Listener::Unix(l, _) => l.as_fd(),
        }
    }

    /// A blocking client, connected (the connection is queued on the listener).
    fn connect_client(&self) -> OwnedFd {
        match self {
            Listener::Tcp(_, a) => {
                let c = socket(libc::AF_INET, libc::SOCK_STREAM, 0).unwrap();
                connect(&c, a).unwrap();
                c
            }
            Listener::Unix(_, s) => {
                let c = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
                connect(&c, &SockAddr::unix(&s.join("sock"))).unwrap();
                c
            }
        }
    }

    /// Wait (bounded) until a connection is ready to be accepted.
    fn wait_pending(&self) {
        let ev = revents(self.fd(), libc::POLLIN, poll_ms(DEFAULT_DEADLINE));
        assert_eq!(ev & libc::POLLIN, libc::POLLIN, "no connection became pending on the listener");
    }
}

/// The number of established connections waiting in a TCP listener's accept queue
/// (TCP_INFO on a listening socket reports sk_ack_backlog as `tcpi_unacked`, which is what
/// `ss -lnt` shows as Recv-Q).
fn accept_queue_len(listener: impl AsFd) -> u32 {
    // SAFETY: zeroed tcp_info, valid length.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let fd = listener.as_fd().as_raw_fd();
        let r = libc::getsockopt(fd, libc::IPPROTO_TCP, libc::TCP_INFO, (&mut info as *mut libc::tcp_info).cast(), &mut len);
        assert_eq!(r, 0, "getsockopt(TCP_INFO): {}", nix::errno::Errno::last());
        info.tcpi_unacked
    }
}

/// A UNIX stream listener with backlog 1 at `s`/sock, its path, and the nonblocking clients
/// connected to it until a connect failed — with EAGAIN (connect(2), see below) after at
/// least one accepted connection. The clients keep the backlog full.
fn full_unix_listener(s: &Scratch) -> (OwnedFd, PathBuf, Vec<OwnedFd>) {
    let path = s.join("sock");
    let (l, _) = listener(&SockAddr::unix(&path), 1, 0);
    let mut clients = Vec::new();
    let err = loop {
        let c = socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0).unwrap();
        match connect(&c, &SockAddr::unix(&path)) {
            Ok(()) => clients.push(c),
            Err(e) => break e,
        }
        assert!(clients.len() <= 8, "a backlog of 1 took {} connections", clients.len());
    };
    assert_eq!(err, Errno::EAGAIN, "a nonblocking connect to a full backlog");
    assert!(!clients.is_empty(), "the first connection was refused");
    (l, path, clients)
}

/// accept(2), ERRORS: "EAGAIN or EWOULDBLOCK The socket is marked nonblocking and no
/// connections are present to be accepted." Once a client connects, accept succeeds.
#[rstest]
#[case::tcp(false)]
#[case::unix_stream(true)]
fn nonblocking_accept_without_a_pending_connection_fails_eagain(#[case] unix: bool) {
    let l = Listener::new(unix, 4, libc::SOCK_NONBLOCK);
    assert_errno!(accept4(l.fd(), 0), Errno::EAGAIN);
    let _c = l.connect_client();
    l.wait_pending();
    assert!(accept4(l.fd(), 0).is_ok(), "accept with a pending connection");
    assert_errno!(accept4(l.fd(), 0), Errno::EAGAIN, "accept after the only connection was taken");
}

/// accept(2), NOTES: "On Linux, the new socket returned by accept() does not inherit file
/// status flags such as O_NONBLOCK and O_ASYNC from the listening socket." accept4(2) with
/// SOCK_NONBLOCK: "Set the O_NONBLOCK file status flag on the open file description".
#[rstest]
#[case::tcp_accept(false, 0, 0)]
#[case::tcp_accept4_sock_nonblock(false, libc::SOCK_NONBLOCK, libc::O_NONBLOCK)]
#[case::unix_accept(true, 0, 0)]
#[case::unix_accept4_sock_nonblock(true, libc::SOCK_NONBLOCK, libc::O_NONBLOCK)]
fn the_accepted_socket_is_nonblocking_only_with_accept4_sock_nonblock(
    #[case] unix: bool,
    #[case] accept_flags: libc::c_int,
    #[case] expected: libc::c_int,
) {
    let l = Listener::new(unix, 4, libc::SOCK_NONBLOCK);
    assert_eq!(status_flags(l.fd()) & libc::O_NONBLOCK, libc::O_NONBLOCK);
    let _c = l.connect_client();
    l.wait_pending();
    let s = accept4(l.fd(), accept_flags).unwrap();
    assert_eq!(status_flags(&s) & libc::O_NONBLOCK, expected);
}

/// connect(2): "EINPROGRESS The socket is nonblocking and the connection cannot be
/// completed immediately. ... It is possible to select(2) or poll(2) for completion by
/// selecting the socket for writing. After select(2) indicates writability, use
/// getsockopt(2) to read the SO_ERROR option at level SOL_SOCKET to determine whether
/// connect() completed successfully (SO_ERROR is zero)". A TCP connect needs a handshake,
/// so it cannot complete within the call. Linux differs from POSIX connect() ("[EISCONN] The
/// specified socket is connection-mode and is already connected"): the first connect(2)
/// after the handshake completed returns 0 (net/ipv4/af_inet.c, __inet_stream_connect moves
/// the socket to SS_CONNECTED); only the next one fails EISCONN. Pinned as observed, not as
/// conformance (docs/findings.md).
#[test]
fn nonblocking_tcp_connect_reports_einprogress_then_pollout_and_so_error_zero() {
    let (l, addr) = listener(&SockAddr::loopback_v4(0), 4, 0);
    let c = socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0).unwrap();
    assert_errno!(connect(&c, &addr), Errno::EINPROGRESS);
    let ev = revents(&c, libc::POLLOUT, poll_ms(DEFAULT_DEADLINE));
    assert_eq!(ev & libc::POLLOUT, libc::POLLOUT, "the connection never became writable");
    assert_eq!(so_error(&c), 0);
    assert_eq!(connect(&c, &addr).map(|()| 0), Ok(0), "Linux: the first connect after completion returns 0");
    assert_errno!(connect(&c, &addr), Errno::EISCONN);
    assert!(accept4(&l, 0).is_ok());
}

/// connect(2): after EINPROGRESS, SO_ERROR "is one of the usual error codes listed here,
/// explaining the reason for the failure" — ECONNREFUSED ("No-one listening on the remote
/// address") for a loopback port that is bound but not listening (it answers with RST).
#[test]
fn nonblocking_tcp_connect_to_a_closed_port_reports_econnrefused_in_so_error() {
    // A bound, non-listening socket holds the port so that nobody else can listen on it.
    let holder = socket(libc::AF_INET, libc::SOCK_STREAM, 0).unwrap();
    bind(&holder, &SockAddr::loopback_v4(0)).unwrap();
    let target = local_addr(&holder);
    let c = socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0).unwrap();
    match connect(&c, &target) {
        Err(Errno::EINPROGRESS) => {
            let ev = revents(&c, libc::POLLOUT, poll_ms(DEFAULT_DEADLINE));
            assert_ne!(ev & (libc::POLLOUT | libc::POLLERR), 0, "the refused connect never completed");
            assert_eq!(so_error(&c), libc::ECONNREFUSED);
        }
        other => panic!("expected EINPROGRESS from a nonblocking TCP connect, got {other:?}"),
    }
}

/// connect(2): "EALREADY The socket is nonblocking and a previous connection attempt has
/// not yet been completed." The attempt is kept pending by a listener whose accept queue
/// is full (listen(2): the backlog "defines the maximum length to which the queue of
/// pending connections for sockfd may grow"; Linux then drops further SYNs), and meanwhile
/// the socket is not writable.
#[test]
fn a_second_connect_while_one_is_in_progress_fails_ealready() {
    // Linux admits backlog + 1 connections to the accept queue: fill it with two, and wait
    // until both handshakes are complete on the listener's side.
    let (l, addr) = listener(&SockAddr::loopback_v4(0), 1, 0);
    let queued: Vec<_> = (0..2)
        .map(|_| {
            let c = socket(libc::AF_INET, libc::SOCK_STREAM, 0).unwrap();
            connect(&c, &addr).unwrap();
            c
        })
        .collect();
    wait_until("two connections in the accept queue", || accept_queue_len(&l) == 2);
    let c = socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0).unwrap();
    // Bounded although it must not block: a connect that ignored O_NONBLOCK would wait for
    // the SYN retries (minutes) and the test would hang instead of failing.
    assert_errno!(within("a nonblocking connect to a full accept queue", || connect(&c, &addr)), Errno::EINPROGRESS);
    assert_errno!(connect(&c, &addr), Errno::EALREADY);
    assert_eq!(revents(&c, libc::POLLOUT, poll_ms(NEGATIVE_WAIT)), 0, "the pending connect became writable");
    assert_errno!(connect(&c, &addr), Errno::EALREADY, "still pending");
    assert_eq!(accept_queue_len(&l), 2, "the third connection was queued");
    drop(queued);
}

/// connect(2), ERRORS: "EAGAIN For nonblocking UNIX domain sockets, the socket is
/// nonblocking, and the connection cannot be completed immediately." That is the case
/// when the listener's backlog is full; nothing is queued by the failed call.
#[test]
fn nonblocking_unix_connect_to_a_full_backlog_fails_eagain() {
    let s = Scratch::new();
    let (l, path, clients) = full_unix_listener(&s);
    // Accepting one makes room again.
    let queued = clients.len();
    for _ in 0..queued {
        accept4(&l, 0).unwrap();
    }
    let c = socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0).unwrap();
    assert_eq!(connect(&c, &SockAddr::unix(&path)).map(|()| 0), Ok(0), "connect after the queue was drained");
}

/// The blocking counterpart (unix(7), connect(2)): without O_NONBLOCK, a UNIX stream
/// connect to a full backlog waits until the listener accepts a connection.
#[test]
fn blocking_unix_connect_to_a_full_backlog_waits_for_accept() {
    let s = Scratch::new();
    let (l, path, _clients) = full_unix_listener(&s);
    let mut waiter = spawn("blocking connect", || {
        let c = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        assert_eq!(connect(&c, &SockAddr::unix(&path)).map(|()| 0), Ok(0));
    });
    waiter.assert_blocked_in(fixtures::blocked::calls::CONNECT, "connect(2) to a full backlog");
    accept4(&l, 0).unwrap();
    waiter.expect_success();
}
