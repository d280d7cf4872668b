//! fcntl(2) F_DUPFD and F_DUPFD_CLOEXEC, and how their range errors differ from dup2's.
//!
//! Everything that depends on fd numbers or changes RLIMIT_NOFILE runs in a forked child.

use fds::{TempFile, close, dup2, dup3, fcntl, offset, vacate};
use fixtures::io::{getfd, raw_fd, read_once};
use fixtures::limits::{nofile_limits, set_nofile_soft_limit};
use fixtures::procfs::fd_is_open;
use fixtures::{assert_errno, run_in_child};
use nix::errno::Errno;

/// fcntl(2), F_DUPFD: "Duplicate the file descriptor fd using the lowest-numbered available
/// file descriptor greater than or equal to arg." Holes below `arg` are not used; the lowest
/// hole at or above it is.
#[test]
fn f_dupfd_uses_the_lowest_free_fd_at_or_above_arg() {
    let f = TempFile::new(b"");
    run_in_child("F_DUPFD numbering", || {
        vacate((100..=104).chain([200]));
        // Occupy 100, 101 and 103; leave 102 free. Numbers below 100 stay as they are.
        for n in [100, 101, 103] {
            assert_eq!(dup2(&f, n), Ok(n));
        }
        assert!(!fd_is_open(raw_fd(102)));
        assert_eq!(fcntl(&f, libc::F_DUPFD, 100), Ok(102), "the lowest free fd >= 100 is 102");
        assert_eq!(fcntl(&f, libc::F_DUPFD, 100), Ok(104), "102 is taken now, next free is 104");
        assert_eq!(fcntl(&f, libc::F_DUPFD, 200), Ok(200), "a free arg itself is used");
    })
    .expect_success();
}

/// fcntl(2), F_DUPFD: the new descriptor refers to the same open file description
/// ("see dup(2)"): a read through it moves the original's offset.
#[test]
fn f_dupfd_duplicate_shares_the_offset() {
    let f = TempFile::new(b"abcdef");
    let d = fcntl(&f, libc::F_DUPFD, 0).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(read_once(raw_fd(d), &mut buf), Ok(4));
    assert_eq!(offset(&f), 4);
    close(d).unwrap();
}

/// fcntl(2): F_DUPFD_CLOEXEC is "As for F_DUPFD, but additionally set the close-on-exec
/// flag for the duplicate file descriptor"; plain F_DUPFD leaves the flag clear (the flag
/// of the original, set by std's O_CLOEXEC, is not copied).
#[rstest::rstest]
#[case::f_dupfd(libc::F_DUPFD, 0)]
#[case::f_dupfd_cloexec(libc::F_DUPFD_CLOEXEC, libc::FD_CLOEXEC)]
fn f_dupfd_sets_close_on_exec_only_for_f_dupfd_cloexec(#[case] cmd: libc::c_int, #[case] expected: libc::c_int) {
    let f = TempFile::new(b"");
    assert_eq!(getfd(&f), Ok(libc::FD_CLOEXEC));
    let d = fcntl(&f, cmd, 0).unwrap();
    assert_eq!(getfd(raw_fd(d)), Ok(expected));
    close(d).unwrap();
}

/// fcntl(2), ERRORS: "EINVAL cmd is F_DUPFD and arg is negative or is greater than the
/// maximum allowable value (see the discussion of RLIMIT_NOFILE in getrlimit(2))."
#[rstest::rstest]
#[case::minus_one(-1)]
#[case::int_min(libc::c_int::MIN)]
fn f_dupfd_with_a_negative_arg_fails_einval(#[case] arg: libc::c_int) {
    let f = TempFile::new(b"");
    assert_errno!(fcntl(&f, libc::F_DUPFD, arg), Errno::EINVAL);
    assert_errno!(fcntl(&f, libc::F_DUPFD_CLOEXEC, arg), Errno::EINVAL);
}

/// fcntl(2), ERRORS: F_DUPFD with an arg at or above the RLIMIT_NOFILE soft limit fails with
/// EINVAL (getrlimit(2): the limit is "a value one greater than the maximum file descriptor
/// number that can be opened"). One below the limit still works.
#[test]
fn f_dupfd_at_or_above_rlimit_nofile_fails_einval() {
    let f = TempFile::new(b"");
    run_in_child("F_DUPFD at the limit", || {
        vacate([63]);
        set_nofile_soft_limit(64);
        assert_eq!(fcntl(&f, libc::F_DUPFD, 63), Ok(63));
        assert_errno!(fcntl(&f, libc::F_DUPFD, 64), Errno::EINVAL);
        assert_errno!(fcntl(&f, libc::F_DUPFD, 1000), Errno::EINVAL);
        assert_errno!(fcntl(&f, libc::F_DUPFD_CLOEXEC, 64), Errno::EINVAL);
    })
    .expect_success();
}

/// dup(2), ERRORS: "EBADF newfd is out of the allowed range for file descriptors", and
/// NOTES: "The error returned by dup2() is different from that returned by fcntl(...,
/// F_DUPFD, ...) when newfd is out of range." The same number gives EBADF from dup2 and
/// dup3 but EINVAL from F_DUPFD.
#[test]
fn dup2_out_of_range_fails_ebadf_where_f_dupfd_fails_einval() {
    let f = TempFile::new(b"");
    run_in_child("range errors", || {
        vacate([64]);
        set_nofile_soft_limit(64);
        assert_errno!(dup2(&f, 64), Errno::EBADF, "dup2 to newfd == RLIMIT_NOFILE");
        assert_errno!(dup2(&f, -1), Errno::EBADF, "dup2 to a negative newfd");
        assert_errno!(dup3(&f, 64, 0), Errno::EBADF, "dup3 to newfd == RLIMIT_NOFILE");
        assert_errno!(fcntl(&f, libc::F_DUPFD, 64), Errno::EINVAL, "F_DUPFD with arg == RLIMIT_NOFILE");
        assert!(!fd_is_open(raw_fd(64)));
        assert_eq!(nofile_limits().0, 64);
    })
    .expect_success();
}
