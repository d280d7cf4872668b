//! eventfd(2) creation: the initial value and the flags.

use std::os::fd::AsRawFd;

use eventfd::{eventfd, read_u64};
use fixtures::io::{fd_flags, owned, status_flags};
use fixtures::{assert_errno, sys, variant};
use nix::errno::Errno;

/// eventfd(2): "The object contains an unsigned 64-bit integer (uint64_t) counter that is
/// maintained by the kernel. This counter is initialized with the value specified in the
/// argument initval." The whole unsigned int range is accepted.
#[rstest::rstest]
#[case::one(1)]
#[case::forty_two(42)]
#[case::uint_max(u32::MAX)]
fn the_first_read_returns_initval(#[case] initval: u32) {
    let e = eventfd(initval, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap();
    assert_eq!(read_u64(&e), Ok(u64::from(initval)));
}

/// eventfd(2), EFD_CLOEXEC: "Set the close-on-exec (FD_CLOEXEC) flag on the new file
/// descriptor." Without it the flag is clear and the fd survives execve(2) (checked with
/// the `fd-open` probe); with it the fd is closed in the new program.
#[rstest::rstest]
#[case::efd_cloexec(libc::EFD_CLOEXEC, libc::FD_CLOEXEC, false)]
#[case::no_flag(0, 0, true)]
fn efd_cloexec_sets_close_on_exec(#[case] flags: libc::c_int, #[case] expected: libc::c_int, #[case] survives: bool) {
    let e = eventfd(0, flags).unwrap();
    assert_eq!(fd_flags(&e), expected);
    let n = e.as_raw_fd().to_string();
    let outcome = fixtures::run_in_child("fd-open probe", || fixtures::exec::exec_probe(&["fd-open", &n]));
    assert_eq!(outcome, fixtures::Outcome::Exited(if survives { 0 } else { 1 }), "eventfd open after exec");
}

/// eventfd(2), EFD_NONBLOCK: "Set the O_NONBLOCK file status flag on the open file
/// description (see open(2)) referred to by the new file descriptor." The access mode is
/// O_RDWR (proc(5) shows "flags: 02" for an eventfd).
#[rstest::rstest]
#[case::efd_nonblock(libc::EFD_NONBLOCK, libc::O_NONBLOCK)]
#[case::no_flag(0, 0)]
fn efd_nonblock_sets_o_nonblock(#[case] flags: libc::c_int, #[case] expected: libc::c_int) {
    let e = eventfd(0, flags | libc::EFD_CLOEXEC).unwrap();
    let fl = status_flags(&e);
    assert_eq!(fl & libc::O_NONBLOCK, expected, "F_GETFL {fl:#o}");
    assert_eq!(fl & libc::O_ACCMODE, libc::O_RDWR, "F_GETFL {fl:#o}");
}

/// eventfd(2), ERRORS: "EINVAL An unsupported value was specified in flags." Only
/// EFD_CLOEXEC, EFD_NONBLOCK and EFD_SEMAPHORE are supported.
#[rstest::rstest]
#[case::bit_1(1 << 1)]
#[case::bit_3(1 << 3)]
#[case::o_append(libc::O_APPEND)]
#[case::sign_bit(libc::c_int::MIN)]
#[case::valid_plus_unknown(libc::EFD_NONBLOCK | libc::EFD_SEMAPHORE | (1 << 2))]
fn unknown_flags_fail_einval(#[case] flags: libc::c_int) {
    assert_errno!(eventfd(0, flags | libc::EFD_CLOEXEC), Errno::EINVAL, "eventfd(0, {flags:#x})");
}

/// eventfd(2), VERSIONS: "eventfd() is available on Linux since Linux 2.6.22 ... The
/// eventfd2() system call (see NOTES) is available on Linux since Linux 2.6.27"; NOTES:
/// the original eventfd() "did not provide the flags argument". The old system call makes
/// a blocking, not close-on-exec counter with initval. The test is built only where the
/// architecture has the call (the libc crate defines SYS_eventfd there), so an ENOSYS or
/// EPERM is a seccomp filter: variant `blocked`, SKIP; otherwise `present`.
#[test]
fn the_old_eventfd_system_call_has_no_flags() {
    // SAFETY: the raw system call; the fd is owned below.
    let fd = sys(unsafe { libc::syscall(libc::SYS_eventfd, 9u32) } as libc::c_int);
    let fd = match fd {
        Err(e @ (Errno::ENOSYS | Errno::EPERM)) => fixtures::skip_blocked!(
            "the old eventfd system call fails {e} although this architecture has it: a seccomp filter"
        ),
        Ok(fd) => {
            variant::present("the old eventfd system call (no flags argument) exists");
            fd
        }
        Err(e) => panic!("eventfd(9): {e}"),
    };
    let e = owned(fd);
    assert_eq!(fd_flags(&e), 0, "FD_CLOEXEC");
    assert_eq!(status_flags(&e) & libc::O_NONBLOCK, 0, "O_NONBLOCK");
    assert_eq!(read_u64(&e), Ok(9));
}
