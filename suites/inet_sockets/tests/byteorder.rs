//! The representation of ports and addresses the kernel hands out: "network byte order"
//! (byteorder(3): "the Internet number byte order, the most significant byte first"), in
//! which sockaddr_in/sockaddr_in6 hold port and address (ip(7), ipv6(7)). htonl(3) and
//! friends themselves are the C library's arithmetic and are not tested here.

use fixtures::needs;
use fixtures::net::{local_addr, recv_from_ready, send_to};
use inet_sockets::addr::{Family, Proto, V6_LOOPBACK};
use inet_sockets::sockets::{socket, udp_bound};
use inet_sockets::cases::families;
use rstest_reuse::apply;
use rstest::rstest;

/// ip(7), "Address format": "sin_port contains the port in network byte order" and s_addr
/// "contains the host interface address in network byte order". Asserted on the raw bytes of
/// the address getsockname(2) returns for a socket bound to 127.0.0.1 port 0: family in
/// host order, then the port big-endian, then 127, 0, 0, 1 — the port matching the one
/// the kernel reports.
#[test]
fn getsockname_ipv4_port_and_address_bytes_are_big_endian() {
    let (u, _) = udp_bound(Family::V4);
    let a = local_addr(&u);
    let b = a.raw_bytes();
    assert_eq!(a.len() as usize, std::mem::size_of::<libc::sockaddr_in>());
    assert_eq!(u16::from_ne_bytes([b[0], b[1]]), libc::AF_INET as u16, "sin_family");
    // SAFETY: the storage holds a sockaddr_in.
    let sin = unsafe { &*(a.as_ptr() as *const libc::sockaddr_in) };
    let port = u16::from_be(sin.sin_port);
    assert_ne!(port, 0, "the kernel chose no port");
    assert_eq!([b[2], b[3]], port.to_be_bytes(), "sin_port bytes");
    assert_eq!(&b[4..8], &[127, 0, 0, 1], "sin_addr bytes");
    assert_eq!(u32::from_be(sin.sin_addr.s_addr), libc::INADDR_LOOPBACK);
}

/// ipv6(7), "Address format": sin6_port is "the protocol port (see sin_port in ip(7))",
/// i.e. network byte order, and sin6_addr is "the 128-bit IPv6 address" whose in6addr
/// initializers "are in network byte order". Asserted on the raw bytes getsockname(2)
/// returns for a socket bound to [::1]:0: port big-endian at offset 2, flowinfo 0, fifteen
/// zero bytes then 1, scope id 0.
#[test]
fn getsockname_ipv6_port_and_address_bytes_are_big_endian() {
    needs!(available(Family::V6.availability()));
    let (u, _) = udp_bound(Family::V6);
    let a = local_addr(&u);
    let b = a.raw_bytes();
    assert_eq!(a.len() as usize, std::mem::size_of::<libc::sockaddr_in6>());
    assert_eq!(u16::from_ne_bytes([b[0], b[1]]), libc::AF_INET6 as u16, "sin6_family");
    // SAFETY: the storage holds a sockaddr_in6.
    let sin6 = unsafe { &*(a.as_ptr() as *const libc::sockaddr_in6) };
    let port = u16::from_be(sin6.sin6_port);
    assert_ne!(port, 0);
    assert_eq!([b[2], b[3]], port.to_be_bytes(), "sin6_port bytes");
    assert_eq!(&b[4..8], &[0, 0, 0, 0], "sin6_flowinfo");
    assert_eq!(&b[8..24], &V6_LOOPBACK, "sin6_addr bytes");
    assert_eq!(&b[24..28], &[0, 0, 0, 0], "sin6_scope_id");
}

/// ip(7): "you need to call htons(3) on the number that is assigned to a port". A
/// destination whose port bytes are written big-endian from the port number reaches the
/// socket bound to that number: the datagram arrives at the receiver.
#[apply(families)]
fn a_port_written_big_endian_is_the_port_the_peer_sees(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (rx, rx_addr) = udp_bound(fam);
    let tx = socket(fam, Proto::Udp);
    // Build the address from the port number, not by copying the kernel's bytes.
    let port = rx_addr.port();
    let to = fam.loopback(0).with_port(port);
    assert_eq!(&to.raw_bytes()[2..4], &port.to_be_bytes());
    assert_eq!(send_to(&tx, b"ping", 0, &to), Ok(4));
    let mut buf = [0u8; 8];
    let (n, _) = recv_from_ready(&rx, &mut buf);
    assert_eq!(&buf[..n], b"ping");
}
