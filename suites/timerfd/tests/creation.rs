//! timerfd_create(2): the clocks, the flags, and the state of a new timer.

use fixtures::assert_errno;
use fixtures::io::{fd_flags, status_flags};
use fixtures::poll::revents_now;
use nix::errno::Errno;
use rstest::rstest;
use timerfd::{gettime, is_zero, read_count, timerfd_create};

/// timerfd_create(2): "TFD_NONBLOCK Set the O_NONBLOCK file status flag on the open file
/// description ... TFD_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the new file
/// descriptor." Asserted for CLOCK_MONOTONIC (and CLOCK_REALTIME): with both flags F_GETFD
/// is exactly FD_CLOEXEC and F_GETFL has O_NONBLOCK, the description opened O_RDWR
/// (fs/timerfd.c); without flags neither is set.
#[rstest]
#[case::monotonic_both_flags(libc::CLOCK_MONOTONIC, libc::TFD_CLOEXEC | libc::TFD_NONBLOCK, libc::FD_CLOEXEC, libc::O_NONBLOCK)]
#[case::monotonic_no_flags(libc::CLOCK_MONOTONIC, 0, 0, 0)]
#[case::realtime_both_flags(libc::CLOCK_REALTIME, libc::TFD_CLOEXEC | libc::TFD_NONBLOCK, libc::FD_CLOEXEC, libc::O_NONBLOCK)]
fn tfd_cloexec_and_tfd_nonblock_set_the_descriptor_flags(
    #[case] clock: libc::clockid_t,
    #[case] flags: libc::c_int,
    #[case] fd_flag: libc::c_int,
    #[case] status: libc::c_int,
) {
    let fd = timerfd_create(clock, flags).expect("timerfd_create");
    assert_eq!(fd_flags(&fd), fd_flag, "F_GETFD");
    let fl = status_flags(&fd);
    assert_eq!(fl & libc::O_NONBLOCK, status, "O_NONBLOCK in F_GETFL {fl:#o}");
    assert_eq!(fl & libc::O_ACCMODE, libc::O_RDWR, "access mode in F_GETFL {fl:#o}");
}

/// timerfd_create(2), ERRORS: "EINVAL The clockid is not valid." and "EINVAL flags is
/// invalid". Asserted: a flag bit other than TFD_CLOEXEC/TFD_NONBLOCK, a clock a timerfd
/// cannot use (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID) and a clock number that
/// does not exist all fail EINVAL.
#[rstest]
#[case::unknown_flag(libc::CLOCK_MONOTONIC, 1)]
#[case::process_cputime_clock(libc::CLOCK_PROCESS_CPUTIME_ID, 0)]
#[case::thread_cputime_clock(libc::CLOCK_THREAD_CPUTIME_ID, 0)]
#[case::no_such_clock(1000, 0)]
fn timerfd_create_refuses_unknown_flags_and_clocks(#[case] clock: libc::clockid_t, #[case] flags: libc::c_int) {
    assert_errno!(timerfd_create(clock, flags), Errno::EINVAL);
}

/// timerfd_create(2): "creates a new timer object" that timerfd_settime(2) arms;
/// timerfd_gettime(2): "If both fields of the returned curr_value.it_value are zero, then the
/// timer is currently disarmed." Asserted: a new timer reads back all zeros, is not
/// readable, and a read fails EAGAIN (nonblocking).
#[test]
fn a_new_timer_is_disarmed() {
    let fd = timerfd::monotonic();
    let cur = gettime(&fd);
    assert!(is_zero(&cur.it_value) && is_zero(&cur.it_interval), "timerfd_gettime of a new timer");
    assert_eq!(revents_now(&fd, libc::POLLIN), 0);
    assert_errno!(read_count(&fd), Errno::EAGAIN);
}
