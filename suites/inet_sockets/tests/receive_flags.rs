//! recv(2) flags on TCP and UDP sockets: MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC.

use fixtures::assert_errno;
use inet_sockets::*;
use nix::errno::Errno;
use rstest::rstest;

/// A connected pair of the given kind: (sender, receiver).
fn connected(fam: Family, proto: Proto) -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    match proto {
        Proto::Tcp => tcp_pair(fam),
        Proto::Udp => {
            let (rx, rx_addr) = udp_bound(fam);
            let tx = socket(fam, Proto::Udp);
            connect(&tx, &rx_addr).unwrap();
            (tx, rx)
        }
    }
}

/// recv(2): "MSG_PEEK This flag causes the receive operation to return data from the
/// beginning of the receive queue without removing that data from the queue. Thus, a
/// subsequent receive call will return the same data."
#[rstest]
fn msg_peek_returns_data_without_consuming_it(
    #[values(Family::V4, Family::V6)] fam: Family,
    #[values(Proto::Tcp, Proto::Udp)] proto: Proto,
) {
    require_family!(fam);
    let (tx, rx) = connected(fam, proto);
    send(&tx, b"peekaboo", 0).unwrap();
    wait_for_events(&rx, libc::POLLIN, "the data");
    let mut b = [0u8; 16];
    assert_eq!(recv(&rx, &mut b, libc::MSG_PEEK), Ok(8));
    assert_eq!(&b[..8], b"peekaboo");
    b = [0; 16];
    // The data must still be queued, so these calls need not wait: MSG_DONTWAIT makes a
    // peek that consumed the data fail (EAGAIN) instead of blocking the test for good.
    assert_eq!(recv(&rx, &mut b, libc::MSG_PEEK | libc::MSG_DONTWAIT), Ok(8), "a second peek sees the same data");
    assert_eq!(recv(&rx, &mut b, libc::MSG_DONTWAIT), Ok(8));
    assert_eq!(&b[..8], b"peekaboo");
    assert_errno!(recv(&rx, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN, "the data was consumed once");
}

/// recv(2): "MSG_DONTWAIT Enables nonblocking operation; if the operation would block, the
/// call fails with the error EAGAIN or EWOULDBLOCK" — on a blocking socket with nothing
/// queued.
#[rstest]
fn msg_dontwait_on_an_empty_socket_fails_eagain(#[values(Proto::Tcp, Proto::Udp)] proto: Proto) {
    let (_tx, rx) = connected(Family::V4, proto);
    let mut b = [0u8; 4];
    assert_errno!(recv(&rx, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN);
}

/// udp(7): "All receive operations return only one packet. When the packet is smaller than
/// the passed buffer, only that much data is returned; when it is bigger, the packet is
/// truncated and the MSG_TRUNC flag is set." recvmsg(2): "MSG_TRUNC indicates that the
/// trailing portion of a datagram was discarded because the datagram was larger than the
/// buffer supplied." The rest is gone: the next receive gets the next datagram.
#[rstest]
fn a_truncated_datagram_sets_msg_trunc_and_loses_its_tail(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    let (tx, rx) = connected(fam, Proto::Udp);
    send(&tx, b"0123456789", 0).unwrap();
    let mut b = [0u8; 4];
    wait_for_events(&rx, libc::POLLIN, "the first datagram");
    assert_eq!(recv_msg(&rx, &mut b, 0), Ok((4, libc::MSG_TRUNC)));
    assert_eq!(&b, b"0123");
    // Sent only now, so that a kept tail would be queued before it.
    send(&tx, b"next", 0).unwrap();
    let mut big = [0u8; 16];
    wait_for_events(&rx, libc::POLLIN, "the second datagram");
    assert_eq!(recv_msg(&rx, &mut big, 0), Ok((4, 0)), "the next datagram, not the tail of the first");
    assert_eq!(&big[..4], b"next");
}

/// recv(2): "MSG_TRUNC (since Linux 2.2) For raw (AF_PACKET), Internet datagram (since
/// Linux 2.4.27/2.6.8), ... sockets: return the real length of the packet or datagram, even
/// when it was longer than the passed buffer."
#[rstest]
fn recv_with_msg_trunc_returns_the_real_datagram_length(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    let (tx, rx) = connected(fam, Proto::Udp);
    send(&tx, &[7u8; 1000], 0).unwrap();
    let mut b = [0u8; 10];
    wait_for_events(&rx, libc::POLLIN, "the datagram");
    assert_eq!(recv_msg(&rx, &mut b, libc::MSG_TRUNC), Ok((1000, libc::MSG_TRUNC)));
    assert_eq!(b, [7u8; 10], "the buffer still receives what fits");
}

/// tcp(7): "Since Linux 2.4, Linux supports the use of MSG_TRUNC in the flags argument of
/// recv(2) (and recvmsg(2)). This flag causes the received bytes of data to be discarded,
/// rather than passed back in a caller-supplied buffer." The bytes are consumed: the next
/// read continues after them, and the buffer is untouched.
#[test]
fn tcp_recv_with_msg_trunc_discards_the_bytes() {
    let (c, s) = tcp_pair(Family::V4);
    send(&c, b"discardkeep", 0).unwrap();
    wait_for_events(&s, libc::POLLIN, "the data");
    let mut b = [0xeeu8; 7];
    // The data may arrive in one segment; read exactly 7 bytes' worth with MSG_TRUNC.
    assert_eq!(recv(&s, &mut b, libc::MSG_TRUNC), Ok(7));
    assert_eq!(b, [0xee; 7], "MSG_TRUNC must not copy the data");
    assert_eq!(read_exact(&s, 4), b"keep");
}
