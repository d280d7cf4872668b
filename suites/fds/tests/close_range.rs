//! close_range(2): "The close_range() system call closes all open file descriptors from
//! first to last (included)." First appeared in Linux 5.9; CLOSE_RANGE_CLOEXEC since 5.11.
//! On a kernel without the call (before 5.9) it fails with ENOSYS, which is asserted
//! there instead of skipping.
//!
//! Variants: every test reports `present` (close_range(2) works), `absent` (before 5.9:
//! ENOSYS asserted, the test passes) or `blocked` (5.9+ but a seccomp filter answers
//! ENOSYS/EPERM: skipped); the CLOSE_RANGE_CLOEXEC test reports on that flag instead
//! (`present` from 5.11, `absent` before: EINVAL asserted).
//!
//! Everything runs in a forked child, which owns its fd table and can close numbers freely.

use std::os::fd::AsFd;

use fds::{TempFile, dup2, vacate};
use fixtures::facility::{self, Availability};
use fixtures::io::{getfd, raw_fd};
use fixtures::procfs::fd_is_open;
use fixtures::{assert_errno, run_in_child, sys, variant};
use nix::errno::Errno;

fn close_range(first: libc::c_uint, last: libc::c_uint, flags: libc::c_uint) -> Result<libc::c_int, Errno> {
    // SAFETY: the raw system call with integer arguments.
    sys(unsafe { libc::syscall(libc::SYS_close_range, first, last, flags) } as libc::c_int)
}

/// close_range(2) here, probed with a call that closes nothing (first = last = ~0U) and
/// sorted by [`facility::syscall_with`]: `Present` (the kernel answers), `Absent` (ENOSYS
/// before 5.9, which added the call), `Blocked` (ENOSYS on 5.9+, or EPERM under a seccomp
/// filter, e.g. an older container runtime's profile).
fn close_range_here() -> Availability {
    facility::syscall_with("close_range(2)", (5, 9), || close_range(libc::c_uint::MAX, libc::c_uint::MAX, 0))
}

/// The prerequisite of every test here, `needs!(available(close_range_here()))` — except
/// that a kernel without the call is not skipped: its ENOSYS is the documented behaviour
/// before 5.9, so the test reports `absent` and passes. `(reporting_its_own_variant)`: for
/// the CLOSE_RANGE_CLOEXEC test, which reports on that flag instead of `present`.
macro_rules! needs_close_range {
    () => {
        match close_range_here() {
            Availability::Absent(why) => {
                variant::absent(why);
                return;
            }
            here => fixtures::needs!(available(here)),
        }
    };
    (reporting_its_own_variant) => {
        match close_range_here() {
            Availability::Absent(why) => {
                variant::absent(why);
                return;
            }
            Availability::Present(_) => {}
            here => fixtures::needs!(available(here)),
        }
    };
}

/// Put copies of `fd` at each number in `at`, after freeing the neighbourhood the tests
/// look at (anything the child inherited there).
fn place(fd: impl AsFd, at: &[i32]) {
    vacate(at.iter().flat_map(|n| n - 2..=n + 2));
    for &n in at {
        assert_eq!(dup2(fd.as_fd(), n), Ok(n));
    }
}

/// close_range(2): closes every open fd from first to last inclusive; fds outside the
/// range stay open, and "Errors closing a given file descriptor are currently ignored" —
/// holes inside the range are not an error.
#[test]
fn close_range_closes_every_fd_from_first_to_last() {
    needs_close_range!();
    let f = TempFile::new(b"");
    run_in_child("close_range", || {
        place(&f, &[99, 100, 101, 103, 105, 106]);
        assert_eq!(close_range(100, 105, 0), Ok(0));
        for n in [100, 101, 103, 105] {
            assert!(!fd_is_open(raw_fd(n)), "fd {n} inside the range is still open");
        }
        assert!(fd_is_open(raw_fd(99)) && fd_is_open(raw_fd(106)), "an fd outside the range was closed");
        // A range with nothing open in it is fine.
        assert_eq!(close_range(200, 300, 0), Ok(0));
    })
    .expect_success();
}

