//! bind(2) for IP sockets: wildcard and loopback addresses, the loopback network, ephemeral
//! ports, and the errors ip(7) lists for bind (EADDRINUSE, EADDRNOTAVAIL, EACCES).

use fixtures::io::read_exact;
use fixtures::net::{SockAddr, accept_ready, bind, connect, listen, local_addr, peer_addr, send, send_to};
use fixtures::{assert_errno, needs, privilege, run_in_child, variant};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::{ephemeral_range, listener, socket, udp_bound};
use inet_sockets::cases::{families, families_and_transports};
use rstest_reuse::apply;
use nix::errno::Errno;
use rstest::rstest;

/// ip(7): "When INADDR_ANY is specified in the bind call, the socket will be bound to all
/// local interfaces"; ipv6(7): the wildcard is in6addr_any. getsockname(2) reports the
/// wildcard address itself (not some local address) and the port the kernel chose.
#[apply(families_and_transports)]
fn bind_to_wildcard_is_reported_as_wildcard(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()));
    let s = socket(fam, proto);
    bind(&s, &fam.any(0)).unwrap();
    let a = local_addr(&s);
    assert_eq!(a.family(), fam.af());
    assert_eq!(a.ip(), fam.any(0).ip(), "getsockname address");
    assert_ne!(a.port(), 0, "getsockname port");
}

/// ip(7): "INADDR_LOOPBACK (127.0.0.1) always refers to the local host via the loopback
/// device"; ipv6(7): "The IPv6 loopback address (::1)". A socket bound to it reports it.
#[apply(families_and_transports)]
fn bind_to_loopback_is_reported_as_loopback(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()));
    let s = socket(fam, proto);
    bind(&s, &fam.loopback(0)).unwrap();
    let a = local_addr(&s);
    assert_eq!(a.ip(), fam.loopback(0).ip());
    assert_ne!(a.port(), 0);
}

/// ip(7): a wildcard-bound listener accepts connections "on all local interfaces"; the
/// connection itself has one specific local address: getsockname(2) on the accepted socket
/// reports the address the client connected to, while the listener still reports the
/// wildcard.
#[apply(families)]
fn accepted_socket_of_a_wildcard_listener_reports_the_specific_local_address(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (l, la) = fixtures::net::listener(&fam.any(0), 4, 0);
    let c = socket(fam, Proto::Tcp);
    let target = fam.loopback(la.port());
    connect(&c, &target).unwrap();
    let (s, peer) = accept_ready(&l);
    assert_eq!(local_addr(&s), target, "accepted socket's local address");
    assert_eq!(peer, local_addr(&c), "accept's peer address is the client's address");
    assert_eq!(local_addr(&l).ip(), fam.any(0).ip(), "the listener stays bound to the wildcard");
}

/// ip(7) names one loopback address: "INADDR_LOOPBACK (127.0.0.1) always refers to the local
/// host via the loopback device"; RFC 1122, 3.2.1.3 (g): "{ 127, <any> } Internal host
/// loopback address": all of 127.0.0.0/8 is local, not just 127.0.0.1. A socket binds to
/// 127.1.2.3 and a client connects to it; the server sees a peer from the same network.
#[test]
fn any_address_in_127_0_0_0_8_can_be_bound_and_connected_to() {
    let (l, la) = fixtures::net::listener(&SockAddr::v4([127, 1, 2, 3], 0), 4, 0);
    assert_eq!(la.ip(), vec![127, 1, 2, 3]);
    let c = socket(Family::V4, Proto::Tcp);
    connect(&c, &la).unwrap();
    assert_eq!(peer_addr(&c), Ok(la));
    let (s, peer) = accept_ready(&l);
    assert_eq!(local_addr(&s), la);
    assert_eq!(peer.ip()[0], 127, "the client's source address {peer:?} is a loopback address");
    send(&c, b"via 127.1.2.3", 0).unwrap();
    assert_eq!(read_exact(&s, 13), b"via 127.1.2.3");
}

