//! Loopback belongs to a network namespace. network_namespaces(7): "Network namespaces
//! provide isolation of the system resources associated with networking: network devices,
//! IPv4 and IPv6 protocol stacks, IP routing tables, firewall rules, ... port numbers
//! (sockets), and so on." So 127.0.0.1 of a new network namespace (a container without
//! --network=host) is another host's loopback: the listeners and ports of the outer one are
//! not there.

use fixtures::facility::namespaces;
use fixtures::net::{connect, loopback_listener, recv, send, send_to};
use fixtures::ns::{loopback_up, unshare};
use fixtures::poll::{poll1, wait_for_events};
use fixtures::{NEGATIVE_WAIT, assert_errno, needs, spawn, within};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::{socket, udp_bound};
use nix::errno::Errno;

/// network_namespaces(7) with ip(7): a new network namespace starts with only "lo", and down
/// ("ip link set lo up" is a container runtime's first step), so 127.0.0.1 has no route
/// there: connect(2) to the outer listener's address fails ENETUNREACH; once lo is up it
/// fails ECONNREFUSED — the namespace's own 127.0.0.1 has nothing listening on that port —
/// while from the outer namespace the same connect(2) succeeds.
#[test]
fn a_tcp_listener_on_loopback_is_unreachable_from_a_new_network_namespace() {
    needs!(available(namespaces(libc::CLONE_NEWNET)));
    let (_l, addr) = loopback_listener();
    within("connect from the listener's namespace", || connect(socket(Family::V4, Proto::Tcp), &addr)).expect("the outer connect");
    spawn("client in a new network namespace", || {
        unshare(libc::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        let r = within("connect with lo down", || connect(socket(Family::V4, Proto::Tcp), &addr));
        assert_errno!(r, Errno::ENETUNREACH, "connect to {addr:?} with lo down");
        loopback_up().expect("bring lo up");
        let r = within("connect with lo up", || connect(socket(Family::V4, Proto::Tcp), &addr));
        assert_errno!(r, Errno::ECONNREFUSED, "connect to {addr:?} in the new namespace's loopback");
    })
    .expect_success();
}

/// network_namespaces(7) with udp(7): a datagram sent from a new network namespace to the
/// port of a UDP socket bound to 127.0.0.1 outside goes to the new namespace's own loopback.
/// There, sendto(2) on an unconnected socket succeeds (nothing reports the loss), and a
/// connected socket gets the ICMP port-unreachable of its own namespace: POLLERR, then
/// recv(2) fails ECONNREFUSED (udp(7): "ECONNREFUSED No receiver was associated with the
/// destination address"). Outside, the receiver gets nothing: no POLLIN within a bounded
/// wait, recv(MSG_DONTWAIT) EAGAIN — while a datagram from its own namespace does arrive.
#[test]
fn a_udp_socket_on_loopback_receives_nothing_from_a_new_network_namespace() {
    needs!(available(namespaces(libc::CLONE_NEWNET)));
    let (rx, addr) = udp_bound(Family::V4);
    spawn("sender in a new network namespace", || {
        unshare(libc::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        loopback_up().expect("bring lo up");
        let s = socket(Family::V4, Proto::Udp);
        assert_eq!(send_to(&s, b"lost", 0, &addr), Ok(4), "unconnected sendto");
        let c = socket(Family::V4, Proto::Udp);
        connect(&c, &addr).expect("connect a UDP socket");
        assert_eq!(send(&c, b"lost", 0), Ok(4), "the first send on the connected socket");
        assert_eq!(wait_for_events(&c, libc::POLLIN, "the ICMP error") & libc::POLLERR, libc::POLLERR);
        let mut b = [0u8; 8];
        assert_errno!(recv(&c, &mut b, libc::MSG_DONTWAIT), Errno::ECONNREFUSED, "the connected socket after port unreachable");
    })
    .expect_success();
    let mut b = [0u8; 8];
    assert_eq!(poll1(&rx, libc::POLLIN, fixtures::deadline::poll_ms(NEGATIVE_WAIT)), Ok((0, 0)), "nothing reached the outer socket");
    assert_errno!(recv(&rx, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN);
    assert_eq!(send_to(socket(Family::V4, Proto::Udp), b"here", 0, &addr), Ok(4));
    wait_for_events(&rx, libc::POLLIN, "a datagram of the receiver's own namespace");
    assert_eq!(recv(&rx, &mut b, libc::MSG_DONTWAIT), Ok(4));
}
