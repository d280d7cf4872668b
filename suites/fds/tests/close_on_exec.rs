//! Close-on-exec across execve(2). A child re-executes the test binary as the `fd-open N`
//! probe, which exits 0 if fd N is open in the new program and 1 if not.
//!
//! execve(2): "By default, file descriptors remain open across an execve(). File
//! descriptors that are marked close-on-exec are closed; see the description of
//! FD_CLOEXEC in fcntl(2)."

use std::os::fd::AsRawFd;

use fds::{TempFile, close, dup, dup2, dup3, fcntl, open_after_exec, status_flags_after_exec};
use fixtures::io::getfd;

/// execve(2): "By default, file descriptors remain open across an execve()": an fd opened
/// without O_CLOEXEC is open in the new program, at the same number.
#[test]
fn an_fd_without_close_on_exec_stays_open_across_exec() {
    let f = TempFile::open(b"", libc::O_RDWR);
    assert_eq!(getfd(&f), Ok(0));
    assert!(open_after_exec(f.as_raw_fd()), "fd {} was closed by exec", f.as_raw_fd());
}

/// open(2), O_CLOEXEC: "Enable the close-on-exec flag for the new file descriptor."
#[test]
fn o_cloexec_at_open_closes_the_fd_at_exec() {
    let f = TempFile::open(b"", libc::O_RDWR | libc::O_CLOEXEC);
    assert_eq!(getfd(&f), Ok(libc::FD_CLOEXEC));
    assert!(!open_after_exec(f.as_raw_fd()), "an O_CLOEXEC fd survived exec");
}

/// fcntl(2), F_SETFD: "If the FD_CLOEXEC bit is set, the file descriptor will
/// automatically be closed during a successful execve(2)" — setting it after the fact
/// works like O_CLOEXEC, and clearing it on an O_CLOEXEC fd keeps the fd across exec.
#[rstest::rstest]
#[case::set_on_a_plain_fd(0, libc::FD_CLOEXEC, false)]
#[case::cleared_on_an_o_cloexec_fd(libc::O_CLOEXEC, 0, true)]
fn f_setfd_decides_whether_the_fd_survives_exec(
    #[case] open_flag: libc::c_int,
    #[case] fd_flags: libc::c_int,
    #[case] survives: bool,
) {
    let f = TempFile::open(b"", libc::O_RDWR | open_flag);
    fcntl(&f, libc::F_SETFD, fd_flags).unwrap();
    assert_eq!(open_after_exec(f.as_raw_fd()), survives);
}

/// How a duplicate is made.
#[derive(Debug, Clone, Copy)]
enum How {
    Dup,
    Dup2,
    Dup3,
    Dup3Cloexec,
    FDupfd,
    FDupfdCloexec,
}

/// Whether a duplicate of a close-on-exec fd survives execve(2). dup(2): "The
/// close-on-exec flag (FD_CLOEXEC ...) for the duplicate descriptor is off" (dup, dup2,
/// dup3 without flags, F_DUPFD); dup3(2) with O_CLOEXEC and fcntl(2) F_DUPFD_CLOEXEC set
/// it. The original, opened with O_CLOEXEC, is closed by the exec in every case.
#[rstest::rstest]
#[case::dup(How::Dup, true)]
#[case::dup2(How::Dup2, true)]
#[case::dup3_without_flags(How::Dup3, true)]
#[case::dup3_o_cloexec(How::Dup3Cloexec, false)]
#[case::f_dupfd(How::FDupfd, true)]
#[case::f_dupfd_cloexec(How::FDupfdCloexec, false)]
fn a_duplicate_survives_exec_unless_made_close_on_exec(#[case] how: How, #[case] survives: bool) {
    let f = TempFile::open(b"", libc::O_RDWR | libc::O_CLOEXEC);
    let spare = dup(&f).unwrap(); // a number of our own to dup2/dup3 onto
    let d = match how {
        How::Dup => dup(&f),
        How::Dup2 => dup2(&f, spare),
        How::Dup3 => dup3(&f, spare, 0),
        How::Dup3Cloexec => dup3(&f, spare, libc::O_CLOEXEC),
        How::FDupfd => fcntl(&f, libc::F_DUPFD, 0),
        How::FDupfdCloexec => fcntl(&f, libc::F_DUPFD_CLOEXEC, 0),
    }
    .unwrap_or_else(|e| panic!("{how:?} failed: {e}"));
    assert!(!open_after_exec(f.as_raw_fd()), "the O_CLOEXEC original survived exec");
    assert_eq!(open_after_exec(d), survives, "{how:?} duplicate {d}");
    close(d).unwrap();
    if d != spare {
        close(spare).unwrap();
    }
}

/// execve(2) keeps the open file description of an inherited fd, so its file status
/// flags (open(2): O_APPEND, O_NONBLOCK) are the same in the new program.
#[test]
fn status_flags_survive_exec() {
    let f = TempFile::open(b"", libc::O_WRONLY | libc::O_APPEND | libc::O_NONBLOCK);
    let flags = status_flags_after_exec(&f);
    assert_eq!(flags & libc::O_ACCMODE, libc::O_WRONLY, "access mode after exec: {flags:#o}");
    assert_eq!(flags & libc::O_APPEND, libc::O_APPEND, "O_APPEND lost at exec: {flags:#o}");
    assert_eq!(flags & libc::O_NONBLOCK, libc::O_NONBLOCK, "O_NONBLOCK lost at exec: {flags:#o}");
}
