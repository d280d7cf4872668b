//! IPv6 sockets and IPv4 peers: v4-mapped addresses and IPV6_V6ONLY (ipv6(7)).

use fixtures::net::{SockAddr, accept_ready, bind, connect, getsockopt_int, listen, local_addr, recv_from_ready, send_to, setsockopt_int};
use fixtures::{assert_errno, needs, ns, run_in_child, variant};
use inet_sockets::addr::{Family, Proto, v4_mapped};
use inet_sockets::sockets::{socket, udp_bound};
use inet_sockets::cases::transports;
use rstest_reuse::apply;
use nix::errno::Errno;
use rstest::rstest;

fn v6only(fd: &impl std::os::fd::AsFd) -> i32 {
    getsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY).expect("getsockopt(IPV6_V6ONLY)")
}

/// An IPv6 socket of `proto` with IPV6_V6ONLY set to `only` (0 or 1).
fn ipv6_socket(proto: Proto, only: i32) -> std::os::fd::OwnedFd {
    let s = socket(Family::V6, proto);
    setsockopt_int(&s, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, only).expect("setsockopt(IPV6_V6ONLY)");
    s
}

/// ipv6(7), IPV6_V6ONLY: "The default value for this flag is defined by the contents of the
/// file /proc/sys/net/ipv6/bindv6only." Reports the value seen: `bindv6only-0` (new IPv6
/// sockets are dual-stack, Linux's default) or `bindv6only-1` (they are v6-only).
#[test]
fn ipv6_v6only_defaults_to_bindv6only() {
    needs!(available(Family::V6.availability()));
    let default = fixtures::sysctl::read_u64("net/ipv6/bindv6only") as i32;
    if default == 0 {
        variant::observed("bindv6only-0", "net.ipv6.bindv6only is 0: new IPv6 sockets accept IPv4-mapped traffic by default");
    } else {
        variant::observed("bindv6only-1", format_args!("net.ipv6.bindv6only is {default}: new IPv6 sockets are v6-only by default"));
    }
    for proto in [Proto::Tcp, Proto::Udp] {
        let s = socket(Family::V6, proto);
        assert_eq!(v6only(&s), default, "{proto:?} socket");
    }
}

/// ipv6(7): "IPv4 connections can be handled with the v6 API by using the v4-mapped-on-v6
/// address type"; "When you get an IPv4 connection or packet to an IPv6 socket, its source
/// address will be mapped to v6"; "Special addresses are ... ::FFFF:<IPv4 address> for
/// IPv4-mapped-on-IPv6." A TCP listener on [::] with IPV6_V6ONLY off accepts a connection
/// from an AF_INET client; accept reports the peer as ::ffff:127.0.0.1 with the client's
/// port, and the accepted socket's own address as ::ffff:127.0.0.1.
#[test]
fn ipv6_wildcard_listener_accepts_ipv4_clients_as_v4_mapped_peers() {
    needs!(available(Family::V6.availability()));
    let l = ipv6_socket(Proto::Tcp, 0);
    bind(&l, &Family::V6.any(0)).unwrap();
    listen(&l, 4).unwrap();
    let port = local_addr(&l).port();
    let c = socket(Family::V4, Proto::Tcp);
    connect(&c, &Family::V4.loopback(port)).unwrap();
    let (s, peer) = accept_ready(&l);
    let client = local_addr(&c);
    assert_eq!(peer.family(), libc::AF_INET6, "peer family");
    assert_eq!(peer, SockAddr::v6(v4_mapped([127, 0, 0, 1]), client.port()));
    assert_eq!(local_addr(&s), SockAddr::v6(v4_mapped([127, 0, 0, 1]), port));
}

/// The same for UDP: recvfrom(2) on an AF_INET6 socket bound to [::] reports a datagram
/// from an AF_INET sender as coming from ::ffff:127.0.0.1 (ipv6(7)), and a reply sent to
/// that mapped address reaches the IPv4 socket.
#[test]
fn ipv6_wildcard_udp_socket_sees_ipv4_senders_as_v4_mapped() {
    needs!(available(Family::V6.availability()));
    let u = ipv6_socket(Proto::Udp, 0);
    bind(&u, &Family::V6.any(0)).unwrap();
    let port = local_addr(&u).port();
    let (v4, v4addr) = udp_bound(Family::V4);
    send_to(&v4, b"hello", 0, &Family::V4.loopback(port)).unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = recv_from_ready(&u, &mut buf);
    assert_eq!(&buf[..n], b"hello");
    assert_eq!(from, SockAddr::v6(v4_mapped([127, 0, 0, 1]), v4addr.port()));
    send_to(&u, b"reply", 0, &from).unwrap();
    let (n, from4) = recv_from_ready(&v4, &mut buf);
    assert_eq!(&buf[..n], b"reply");
    assert_eq!(from4, Family::V4.loopback(port));
}

