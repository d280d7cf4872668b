//! timerfd_settime(2) and timerfd_gettime(2): disarming, replacing a setting, the time left.
//!
//! timerfd_create(2), timerfd_settime(): "Setting either field of new_value.it_value to a
//! nonzero value arms the timer. Setting both fields of new_value.it_value to zero disarms
//! the timer." "If the old_value argument is not NULL, then the itimerspec structure that it
//! points to is used to return the setting of the timer that was current at the time of the
//! call; see the description of timerfd_gettime() following." timerfd_gettime(): "The
//! it_value field returns the amount of time until the timer will next expire. If both
//! fields of this structure are zero, then the timer is currently disarmed."

use std::time::Duration;

use fixtures::clock::timespec;
use fixtures::deadline::poll_ms;
use fixtures::poll::revents;
use fixtures::{NEGATIVE_WAIT, assert_errno};
use nix::errno::Errno;
use timerfd::{gettime, is_zero, monotonic, nanos, read_count, settime, spec, zero};

/// timerfd_create(2): zero it_value disarms (module comment). Asserted: a timer armed 50 ms ahead (scaled for
/// slow targets) and then given the all-zero setting returns, as the old setting, a time
/// left of at most 50 ms (0 if it expired in between: the kernel reports no negative time);
/// it then reads back all zeros, reports no POLLIN within a bounded wait twice as long as
/// its old deadline (fixtures::NEGATIVE_WAIT, scaled the same way), and a read fails EAGAIN
/// (a new setting also discards an expiration not yet read).
#[test]
fn a_zero_it_value_disarms_the_timer() {
    let fd = monotonic();
    let due = fixtures::scaled(Duration::from_millis(50));
    settime(&fd, 0, &spec(timespec(due), Duration::ZERO)).unwrap();
    let old = settime(&fd, 0, &zero()).expect("disarming");
    let left = nanos(&old.it_value);
    assert!((0..=due.as_nanos() as i128).contains(&left), "the old setting's time left: {left} ns");
    let cur = gettime(&fd);
    assert!(is_zero(&cur.it_value) && is_zero(&cur.it_interval), "timerfd_gettime after disarming");
    assert_eq!(revents(&fd, libc::POLLIN, poll_ms(NEGATIVE_WAIT)), 0, "no expiration after disarming");
    assert_errno!(read_count(&fd), Errno::EAGAIN);
}

/// read(2) counts expirations "since its settings were last modified using timerfd_settime()"
/// (timerfd_create(2)): a new setting discards expirations not yet read. Asserted: a timer
/// that expired at once (absolute deadline in the past) is readable; re-armed one hour
/// ahead, it is no longer readable and a read fails EAGAIN; disarmed and re-armed in the
/// past again, it reads one expiration, not two.
#[test]
fn a_new_setting_discards_expirations_not_yet_read() {
    let fd = monotonic();
    let past = spec(libc::timespec { tv_sec: 0, tv_nsec: 1 }, Duration::ZERO);
    settime(&fd, libc::TFD_TIMER_ABSTIME, &past).unwrap();
    fixtures::poll::wait_for_events(&fd, libc::POLLIN, "the past deadline");
    settime(&fd, 0, &spec(timespec(Duration::from_secs(3600)), Duration::ZERO)).unwrap();
    assert_eq!(fixtures::poll::revents_now(&fd, libc::POLLIN), 0, "after re-arming");
    assert_errno!(read_count(&fd), Errno::EAGAIN, "after re-arming");
    settime(&fd, libc::TFD_TIMER_ABSTIME, &past).unwrap();
    fixtures::poll::wait_for_events(&fd, libc::POLLIN, "the past deadline again");
    assert_eq!(read_count(&fd), Ok(1), "only the expiration of the current setting");
}

/// timerfd_gettime(2): "The it_value field returns the amount of time until the timer will
/// next expire", "The it_interval field returns the interval of the timer." Asserted: a
/// timer armed one hour ahead with a 5-second interval reports a time left in (0, 1 h] and
/// the interval exactly, and timerfd_settime's old_value of the next call says the same.
#[test]
fn timerfd_gettime_reports_the_time_left_and_the_interval() {
    let fd = monotonic();
    let hour = Duration::from_secs(3600);
    let interval = Duration::from_secs(5);
    settime(&fd, 0, &spec(timespec(hour), interval)).unwrap();
    let cur = gettime(&fd);
    let left = nanos(&cur.it_value);
    assert!(left > 0 && left <= hour.as_nanos() as i128, "time left {left} ns");
    assert_eq!((cur.it_interval.tv_sec, cur.it_interval.tv_nsec), (5, 0), "the interval");
    let old = settime(&fd, 0, &zero()).unwrap();
    assert!(nanos(&old.it_value) > 0 && nanos(&old.it_value) <= left, "old_value's time left");
    assert_eq!((old.it_interval.tv_sec, old.it_interval.tv_nsec), (5, 0), "old_value's interval");
}