/// ip(7): "only one IP socket may be bound to any given local (address, port) pair";
/// ERRORS: "EADDRINUSE Tried to bind to an address already in use."
#[apply(families_and_transports)]
fn binding_an_address_in_use_fails_eaddrinuse(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()));
    let a = socket(fam, proto);
    bind(&a, &fam.loopback(0)).unwrap();
    let taken = local_addr(&a);
    let b = socket(fam, proto);
    assert_errno!(bind(&b, &taken), Errno::EADDRINUSE);
    let w = socket(fam, proto);
    assert_errno!(bind(&w, &fam.any(taken.port())), Errno::EADDRINUSE, "wildcard bind to a port used on loopback");
}

/// ip(7), ip_local_port_range: "An ephemeral port is allocated to a socket in the following
/// circumstances: the port number in a socket address is specified as 0 when calling
/// bind(2); listen(2) is called on a stream socket that was not previously bound;
/// connect(2) was called on a socket that was not previously bound; sendto(2) is called on
/// a datagram socket that was not previously bound." "Allocation of ephemeral ports starts
/// with the first number in ip_local_port_range and ends with the second number."
#[apply(families)]
fn an_ephemeral_port_comes_from_ip_local_port_range(
    #[case] fam: Family,
    #[values(
        /// bind_port_0_tcp
        (Proto::Tcp, "bind"),
        /// bind_port_0_udp
        (Proto::Udp, "bind"),
        /// listen_unbound
        (Proto::Tcp, "listen"),
        /// connect_unbound_tcp
        (Proto::Tcp, "connect"),
        /// connect_unbound_udp
        (Proto::Udp, "connect"),
        /// sendto_unbound
        (Proto::Udp, "sendto"),
    )]
    how: (Proto, &str),
) {
    needs!(available(fam.availability()));
    let (proto, how) = how;
    let (lo, hi) = ephemeral_range();
    let s = socket(fam, proto);
    let _peer; // keeps a connect/sendto target alive
    match how {
        "bind" => bind(&s, &fam.loopback(0)).unwrap(),
        "listen" => listen(&s, 1).unwrap(),
        "connect" if proto == Proto::Tcp => {
            let (l, a) = listener(fam);
            connect(&s, &a).unwrap();
            _peer = l;
        }
        "connect" => {
            let (u, a) = udp_bound(fam);
            connect(&s, &a).unwrap();
            _peer = u;
        }
        "sendto" => {
            let (u, a) = udp_bound(fam);
            send_to(&s, b"x", 0, &a).unwrap();
            _peer = u;
        }
        _ => unreachable!(),
    }
    let port = local_addr(&s).port();
    assert!((lo..=hi).contains(&port), "{how} gave port {port}, outside ip_local_port_range {lo}-{hi}");
}

/// ip(7): "When listen(2) is called on an unbound socket, the socket is automatically bound
/// to a random free port with the local address set to INADDR_ANY" — and such a listener
/// takes connections on loopback.
#[apply(families)]
fn listen_on_an_unbound_socket_binds_the_wildcard(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let l = socket(fam, Proto::Tcp);
    listen(&l, 1).unwrap();
    let a = local_addr(&l);
    assert_eq!(a.ip(), fam.any(0).ip());
    assert_ne!(a.port(), 0);
    let c = socket(fam, Proto::Tcp);
    connect(&c, &fam.loopback(a.port())).unwrap();
    accept_ready(&l);
}

