//! Broadcast and SO_BROADCAST (ip(7), socket(7)).
//!
//! Refused sends never leave the host (the permission check comes before anything is
//! sent). Broadcasts that are actually sent are sent only inside a private network
//! namespace made by a child, whose only interface is its own loopback.

use fixtures::net::{SockAddr, bind, connect, getsockopt_int, local_addr, recv_from_ready, send_to, setsockopt_int};
use fixtures::{assert_errno, needs, ns, run_in_child};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::socket;
use nix::errno::Errno;
use rstest::rstest;

/// ip(7): "Datagrams to broadcast addresses can be sent or received only when the
/// SO_BROADCAST socket flag is set"; ERRORS: "EACCES ... sending a packet to a broadcast
/// address without having the SO_BROADCAST flag set". SO_BROADCAST is off on a new socket.
/// Checked for the limited broadcast address 255.255.255.255 (from a socket bound to
/// 127.0.0.1, so the route is the loopback device's) and for 127.255.255.255, the
/// broadcast address of the loopback network.
#[rstest]
#[case::limited([255, 255, 255, 255])]
#[case::loopback_network([127, 255, 255, 255])]
fn sending_to_a_broadcast_address_without_so_broadcast_fails_eacces(#[case] dest: [u8; 4]) {
    let u = socket(Family::V4, Proto::Udp);
    bind(&u, &Family::V4.loopback(0)).unwrap();
    assert_eq!(getsockopt_int(&u, libc::SOL_SOCKET, libc::SO_BROADCAST), Ok(0));
    let port = local_addr(&u).port();
    assert_errno!(send_to(&u, b"x", 0, &SockAddr::v4(dest, port)), Errno::EACCES);
}

/// connect(2) to a broadcast address is refused the same way (EACCES) without
/// SO_BROADCAST: net/ipv4/datagram.c, __ip4_datagram_connect() checks RTCF_BROADCAST
/// against SOCK_BROADCAST. Nothing is sent by connect.
#[test]
fn connecting_udp_to_a_broadcast_address_without_so_broadcast_fails_eacces() {
    let u = socket(Family::V4, Proto::Udp);
    bind(&u, &Family::V4.loopback(0)).unwrap();
    assert_errno!(connect(&u, &SockAddr::v4([255, 255, 255, 255], 9)), Errno::EACCES);
}

/// socket(7), SO_BROADCAST: "When enabled, datagram sockets are allowed to send packets to
/// a broadcast address." In a private network namespace (loopback only): with the flag
/// set, datagrams to 127.255.255.255 and to 255.255.255.255 reach a socket bound to the
/// wildcard address on that port, from the sender's address.
#[test]
fn with_so_broadcast_a_broadcast_datagram_is_delivered() {
    needs!(gate(ns::netns_available()));
    run_in_child("broadcast in a private netns", || {
        ns::enter_netns().unwrap();
        let rx = socket(Family::V4, Proto::Udp);
        bind(&rx, &Family::V4.any(0)).unwrap();
        let port = local_addr(&rx).port();
        let tx = socket(Family::V4, Proto::Udp);
        bind(&tx, &Family::V4.loopback(0)).unwrap();
        setsockopt_int(&tx, libc::SOL_SOCKET, libc::SO_BROADCAST, 1).unwrap();
        assert_eq!(getsockopt_int(&tx, libc::SOL_SOCKET, libc::SO_BROADCAST), Ok(1));
        for dest in [[127, 255, 255, 255], [255, 255, 255, 255]] {
            assert_eq!(send_to(&tx, &dest, 0, &SockAddr::v4(dest, port)), Ok(4), "send to {dest:?}");
            let mut b = [0u8; 8];
            let (n, from) = recv_from_ready(&rx, &mut b);
            assert_eq!(&b[..n], &dest);
            assert_eq!(from, local_addr(&tx));
        }
    })
    .expect_success();
}
