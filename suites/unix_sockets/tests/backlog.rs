//! The listen(2) backlog of AF_UNIX stream and seqpacket sockets: how many connections it
//! admits before accept(2), what nonblocking and blocking connect(2) do when it is full, and
//! the somaxconn ceiling.

use fixtures::cases::connection_types;
use fixtures::net::SockType;
use std::os::fd::OwnedFd;

use fixtures::child::assert_all_blocked_in;
use fixtures::limits::{nofile_hard_limit, set_nofile_soft_limit};
use fixtures::net::{connect, listen, send};
use fixtures::{Scratch, assert_errno, needs, run_in_child, spawn};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::addr::{UnixAddr, getpeername};
use unix_sockets::calls::{accept, recv_vec, socket};
use unix_sockets::cases::connection_types_and_named_kinds;
use unix_sockets::AddrKind;
use unix_sockets::pairs::{connected_client, listener, named_listener};
use libc::c_int;
use rstest_reuse::apply;

/// Connect nonblocking clients to `name` until one fails; returns the connected clients
/// and the error that stopped it.
fn connect_until_refused(ty: SockType, name: &UnixAddr, limit: usize) -> (Vec<OwnedFd>, Errno) {
    let mut clients = Vec::new();
    loop {
        let c = socket(ty, libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
        match connect(&c, name) {
            Ok(()) => clients.push(c),
            Err(e) => return (clients, e),
        }
        assert!(clients.len() <= limit, "more than {limit} connections were admitted");
    }
}

/// Connects nonblocking clients to `name` until the backlog is full: asserts that exactly
/// `n` were admitted and that the next one failed with EAGAIN; returns the admitted clients
/// (they hold their places in the queue while they live).
fn admits(ty: SockType, name: &UnixAddr, n: usize) -> Vec<OwnedFd> {
    let (clients, err) = connect_until_refused(ty, name, 64);
    assert_eq!((clients.len(), err), (n, Errno::EAGAIN), "connections admitted, then the error");
    clients
}

/// listen(2): "The backlog argument defines the maximum length to which the queue of pending
/// connections for sockfd may grow." Linux differs from listen(2): AF_UNIX admits backlog + 1
/// connections before the queue counts as full (net/unix/af_unix.c, unix_recvq_full()
/// compares the queue length with `>`), so backlog 0 still admits one. See docs/findings.md.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn backlog_n_admits_n_plus_one_connections(#[case] ty: SockType, #[values(0, 1, 2, 5)] backlog: c_int) {
    let (_l, name, _s) = named_listener(ty, AddrKind::Abstract, backlog);
    admits(ty, &name, backlog as usize + 1);
}

/// connect(2), ERRORS: "EAGAIN For nonblocking UNIX domain sockets, the socket is
/// nonblocking, and the connection cannot be completed immediately" — not ECONNREFUSED,
/// which listen(2) mentions as a possible indication of a full queue. For every kind of
/// listener name.
#[apply(connection_types_and_named_kinds)]
#[rstest]
#[parallel]
fn nonblocking_connect_to_a_full_backlog_fails_eagain(#[case] ty: SockType, #[case] kind: AddrKind) {
    let (_l, name, _s) = named_listener(ty, kind, 0);
    let first = socket(ty, libc::SOCK_NONBLOCK);
    assert_eq!(connect(&first, &name), Ok(()));
    let second = socket(ty, libc::SOCK_NONBLOCK);
    assert_errno!(connect(&second, &name), Errno::EAGAIN);
    assert_errno!(getpeername(&second), Errno::ENOTCONN, "the refused socket stays unconnected");
}

