//! File operations on an open FIFO: it is a pipe with a name, not a file with contents.

use std::os::fd::{AsFd, AsRawFd};

use fifos::TempFifo;
use fixtures::io::{default_pipe_capacity, pipe_size, set_pipe_size, write_once};
use fixtures::poll::revents_now;
use fixtures::{assert_errno, isolated, sys_size, variant};
use nix::errno::Errno;
use nix::sys::stat::{SFlag, fstat};
use rstest::rstest;

/// ftruncate(2), ERRORS: "EINVAL fd does not reference a regular file or a POSIX shared memory
/// object." Asserted on a FIFO descriptor open for writing (O_RDWR and O_WRONLY), with data
/// buffered, which stays.
#[rstest]
#[case::read_write(libc::O_RDWR)]
#[case::write_only(libc::O_WRONLY)]
fn ftruncate_on_a_fifo_fails_einval(#[case] flags: libc::c_int) {
    let fifo = TempFifo::new();
    let keep = fifo.open_now(libc::O_RDWR).unwrap();
    let fd = fifo.open_now(flags).unwrap();
    assert_eq!(write_once(&keep, b"data"), Ok(4));
    assert_errno!(nix::unistd::ftruncate(fd.as_fd(), 0), Errno::EINVAL);
    assert_eq!(fixtures::io::fionread(&keep), Ok(4));
}

/// pipe(7): "It is not possible to apply lseek(2) to a pipe"; lseek(2), ERRORS: "ESPIPE fd is
/// associated with a pipe, socket, or FIFO"; pread(2), ERRORS: the same for pread and pwrite.
/// Asserted on an O_RDWR descriptor of a FIFO (one that can both read and write).
#[test]
fn lseek_pread_and_pwrite_on_a_fifo_fail_espipe() {
    let fifo = TempFifo::new();
    let fd = fifo.open_now(libc::O_RDWR).unwrap();
    assert_eq!(write_once(&fd, b"data"), Ok(4));
    let raw = fd.as_raw_fd();
    assert_errno!(nix::unistd::lseek(fd.as_fd(), 0, nix::unistd::Whence::SeekSet), Errno::ESPIPE);
    assert_errno!(nix::unistd::lseek(fd.as_fd(), 0, nix::unistd::Whence::SeekCur), Errno::ESPIPE);
    let mut buf = [0u8; 4];
    assert_errno!(sys_size(unsafe { libc::pread(raw, buf.as_mut_ptr().cast(), 4, 0) }), Errno::ESPIPE);
    assert_errno!(sys_size(unsafe { libc::pwrite(raw, b"more".as_ptr().cast(), 4, 0) }), Errno::ESPIPE);
    assert_eq!(fixtures::io::fionread(&fd), Ok(4));
}

/// fcntl(2), "Changing the capacity of a pipe": F_GETPIPE_SZ/F_SETPIPE_SZ act on "the pipe
/// referred to by fd", and pipe(7) gives a FIFO the pipe's default ("a ceiling on the default
/// capacity of a new pipe or newly opened FIFO"). Asserted: a freshly opened FIFO reports 16
/// pages (or the unprivileged ceiling), and F_SETPIPE_SZ on it works and rounds as for pipes.
/// Variant: `sixteen-pages`, or `capped-by-pipe-max-size` for a process without
/// CAP_SYS_RESOURCE when pipe-max-size is below 16 pages.
#[test]
fn the_pipe_size_operations_work_on_a_fifo() {
    let fifo = TempFifo::new();
    let fd = fifo.open_now(libc::O_RDWR).unwrap();
    let page = fixtures::memory::page_size();
    let (expected, capped, why) = default_pipe_capacity();
    match capped {
        false => variant::observed("sixteen-pages", why),
        true => variant::observed("capped-by-pipe-max-size", why),
    }
    assert_eq!(pipe_size(&fd), Ok(expected));
    assert_eq!(set_pipe_size(&fd, 3 * page), Ok(4 * page));
    assert_eq!(pipe_size(&fd), Ok(4 * page));
}

/// inode(7): S_IFIFO "FIFO (named pipe)"; fifo(7): the filesystem entry is the reference
/// point of the pipe. Asserted: fstat(2) on every kind of FIFO descriptor gives S_IFIFO and
/// the same st_dev/st_ino as stat(2) of the path.
#[rstest]
#[case::read_only(libc::O_RDONLY | libc::O_NONBLOCK)]
#[case::read_write(libc::O_RDWR)]
fn fstat_of_a_fifo_descriptor_is_the_fifo_file(#[case] flags: libc::c_int) {
    let fifo = TempFifo::new();
    let fd = fifo.open_now(flags).unwrap();
    let st = fstat(fd.as_fd()).unwrap();
    let by_path = nix::sys::stat::stat(fifo.path()).unwrap();
    assert_eq!(SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT, SFlag::S_IFIFO);
    assert_eq!((st.st_dev, st.st_ino), (by_path.st_dev, by_path.st_ino));
    assert_eq!(st.st_size, 0);
}

/// A reader opened with O_NONBLOCK before any writer reads EOF (POSIX read()), but poll(2)
/// does not report POLLHUP for it until a writer has come and gone: fs/pipe.c, fifo_open(),
/// "suppress EPOLLHUP until we have seen a writer", so that a server polling a fresh FIFO is
/// not woken for nothing. Asserted: no POLLHUP (and no POLLIN) before any writer; POLLHUP after
/// a writer opened and closed.
#[test]
fn poll_reports_no_hangup_before_the_first_writer() {
    isolated(|| {
        let fifo = TempFifo::new();
        let r = fifo.open_now(libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
        assert_eq!(revents_now(&r, libc::POLLIN), 0, "no writer has ever connected");
        let w = fifo.open_now(libc::O_WRONLY).unwrap();
        assert_eq!(revents_now(&r, libc::POLLIN), 0, "a writer is connected, nothing written");
        drop(w);
        assert_eq!(revents_now(&r, libc::POLLIN) & libc::POLLHUP, libc::POLLHUP, "the writer has gone");
    });
}
