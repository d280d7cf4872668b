//! The timeout arguments of select(2), pselect(2) and ppoll(2): what is written back, what
//! is rejected, and what an absent timeout means.

use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use fixtures::clock::{duration_of, timespec};
use fixtures::deadline::{DEFAULT_DEADLINE, assert_waited_at_least, scaled};
use fixtures::kinds::Kind;
use fixtures::assert_errno;
use nix::errno::Errno;
use poll_select::fd_sets::{FdSet, pselect, raw_pselect6, select};
use poll_select::waits::{Wait, blocked_waiter, pollfd, raw_ppoll};
use rstest::rstest;

/// select(2) for reading `fd`, with the timeout `tv` (written back by the kernel).
fn select_readable(fd: impl AsFd, tv: &mut libc::timeval) -> Result<i32, Errno> {
    let fd = fd.as_fd().as_raw_fd();
    select(fd + 1, Some(&mut FdSet::of(&[fd])), None, None, Some(tv))
}

/// glibc's pselect(2) for reading `fd`, with the timeout `ts` (not written back).
fn pselect_readable(fd: impl AsFd, ts: &libc::timespec) -> Result<i32, Errno> {
    let fd = fd.as_fd().as_raw_fd();
    pselect(fd + 1, Some(&mut FdSet::of(&[fd])), Some(ts), None)
}

/// The timeout select(2) writes back when it is given `tv` and a pipe that has input: it
/// returns at once, with that one fd ready (asserted).
fn written_back_with_input_ready(mut tv: libc::timeval) -> libc::timeval {
    let p = Kind::Pipe.pair();
    p.send(b"x");
    assert_eq!(select_readable(p.rx(), &mut tv), Ok(1));
    tv
}

fn timeval(tv_sec: libc::time_t, tv_usec: libc::suseconds_t) -> libc::timeval {
    libc::timeval { tv_sec, tv_usec }
}

/// select(2): "On Linux, select() modifies timeout to reflect the amount of time not
/// slept". When the timeout expires nothing is left: {0, 0} is written back.
#[test]
fn select_writes_back_zero_when_the_timeout_expires() {
    let p = Kind::Pipe.pair();
    let mut tv = timeval(0, 20_000);
    assert_eq!(select_readable(p.rx(), &mut tv), Ok(0));
    assert_eq!((tv.tv_sec, tv.tv_usec), (0, 0));
}

/// select(2): the time not slept is written back. With a fd already ready select returns at
/// once and leaves almost all of a 60 s timeout: less than 60 s, and more than 60 s less the
/// suite's deadline (10 s, scaled: a starved CPU is no failure).
#[test]
fn select_writes_back_the_time_not_slept() {
    let tv = written_back_with_input_ready(timeval(60, 0));
    let left = Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64);
    assert!(
        left > Duration::from_secs(60).saturating_sub(scaled(DEFAULT_DEADLINE)) && left < Duration::from_secs(60),
        "written back: {left:?}"
    );
}

/// select(2), ERRORS: "EINVAL The value contained within timeout is invalid" — Linux differs
/// from POSIX select(), whose timeval holds microseconds below a million (and which fails
/// EINVAL for an invalid timeout): a tv_usec of a million or more is not counted as invalid,
/// Linux normalises the timeval instead of rejecting it (fs/select.c, kern_select: tv_sec +
/// tv_usec / USEC_PER_SEC); the time written back is a normalised timeval again. Pinned as
/// observed (docs/findings.md).
#[test]
fn select_accepts_and_normalises_tv_usec_above_a_second() {
    let tv = written_back_with_input_ready(timeval(0, 1_500_000));
    assert!(
        tv.tv_usec < 1_000_000 && tv.tv_sec == 1,
        "written back: {}s {}us",
        tv.tv_sec,
        tv.tv_usec
    );
}

/// select(2), ERRORS: "EINVAL The value contained within timeout is invalid": a negative
/// tv_sec or tv_usec.
#[rstest]
#[case::negative_seconds(-1, 0)]
#[case::negative_microseconds(0, -1)]
fn select_rejects_a_negative_timeout(#[case] sec: libc::time_t, #[case] usec: libc::suseconds_t) {
    let p = Kind::Pipe.pair();
    let mut tv = timeval(sec, usec);
    assert_errno!(select_readable(p.rx(), &mut tv), Errno::EINVAL);
}

