//! byteorder(3) and the on-wire representation of ports and addresses: "network byte order"
//! is big-endian, and sockaddr_in/sockaddr_in6 hold port and address in it (ip(7), ipv6(7)).

use inet_sockets::*;
use rstest::rstest;

unsafe extern "C" {
    fn htons(v: u16) -> u16;
    fn htonl(v: u32) -> u32;
    fn ntohs(v: u16) -> u16;
    fn ntohl(v: u32) -> u32;
}

/// byteorder(3): "The htonl() function converts the unsigned integer hostlong from host byte
/// order to network byte order" and ntohl() converts back; likewise htons()/ntohs() for
/// 16 bits. Asserted: the round trip is the identity, and the value htonl()/htons() produce
/// is stored in memory most significant byte first ("the Internet number byte order, the
/// most significant byte first").
#[rstest]
#[case::zero(0)]
#[case::one(1)]
#[case::asymmetric(0x1234_5678)]
#[case::loopback(0x7f00_0001)]
#[case::all_ones(0xffff_ffff)]
fn htonl_stores_most_significant_byte_first_and_ntohl_inverts_it(#[case] v: u32) {
    let n = unsafe { htonl(v) };
    assert_eq!(n.to_ne_bytes(), v.to_be_bytes(), "htonl({v:#x}) in memory");
    assert_eq!(unsafe { ntohl(n) }, v);
}

/// byteorder(3): htons()/ntohs() convert "the unsigned short integer" between host and
/// network byte order. Asserted: memory order of htons(v) is big-endian; ntohs inverts it.
#[rstest]
#[case::zero(0)]
#[case::http(80)]
#[case::asymmetric(0x1234)]
#[case::max(0xffff)]
fn htons_stores_most_significant_byte_first_and_ntohs_inverts_it(#[case] v: u16) {
    let n = unsafe { htons(v) };
    assert_eq!(n.to_ne_bytes(), v.to_be_bytes(), "htons({v:#x}) in memory");
    assert_eq!(unsafe { ntohs(n) }, v);
}

/// ip(7), "Address format": "sin_port contains the port in network byte order" and s_addr
/// "contains the host interface address in network byte order". Asserted on the raw bytes of
/// the address getsockname(2) returns for a socket bound to 127.0.0.1 port 0: family in
/// host order, then the port big-endian, then 127, 0, 0, 1 — the port matching the one
/// the kernel reports through ntohs.
#[test]
fn getsockname_ipv4_port_and_address_bytes_are_big_endian() {
    let (u, _) = udp_bound(Family::V4);
    let a = local_addr(&u);
    let b = a.raw_bytes();
    assert_eq!(a.len() as usize, std::mem::size_of::<libc::sockaddr_in>());
    assert_eq!(u16::from_ne_bytes([b[0], b[1]]), libc::AF_INET as u16, "sin_family");
    // SAFETY: the storage holds a sockaddr_in.
    let sin = unsafe { &*(a.as_ptr() as *const libc::sockaddr_in) };
    let port = unsafe { ntohs(sin.sin_port) };
    assert_ne!(port, 0, "the kernel chose no port");
    assert_eq!([b[2], b[3]], port.to_be_bytes(), "sin_port bytes");
    assert_eq!(&b[4..8], &[127, 0, 0, 1], "sin_addr bytes");
    assert_eq!(unsafe { ntohl(sin.sin_addr.s_addr) }, libc::INADDR_LOOPBACK);
}

/// ipv6(7), "Address format": sin6_port is "the protocol port (see sin_port in ip(7))",
/// i.e. network byte order, and sin6_addr is "the 128-bit IPv6 address" whose in6addr
/// initializers "are in network byte order". Asserted on the raw bytes getsockname(2)
/// returns for a socket bound to [::1]:0: port big-endian at offset 2, flowinfo 0, fifteen
/// zero bytes then 1, scope id 0.
#[test]
fn getsockname_ipv6_port_and_address_bytes_are_big_endian() {
    require_family!(Family::V6);
    let (u, _) = udp_bound(Family::V6);
    let a = local_addr(&u);
    let b = a.raw_bytes();
    assert_eq!(a.len() as usize, std::mem::size_of::<libc::sockaddr_in6>());
    assert_eq!(u16::from_ne_bytes([b[0], b[1]]), libc::AF_INET6 as u16, "sin6_family");
    // SAFETY: the storage holds a sockaddr_in6.
    let sin6 = unsafe { &*(a.as_ptr() as *const libc::sockaddr_in6) };
    let port = unsafe { ntohs(sin6.sin6_port) };
    assert_ne!(port, 0);
    assert_eq!([b[2], b[3]], port.to_be_bytes(), "sin6_port bytes");
    assert_eq!(&b[4..8], &[0, 0, 0, 0], "sin6_flowinfo");
    assert_eq!(&b[8..24], &V6_LOOPBACK, "sin6_addr bytes");
    assert_eq!(&b[24..28], &[0, 0, 0, 0], "sin6_scope_id");
}

/// ip(7): "you need to call htons(3) on the number that is assigned to a port". A
/// destination whose port bytes are written big-endian from the port number reaches the
/// socket bound to that number: the datagram arrives at the receiver.
#[rstest]
fn a_port_written_big_endian_is_the_port_the_peer_sees(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
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
