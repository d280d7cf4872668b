//! Suite `fds`: file descriptors and open file descriptions — the layer every other IPC
//! mechanism rests on.
//!
//! Covered (one test file per topic):
//! - `dup.rs`: dup(2), dup2(2), dup3(2) — lowest free number, shared offset and status
//!   flags, FD_CLOEXEC cleared on the duplicate, dup2 onto an open or the same fd, errors.
//! - `fcntl_dupfd.rs`: F_DUPFD / F_DUPFD_CLOEXEC — lowest free fd at or above the argument,
//!   EINVAL for a negative or too large argument versus EBADF from dup2 (dup(2) NOTES).
//! - `rlimit_nofile.rs`: EMFILE once RLIMIT_NOFILE is reached, for every call that makes an fd.
//! - `open_file_description.rs`: what a duplicate shares (offset, O_APPEND, O_NONBLOCK) and
//!   what it does not (FD_CLOEXEC); a second open(2) is a separate description;
//!   pwritev2(RWF_NOAPPEND) overrides O_APPEND for one write (6.9).
//! - `close_on_exec.rs`: O_CLOEXEC, FD_CLOEXEC, F_DUPFD_CLOEXEC and dup across execve(2),
//!   checked by re-executing the test binary as a probe.
//! - `fork_inheritance.rs`: fork(2) copies the descriptor table; the copies share the
//!   open file descriptions (offsets, status flags) with the parent.
//! - `fcntl_flags.rs`: F_GETFD/F_SETFD and F_GETFL/F_SETFL — which bits exist and which
//!   F_SETFL may change.
//! - `bad_fds.rs`: EBADF for closed, negative and wrong-mode descriptors; closing twice.
//! - `close_range.rs`: close_range(2) (5.9) and CLOSE_RANGE_CLOEXEC (5.11).
//! - `procfs_fd.rs`: /proc/self/fd and /proc/self/fdinfo reflect the real table; the fdinfo
//!   `ino:` line (5.14); a pidfd's `Pid:` once its process is reaped.
//! - `fcntl_query.rs`: F_DUPFD_QUERY (6.10, EBADF for a closed second fd since 6.12) and
//!   F_CREATED_QUERY (6.12).
//! - `listening_socket_exec.rs`: a listening AF_UNIX or TCP socket passed at fd 3 across
//!   execve(2) (socket activation) keeps its queued connections and goes on accepting, through
//!   the `accept-echo` probe.
//!
//! Sources: dup(2), fcntl(2), open(2), close(2), close_range(2), execve(2), fork(2),
//! getrlimit(2), proc(5), POSIX.1-2024 (dup, fcntl, close).
//!
//! Claims about fd *numbers* run in a forked child: the child is single-threaded, so no
//! other thread (libtest's, or another test's under plain `cargo test`) can take a number
//! in between.
//!
//! Helpers shared by the test files live here: dup/dup2/dup3/fcntl/close with exact
//! results (a descriptor is passed borrowed, `impl AsFd`; the new descriptor comes back as a
//! number, since the claims are about numbers), offsets, the exec probes and fdinfo fields,
//! and [`TempFile`], a scratch file with its descriptor. open(2), read(2), write(2) and
//! F_GETFD/F_GETFL/F_SETFL come from [`fixtures::io`]; RLIMIT_NOFILE from
//! [`fixtures::limits`].

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use fixtures::{Outcome, Scratch, run_in_child, sys};
use nix::errno::Errno;

fixtures::probe!("accept-echo", accept_echo_probe);

/// The `accept-echo N K` probe (a program started by execve(2), as a socket-activated
/// service is): K times, check that fd N is a listening socket (SO_ACCEPTCONN 1, else exit
/// 200), accept(2) one connection on it, read one message and send it back, close the
/// connection. Exits 0, or with the errno of a failed call.
pub fn accept_echo_probe(args: &[&str]) -> i32 {
    let num = |i: usize| args.get(i).and_then(|a| a.parse::<libc::c_int>().ok()).unwrap_or(-1);
    let (fd, k) = (num(0), num(1));
    let errno = || Errno::last() as i32;
    for _ in 0..k {
        let mut on: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt into an int we own.
        let r = unsafe {
            libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN, (&mut on as *mut libc::c_int).cast(), &mut len)
        };
        if r != 0 {
            return errno();
        }
        if on != 1 {
            return 200;
        }
        // SAFETY: accept(2) without an address.
        let c = unsafe { libc::accept(fd, std::ptr::null_mut(), std::ptr::null_mut()) };
        if c < 0 {
            return errno();
        }
        let mut buf = [0u8; 256];
        // SAFETY: read into our own buffer from the accepted socket.
        let n = unsafe { libc::read(c, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return errno();
        }
        // SAFETY: write the bytes read back to the accepted socket.
        if unsafe { libc::write(c, buf.as_ptr().cast(), n as usize) } != n {
            return errno();
        }
        // SAFETY: closing the accepted socket.
        unsafe { libc::close(c) };
    }
    0
}

/// A regular file in a scratch directory of its own and a descriptor for it; both go when
/// it is dropped. Pass it as `&file` wherever a descriptor is taken.
pub struct TempFile {
    fd: OwnedFd,
    path: PathBuf,
    _dir: Scratch,
}

