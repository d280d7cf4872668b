//! UDP datagram semantics: boundaries, empty datagrams, size limits, connected sockets
//! (udp(7), ip(7), connect(2)).

use fixtures::net::{SockAddr, connect, local_addr, peer_addr, recv, recv_from_ready, send, send_to, setsockopt_int};
use fixtures::poll::revents;
use fixtures::{NEGATIVE_WAIT, assert_errno, needs};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::{socket, udp_bound};
use inet_sockets::cases::families;
use inet_sockets::msg::recv_msg_cmsgs;
use rstest_reuse::apply;
use nix::errno::Errno;
use rstest::rstest;

/// udp(7): "All receive operations return only one packet." Datagrams of 3, 1 and 5 bytes
/// sent one after another come back as three receives of exactly those sizes, however
/// large the buffer. (Each is sent after the previous one was received: UDP may reorder.)
#[apply(families)]
fn udp_preserves_message_boundaries(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (rx, addr) = udp_bound(fam);
    let tx = socket(fam, Proto::Udp);
    for msg in [&b"one"[..], b"2", b"three"] {
        send_to(&tx, msg, 0, &addr).unwrap();
        let mut b = [0u8; 64];
        let (n, _) = recv_from_ready(&rx, &mut b);
        assert_eq!(&b[..n], msg);
    }
}

