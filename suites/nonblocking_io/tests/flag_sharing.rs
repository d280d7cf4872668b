//! O_NONBLOCK is a file *status* flag: it lives in the open file description.
//!
//! open(2), "Open file descriptions": "The term open file description is the one used by
//! POSIX to refer to the entries in the system-wide table of open files ... An open file
//! description records the file offset and the file status flags (see below)." recv(2),
//! MSG_DONTWAIT: "O_NONBLOCK is a setting on the open file description (see open(2)), which
//! will affect all threads in the calling process and as well as other processes that hold
//! file descriptors referring to the same open file description."

use std::os::fd::AsRawFd;

use fixtures::io::{is_nonblocking, open_cloexec, read_once, set_nonblocking, status_flags, write_once};
use fixtures::kinds::{Kind, NonblockMode as Mode};
use fixtures::net::recv;
use fixtures::{Scratch, assert_errno, needs, run_in_child, spawn};
use nix::errno::Errno;
use nonblocking_io::pair;
use rstest::rstest;

/// dup(2): the duplicate shares the file status flags, so O_NONBLOCK set through the
/// duplicate makes a read through the original fail EAGAIN.
#[test]
fn o_nonblock_set_through_a_duplicate_applies_to_the_original() {
    let ends = pair(Kind::UnixStream, Mode::Blocking).unwrap();
    let d = nix::unistd::dup(ends.rx()).unwrap();
    set_nonblocking(&d, true);
    assert!(is_nonblocking(ends.rx()));
    let mut b = [0u8; 1];
    assert_errno!(read_once(ends.rx(), &mut b), Errno::EAGAIN);
}

/// fork(2): the child's descriptors "share open file status flags" with the parent's. A
/// child that sets O_NONBLOCK makes the parent's read fail EAGAIN, and a child that clears
/// it makes the parent's read block again.
#[test]
fn o_nonblock_set_in_a_child_applies_in_the_parent() {
    let ends = pair(Kind::Pipe, Mode::Blocking).unwrap();
    run_in_child("sets O_NONBLOCK", || set_nonblocking(ends.rx(), true)).expect_success();
    assert!(is_nonblocking(ends.rx()));
    let mut b = [0u8; 1];
    assert_errno!(read_once(ends.rx(), &mut b), Errno::EAGAIN, "read in the parent");
    run_in_child("clears O_NONBLOCK", || set_nonblocking(ends.rx(), false)).expect_success();
    // The parent's read blocks now: prove it in a second child, which shares it too.
    let mut reader = spawn("reader", || {
        let mut b = [0u8; 1];
        assert_eq!(read_once(ends.rx(), &mut b), Ok(1));
    });
    reader.assert_blocked_in(fixtures::blocked::calls::READ, "read(2) after a child cleared O_NONBLOCK");
    assert_eq!(write_once(ends.tx(), b"x"), Ok(1));
    reader.expect_success();
}

/// open(2): "Each open() of a file creates a new open file description". Two opens of one
/// FIFO for reading have their own status flags: the nonblocking one fails EAGAIN while
/// the blocking one waits, for the same empty FIFO with a writer.
#[test]
fn a_second_open_of_a_fifo_does_not_share_o_nonblock() {
    let s = Scratch::new();
    let path = s.fifo("f", 0o600);
    let open = |flags| open_cloexec(&path, flags).unwrap();
    let nb_file = open(libc::O_RDONLY | libc::O_NONBLOCK);
    let w_file = open(libc::O_WRONLY);
    // With a writer present, a blocking open for reading returns at once.
    let blocking_file = open(libc::O_RDONLY);
    let (nb, w, blocking) = (&nb_file, &w_file, &blocking_file);
    assert!(is_nonblocking(nb));
    assert_eq!(status_flags(blocking) & libc::O_NONBLOCK, 0, "the second open took the first one's O_NONBLOCK");
    let mut b = [0u8; 1];
    assert_errno!(read_once(nb, &mut b), Errno::EAGAIN);
    let mut reader = spawn("blocking FIFO reader", || {
        let mut b = [0u8; 1];
        assert_eq!(read_once(blocking, &mut b), Ok(1));
    });
    reader.assert_blocked_in(fixtures::blocked::calls::READ, "read(2) through the blocking open of the FIFO");
    assert_eq!(write_once(w, b"y"), Ok(1));
    reader.expect_success();
}

