//! epoll_wait(2), epoll_pwait(2), epoll_pwait2(2): timeouts, errors, signals.
//!
//! Variants: every test (or case) of epoll_pwait2 reports `present` (5.11+, the call works
//! and the claim was checked), `absent` (before 5.11: the call's ENOSYS is what the probe
//! got, and the test passes) or `blocked` (5.11+, but a seccomp filter answers
//! ENOSYS/EPERM: skipped).

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use fixtures::cases::every_kind;
use epoll::{ET, IN, blocked_waiter, epoll_pwait, epoll_pwait2, epoll_pwait2_probe, watching};
use fixtures::child::await_child_state;
use fixtures::clock::timespec;
use fixtures::deadline::assert_waited_at_least;
use fixtures::facility::{self, Availability};
use fixtures::kinds::Kind;
use fixtures::poll::{Epoll, epoll_wait};
use fixtures::signals::{count, install_counter, is_blocked, is_pending, sigset, with_blocked_and_pending};
use fixtures::{assert_errno, needs, run_in_child, variant};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use rstest::rstest;
use rstest_reuse::apply;

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
            Call::EpollPwait => epoll_pwait(ep, 4, -1, mask),
            Call::EpollPwait2 => epoll_pwait2(ep, 4, None, mask),
        }
    }
}

/// Go on with a test of epoll_pwait2 only where the call exists, reporting the variant.
/// [`epoll_pwait2_probe`] (a zero timeout on an empty instance) asks the kernel, and
/// `fixtures::facility::syscall_with` sorts the answer: the call works: `present`. ENOSYS
/// on 5.11+, or EPERM under a seccomp filter: `blocked` (older container profiles), SKIP.
/// ENOSYS before 5.11 is the documented absence: `absent`, and the test returns (it
/// passes).
macro_rules! require_epoll_pwait2 {
    () => {
        match facility::syscall_with("epoll_pwait2", (5, 11), epoll_pwait2_probe) {
            Availability::Absent(why) => {
                variant::absent(why);
                return;
            }
            other => needs!(available(other)),
        }
    };
}

/// epoll_wait(2): "specifying a timeout equal to zero cause epoll_wait() to return
/// immediately, even if no events are available."
#[test]
fn a_zero_timeout_returns_at_once() {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    assert_eq!(
        fixtures::within("epoll_wait with timeout 0", || ep.wait(4, 0)),
        Ok(vec![])
    );
}

/// epoll_wait(2): the call blocks until "the timeout expires", then returns 0; the timeout
/// "will be rounded up to the system clock granularity": never less than asked.
#[test]
fn a_positive_timeout_expires_after_at_least_that_long() {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    let start = Instant::now();
    assert_eq!(ep.wait(4, 30), Ok(vec![]));
    assert_waited_at_least(start, Duration::from_millis(30));
}

/// epoll_wait(2): "Specifying a timeout of -1 causes epoll_wait() to block indefinitely"
/// until "a file descriptor delivers an event". A child blocked in epoll_wait(-1) stays
/// blocked until the peer sends, for every kind (each kind wakes the epoll callback from
/// its own code path).
#[apply(every_kind)]
#[rstest]
fn an_infinite_timeout_waits_for_an_event(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    let ep = watching(p.rx(), IN | ET, 5);
    let child = blocked_waiter("epoll_wait(-1)", || assert_eq!(ep.wait(4, -1), Ok(vec![(IN, 5)])));
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
        fixtures::sys(unsafe { libc::epoll_wait(ep.0.as_raw_fd(), evs.as_mut_ptr(), max, 0) }),
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
        let closed = p.rx().try_clone_to_owned().unwrap().as_raw_fd(); // closed again at once
        assert_errno!(epoll_wait(fixtures::io::raw_fd(closed), 1, 0), Errno::EBADF);
    })
    .expect_success();
}

/// epoll_wait(2), ERRORS: "EFAULT The memory area pointed to by events is not accessible
/// with write permissions." The event is not lost: fs/eventpoll.c (ep_send_events) puts an
/// item it could not copy back on the ready list, so even an edge-triggered event is
/// returned by the next call.
#[test]
fn an_unwritable_events_buffer_fails_efault_and_keeps_the_event() {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN | ET, 3);
    p.send(b"x");
    // SAFETY: the kernel must check the user address it writes to (page 0 is unmapped).
    assert_errno!(
        fixtures::sys(unsafe { libc::epoll_wait(ep.0.as_raw_fd(), 8 as *mut libc::epoll_event, 1, 0) }),
        Errno::EFAULT
    );
    assert_eq!(ep.ready(), vec![(IN, 3)]);
}

