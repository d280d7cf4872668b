//! epoll_wait(2), epoll_pwait(2), epoll_pwait2(2): timeouts, errors, signals.

use std::time::{Duration, Instant};

use epoll::{ET, IN, epoll_pwait, epoll_pwait2, has_epoll_pwait2};
use fixtures::child::await_child_state;
use fixtures::clock::timespec;
use fixtures::kinds::Kind;
use fixtures::poll::{Epoll, epoll_wait};
use fixtures::signals::{block, count, install_counter, is_blocked, is_pending, sigset};
use fixtures::{assert_errno, gate, kernel_at_least, require, run_in_child, skip, spawn, sync};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal, raise};
use rstest::rstest;

/// The three waiting calls, for claims that span them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    EpollWait,
    EpollPwait,
    EpollPwait2,
}

impl Call {
    /// Wait on `ep` without a timeout (and with `mask`, for the p-variants).
    fn forever(
        self,
        ep: &Epoll,
        mask: Option<&libc::sigset_t>,
    ) -> Result<Vec<fixtures::poll::Event>, Errno> {
        match self {
            Call::EpollWait => ep.wait(4, -1),
            Call::EpollPwait => epoll_pwait(ep.fd(), 4, -1, mask),
            Call::EpollPwait2 => epoll_pwait2(ep.fd(), 4, None, mask),
        }
    }

    fn available(self) -> Result<(), String> {
        if self == Call::EpollPwait2 && !has_epoll_pwait2() {
            return Err("epoll_pwait2 is not available here (kernel < 5.11 or filtered)".into());
        }
        Ok(())
    }
}

/// epoll_wait(2): "specifying a timeout equal to zero cause epoll_wait() to return
/// immediately, even if no events are available."
#[test]
fn a_zero_timeout_returns_at_once() {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN, 1).unwrap();
    assert_eq!(
        fixtures::within("epoll_wait with timeout 0", || ep.wait(4, 0)),
        Ok(vec![])
    );
}

/// epoll_wait(2): the call blocks until "the timeout expires", then returns 0; the timeout
/// "will be rounded up to the system clock granularity": never less than asked.
#[test]
fn a_positive_timeout_expires_after_at_least_that_long() {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN, 1).unwrap();
    let start = Instant::now();
    assert_eq!(ep.wait(4, 30), Ok(vec![]));
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "returned after {:?}",
        start.elapsed()
    );
}

/// epoll_wait(2): "Specifying a timeout of -1 causes epoll_wait() to block indefinitely"
/// until "a file descriptor delivers an event". A child blocked in epoll_wait(-1) stays
/// blocked until the peer sends, for every kind (each kind wakes the epoll callback from
/// its own code path).
#[rstest]
fn an_infinite_timeout_waits_for_an_event(
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
    let ep = Epoll::new();
    let p = kind.pair();
    ep.add(p.rx(), IN | ET, 5).unwrap();
    let (ready, wait_ready) = sync::channel();
    let mut child = spawn("waiter", || {
        ready.notify();
        assert_eq!(ep.wait(4, -1), Ok(vec![(IN, 5)]));
    });
    wait_ready.wait();
    child.assert_blocked("epoll_wait(-1)");
    p.send(b"x");
    child.expect_success();
}

/// epoll_wait(2): "The maxevents argument must be greater than zero"; ERRORS: "EINVAL ...
/// maxevents is less than or equal to zero."
#[rstest]
#[case::zero(0)]
#[case::negative(-1)]
fn maxevents_not_positive_fails_einval(#[case] max: libc::c_int) {
    let ep = Epoll::new();
    let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 1];
    // SAFETY: a valid buffer; the kernel must reject maxevents before using it.
    assert_errno!(
        fixtures::sys(unsafe { libc::epoll_wait(ep.fd(), evs.as_mut_ptr(), max, 0) }),
        Errno::EINVAL
    );
}

/// epoll_wait(2), ERRORS: "EINVAL epfd is not an epoll file descriptor" and "EBADF epfd is
/// not a valid file descriptor".
#[test]
fn waiting_on_a_non_epoll_or_closed_fd_fails() {
    let p = Kind::Pipe.pair();
    assert_errno!(epoll_wait(p.rx(), 1, 0), Errno::EINVAL);
    run_in_child("closed epfd", || {
        let closed = fixtures::sys(unsafe { libc::dup(p.rx()) }).unwrap();
        fixtures::sys(unsafe { libc::close(closed) }).unwrap();
        assert_errno!(epoll_wait(closed, 1, 0), Errno::EBADF);
    })
    .expect_success();
}