/// ipv6(7), IPV6_V6ONLY: "If this flag is set to true (nonzero), then the socket is
/// restricted to sending and receiving IPv6 packets only." An IPv4 client connecting to the
/// port of a v6-only wildcard listener finds no listener: ECONNREFUSED. (The port is held
/// for IPv4 by a non-listening AF_INET socket, so no other process can be listening there.)
///
/// The IPv4 holder is bound first (port 0: the kernel picks a port free for 127.0.0.1),
/// then the v6-only listener on the same port: a v6-only wildcard bind conflicts only with
/// IPv6 sockets, so it fails only when another process's IPv6 socket uses that port, and
/// then another port is tried (a bounded number of times).
#[test]
fn ipv6_v6only_listener_does_not_accept_ipv4_clients() {
    needs!(available(Family::V6.availability()));
    let mut attempts = 0;
    let (l, keeper, port) = loop {
        let keeper = socket(Family::V4, Proto::Tcp);
        bind(&keeper, &Family::V4.loopback(0)).unwrap();
        let port = local_addr(&keeper).port();
        let l = ipv6_socket(Proto::Tcp, 1);
        match bind(&l, &Family::V6.any(port)) {
            Ok(()) => break (l, keeper, port),
            Err(Errno::EADDRINUSE) if attempts < 16 => attempts += 1,
            Err(e) => panic!("binding [::]:{port} v6-only beside 127.0.0.1:{port} (attempt {attempts}): {e}"),
        }
    };
    listen(&l, 4).unwrap();
    let c = socket(Family::V4, Proto::Tcp);
    assert_errno!(connect(&c, &Family::V4.loopback(port)), Errno::ECONNREFUSED);
    let c6 = socket(Family::V6, Proto::Tcp);
    connect(&c6, &Family::V6.loopback(port)).expect("an IPv6 client is accepted");
    drop(keeper);
}

/// ipv6(7): "IPv4 and IPv6 share the local port space"; with IPV6_V6ONLY set "an IPv4 and
/// an IPv6 application can bind to a single port at the same time". So an AF_INET bind to
/// the port of a [::] socket fails with EADDRINUSE when IPV6_V6ONLY is 0 and succeeds when
/// it is 1.
///
/// In a private network namespace: the port the kernel picks for the v6-only socket is free
/// only for IPv6, and on a shared machine another process's IPv4 socket may hold it (seen
/// under load: EADDRINUSE for the v6-only case). Alone in a namespace, nothing else does.
#[apply(transports)]
fn ipv4_bind_to_the_port_of_an_ipv6_wildcard_socket_depends_on_v6only(
    #[case] proto: Proto,
    #[values(
        /// off
        (0, Err(Errno::EADDRINUSE)),
        /// on
        (1, Ok(())),
    )]
    ipv6_v6only: (i32, Result<(), Errno>),
) {
    needs!(available(Family::V6.availability()), gate(ns::netns_available()));
    let (only, expected) = ipv6_v6only;
    run_in_child("binding both families in a private netns", || {
        ns::enter_netns().unwrap();
        let s6 = ipv6_socket(proto, only);
        bind(&s6, &Family::V6.any(0)).expect("binding [::]:0 in the private namespace");
        let port = local_addr(&s6).port();
        let s4 = socket(Family::V4, proto);
        assert_eq!(bind(&s4, &Family::V4.any(port)), expected, "IPV6_V6ONLY={only}");
    })
    .expect_success();
}

/// ipv6(7), IPV6_V6ONLY: with the flag false "the socket can be used to send and receive
/// packets to and from an IPv6 address or an IPv4-mapped IPv6 address"; with it true it is
/// restricted to IPv6, so connecting it to a v4-mapped address fails with ENETUNREACH
/// (net/ipv6/datagram.c, __ip6_datagram_connect(): a mapped destination on an
/// ipv6_only_sock() is refused with -ENETUNREACH; tcp_v6_connect() does the same).
#[test]
fn a_v6only_socket_cannot_reach_a_v4_mapped_address() {
    needs!(available(Family::V6.availability()));
    let (_v4, v4addr) = udp_bound(Family::V4);
    let mapped = SockAddr::v6(v4_mapped([127, 0, 0, 1]), v4addr.port());
    let dual = ipv6_socket(Proto::Udp, 0);
    assert_eq!(connect(&dual, &mapped), Ok(()));
    let only = ipv6_socket(Proto::Udp, 1);
    assert_errno!(connect(&only, &mapped), Errno::ENETUNREACH);
}
