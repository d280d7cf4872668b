//! timerfd and time namespaces. time_namespaces(7): "Time namespaces virtualize the values of
//! two system clocks: CLOCK_MONOTONIC ... CLOCK_BOOTTIME", and this "affects various APIs
//! that measure against these clocks, including ... timerfd_settime(2)".

use std::time::Duration;

use fixtures::clock::timespec;
use fixtures::poll::wait_for_events;
use fixtures::{needs, run_in_child, spawn};
use timerfd::{gettime, monotonic, nanos, read_count, settime, spec};

const OFFSET_SECS: i128 = 1000;
const NS: i128 = 1_000_000_000;

fn monotonic_now() -> i128 {
    let mut ts = timespec(Duration::ZERO);
    // SAFETY: a valid timespec to fill.
    assert_eq!(unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) }, 0);
    nanos(&ts)
}

/// time_namespaces(7): after unshare(CLONE_NEWTIME) "the calling process's subsequently
/// created children are placed in the new namespace", whose clock offsets are written to
/// /proc/self/timens_offsets first ("monotonic 1000 0"), and timerfd_settime(2) measures
/// against the namespace's clock. Asserted in a child of the new namespace: CLOCK_MONOTONIC
/// reads 1000 s (and less than 1010 s) ahead of its parent's reading just before; a timerfd
/// armed with TFD_TIMER_ABSTIME at the namespace's now + 50 ms reports (timerfd_gettime) at
/// most 50 ms left, becomes readable within the deadline, reads one expiration, and not
/// before 50 ms of the namespace's clock have passed — an absolute time taken in the outer
/// clock's terms would be 1000 s away (no expiration in time), and an offset applied the
/// wrong way would expire at once.
#[test]
fn a_timerfd_deadline_is_measured_against_the_time_namespaces_clock() {
    needs!(available(fixtures::facility::namespaces(libc::CLONE_NEWTIME)));
    run_in_child("creator of a time namespace", || {
        fixtures::ns::unshare(libc::CLONE_NEWTIME).expect("unshare(CLONE_NEWTIME)");
        std::fs::write("/proc/self/timens_offsets", format!("monotonic {OFFSET_SECS} 0\n")).expect("write timens_offsets");
        let outer = monotonic_now();
        spawn("member of the time namespace", || {
            let now = monotonic_now();
            let ahead = now - outer;
            assert!((OFFSET_SECS * NS..(OFFSET_SECS + 10) * NS).contains(&ahead), "CLOCK_MONOTONIC is {ahead} ns ahead of the parent's");
            let t = monotonic();
            let deadline = now + 50_000_000;
            let at = libc::timespec { tv_sec: (deadline / NS) as libc::time_t, tv_nsec: (deadline % NS) as libc::c_long };
            settime(&t, libc::TFD_TIMER_ABSTIME, &spec(at, Duration::ZERO)).expect("timerfd_settime(TFD_TIMER_ABSTIME)");
            let left = nanos(&gettime(&t).it_value);
            // Nothing left is right only once the namespace's deadline has passed (a starved
            // CPU may take 50 ms between two calls); before it, an expired timer is a wrong
            // offset.
            assert!(left <= 50_000_000, "timerfd_gettime: {left} ns left");
            assert!(left > 0 || monotonic_now() >= deadline, "timerfd_gettime: expired before the namespace's deadline");
            wait_for_events(&t, libc::POLLIN, "the timer armed 50 ms ahead in the namespace's clock");
            assert_eq!(read_count(&t), Ok(1));
            assert!(monotonic_now() >= deadline, "expired before the namespace's deadline");
        })
        .expect_success();
    })
    .expect_success();
}
