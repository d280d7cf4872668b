//! poll(2) as a call: its return value, its timeout argument, and its errors.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use fixtures::deadline::assert_waited_at_least;
use fixtures::kinds::Kind;
use fixtures::limits::set_nofile_soft_limit;
use fixtures::poll::poll1;
use fixtures::{assert_errno, needs, run_in_child, sys};
use nix::errno::Errno;
use fixtures::cases::every_kind;
use poll_select::waits::{blocked_waiter, poll, pollfd};
use rstest::rstest;
use rstest_reuse::apply;

/// poll(2), RETURN VALUE: "the number of elements in the pollfds whose revents fields have
/// been set to a nonzero value". An eventfd that is both readable and writable counts once,
/// a POLLNVAL entry counts, a negative fd and an idle pipe do not.
#[test]
fn poll_counts_entries_with_events_not_events() {
    let e = Kind::EventFd.pair();
    e.send(b"x");
    let idle = Kind::Pipe.pair();
    run_in_child("poll with a closed fd", || {
        let closed = idle.rx().try_clone_to_owned().unwrap().as_raw_fd(); // closed again at once
        let mut fds = [
            pollfd(e.rx().as_raw_fd(), libc::POLLIN | libc::POLLOUT),
            pollfd(idle.rx().as_raw_fd(), libc::POLLIN),
            pollfd(closed, libc::POLLIN),
            pollfd(-1, libc::POLLIN),
        ];
        assert_eq!(poll(&mut fds, 0), Ok(2));
        assert_eq!(
            fds.map(|f| f.revents),
            [libc::POLLIN | libc::POLLOUT, 0, libc::POLLNVAL, 0]
        );
    })
    .expect_success();
}

/// poll(2): each element is evaluated on its own, so the same fd listed twice is reported in
/// both entries (and counted twice), each with its own requested events.
#[test]
fn the_same_fd_listed_twice_is_reported_in_each_entry() {
    let p = Kind::Pipe.pair();
    p.send(b"x");
    let fd = p.rx().as_raw_fd();
    let mut fds = [pollfd(fd, libc::POLLIN), pollfd(fd, libc::POLLRDNORM), pollfd(fd, libc::POLLPRI)];
    assert_eq!(poll(&mut fds, 0), Ok(2));
    assert_eq!(fds.map(|f| f.revents), [libc::POLLIN, libc::POLLRDNORM, 0]);
}

/// poll(2): "Specifying a timeout of zero causes poll() to return immediately, even if no
/// file descriptors are ready." (A kernel that waited would be stopped by the deadline.)
#[test]
fn a_zero_timeout_returns_zero_at_once() {
    let p = Kind::Pipe.pair();
    let r = fixtures::within("poll with timeout 0", || poll1(p.rx(), libc::POLLIN, 0));
    assert_eq!(r, Ok((0, 0)));
}

/// poll(2): the call blocks until "the timeout expires"; it then returns 0. The timeout is
/// "rounded up", never down: at least the requested time has passed.
#[test]
fn a_positive_timeout_expires_with_zero_after_at_least_that_long() {
    let p = Kind::Pipe.pair();
    let start = Instant::now();
    assert_eq!(poll1(p.rx(), libc::POLLIN, 30), Ok((0, 0)));
    assert_waited_at_least(start, Duration::from_millis(30));
}

/// select(2), "Emulating usleep(3)": an empty set and a timeout is "a fairly portable way to
/// sleep"; poll with nfds 0 likewise just waits out its timeout and returns 0.
#[test]
fn nfds_zero_with_a_timeout_is_a_sleep() {
    let start = Instant::now();
    assert_eq!(poll(&mut [], 30), Ok(0));
    assert_waited_at_least(start, Duration::from_millis(30));
}

/// poll(2): "Specifying a negative value in timeout means an infinite timeout"; the call
/// blocks "until ... a file descriptor becomes ready". A child blocked in poll(-1) stays
/// blocked until the peer sends, then returns 1 with POLLIN — for every kind, each with its
/// own wakeup path. poll(2), NOTES: poll "is not affected by the O_NONBLOCK flag" (the
/// pair's fds are nonblocking).
#[apply(every_kind)]
#[rstest]
fn an_infinite_timeout_waits_for_the_peer(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    blocks_until_the_peer_sends(kind, -1);
}

/// poll(2): "Specifying a negative value in timeout means an infinite timeout" — any
/// negative value, not only -1.
#[test]
fn any_negative_timeout_is_infinite() {
    blocks_until_the_peer_sends(Kind::Pipe, -1000);
}

fn blocks_until_the_peer_sends(kind: Kind, timeout: libc::c_int) {
    let p = kind.pair();
    let child = blocked_waiter("poll with an infinite timeout", || {
        assert_eq!(poll1(p.rx(), libc::POLLIN, timeout), Ok((1, libc::POLLIN)));
    });
    p.send(b"x");
    child.expect_success();
}

/// poll(2), ERRORS: "EFAULT fds points outside the process's accessible address space."
#[test]
fn an_unmapped_array_fails_efault() {
    // SAFETY: the kernel must not touch user memory at this address without checking it.
    let r = sys(unsafe { libc::poll(8 as *mut libc::pollfd, 1, 0) });
    assert_errno!(r, Errno::EFAULT);
}

/// poll(2), ERRORS: "EINVAL The nfds value exceeds the RLIMIT_NOFILE value." (fs/select.c:
/// `nfds > rlimit(RLIMIT_NOFILE)`): nfds equal to the limit is accepted, one more is not.
#[test]
fn nfds_above_rlimit_nofile_fails_einval() {
    run_in_child("poll under RLIMIT_NOFILE 16", || {
        set_nofile_soft_limit(16);
        let mut fds = [pollfd(-1, 0); 17];
        assert_eq!(poll(&mut fds[..16], 0), Ok(0));
        assert_errno!(poll(&mut fds, 0), Errno::EINVAL);
    })
    .expect_success();
}