/// close_range(2), EXAMPLES: "close_range(3, ~0U, 0)" closes everything from 3 up: `last`
/// may be far above the highest open fd.
#[test]
fn close_range_up_to_uint_max_closes_everything_above_first() {
    needs_close_range!();
    let f = TempFile::new(b"");
    run_in_child("close_range to ~0", || {
        place(&f, &[300, 301, 5000]);
        assert_eq!(close_range(300, libc::c_uint::MAX, 0), Ok(0));
        assert!(!fd_is_open(raw_fd(300)) && !fd_is_open(raw_fd(301)) && !fd_is_open(raw_fd(5000)));
        assert!(fd_is_open(&f), "an fd below first was closed");
    })
    .expect_success();
}

/// close_range(2), CLOSE_RANGE_CLOEXEC (since Linux 5.11): "Set the close-on-exec flag on
/// the specified file descriptors, rather than immediately closing them." On 5.9/5.10 the
/// flag is unknown and the call fails EINVAL ("flags is not valid"), changing nothing.
/// Variant: `present` (5.11+), `absent` (EINVAL on 5.9/5.10, ENOSYS before 5.9), `blocked`.
///
/// Kernel change: 5.11 — close_range(2) takes CLOSE_RANGE_CLOEXEC, setting FD_CLOEXEC instead of closing (EINVAL on 5.9/5.10).
#[test]
fn close_range_cloexec_sets_the_flag_instead_of_closing() {
    needs_close_range!(reporting_its_own_variant);
    let f = TempFile::new(b"");
    let has_flag = variant::since(5, 11, "CLOSE_RANGE_CLOEXEC");
    run_in_child("CLOSE_RANGE_CLOEXEC", || {
        place(&f, &[110, 111, 112]);
        let r = close_range(110, 111, libc::CLOSE_RANGE_CLOEXEC);
        if has_flag {
            assert_eq!(r, Ok(0));
            assert_eq!(getfd(raw_fd(110)), Ok(libc::FD_CLOEXEC));
            assert_eq!(getfd(raw_fd(111)), Ok(libc::FD_CLOEXEC));
        } else {
            assert_errno!(r, Errno::EINVAL, "CLOSE_RANGE_CLOEXEC before 5.11");
            assert_eq!(getfd(raw_fd(110)), Ok(0));
        }
        assert_eq!(getfd(raw_fd(112)), Ok(0), "fd 112 is outside the range");
    })
    .expect_success();
}

/// close_range(2), ERRORS: "EINVAL flags is not valid, or first is greater than last." A
/// failing call closes nothing.
#[rstest::rstest]
#[case::first_greater_than_last(121, 120, 0)]
#[case::unknown_flag(120, 121, 1 << 7)]
#[case::all_flag_bits(120, 121, !0)]
fn close_range_with_invalid_arguments_fails_einval(
    #[case] first: libc::c_uint,
    #[case] last: libc::c_uint,
    #[case] flags: libc::c_uint,
) {
    needs_close_range!();
    let f = TempFile::new(b"");
    run_in_child("close_range EINVAL", || {
        place(&f, &[120, 121]);
        assert_errno!(close_range(first, last, flags), Errno::EINVAL);
        assert!(fd_is_open(raw_fd(120)) && fd_is_open(raw_fd(121)), "a failed close_range closed fds");
    })
    .expect_success();
}

/// close_range(2), CLOSE_RANGE_UNSHARE: "Unshare the specified file descriptors from any
/// other processes before closing them". In a process whose table is not shared the flag
/// is accepted and the range is closed as usual.
#[test]
fn close_range_unshare_closes_the_range_in_an_unshared_table() {
    needs_close_range!();
    let f = TempFile::new(b"");
    run_in_child("CLOSE_RANGE_UNSHARE", || {
        place(&f, &[130, 131]);
        assert_eq!(close_range(130, 130, libc::CLOSE_RANGE_UNSHARE), Ok(0));
        assert!(!fd_is_open(raw_fd(130)));
        assert!(fd_is_open(raw_fd(131)));
    })
    .expect_success();
}
