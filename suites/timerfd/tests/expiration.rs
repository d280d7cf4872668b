//! timerfd_create(2), "Operating on a timer file descriptor", read(2): "If the timer has
//! already expired one or more times since its settings were last modified using
//! timerfd_settime(), or since the last successful read(2), then the buffer given to read(2)
//! returns an unsigned 8-byte integer (uint64_t) containing the number of expirations that
//! have occurred. ... If no timer expirations have occurred at the time of the read(2), then
//! the call either blocks until the next timer expiration, or fails with the error EAGAIN if
//! the file descriptor has been made nonblocking"; poll(2): "The file descriptor is readable
//! ... if one or more timer expirations have occurred." ERRORS (read): "EINVAL ... the
//! buffer ... is less than 8 bytes".
//!
//! What must not happen before a deadline is checked against CLOCK_MONOTONIC read right
//! after the call: a read that found nothing before the deadline proves the timer did not
//! fire early, and one that found an expiration must have happened at or after it.

use std::time::Duration;

use fixtures::clock::{from_now, now, timespec};
use fixtures::poll::{revents_now, wait_for_events};
use fixtures::{assert_errno, scaled};
use nix::errno::Errno;
use timerfd::{monotonic, nanos, read_count, settime, spec};

/// How far ahead the deadlines of these tests are.
fn ahead() -> Duration {
    scaled(Duration::from_millis(100))
}

/// A read right now: EAGAIN if the clock, read right after it, is still before `deadline`
/// (the timer may not have fired early); an expiration count only at or after it.
fn read_before(fd: &std::os::fd::OwnedFd, deadline: i128) {
    let r = read_count(fd);
    let after = nanos(&now(libc::CLOCK_MONOTONIC));
    match r {
        Err(Errno::EAGAIN) => {}
        Ok(n) => assert!(after >= deadline, "{n} expirations read {} ns before the deadline", deadline - after),
        Err(e) => panic!("read of a timerfd before its deadline: {e}"),
    }
}

/// timerfd_settime(2): "By default, the initial expiration time specified in new_value is
/// interpreted relative to the current time on the timer's clock at the time of the call
/// (i.e., new_value.it_value specifies a time relative to the current value of the clock
/// specified by clockid). An absolute timeout can be selected via the flags argument" —
/// TFD_TIMER_ABSTIME: "Interpret new_value.it_value as an absolute value on the timer's
/// clock." Asserted for both (case `relative`, case `absolute` with TFD_TIMER_ABSTIME and
/// now + 100 ms on CLOCK_MONOTONIC): before the deadline the timer is not readable; it polls
/// POLLIN (waited for, bounded) no earlier than the deadline; read(2) then returns the 8-byte
/// count 1 (a one-shot timer expires once); a second read fails EAGAIN and poll reports
/// nothing.
#[rstest::rstest]
#[case::relative(false)]
#[case::absolute(true)]
fn a_deadline_polls_readable_when_reached_and_reads_one_expiration(#[case] absolute: bool) {
    let fd = monotonic();
    let start = nanos(&now(libc::CLOCK_MONOTONIC));
    let (flags, value) = if absolute {
        (libc::TFD_TIMER_ABSTIME, from_now(libc::CLOCK_MONOTONIC, ahead().as_nanos() as i64))
    } else {
        (0, timespec(ahead()))
    };
    settime(&fd, flags, &spec(value, Duration::ZERO)).expect("timerfd_settime");
    let deadline = if absolute { nanos(&value) } else { start + ahead().as_nanos() as i128 };
    read_before(&fd, deadline);
    assert_eq!(wait_for_events(&fd, libc::POLLIN, "the timer's expiration"), libc::POLLIN);
    let at = nanos(&now(libc::CLOCK_MONOTONIC));
    assert!(at >= deadline, "readable {} ns before the deadline", deadline - at);
    assert_eq!(read_count(&fd), Ok(1), "one expiration of a one-shot timer");
    assert_errno!(read_count(&fd), Errno::EAGAIN, "the read consumed it");
    assert_eq!(revents_now(&fd, libc::POLLIN), 0);
}

/// timerfd_create(2), TFD_TIMER_ABSTIME, with a deadline already past (1 ns after the clock's epoch): the timer
/// expires at once — readable without waiting, one expiration.
#[test]
fn an_absolute_deadline_in_the_past_expires_at_once() {
    let fd = monotonic();
    let past = libc::timespec { tv_sec: 0, tv_nsec: 1 };
    settime(&fd, libc::TFD_TIMER_ABSTIME, &spec(past, Duration::ZERO)).expect("timerfd_settime");
    assert_eq!(wait_for_events(&fd, libc::POLLIN, "the past deadline"), libc::POLLIN);
    assert_eq!(read_count(&fd), Ok(1));
}

/// timerfd_create(2), read(2): the count is "the number of expirations that have occurred"
/// since the setting or the last read. An interval timer started 50 periods ago (absolute
/// first expiration 50 ms in the past, interval 1 ms) has expired once for every period that
/// began since: the count read lies between the periods elapsed before and after the read
/// (1 + elapsed / interval, read around the call; one less is allowed for a period that
/// began as the read ran).
#[test]
fn an_interval_timer_counts_every_period_missed() {
    let fd = monotonic();
    let interval = Duration::from_millis(1);
    let first = from_now(libc::CLOCK_MONOTONIC, -50_000_000);
    settime(&fd, libc::TFD_TIMER_ABSTIME, &spec(first, interval)).expect("timerfd_settime");
    let periods = |t: i128| 1 + ((t - nanos(&first)) / interval.as_nanos() as i128) as u64;
    wait_for_events(&fd, libc::POLLIN, "the first expiration, already past");
    let before = periods(nanos(&now(libc::CLOCK_MONOTONIC)));
    let n = read_count(&fd).expect("read of an expired interval timer");
    let after = periods(nanos(&now(libc::CLOCK_MONOTONIC)));
    assert!(before >= 51, "at least 51 periods began: {before}");
    assert!((before - 1..=after).contains(&n), "{n} expirations, expected {before}..={after}");
}

/// timerfd_create(2), read(2), ERRORS: "EINVAL ... less than 8 bytes". Asserted on an
/// expired timer: reads of 1, 4 and 7 bytes fail EINVAL and consume nothing (an 8-byte read
/// then returns the one expiration).
#[test]
fn a_read_with_a_buffer_under_8_bytes_fails_einval() {
    let fd = monotonic();
    let past = libc::timespec { tv_sec: 0, tv_nsec: 1 };
    settime(&fd, libc::TFD_TIMER_ABSTIME, &spec(past, Duration::ZERO)).unwrap();
    wait_for_events(&fd, libc::POLLIN, "the past deadline");
    for len in [1, 4, 7] {
        let mut b = vec![0u8; len];
        assert_errno!(fixtures::io::read_once(&fd, &mut b), Errno::EINVAL, "a read of {len} bytes");
    }
    assert_eq!(read_count(&fd), Ok(1), "the expiration is still there");
}
