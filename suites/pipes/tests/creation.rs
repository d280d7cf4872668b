//! pipe(2) and pipe2(2): the two ends, their access modes and the creation flags.

use std::os::fd::AsFd;

use fixtures::exec::exec_probe;
use fixtures::io::{fd_flags, read_once, status_flags};
use fixtures::{Outcome, assert_errno, run_in_child, sys};
use nix::errno::Errno;
use rstest::rstest;

fn raw_pipe2(flags: libc::c_int) -> (Result<libc::c_int, Errno>, [libc::c_int; 2]) {
    let mut fds = [-7, -7];
    let r = sys(unsafe { libc::pipe2(fds.as_mut_ptr(), flags) });
    (r, fds)
}

fn close_pair(fds: [libc::c_int; 2]) {
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
}

/// pipe(2): "pipefd[0] refers to the read end of the pipe. pipefd[1] refers to the write
/// end of the pipe. Data written to the write end of the pipe is buffered by the kernel
/// until it is read from the read end." Asserted: the access modes are O_RDONLY and
/// O_WRONLY, and bytes written to [1] come out of [0].
#[test]
fn pipe_returns_the_read_end_first_and_the_write_end_second() {
    let mut fds = [-1, -1];
    assert_eq!(sys(unsafe { libc::pipe(fds.as_mut_ptr()) }), Ok(0));
    let (r, w) = (fds[0], fds[1]);
    assert_eq!(sys(unsafe { libc::fcntl(r, libc::F_GETFL) }).unwrap() & libc::O_ACCMODE, libc::O_RDONLY);
    assert_eq!(sys(unsafe { libc::fcntl(w, libc::F_GETFL) }).unwrap() & libc::O_ACCMODE, libc::O_WRONLY);
    assert_eq!(fixtures::sys_size(unsafe { libc::write(w, b"ping".as_ptr().cast(), 4) }), Ok(4));
    let mut buf = [0u8; 8];
    assert_eq!(fixtures::sys_size(unsafe { libc::read(r, buf.as_mut_ptr().cast(), 8) }), Ok(4));
    assert_eq!(&buf[..4], b"ping");
    close_pair(fds);
}

/// pipe(2): "If flags is 0, then pipe2() is the same as pipe()"; pipe2(2) O_CLOEXEC: "Set
/// the close-on-exec (FD_CLOEXEC) flag on the two new file descriptors." Asserted: FD_CLOEXEC
/// is set on both ends exactly when O_CLOEXEC is given.
#[rstest]
#[case::with_o_cloexec(libc::O_CLOEXEC, libc::FD_CLOEXEC)]
#[case::with_no_flags(0, 0)]
fn pipe2_sets_close_on_exec_on_both_ends_only_when_asked(#[case] flags: libc::c_int, #[case] expected: libc::c_int) {
    let (r, fds) = raw_pipe2(flags);
    assert_eq!(r, Ok(0));
    assert_eq!(sys(unsafe { libc::fcntl(fds[0], libc::F_GETFD) }), Ok(expected), "read end");
    assert_eq!(sys(unsafe { libc::fcntl(fds[1], libc::F_GETFD) }), Ok(expected), "write end");
    close_pair(fds);
}

/// pipe2(2) O_CLOEXEC, open(2) O_CLOEXEC: the descriptors are closed by execve(2). Asserted
/// after a real exec: an O_CLOEXEC end is gone, an end made without the flag is still open.
#[test]
fn pipe2_cloexec_ends_are_closed_across_exec() {
    let (r1, closing) = raw_pipe2(libc::O_CLOEXEC);
    let (r2, keeping) = raw_pipe2(0);
    assert_eq!((r1, r2), (Ok(0), Ok(0)));
    let c = closing[1].to_string();
    let k = keeping[1].to_string();
    // Children exec at once, so the inherited copies of `keeping` live only briefly.
    assert_eq!(run_in_child("probe fd-open on an O_CLOEXEC end", || exec_probe(&["fd-open", &c])), Outcome::Exited(1));
    assert_eq!(run_in_child("probe fd-open on a plain end", || exec_probe(&["fd-open", &k])), Outcome::Exited(0));
    close_pair(closing);
    close_pair(keeping);
}

/// pipe2(2) O_NONBLOCK: "Set the O_NONBLOCK file status flag on the open file descriptions
/// referred to by the new file descriptors." Asserted: F_GETFL shows it on both ends, and a
/// read of the empty pipe fails with EAGAIN instead of blocking.
#[test]
fn pipe2_nonblock_sets_o_nonblock_on_both_open_file_descriptions() {
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    assert_eq!(status_flags(rx.as_fd()) & libc::O_NONBLOCK, libc::O_NONBLOCK);
    assert_eq!(status_flags(tx.as_fd()) & libc::O_NONBLOCK, libc::O_NONBLOCK);
    assert_eq!(fd_flags(rx.as_fd()), libc::FD_CLOEXEC);
    let mut buf = [0u8; 1];
    assert_errno!(read_once(rx.as_fd(), &mut buf), Errno::EAGAIN);
}

/// pipe(2), ERRORS: "EINVAL (pipe2()) Invalid value in flags", and RETURN VALUE: "On error
/// ... pipefd is left unchanged." Only O_CLOEXEC, O_DIRECT, O_NONBLOCK (and
/// O_NOTIFICATION_PIPE) are valid; any other open(2) flag is rejected.
#[rstest]
#[case::o_append(libc::O_APPEND)]
#[case::o_async(libc::O_ASYNC)]
#[case::o_sync(libc::O_SYNC)]
#[case::o_rdwr(libc::O_RDWR)]
#[case::o_creat(libc::O_CREAT)]
#[case::o_noctty(libc::O_NOCTTY)]
#[case::o_cloexec_with_o_trunc(libc::O_CLOEXEC | libc::O_TRUNC)]
fn pipe2_with_an_invalid_flag_fails_einval_and_leaves_pipefd_unchanged(#[case] flags: libc::c_int) {
    let (r, fds) = raw_pipe2(flags);
    assert_errno!(r, Errno::EINVAL);
    assert_eq!(fds, [-7, -7], "pipefd was modified by a failing pipe2");
}
