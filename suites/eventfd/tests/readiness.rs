//! Readiness of an eventfd for poll(2) and epoll(7).
//!
//! eventfd(2), "poll(2), select(2) (and similar)": "The file descriptor is readable (the
//! select(2) readfds argument; the poll(2) POLLIN flag) if the counter has a value greater
//! than 0. The file descriptor is writable (the select(2) writefds argument; the poll(2)
//! POLLOUT flag) if it is possible to write a value of at least "1" without blocking."

use std::os::fd::AsFd;

use eventfd::{nonblocking, read_u64, write_u64};
use fixtures::deadline::poll_ms;
use fixtures::kinds::EVENTFD_MAX as MAX;
use fixtures::poll::{Epoll, revents_now};
use fixtures::DEFAULT_DEADLINE;

const IN: u32 = libc::EPOLLIN as u32;
const OUT: u32 = libc::EPOLLOUT as u32;

/// What poll(2) reports now for POLLIN|POLLOUT.
fn readiness(e: impl AsFd) -> libc::c_short {
    revents_now(e, libc::POLLIN | libc::POLLOUT)
}

/// eventfd(2), "poll(2), select(2) (and similar)": "The file descriptor is readable (the
/// select(2) readfds argument; the poll(2) POLLIN flag) if the counter has a value greater
/// than 0." POLLIN exactly while the counter is greater than 0.
#[test]
fn pollin_is_reported_only_while_the_counter_is_nonzero() {
    let e = nonblocking(0);
    assert_eq!(readiness(&e), libc::POLLOUT, "POLLIN at 0");
    write_u64(&e, 1).unwrap();
    assert_eq!(readiness(&e), libc::POLLIN | libc::POLLOUT, "no POLLIN at 1");
    read_u64(&e).unwrap();
    assert_eq!(readiness(&e), libc::POLLOUT, "POLLIN after the read reset the counter");
}

/// eventfd(2), "poll(2), select(2) (and similar)": "The file descriptor is writable (the
/// select(2) writefds argument; the poll(2) POLLOUT flag) if it is possible to write a value
/// of at least "1" without blocking"; write(2): "The maximum value that may be stored in the
/// counter is ... 0xfffffffffffffffe". POLLOUT exactly while a write of 1 would not block:
/// at 0xfffffffffffffffd it is still writable, at the maximum 0xfffffffffffffffe it is not
/// (and a write of 1 there would fail EAGAIN on this nonblocking fd, as the flag predicts).
#[test]
fn pollout_is_reported_while_a_write_of_1_would_not_block() {
    let e = nonblocking(0);
    assert_eq!(readiness(&e), libc::POLLOUT, "a zero counter: writable only");
    write_u64(&e, MAX - 1).unwrap();
    assert_eq!(readiness(&e), libc::POLLIN | libc::POLLOUT, "one below the maximum");
    write_u64(&e, 1).unwrap();
    assert_eq!(readiness(&e), libc::POLLIN, "at the maximum: not writable");
    fixtures::assert_errno!(write_u64(&e, 1), nix::errno::Errno::EAGAIN);
}

/// epoll(7) reports the same readiness as poll (level-triggered): EPOLLOUT alone at 0,
/// EPOLLIN|EPOLLOUT after a write, EPOLLIN alone at the maximum; epoll_wait times out when
/// nothing asked for is ready.
#[test]
fn epoll_reports_the_same_readiness_as_poll() {
    let e = nonblocking(0);
    let ep = Epoll::new();
    ep.add(&e, IN | OUT, 1).unwrap();
    assert_eq!(ep.ready(), vec![(OUT, 1)]);
    write_u64(&e, 2).unwrap();
    assert_eq!(ep.ready(), vec![(IN | OUT, 1)]);
    write_u64(&e, MAX - 2).unwrap();
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    // Only EPOLLOUT asked for, at the maximum: nothing. Readiness is computed when polled and
    // nothing is in flight, so a wait that does not wait is the whole proof.
    let ep2 = Epoll::new();
    ep2.add(&e, OUT, 2).unwrap();
    assert_eq!(ep2.wait(8, 0).unwrap(), vec![], "EPOLLOUT at the maximum");
}

/// epoll(7), EPOLLET: "The edge-triggered mode delivers events only when changes occur on
/// the monitored file descriptor." Every write to an eventfd is such a change (it wakes
/// the waiters), so each write produces a new EPOLLIN event even while the counter was
/// already nonzero; without a write, no event repeats.
#[test]
fn every_write_is_a_new_edge_for_epollet() {
    let e = nonblocking(0);
    let ep = Epoll::new();
    ep.add(&e, IN | libc::EPOLLET as u32, 1).unwrap();
    write_u64(&e, 1).unwrap();
    assert_eq!(ep.wait(8, poll_ms(DEFAULT_DEADLINE)).unwrap(), vec![(IN, 1)]);
    // An eventfd queues its events in the write itself, which has returned: a wait that does
    // not wait sees any repeated one.
    assert_eq!(ep.wait(8, 0).unwrap(), vec![], "an edge-triggered event repeated without a change");
    write_u64(&e, 1).unwrap();
    assert_eq!(ep.wait(8, poll_ms(DEFAULT_DEADLINE)).unwrap(), vec![(IN, 1)], "second write, no event");
    assert_eq!(read_u64(&e), Ok(2));
}
