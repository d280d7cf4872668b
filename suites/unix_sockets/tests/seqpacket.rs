//! SOCK_SEQPACKET (unix(7): "a sequenced-packet socket that is connection-oriented,
//! preserves message boundaries, and delivers messages in the order that they were sent"):
//! the claims that set it apart from both streams and datagrams. Boundaries, truncation and
//! end of file are covered with the other types in datagram.rs and stream_data.rs.

use fixtures::net::SockType;
use fixtures::net::send;
use fixtures::assert_errno;
use nix::errno::Errno;
use rstest::rstest;
use serial_test::parallel;
use unix_sockets::addr::UnixAddr;
use unix_sockets::calls::{recv_vec, socket};
use unix_sockets::cases::address_kinds;
use unix_sockets::AddrKind;
use unix_sockets::pairs::{connected_pair, named_listener};
use rstest_reuse::apply;

/// send(2): "If sendto() is used on a connection-mode (SOCK_STREAM, SOCK_SEQPACKET) socket,
/// ... the error ENOTCONN is returned when the socket was not actually connected." A
/// seqpacket socket cannot be used like a datagram socket, even towards a listening address.
#[test]
#[parallel]
fn sendto_on_an_unconnected_seqpacket_socket_fails_enotconn() {
    let (_l, name, _s) = named_listener(SockType::Seqpacket, AddrKind::Abstract, 4);
    assert_errno!(fixtures::net::send_to(socket(SockType::Seqpacket, 0), b"x", 0, &name), Errno::ENOTCONN);
}

/// send(2): "If sendto() is used on a connection-mode (SOCK_STREAM, SOCK_SEQPACKET) socket,
/// the arguments dest_addr and addrlen are ignored (and the error EISCONN may be returned
/// when they are not NULL and 0)". A connected seqpacket socket ignores them — even an
/// address where nothing listens — and the record goes to the peer (a stream returns
/// EISCONN instead, see unconnected.rs).
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn sendto_on_a_connected_seqpacket_socket_ignores_the_address(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Seqpacket, kind);
    let nowhere = UnixAddr::unique_abstract("nowhere");
    assert_eq!(fixtures::net::send_to(&p.a, b"record", 0, &nowhere), Ok(6));
    assert_eq!(recv_vec(&p.b, 16, libc::MSG_DONTWAIT).unwrap(), b"record");
}

/// socket(2): "SOCK_SEQPACKET sockets employ the same system calls as SOCK_STREAM sockets.
/// The only difference is that read(2) calls will return only the amount of data requested,
/// and any data remaining in the arriving packet will be discarded." Checked with read(2)
/// itself.
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn read_returns_part_of_a_record_and_discards_the_rest(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Seqpacket, kind);
    nix::unistd::write(&p.a, b"first record").unwrap();
    nix::unistd::write(&p.a, b"second").unwrap();
    let mut buf = [0u8; 5];
    assert_eq!(nix::unistd::read(&p.b, &mut buf), Ok(5));
    assert_eq!(&buf, b"first");
    let mut buf = [0u8; 32];
    assert_eq!(nix::unistd::read(&p.b, &mut buf), Ok(6));
    assert_eq!(&buf[..6], b"second");
}

/// unix(7): SOCK_SEQPACKET "delivers messages in the order that they were sent", each as
/// sent: many records of varying sizes come back one per receive, in order, both ways.
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn records_are_delivered_whole_in_order_both_ways(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Seqpacket, kind);
    for (from, to) in [(&p.a, &p.b), (&p.b, &p.a)] {
        let msgs: Vec<Vec<u8>> = (0..20usize).map(|i| vec![i as u8; 1 + (i * 53) % 700]).collect();
        for m in &msgs {
            assert_eq!(send(from, m, 0), Ok(m.len()));
        }
        for m in &msgs {
            assert_eq!(&recv_vec(to, 1024, libc::MSG_DONTWAIT).unwrap(), m);
        }
    }
}
