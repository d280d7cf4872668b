//! getsockname(2), getpeername(2), accept(2) and recvfrom(2) addresses for every address
//! kind (unix(7), "Address format": pathname, unnamed, abstract) and the returned addrlen.

use fixtures::cases::{connection_types, message_types, socket_types};
use fixtures::net::SockType;
use std::path::Path;

use fixtures::net::{bind, connect, listen, send};
use fixtures::{Scratch, assert_errno};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::parallel;
use unix_sockets::addr::{FAMILY_LEN, UnixAddr, UnixAddrExt, getpeername, getsockname, recvfrom};
use unix_sockets::calls::{socket, socketpair};
use unix_sockets::cases::types_and_kinds;
use unix_sockets::AddrKind;
use unix_sockets::pairs::{bound_socket, connected_client, connected_pair, named_listener, named_socket};
use libc::socklen_t;
use rstest_reuse::apply;

/// The length unix(7) gives for a returned pathname: "offsetof(struct sockaddr_un, sun_path)
/// + strlen(sun_path) + 1".
fn pathname_len(p: &Path) -> socklen_t {
    FAMILY_LEN + p.as_os_str().len() as socklen_t + 1
}

/// Check that `got` is the address unix(7) says a socket bound as `kind` reports.
#[track_caller]
fn assert_shape(got: &UnixAddr, kind: AddrKind, expected: &UnixAddr) {
    assert_eq!(got.sun_family(), libc::AF_UNIX as u16, "{got:?}");
    match kind {
        AddrKind::Socketpair => assert_eq!(got.len(), FAMILY_LEN, "unnamed: {got:?}"),
        AddrKind::Pathname => {
            assert_eq!(got, expected);
            assert_eq!(*got.path_bytes().last().unwrap(), 0, "pathname is null-terminated");
            assert_eq!(got.path_bytes().iter().filter(|&&b| b == 0).count(), 1);
        }
        AddrKind::Abstract => {
            assert_eq!(got, expected);
            assert!(got.len() > FAMILY_LEN, "unix(7): abstract addrlen is greater than sizeof(sa_family_t)");
            assert_eq!(got.path_bytes()[0], 0);
        }
        AddrKind::Autobind => {
            assert_eq!(got, expected);
            assert_eq!(got.len(), FAMILY_LEN + 6);
        }
    }
}

/// unix(7), "unnamed": "When the address of an unnamed socket is returned, its length is
/// sizeof(sa_family_t), and sun_path should not be inspected." A fresh socket is unnamed.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn getsockname_of_an_unbound_socket_has_length_sizeof_sa_family(#[case] ty: SockType) {
    let got = getsockname(socket(ty, 0));
    assert_eq!(got.len(), FAMILY_LEN);
    assert_eq!(got.sun_family(), libc::AF_UNIX as u16);
}

/// unix(7), "Address format": a pathname is returned with length "offsetof(struct
/// sockaddr_un, sun_path) + strlen(sun_path) + 1" and "sun_path contains the
/// null-terminated pathname"; an abstract name with "addrlen ... greater than
/// sizeof(sa_family_t)" and the name in "the first (addrlen - sizeof(sa_family_t)) bytes";
/// "the two sockets created by socketpair(2) are unnamed". For every type and kind, each end
/// of a connected pair reports its own name: for stream and seqpacket the accepting end has
/// the listener's name and the connecting end none; datagram ends have their bound names.
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn getsockname_reports_each_ends_own_name(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    assert_shape(&getsockname(&p.b), kind, &p.b_name);
    if kind == AddrKind::Pathname {
        assert_eq!(
            getsockname(&p.b).len(),
            pathname_len(&p.scratch.join(if ty == SockType::Dgram { "b" } else { "listener" }))
        );
    }
    if ty == SockType::Dgram {
        assert_shape(&getsockname(&p.a), kind, &p.a_name);
    } else {
        assert_eq!(getsockname(&p.a).len(), FAMILY_LEN, "the connecting end is unnamed");
    }
}

/// getpeername(2) returns "the address of the peer connected to the socket": each end of a
/// connected pair reports the other end's name, of whatever kind (unnamed for socketpairs
/// and for a stream client that never bound).
#[apply(types_and_kinds)]
#[rstest]
#[parallel]
fn getpeername_reports_the_other_ends_name(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    assert_shape(&getpeername(&p.a).unwrap(), kind, &p.b_name);
    let peer_of_b = getpeername(&p.b).unwrap();
    if ty == SockType::Dgram {
        assert_shape(&peer_of_b, kind, &p.a_name);
    } else {
        assert_eq!(peer_of_b.len(), FAMILY_LEN, "the client never bound: {peer_of_b:?}");
    }
}