/// signal(7): epoll_wait(2) and epoll_pwait(2) (and epoll_pwait2) are "never restarted
/// after being interrupted by a signal handler, regardless of the use of SA_RESTART; they
/// always fail with the error EINTR".
#[rstest]
#[case::epoll_wait(Call::EpollWait)]
#[case::epoll_pwait(Call::EpollPwait)]
#[case::epoll_pwait2(Call::EpollPwait2)]
fn a_handler_interrupts_the_wait_with_eintr(#[case] call: Call, #[values(true, false)] sa_restart: bool) {
    if call == Call::EpollPwait2 {
        require_epoll_pwait2!();
    }
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    let child = blocked_waiter("an epoll wait without timeout", || {
        let flags = if sa_restart { SaFlags::SA_RESTART } else { SaFlags::empty() };
        install_counter(Signal::SIGUSR1, flags);
        assert_eq!(call.forever(&ep, None), Err(Errno::EINTR));
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    child.signal(Signal::SIGUSR1);
    child.expect_success();
}

/// signal(7), "Interruption of system calls and library functions by stop signals": "On
/// Linux, even in the absence of signal handlers, certain blocking interfaces can fail
/// with the error EINTR after the process is stopped by one of the stop signals and then
/// resumed via SIGCONT ... epoll_wait(2), epoll_pwait(2)". (poll and select, by contrast,
/// resume: see poll_select::interruption.)
#[rstest]
#[case::epoll_wait(Call::EpollWait)]
#[case::epoll_pwait(Call::EpollPwait)]
fn a_stop_and_continue_fails_the_wait_with_eintr(#[case] call: Call) {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    let child = blocked_waiter("an epoll wait without timeout", || {
        assert_eq!(call.forever(&ep, None), Err(Errno::EINTR));
    });
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
#[case::epoll_pwait(Call::EpollPwait)]
#[case::epoll_pwait2(Call::EpollPwait2)]
fn a_pending_signal_unblocked_by_the_mask_interrupts_at_once(#[case] call: Call) {
    if call == Call::EpollPwait2 {
        require_epoll_pwait2!();
    }
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    with_blocked_and_pending(Signal::SIGUSR1, || {
        let open = sigset(&[]);
        let r = match call {
            Call::EpollPwait => epoll_pwait(&ep, 4, 5000, Some(&open)),
            _ => epoll_pwait2(&ep, 4, Some(&timespec(Duration::from_secs(5))), Some(&open)),
        };
        assert_errno!(r, Errno::EINTR);
        assert_eq!(count(Signal::SIGUSR1), 1);
        assert!(is_blocked(libc::SIGUSR1), "the caller's mask is restored");
    });
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
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    with_blocked_and_pending(Signal::SIGUSR1, || {
        assert_eq!(ep.wait(4, 20), Ok(vec![]));
        assert_eq!(count(Signal::SIGUSR1), 0);
        assert!(is_pending(Signal::SIGUSR1));
    });
}

/// epoll_wait(2), epoll_pwait(): the call "is equivalent to atomically executing"
/// pthread_sigmask(SIG_SETMASK, &sigmask, &origmask); epoll_wait(...);
/// pthread_sigmask(SIG_SETMASK, &origmask, NULL). The mask given to epoll_pwait holds only
/// during the call: a signal it blocks, sent while the child waits, does not interrupt;
/// when an fd becomes ready the call returns the event, and only then, the caller's mask
/// restored, the handler runs.
#[test]
fn the_epoll_pwait_mask_blocks_a_signal_only_during_the_call() {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    let mut child = blocked_waiter("epoll_pwait with SIGUSR1 blocked", || {
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        let blocking = sigset(&[libc::SIGUSR1]);
        assert_eq!(epoll_pwait(&ep, 4, -1, Some(&blocking)), Ok(vec![(IN, 1)]));
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    child.signal(Signal::SIGUSR1);
    child.assert_still_blocked("epoll_pwait after SIGUSR1 was sent");
    p.send(b"x");
    child.expect_success();
}

/// epoll_wait(2), VERSIONS: "epoll_pwait2() was added in Linux 5.11." It takes a timespec:
/// a 20 ms timeout expires with no events after at least 20 ms. Before 5.11 the system
/// call does not exist: ENOSYS (variant `absent`, the test passes). On 5.11+ an ENOSYS or
/// EPERM is a seccomp filter hiding the call (variant `blocked`, SKIP).
///
/// Kernel change: 5.11 — epoll_pwait2(2) waits with a timespec timeout (ENOSYS before).
#[test]
fn epoll_pwait2_takes_a_timespec_timeout_since_5_11() {
    require_epoll_pwait2!();
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    let start = Instant::now();
    assert_eq!(epoll_pwait2(&ep, 4, Some(&timespec(Duration::from_millis(20))), None), Ok(vec![]));
    assert_waited_at_least(start, Duration::from_millis(20));
}

/// epoll_wait(2): the epoll_pwait2 timeout "functions the same as in pselect(2) and
/// ppoll(2)", which reject a negative or non-normalised timespec with EINVAL. Before 5.11:
/// ENOSYS (variant `absent`).
#[rstest]
#[case::negative_seconds(-1, 0)]
#[case::negative_nanoseconds(0, -1)]
#[case::a_billion_nanoseconds(0, 1_000_000_000)]
fn epoll_pwait2_rejects_an_invalid_timespec(#[case] sec: libc::time_t, #[case] nsec: libc::c_long) {
    require_epoll_pwait2!();
    let ep = Epoll::new();
    let ts = libc::timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    };
    assert_errno!(epoll_pwait2(&ep, 4, Some(&ts), None), Errno::EINVAL);
}

/// epoll_wait(2): "If timeout is NULL, then epoll_pwait2() can block indefinitely": a child
/// blocks until the peer sends. Before 5.11: ENOSYS (variant `absent`).
#[test]
fn epoll_pwait2_with_a_null_timeout_waits_for_an_event() {
    require_epoll_pwait2!();
    let p = Kind::UnixStream.pair();
    let ep = watching(p.rx(), IN, 8);
    let child = blocked_waiter("epoll_pwait2 with a NULL timeout", || {
        assert_eq!(epoll_pwait2(&ep, 4, None, None), Ok(vec![(IN, 8)]));
    });
    p.send(b"x");
    child.expect_success();
}