/// recv(2), MSG_DONTWAIT: "Enables nonblocking operation; if the operation would block,
/// the call fails with the error EAGAIN or EWOULDBLOCK. This provides similar behavior to
/// setting the O_NONBLOCK flag ... but differs in that MSG_DONTWAIT is a per-call option".
/// On a blocking socket it fails EAGAIN and leaves O_NONBLOCK clear; send(2) likewise.
#[rstest]
#[case::unix_stream(Kind::UnixStream)]
#[case::unix_dgram(Kind::UnixDgram)]
#[case::tcp(Kind::Tcp)]
fn msg_dontwait_is_per_call_and_leaves_the_socket_blocking(#[case] kind: Kind) {
    let ends = pair(kind, Mode::Blocking).unwrap();
    let mut b = [0u8; 8];
    assert_errno!(recv(ends.rx(), &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN, "recv(MSG_DONTWAIT) on an empty {kind:?} socket");
    assert!(!is_nonblocking(ends.rx()), "MSG_DONTWAIT set O_NONBLOCK");
    // The next plain recv blocks.
    let mut reader = spawn("plain recv", || {
        let mut b = [0u8; 8];
        let n = recv(ends.rx(), &mut b, 0).unwrap_or_else(|e| panic!("recv: {e}"));
        assert!(n > 0, "recv returned {n}");
    });
    reader.assert_blocked_in(fixtures::blocked::calls::RECV, "recv(2) without MSG_DONTWAIT");
    assert!(ends.write_unit().is_ok());
    reader.expect_success();
}

/// mq_getattr(3)/mq_setattr(3): "mq_flags: Flags: 0 or O_NONBLOCK", and "The only attribute
/// that can be modified is the setting of the O_NONBLOCK flag in mq_flags"; mq_open(3): the
/// flag belongs to the "open message queue description" — the open file description of
/// the mq fd. So mq_setattr and fcntl(F_SETFL) change one and the same flag.
#[test]
fn mq_setattr_and_f_setfl_change_the_same_o_nonblock() {
    needs!(available(Kind::Mq.availability()));
    let ends = pair(Kind::Mq, Mode::Blocking).expect("a usable message queue");
    let fd = ends.rx();
    let getattr = || {
        // SAFETY: zeroed attr filled by the call.
        let mut a: libc::mq_attr = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::mq_getattr(fd.as_raw_fd(), &mut a) }, 0, "mq_getattr: {}", Errno::last());
        a.mq_flags as libc::c_int
    };
    assert_eq!(getattr() & libc::O_NONBLOCK, 0);
    set_nonblocking(fd, true);
    assert_eq!(getattr() & libc::O_NONBLOCK, libc::O_NONBLOCK, "mq_getattr does not see F_SETFL's O_NONBLOCK");
    // SAFETY: zeroed attr with mq_flags 0 clears O_NONBLOCK.
    let clear: libc::mq_attr = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::mq_setattr(fd.as_raw_fd(), &clear, std::ptr::null_mut()) }, 0, "mq_setattr: {}", Errno::last());
    assert!(!is_nonblocking(fd), "F_GETFL does not see mq_setattr's cleared O_NONBLOCK");
    // SAFETY: attr with mq_flags O_NONBLOCK sets it.
    let mut set: libc::mq_attr = unsafe { std::mem::zeroed() };
    set.mq_flags = libc::O_NONBLOCK as _;
    assert_eq!(unsafe { libc::mq_setattr(fd.as_raw_fd(), &set, std::ptr::null_mut()) }, 0, "mq_setattr: {}", Errno::last());
    assert!(is_nonblocking(fd), "F_GETFL does not see mq_setattr's O_NONBLOCK");
    assert_errno!(ends.read_once(), Errno::EAGAIN, "mq_receive after mq_setattr(O_NONBLOCK)");
}
