//! shutdown(2) on AF_UNIX sockets: half-close in each direction, what each end sees
//! afterwards, and the argument checks.

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;
use fixtures::child::assert_all_blocked_in;
use fixtures::net::{bind, recv, send};
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::addr::UnixAddr;
use unix_sockets::calls::{recv_vec, shutdown, socket, socketpair};
use unix_sockets::cases::{address_kinds, connection_types_and_kinds, types_and_kinds};
use unix_sockets::{AddrKind, Blocking};
use unix_sockets::pairs::{connected_pair, pairs_of_every_kind};
use libc::c_int;
use rstest_reuse::apply;

/// shutdown(2): "If how is SHUT_WR, further transmissions will be disallowed." On a
/// connection the peer then reads what was sent before and then end of file (0), while the
/// other direction still carries data.
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn shut_wr_gives_the_peer_end_of_file_and_keeps_the_other_direction(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"before", 0).unwrap();
    assert_eq!(shutdown(&p.a, libc::SHUT_WR), Ok(()));
    assert_eq!(recv_vec(&p.b, 16, libc::MSG_DONTWAIT).unwrap(), b"before");
    let mut b = [0u8; 8];
    assert_eq!(recv(&p.b, &mut b, libc::MSG_DONTWAIT), Ok(0), "end of file, not EAGAIN");
    assert_eq!(send(&p.b, b"reply", 0), Ok(5));
    assert_eq!(recv_vec(&p.a, 16, libc::MSG_DONTWAIT).unwrap(), b"reply");
}

/// send(2), ERRORS: "EPIPE The local end has been shut down on a connection oriented
/// socket" (checked with MSG_NOSIGNAL). Linux applies it to AF_UNIX datagram sockets as
/// well: after SHUT_WR every send fails with EPIPE.
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn send_after_own_shut_wr_fails_epipe(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    shutdown(&p.a, libc::SHUT_WR).unwrap();
    assert_errno!(send(&p.a, b"x", libc::MSG_NOSIGNAL), Errno::EPIPE);
    if ty == SockType::Dgram {
        let mut b = [0u8; 8];
        assert_errno!(recv(&p.b, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN, "nothing was sent");
    }
}

/// shutdown(2): "If how is SHUT_RD, further receptions will be disallowed." On Linux data
/// already queued can still be read; after it, recv(2) returns 0 at once (end of file, even
/// on a socket that would otherwise block).
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn shut_rd_lets_queued_data_be_read_then_reports_end_of_file(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"queued", 0).unwrap();
    assert_eq!(shutdown(&p.b, libc::SHUT_RD), Ok(()));
    assert_eq!(recv_vec(&p.b, 16, 0).unwrap(), b"queued");
    let mut b = [0u8; 8];
    assert_eq!(recv(&p.b, &mut b, 0), Ok(0));
}

/// shutdown(2), SHUT_RD ("further receptions will be disallowed"): on AF_UNIX the peer learns
/// of it at once — its sends fail with EPIPE (net/unix/af_unix.c, unix_shutdown() marks the
/// peer's send side shut for stream and seqpacket; a datagram sender is refused by a
/// receiver that shut its receive side). Checked with MSG_NOSIGNAL.
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn shut_rd_makes_the_peers_send_fail_epipe(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    shutdown(&p.b, libc::SHUT_RD).unwrap();
    assert_errno!(send(&p.a, b"x", libc::MSG_NOSIGNAL), Errno::EPIPE);
}

/// shutdown(2): "If how is SHUT_RDWR, further receptions and transmissions will be
/// disallowed." On a connection both ends are then finished: each reads end of file and
/// each send fails with EPIPE.
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn shut_rdwr_ends_the_connection_for_both_ends(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    assert_eq!(shutdown(&p.a, libc::SHUT_RDWR), Ok(()));
    let mut b = [0u8; 8];
    for (end, fd) in [("shut end", &p.a), ("peer", &p.b)] {
        assert_eq!(recv(fd, &mut b, 0), Ok(0), "{end} reads end of file");
        assert_errno!(send(fd, b"x", libc::MSG_NOSIGNAL), Errno::EPIPE, "{end} cannot send");
    }
}

/// shutdown(2), SHUT_WR, for a reader already asleep: the peer's half-close wakes a child
/// blocked in recv(2), which returns 0.
#[apply(connection_types)]
#[rstest]
#[serial]
fn shut_wr_wakes_a_blocked_reader_with_end_of_file(#[case] ty: SockType) {
    let pairs = pairs_of_every_kind(ty, Blocking::Blocking);
    let mut readers: Vec<_> = pairs
        .iter()
        .map(|p| {
            spawn(&format!("blocked reader over {:?}", p.kind), || {
                let mut b = [0u8; 8];
                assert_eq!(recv(&p.b, &mut b, 0), Ok(0));
            })
        })
        .collect();
    assert_all_blocked_in(&mut readers, fixtures::blocked::calls::RECV, "recv(2) before the peer's SHUT_WR");
    for (p, mut r) in pairs.iter().zip(readers) {
        shutdown(&p.a, libc::SHUT_WR).unwrap();
        r.join().expect_success();
    }
}

/// On a datagram socket shutdown(2) is local: after SHUT_WR on one end, the other end can
/// still send to it and the datagram is received (net/unix/af_unix.c, unix_shutdown() only
/// tells the peer for stream and seqpacket sockets).
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn shut_wr_on_a_datagram_socket_does_not_stop_the_peer(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Dgram, kind);
    shutdown(&p.a, libc::SHUT_WR).unwrap();
    assert_eq!(send(&p.b, b"still", 0), Ok(5));
    assert_eq!(recv_vec(&p.a, 16, libc::MSG_DONTWAIT).unwrap(), b"still");
}

/// shutdown(2), ERRORS: "EINVAL An invalid value was specified in how (but see BUGS)";
/// BUGS: UNIX domain sockets "simply ignored invalid values. This problem was fixed for UNIX
/// domain sockets in Linux 3.7."
#[apply(socket_types)]
#[rstest]
#[parallel]
fn shutdown_with_an_invalid_how_fails_einval(
    #[case] ty: SockType,
    #[values(
        /// minus_one
        -1,
        /// three
        3,
        /// seven
        7
    )]
    how: c_int,
) {
    let (a, _b) = socketpair(ty, 0);
    assert_errno!(shutdown(&a, how), Errno::EINVAL, "how = {how}");
}

/// Linux differs from shutdown(2), whose ERRORS list "ENOTCONN The specified socket is not
/// connected": AF_UNIX never reports it; shutdown(2) of an unconnected socket succeeds and
/// just marks the socket (a later send fails with EPIPE). See docs/findings.md.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn shutdown_of_an_unconnected_socket_succeeds(
    #[case] ty: SockType,
    #[values(
        /// shut_rd
        libc::SHUT_RD,
        /// shut_wr
        libc::SHUT_WR,
        /// shut_rdwr
        libc::SHUT_RDWR
    )]
    how: libc::c_int,
) {
    let fd = socket(ty, 0);
    assert_eq!(shutdown(&fd, how), Ok(()));
    if how != libc::SHUT_RD && ty == SockType::Dgram {
        let receiver = socket(ty, 0);
        let addr = UnixAddr::unique_abstract("receiver");
        bind(&receiver, &addr).unwrap();
        assert_errno!(fixtures::net::send_to(&fd, b"x", libc::MSG_NOSIGNAL, &addr), Errno::EPIPE);
    }
}
