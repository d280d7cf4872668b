//! Priority-inheritance futexes: FUTEX_LOCK_PI2 (5.14), FUTEX_LOCK_PI with a selectable clock.

use std::time::Duration;

use fixtures::clock::{duration_of, from_now, now};
use fixtures::procfs::gettid;
use fixtures::{NEGATIVE_WAIT, assert_errno, run_in_child, variant};
use futex::{FUTEX_LOCK_PI2, FUTEX_TID_MASK, FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI, Words, futex};
use nix::errno::Errno;

/// FUTEX_LOCK_PI2(2const): "This operation is the same as FUTEX_LOCK_PI(2const), except that
/// the clock against which timeout is measured is selectable. By default, the (absolute)
/// timeout specified in timeout is measured against the CLOCK_MONOTONIC clock"; HISTORY:
/// "Linux 5.14". Asserted on a word in shared memory: an unowned word is locked by storing
/// the caller's thread id (FUTEX_LOCK_PI(2const)); in another process FUTEX_TRYLOCK_PI fails
/// EAGAIN (EWOULDBLOCK) and FUTEX_LOCK_PI2 with an absolute CLOCK_MONOTONIC deadline 100 ms
/// ahead fails ETIMEDOUT, not before that deadline on CLOCK_MONOTONIC (read as CLOCK_REALTIME,
/// FUTEX_LOCK_PI's clock, the same value lies decades in the past and would time out at
/// once); FUTEX_UNLOCK_PI frees the word (0). Before 5.14 (variant `absent`) the operation is
/// unknown: futex(2), ERRORS: "ENOSYS Invalid operation specified in futex_op."
///
/// Kernel change: 5.14 — FUTEX_LOCK_PI2: a PI futex lock with a CLOCK_MONOTONIC timeout.
#[test]
fn futex_lock_pi2_locks_with_a_monotonic_deadline() {
    let words = Words::new();
    let r = futex(&words, 0, FUTEX_LOCK_PI2, 0, None);
    if !variant::since(5, 14, "FUTEX_LOCK_PI2") {
        assert_errno!(r, Errno::ENOSYS, "FUTEX_LOCK_PI2 before 5.14");
        return;
    }
    assert_eq!(r, Ok(0));
    let tid = gettid() as u32;
    assert_eq!(words.get(0), tid, "the owner's thread id");
    run_in_child("contender", || {
        assert_errno!(futex(&words, 0, FUTEX_TRYLOCK_PI, 0, None), Errno::EAGAIN);
        let wait = Duration::from_millis(100).max(NEGATIVE_WAIT);
        let deadline = from_now(libc::CLOCK_MONOTONIC, wait.as_nanos() as i64);
        assert_errno!(futex(&words, 0, FUTEX_LOCK_PI2, 0, Some(&deadline)), Errno::ETIMEDOUT);
        let woke = now(libc::CLOCK_MONOTONIC);
        assert!(duration_of(&woke) >= duration_of(&deadline), "timed out before the CLOCK_MONOTONIC deadline");
    })
    .expect_success();
    assert_eq!(words.get(0) & FUTEX_TID_MASK, tid, "still owned after the contender gave up");
    assert_eq!(futex(&words, 0, FUTEX_UNLOCK_PI, 0, None), Ok(0));
    assert_eq!(words.get(0), 0);
}
