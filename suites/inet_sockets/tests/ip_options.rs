//! IPPROTO_IP options added since Linux 5.10: the per-socket ephemeral port range
//! (IP_LOCAL_PORT_RANGE, IP_LOCAL_PORT_RANGE(2const) of man-pages 6.20) and IP_PROTOCOL
//! (include/uapi/linux/in.h; net/ipv4/ip_sockglue.c). Each test asserts the old answer
//! (ENOPROTOOPT, "The option is unknown at the level indicated") where the kernel lacks the
//! option, and reports which it saw.

use fixtures::gate::{Cap, has_cap, kernel_and_patch};
use fixtures::net::{bind, getsockopt_int, local_addr, setsockopt_int};
use fixtures::{assert_errno, variant};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::cases::transports;
use inet_sockets::opts::{IP_LOCAL_PORT_RANGE, IP_PROTOCOL};
use inet_sockets::sockets::{bound, ephemeral_range, socket};
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;

/// IP_LOCAL_PORT_RANGE(2const): "Set or get the per-socket default local port range. This
/// option can be used to clamp down the global local port range, defined by the
/// /proc/sys/net/ipv4/ip_local_port_range interface, for a given socket." The value holds the
/// upper bound in the high 16 bits and the lower in the low 16; "The lower bound has to be less
/// than the upper bound when both bounds are not zero. Otherwise, setting the option fails with
/// EINVAL"; zero for both resets it. A new socket reads 0; with a 1000-port window inside the
/// global range set, the port bind(2) to port 0 picks is inside the window, for TCP and UDP.
/// HISTORY: "Linux 6.3" (commit 91d0b78c5177; stable 6.1.32). Without it: ENOPROTOOPT
/// (variant `absent`), checked against where the option is.
///
/// Kernel change: 6.3, commit 91d0b78c5177 — IP_LOCAL_PORT_RANGE clamps the ephemeral port range of one socket (ENOPROTOOPT before; stable 6.1.32).
#[apply(transports)]
fn ip_local_port_range_clamps_the_ephemeral_port_of_one_socket(#[case] proto: Proto) {
    let s = socket(Family::V4, proto);
    let got = getsockopt_int(&s, libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE);
    let fix = fixtures::gate::has_fix((6, 3), &[(6, 1, 32)], &[]);
    let k = kernel_and_patch();
    if got == Err(Errno::ENOPROTOOPT) {
        assert_ne!(fix, Some(true), "IP_LOCAL_PORT_RANGE is unknown to {k}, which should have it");
        variant::absent(format_args!("IP_LOCAL_PORT_RANGE came with 6.3 (stable 6.1.32); {k}"));
        assert_errno!(setsockopt_int(&s, libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE, 0), Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(fix, Some(true), "IP_LOCAL_PORT_RANGE is known to {k}, which has no known backport of it");
    variant::present(format_args!("IP_LOCAL_PORT_RANGE: 6.3 (stable 6.1.32); {k}"));
    assert_eq!(got, Ok(0), "a new socket has no range of its own");
    let (lo, hi) = ephemeral_range();
    assert!(hi - lo >= 1500, "the global range {lo}-{hi} is too narrow for a 1000-port window inside it");
    let (wlo, whi) = (lo + 250, lo + 1249);
    let window = ((whi as i32) << 16) | wlo as i32;
    assert_eq!(setsockopt_int(&s, libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE, window), Ok(()));
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE), Ok(window));
    bind(&s, &Family::V4.loopback(0)).unwrap();
    let port = local_addr(&s).port();
    assert!((wlo..=whi).contains(&port), "port {port} outside the socket's window {wlo}-{whi}");
    let other = socket(Family::V4, proto);
    let reversed = ((wlo as i32) << 16) | whi as i32;
    assert_errno!(setsockopt_int(&other, libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE, reversed), Errno::EINVAL, "lower > upper");
    assert_eq!(setsockopt_int(&other, libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE, window), Ok(()));
    assert_eq!(setsockopt_int(&other, libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE, 0), Ok(()), "reset");
    assert_eq!(getsockopt_int(&other, libc::IPPROTO_IP, IP_LOCAL_PORT_RANGE), Ok(0));
}

/// IP_PROTOCOL (include/uapi/linux/in.h; added by "ipv{4,6}/raw: fix output xfrm lookup wrt
/// protocol", 6.4, stable 5.10.182 and 6.1.32 by Debian's changelogs, together with an
/// IP_PROTOCOL control message for raw sockets; net/ipv4/ip_sockglue.c do_ip_getsockopt:
/// "case IP_PROTOCOL: val = inet_sk(sk)->inet_num;"): a read-only option that returns the
/// socket's inet_num — which is the protocol number only for a raw socket; for TCP and UDP it
/// is the local port: 0 while unbound, the bound port after bind(2). So a TCP socket does not
/// read IPPROTO_TCP (6) here (SO_PROTOCOL does). Setting it fails ENOPROTOOPT. As root with
/// CAP_NET_RAW, a raw ICMP socket reads IPPROTO_ICMP (1). Without it: ENOPROTOOPT (variant
/// `absent`), decided from the answer and checked against where the option is.
///
/// Kernel change: 6.4 — getsockopt(IP_PROTOCOL) returns the socket's inet_num: the protocol of a raw socket, the local port of TCP/UDP (ENOPROTOOPT before; stable 5.10.182, 6.1.32).
#[apply(transports)]
fn ip_protocol_reads_the_local_port_of_a_tcp_or_udp_socket(#[case] proto: Proto) {
    let unbound = socket(Family::V4, proto);
    let got = getsockopt_int(&unbound, libc::IPPROTO_IP, IP_PROTOCOL);
    let fix = fixtures::gate::has_fix((6, 4), &[(5, 10, 182), (6, 1, 32)], &[]);
    let k = kernel_and_patch();
    if got == Err(Errno::ENOPROTOOPT) {
        assert_ne!(fix, Some(true), "IP_PROTOCOL is unknown to {k}, which should have it");
        variant::absent(format_args!("IP_PROTOCOL came with 6.4 (stable 5.10.182, 6.1.32); {k}"));
        return;
    }
    assert_eq!(fix, Some(true), "IP_PROTOCOL is known to {k}, which has no known backport of it");
    variant::present(format_args!("IP_PROTOCOL: 6.4 (stable 5.10.182, 6.1.32); {k}"));
    assert_eq!(got, Ok(0), "an unbound socket");
    let (s, addr) = bound(Family::V4, proto);
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_IP, IP_PROTOCOL), Ok(addr.port() as i32), "bound to {addr:?}");
    assert_errno!(setsockopt_int(&s, libc::IPPROTO_IP, IP_PROTOCOL, 6), Errno::ENOPROTOOPT, "read-only");
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_PROTOCOL), Ok(proto.protocol()), "SO_PROTOCOL gives the protocol");
    // variant: none — a raw socket is one more case where the privilege allows it.
    if has_cap(Cap::NET_RAW) {
        let raw = fixtures::net::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP).expect("raw ICMP socket");
        assert_eq!(getsockopt_int(&raw, libc::IPPROTO_IP, IP_PROTOCOL), Ok(libc::IPPROTO_ICMP));
    }
}
