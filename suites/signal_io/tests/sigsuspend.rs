//! sigsuspend(2): waiting for a signal with a mask swapped in atomically — the way nginx's
//! master waits (it blocks SIGCHLD, SIGALRM, SIGIO and its control signals, then calls
//! sigsuspend with an empty mask). sigsuspend(2): "temporarily replaces the signal mask of
//! the calling thread with the mask given by mask and then suspends the thread until
//! delivery of a signal whose action is to invoke a signal handler ... If the signal is
//! caught, then sigsuspend() returns after the signal handler returns, and the signal mask
//! is restored to the state before the call to sigsuspend()." NOTES: "Normally,
//! sigsuspend() is used in conjunction with sigprocmask(2) in order to prevent delivery of
//! a signal during the execution of a critical code section."
//!
//! Every claim runs in a forked, single-threaded child (masks and dispositions are per
//! process and thread).

use fixtures::signals::{block, count, install_counter, is_blocked, is_pending, pending_of, sigset};
use fixtures::{run_in_child, spawn};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};

/// sigsuspend(2) with the mask `blocked`; its return value and errno.
fn sigsuspend(blocked: &[libc::c_int]) -> (libc::c_int, Errno) {
    let set = sigset(blocked);
    // SAFETY: a valid signal set we own.
    let r = unsafe { libc::sigsuspend(&set) };
    (r, Errno::last())
}

/// sigsuspend(2): the mask is replaced *and* the thread waits in one step, so a signal that
/// became pending while it was blocked (the race a separate unblock-then-pause would lose)
/// is delivered by the call itself: the handler runs once, sigsuspend fails with EINTR
/// ("always returns -1, with errno set to indicate the error (normally, EINTR)"), and the
/// old mask is back afterwards (SIGUSR1 blocked again).
#[test]
fn a_signal_pending_before_sigsuspend_is_delivered_by_it_and_the_mask_is_restored() {
    run_in_child("sigsuspend with a pending signal", || {
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        block(Signal::SIGUSR1);
        // SAFETY: raise(3) to ourselves; the signal is blocked and stays pending.
        assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
        assert!(is_pending(Signal::SIGUSR1) && count(Signal::SIGUSR1) == 0, "SIGUSR1 pending, not delivered");
        assert_eq!(sigsuspend(&[]), (-1, Errno::EINTR));
        assert_eq!(count(Signal::SIGUSR1), 1, "the handler ran once");
        assert!(!is_pending(Signal::SIGUSR1));
        assert!(is_blocked(Signal::SIGUSR1), "the mask from before sigsuspend is restored");
    })
    .expect_success();
}

/// sigsuspend(2): "suspends the thread until delivery of a signal whose action is to
/// invoke a signal handler". The child is seen sleeping in rt_sigsuspend; a SIGUSR1 sent
/// then ends the wait: the handler runs once and the call fails with EINTR.
#[test]
fn sigsuspend_sleeps_until_a_caught_signal_arrives() {
    let mut waiter = spawn("sigsuspend waiter", || {
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        block(Signal::SIGUSR1);
        assert_eq!(sigsuspend(&[]), (-1, Errno::EINTR));
        assert_eq!(count(Signal::SIGUSR1), 1);
        assert!(is_blocked(Signal::SIGUSR1), "the mask from before sigsuspend is restored");
    });
    waiter.wait_until_blocked_in(&[libc::SYS_rt_sigsuspend]);
    waiter.signal(Signal::SIGUSR1);
    waiter.expect_success();
}

/// sigsuspend(2): the *given* mask applies while it waits: a signal that mask still
/// blocks (SIGUSR2) stays pending and does not end the wait (the kernel shows the child
/// still asleep in the same sigsuspend); a signal it leaves unblocked (SIGUSR1) ends it. After the return
/// the old mask (both blocked) is back and SIGUSR2 is still pending, undelivered.
#[test]
fn a_signal_blocked_by_the_sigsuspend_mask_stays_pending_and_does_not_end_the_wait() {
    let mut waiter = spawn("sigsuspend waiter", || {
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        install_counter(Signal::SIGUSR2, SaFlags::empty());
        block(Signal::SIGUSR1);
        block(Signal::SIGUSR2);
        assert_eq!(sigsuspend(&[libc::SIGUSR2]), (-1, Errno::EINTR));
        assert_eq!((count(Signal::SIGUSR1), count(Signal::SIGUSR2)), (1, 0), "handler runs of SIGUSR1, SIGUSR2");
        assert!(is_pending(Signal::SIGUSR2), "SIGUSR2 still pending");
        assert!(is_blocked(Signal::SIGUSR1) && is_blocked(Signal::SIGUSR2), "the old mask is restored");
    });
    waiter.wait_until_blocked_in(&[libc::SYS_rt_sigsuspend]);
    waiter.signal(Signal::SIGUSR2);
    assert_ne!(pending_of(waiter.pid()) & (1 << (libc::SIGUSR2 - 1)), 0, "SIGUSR2 pending for the waiter");
    // A blocked signal wakes nobody: the waiter must be asleep in the same sigsuspend.
    waiter.assert_still_blocked("sigsuspend, after a SIGUSR2 its mask blocks");
    waiter.wait_until_blocked_in(&[libc::SYS_rt_sigsuspend]);
    waiter.signal(Signal::SIGUSR1);
    waiter.expect_success();
}
