//! poll(2) readiness of AF_UNIX sockets (socket(7), "I/O events"; poll(2)): POLLIN, POLLOUT,
//! POLLHUP, POLLRDHUP and POLLERR for each type in each state — fresh, with data, full,
//! after shutdown(2) of either end, after the peer is closed, listening.
//!
//! The masks compared are restricted to POLLIN|POLLPRI|POLLOUT|POLLRDHUP|POLLHUP|POLLERR|
//! POLLNVAL (the *NORM/*BAND aliases are left out) and must match exactly.

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;
use fixtures::net::{recv, send};
use fixtures::assert_errno;
use nix::errno::Errno;
use rstest::rstest;
use serial_test::parallel;
use unix_sockets::calls::{accept, recv_vec, shutdown, socket, socketpair};
use unix_sockets::cases::{address_kinds, connection_types_and_kinds, connection_types_and_named_kinds, named_kinds, types_and_kinds};
use unix_sockets::events::assert_events;
use unix_sockets::AddrKind;
use unix_sockets::pairs::{connected_client, connected_pair, named_listener, named_socket};
use rstest_reuse::apply;

const IN: i16 = libc::POLLIN;
const OUT: i16 = libc::POLLOUT;
const HUP: i16 = libc::POLLHUP;
const RDHUP: i16 = libc::POLLRDHUP;
const ERR: i16 = libc::POLLERR;

/// socket(7), "I/O events": "Write POLLOUT Socket has enough send buffer space for writing
/// new data." A fresh connected socket is writable and nothing else.
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn a_fresh_connected_socket_is_only_writable(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    assert_events(&p.a, OUT, "connecting end");
    assert_events(&p.b, OUT, "accepting end");
}

/// socket(7), "I/O events": "Read POLLIN New data arrived." Only the receiving end changes.
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn queued_data_makes_the_receiver_readable(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"x", 0).unwrap();
    assert_events(&p.b, IN | OUT, "receiver");
    assert_events(&p.a, OUT, "sender");
    recv_vec(&p.b, 4, 0).unwrap();
    assert_events(&p.b, OUT, "receiver after reading");
}

/// socket(7), "I/O events": "Read POLLHUP A connection is broken (only for
/// connection-oriented protocols)", and poll(2): "POLLRDHUP (since Linux 2.6.17) Stream
/// socket peer closed connection, or shut down writing half of connection." When the peer is
/// closed, a stream or seqpacket end reports POLLIN (end of file is readable), POLLHUP and
/// POLLRDHUP — and still POLLOUT, since a write would not block (it fails at once).
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn peer_close_sets_pollhup_and_pollrdhup(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    drop(p.b);
    assert_events(&p.a, IN | OUT | HUP | RDHUP, "after the peer closed");
}

/// socket(7), "I/O events": POLLHUP is "only for connection-oriented protocols": when a
/// datagram socket's peer is closed nothing changes — still just POLLOUT.
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn datagram_peer_close_raises_no_hangup(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Dgram, kind);
    drop(p.b);
    assert_events(&p.a, OUT, "datagram socket after its peer closed");
}

/// poll(2): "POLLRDHUP ... Stream socket peer closed connection, or shut down writing half of
/// connection." socket(7): "Read/Write POLLHUP The other end has shut down one direction" —
/// Linux differs from socket(7): it reports POLLHUP only when both directions are shut; after
/// the peer's SHUT_WR the end sees POLLIN|POLLRDHUP (and POLLOUT), no POLLHUP. See
/// docs/findings.md.
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn peer_shut_wr_sets_pollrdhup_without_pollhup(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    shutdown(&p.b, libc::SHUT_WR).unwrap();
    assert_events(&p.a, IN | OUT | RDHUP, "after the peer's SHUT_WR");
    assert_events(&p.b, OUT, "the end that shut its writing half");
}

/// shutdown(2) SHUT_RD on the socket itself: its reading half is closed, so it reports
/// POLLIN (recv returns at once) and POLLRDHUP, for every type.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn own_shut_rd_sets_pollin_and_pollrdhup(#[case] ty: SockType) {
    let (a, _b) = socketpair(ty, 0);
    shutdown(&a, libc::SHUT_RD).unwrap();
    assert_events(&a, IN | OUT | RDHUP, "after own SHUT_RD");
}

