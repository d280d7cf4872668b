//! futex_waitv(2) (5.16): one wait on several futex words.

use fixtures::{assert_errno, spawn, variant};
use futex::{FUTEX_32, FUTEX_WAKE, FutexWaitv, Words, futex, futex_waitv};
use nix::errno::Errno;

fn waiter(words: &Words, i: usize, val: u32) -> FutexWaitv {
    FutexWaitv { val: u64::from(val), uaddr: words.at(i) as u64, flags: FUTEX_32, reserved: 0 }
}

/// futex_waitv(2): "tests that the values at the futex words waiters[].uaddr[0] still contain
/// respective expected values waiters[].val, and if so, sleeps waiting for a FUTEX_WAKE(2const)
/// operation on any of the futex words, and returns the index of a waiter whose futex was
/// woken"; without FUTEX2_PRIVATE "the futex is shared ... and can be accessed by multiple
/// processes"; "If any of the futex values do not match their respective waiters[].val, the
/// call fails immediately with the error EAGAIN"; HISTORY: "Linux 5.16". Asserted with two
/// words in shared memory: a mismatching value gives EAGAIN; a child waiting on both
/// (proven asleep in futex_waitv) is woken by a FUTEX_WAKE on the second word from this
/// process and gets index 1. Before 5.16 (variant `absent`): ENOSYS (no such system call).
///
/// Kernel change: 5.16 — futex_waitv(2): wait on up to 128 futexes, shared between processes too.
#[test]
fn futex_waitv_returns_the_index_of_the_woken_futex() {
    let words = Words::new();
    words.set(0, 10);
    words.set(1, 20);
    let r = futex_waitv(&mut [waiter(&words, 0, 10), waiter(&words, 1, 21)]);
    if !variant::since(5, 16, "futex_waitv") {
        assert_errno!(r, Errno::ENOSYS, "futex_waitv before 5.16");
        return;
    }
    assert_errno!(r, Errno::EAGAIN, "the second value does not match");
    let mut child = spawn("futex_waitv on two words", || {
        assert_eq!(futex_waitv(&mut [waiter(&words, 0, 10), waiter(&words, 1, 20)]), Ok(1));
    });
    child.wait_until_blocked_in(&[libc::SYS_futex_waitv]);
    assert_eq!(futex(&words, 1, FUTEX_WAKE, 1, None), Ok(1), "one waiter woken");
    child.expect_success();
}
