//! recv(2) flags on TCP and UDP sockets: MSG_PEEK (and the peek offset SO_PEEK_OFF, on
//! TCP since 6.10), MSG_DONTWAIT, MSG_TRUNC.

use fixtures::io::read_exact;
use fixtures::net::{connect, getsockopt_int, recv, recv_msg, send, setsockopt_int};
use fixtures::poll::{await_events, wait_for_events};
use fixtures::{assert_errno, needs, variant};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::{socket, tcp_pair, udp_bound};
use inet_sockets::cases::{families, families_and_transports, transports};
use rstest_reuse::apply;
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
#[apply(families_and_transports)]
fn msg_peek_returns_data_without_consuming_it(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()));
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
#[apply(transports)]
fn msg_dontwait_on_an_empty_socket_fails_eagain(#[case] proto: Proto) {
    let (_tx, rx) = connected(Family::V4, proto);
    let mut b = [0u8; 4];
    assert_errno!(recv(&rx, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN);
}

/// udp(7): "All receive operations return only one packet. When the packet is smaller than
/// the passed buffer, only that much data is returned; when it is bigger, the packet is
/// truncated and the MSG_TRUNC flag is set." recvmsg(2): "MSG_TRUNC indicates that the
/// trailing portion of a datagram was discarded because the datagram was larger than the
/// buffer supplied." The rest is gone: the next receive gets the next datagram.
#[apply(families)]
fn a_truncated_datagram_sets_msg_trunc_and_loses_its_tail(#[case] fam: Family) {
    needs!(available(fam.availability()));
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
#[apply(families)]
fn recv_with_msg_trunc_returns_the_real_datagram_length(#[case] fam: Family) {
    needs!(available(fam.availability()));
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

/// socket(7), SO_PEEK_OFF: "When this option is enabled, ... MSG_PEEK ... will cause data to
/// be read from the position in the queue specified by this option's value, and the peek
/// offset is advanced by the number of bytes peeked"; a normal read moves it back by the
/// bytes read; -1 (the initial value) disables it. TCP takes it since commit 05ea491641d3
/// ("tcp: add support for SO_PEEK_OFF socket option", 6.10; TCP over IPv6 by a later fix,
/// version not verified): with offset 0 and "abcdef" queued, two peeks of 3 return "abc" then
/// "def" (offset 6), a read of 6 returns "abcdef" and the offset is 0 again. Before, TCP has no
/// peek offset: setsockopt(2) and getsockopt(2) fail EOPNOTSUPP (variant `absent`).
///
/// Kernel change: 6.10, commit 05ea491641d3 — SO_PEEK_OFF works on TCP sockets (EOPNOTSUPP before).
#[apply(families)]
fn so_peek_off_on_tcp_makes_successive_peeks_advance(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (tx, rx) = tcp_pair(fam);
    let set = setsockopt_int(&rx, libc::SOL_SOCKET, libc::SO_PEEK_OFF, 0);
    if !variant::since(6, 10, "SO_PEEK_OFF on TCP") {
        assert_errno!(set, Errno::EOPNOTSUPP);
        assert_errno!(getsockopt_int(&rx, libc::SOL_SOCKET, libc::SO_PEEK_OFF), Errno::EOPNOTSUPP);
        return;
    }
    assert_eq!(set, Ok(()));
    send(&tx, b"abcdef", 0).unwrap();
    nix::sys::socket::shutdown(std::os::fd::AsRawFd::as_raw_fd(&tx), nix::sys::socket::Shutdown::Write).unwrap();
    await_events(&rx, libc::POLLRDHUP, "all the data and the FIN");
    let mut b = [0u8; 3];
    assert_eq!(recv(&rx, &mut b, libc::MSG_PEEK | libc::MSG_DONTWAIT), Ok(3));
    assert_eq!(&b, b"abc");
    assert_eq!(recv(&rx, &mut b, libc::MSG_PEEK | libc::MSG_DONTWAIT), Ok(3));
    assert_eq!(&b, b"def", "the second peek starts where the first ended");
    assert_eq!(getsockopt_int(&rx, libc::SOL_SOCKET, libc::SO_PEEK_OFF), Ok(6));
    let mut all = [0u8; 8];
    assert_eq!(recv(&rx, &mut all, libc::MSG_DONTWAIT), Ok(6));
    assert_eq!(&all[..6], b"abcdef", "a read starts at the head of the queue");
    assert_eq!(getsockopt_int(&rx, libc::SOL_SOCKET, libc::SO_PEEK_OFF), Ok(0));
}
