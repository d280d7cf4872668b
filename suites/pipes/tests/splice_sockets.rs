//! splice(2) between a socket and a pipe: how a proxy (HAProxy's `option splice-*`) moves
//! data socket -> pipe -> socket without copying it through user memory. splice(2):
//! "splice() moves data between two file descriptors without copying between kernel address
//! space and user address space ... one of the file descriptors must refer to a pipe."
//! SPLICE_F_NONBLOCK: "Do not block on I/O. This makes the splice pipe operations
//! nonblocking, but splice() may nevertheless block because the file descriptors that are
//! spliced to/from may block (unless they have the O_NONBLOCK flag set)." ERRORS: "EAGAIN
//! SPLICE_F_NONBLOCK was specified in flags or one of the file descriptors had been marked
//! as nonblocking (O_NONBLOCK), and the operation would block."
//!
//! Checked for TCP on loopback and for AF_UNIX stream sockets. The sockets are nonblocking
//! where a call must not wait for the socket, as a proxy's are.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::io::{fionread, read_exact, set_nonblocking, write_all, write_once};
use fixtures::poll::wait_for_events;
use fixtures::{assert_errno, sys_size};
use nix::errno::Errno;
use pipes::cases::stream_sockets;
use pipes::fill_nonblocking;
use pipes::splice::{Sock, connected};
use rstest::rstest;
use rstest_reuse::apply;

/// A pipe: (read end, write end), both close-on-exec, blocking.
fn pipe() -> (OwnedFd, OwnedFd) {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2")
}

/// splice(2) of up to `len` bytes from `from` to `to`, no offsets.
fn splice(from: impl AsFd, to: impl AsFd, len: usize, flags: libc::c_uint) -> Result<usize, Errno> {
    // SAFETY: splice between descriptors we borrow, without offsets.
    sys_size(unsafe {
        libc::splice(from.as_fd().as_raw_fd(), std::ptr::null_mut(), to.as_fd().as_raw_fd(), std::ptr::null_mut(), len, flags)
    })
}

/// splice(2): data moves socket -> pipe and pipe -> socket: the bytes a peer sent are in
/// the pipe after a splice from the socket (splice returns what was available, 5 of the
/// 65536 asked), and bytes written into a pipe reach the peer after a splice to the socket.
#[apply(stream_sockets)]
#[rstest]
fn splice_moves_bytes_from_a_socket_into_a_pipe_and_from_a_pipe_into_a_socket(#[case] kind: Sock) {
    let (a, b) = connected(kind);
    let (rx, tx) = pipe();
    write_all(&a, b"hello");
    wait_for_events(&b, libc::POLLIN, "the peer's bytes");
    assert_eq!(splice(&b, &tx, 65536, 0), Ok(5), "socket -> pipe");
    assert_eq!(fionread(&b), Ok(0), "the socket is drained");
    assert_eq!(read_exact(&rx, 5), b"hello");

    write_all(&tx, b"world");
    assert_eq!(splice(&rx, &b, 5, 0), Ok(5), "pipe -> socket");
    assert_eq!(read_exact(&a, 5), b"world");
}

/// splice(2), EAGAIN: with SPLICE_F_NONBLOCK from a nonblocking socket that holds no data,
/// splice fails with EAGAIN at once (and nothing enters the pipe).
#[apply(stream_sockets)]
#[rstest]
fn splice_from_an_empty_nonblocking_socket_fails_eagain(#[case] kind: Sock) {
    let (_a, b) = connected(kind);
    set_nonblocking(&b, true);
    let (rx, tx) = pipe();
    assert_errno!(splice(&b, &tx, 4096, libc::SPLICE_F_NONBLOCK), Errno::EAGAIN);
    assert_eq!(fionread(&rx), Ok(0));
}

/// splice(2), SPLICE_F_NONBLOCK: "makes the splice pipe operations nonblocking": a splice
/// from a socket holding data into a full pipe fails with EAGAIN, and the data stays in the
/// socket (all of it can still be read there).
#[apply(stream_sockets)]
#[rstest]
fn splice_into_a_full_pipe_with_splice_f_nonblock_fails_eagain_and_leaves_the_data(#[case] kind: Sock) {
    let (a, b) = connected(kind);
    set_nonblocking(&b, true);
    let (_rx, tx) = pipe();
    set_nonblocking(&tx, true);
    fill_nonblocking(&tx, 4096);
    assert_errno!(write_once(&tx, b"x"), Errno::EAGAIN);
    write_all(&a, b"waiting");
    wait_for_events(&b, libc::POLLIN, "the peer's bytes");
    assert_errno!(splice(&b, &tx, 4096, libc::SPLICE_F_NONBLOCK), Errno::EAGAIN);
    assert_eq!(fionread(&b), Ok(7), "the bytes stay in the socket");
}

/// splice(2), EAGAIN with SPLICE_F_NONBLOCK: a splice from an empty pipe (whose write end
/// is still open) to a socket fails with EAGAIN instead of waiting for data.
#[apply(stream_sockets)]
#[rstest]
fn splice_from_an_empty_pipe_with_splice_f_nonblock_fails_eagain(#[case] kind: Sock) {
    let (a, _b) = connected(kind);
    let (rx, _tx) = pipe();
    assert_errno!(splice(&rx, &a, 4096, libc::SPLICE_F_NONBLOCK), Errno::EAGAIN);
}

/// splice(2), RETURN VALUE: "A return value of 0 means end of input": after the peer shut
/// down its side, a splice from the socket returns 0 (a proxy's signal to close).
#[apply(stream_sockets)]
#[rstest]
fn splice_from_a_socket_whose_peer_shut_down_returns_zero(#[case] kind: Sock) {
    let (a, b) = connected(kind);
    let (_rx, tx) = pipe();
    nix::sys::socket::shutdown(a.as_raw_fd(), nix::sys::socket::Shutdown::Write).expect("shutdown");
    wait_for_events(&b, libc::POLLIN, "the end of file");
    assert_eq!(splice(&b, &tx, 4096, libc::SPLICE_F_NONBLOCK), Ok(0));
}