/// epoll_wait(2), ERRORS: "EFAULT The memory area pointed to by events is not accessible
/// with write permissions." The event is not lost: fs/eventpoll.c (ep_send_events) puts an
/// item it could not copy back on the ready list, so even an edge-triggered event is
/// returned by the next call.
#[test]
fn an_unwritable_events_buffer_fails_efault_and_keeps_the_event() {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN | ET, 3).unwrap();
    p.send(b"x");
    // SAFETY: the kernel must check the user address it writes to (page 0 is unmapped).
    assert_errno!(
        fixtures::sys(unsafe { libc::epoll_wait(ep.fd(), 8 as *mut libc::epoll_event, 1, 0) }),
        Errno::EFAULT
    );
    assert_eq!(ep.ready(), vec![(IN, 3)]);
}

/// signal(7): epoll_wait(2) and epoll_pwait(2) (and epoll_pwait2) are "never restarted
/// after being interrupted by a signal handler, regardless of the use of SA_RESTART; they
/// always fail with the error EINTR".
#[rstest]
fn a_handler_interrupts_the_wait_with_eintr(
    #[values(Call::EpollWait, Call::EpollPwait, Call::EpollPwait2)] call: Call,
    #[values(true, false)] sa_restart: bool,
) {
    require!(call.available());
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN, 1).unwrap();
    let (ready, wait_ready) = sync::channel();
    let mut child = spawn("waiter", || {
        install_counter(
            Signal::SIGUSR1,
            if sa_restart {
                SaFlags::SA_RESTART
            } else {
                SaFlags::empty()
            },
        );
        ready.notify();
        assert_eq!(call.forever(&ep, None), Err(Errno::EINTR));
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    wait_ready.wait();
    child.assert_blocked("an epoll wait without timeout");
    child.signal(Signal::SIGUSR1);
    child.expect_success();
}

/// signal(7), "Interruption of system calls and library functions by stop signals": "On
/// Linux, even in the absence of signal handlers, certain blocking interfaces can fail
/// with the error EINTR after the process is stopped by one of the stop signals and then
/// resumed via SIGCONT ... epoll_wait(2), epoll_pwait(2)". (poll and select, by contrast,
/// resume: see poll_select::interruption.)
#[rstest]
fn a_stop_and_continue_fails_the_wait_with_eintr(
    #[values(Call::EpollWait, Call::EpollPwait)] call: Call,
) {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN, 1).unwrap();
    let (ready, wait_ready) = sync::channel();
    let mut child = spawn("waiter", || {
        ready.notify();
        assert_eq!(call.forever(&ep, None), Err(Errno::EINTR));
    });
    wait_ready.wait();
    child.assert_blocked("an epoll wait without timeout");
    child.signal(Signal::SIGSTOP);
    await_child_state(child.pid(), libc::WSTOPPED, "the child to stop");
    child.signal(Signal::SIGCONT);
    child.expect_success();
}

/// epoll_wait(2): epoll_pwait is "equivalent to atomically executing" the mask switch, the
/// wait and the restore. A signal blocked and pending before the call, unblocked by the
/// call's mask, interrupts it at once with EINTR (the handler ran once) although no fd is
/// ready and the timeout is long; afterwards the caller's mask is back.
#[rstest]
fn a_pending_signal_unblocked_by_the_mask_interrupts_at_once(
    #[values(Call::EpollPwait, Call::EpollPwait2)] call: Call,
) {
    require!(call.available());
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN, 1).unwrap();
    run_in_child("mask switch", || {
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        block(Signal::SIGUSR1);
        raise(Signal::SIGUSR1).unwrap();
        let open = sigset(&[]);
        let r = match call {
            Call::EpollPwait => epoll_pwait(ep.fd(), 4, 5000, Some(&open)),
            _ => epoll_pwait2(
                ep.fd(),
                4,
                Some(&timespec(Duration::from_secs(5))),
                Some(&open),
            ),
        };
        assert_errno!(r, Errno::EINTR);
        assert_eq!(count(Signal::SIGUSR1), 1);
        assert!(is_blocked(libc::SIGUSR1), "the caller's mask is restored");
    })
    .expect_success();
}