/// ip(7), ERRORS: "EADDRNOTAVAIL A nonexistent interface was requested or the requested
/// source address was not local." Binding a TEST-NET address (RFC 5737 192.0.2.0/24,
/// RFC 3849 2001:db8::/32) that no interface has fails — unless ip_nonlocal_bind is set
/// ("allows processes to bind(2) to nonlocal IP addresses", ip(7)), in which case it
/// succeeds. Nothing is sent: the socket is only bound. Reports `present` (refused with
/// EADDRNOTAVAIL) or the lacking `nonlocal-bind` (the sysctl allows the bind, so the claim's
/// refusal is not there).
#[rstest]
#[case::v4(Family::V4, SockAddr::v4([192, 0, 2, 1], 0), "net/ipv4/ip_nonlocal_bind")]
#[case::v6(Family::V6, SockAddr::v6([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0), "net/ipv6/ip_nonlocal_bind")]
fn binding_a_non_local_address_fails_eaddrnotavail(#[case] fam: Family, #[case] addr: SockAddr, #[case] sysctl: &str) {
    needs!(available(fam.availability()));
    let s = socket(fam, Proto::Udp);
    let nonlocal_allowed = std::fs::read_to_string(format!("/proc/sys/{sysctl}")).map(|v| v.trim() != "0").unwrap_or(false);
    if nonlocal_allowed {
        variant::lacking("nonlocal-bind", format_args!("{sysctl} is set: a non-local address may be bound"));
        assert_eq!(bind(&s, &addr), Ok(()), "{sysctl} is set: binding {addr:?} must succeed");
    } else {
        variant::present(format_args!("{sysctl} is 0 (or unreadable): a non-local bind is refused"));
        assert_errno!(bind(&s, &addr), Errno::EADDRNOTAVAIL, "bind to {addr:?}");
    }
}

/// ip(7): "The port numbers below 1024 are called privileged ports ... Only a privileged
/// process (on Linux: a process that has the CAP_NET_BIND_SERVICE capability ...) may
/// bind(2) to these sockets"; ERRORS: EACCES for "binding to a privileged port without
/// superuser privileges". Since Linux 4.11 the limit is
/// /proc/sys/net/ipv4/ip_unprivileged_port_start (Documentation/networking/ip-sysctl.rst:
/// "the first port in the unprivileged range"). A child without capabilities binding the
/// port just below it gets EACCES (the permission check comes before any port lookup, so
/// nothing is ever bound). Reports `present` (ports below the sysctl are privileged) or,
/// with the sysctl at 0 ("To disable all privileged ports, set this to 0"; Docker does so in
/// its containers), `absent` and skips: no port is privileged, so there is nothing to bind.
#[apply(families_and_transports)]
fn binding_a_privileged_port_without_capability_fails_eacces(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()), other_user);
    let start = fixtures::sysctl::read_u64("net/ipv4/ip_unprivileged_port_start");
    if start == 0 {
        fixtures::skip_absent!("ip_unprivileged_port_start is 0: no port is privileged here");
    }
    if start > 65535 {
        fixtures::skip!("ip_unprivileged_port_start is {start}: no port number just below it");
    }
    variant::present(format_args!("ip_unprivileged_port_start is {start}: ports below it are privileged"));
    let port = (start - 1) as u16;
    run_in_child("unprivileged bind", || {
        privilege::drop_to_nobody();
        let s = socket(fam, proto);
        assert_errno!(bind(&s, &fam.loopback(port)), Errno::EACCES, "bind to privileged port {port} as uid {}", nix::unistd::getuid());
    })
    .expect_success();
}

/// getpeername(2), ERRORS: "ENOTCONN The socket is not connected." — for a fresh TCP socket
/// and for a UDP socket that has sent datagrams with sendto(2) but never connected.
#[apply(families_and_transports)]
fn getpeername_of_an_unconnected_socket_fails_enotconn(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()));
    let s = socket(fam, proto);
    assert_errno!(peer_addr(&s), Errno::ENOTCONN);
    bind(&s, &fam.loopback(0)).unwrap();
    if proto == Proto::Udp {
        let (_u, a) = udp_bound(fam);
        send_to(&s, b"x", 0, &a).unwrap();
    }
    assert_errno!(peer_addr(&s), Errno::ENOTCONN);
}
