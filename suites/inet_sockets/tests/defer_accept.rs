//! TCP_DEFER_ACCEPT: a listener that is woken only when data arrives (HAProxy's
//! `defer-accept`, nginx's `deferred`). tcp(7), TCP_DEFER_ACCEPT: "Allow a listener to be
//! awakened only when data arrives on the socket. Takes an integer value (seconds), this can
//! bound the maximum number of attempts TCP will make to complete the connection."
//!
//! How Linux does it (net/ipv4/tcp_minisocks.c, tcp_check_req: "While TCP_DEFER_ACCEPT is
//! active, drop bare ACK"): the handshake's final ACK is dropped, the connection stays a
//! request until the first data segment completes it. The seconds are kept as a number of
//! SYN-ACK retransmissions (net/ipv4/tcp.c, secs_to_retrans, with a first timeout of 1 s
//! doubling each time); when they are used up, a retransmitted SYN-ACK's bare ACK
//! establishes the connection after all (net/ipv4/inet_connection_sock.c, syn_ack_recalc:
//! "start to resend on end of deferring period to give last chance for data or ACK to
//! create established socket").
//!
//! The listener is watched with epoll, as nginx does; "not reported" is a bounded wait
//! (NEGATIVE_WAIT) plus accept4 failing EAGAIN on the nonblocking listener.

use fixtures::net::{accept4, connect, getsockopt_int, recv, send, setsockopt_int};
use fixtures::poll::{Epoll, wait_for_events};
use fixtures::{NEGATIVE_WAIT, assert_errno, deadline, needs};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::cases::families;
use inet_sockets::sockets::socket;
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;

/// A nonblocking TCP listener on loopback with TCP_DEFER_ACCEPT `secs`, registered for
/// EPOLLIN in a new epoll instance.
fn deferring_listener(fam: Family, secs: libc::c_int) -> (std::os::fd::OwnedFd, fixtures::net::SockAddr, Epoll) {
    let (l, addr) = fixtures::net::listener(&fam.loopback(0), 16, libc::SOCK_NONBLOCK);
    setsockopt_int(&l, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, secs).unwrap();
    let ep = Epoll::new();
    ep.add(&l, libc::EPOLLIN as u32, 1).unwrap();
    (l, addr, ep)
}

/// tcp(7), TCP_DEFER_ACCEPT: the value is seconds, kept as whole SYN-ACK retransmission
/// periods (1, 2, 4, ... s): it reads back 0 when off, 1 for 1, and 7 (1 + 2 + 4) for 5,
/// the first sum of periods that reaches it (net/ipv4/tcp.c, secs_to_retrans and
/// retrans_to_secs).
#[test]
fn tcp_defer_accept_reads_back_in_whole_retransmission_periods() {
    let s = socket(Family::V4, Proto::Tcp);
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT), Ok(0));
    for (set, back) in [(1, 1), (5, 7), (0, 0)] {
        setsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, set).unwrap();
        assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT), Ok(back), "set {set}");
    }
}

/// tcp(7), TCP_DEFER_ACCEPT: "Allow a listener to be awakened only when data arrives on
/// the socket." The client's connect(2) succeeds, but the listener is not reported by epoll
/// and accept4 fails EAGAIN; once the client sends, the listener becomes readable and the
/// accepted socket already holds the data.
#[apply(families)]
fn a_connection_is_not_reported_to_accept_until_data_arrives(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (l, addr, ep) = deferring_listener(fam, 10);
    let c = socket(fam, Proto::Tcp);
    assert_eq!(connect(&c, &addr), Ok(()), "connect completes for the client");
    assert_eq!(ep.wait(1, deadline::poll_ms(NEGATIVE_WAIT)), Ok(vec![]), "listener reported before any data");
    assert_errno!(accept4(&l, 0), Errno::EAGAIN);
    assert_eq!(send(&c, b"GET", 0), Ok(3));
    wait_for_events(&l, libc::POLLIN, "the listener once data arrived");
    assert_eq!(ep.wait(1, 0), Ok(vec![(libc::EPOLLIN as u32, 1)]));
    let s = accept4(&l, 0).expect("accept once data arrived");
    let mut buf = [0u8; 8];
    assert_eq!(recv(&s, &mut buf, libc::MSG_DONTWAIT), Ok(3));
    assert_eq!(&buf[..3], b"GET");
}

/// TCP_DEFER_ACCEPT bounds the wait, it does not drop the connection (tcp(7): the value
/// "can bound the maximum number of attempts TCP will make to complete the connection";
/// net/ipv4/inet_connection_sock.c, syn_ack_recalc): with 1 second, a client that sends
/// nothing is not accepted at first, but after the SYN-ACK retransmitted at the end of the
/// period is acknowledged, the listener becomes readable and accept gives a socket with
/// no data.
#[test]
fn a_connection_without_data_is_accepted_once_the_deferring_period_is_over() {
    let (l, addr, ep) = deferring_listener(Family::V4, 1);
    let c = socket(Family::V4, Proto::Tcp);
    assert_eq!(connect(&c, &addr), Ok(()));
    assert_eq!(ep.wait(1, deadline::poll_ms(NEGATIVE_WAIT)), Ok(vec![]), "listener reported before the period ended");
    wait_for_events(&l, libc::POLLIN, "the listener after the deferring period");
    let s = accept4(&l, 0).expect("accept after the deferring period");
    let mut buf = [0u8; 8];
    assert_errno!(recv(&s, &mut buf, libc::MSG_DONTWAIT), Errno::EAGAIN);
}