/// shutdown(2) SHUT_RDWR: with both halves closed the socket reports POLLHUP (with POLLIN
/// and POLLRDHUP). For stream and seqpacket the peer is shut the same way; a datagram peer
/// is not affected.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn shut_rdwr_sets_pollhup(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    shutdown(&a, libc::SHUT_RDWR).unwrap();
    assert_events(&a, IN | OUT | HUP | RDHUP, "the end that shut down");
    let peer = if ty.connection_oriented() { IN | OUT | HUP | RDHUP } else { OUT };
    assert_events(&b, peer, "its peer");
}

/// net/unix/af_unix.c, unix_poll()/unix_dgram_poll(): a connection-oriented socket that is not
/// connected (state TCP_CLOSE) reports POLLHUP, as a broken connection does (socket(7)) — a
/// fresh, unconnected stream or seqpacket socket polls POLLOUT|POLLHUP; a datagram socket
/// just POLLOUT.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn an_unconnected_connection_socket_reports_pollhup(#[case] ty: SockType) {
    let expected = if ty.connection_oriented() { OUT | HUP } else { OUT };
    assert_events(socket(ty, 0), expected, "fresh socket");
}

/// socket(7), "I/O events": "Read POLLIN A connection setup has been completed (for
/// connection-oriented sockets)" — a listening socket is readable while a connection waits
/// to be accepted, and not otherwise (not even writable).
#[apply(connection_types_and_named_kinds)]
#[rstest]
#[parallel]
fn a_pending_connection_makes_the_listener_readable(#[case] ty: SockType, #[case] kind: AddrKind) {
    let (l, name, _s) = named_listener(ty, kind, 4);
    assert_events(&l, 0, "idle listener");
    let _c = connected_client(ty, &name);
    assert_events(&l, IN, "listener with a pending connection");
    let _served = accept(&l).unwrap();
    assert_events(&l, 0, "listener after accept");
}

/// socket(7), "I/O events": POLLOUT means "enough send buffer space for writing new data": a
/// socket whose sends would block (EAGAIN) does not report it, and gets it back once the
/// peer has read.
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn a_full_socket_is_not_writable_until_the_peer_reads(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    let chunk = [0u8; 1024];
    loop {
        match send(&p.a, &chunk, libc::MSG_DONTWAIT) {
            Ok(_) => {}
            Err(Errno::EAGAIN) => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
    assert_events(&p.a, 0, "full sender");
    let mut buf = vec![0u8; 1 << 16];
    while recv(&p.b, &mut buf, libc::MSG_DONTWAIT).is_ok() {}
    assert_events(&p.a, OUT, "sender after the peer drained");
}

/// socket(7), "I/O events": "Read/Write POLLERR An asynchronous error occurred." The reset
/// of a peer that closed with unread data is such an error: POLLERR is reported until
/// SO_ERROR ("Get and clear the pending socket error") is read.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn a_pending_reset_sets_pollerr_until_so_error_is_read(#[case] ty: SockType) {
    let p = connected_pair(ty, AddrKind::Socketpair);
    send(&p.a, b"never read", 0).unwrap();
    drop(p.b);
    assert_events(&p.a, IN | OUT | HUP | RDHUP | ERR, "with the reset pending");
    assert_eq!(fixtures::net::getsockopt_int(&p.a, libc::SOL_SOCKET, libc::SO_ERROR), Ok(libc::ECONNRESET));
    assert_events(&p.a, IN | OUT | HUP | RDHUP, "after SO_ERROR cleared it");
}

/// A connected datagram sender is not writable while its peer's receive queue is full
/// (net/unix/af_unix.c, unix_dgram_poll() checks the peer's queue), whereas an unconnected
/// sender, whose destination poll(2) cannot know, stays writable.
#[apply(named_kinds)]
#[rstest]
#[parallel]
fn a_connected_datagram_sender_is_not_writable_while_the_receiver_is_full(#[case] kind: AddrKind) {
    let (r, raddr, _s) = named_socket(SockType::Dgram, 0, kind, "r");
    let connected = connected_client(SockType::Dgram, &raddr);
    let unconnected = socket(SockType::Dgram, 0);
    while send(&connected, b"m", libc::MSG_DONTWAIT).is_ok() {}
    assert_errno!(send(&connected, b"m", libc::MSG_DONTWAIT), Errno::EAGAIN);
    assert_events(&connected, 0, "connected sender to a full receiver");
    assert_events(&unconnected, OUT, "unconnected sender");
    recv_vec(&r, 4, 0).unwrap();
    assert_events(&connected, OUT, "connected sender after the receiver took one");
}
