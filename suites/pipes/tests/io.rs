//! Plain I/O on the two ends: a byte stream, partial reads, FIONREAD, no seeking, one
//! direction only. pipe(7), "I/O on pipes and FIFOs" and "Pipe capacity".

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::{fionread, read_exact, read_once, write_all, write_once};
use fixtures::kinds::Kind;
use fixtures::{assert_errno, sys_size};
use nix::errno::Errno;
use pipes::{blocking_pair, blocking_pair_holding};
use fixtures::cases::pipe_kinds;
use rstest::rstest;
use rstest_reuse::apply;

/// pipe(7): "The communication channel provided by a pipe is a byte stream: there is no
/// concept of message boundaries." Asserted: three writes come back in order from one read
/// whose buffer has room for all of them.
#[apply(pipe_kinds)]
#[rstest]
fn writes_merge_into_one_byte_stream(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    write_all(p.tx(), b"ab");
    write_all(p.tx(), b"cde");
    write_all(p.tx(), b"f");
    let mut buf = [0u8; 100];
    assert_eq!(read_once(p.rx(), &mut buf), Ok(6));
    assert_eq!(&buf[..6], b"abcdef");
}

/// read(2): "It is not an error if this number is smaller than the number of bytes requested;
/// this may happen for example because fewer bytes are actually available right now (maybe
/// ... because we are reading from a pipe". Asserted: with 10 bytes available and a writer
/// still open, a blocking read of 100 returns the 10 at once; a read of 4 leaves the other 6
/// in the pipe (nothing is discarded, unlike packet mode).
#[apply(pipe_kinds)]
#[rstest]
fn a_read_returns_what_is_available(#[case] kind: Kind) {
    let p = blocking_pair_holding(kind, b"0123456789");
    let mut buf = [0u8; 100];
    let n = fixtures::within("a blocking read with 10 of 100 bytes available", || read_once(p.rx(), &mut buf));
    assert_eq!(n, Ok(10));
    write_all(p.tx(), b"0123456789");
    assert_eq!(read_once(p.rx(), &mut buf[..4]), Ok(4));
    assert_eq!(fionread(p.rx()), Ok(6));
    assert_eq!(read_exact(p.rx(), 6), b"456789");
}

/// pipe(7), "Pipe capacity": "ioctl(fd, FIONREAD, &nbytes)" applied "to a file descriptor that
/// refers to either end of a pipe, places a count of the number of unread bytes in the pipe".
/// Asserted: the count on both ends follows writes and reads exactly.
#[apply(pipe_kinds)]
#[rstest]
fn fionread_counts_the_unread_bytes_on_either_end(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let both = |n: usize| {
        assert_eq!(fionread(p.rx()), Ok(n), "FIONREAD on the read end");
        assert_eq!(fionread(p.tx()), Ok(n), "FIONREAD on the write end");
    };
    both(0);
    write_all(p.tx(), &[1u8; 10]);
    both(10);
    write_all(p.tx(), &[2u8; 5000]);
    both(5010);
    read_exact(p.rx(), 6);
    both(5004);
    read_exact(p.rx(), 5004);
    both(0);
}

fn lseek(fd: impl AsFd, off: libc::off_t, whence: libc::c_int) -> Result<libc::off_t, Errno> {
    let r = unsafe { libc::lseek(fd.as_fd().as_raw_fd(), off, whence) };
    if r == -1 { Err(Errno::last()) } else { Ok(r) }
}

/// pipe(7): "It is not possible to apply lseek(2) to a pipe."; lseek(2), ERRORS: "ESPIPE fd
/// is associated with a pipe, socket, or FIFO." Asserted on both ends, for SEEK_SET, SEEK_CUR
/// and SEEK_END, with data in the pipe.
#[apply(pipe_kinds)]
#[rstest]
fn lseek_on_either_end_fails_espipe(#[case] kind: Kind) {
    let p = blocking_pair_holding(kind, b"data");
    for (end, fd) in [("read end", p.rx()), ("write end", p.tx())] {
        assert_errno!(lseek(fd, 0, libc::SEEK_SET), Errno::ESPIPE, "lseek SEEK_SET on the {end}");
        assert_errno!(lseek(fd, 0, libc::SEEK_CUR), Errno::ESPIPE, "lseek SEEK_CUR on the {end}");
        assert_errno!(lseek(fd, 0, libc::SEEK_END), Errno::ESPIPE, "lseek SEEK_END on the {end}");
    }
}

/// pread(2), ERRORS: "ESPIPE fd is associated with a pipe, socket, or FIFO" (for pread and
/// pwrite alike). Asserted: pread on the read end and pwrite on the write end fail with
/// ESPIPE and move no data.
#[apply(pipe_kinds)]
#[rstest]
fn pread_and_pwrite_fail_espipe(#[case] kind: Kind) {
    let p = blocking_pair_holding(kind, b"data");
    let mut buf = [0u8; 8];
    let r = sys_size(unsafe { libc::pread(p.rx().as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) });
    assert_errno!(r, Errno::ESPIPE, "pread on the read end");
    let w = sys_size(unsafe { libc::pwrite(p.tx().as_raw_fd(), b"more".as_ptr().cast(), 4, 0) });
    assert_errno!(w, Errno::ESPIPE, "pwrite on the write end");
    assert_eq!(fionread(p.rx()), Ok(4), "neither call may have moved data");
}

/// pipe(7): "A pipe has a read end and a write end"; "Portability notes": "On some systems
/// (but not Linux), pipes are bidirectional ... POSIX.1 requires only unidirectional pipes."
/// read(2)/write(2), EBADF: "fd is not a valid file descriptor or is not open for
/// reading/writing". Asserted: writing the read end and reading the write end fail with EBADF.
#[apply(pipe_kinds)]
#[rstest]
fn each_end_works_in_one_direction_only(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    assert_errno!(write_once(p.rx(), b"x"), Errno::EBADF, "write(2) to the read end");
    write_all(p.tx(), b"y");
    let mut buf = [0u8; 1];
    assert_errno!(read_once(p.tx(), &mut buf), Errno::EBADF, "read(2) from the write end");
    assert_eq!(fionread(p.rx()), Ok(1));
}
