//! poll(2) as a call: its return value, its timeout argument, and its errors.

use std::time::{Duration, Instant};

use fixtures::kinds::Kind;
use fixtures::poll::poll1;
use fixtures::{assert_errno, require, run_in_child, spawn, sync, sys};
use nix::errno::Errno;
use poll_select::limit_nofile;
use rstest::rstest;

/// poll(2), RETURN VALUE: "the number of elements in the pollfds whose revents fields have
/// been set to a nonzero value". An eventfd that is both readable and writable counts once,
/// a POLLNVAL entry counts, a negative fd and an idle pipe do not.
#[test]
fn poll_counts_entries_with_events_not_events() {
    let e = Kind::EventFd.pair();
    e.send(b"x");
    let idle = Kind::Pipe.pair();
    run_in_child("poll with a closed fd", || {
        let closed = sys(unsafe { libc::dup(idle.rx()) }).unwrap();
        sys(unsafe { libc::close(closed) }).unwrap();
        let mut fds = [
            libc::pollfd {
                fd: e.rx(),
                events: libc::POLLIN | libc::POLLOUT,
                revents: 0,
            },
            libc::pollfd {
                fd: idle.rx(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: closed,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: -1,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: four valid pollfds.
        assert_eq!(sys(unsafe { libc::poll(fds.as_mut_ptr(), 4, 0) }), Ok(2));
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
    let mut fds = [
        libc::pollfd {
            fd: p.rx(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: p.rx(),
            events: libc::POLLRDNORM,
            revents: 0,
        },
        libc::pollfd {
            fd: p.rx(),
            events: libc::POLLPRI,
            revents: 0,
        },
    ];
    // SAFETY: three valid pollfds.
    assert_eq!(sys(unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) }), Ok(2));
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
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "returned after {:?}",
        start.elapsed()
    );
}

/// select(2), "Emulating usleep(3)": an empty set and a timeout is "a fairly portable way to
/// sleep"; poll with nfds 0 likewise just waits out its timeout and returns 0.
#[test]
fn nfds_zero_with_a_timeout_is_a_sleep() {
    let start = Instant::now();
    // SAFETY: nfds 0, the array is never read.
    let r = sys(unsafe { libc::poll(std::ptr::null_mut(), 0, 30) });
    assert_eq!(r, Ok(0));
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "returned after {:?}",
        start.elapsed()
    );
}

/// poll(2): "Specifying a negative value in timeout means an infinite timeout"; the call
/// blocks "until ... a file descriptor becomes ready". A child blocked in poll(-1) stays
/// blocked until the peer sends, then returns 1 with POLLIN — for every kind, each with its
/// own wakeup path. poll(2), NOTES: poll "is not affected by the O_NONBLOCK flag" (the
/// pair's fds are nonblocking).
#[rstest]
fn an_infinite_timeout_waits_for_the_peer(
    #[values(
        Kind::Pipe,
        Kind::Fifo,
        Kind::UnixStream,
        Kind::UnixDgram,
        Kind::Tcp,
        Kind::EventFd,
        Kind::Pty,
        Kind::Mq
    )]
    kind: Kind,
) {
    require!(kind.available());
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
    let (ready, wait_ready) = sync::channel();
    let mut child = spawn("poller", || {
        ready.notify();
        assert_eq!(poll1(p.rx(), libc::POLLIN, timeout), Ok((1, libc::POLLIN)));
    });
    wait_ready.wait();
    child.assert_blocked("poll with an infinite timeout");
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
        limit_nofile(16);
        let mut fds = [libc::pollfd {
            fd: -1,
            events: 0,
            revents: 0,
        }; 17];
        // SAFETY: 17 valid pollfds; only the first nfds are read.
        assert_eq!(sys(unsafe { libc::poll(fds.as_mut_ptr(), 16, 0) }), Ok(0));
        assert_errno!(
            sys(unsafe { libc::poll(fds.as_mut_ptr(), 17, 0) }),
            Errno::EINVAL
        );
    })
    .expect_success();
}
