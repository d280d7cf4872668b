//! The socket calls whose exact arguments are part of the claims: socket(2),
//! socketpair(2) and accept4(2) with exactly the flags given (no SOCK_CLOEXEC added, unlike
//! `fixtures::net`), recv(2)/recvmsg(2) returning what arrived, shutdown(2), SO_PEERCRED,
//! the SIOCINQ/SIOCOUTQ ioctls. Plain calls (bind, connect, listen, send, options, fcntl
//! flags, poll) come from `fixtures::net`, `fixtures::io` and `fixtures::poll`.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::io::owned;
use fixtures::sys;
use libc::{c_int, socklen_t};
use nix::errno::Errno;

use fixtures::net::SockType;

/// SIOCINQ (= FIONREAD) and SIOCOUTQ (= TIOCOUTQ), from <linux/sockios.h>.
pub const SIOCINQ: libc::c_ulong = 0x541B;
pub const SIOCOUTQ: libc::c_ulong = 0x5411;

/// socket(AF_UNIX, ty | flags, 0), which must succeed; exactly the flags given.
#[track_caller]
pub fn socket(ty: SockType, flags: c_int) -> OwnedFd {
    try_socket(libc::AF_UNIX, ty.raw() | flags, 0).unwrap_or_else(|e| panic!("socket(AF_UNIX, {ty:?}): {e}"))
}

/// socket(domain, ty, protocol) with the raw errno; exactly the flags given.
pub fn try_socket(domain: c_int, ty: c_int, protocol: c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: plain system call.
    sys(unsafe { libc::socket(domain, ty, protocol) }).map(owned)
}

/// socketpair(domain, ty, protocol) with the raw errno; exactly the flags given.
pub fn try_socketpair(domain: c_int, ty: c_int, protocol: c_int) -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut sv = [-1; 2];
    // SAFETY: sv has room for two descriptors.
    sys(unsafe { libc::socketpair(domain, ty, protocol, sv.as_mut_ptr()) }).map(|_| (owned(sv[0]), owned(sv[1])))
}

/// socketpair(AF_UNIX, ty | flags, 0), which must succeed.
#[track_caller]
pub fn socketpair(ty: SockType, flags: c_int) -> (OwnedFd, OwnedFd) {
    try_socketpair(libc::AF_UNIX, ty.raw() | flags, 0).unwrap_or_else(|e| panic!("socketpair(AF_UNIX, {ty:?}): {e}"))
}

/// How the descriptors of a creation claim are made: socket(2) or socketpair(2), which
/// takes the same type argument.
#[derive(Clone, Copy, Debug)]
pub enum Maker {
    Socket,
    Socketpair,
}

impl Maker {
    /// The new descriptors (one, or the two of a pair), which must be made.
    pub fn make(self, ty: SockType, flags: c_int) -> Vec<OwnedFd> {
        match self {
            Maker::Socket => vec![socket(ty, flags)],
            Maker::Socketpair => {
                let (a, b) = socketpair(ty, flags);
                vec![a, b]
            }
        }
    }

    /// The call with these raw arguments, and its exact errno.
    pub fn try_make(self, domain: c_int, ty: c_int, protocol: c_int) -> Result<(), Errno> {
        match self {
            Maker::Socket => try_socket(domain, ty, protocol).map(drop),
            Maker::Socketpair => try_socketpair(domain, ty, protocol).map(drop),
        }
    }
}

/// accept4(fd, NULL, NULL, flags): exactly the flags given (the accepted socket's flags
/// are what some claims check).
pub fn accept4(fd: impl AsFd, flags: c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: null address arguments are allowed.
    sys(unsafe { libc::accept4(fd.as_fd().as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut(), flags) }).map(owned)
}

/// accept(2): [`accept4`] without flags.
pub fn accept(fd: impl AsFd) -> Result<OwnedFd, Errno> {
    accept4(fd, 0)
}

/// shutdown(2).
pub fn shutdown(fd: impl AsFd, how: c_int) -> Result<(), Errno> {
    // SAFETY: plain system call.
    sys(unsafe { libc::shutdown(fd.as_fd().as_raw_fd(), how) }).map(drop)
}

/// recv(2) into a fresh buffer of `cap` bytes; returns the bytes received.
pub fn recv_vec(fd: impl AsFd, cap: usize, flags: c_int) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; cap];
    let n = fixtures::net::recv(fd, &mut buf, flags)?;
    buf.truncate(n.min(cap));
    Ok(buf)
}

/// What recvmsg(2) reported: the return value, the bytes placed in the buffer and
/// msg_flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub ret: usize,
    pub data: Vec<u8>,
    pub flags: c_int,
}

/// recvmsg(2) into one buffer of `cap` bytes, no control buffer.
pub fn recvmsg(fd: impl AsFd, cap: usize, flags: c_int) -> Result<Received, Errno> {
    let mut buf = vec![0u8; cap];
    let (ret, msg_flags) = fixtures::net::recv_msg(fd, &mut buf, flags)?;
    buf.truncate(ret.min(cap));
    Ok(Received { ret, data: buf, flags: msg_flags })
}

/// getsockopt(SO_PEERCRED).
pub fn peercred(fd: impl AsFd) -> Result<libc::ucred, Errno> {
    let mut c = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as socklen_t;
    // SAFETY: c is a ucred and len says so.
    sys(unsafe {
        libc::getsockopt(
            fd.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut c as *mut libc::ucred).cast(),
            &mut len,
        )
    })?;
    assert_eq!(len as usize, std::mem::size_of::<libc::ucred>());
    Ok(c)
}

/// ioctl(fd, req, &int): SIOCINQ, SIOCOUTQ, FIONREAD, SIOCATMARK.
pub fn ioctl_int(fd: impl AsFd, req: libc::c_ulong) -> Result<c_int, Errno> {
    let mut v: c_int = -1;
    // SAFETY: the ioctls used here write one int.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), req as _, &mut v) })?;
    Ok(v)
}

/// umask(2) in the calling process (use only in a child).
pub fn set_umask(mask: u32) {
    // SAFETY: umask cannot fail.
    unsafe { libc::umask(mask as libc::mode_t) };
}

/// What getsockopt(2) with a buffer of `cap` bytes did: its result, the optlen it left, and
/// the bytes of the buffer up to min(optlen, cap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptBytes {
    pub result: Result<(), Errno>,
    pub optlen: usize,
    pub bytes: Vec<u8>,
}

/// getsockopt(fd, level, opt) into a buffer of exactly `cap` bytes (for options whose size
/// varies: SO_PEERGROUPS, SO_PEERSEC), reporting optlen also when the call fails (ERANGE
/// sets it to the size needed).
pub fn getsockopt_bytes(fd: impl AsFd, level: c_int, opt: c_int, cap: usize) -> OptBytes {
    let mut buf = vec![0u8; cap.max(1)];
    let mut len = cap as socklen_t;
    // SAFETY: buf has room for `len` bytes; the kernel writes at most that many.
    let r = sys(unsafe { libc::getsockopt(fd.as_fd().as_raw_fd(), level, opt, buf.as_mut_ptr().cast(), &mut len) });
    buf.truncate((len as usize).min(cap));
    OptBytes { result: r.map(drop), optlen: len as usize, bytes: buf }
}

/// The gid_t array in the bytes of an SO_PEERGROUPS answer.
pub fn gids(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|c| u32::from_ne_bytes(c.try_into().unwrap())).collect()
}
