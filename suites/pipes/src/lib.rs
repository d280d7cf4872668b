//! Suite `pipes`: anonymous pipes and the I/O semantics they share with FIFOs.
//!
//! pipe(7) says: "The only difference between pipes and FIFOs is the manner in which they
//! are created and opened. Once these tasks have been accomplished, I/O on pipes and FIFOs
//! has exactly the same semantics." So every claim about I/O is checked on both kinds
//! ([`PipeKind`]); claims that only exist for pipe(2)/pipe2(2) (flags, packet mode, the
//! pipefs inode) are checked on anonymous pipes. Opening rules of FIFOs are in the `fifos`
//! suite.
//!
//! Topics (one test file each):
//! - `creation.rs`: pipe(2)/pipe2(2): ends, access modes, O_CLOEXEC, O_NONBLOCK, EINVAL.
//! - `packet_mode.rs`: pipe2(2) O_DIRECT "packet" mode and its fcntl(2) switch.
//! - `eof.rs`: end-of-file only after every write end is closed.
//! - `sigpipe.rs`: SIGPIPE/EPIPE for a write without readers, per disposition.
//! - `atomicity.rs`: PIPE_BUF and concurrent writers.
//! - `capacity.rs`, `global_pipe_max_size.rs`, `global_pipe_user_pages.rs`: capacity,
//!   F_GETPIPE_SZ/F_SETPIPE_SZ and the /proc/sys/fs/pipe-* limits.
//! - `nonblocking.rs`: O_NONBLOCK reads and writes, per open file description.
//! - `blocking_io.rs`: blocking reads and writes, wake-ups, signal interruption.
//! - `io.rs`: byte stream, partial reads, FIONREAD, ESPIPE, EBADF.
//! - `identity.rs`: fstat(2) and /proc/self/fd of the two ends.
//! - `pipeline.rs`: a `producer | consumer` pipeline built with fork, dup2 and exec.
//!
//! Sources: pipe(7), pipe(2), fcntl(2) "Changing the capacity of a pipe", read(2),
//! write(2), signal(7), proc(5), POSIX.1-2024 (read(), write(), <limits.h>), and
//! fs/pipe.c where the kernel's behaviour is the only specification.
//!
//! Many claims depend on exactly which descriptors of a pipe are open (EOF, EPIPE). Under
//! plain `cargo test` other tests fork children concurrently, and a child forked at the
//! wrong moment holds copies of *this* test's descriptors until it execs or exits. Such
//! tests therefore run their body in a single-threaded child ([`fixtures::isolated`]),
//! where no other thread can fork.
//!
//! Helpers shared by the test files live here: the two [`PipeKind`]s and filling a pipe.
//! Raw I/O and the fcntl flags come from [`fixtures::io`], the announcing signal handler
//! from [`fixtures::signals`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use fixtures::Scratch;
use fixtures::io::{set_nonblocking, write_once};
use fixtures::memory::page_size;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

/// PIPE_BUF from <limits.h>: 4096 on Linux (pipe(7), "PIPE_BUF").
pub const PIPE_BUF: usize = libc::PIPE_BUF;

/// The default pipe capacity on Linux: 16 pages (pipe(7), "Pipe capacity").
pub fn default_capacity() -> usize {
    16 * page_size()
}

/// How the pipe under test was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeKind {
    /// pipe2(2) with O_CLOEXEC.
    Anonymous,
    /// mkfifo(3) in a scratch directory, opened once for reading and once for writing.
    Fifo,
}

/// The two ends of a pipe or FIFO. Both are close-on-exec and blocking. The scratch
/// directory of a FIFO (and the FIFO in it) is removed when the `Pipe` drops.
pub struct Pipe {
    pub rx: OwnedFd,
    pub tx: OwnedFd,
    pub path: Option<PathBuf>,
    _dir: Option<Scratch>,
}

impl PipeKind {
    /// A new pipe of this kind with a read end and a write end, both blocking.
    pub fn open(self) -> Pipe {
        match self {
            PipeKind::Anonymous => {
                let (rx, tx) = nix::unistd::pipe2(OFlag::O_CLOEXEC).expect("pipe2");
                Pipe { rx, tx, path: None, _dir: None }
            }
            PipeKind::Fifo => {
                let dir = Scratch::new();
                let path = dir.fifo("fifo", 0o600);
                // A nonblocking reader first, so that opening the writer does not wait for
                // a partner; then the reader is made blocking like a pipe's read end.
                let rx = nix::fcntl::open(&path, OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC, Mode::empty())
                    .expect("open FIFO for reading");
                let tx = nix::fcntl::open(&path, OFlag::O_WRONLY | OFlag::O_CLOEXEC, Mode::empty())
                    .expect("open FIFO for writing");
                set_nonblocking(rx.as_fd(), false);
                Pipe { rx, tx, path: Some(path), _dir: Some(dir) }
            }
        }
    }
}

/// With `fd` nonblocking: write `chunk`-sized pieces until EAGAIN; returns the total
/// written. Panics on any other error.
pub fn fill_nonblocking(fd: BorrowedFd<'_>, chunk: usize) -> usize {
    let buf = vec![b'f'; chunk];
    let mut total = 0;
    loop {
        match write_once(fd, &buf) {
            Ok(n) => total += n,
            Err(Errno::EAGAIN) => return total,
            Err(e) => panic!("filling the pipe: {e} after {total} bytes"),
        }
    }
}

/// Fill the pipe to its capacity through a blocking `tx`: the description is made
/// nonblocking for the filling and blocking again afterwards. Returns the bytes written.
pub fn fill_to_capacity(tx: BorrowedFd<'_>) -> usize {
    set_nonblocking(tx, true);
    let n = fill_nonblocking(tx, page_size());
    set_nonblocking(tx, false);
    n
}
