//! Suite `ancillary`: ancillary data on AF_UNIX sockets — passing open files
//! (SCM_RIGHTS), credentials (SCM_CREDENTIALS) and pidfds (SCM_PIDFD, SO_PEERPIDFD) — as
//! unix(7) "Ancillary messages", cmsg(3), sendmsg(2) and recvmsg(2) describe them.
//!
//! Topics (one test file each):
//! - `rights_basic`: one and several descriptors, every kind of file, what the receiver
//!   gets (new numbers, same open file description, close-on-exec).
//! - `rights_truncation`: MSG_CTRUNC — a control buffer too small or absent, and
//!   RLIMIT_NOFILE in the receiver; the descriptors that do not fit are closed.
//! - `rights_limits`: SCM_MAX_FD, EBADF, and the in-flight limit (ETOOMANYREFS).
//! - `rights_stream`: SCM_RIGHTS on stream sockets — the byte of data it needs, the
//!   barrier it puts into the byte stream, and a partial nonblocking send (all descriptors
//!   go with the first part).
//! - `rights_lifetime`: descriptors in flight outlive their sender and are released when
//!   nobody can receive them, cycles included (garbage collection).
//! - `credentials`: SO_PASSCRED and SCM_CREDENTIALS, and who may claim which ids; the
//!   SO_PASS* options refused on TCP/UDP (6.16), when an accepted socket takes the
//!   listener's SO_PASSCRED (6.16).
//! - `pidfd`: SO_PEERPIDFD, SO_PASSPIDFD and SCM_PIDFD (Linux 6.5); their answer on TCP/UDP;
//!   a peer or sender that exited and was reaped (6.16, 6.17).
//! - `rights_refusal`: SO_PASSRIGHTS (6.16), SO_RIGHTS_NOTRUNC (7.3), io_uring descriptors
//!   refused by SCM_RIGHTS (CVE-2023-6531).
//! - `inq`: SO_INQ and SCM_INQ on streams (6.17).
//! - `control_buffer`: net.core.optmem_max bounds a sendmsg control buffer, per network
//!   namespace and 131072 bytes by default since 6.8.
//! - `worked_example`: a server handing a client an open file across fork and exec.
//!
//! Sources: unix(7), cmsg(3), sendmsg(2)/send(2), recvmsg(2)/recv(2), socket(7), man-pages
//! 6.03; kernel behaviour the pages do not describe is cited by function in
//! net/unix/af_unix.c, net/core/scm.c and net/unix/garbage.c.
//!
//! Under plain `cargo test`, tests that fork are `#[serial]` and all others `#[parallel]`
//! (serial_test), so that no child inherits a descriptor another test is about to close.
//!
//! What the test files share:
//! - [`cmsg`]: control messages, sendmsg(2)/recvmsg(2) with them, what was received.
//! - `fixtures::cases`: the parameter sets (`socket_types`, `connection_types`), and
//!   `fixtures::net::SockType`, the socket types they span.
//! - here: a pair of each socket type, pipes, and what a test observes about
//!   descriptors: whether two are the same open file description, whether a passed write
//!   end was released, the descriptor table.

pub mod cmsg;

use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::time::Duration;

use fixtures::io::{is_nonblocking, raw_fd, set_nonblocking};
use fixtures::procfs::fd_is_open;
use fixtures::net::SockType;

/// SCM_MAX_FD (include/net/scm.h): "SCM_MAX_FD has the value 253" (unix(7)).
pub const SCM_MAX_FD: usize = 253;
/// SO_PASSPIDFD, SO_PEERPIDFD and SCM_PIDFD (include/uapi/asm-generic/socket.h, Linux 6.5).
pub const SO_PASSPIDFD: libc::c_int = 76;
pub const SO_PEERPIDFD: libc::c_int = 77;
pub const SCM_PIDFD: libc::c_int = 0x04;
/// SO_PASSRIGHTS (Linux 6.16), SO_INQ and its message SCM_INQ (6.17), SO_RIGHTS_NOTRUNC
/// (7.3) (include/uapi/asm-generic/socket.h).
pub const SO_PASSRIGHTS: libc::c_int = 83;
pub const SO_INQ: libc::c_int = 84;
pub const SCM_INQ: libc::c_int = SO_INQ;
pub const SO_RIGHTS_NOTRUNC: libc::c_int = 85;

/// socketpair(AF_UNIX, ty | flags | SOCK_CLOEXEC, 0) ([`fixtures::net::socketpair`]), which
/// must succeed.
#[track_caller]
pub fn socketpair(ty: SockType, flags: libc::c_int) -> (OwnedFd, OwnedFd) {
    fixtures::net::socketpair(ty.raw() | flags).unwrap_or_else(|e| panic!("socketpair({ty:?}): {e}"))
}

/// An AF_UNIX socket of `ty` bound to a new abstract name made from `tag` and listening
/// (backlog 4), which must succeed: (the listener, its address).
#[track_caller]
pub fn abstract_listener(ty: SockType, tag: &str) -> (OwnedFd, fixtures::net::SockAddr) {
    use fixtures::net::{SockAddr, bind, listen, socket};
    let addr = SockAddr::unique_abstract(tag);
    let l = socket(libc::AF_UNIX, ty.raw(), 0).unwrap();
    bind(&l, &addr).unwrap();
    listen(&l, 4).unwrap();
    (l, addr)
}

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2")
}

