//! fcntl(2) F_GETFD/F_SETFD (descriptor flags) and F_GETFL/F_SETFL (status flags).

use std::os::fd::AsFd;

use fds::{TempFile, fcntl};
use fixtures::io::{getfd, getfl, open, read_once, setfl, write_once};
use fixtures::assert_errno;
use nix::errno::Errno;

/// fcntl(2), F_GETFL: "Return (as the function result) the file access mode and the file
/// status flags"; the access mode is the one given to open(2).
#[rstest::rstest]
#[case::rdonly(libc::O_RDONLY)]
#[case::wronly(libc::O_WRONLY)]
#[case::rdwr(libc::O_RDWR)]
fn f_getfl_reports_the_access_mode_of_open(#[case] mode: libc::c_int) {
    let f = TempFile::open(b"", mode | libc::O_CLOEXEC);
    let fl = getfl(&f).unwrap();
    assert_eq!(fl & libc::O_ACCMODE, mode, "F_GETFL {fl:#o}");
    assert_eq!(fl & (libc::O_APPEND | libc::O_NONBLOCK), 0);
}

/// fcntl(2), F_SETFL: "File access mode (O_RDONLY, O_WRONLY, O_RDWR) and file creation
/// flags (i.e., O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC) in arg are ignored." The fd stays
/// read-only (a write fails EBADF), and the file is not truncated.
#[test]
fn f_setfl_ignores_the_access_mode_and_creation_flags() {
    let f = TempFile::open(b"keep me", libc::O_RDONLY | libc::O_CLOEXEC);
    let before = getfl(&f).unwrap();
    let ignored = libc::O_RDWR | libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOCTTY | libc::O_TRUNC;
    assert_eq!(setfl(&f, ignored), Ok(0));
    assert_eq!(getfl(&f), Ok(before), "F_SETFL changed access mode or kept creation flags");
    assert_errno!(write_once(&f, b"x"), Errno::EBADF, "write to a read-only fd after F_SETFL O_RDWR");
    assert_eq!(std::fs::read(f.path()).unwrap(), b"keep me", "F_SETFL O_TRUNC truncated the file");
}

/// fcntl(2), F_SETFL: "On Linux, this command can change only the O_APPEND, O_ASYNC,
/// O_DIRECT, O_NOATIME, and O_NONBLOCK flags." Setting sets them, and since F_SETFL sets
/// the flags "to the value specified by arg", omitting them clears them again. O_ASYNC is
/// checked on a pipe: open(2) says it "is available only for terminals, pseudoterminals,
/// sockets, and (since Linux 2.6) pipes and FIFOs" (see the regular-file test below).
#[rstest::rstest]
#[case::o_append_on_a_file(libc::O_APPEND, false)]
#[case::o_nonblock_on_a_file(libc::O_NONBLOCK, false)]
#[case::o_nonblock_on_a_pipe(libc::O_NONBLOCK, true)]
#[case::o_async_on_a_pipe(libc::O_ASYNC, true)]
fn f_setfl_sets_and_clears_a_changeable_flag(#[case] flag: libc::c_int, #[case] on_pipe: bool) {
    let file = TempFile::open(b"", libc::O_RDWR | libc::O_CLOEXEC);
    let (rx, _tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let fd = if on_pipe { rx.as_fd() } else { file.as_fd() };
    let base = getfl(fd).unwrap();
    assert_eq!(base & flag, 0);
    setfl(fd, base | flag).unwrap();
    assert_eq!(getfl(fd), Ok(base | flag));
    setfl(fd, base).unwrap();
    assert_eq!(getfl(fd), Ok(base));
}

/// Linux differs from fcntl(2), which lists O_ASYNC among the flags F_SETFL changes: fs/fcntl.c
/// setfl(): "->fasync() is responsible for setting the FASYNC bit", and SETFL_MASK does not
/// contain O_ASYNC — so on a file whose driver has no fasync method (a regular file; open(2):
/// O_ASYNC "is available only for terminals, pseudoterminals, sockets, ... pipes and FIFOs")
/// F_SETFL O_ASYNC succeeds but the flag stays clear. See docs/findings.md.
#[test]
fn f_setfl_o_async_on_a_regular_file_succeeds_without_setting_the_flag() {
    let f = TempFile::open(b"", libc::O_RDWR | libc::O_CLOEXEC);
    let base = getfl(&f).unwrap();
    assert_eq!(setfl(&f, base | libc::O_ASYNC), Ok(0));
    assert_eq!(getfl(&f), Ok(base), "O_ASYNC was recorded on a regular file");
}

/// fcntl(2), F_SETFL: "It is not possible to change the O_DSYNC and O_SYNC flags; see BUGS"
/// ("BUGS: F_SETFL ... silently ignores attempts to change O_DSYNC and O_SYNC").
#[test]
fn f_setfl_cannot_change_o_sync_or_o_dsync() {
    let plain = TempFile::open(b"", libc::O_RDWR | libc::O_CLOEXEC);
    assert_eq!(setfl(&plain, libc::O_SYNC), Ok(0));
    assert_eq!(getfl(&plain).unwrap() & libc::O_SYNC, 0, "F_SETFL set O_SYNC");
    let synced = open(plain.path(), libc::O_RDWR | libc::O_SYNC | libc::O_CLOEXEC).unwrap();
    assert_eq!(getfl(&synced).unwrap() & libc::O_SYNC, libc::O_SYNC);
    assert_eq!(setfl(&synced, 0), Ok(0));
    assert_eq!(getfl(&synced).unwrap() & libc::O_SYNC, libc::O_SYNC, "F_SETFL cleared O_SYNC");
}

/// fcntl(2): "Currently, only one such flag is defined: FD_CLOEXEC". F_SETFD with other
/// bits keeps only FD_CLOEXEC, and F_GETFD reports exactly that bit.
#[rstest::rstest]
#[case::all_bits(!0, libc::FD_CLOEXEC)]
#[case::other_bits_only(!libc::FD_CLOEXEC, 0)]
#[case::exactly_fd_cloexec(libc::FD_CLOEXEC, libc::FD_CLOEXEC)]
fn f_setfd_keeps_only_fd_cloexec(#[case] arg: libc::c_int, #[case] expected: libc::c_int) {
    let f = TempFile::open(b"", libc::O_RDWR);
    assert_eq!(fcntl(&f, libc::F_SETFD, arg), Ok(0));
    assert_eq!(getfd(&f), Ok(expected));
}

/// fcntl(2), ERRORS: "EINVAL The value specified in cmd is not recognized by this kernel."
#[test]
fn fcntl_with_an_unknown_command_fails_einval() {
    let f = TempFile::open(b"", libc::O_RDWR | libc::O_CLOEXEC);
    assert_errno!(fcntl(&f, 0x7fff_0000, 0), Errno::EINVAL);
}

/// open(2), O_APPEND: "Before each write(2), the file offset is positioned at the end of
/// the file, as if with lseek(2)." Set through F_SETFL, it takes effect on the next write
/// even though the offset is at 0.
#[test]
fn o_append_set_by_f_setfl_moves_the_next_write_to_the_end() {
    let f = TempFile::open(b"abc", libc::O_RDWR | libc::O_CLOEXEC);
    let mut b = [0u8; 1];
    assert_eq!(read_once(&f, &mut b), Ok(1));
    setfl(&f, libc::O_APPEND).unwrap();
    assert_eq!(write_once(&f, b"Z"), Ok(1));
    assert_eq!(std::fs::read(f.path()).unwrap(), b"abcZ");
}