/// epoll_wait(2): the call blocks until "a file descriptor delivers an event; the call is
/// interrupted by a signal handler; or the timeout expires"; signal(7): "A signal may be
/// blocked, which means that it will not be delivered until it is later unblocked. Between
/// the time when it is generated and when it is delivered a signal is said to be pending."
/// The race epoll_pwait closes, from the other side: plain epoll_wait with the signal
/// blocked by the caller's mask is not interrupted by the pending signal; it times out and
/// the signal stays pending.
#[test]
fn a_blocked_pending_signal_does_not_interrupt_epoll_wait() {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN, 1).unwrap();
    run_in_child("blocked signal", || {
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        block(Signal::SIGUSR1);
        raise(Signal::SIGUSR1).unwrap();
        assert_eq!(ep.wait(4, 20), Ok(vec![]));
        assert_eq!(count(Signal::SIGUSR1), 0);
        assert!(is_pending(Signal::SIGUSR1));
    })
    .expect_success();
}

/// epoll_wait(2), epoll_pwait(): the call "is equivalent to atomically executing"
/// pthread_sigmask(SIG_SETMASK, &sigmask, &origmask); epoll_wait(...);
/// pthread_sigmask(SIG_SETMASK, &origmask, NULL). The mask given to epoll_pwait holds only
/// during the call: a signal it blocks, sent while the child waits, does not interrupt;
/// when an fd becomes ready the call returns the event, and only then, the caller's mask
/// restored, the handler runs.
#[test]
fn the_epoll_pwait_mask_blocks_a_signal_only_during_the_call() {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN, 1).unwrap();
    let (ready, wait_ready) = sync::channel();
    let mut child = spawn("waiter with SIGUSR1 blocked by the call", || {
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        let blocking = sigset(&[libc::SIGUSR1]);
        ready.notify();
        assert_eq!(
            epoll_pwait(ep.fd(), 4, -1, Some(&blocking)),
            Ok(vec![(IN, 1)])
        );
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    wait_ready.wait();
    child.assert_blocked("epoll_pwait with SIGUSR1 blocked");
    child.signal(Signal::SIGUSR1);
    child.assert_blocked("epoll_pwait after SIGUSR1 was sent");
    p.send(b"x");
    child.expect_success();
}

/// epoll_wait(2), VERSIONS: "epoll_pwait2() was added in Linux 5.11." It takes a timespec:
/// a 20 ms timeout expires with no events after at least 20 ms. Before 5.11 the system
/// call does not exist: ENOSYS.
#[test]
fn epoll_pwait2_takes_a_timespec_timeout_since_5_11() {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    ep.add(p.rx(), IN, 1).unwrap();
    let ts = timespec(Duration::from_millis(20));
    let start = Instant::now();
    let r = epoll_pwait2(ep.fd(), 4, Some(&ts), None);
    if !kernel_at_least(5, 11) {
        assert_errno!(r, Errno::ENOSYS);
        return;
    }
    if matches!(r, Err(Errno::ENOSYS) | Err(Errno::EPERM)) {
        skip!(
            "epoll_pwait2 is filtered here ({:?}) although the kernel is >= 5.11",
            r
        );
    }
    assert_eq!(r, Ok(vec![]));
    assert!(
        start.elapsed() >= Duration::from_millis(20),
        "returned after {:?}",
        start.elapsed()
    );
}

/// epoll_wait(2): the epoll_pwait2 timeout "functions the same as in pselect(2) and
/// ppoll(2)", which reject a negative or non-normalised timespec with EINVAL.
#[rstest]
#[case::negative_seconds(-1, 0)]
#[case::negative_nanoseconds(0, -1)]
#[case::a_billion_nanoseconds(0, 1_000_000_000)]
fn epoll_pwait2_rejects_an_invalid_timespec(#[case] sec: libc::time_t, #[case] nsec: libc::c_long) {
    require!(gate::kernel(5, 11), "epoll_pwait2");
    require!(Call::EpollPwait2.available());
    let ep = Epoll::new();
    let ts = libc::timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    };
    assert_errno!(epoll_pwait2(ep.fd(), 4, Some(&ts), None), Errno::EINVAL);
}

/// epoll_wait(2): "If timeout is NULL, then epoll_pwait2() can block indefinitely": a child
/// blocks until the peer sends.
#[test]
fn epoll_pwait2_with_a_null_timeout_waits_for_an_event() {
    require!(gate::kernel(5, 11), "epoll_pwait2");
    require!(Call::EpollPwait2.available());
    let ep = Epoll::new();
    let p = Kind::UnixStream.pair();
    ep.add(p.rx(), IN, 8).unwrap();
    let (ready, wait_ready) = sync::channel();
    let mut child = spawn("epoll_pwait2 waiter", || {
        ready.notify();
        assert_eq!(epoll_pwait2(ep.fd(), 4, None, None), Ok(vec![(IN, 8)]));
    });
    wait_ready.wait();
    child.assert_blocked("epoll_pwait2 with a NULL timeout");
    p.send(b"x");
    child.expect_success();
}