/// select(2): "pselect() does not change this argument" — the glibc wrapper "hides this
/// behavior by using a local variable for the timeout argument".
#[test]
fn glibc_pselect_leaves_the_timeout_unchanged() {
    let p = Kind::Pipe.pair();
    let ts = timespec(Duration::from_millis(20));
    assert_eq!(pselect_readable(p.rx(), &ts), Ok(0));
    assert_eq!(duration_of(&ts), Duration::from_millis(20));
}

/// select(2), "C library/kernel differences": "The Linux pselect6() system call modifies
/// its timeout argument": after expiry it holds {0, 0}.
#[test]
fn the_pselect6_system_call_writes_back_the_timeout() {
    let p = Kind::Pipe.pair();
    let fd = p.rx().as_raw_fd();
    let mut ts = timespec(Duration::from_millis(20));
    assert_eq!(raw_pselect6(fd + 1, Some(&mut FdSet::of(&[fd])), Some(&mut ts), None), Ok(0));
    assert_eq!((ts.tv_sec, ts.tv_nsec), (0, 0));
}

/// poll(2), "C library/kernel differences": "The Linux ppoll() system call modifies its
/// tmo_p argument" — with a ready fd it holds the time not slept (just under 60 s: more than
/// 60 s less the suite's deadline) — while "the glibc ppoll() function does not modify its
/// tmo_p argument".
#[test]
fn the_ppoll_system_call_writes_back_the_timeout_but_glibc_ppoll_does_not() {
    let p = Kind::Pipe.pair();
    p.send(b"x");
    let mut fds = [pollfd(p.rx().as_raw_fd(), libc::POLLIN)];
    let mut ts = timespec(Duration::from_secs(60));
    assert_eq!(raw_ppoll(&mut fds, Some(&mut ts), None), Ok(1));
    let left = duration_of(&ts);
    assert!(
        left > Duration::from_secs(60).saturating_sub(scaled(DEFAULT_DEADLINE)) && left < Duration::from_secs(60),
        "written back: {left:?}"
    );

    let ts = timespec(Duration::from_secs(1));
    // SAFETY: one valid pollfd and timespec.
    assert_eq!(
        fixtures::sys(unsafe { libc::ppoll(fds.as_mut_ptr(), 1, &ts, std::ptr::null()) }),
        Ok(1)
    );
    assert_eq!(duration_of(&ts), Duration::from_secs(1));
}

/// poll(2), ERRORS: "EINVAL (ppoll()) The timeout value expressed in *tmo_p is invalid
/// (negative)"; a tv_nsec outside 0..1e9 is invalid too (timespec(3)). pselect(2) rejects
/// the same values ("EINVAL The value contained within timeout is invalid").
#[rstest]
#[case::negative_seconds(-1, 0)]
#[case::negative_nanoseconds(0, -1)]
#[case::a_billion_nanoseconds(0, 1_000_000_000)]
fn ppoll_and_pselect_reject_an_invalid_timespec(
    #[case] sec: libc::time_t,
    #[case] nsec: libc::c_long,
) {
    let p = Kind::Pipe.pair();
    let ts = libc::timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    };
    let mut fds = [pollfd(p.rx().as_raw_fd(), libc::POLLIN)];
    // SAFETY: one valid pollfd and timespec.
    assert_errno!(
        fixtures::sys(unsafe { libc::ppoll(fds.as_mut_ptr(), 1, &ts, std::ptr::null()) }),
        Errno::EINVAL,
        "ppoll"
    );
    assert_errno!(pselect_readable(p.rx(), &ts), Errno::EINVAL, "pselect");
}

/// select(2): "If timeout is specified as NULL, select() blocks indefinitely waiting for a
/// file descriptor to become ready"; poll(2): "If tmo_p is specified as NULL, then ppoll()
/// can block indefinitely". Each blocks until the peer writes.
#[rstest]
#[case::select(Wait::Select)]
#[case::pselect(Wait::Pselect)]
#[case::ppoll(Wait::Ppoll)]
fn a_null_timeout_waits_for_the_peer(#[case] call: Wait) {
    let p = Kind::Pipe.pair();
    let child = blocked_waiter("a wait without timeout", || {
        assert_eq!(call.readable(p.rx(), None, None), Ok(1));
    });
    p.send(b"x");
    child.expect_success();
}

/// select(2), "Emulating usleep(3)": "select() with all three sets empty, nfds zero, and a
/// non-NULL timeout" sleeps for the timeout and returns 0.
#[test]
fn select_with_no_fds_and_a_timeout_is_a_sleep() {
    let start = Instant::now();
    assert_eq!(select(0, None, None, None, Some(&mut timeval(0, 30_000))), Ok(0));
    assert_waited_at_least(start, Duration::from_millis(30));
}
