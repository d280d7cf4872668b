//! Pipe capacity. pipe(7), "Pipe capacity": "Since Linux 2.6.11, the pipe capacity is 16
//! pages ... Since Linux 2.6.35, the default pipe capacity is 16 pages, but the capacity can be
//! queried and set using the fcntl(2) F_GETPIPE_SZ and F_SETPIPE_SZ operations." fcntl(2),
//! "Changing the capacity of a pipe".
//!
//! Claims that depend on /proc/sys/fs/pipe-max-size or the per-user limits are in the
//! global_*.rs files, which run one at a time with the tests that change those values.

use std::os::fd::AsFd;

use fixtures::assert_errno;
use fixtures::gate::{Cap, has_cap};
use fixtures::io::{
    fionread, pipe_size, read_exact, set_nonblocking, set_pipe_size, write_all, write_once,
};
use fixtures::memory::page_size;
use nix::errno::Errno;
use pipes::{PIPE_BUF, PipeKind, default_capacity, fill_nonblocking};
use rstest::rstest;

/// pipe(7), "Pipe capacity": "the default pipe capacity is 16 pages", capped for an
/// unprivileged process by pipe-max-size ("Since Linux 4.9, the value on this file also acts
/// as a ceiling on the default capacity of a new pipe or newly opened FIFO"). Asserted:
/// F_GETPIPE_SZ on both ends returns exactly that (65536 with 4 KiB pages).
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn the_default_capacity_is_sixteen_pages(#[case] kind: PipeKind) {
    let max = fixtures::sysctl::read_u64("fs/pipe-max-size") as usize;
    let expected = if has_cap(Cap::SYS_RESOURCE) { default_capacity() } else { default_capacity().min(max) };
    let p = kind.open();
    assert_eq!(pipe_size(p.rx.as_fd()), Ok(expected), "F_GETPIPE_SZ on the read end");
    assert_eq!(pipe_size(p.tx.as_fd()), Ok(expected), "F_GETPIPE_SZ on the write end");
}

/// pipe(7): "If the pipe is full, then a write(2) will block or fail, depending on whether
/// the O_NONBLOCK flag is set"; fcntl(2) F_GETPIPE_SZ returns "the capacity of the pipe".
/// Asserted: a nonblocking writer gets exactly F_GETPIPE_SZ bytes in, whether in page-sized
/// writes or in one oversized write, and then fails with EAGAIN; FIONREAD agrees.
#[rstest]
#[case::anonymous_in_page_writes(PipeKind::Anonymous, 4096)]
#[case::anonymous_in_one_oversized_write(PipeKind::Anonymous, 1 << 20)]
#[case::fifo_in_page_writes(PipeKind::Fifo, 4096)]
#[case::fifo_in_one_oversized_write(PipeKind::Fifo, 1 << 20)]
fn a_nonblocking_writer_fills_exactly_the_capacity(#[case] kind: PipeKind, #[case] chunk: usize) {
    let p = kind.open();
    let cap = pipe_size(p.tx.as_fd()).unwrap();
    set_nonblocking(p.tx.as_fd(), true);
    assert_eq!(fill_nonblocking(p.tx.as_fd(), chunk), cap);
    assert_eq!(fionread(p.rx.as_fd()), Ok(cap));
    assert_errno!(write_once(p.tx.as_fd(), b"x"), Errno::EAGAIN);
}

/// fcntl(2) F_SETPIPE_SZ: "Attempts to set the pipe capacity below the page size are silently
/// rounded up to the page size ... (In the current implementation, the allocation is the next
/// higher power-of-two page-size multiple of the requested size.) The actual capacity (in
/// bytes) that is set is returned as the function result." Asserted: the returned value and
/// F_GETPIPE_SZ afterwards are exactly the rounded size.
#[rstest]
#[case::one_byte(1, 1)]
#[case::one_byte_below_a_page(4095, 1)]
#[case::exactly_one_page(4096, 1)]
#[case::one_byte_over_a_page(4097, 2)]
#[case::three_pages(3 * 4096, 4)]
#[case::five_pages_and_a_byte(5 * 4096 + 1, 8)]
#[case::seventeen_pages(17 * 4096, 32)]
fn f_setpipe_sz_rounds_up_to_a_power_of_two_number_of_pages(#[case] request: usize, #[case] pages: usize) {
    assert_eq!(page_size(), 4096, "the cases are written for 4 KiB pages");
    let max = fixtures::sysctl::read_u64("fs/pipe-max-size") as usize;
    if pages * 4096 > max && !has_cap(Cap::SYS_RESOURCE) {
        fixtures::skip!("{} bytes exceed pipe-max-size {max} for this unprivileged process", pages * 4096);
    }
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    assert_eq!(set_pipe_size(tx.as_fd(), request), Ok(pages * 4096));
    assert_eq!(pipe_size(rx.as_fd()), Ok(pages * 4096));
}

