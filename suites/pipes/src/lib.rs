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
//! tests therefore run their body in a single-threaded child ([`isolated`]), where no
//! other thread can fork.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use fixtures::{Scratch, sys, sys_size};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::stat::Mode;

/// PIPE_BUF from <limits.h>: 4096 on Linux (pipe(7), "PIPE_BUF").
pub const PIPE_BUF: usize = libc::PIPE_BUF;

/// The system page size.
pub fn page_size() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE).unwrap().unwrap() as usize
}

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

/// F_GETFL.
pub fn status_flags(fd: BorrowedFd<'_>) -> libc::c_int {
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) }).expect("F_GETFL")
}

/// F_GETFD.
pub fn fd_flags(fd: BorrowedFd<'_>) -> libc::c_int {
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) }).expect("F_GETFD")
}

/// Set or clear O_NONBLOCK on the open file description of `fd`.
pub fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) {
    set_status_flag(fd, libc::O_NONBLOCK, on).expect("F_SETFL O_NONBLOCK");
}

/// Set or clear one status flag with F_SETFL.
pub fn set_status_flag(fd: BorrowedFd<'_>, flag: libc::c_int, on: bool) -> Result<(), Errno> {
    let fl = status_flags(fd);
    let new = if on { fl | flag } else { fl & !flag };
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, new) }).map(|_| ())
}

/// F_GETPIPE_SZ.
pub fn pipe_size(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) }).map(|n| n as usize)
}

/// F_SETPIPE_SZ; returns the capacity actually set.
pub fn set_pipe_size(fd: BorrowedFd<'_>, size: usize) -> Result<usize, Errno> {
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, size as libc::c_int) }).map(|n| n as usize)
}

/// ioctl(FIONREAD): the number of unread bytes.
pub fn fionread(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    let mut n: libc::c_int = -1;
    sys(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) }).map(|_| n as usize)
}

/// One read(2), with its exact result.
pub fn read_once(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    sys_size(unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) })
}

/// One write(2), with its exact result.
pub fn write_once(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    sys_size(unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) })
}

/// Write all of `buf`, retrying after partial writes (not after errors).
pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) {
    while !buf.is_empty() {
        let n = write_once(fd, buf).unwrap_or_else(|e| panic!("write of {} bytes: {e}", buf.len()));
        buf = &buf[n..];
    }
}

/// Read until end-of-file (bounded by the fixtures' deadline) and return everything.
pub fn read_to_eof(fd: BorrowedFd<'_>) -> Vec<u8> {
    fixtures::within("reading a pipe until end-of-file", || {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65536];
        loop {
            match read_once(fd, &mut buf) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(Errno::EINTR) => {}
                Err(e) => panic!("read until EOF: {e}"),
            }
        }
    })
}

/// Read exactly `n` bytes (bounded by the fixtures' deadline).
pub fn read_exact(fd: BorrowedFd<'_>, n: usize) -> Vec<u8> {
    fixtures::within("reading a pipe", || {
        let mut out = vec![0u8; n];
        let mut got = 0;
        while got < n {
            match read_once(fd, &mut out[got..]) {
                Ok(0) => panic!("EOF after {got} of {n} bytes"),
                Ok(k) => got += k,
                Err(Errno::EINTR) => {}
                Err(e) => panic!("read: {e}"),
            }
        }
        out
    })
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

/// Run `body` in a forked, single-threaded child and fail the test if it fails there. Used
/// where a claim depends on exactly which descriptors are open: no other thread can fork a
/// child that holds copies of the descriptors the body creates.
#[track_caller]
pub fn isolated<F: FnOnce()>(body: F) {
    fixtures::run_in_child("test body (isolated from other threads' forks)", body).expect_success();
}

static ANNOUNCE_FD: AtomicI32 = AtomicI32::new(-1);
static ANNOUNCED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn announce(_sig: libc::c_int) {
    ANNOUNCED.fetch_add(1, Ordering::SeqCst);
    let fd = ANNOUNCE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let b = [1u8];
        // SAFETY: write(2) is async-signal-safe; one byte from our own buffer.
        unsafe { libc::write(fd, b.as_ptr().cast(), 1) };
    }
}

/// In a child: install a handler for `sig` (with `flags`, e.g. SA_RESTART or none) that
/// counts its runs and writes one byte to `to`, so that another process learns that the
/// handler has run. Use [`announced`] for the count.
pub fn install_announcing_handler(sig: Signal, flags: SaFlags, to: BorrowedFd<'_>) {
    ANNOUNCED.store(0, Ordering::SeqCst);
    ANNOUNCE_FD.store(to.as_raw_fd(), Ordering::SeqCst);
    let action = SigAction::new(SigHandler::Handler(announce), flags, SigSet::empty());
    // SAFETY: the handler only uses atomics and write(2).
    unsafe { nix::sys::signal::sigaction(sig, &action) }.expect("sigaction");
}

/// How many times the announcing handler ran in this process.
pub fn announced() -> usize {
    ANNOUNCED.load(Ordering::SeqCst)
}