/// connect(2): a blocking connect(2) to a full queue cannot fail with EAGAIN (that is the
/// nonblocking case); it waits for room. One child per kind of listener name blocks in
/// connect(2); after the server accepts one pending connection, the child's connect
/// completes and is accepted next.
#[apply(connection_types)]
#[rstest]
#[serial]
fn blocking_connect_to_a_full_backlog_waits_for_accept(#[case] ty: SockType) {
    let s = Scratch::new();
    let kinds = [AddrKind::Pathname, AddrKind::Abstract, AddrKind::Autobind];
    let listeners: Vec<(OwnedFd, UnixAddr)> = kinds
        .iter()
        .map(|&k| {
            // Pathname listeners need distinct files.
            let sub = Scratch::new();
            let l = listener(ty, k, if k == AddrKind::Pathname { &s } else { &sub }, 0);
            assert_eq!(connect(socket(ty, libc::SOCK_NONBLOCK), &l.1), Ok(()));
            l
        })
        .collect();
    let mut waiters: Vec<_> = listeners
        .iter()
        .zip(kinds)
        .map(|((_, name), k)| {
            spawn(&format!("connect to a full {k:?} listener"), move || {
                let c = socket(ty, 0);
                assert_eq!(connect(&c, name), Ok(()));
                send(&c, b"in", 0).unwrap();
            })
        })
        .collect();
    assert_all_blocked_in(&mut waiters, fixtures::blocked::calls::CONNECT, "connect(2) to a full backlog");
    for ((l, _), mut w) in listeners.iter().zip(waiters) {
        let first = accept(l).expect("accept the connection that filled the queue");
        w.join().expect_success();
        let second = accept(l).expect("accept the waiter's connection");
        assert_eq!(recv_vec(&second, 8, libc::MSG_DONTWAIT).as_deref(), Ok(&b"in"[..]));
        drop(first);
    }
}

/// accept(2): "It extracts the first connection request on the queue of pending connections"
/// — taking one off the queue makes room for exactly one more.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn accepting_a_connection_frees_one_backlog_slot(#[case] ty: SockType) {
    let (l, name, _s) = named_listener(ty, AddrKind::Abstract, 2);
    let _clients = admits(ty, &name, 3);
    let _served = accept(&l).unwrap();
    admits(ty, &name, 1);
}

/// listen(2) on a socket that is already listening sets a new backlog (net/unix/af_unix.c,
/// unix_listen() updates sk_max_ack_backlog): after listen(0) admits one connection, listen(3)
/// admits three more (four in all).
#[apply(connection_types)]
#[rstest]
#[parallel]
fn listen_again_changes_the_backlog(#[case] ty: SockType) {
    let (l, name, _s) = named_listener(ty, AddrKind::Abstract, 0);
    let _first = admits(ty, &name, 1);
    assert_eq!(listen(&l, 3), Ok(()));
    admits(ty, &name, 3);
}

/// listen(2), NOTES: "If the backlog argument is greater than the value in
/// /proc/sys/net/core/somaxconn, then it is silently capped to that value." A backlog far
/// above it, and a negative one (which the kernel compares as unsigned), both admit exactly
/// somaxconn + 1 connections. Run in a child that raises its soft RLIMIT_NOFILE to hold the
/// clients.
#[rstest]
#[serial]
#[case::above_somaxconn(None)]
#[case::negative(Some(-1))]
fn a_backlog_above_somaxconn_is_capped(#[case] backlog: Option<c_int>) {
    // variant: none — somaxconn only sets the expected count (somaxconn + 1); the
    // RLIMIT_NOFILE gate is about room for the clients, not about the claim.
    let somaxconn = fixtures::sysctl::read_u64("net/core/somaxconn");
    let needed = somaxconn + 256;
    needs!(gate(if nofile_hard_limit() >= needed {
        Ok(())
    } else {
        Err(format!("RLIMIT_NOFILE hard limit below {needed} ({} clients for somaxconn {somaxconn})", somaxconn + 1))
    }));
    let s = Scratch::new();
    run_in_child("filler", || {
        set_nofile_soft_limit(needed);
        let backlog = backlog.unwrap_or(somaxconn as c_int * 2 + 1000);
        let (l, name) = listener(SockType::Stream, AddrKind::Abstract, &s, backlog);
        let (clients, err) = connect_until_refused(SockType::Stream, &name, somaxconn as usize + 8);
        assert_eq!(clients.len() as u64, somaxconn + 1, "listen({backlog}) with somaxconn {somaxconn}");
        assert_eq!(err, Errno::EAGAIN);
        drop(l);
    })
    .expect_success();
}

/// accept(2): "It extracts the first connection request on the queue of pending
/// connections": connections are accepted in the order they were made.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn pending_connections_are_accepted_in_order(#[case] ty: SockType) {
    let (l, name, _s) = named_listener(ty, AddrKind::Pathname, 8);
    let clients: Vec<OwnedFd> = (0..5u8)
        .map(|i| {
            let c = connected_client(ty, &name);
            send(&c, &[i], 0).unwrap();
            c
        })
        .collect();
    for i in 0..5u8 {
        let served = accept(&l).unwrap();
        assert_eq!(recv_vec(&served, 4, libc::MSG_DONTWAIT).unwrap(), [i]);
    }
    drop(clients);
}
