//! What a futex is not: a descriptor (FUTEX_FD is gone, so a futex cannot be polled), and,
//! with FUTEX_PRIVATE_FLAG, shared between processes.

use fixtures::{assert_errno, spawn};
use futex::{FUTEX_WAKE, Words, futex};
use nix::errno::Errno;
use nix::sys::signal::Signal;

/// FUTEX_WAIT (<linux/futex.h>).
const FUTEX_WAIT: libc::c_int = 0;
/// FUTEX_FD (<linux/futex.h> of 2.6.25 and earlier; the number is still reserved).
const FUTEX_FD: libc::c_int = 2;
/// FUTEX_PRIVATE_FLAG (<linux/futex.h>).
const FUTEX_PRIVATE_FLAG: libc::c_int = 128;

/// futex(2), FUTEX_FD: "Because it was inherently racy, FUTEX_FD has been removed from Linux
/// 2.6.26 onward." No futex operation gives a file descriptor, so a futex cannot be waited
/// for with poll(2), select(2) or epoll(7). Asserted: op 2 fails ENOSYS (the answer of
/// futex(2) to an operation it does not know) and the word is left as it was.
#[test]
fn futex_fd_was_removed_and_fails_enosys() {
    let words = Words::new();
    words.set(0, 3);
    assert_errno!(futex(&words, 0, FUTEX_FD, libc::SIGUSR1 as u32, None), Errno::ENOSYS, "futex(FUTEX_FD)");
    assert_eq!(words.get(0), 3);
}

/// futex(2), FUTEX_PRIVATE_FLAG: it "tells the kernel that the futex is process-private and
/// not shared with another process (i.e., it is being used for synchronization only between
/// threads of the same process)". So even on a word of a MAP_SHARED mapping both processes
/// see, a child's FUTEX_WAIT|FUTEX_PRIVATE_FLAG is keyed by the child's own address space:
/// the parent's FUTEX_WAKE|FUTEX_PRIVATE_FLAG and its shared FUTEX_WAKE both wake nobody
/// (return 0) and the child stays blocked (proven by a bounded wait), while a child that
/// waits without the flag is woken by the parent's shared FUTEX_WAKE (returns 1, and the
/// child's FUTEX_WAIT returns 0).
#[test]
fn a_private_futex_wait_is_not_woken_from_another_process() {
    let words = Words::new();
    words.set(0, 5);
    let mut private = spawn("FUTEX_WAIT|FUTEX_PRIVATE_FLAG", || {
        let _ = futex(&words, 0, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 5, None);
        panic!("the private FUTEX_WAIT returned");
    });
    private.assert_blocked_in(&[libc::SYS_futex], "FUTEX_WAIT|FUTEX_PRIVATE_FLAG");
    assert_eq!(futex(&words, 0, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, None), Ok(0), "private wake from another process");
    assert_eq!(futex(&words, 0, FUTEX_WAKE, 1, None), Ok(0), "shared wake of a private waiter");
    private.assert_still_blocked("FUTEX_WAIT|FUTEX_PRIVATE_FLAG after both wakes");
    private.signal(Signal::SIGKILL);
    private.expect_signal(Signal::SIGKILL);

    let mut shared = spawn("FUTEX_WAIT", || assert_eq!(futex(&words, 0, FUTEX_WAIT, 5, None), Ok(0)));
    shared.wait_until_blocked_in(&[libc::SYS_futex]);
    assert_eq!(futex(&words, 0, FUTEX_WAKE, 1, None), Ok(1), "shared wake of a shared waiter");
    shared.expect_success();
}
