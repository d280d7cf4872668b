//! mq_overview(7), "Linux implementation of message queue descriptors": "a message queue
//! descriptor is actually a file descriptor ... This means that a message queue descriptor
//! can be monitored using select(2), poll(2), or epoll(7)." Readable = a message is
//! queued; writable = the queue is not full.

use std::os::fd::AsRawFd;

use fixtures::deadline::poll_ms;
use fixtures::poll::revents;
use fixtures::blocked::calls;
use fixtures::{DEFAULT_DEADLINE, IpcName, spawn};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use posix_mq::queue::{Mq, new_queue, open};
use rstest::rstest;

/// poll(2) on a queue descriptor: POLLIN exactly when a message is queued, POLLOUT exactly
/// when there is room (mq_curmsgs < mq_maxmsg). Checked for an empty, a partly filled and a
/// full queue of 2 messages.
#[rstest]
#[case::empty(0, libc::POLLOUT)]
#[case::partly_filled(1, libc::POLLIN | libc::POLLOUT)]
#[case::full(2, libc::POLLIN)]
fn poll_reports_pollin_when_non_empty_and_pollout_when_not_full(
    #[case] queued: usize,
    #[case] expected: libc::c_short,
) {
    let (_name, q) = new_queue("poll", 2);
    for _ in 0..queued {
        q.send(b"m", 0).unwrap();
    }
    assert_eq!(revents(&q, libc::POLLIN | libc::POLLOUT, 0), expected);
}

/// A poll(2) for POLLIN on an empty queue waits: nothing is reported within a bounded wait,
/// and a process blocked in poll wakes up with POLLIN when another process sends.
#[test]
fn poll_for_pollin_blocks_until_another_process_sends() {
    let (name, q) = new_queue("pollwait", 2);
    assert_eq!(revents(&q, libc::POLLIN, 0), 0, "an empty queue is not readable");
    woken_by_a_message(&q, &name, calls::POLL, "poll(2) for POLLIN on an empty queue", |r| {
        assert_eq!(revents(r, libc::POLLIN, poll_ms(DEFAULT_DEADLINE)), libc::POLLIN);
        assert_eq!(r.receive().unwrap().0, b"wake up");
    });
}

/// Another process opens the queue `name` for reading and waits on it with `wait`; once it
/// sleeps in the kernel in one of the system calls `nrs`, `q` sends "wake up", and the process must then succeed.
fn woken_by_a_message(q: &Mq, name: &IpcName, nrs: &[libc::c_long], waiting_in: &str, wait: impl FnOnce(&Mq)) {
    let mut waiter = spawn(waiting_in, || wait(&open(name.as_cstr(), libc::O_RDONLY)));
    waiter.assert_blocked_in(nrs, waiting_in);
    q.send(b"wake up", 0).unwrap();
    waiter.expect_success();
}

/// epoll(7) on a queue descriptor: EPOLLIN appears when a message arrives (epoll_wait in
/// another process wakes up) and disappears when the queue is drained.
#[test]
fn epoll_reports_epollin_for_a_queued_message() {
    let (name, q) = new_queue("epoll", 2);
    woken_by_a_message(&q, &name, calls::EPOLL_WAIT, "epoll_wait(2) on an empty queue", |r| {
        let ep = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).unwrap();
        ep.add(r, EpollEvent::new(EpollFlags::EPOLLIN, 42)).unwrap();
        let mut evs = [EpollEvent::empty(); 2];
        let n = ep.wait(&mut evs, DEFAULT_DEADLINE.as_millis() as u16).unwrap();
        assert_eq!(n, 1);
        assert_eq!((evs[0].events(), evs[0].data()), (EpollFlags::EPOLLIN, 42));
        r.receive().unwrap();
        assert_eq!(ep.wait(&mut evs, 0u8).unwrap(), 0, "a drained queue is not readable");
    });
}

/// select(2) on a queue descriptor: readable only with a message queued, writable only
/// while the queue is not full.
#[test]
fn select_reports_readable_and_writable_queues() {
    let (_name, q) = new_queue("select", 1);
    let sel = |q: &Mq| -> (bool, bool) {
        let fd = q.as_raw_fd();
        // SAFETY: fd_set manipulation and select on one valid descriptor, no wait.
        unsafe {
            let mut r: libc::fd_set = std::mem::zeroed();
            let mut w: libc::fd_set = std::mem::zeroed();
            libc::FD_SET(fd, &mut r);
            libc::FD_SET(fd, &mut w);
            let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
            assert!(libc::select(fd + 1, &mut r, &mut w, std::ptr::null_mut(), &mut tv) >= 0);
            (libc::FD_ISSET(fd, &r), libc::FD_ISSET(fd, &w))
        }
    };
    assert_eq!(sel(&q), (false, true), "empty");
    q.send(b"s", 0).unwrap();
    assert_eq!(sel(&q), (true, false), "full");
    q.receive().unwrap();
    assert_eq!(sel(&q), (false, true), "empty again");
}
