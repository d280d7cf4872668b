//! sem_post(3), sem_wait(3), sem_trywait(3), sem_getvalue(3): the value of a semaphore that
//! two processes share (the arithmetic is glibc's; that both see one value is the shared
//! memory the kernel gives them).

use fixtures::{IpcName, assert_errno, spawn};
use nix::errno::Errno;
use posix_sem::SEM_VALUE_MAX;
use posix_sem::calls::{post, trywait, value, wait};
use posix_sem::cases::{SemKind, sem_kinds};
use posix_sem::named::{create, sem_open_existing};
use posix_sem::unnamed::UnnamedSem;
use rstest::rstest;
use rstest_reuse::apply;

/// sem_overview(7): "increment the semaphore value by one (sem_post(3)); and decrement the
/// semaphore value by one (sem_wait(3))". sem_wait(3): "If the semaphore's value is greater
/// than zero, then the decrement proceeds, and the function returns, immediately." Asserted
/// on one named semaphore in two processes: each post of the creator raises the value by
/// one, each wait of a second process that opened the name itself lowers it by one, and
/// each process sees the other's changes.
#[test]
fn post_increments_and_wait_decrements_by_one() {
    let name = IpcName::sem("arith");
    let s = create(&name, 0);
    for expected in 1..=5 {
        s.post().unwrap();
        assert_eq!(s.value(), expected);
    }
    spawn("waiter that opened the name", || {
        let w = sem_open_existing(name.as_cstr()).unwrap();
        assert_eq!(w.value(), 5, "the creator's five posts");
        for expected in (0..5).rev() {
            w.wait().unwrap();
            assert_eq!(w.value(), expected);
        }
    })
    .expect_success();
    assert_eq!(s.value(), 0, "the other process's five waits");
}

/// sem_wait(3): sem_trywait() "if the decrement cannot be immediately performed, then call
/// returns an error (errno set to EAGAIN) instead of blocking"; RETURN VALUE: "on error,
/// the value of the semaphore is left unchanged". Asserted for a named and an unnamed
/// process-shared semaphore: EAGAIN at zero with the value unchanged; after one post by
/// another process exactly one trywait succeeds.
#[apply(sem_kinds)]
#[rstest]
fn trywait_on_zero_fails_eagain_and_keeps_the_value(#[case] kind: SemKind) {
    let s = kind.create(0);
    assert_errno!(trywait(s.as_ptr()), Errno::EAGAIN);
    assert_eq!(value(s.as_ptr()), 0);
    let a = s.addr();
    spawn("poster", move || post(a as *mut libc::sem_t).unwrap()).expect_success();
    assert_eq!(trywait(s.as_ptr()), Ok(()));
    assert_errno!(trywait(s.as_ptr()), Errno::EAGAIN);
}

/// sem_post(3), ERRORS: "EOVERFLOW The maximum allowable value for a semaphore would be
/// exceeded", and the value is "left unchanged". Asserted for a named and an unnamed
/// process-shared semaphore created at SEM_VALUE_MAX: another process's post fails with
/// EOVERFLOW and sees the value unchanged; after its wait, a post works again.
#[apply(sem_kinds)]
#[rstest]
fn post_at_sem_value_max_fails_eoverflow(#[case] kind: SemKind) {
    let s = kind.create(SEM_VALUE_MAX);
    let a = s.addr();
    spawn("poster at the maximum", move || {
        let sem = a as *mut libc::sem_t;
        assert_errno!(post(sem), Errno::EOVERFLOW);
        assert_eq!(value(sem), i32::MAX);
        wait(sem).unwrap();
    })
    .expect_success();
    assert_eq!(value(s.as_ptr()), i32::MAX - 1, "the other process's wait");
    assert_eq!(post(s.as_ptr()), Ok(()), "below the maximum a post works again");
    assert_eq!(value(s.as_ptr()), i32::MAX);
}

/// sem_getvalue(3): with processes blocked in sem_wait, "POSIX.1 permits two
/// possibilities ... either 0 is returned; or a negative number ... Linux adopts the former
/// behavior."
#[test]
fn getvalue_is_zero_not_negative_while_processes_wait() {
    let s = UnnamedSem::new(true, 0);
    let a = s.addr();
    let mut waiters: Vec<_> =
        (0..2).map(|i| spawn(&format!("waiter {i}"), move || wait(a as *mut libc::sem_t).unwrap())).collect();
    for w in &mut waiters {
        w.assert_blocked_in(fixtures::blocked::calls::FUTEX, "sem_wait(3) on a zero semaphore");
    }
    assert_eq!(value(s.as_ptr()), 0, "Linux reports 0, not minus the number of waiters");
    post(s.as_ptr()).unwrap();
    post(s.as_ptr()).unwrap();
    for w in waiters {
        w.expect_success();
    }
    assert_eq!(value(s.as_ptr()), 0);
}
