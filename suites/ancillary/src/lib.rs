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
//! - `rights_stream`: SCM_RIGHTS on stream sockets — the byte of data it needs, and the
//!   barrier it puts into the byte stream.
//! - `rights_lifetime`: descriptors in flight outlive their sender and are released when
//!   nobody can receive them, cycles included (garbage collection).
//! - `credentials`: SO_PASSCRED and SCM_CREDENTIALS, and who may claim which ids.
//! - `pidfd`: SO_PEERPIDFD, SO_PASSPIDFD and SCM_PIDFD (Linux 6.5).
//! - `worked_example`: a server handing a client an open file across fork and exec.
//!
//! Sources: unix(7), cmsg(3), sendmsg(2)/send(2), recvmsg(2)/recv(2), socket(7), man-pages
//! 6.03; kernel behaviour the pages do not describe is cited by function in
//! net/unix/af_unix.c, net/core/scm.c and net/unix/garbage.c.
//!
//! Under plain `cargo test`, tests that fork are `#[serial]` and all others `#[parallel]`
//! (serial_test), so that no child inherits a descriptor another test is about to close.
//!
//! This library holds what the test files share: the socket types, a sendmsg(2) that takes
//! any list of control messages, a recvmsg(2) that returns the control messages, the
//! received descriptors (owned, so they are closed) and msg_flags, and small fd helpers.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use fixtures::io::owned;
use fixtures::{sys, sys_size};

pub use fixtures::io::{fd_flags, status_flags};
pub use fixtures::limits::set_nofile_soft_limit;
use nix::errno::Errno;

pub use libc::{c_int, socklen_t};

/// SCM_MAX_FD (include/net/scm.h): "SCM_MAX_FD has the value 253" (unix(7)).
pub const SCM_MAX_FD: usize = 253;
/// SO_PASSPIDFD, SO_PEERPIDFD and SCM_PIDFD (include/uapi/asm-generic/socket.h, Linux 6.5).
pub const SO_PASSPIDFD: c_int = 76;
pub const SO_PEERPIDFD: c_int = 77;
pub const SCM_PIDFD: c_int = 0x04;

/// The AF_UNIX socket types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    Stream,
    Dgram,
    Seqpacket,
}

impl SockType {
    pub fn raw(self) -> c_int {
        match self {
            SockType::Stream => libc::SOCK_STREAM,
            SockType::Dgram => libc::SOCK_DGRAM,
            SockType::Seqpacket => libc::SOCK_SEQPACKET,
        }
    }
}

/// socketpair(AF_UNIX, ty | flags | SOCK_CLOEXEC, 0) ([`fixtures::net::socketpair`]).
pub fn socketpair(ty: SockType, flags: c_int) -> (OwnedFd, OwnedFd) {
    fixtures::net::socketpair(ty.raw() | flags).unwrap_or_else(|e| panic!("socketpair({ty:?}): {e}"))
}

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2")
}

/// One control message: cmsg_level, cmsg_type and the data after the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmsg {
    pub level: c_int,
    pub ty: c_int,
    pub data: Vec<u8>,
}

/// An SCM_RIGHTS message carrying `fds`.
pub fn rights(fds: &[RawFd]) -> Cmsg {
    Cmsg { level: libc::SOL_SOCKET, ty: libc::SCM_RIGHTS, data: fds.iter().flat_map(|f| f.to_ne_bytes()).collect() }
}

/// An SCM_CREDENTIALS message carrying a struct ucred.
pub fn credentials(pid: i32, uid: u32, gid: u32) -> Cmsg {
    let mut data = Vec::with_capacity(12);
    data.extend_from_slice(&pid.to_ne_bytes());
    data.extend_from_slice(&uid.to_ne_bytes());
    data.extend_from_slice(&gid.to_ne_bytes());
    Cmsg { level: libc::SOL_SOCKET, ty: libc::SCM_CREDENTIALS, data }
}

/// CMSG_SPACE(len) (cmsg(3)).
pub fn cmsg_space(len: usize) -> usize {
    // SAFETY: a pure computation.
    unsafe { libc::CMSG_SPACE(len as u32) as usize }
}