/// Whether `a` and `b` are the same open file description (open(2), "Open file
/// descriptions"), which is what SCM_RIGHTS passes ("a reference to an open file
/// description"): O_NONBLOCK, a status flag of the description, toggled through `a` shows
/// through `b` (and is put back). Two descriptions of one inode — the two ends of a pipe,
/// two opens of a file — are not the same.
pub fn same_description(a: impl AsFd, b: impl AsFd) -> bool {
    let (a, b) = (a.as_fd(), b.as_fd());
    let (was_a, was_b) = (is_nonblocking(a), is_nonblocking(b));
    set_nonblocking(a, !was_a);
    let followed = is_nonblocking(b) != was_b;
    set_nonblocking(a, was_a);
    followed && is_nonblocking(b) == was_b
}

/// How many descriptors this process has open (from /proc/self/fd, minus the one used to
/// list it).
pub fn open_fd_count() -> usize {
    fixtures::procfs::open_fds().into_iter().filter(|&fd| fd_is_open(raw_fd(fd))).count()
}

/// The lowest `n` descriptor numbers not open in this process.
pub fn lowest_free_fds(n: usize) -> Vec<RawFd> {
    (0..).filter(|fd| !fd_is_open(raw_fd(*fd))).take(n).collect()
}

/// True if the read end of a pipe reports end of file (every write end is gone) within
/// `limit` — the proof that a passed write end was released, not leaked.
pub fn pipe_hits_eof_within(read_end: impl AsFd, limit: Duration) -> bool {
    let read_end = read_end.as_fd();
    if fixtures::poll::revents(read_end, libc::POLLIN, fixtures::deadline::poll_ms(limit)) & libc::POLLHUP == 0 {
        return false;
    }
    fixtures::io::read_once(read_end, &mut [0u8; 1]) == Ok(0)
}

/// True if some write end of the pipe is still open right now (poll(2) reports no POLLHUP).
/// Closing a descriptor releases its file before close(2) returns, so an instant check is
/// enough where nothing asynchronous (garbage collection) is involved.
pub fn pipe_has_a_writer_now(read_end: impl AsFd) -> bool {
    fixtures::poll::revents_now(read_end, libc::POLLIN) & libc::POLLHUP == 0
}

/// The "Pid:" line of a pidfd's /proc/self/fdinfo entry.
pub fn pidfd_pid(fd: impl AsFd) -> i32 {
    let info = fixtures::procfs::fdinfo(fd);
    info.get("Pid").unwrap_or_else(|| panic!("fdinfo has no Pid: {info:?}")).parse().unwrap()
}

/// PIDFD_GET_INFO (include/uapi/linux/pidfd.h, Linux 6.13): `_IOWR(0xFF, 11, struct
/// pidfd_info)` with the 64-byte first version of the structure (PIDFD_INFO_SIZE_VER0).
const PIDFD_GET_INFO: libc::c_ulong = 0xC040_FF0B;
/// PIDFD_INFO_EXIT (6.15): "the exit code of the task is in `exit_code`" (set in the returned
/// mask only once the task has exited and was reaped).
pub const PIDFD_INFO_EXIT: u64 = 1 << 3;

/// struct pidfd_info, PIDFD_INFO_SIZE_VER0 (64 bytes): mask, cgroupid, then pid, tgid, ppid,
/// ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid and exit_code.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PidfdInfo {
    mask: u64,
    cgroupid: u64,
    ids: [u32; 11],
    exit_code: i32,
}

/// What ioctl(PIDFD_GET_INFO) with PIDFD_INFO_EXIT requested says of the process behind a
/// pidfd: `(mask returned, exit_code)` (the wait status, as waitpid(2) reports it).
pub fn pidfd_exit_info(pidfd: impl AsFd) -> Result<(u64, i32), nix::errno::Errno> {
    use std::os::fd::AsRawFd;
    let mut info = PidfdInfo { mask: PIDFD_INFO_EXIT, ..PidfdInfo::default() };
    // SAFETY: the ioctl writes at most the 64 bytes its number encodes into `info`.
    fixtures::sys(unsafe { libc::ioctl(pidfd.as_fd().as_raw_fd(), PIDFD_GET_INFO as _, &mut info) })?;
    Ok((info.mask, info.exit_code))
}

/// Assert that `pidfd` is a pidfd of a `who` that ended with `_exit(code)` and was reaped:
/// its fdinfo says `Pid: -1` and PIDFD_GET_INFO (6.13, which every kernel that hands out such
/// a pidfd has) gives the wait status.
#[track_caller]
pub fn assert_pidfd_of_a_reaped_process(pidfd: impl AsFd, code: i32, who: &str) {
    assert_eq!(pidfd_pid(&pidfd), -1, "the {who} has terminated");
    let (mask, status) = pidfd_exit_info(&pidfd).expect("PIDFD_GET_INFO (6.13) on a kernel that gives a reaped process a pidfd");
    assert_eq!(mask & PIDFD_INFO_EXIT, PIDFD_INFO_EXIT, "the exit status is known: mask {mask:#x}");
    assert_eq!(status, code << 8, "the {who}'s wait status for _exit({code})");
}
