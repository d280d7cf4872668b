//! eventfd(2), EFD_SEMAPHORE: "Provide semaphore-like semantics for reads from the new file
//! descriptor."

use std::time::{Duration, Instant};

use eventfd::{eventfd, read_u64, write_u64};
use fixtures::{DEFAULT_DEADLINE, assert_errno, scaled, spawn};
use nix::errno::Errno;

/// eventfd(2): "If EFD_SEMAPHORE was specified and the eventfd counter has a nonzero value,
/// then a read(2) returns 8 bytes containing the value 1, and the counter's value is
/// decremented by 1." After initval reads the counter is zero: EAGAIN.
#[test]
fn a_semaphore_read_returns_1_and_decrements_the_counter() {
    let e = eventfd(3, libc::EFD_SEMAPHORE | libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap();
    assert!(fixtures::io::is_nonblocking(&e), "EFD_NONBLOCK must set O_NONBLOCK");
    for left in [2, 1, 0] {
        assert_eq!(read_u64(&e), Ok(1));
        assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), left);
    }
    assert_errno!(read_u64(&e), Errno::EAGAIN);
}

/// eventfd(2): writes add to the counter as usual in semaphore mode; a write of n makes
/// exactly n reads succeed.
#[test]
fn a_semaphore_write_of_n_allows_exactly_n_reads() {
    let e = eventfd(0, libc::EFD_SEMAPHORE | libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap();
    assert!(fixtures::io::is_nonblocking(&e), "EFD_NONBLOCK must set O_NONBLOCK");
    assert_eq!(write_u64(&e, 5), Ok(8));
    for _ in 0..5 {
        assert_eq!(read_u64(&e), Ok(1));
    }
    assert_errno!(read_u64(&e), Errno::EAGAIN);
}

/// eventfd(2), EFD_SEMAPHORE: one unit posted lets exactly one blocked reader proceed (it
/// reads 1); the other stays blocked until a second unit is posted.
#[test]
fn one_posted_unit_wakes_exactly_one_of_two_blocked_readers() {
    let e = eventfd(0, libc::EFD_SEMAPHORE | libc::EFD_CLOEXEC).unwrap();
    let reader = || assert_eq!(read_u64(&e), Ok(1));
    let mut a = spawn("reader a", reader);
    let mut b = spawn("reader b", reader);
    a.assert_blocked_in(fixtures::blocked::calls::READ, "read(2) of a zero semaphore");
    b.assert_blocked_in(fixtures::blocked::calls::READ, "read(2) of a zero semaphore");
    assert_eq!(write_u64(&e, 1), Ok(8));
    // Wait (bounded) for one of them to finish.
    let deadline = Instant::now() + scaled(DEFAULT_DEADLINE);
    let (done, mut other) = loop {
        if let Some(o) = a.try_join_within(Duration::from_millis(1)) {
            break (o, b);
        }
        if let Some(o) = b.try_join_within(Duration::from_millis(1)) {
            break (o, a);
        }
        assert!(Instant::now() < deadline, "no reader woke up after a write of 1");
    };
    done.expect_success();
    // The write has returned, so both readers were woken; the other one found the count 0
    // again and must be back asleep in the same read(2): else one unit woke both readers.
    other.assert_still_blocked("read(2) of the second reader after one unit (one unit woke both readers?)");
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 0);
    assert_eq!(write_u64(&e, 1), Ok(8));
    other.expect_success();
}
