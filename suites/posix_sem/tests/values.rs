//! sem_post(3), sem_wait(3), sem_trywait(3), sem_getvalue(3): the value of a semaphore.

use fixtures::{IpcName, assert_errno, spawn};
use nix::errno::Errno;
use posix_sem::{SEM_VALUE_MAX, UnnamedSem, create, post, sem_open, trywait, value, wait};
use rstest::rstest;

/// sem_overview(7): "increment the semaphore value by one (sem_post(3)); and decrement the
/// semaphore value by one (sem_wait(3))". sem_wait(3): "If the semaphore's value is greater
/// than zero, then the decrement proceeds, and the function returns, immediately."
#[test]
fn post_increments_and_wait_decrements_by_one() {
    let name = IpcName::sem("arith");
    let s = create(&name, 0);
    for expected in 1..=5 {
        s.post().unwrap();
        assert_eq!(s.value(), expected);
    }
    for expected in (0..5).rev() {
        s.wait().unwrap();
        assert_eq!(s.value(), expected);
    }
}

/// sem_wait(3): sem_trywait() "if the decrement cannot be immediately performed, then call
/// returns an error (errno set to EAGAIN) instead of blocking"; RETURN VALUE: "on error,
/// the value of the semaphore is left unchanged". Checked for a named and an unnamed one.
#[rstest]
fn trywait_on_zero_fails_eagain_and_keeps_the_value(#[values("named", "unnamed")] kind: &str) {
    let name = IpcName::sem("try");
    let (_named, _unnamed, s) = if kind == "named" {
        let n = create(&name, 0);
        let p = n.as_ptr();
        (Some(n), None, p)
    } else {
        let u = UnnamedSem::new(false, 0);
        let p = u.as_ptr();
        (None, Some(u), p)
    };
    assert_errno!(trywait(s), Errno::EAGAIN);
    assert_eq!(value(s), 0);
    post(s).unwrap();
    assert_eq!(trywait(s), Ok(()));
    assert_errno!(trywait(s), Errno::EAGAIN);
}

/// sem_post(3), ERRORS: "EOVERFLOW The maximum allowable value for a semaphore would be
/// exceeded", and the value is "left unchanged".
#[rstest]
fn post_at_sem_value_max_fails_eoverflow(#[values("named", "unnamed")] kind: &str) {
    let name = IpcName::sem("overflow");
    let (_named, _unnamed, s) = if kind == "named" {
        let n = sem_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL, 0o600, SEM_VALUE_MAX).unwrap();
        let p = n.as_ptr();
        (Some(n), None, p)
    } else {
        let u = UnnamedSem::new(true, SEM_VALUE_MAX);
        let p = u.as_ptr();
        (None, Some(u), p)
    };
    assert_errno!(post(s), Errno::EOVERFLOW);
    assert_eq!(value(s), i32::MAX);
    wait(s).unwrap();
    assert_eq!(post(s), Ok(()), "below the maximum a post works again");
    assert_eq!(value(s), i32::MAX);
}

/// sem_getvalue(3): with processes blocked in sem_wait, "POSIX.1 permits two
/// possibilities ... either 0 is returned; or a negative number ... Linux adopts the former
/// behavior."
#[test]
fn getvalue_is_zero_not_negative_while_processes_wait() {
    let s = UnnamedSem::new(true, 0);
    let p = s.as_ptr() as usize;
    let mut waiters: Vec<_> =
        (0..2).map(|i| spawn(&format!("waiter {i}"), move || wait(p as *mut libc::sem_t).unwrap())).collect();
    for w in &mut waiters {
        w.assert_blocked("sem_wait(3) on a zero semaphore");
    }
    assert_eq!(value(s.as_ptr()), 0, "Linux reports 0, not minus the number of waiters");
    post(s.as_ptr()).unwrap();
    post(s.as_ptr()).unwrap();
    for w in waiters {
        w.expect_success();
    }
    assert_eq!(value(s.as_ptr()), 0);
}