/// getpeername(2), ERRORS: "ENOTCONN The socket is not connected." Also for a listening
/// socket, which has no peer.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn getpeername_of_an_unconnected_socket_fails_enotconn(#[case] ty: SockType) {
    let fd = socket(ty, 0);
    assert_errno!(getpeername(&fd), Errno::ENOTCONN);
    if ty.connection_oriented() {
        bind(&fd, &UnixAddr::unnamed()).unwrap();
        listen(&fd, 1).unwrap();
        assert_errno!(getpeername(&fd), Errno::ENOTCONN, "a listening socket has no peer");
    }
}

/// How the client of an accept(2) or the sender of a datagram is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientName {
    Unbound,
    Pathname,
    Abstract,
    Autobind,
}

fn client(ty: SockType, name: ClientName, s: &Scratch) -> (std::os::fd::OwnedFd, UnixAddr) {
    match name {
        ClientName::Unbound => (socket(ty, 0), UnixAddr::unnamed()),
        ClientName::Pathname => bound_socket(ty, 0, AddrKind::Pathname, s, "client"),
        ClientName::Abstract => bound_socket(ty, 0, AddrKind::Abstract, s, "client"),
        ClientName::Autobind => bound_socket(ty, 0, AddrKind::Autobind, s, "client"),
    }
}

/// accept(2): "The argument addr is a pointer to a sockaddr structure. This structure is
/// filled in with the address of the peer socket ... addrlen ... will contain the actual
/// size of the peer address." A client that bound before connecting is reported by its name
/// (pathname, abstract or autobound); one that did not, as unnamed (length
/// sizeof(sa_family_t)).
#[apply(connection_types)]
#[rstest]
#[parallel]
fn accept_reports_the_clients_address(
    #[case] ty: SockType,
    #[values(
        /// unbound
        ClientName::Unbound,
        /// pathname
        ClientName::Pathname,
        /// abstract_name
        ClientName::Abstract,
        /// autobind
        ClientName::Autobind
    )]
    name: ClientName,
) {
    let (l, laddr, s) = named_listener(ty, AddrKind::Abstract, 1);
    let (c, caddr) = client(ty, name, &s);
    connect(&c, &laddr).unwrap();
    let (_served, peer) = fixtures::net::accept_with_addr(&l, 0).unwrap();
    if name == ClientName::Unbound {
        assert_eq!(peer.len(), FAMILY_LEN);
    } else {
        assert_eq!(peer, caddr);
    }
}

/// recvfrom(2): "If src_addr is not NULL, and the underlying protocol provides the source
/// address of the message, that source address is placed in the buffer"; unix(7) lists
/// recvfrom(2) among the calls returning a sockaddr_un. A datagram from a named sender comes
/// with that name (pathname, abstract or autobound), byte for byte.
#[rstest]
#[parallel]
#[case::pathname(ClientName::Pathname)]
#[case::abstract_name(ClientName::Abstract)]
#[case::autobind(ClientName::Autobind)]
fn recvfrom_reports_a_named_senders_address(#[case] name: ClientName) {
    let (r, raddr, s) = named_socket(SockType::Dgram, 0, AddrKind::Abstract, "receiver");
    let (c, caddr) = client(SockType::Dgram, name, &s);
    assert_eq!(fixtures::net::send_to(&c, b"hello", 0, &raddr), Ok(5));
    let (data, from) = recvfrom(&r, 16, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(data, b"hello");
    assert_eq!(from, caddr);
}

/// unix(7), "unnamed": "When the address of an unnamed socket is returned, its length is
/// sizeof(sa_family_t)" — true for getsockname(2), getpeername(2) and accept(2). Linux differs
/// from unix(7) for recvfrom(2): a datagram from an unnamed sender returns addrlen 0 and leaves
/// the buffer untouched, not even sun_family written (net/unix/af_unix.c, unix_copy_addr()
/// copies nothing when the sender has no address). See docs/findings.md.
#[apply(message_types)]
#[rstest]
#[parallel]
fn recvfrom_from_an_unnamed_sender_reports_addrlen_zero(#[case] ty: SockType) {
    let (r, c) = if ty == SockType::Dgram {
        let (r, raddr, _s) = named_socket(ty, 0, AddrKind::Abstract, "receiver");
        let c = connected_client(ty, &raddr);
        (r, c)
    } else {
        socketpair(ty, 0)
    };
    assert_eq!(send(&c, b"anon", 0), Ok(4));
    let (data, from) = recvfrom(&r, 16, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(data, b"anon");
    assert_eq!(from.len(), 0);
    assert!(from.buffer().iter().all(|&b| b == 0), "nothing was written to the address buffer");
}