/// fcntl(2): F_SETPIPE_SZ changes "the capacity of the pipe referred to by fd" — a property
/// of the pipe, not of the descriptor. Asserted: a size set through one end is what
/// F_GETPIPE_SZ reports through the other, and a nonblocking writer then fits exactly that many
/// bytes, for a smaller and a larger capacity.
#[rstest]
#[case::anonymous_shrunk_to_one_page(PipeKind::Anonymous, 4096)]
#[case::anonymous_grown_to_32_pages(PipeKind::Anonymous, 32 * 4096)]
#[case::fifo_shrunk_to_one_page(PipeKind::Fifo, 4096)]
#[case::fifo_grown_to_32_pages(PipeKind::Fifo, 32 * 4096)]
fn a_resized_pipe_holds_exactly_its_new_capacity(#[case] kind: PipeKind, #[case] size: usize) {
    let max = fixtures::sysctl::read_u64("fs/pipe-max-size") as usize;
    if size > max && !has_cap(Cap::SYS_RESOURCE) {
        fixtures::skip!("{size} bytes exceed pipe-max-size {max} for this unprivileged process");
    }
    let p = kind.open();
    assert_eq!(set_pipe_size(p.rx.as_fd(), size), Ok(size));
    assert_eq!(pipe_size(p.tx.as_fd()), Ok(size));
    set_nonblocking(p.tx.as_fd(), true);
    assert_eq!(fill_nonblocking(p.tx.as_fd(), PIPE_BUF), size);
}

/// fcntl(2) F_SETPIPE_SZ: "Attempting to set the pipe capacity smaller than the amount of
/// buffer space currently used to store data produces the error EBUSY." Asserted: with two
/// pages of data, shrinking to one page fails with EBUSY, the capacity is unchanged and the
/// data is intact.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn shrinking_below_the_buffered_data_fails_ebusy(#[case] kind: PipeKind) {
    let p = kind.open();
    let before = pipe_size(p.tx.as_fd()).unwrap();
    let data: Vec<u8> = (0..2 * 4096).map(|i| (i % 253) as u8).collect();
    write_all(p.tx.as_fd(), &data);
    assert_errno!(set_pipe_size(p.tx.as_fd(), 4096), Errno::EBUSY);
    assert_eq!(pipe_size(p.tx.as_fd()), Ok(before));
    assert_eq!(read_exact(p.rx.as_fd(), data.len()), data);
}

/// fcntl(2) F_SETPIPE_SZ: EBUSY only when the new capacity is "smaller than the amount of
/// buffer space currently used"; otherwise the pipe shrinks. Asserted: with 100 bytes
/// buffered, shrinking to one page succeeds and the 100 bytes are still there.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn shrinking_to_a_size_that_holds_the_data_keeps_it(#[case] kind: PipeKind) {
    let p = kind.open();
    let data: Vec<u8> = (0..100u8).collect();
    write_all(p.tx.as_fd(), &data);
    assert_eq!(set_pipe_size(p.tx.as_fd(), 4096), Ok(4096));
    assert_eq!(fionread(p.rx.as_fd()), Ok(100));
    assert_eq!(read_exact(p.rx.as_fd(), 100), data);
}

/// fcntl(2): F_GETPIPE_SZ/F_SETPIPE_SZ apply to "the pipe referred to by fd"; for any other
/// file the kernel returns EBADF (fs/pipe.c, pipe_fcntl(): no pipe -> -EBADF). fcntl(2) lists
/// no error for this case (see Findings). Asserted: EBADF for a regular file.
#[test]
fn f_getpipe_sz_on_a_regular_file_fails_ebadf() {
    let f = tempfile::tempfile().unwrap();
    assert_errno!(pipe_size(f.as_fd()), Errno::EBADF);
    assert_errno!(set_pipe_size(f.as_fd(), 4096), Errno::EBADF);
}