/// CMSG_LEN(len) (cmsg(3)).
pub fn cmsg_len(len: usize) -> usize {
    // SAFETY: a pure computation.
    unsafe { libc::CMSG_LEN(len as u32) as usize }
}

/// Control space for one SCM_RIGHTS message of `n` descriptors.
pub fn space_for_fds(n: usize) -> usize {
    cmsg_space(n * std::mem::size_of::<c_int>())
}

/// An 8-byte aligned, zeroed control buffer of at least `len` bytes.
fn control_buffer(len: usize) -> Vec<u64> {
    vec![0u64; len.div_ceil(8).max(1)]
}

/// sendmsg(2) of the concatenation of `data` (one iovec) with the control messages `cmsgs`
/// built with the cmsg(3) macros.
pub fn sendmsg(fd: &impl AsRawFd, data: &[u8], cmsgs: &[Cmsg], flags: c_int) -> Result<usize, Errno> {
    let total: usize = cmsgs.iter().map(|c| cmsg_space(c.data.len())).sum();
    let mut control = control_buffer(total);
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    // SAFETY: zeroed msghdr is valid; every pointer set below outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !cmsgs.is_empty() {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = total;
        // SAFETY: walking a zeroed buffer of exactly the CMSG_SPACE sum, as cmsg(3) shows.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            for m in cmsgs {
                assert!(!c.is_null());
                (*c).cmsg_level = m.level;
                (*c).cmsg_type = m.ty;
                (*c).cmsg_len = cmsg_len(m.data.len()) as _;
                std::ptr::copy_nonoverlapping(m.data.as_ptr(), libc::CMSG_DATA(c), m.data.len());
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
    }
    // SAFETY: a valid msghdr.
    sys_size(unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, flags) })
}

/// Send `data` with the descriptors `fds` in one SCM_RIGHTS message.
pub fn send_fds(fd: &impl AsRawFd, data: &[u8], fds: &[RawFd]) -> Result<usize, Errno> {
    sendmsg(fd, data, &[rights(fds)], 0)
}

/// What recvmsg(2) returned.
#[derive(Debug)]
pub struct Received {
    /// The return value.
    pub ret: usize,
    /// The bytes placed in the data buffer.
    pub data: Vec<u8>,
    /// msg_flags.
    pub flags: c_int,
    /// msg_controllen on return.
    pub controllen: usize,
    /// Every control message, in order (SCM_RIGHTS data included as raw bytes).
    pub cmsgs: Vec<Cmsg>,
    /// The descriptors of every SCM_RIGHTS message, in order, owned (closed on drop).
    pub fds: Vec<OwnedFd>,
}

impl Received {
    /// The descriptor numbers received.
    pub fn fd_numbers(&self) -> Vec<RawFd> {
        self.fds.iter().map(|f| f.as_raw_fd()).collect()
    }

    /// The struct ucred of the SCM_CREDENTIALS message, if one arrived.
    pub fn creds(&self) -> Option<(i32, u32, u32)> {
        self.cmsgs.iter().find(|c| c.level == libc::SOL_SOCKET && c.ty == libc::SCM_CREDENTIALS).map(|c| {
            assert_eq!(c.data.len(), 12, "struct ucred is 12 bytes");
            let n = |i: usize| u32::from_ne_bytes(c.data[i..i + 4].try_into().unwrap());
            (n(0) as i32, n(4), n(8))
        })
    }

    /// True if msg_flags has MSG_CTRUNC.
    pub fn ctrunc(&self) -> bool {
        self.flags & libc::MSG_CTRUNC != 0
    }
}

