//! Suite `pipes`: anonymous pipes and the I/O semantics they share with FIFOs.
//!
//! pipe(7) says: "The only difference between pipes and FIFOs is the manner in which they
//! are created and opened. Once these tasks have been accomplished, I/O on pipes and FIFOs
//! has exactly the same semantics." So every claim about I/O is checked on both kinds (the
//! parameter set [`fixtures::cases::pipe_kinds`], shared with other suites: `pipe` and `fifo`); claims that only exist for
//! pipe(2)/pipe2(2) (flags, packet mode, the pipefs inode) are checked on anonymous pipes.
//! Opening rules of FIFOs are in the `fifos` suite.
//!
//! Topics (one test file each):
//! - `creation.rs`: pipe(2)/pipe2(2): ends, access modes, O_CLOEXEC, O_NONBLOCK, EINVAL.
//! - `packet_mode.rs`: pipe2(2) O_DIRECT "packet" mode and its fcntl(2) switch.
//! - `eof.rs`: end-of-file only after every write end is closed.
//! - `sigpipe.rs`: SIGPIPE/EPIPE for a write without readers, per disposition, and
//!   pwritev2(RWF_NOSIGNAL) (6.18).
//! - `atomicity.rs`: PIPE_BUF and concurrent writers.
//! - `capacity.rs`, `global_pipe_max_size.rs`, `global_pipe_user_pages.rs`: capacity,
//!   F_GETPIPE_SZ/F_SETPIPE_SZ and the /proc/sys/fs/pipe-* limits.
//! - `nonblocking.rs`: O_NONBLOCK reads and writes, per open file description.
//! - `blocking_io.rs`: blocking reads and writes, wake-ups, signal interruption.
//! - `io.rs`: byte stream, partial reads, FIONREAD, ESPIPE, EBADF.
//! - `nowait.rs`: preadv2/pwritev2 with RWF_NOWAIT on anonymous pipes (6.4), the open file
//!   description that splice(2)/vmsplice(2) took it from, and FIFOs, which refuse it.
//! - `identity.rs`: fstat(2) and /proc/self/fd of the two ends.
//! - `pipeline.rs`: a `producer | consumer` pipeline built with fork, dup2 and exec.
//! - `splice_sockets.rs`: splice(2) between TCP or AF_UNIX stream sockets and a pipe, both
//!   ways; EAGAIN with SPLICE_F_NONBLOCK (empty socket, full pipe, empty pipe); 0 at end of
//!   input.
//!
//! Sources: pipe(7), pipe(2), fcntl(2) "Changing the capacity of a pipe", read(2), readv(2),
//! write(2), signal(7), proc(5), POSIX.1-2024 (read(), write(), <limits.h>), and
//! fs/pipe.c where the kernel's behaviour is the only specification.
//!
//! Many claims depend on exactly which descriptors of a pipe are open (EOF, EPIPE). Under
//! plain `cargo test` other tests fork children concurrently, and a child forked at the
//! wrong moment holds copies of *this* test's descriptors until it execs or exits. Such
//! tests therefore run their body in a single-threaded child ([`fixtures::isolated`]),
//! where no other thread can fork.
//!
//! Helpers shared by the test files live here: the blocking pair every claim starts from
//! (a [`fixtures::kinds::Pair`] of kind `Pipe` or `Fifo`), filling a pipe, and the raw
//! preadv2(2)/pwritev2(2) calls with their RWF_* flags (`nowait.rs`, `sigpipe.rs`). Raw I/O and
//! the fcntl flags come from [`fixtures::io`], the announcing signal handler from
//! [`fixtures::signals`].

pub mod cases;
pub mod splice;

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::{pipe_size, set_nonblocking, write_once};
use fixtures::kinds::{Kind, NonblockMode, Pair};
use fixtures::memory::page_size;
use fixtures::sys_size;
use nix::errno::Errno;

/// PIPE_BUF from <limits.h>, 4096 on Linux (pipe(7), "PIPE_BUF"): the size of the writes
/// the tests make atomic. (A compile-time constant of the C library: what the kernel does
/// at that size is asserted by `atomicity::pipe_buf_is_4096_on_linux`.)
pub const PIPE_BUF: usize = libc::PIPE_BUF;

