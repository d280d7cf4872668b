//! Sockets on loopback: a socket of a family and transport, listeners, connected TCP pairs,
//! bound UDP sockets, ports nobody listens on, and the ephemeral port range.

use std::os::fd::OwnedFd;

use fixtures::net::{SockAddr, accept_ready, bind, connect, local_addr};

use crate::addr::{Family, Proto};

/// A new socket of `fam`/`proto`; panics if it cannot be created.
#[track_caller]
pub fn socket(fam: Family, proto: Proto) -> OwnedFd {
    fixtures::net::socket(fam.af(), proto.socktype(), 0).unwrap_or_else(|e| panic!("socket({fam:?}, {proto:?}): {e}"))
}

/// A TCP socket listening on the loopback address of `fam`, port 0; and its address.
pub fn listener(fam: Family) -> (OwnedFd, SockAddr) {
    fixtures::net::listener(&fam.loopback(0), 16, 0)
}

/// A connected TCP pair over loopback: (client, accepted server side).
#[track_caller]
pub fn tcp_pair(fam: Family) -> (OwnedFd, OwnedFd) {
    let (l, addr) = listener(fam);
    let c = socket(fam, Proto::Tcp);
    connect(&c, &addr).unwrap_or_else(|e| panic!("connect to {addr:?}: {e}"));
    let (s, _) = accept_ready(&l);
    (c, s)
}

/// A socket of `fam`/`proto` bound to the loopback address, port 0; and its address.
#[track_caller]
pub fn bound(fam: Family, proto: Proto) -> (OwnedFd, SockAddr) {
    let s = socket(fam, proto);
    bind(&s, &fam.loopback(0)).unwrap_or_else(|e| panic!("bind {proto:?} socket to {:?}: {e}", fam.loopback(0)));
    let a = local_addr(&s);
    (s, a)
}

/// A UDP socket bound to the loopback address of `fam`, port 0; and its address.
#[track_caller]
pub fn udp_bound(fam: Family) -> (OwnedFd, SockAddr) {
    bound(fam, Proto::Udp)
}

/// A loopback TCP address nobody listens on, kept so by a socket bound to it that never
/// listens (a SYN to it is answered with RST). Keep the returned socket alive.
#[track_caller]
pub fn closed_tcp_port(fam: Family) -> (OwnedFd, SockAddr) {
    bound(fam, Proto::Tcp)
}

/// A nonblocking TCP socket of `fam` whose connect(2) to `to` has started: it returned
/// EINPROGRESS (asserted; connect(2): "The socket is nonblocking and the connection cannot be
/// completed immediately" — on Linux also over loopback).
#[track_caller]
pub fn connecting(fam: Family, to: &SockAddr) -> OwnedFd {
    let s = socket(fam, Proto::Tcp);
    fixtures::io::set_nonblocking(&s, true);
    assert_eq!(connect(&s, to), Err(nix::errno::Errno::EINPROGRESS), "nonblocking connect to {to:?}");
    s
}

/// A loopback UDP address with no socket bound to it. The port is kept out of other
/// processes' hands by a socket bound to it on another address: for IPv4 the keeper holds
/// 127.0.0.1:P and the target is 127.0.0.2:P; for IPv6 an IPv4 keeper holds 127.0.0.1:P and
/// the target is [::1]:P (IPv4 sockets never receive IPv6 datagrams).
#[track_caller]
pub fn closed_udp_port(fam: Family) -> (OwnedFd, SockAddr) {
    let (keeper, a) = udp_bound(Family::V4);
    let target = match fam {
        Family::V4 => SockAddr::v4([127, 0, 0, 2], a.port()),
        Family::V6 => Family::V6.loopback(a.port()),
    };
    (keeper, target)
}

/// /proc/sys/net/ipv4/ip_local_port_range as (low, high).
pub fn ephemeral_range() -> (u16, u16) {
    let s = fixtures::sysctl::read("net/ipv4/ip_local_port_range");
    let mut it = s.split_whitespace().map(|x| x.parse::<u16>().expect("port number"));
    (it.next().unwrap(), it.next().unwrap())
}