/// recvmsg(2) with a data buffer of `data_cap` bytes and a control buffer of exactly
/// `control_len` bytes (0: msg_control is NULL).
pub fn recvmsg(fd: &impl AsRawFd, data_cap: usize, control_len: usize, flags: c_int) -> Result<Received, Errno> {
    let mut data = vec![0u8; data_cap];
    let mut control = control_buffer(control_len);
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data_cap };
    // SAFETY: zeroed msghdr; pointers set below outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if control_len > 0 {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control_len;
    }
    // SAFETY: a valid msghdr.
    let ret = sys_size(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) })?;
    data.truncate(ret.min(data_cap));
    let mut cmsgs = Vec::new();
    let mut fds = Vec::new();
    if control_len > 0 && msg.msg_controllen > 0 {
        // SAFETY: walking the control buffer the kernel filled, with the cmsg(3) macros.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                let len = (*c).cmsg_len as usize - cmsg_len(0);
                let bytes = std::slice::from_raw_parts(libc::CMSG_DATA(c), len).to_vec();
                let m = Cmsg { level: (*c).cmsg_level, ty: (*c).cmsg_type, data: bytes };
                if m.level == libc::SOL_SOCKET && m.ty == libc::SCM_RIGHTS {
                    for chunk in m.data.chunks_exact(4) {
                        fds.push(owned(i32::from_ne_bytes(chunk.try_into().unwrap())));
                    }
                }
                cmsgs.push(m);
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
    }
    Ok(Received { ret, data, flags: msg.msg_flags, controllen: msg.msg_controllen, cmsgs, fds })
}

/// recvmsg(2) with room for `max_fds` descriptors (exactly CMSG_SPACE of them).
pub fn recv_fds(fd: &impl AsRawFd, data_cap: usize, max_fds: usize, flags: c_int) -> Result<Received, Errno> {
    recvmsg(fd, data_cap, space_for_fds(max_fds), flags)
}

pub fn getsockopt_int(fd: &impl AsRawFd, opt: c_int) -> Result<c_int, Errno> {
    fixtures::net::getsockopt_int(fd, libc::SOL_SOCKET, opt)
}

pub fn setsockopt_int(fd: &impl AsRawFd, opt: c_int, v: c_int) -> Result<(), Errno> {
    fixtures::net::setsockopt_int(fd, libc::SOL_SOCKET, opt, v)
}

/// (st_dev, st_ino) of an open descriptor: the identity of the file it refers to.
pub fn file_id(fd: &impl AsRawFd) -> (u64, u64) {
    // SAFETY: fstat into a zeroed stat buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    sys(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) }).expect("fstat");
    (st.st_dev, st.st_ino)
}



/// How many descriptors this process has open (from /proc/self/fd, minus the one used to
/// list it).
pub fn open_fd_count() -> usize {
    fixtures::procfs::open_fds().into_iter().filter(|&fd| fixtures::procfs::fd_is_open(fd)).count()
}

/// True if the read end of a pipe reports end of file (every write end is gone) within
/// `limit` — the proof that a passed write end was released, not leaked.
pub fn pipe_hits_eof_within(read_end: &impl AsRawFd, limit: Duration) -> bool {
    if fixtures::poll::revents(read_end, libc::POLLIN, fixtures::deadline::poll_ms(limit)) & libc::POLLHUP == 0 {
        return false;
    }
    fixtures::io::read_once(read_end, &mut [0u8; 1]) == Ok(0)
}

/// True if some write end of the pipe is still open right now (poll(2) reports no POLLHUP).
/// Closing a descriptor releases its file before close(2) returns, so an instant check is
/// enough where nothing asynchronous (garbage collection) is involved.
pub fn pipe_has_a_writer_now(read_end: &impl AsRawFd) -> bool {
    fixtures::poll::revents_now(read_end, libc::POLLIN) & libc::POLLHUP == 0
}


/// The lowest `n` descriptor numbers not open in this process.
pub fn lowest_free_fds(n: usize) -> Vec<RawFd> {
    (0..).filter(|fd| !fixtures::procfs::fd_is_open(*fd)).take(n).collect()
}

/// The "Pid:" line of a pidfd's /proc/self/fdinfo entry.
pub fn pidfd_pid(fd: &impl AsRawFd) -> i32 {
    let info = fixtures::procfs::fdinfo(fd.as_raw_fd());
    info.get("Pid").unwrap_or_else(|| panic!("fdinfo has no Pid: {info:?}")).parse().unwrap()
}