/// The default pipe capacity on Linux: 16 pages (pipe(7), "Pipe capacity").
pub fn default_capacity() -> usize {
    16 * page_size()
}

/// A new pipe (`Kind::Pipe`: pipe2(2)) or FIFO (`Kind::Fifo`: mkfifo(3) in a scratch
/// directory, opened once for reading and once for writing) with both ends blocking and
/// close-on-exec. The FIFO's directory goes with the pair.
#[track_caller]
pub fn blocking_pair(kind: Kind) -> Pair {
    kind.builder().mode(NonblockMode::Blocking).open().unwrap_or_else(|e| panic!("{kind:?} pair: {e}"))
}

/// A [`blocking_pair`] holding `data`, written whole to its write end (and not read).
#[track_caller]
pub fn blocking_pair_holding(kind: Kind, data: &[u8]) -> Pair {
    let p = blocking_pair(kind);
    fixtures::io::write_all(p.tx(), data);
    p
}

/// A new pipe of `kind` (see [`blocking_pair`]) whose write end is then made nonblocking,
/// with all but `room` bytes of its capacity filled by one write of b'a's. Returns the pair
/// and the capacity (F_GETPIPE_SZ).
#[track_caller]
pub fn with_room(kind: Kind, room: usize) -> (Pair, usize) {
    let p = blocking_pair(kind);
    let cap = pipe_size(p.tx()).expect("F_GETPIPE_SZ");
    set_nonblocking(p.tx(), true);
    assert_eq!(write_once(p.tx(), &vec![b'a'; cap - room]), Ok(cap - room), "filling all but {room} bytes");
    (p, cap)
}

/// With `fd` nonblocking: write `chunk`-sized pieces until EAGAIN; returns the total
/// written. Panics on any other error.
pub fn fill_nonblocking(fd: impl AsFd, chunk: usize) -> usize {
    let buf = vec![b'f'; chunk];
    let mut total = 0;
    loop {
        match write_once(&fd, &buf) {
            Ok(n) => total += n,
            Err(Errno::EAGAIN) => return total,
            Err(e) => panic!("filling the pipe: {e} after {total} bytes"),
        }
    }
}

/// Fill the pipe to its capacity through a blocking `tx`: the description is made
/// nonblocking for the filling and blocking again afterwards. Returns the bytes written.
pub fn fill_to_capacity(tx: impl AsFd) -> usize {
    set_nonblocking(&tx, true);
    let n = fill_nonblocking(&tx, page_size());
    set_nonblocking(&tx, false);
    n
}

/// RWF_NOSIGNAL from <linux/fs.h> (since 6.18; the libc crate lacks it): a pwritev2(2) to a
/// pipe or socket without readers fails EPIPE without raising SIGPIPE.
pub const RWF_NOSIGNAL: libc::c_int = 0x0000_0100;

/// The raw preadv2(2) system call with one buffer at the current position (offset -1, as a
/// pipe requires) and `flags` (RWF_*): the exact result, without the C library's fallbacks.
pub fn preadv2(fd: impl AsFd, buf: &mut [u8], flags: libc::c_int) -> Result<usize, Errno> {
    let iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: one iovec over a buffer we own; pos_l = -1 and pos_h = 0 mean "no offset".
    sys_size(unsafe { libc::syscall(libc::SYS_preadv2, fd.as_fd().as_raw_fd(), &iov, 1, -1i64, 0, flags) } as isize)
}

/// The raw pwritev2(2) system call with one buffer at the current position and `flags`.
pub fn pwritev2(fd: impl AsFd, buf: &[u8], flags: libc::c_int) -> Result<usize, Errno> {
    let iov = libc::iovec { iov_base: buf.as_ptr() as *mut libc::c_void, iov_len: buf.len() };
    // SAFETY: one iovec over a buffer we own, only read by the kernel.
    sys_size(unsafe { libc::syscall(libc::SYS_pwritev2, fd.as_fd().as_raw_fd(), &iov, 1, -1i64, 0, flags) } as isize)
}