impl TempFile {
    /// A file holding `content`, open with O_RDWR | O_CLOEXEC.
    #[track_caller]
    pub fn new(content: &[u8]) -> TempFile {
        TempFile::open(content, libc::O_RDWR | libc::O_CLOEXEC)
    }

    /// A file holding `content`, opened with exactly `flags` ([`fixtures::io::open`]).
    #[track_caller]
    pub fn open(content: &[u8], flags: libc::c_int) -> TempFile {
        let dir = Scratch::new();
        let path = dir.file("f", content);
        let fd = fixtures::io::open(&path, flags).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        TempFile { fd, path, _dir: dir }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl AsFd for TempFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for TempFile {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// dup(2): the new descriptor's number.
pub fn dup(fd: impl AsFd) -> Result<RawFd, Errno> {
    // SAFETY: dup of a borrowed descriptor.
    sys(unsafe { libc::dup(fd.as_fd().as_raw_fd()) })
}

/// dup2(2) onto the number `new`.
pub fn dup2(old: impl AsFd, new: RawFd) -> Result<RawFd, Errno> {
    // SAFETY: as above; the caller owns `new`.
    sys(unsafe { libc::dup2(old.as_fd().as_raw_fd(), new) })
}

/// dup3(2) onto the number `new`.
pub fn dup3(old: impl AsFd, new: RawFd, flags: libc::c_int) -> Result<RawFd, Errno> {
    // SAFETY: as above; the caller owns `new`.
    sys(unsafe { libc::dup3(old.as_fd().as_raw_fd(), new, flags) })
}

/// fcntl(2) with an int argument.
pub fn fcntl(fd: impl AsFd, cmd: libc::c_int, arg: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: the commands used by the suite take an int argument.
    sys(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), cmd, arg) })
}

/// close(2) of a number (one that [`dup`] and friends returned, or one that is not open).
pub fn close(fd: RawFd) -> Result<libc::c_int, Errno> {
    // SAFETY: the caller owns `fd` (or knows it is not open).
    sys(unsafe { libc::close(fd) })
}

/// The current file offset (lseek(fd, 0, SEEK_CUR)).
#[track_caller]
pub fn offset(fd: impl AsFd) -> i64 {
    let fd = fd.as_fd();
    // SAFETY: lseek on a borrowed descriptor.
    let off = unsafe { libc::lseek(fd.as_raw_fd(), 0, libc::SEEK_CUR) };
    assert!(off >= 0, "lseek(SEEK_CUR) on fd {}: {}", fd.as_raw_fd(), Errno::last());
    off
}

/// lseek(fd, off, SEEK_SET).
#[track_caller]
pub fn seek_to(fd: impl AsFd, off: i64) {
    // SAFETY: lseek on a borrowed descriptor.
    assert_eq!(unsafe { libc::lseek(fd.as_fd().as_raw_fd(), off, libc::SEEK_SET) }, off, "lseek: {}", Errno::last());
}

/// Whether fd number `fd` is still open in a program started by execve(2) from a child of
/// this process: the child execs the test binary as the `fd-open N` probe.
pub fn open_after_exec(fd: RawFd) -> bool {
    let n = fd.to_string();
    match run_in_child("fd-open probe after exec", || fixtures::exec::exec_probe(&["fd-open", &n])) {
        Outcome::Exited(0) => true,
        Outcome::Exited(1) => false,
        other => panic!("the fd-open probe for fd {fd} {other}"),
    }
}

/// The status flags (F_GETFL) of `fd` as seen by a program started by execve(2).
pub fn status_flags_after_exec(fd: impl AsFd) -> libc::c_int {
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let n = fd.as_fd().as_raw_fd().to_string();
    let mut child = fixtures::spawn("status-flags probe", || {
        // The probe prints to its stdout: make that the pipe.
        dup2(&tx, 1).unwrap();
        fixtures::exec::exec_probe(&["status-flags", &n])
    });
    drop(tx);
    let out = fixtures::io::read_to_eof(&rx);
    child.join().expect_success();
    let text = String::from_utf8_lossy(&out);
    text.trim().parse().unwrap_or_else(|_| panic!("probe printed {text:?}"))
}

/// The `flags` field of /proc/self/fdinfo/<fd>, parsed from octal.
pub fn fdinfo_flags(fd: impl AsFd) -> libc::c_int {
    let info = fixtures::procfs::fdinfo(fd);
    let f = info.get("flags").unwrap_or_else(|| panic!("no flags in fdinfo: {info:?}"));
    libc::c_int::from_str_radix(f, 8).unwrap_or_else(|_| panic!("flags {f:?} is not octal"))
}

/// The `pos` field of /proc/self/fdinfo/<fd>.
pub fn fdinfo_pos(fd: impl AsFd) -> i64 {
    let info = fixtures::procfs::fdinfo(fd);
    info.get("pos").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no pos in fdinfo: {info:?}"))
}

/// In a forked child: make sure the given numbers are free, closing anything the child
/// inherited there (under plain `cargo test` the parent process may have many fds open).
pub fn vacate(numbers: impl IntoIterator<Item = RawFd>) {
    for n in numbers {
        // EBADF for a free number is fine.
        let _ = close(n);
    }
}
