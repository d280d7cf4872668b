//! ppoll(2) and pselect(2) replace the signal mask for the duration of the call, atomically:
//! "pselect() allows one to first block signals, handle the signals that have come in,
//! then call pselect() with the desired sigmask, avoiding the race" (select(2)).
//!
//! Everything runs in a forked (single-threaded) child, since masks and dispositions are
//! per thread / per process.

use std::time::Duration;

use fixtures::assert_errno;
use fixtures::kinds::Kind;
use fixtures::signals::{count, current_mask, install_counter, is_pending, set_contains, sigset, with_blocked_and_pending};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use poll_select::cases::masked_waits;
use poll_select::waits::{Wait, blocked_waiter};
use rstest::rstest;
use rstest_reuse::apply;

/// select(2): pselect "first replaces the current signal mask by the one pointed to by
/// sigmask, then does the select function" — atomically. A signal blocked and already
/// pending before the call is delivered as soon as the call's mask unblocks it: the call
/// fails with EINTR at once (no readiness, timeout far away), the handler ran once, and the
/// caller's mask (SIGUSR1 blocked) is back afterwards. poll(2) says the same of ppoll.
#[apply(masked_waits)]
#[rstest]
fn a_pending_signal_unblocked_by_the_mask_interrupts_at_once(#[case] call: Wait) {
    let p = Kind::Pipe.pair();
    with_blocked_and_pending(Signal::SIGUSR1, || {
        assert!(is_pending(Signal::SIGUSR1));
        let open = sigset(&[]);
        assert_errno!(call.readable(p.rx(), Some(Duration::from_secs(5)), Some(&open)), Errno::EINTR);
        assert_eq!(count(Signal::SIGUSR1), 1, "the handler runs once");
        assert!(
            set_contains(&current_mask(), libc::SIGUSR1),
            "the original mask is restored"
        );
    });
}

/// signal(7): "A signal may be blocked, which means that it will not be delivered until it
/// is later unblocked"; poll(2): with a NULL sigmask "no signal mask manipulation is
/// performed (and thus ppoll() differs from poll() only in the precision of the timeout
/// argument)"; select(2): "select() has no sigmask argument, and behaves as pselect() called
/// with NULL sigmask". The race ppoll/pselect exist to close, seen from the other side: with
/// the signal blocked by the caller's own mask (poll, select, or ppoll/pselect with a NULL
/// sigmask), the pending signal does not interrupt — the call times out with 0 and the
/// signal stays pending, its handler not run.
#[rstest]
#[case::poll(Wait::Poll)]
#[case::select(Wait::Select)]
#[case::ppoll_null_mask(Wait::Ppoll)]
#[case::pselect_null_mask(Wait::Pselect)]
fn a_blocked_pending_signal_does_not_interrupt(#[case] call: Wait) {
    let p = Kind::Pipe.pair();
    with_blocked_and_pending(Signal::SIGUSR1, || {
        assert_eq!(call.readable(p.rx(), Some(Duration::from_millis(20)), None), Ok(0));
        assert_eq!(count(Signal::SIGUSR1), 0);
        assert!(is_pending(Signal::SIGUSR1));
    });
}

/// select(2): "if it is not NULL, then pselect() first replaces the current signal mask by
/// the one pointed to by sigmask, then does the "select" function, and then restores the
/// original signal mask"; poll(2): ppoll() is "nearly equivalent to atomically executing"
/// the same sequence around poll(). The mask given to ppoll/pselect holds only during the
/// call. A signal it blocks, sent while the child waits, neither interrupts nor wakes the
/// wait; the call returns 1 when the fd becomes ready, and only then, with the caller's
/// mask restored, the handler runs.
#[apply(masked_waits)]
#[rstest]
fn the_mask_blocks_a_signal_only_for_the_duration_of_the_call(#[case] call: Wait) {
    let p = Kind::Pipe.pair();
    let mut child = blocked_waiter("a wait with SIGUSR1 blocked by its sigmask", || {
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        let blocking = sigset(&[libc::SIGUSR1]);
        assert_eq!(call.readable(p.rx(), None, Some(&blocking)), Ok(1));
        assert_eq!(
            count(Signal::SIGUSR1),
            1,
            "delivered once the caller's mask is back"
        );
        assert!(!set_contains(&current_mask(), libc::SIGUSR1));
    });
    child.signal(Signal::SIGUSR1);
    child.assert_still_blocked("the same wait after SIGUSR1 was sent");
    p.send(b"x");
    child.expect_success();
}
