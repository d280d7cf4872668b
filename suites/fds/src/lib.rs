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
//!   what it does not (FD_CLOEXEC); a second open(2) is a separate description.
//! - `close_on_exec.rs`: O_CLOEXEC, FD_CLOEXEC, F_DUPFD_CLOEXEC and dup across execve(2),
//!   checked by re-executing the test binary as a probe.
//! - `fork_inheritance.rs`: fork(2) copies the descriptor table; the copies share the
//!   open file descriptions (offsets, status flags) with the parent.
//! - `fcntl_flags.rs`: F_GETFD/F_SETFD and F_GETFL/F_SETFL — which bits exist and which
//!   F_SETFL may change.
//! - `bad_fds.rs`: EBADF for closed, negative and wrong-mode descriptors; closing twice.
//! - `close_range.rs`: close_range(2) (5.9) and CLOSE_RANGE_CLOEXEC (5.11).
//! - `procfs_fd.rs`: /proc/self/fd and /proc/self/fdinfo reflect the real table.
//!
//! Sources: dup(2), fcntl(2), open(2), close(2), close_range(2), execve(2), fork(2),
//! getrlimit(2), proc(5), POSIX.1-2024 (dup, fcntl, close).
//!
//! Claims about fd *numbers* run in a forked child: the child is single-threaded, so no
//! other thread (libtest's, or another test's under plain `cargo test`) can take a number
//! in between.
//!
//! Helpers shared by the test files live here: dup/dup2/close/fcntl with exact results,
//! offsets, the exec probes and fdinfo fields. open(2), read(2), write(2) and
//! F_GETFD/F_GETFL/F_SETFL come from [`fixtures::io`]; RLIMIT_NOFILE from
//! [`fixtures::limits`].

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;

use fixtures::{Outcome, run_in_child, sys};
use nix::errno::Errno;

/// Open `path` read-write (std opens with O_CLOEXEC).
pub fn open_rw(path: &Path) -> OwnedFd {
    OwnedFd::from(
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display())),
    )
}

/// dup(2).
pub fn dup(fd: RawFd) -> Result<RawFd, Errno> {
    // SAFETY: dup on any integer is harmless.
    sys(unsafe { libc::dup(fd) })
}

/// dup2(2).
pub fn dup2(old: RawFd, new: RawFd) -> Result<RawFd, Errno> {
    // SAFETY: as above; the caller owns `new`.
    sys(unsafe { libc::dup2(old, new) })
}

/// fcntl(2) with an int argument.
pub fn fcntl(fd: RawFd, cmd: libc::c_int, arg: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: the commands used by the suite take an int argument.
    sys(unsafe { libc::fcntl(fd, cmd, arg) })
}

/// close(2) of a raw number.
pub fn close(fd: RawFd) -> Result<libc::c_int, Errno> {
    // SAFETY: the caller owns `fd` (or knows it is not open).
    sys(unsafe { libc::close(fd) })
}

/// The current file offset (lseek(fd, 0, SEEK_CUR)).
pub fn offset(fd: RawFd) -> i64 {
    // SAFETY: lseek on our fd.
    let off = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
    assert!(off >= 0, "lseek(SEEK_CUR) on fd {fd}: {}", Errno::last());
    off
}

/// lseek(fd, off, SEEK_SET).
pub fn seek_to(fd: RawFd, off: i64) {
    // SAFETY: lseek on our fd.
    assert_eq!(unsafe { libc::lseek(fd, off, libc::SEEK_SET) }, off, "lseek: {}", Errno::last());
}

/// Whether `fd` is still open in a program started by execve(2) from a child of this
/// process: the child execs the test binary as the `fd-open N` probe.
pub fn open_after_exec(fd: RawFd) -> bool {
    let n = fd.to_string();
    match run_in_child("fd-open probe after exec", || fixtures::exec::exec_probe(&["fd-open", &n])) {
        Outcome::Exited(0) => true,
        Outcome::Exited(1) => false,
        other => panic!("the fd-open probe for fd {fd} {other}"),
    }
}

/// The status flags (F_GETFL) of `fd` as seen by a program started by execve(2).
pub fn status_flags_after_exec(fd: RawFd) -> libc::c_int {
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let n = fd.to_string();
    let mut child = fixtures::spawn("status-flags probe", || {
        // The probe prints to its stdout: make that the pipe.
        dup2(tx.as_raw_fd(), 1).unwrap();
        fixtures::exec::exec_probe(&["status-flags", &n])
    });
    drop(tx);
    let out = fixtures::io::read_to_eof(&rx);
    child.join().expect_success();
    let text = String::from_utf8_lossy(&out);
    text.trim().parse().unwrap_or_else(|_| panic!("probe printed {text:?}"))
}

/// The `flags` field of /proc/self/fdinfo/<fd>, parsed from octal.
pub fn fdinfo_flags(fd: RawFd) -> libc::c_int {
    let info = fixtures::procfs::fdinfo(fd);
    let f = info.get("flags").unwrap_or_else(|| panic!("no flags in fdinfo of {fd}: {info:?}"));
    libc::c_int::from_str_radix(f, 8).unwrap_or_else(|_| panic!("flags {f:?} is not octal"))
}

/// The `pos` field of /proc/self/fdinfo/<fd>.
pub fn fdinfo_pos(fd: RawFd) -> i64 {
    let info = fixtures::procfs::fdinfo(fd);
    info.get("pos").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no pos in fdinfo of {fd}: {info:?}"))
}

/// In a forked child: make sure the given numbers are free, closing anything the child
/// inherited there (under plain `cargo test` the parent process may have many fds open).
pub fn vacate(numbers: impl IntoIterator<Item = RawFd>) {
    for n in numbers {
        // SAFETY: the child owns its descriptor table; EBADF for a free number is fine.
        unsafe { libc::close(n) };
    }
}
