//! Who is woken when several waiters wait for one event: EPOLLEXCLUSIVE across epoll
//! instances (epoll_ctl(2)), and edge-triggered events within one instance (epoll(7)).
//!
//! Each waiter is a forked child blocked in epoll_wait(-1) (checked through
//! /proc/<pid>/syscall); a woken child reports its index on a shared pipe and exits without
//! reading the fd. "Only one woke" is proven by receiving one report while every other
//! waiter is then still asleep in its epoll_wait (`Forked::assert_still_blocked`: a report is
//! sent after its epoll_wait returned, so every wake-up the event caused has been issued by
//! then), and no further report is queued.

use epoll::{ET, EXCLUSIVE, IN};
use fixtures::kinds::Kind;
use fixtures::poll::Epoll;
use fixtures::{Forked, spawn, sync};
use rstest::rstest;

const WAITERS: usize = 3;

/// Start one child per entry of `eps`, child i blocked in epoll_wait(-1) on eps[i]; return
/// once all of them sleep in the kernel.
fn block_waiters(eps: &[&Epoll], woke: &sync::Notifier) -> Vec<Forked> {
    let (ready, wait_ready) = sync::channel();
    let mut kids: Vec<Forked> = eps
        .iter()
        .enumerate()
        .map(|(i, ep)| {
            spawn(&format!("waiter {i}"), || {
                ready.notify();
                let got = ep.wait(4, -1).expect("epoll_wait");
                assert_eq!(got.len(), 1);
                woke.send(&[i as u8]);
            })
        })
        .collect();
    wait_ready.wait_n(eps.len());
    for k in &mut kids {
        // Each must really sit in epoll_wait: a waiter arriving late would find an exclusive
        // registration's event on its own ready list and count as a second wakeup.
        k.wait_until_blocked_in(&epoll::EPOLL_WAIT_NRS);
    }
    kids
}

/// After the waiters `got` (their indices) reported, every other waiter is still asleep in the
/// same epoll_wait (each report is sent after its epoll_wait returned, so every wake-up that
/// the event caused has been issued by then), and no further report is queued.
#[track_caller]
fn no_other_waiter_woke(kids: &mut [Forked], got: &[u8], woken: &sync::Waiter) {
    for (i, k) in kids.iter_mut().enumerate() {
        if !got.contains(&(i as u8)) {
            k.assert_still_blocked(&format!("epoll_wait(-1) of waiter {i} after {} waiter(s) woke", got.len()));
        }
    }
    assert!(!woken.notified_within(std::time::Duration::ZERO), "more than {} waiter(s) woke", got.len());
}

/// epoll_ctl(2), EPOLLEXCLUSIVE (since Linux 4.5): "When a wakeup event occurs and multiple
/// epoll file descriptors are attached to the same target file using EPOLLEXCLUSIVE, one or
/// more of the epoll file descriptors will receive an event ... The default in this
/// scenario (when EPOLLEXCLUSIVE is not set) is for all epoll file descriptors to receive an
/// event." With every instance's waiter blocked, one eventfd write wakes exactly one waiter
/// with EPOLLEXCLUSIVE (fs/eventpoll.c: the first exclusive callback that wakes a waiter
/// ends the wakeup), and all of them without.
#[rstest]
#[case::exclusive(true)]
#[case::not_exclusive(false)]
fn one_write_wakes_one_exclusive_instance_or_all(#[case] exclusive: bool) {
    let p = Kind::EventFd.pair();
    let eps: Vec<Epoll> = (0..WAITERS).map(|_| Epoll::new()).collect();
    for (i, ep) in eps.iter().enumerate() {
        ep.add(p.rx(), IN | if exclusive { EXCLUSIVE } else { 0 }, i as u64)
            .unwrap();
    }
    let (woke, woken) = sync::channel();
    let refs: Vec<&Epoll> = eps.iter().collect();
    let mut kids = block_waiters(&refs, &woke);
    p.send(b"x");
    let expected = if exclusive { 1 } else { WAITERS };
    let got = woken.recv(expected);
    assert_eq!(got.len(), expected);
    no_other_waiter_woke(&mut kids, &got, &woken);
}

/// epoll(7): "If multiple threads (or processes, if child processes have inherited the
/// epoll file descriptor across fork(2)) are blocked in epoll_wait(2) waiting on the same
/// epoll file descriptor and a file descriptor in the interest list that is marked for
/// edge-triggered (EPOLLET) notification becomes ready, just one of the threads (or
/// processes) is awoken from epoll_wait(2)." A level-triggered event, by contrast, stays
/// ready after it is returned, and is handed on to every waiter in turn.
#[rstest]
#[case::edge_triggered(ET, 1)]
#[case::level_triggered(0, WAITERS)]
fn an_event_on_one_instance_wakes_one_waiter_if_edge_triggered(
    #[case] mode: u32,
    #[case] expected: usize,
) {
    let p = Kind::Pipe.pair();
    let ep = Epoll::new();
    ep.add(p.rx(), IN | mode, 1).unwrap();
    let (woke, woken) = sync::channel();
    let refs: Vec<&Epoll> = (0..WAITERS).map(|_| &ep).collect();
    let mut kids = block_waiters(&refs, &woke);
    p.send(b"x");
    let got = woken.recv(expected);
    assert_eq!(got.len(), expected);
    no_other_waiter_woke(&mut kids, &got, &woken);
}