/// udp(7): "When the packet is smaller than the passed buffer, only that much data is
/// returned" — for a zero-length datagram that is 0 bytes, and it is a datagram: poll
/// reports it readable, recvfrom returns 0 with the sender's address and consumes it.
#[apply(families)]
fn a_zero_length_datagram_is_delivered_as_an_empty_message(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (rx, addr) = udp_bound(fam);
    let (tx, txaddr) = udp_bound(fam);
    assert_eq!(send_to(&tx, b"", 0, &addr), Ok(0));
    let mut b = [0u8; 8];
    let (n, from) = recv_from_ready(&rx, &mut b);
    assert_eq!(n, 0);
    assert_eq!(from, txaddr);
    assert_errno!(recv(&rx, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN, "the empty datagram was consumed");
}

/// udp(7): the kernel returns "EMSGSIZE when a UDP packet write exceeds" what can be sent;
/// ip(7), EMSGSIZE: "Datagram is bigger than an MTU on the path and it cannot be
/// fragmented". The absolute limit is the 16-bit IP length: 65535 - 20 (IPv4 header) - 8
/// (UDP header) = 65507 bytes of payload for IPv4, and 65535 - 8 = 65527 for IPv6, whose
/// payload length excludes its own header (RFC 8200, 3). The largest datagram arrives
/// whole; one more byte fails with EMSGSIZE.
#[rstest]
#[case::v4(Family::V4, 65507)]
#[case::v6(Family::V6, 65527)]
fn a_udp_datagram_larger_than_the_ip_limit_fails_emsgsize(#[case] fam: Family, #[case] max: usize) {
    needs!(available(fam.availability()));
    let (rx, addr) = udp_bound(fam);
    setsockopt_int(&rx, libc::SOL_SOCKET, libc::SO_RCVBUF, 1 << 20).unwrap();
    let tx = socket(fam, Proto::Udp);
    setsockopt_int(&tx, libc::SOL_SOCKET, libc::SO_SNDBUF, 1 << 20).unwrap();
    let data = vec![0x5au8; max + 1];
    assert_errno!(send_to(&tx, &data, 0, &addr), Errno::EMSGSIZE, "{} bytes", max + 1);
    assert_eq!(send_to(&tx, &data[..max], 0, &addr), Ok(max));
    let mut b = vec![0u8; max + 100];
    let (n, _) = recv_from_ready(&rx, &mut b);
    assert_eq!(n, max);
    assert!(b[..n].iter().all(|&x| x == 0x5a));
}

/// udp(7): "When connect(2) is called on the socket, the default destination address is
/// set and datagrams can now be sent using send(2) or write(2)"; connect(2): for a datagram
/// socket the address "is the address to which datagrams are sent by default, and the only
/// address from which datagrams are received." A datagram from a third socket is dropped;
/// the peer's datagram arrives, and nothing else follows within the negative wait.
#[apply(families)]
fn a_connected_udp_socket_receives_only_from_its_peer(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (a, a_addr) = udp_bound(fam);
    let (peer, peer_addr) = udp_bound(fam);
    connect(&a, &peer_addr).unwrap();
    let (stranger, _) = udp_bound(fam);
    send_to(&stranger, b"stranger", 0, &a_addr).unwrap();
    send_to(&peer, b"peer", 0, &a_addr).unwrap();
    let mut b = [0u8; 16];
    let (n, from) = recv_from_ready(&a, &mut b);
    assert_eq!(&b[..n], b"peer");
    assert_eq!(from, peer_addr);
    assert_eq!(revents(&a, libc::POLLIN, fixtures::deadline::poll_ms(NEGATIVE_WAIT)), 0, "the stranger's datagram was delivered");
    assert_eq!(send(&a, b"default", 0), Ok(7), "send(2) goes to the connected address");
    let (n, from) = recv_from_ready(&peer, &mut b);
    assert_eq!(&b[..n], b"default");
    assert_eq!(from, a_addr);
}

/// connect(2): "Connectionless sockets may dissolve the association by connecting to an
/// address with the sa_family member of sockaddr set to AF_UNSPEC". Afterwards there is no
/// peer (getpeername ENOTCONN), send(2) without an address fails with EDESTADDRREQ (send(2):
/// "The socket is not connection-mode, and no peer address is set"), and a datagram from a
/// sender other than the old peer is received again (to the port sendto(2) bound: see the
/// next test for why the port changes).
#[apply(families)]
fn connecting_udp_to_af_unspec_dissolves_the_association(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (a, _) = udp_bound(fam);
    let (_peer, paddr) = udp_bound(fam);
    connect(&a, &paddr).unwrap();
    assert_eq!(peer_addr(&a), Ok(paddr));
    assert_eq!(connect(&a, &SockAddr::unspec()), Ok(()));
    assert_errno!(peer_addr(&a), Errno::ENOTCONN);
    assert_errno!(send(&a, b"x", 0), Errno::EDESTADDRREQ);
    let (stranger, s_addr) = udp_bound(fam);
    send_to(&a, b"hello", 0, &s_addr).unwrap();
    let mut b = [0u8; 16];
    let (_, a_now) = recv_from_ready(&stranger, &mut b);
    send_to(&stranger, b"welcome", 0, &a_now).unwrap();
    let (n, from) = recv_from_ready(&a, &mut b);
    assert_eq!((&b[..n], from), (&b"welcome"[..], s_addr));
}

/// Dissolving the association of a UDP socket whose port was chosen by the kernel (bind to
/// port 0) also gives that port up: net/ipv4/udp.c, __udp_disconnect() unhashes the socket
/// and zeroes its port unless the port was set explicitly (SOCK_BINDPORT_LOCK), while an
/// explicitly bound address is kept (SOCK_BINDADDR_LOCK). Undocumented in connect(2);
/// asserted because programs that rely on keeping the port are surprised by it.
#[apply(families)]
fn dissolving_a_udp_association_gives_up_a_kernel_chosen_port(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (a, a_addr) = udp_bound(fam);
    let (_peer, paddr) = udp_bound(fam);
    connect(&a, &paddr).unwrap();
    assert_eq!(local_addr(&a), a_addr, "connect keeps the bound address");
    connect(&a, &SockAddr::unspec()).unwrap();
    assert_eq!(local_addr(&a), a_addr.with_port(0), "after AF_UNSPEC: same address, port 0");
}

/// udp(7): "It is still possible to send to other destinations by passing an address to
/// sendto(2) or sendmsg(2)" on a connected socket.
#[test]
fn a_connected_udp_socket_can_still_sendto_another_address() {
    let (a, a_addr) = udp_bound(Family::V4);
    let (_peer, peer_addr) = udp_bound(Family::V4);
    let (other, other_addr) = udp_bound(Family::V4);
    connect(&a, &peer_addr).unwrap();
    assert_eq!(send_to(&a, b"elsewhere", 0, &other_addr), Ok(9));
    let mut b = [0u8; 16];
    let (n, from) = recv_from_ready(&other, &mut b);
    assert_eq!((&b[..n], from), (&b"elsewhere"[..], a_addr));
}

/// socket(7), "I/O on sockets": POLLIN "New data arrived". For UDP that is a queued datagram:
/// poll(2) for POLLIN on a bound socket with an empty queue reports nothing (a zero-timeout
/// poll returns 0), then exactly POLLIN once a datagram has been sent to it, and nothing
/// again after that one datagram was received.
#[test]
fn poll_reports_pollin_on_a_udp_socket_only_while_a_datagram_is_queued() {
    let (rx, addr) = udp_bound(Family::V4);
    let tx = socket(Family::V4, Proto::Udp);
    assert_eq!(fixtures::poll::poll1(&rx, libc::POLLIN, 0), Ok((0, 0)), "empty queue");
    assert_eq!(send_to(&tx, b"datagram", 0, &addr), Ok(8));
    assert_eq!(fixtures::poll::wait_for_events(&rx, libc::POLLIN, "the datagram"), libc::POLLIN);
    let mut b = [0u8; 16];
    assert_eq!(recv(&rx, &mut b, libc::MSG_DONTWAIT), Ok(8));
    assert_eq!(fixtures::poll::poll1(&rx, libc::POLLIN, 0), Ok((0, 0)), "queue drained");
}

/// One recvmsg(2) with MSG_DONTWAIT: the datagram's length and the SO_RXQ_OVFL count
/// attached to it (None without that control message).
fn recv_with_drop_count(fd: &std::os::fd::OwnedFd) -> Result<(usize, Option<u32>), Errno> {
    let mut data = [0u8; 2048];
    let got = recv_msg_cmsgs(fd, &mut data, libc::MSG_DONTWAIT)?;
    let drops = got.find(libc::SOL_SOCKET, libc::SO_RXQ_OVFL).last().map(|c| c.as_u32());
    Ok((got.len, drops))
}

/// udp(7): UDP "implements a connectionless, unreliable datagram packet service"; a datagram
/// that does not fit the receiver's buffer (socket(7), SO_RCVBUF) is dropped, and the sender
/// is not told; socket(7), SO_RXQ_OVFL: a control message on received datagrams gives "the
/// number of packets dropped by the socket since its creation". Asserted with the receiver's
/// SO_RCVBUF at its minimum and nobody reading: 200 sendto(2)s of 1000 bytes all return 1000;
/// fewer than 200 (and at least 1) are then queued; a datagram sent after draining reports
/// exactly 200 minus that number as dropped.
#[test]
fn udp_drops_datagrams_the_receiver_cannot_queue_and_so_rxq_ovfl_counts_them() {
    let (rx, addr) = udp_bound(Family::V4);
    setsockopt_int(&rx, libc::SOL_SOCKET, libc::SO_RCVBUF, 0).unwrap();
    setsockopt_int(&rx, libc::SOL_SOCKET, libc::SO_RXQ_OVFL, 1).unwrap();
    let tx = socket(Family::V4, Proto::Udp);
    let payload = [0x42u8; 1000];
    for i in 0..200 {
        assert_eq!(send_to(&tx, &payload, 0, &addr), Ok(1000), "send {i}");
    }
    let mut queued = 0u32;
    loop {
        match recv_with_drop_count(&rx) {
            Ok((n, _)) => assert_eq!(n, 1000),
            Err(Errno::EAGAIN) => break,
            Err(e) => panic!("recvmsg after {queued} datagrams: {e:?}"),
        }
        queued += 1;
    }
    assert!((1..200).contains(&queued), "{queued} of 200 datagrams were queued with the minimum SO_RCVBUF");
    assert_eq!(send_to(&tx, b"after", 0, &addr), Ok(5));
    fixtures::poll::wait_for_events(&rx, libc::POLLIN, "the datagram sent after draining");
    assert_eq!(recv_with_drop_count(&rx), Ok((5, Some(200 - queued))), "SO_RXQ_OVFL after {queued} were queued");
}
