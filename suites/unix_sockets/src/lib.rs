//! Suite `unix_sockets`: AF_UNIX sockets as unix(7) and the socket system-call pages
//! describe them, checked against the running kernel.
//!
//! Topics (one test file each):
//! - `creation`: socket(2)/socketpair(2) types, flags (SOCK_NONBLOCK, SOCK_CLOEXEC) and errors.
//! - `bind_pathname`: pathname binding: the socket file, its mode, EADDRINUSE, path errors.
//! - `address_length`: sun_path length limits and the addrlen rules (unix(7) BUGS).
//! - `abstract_names`: the abstract namespace and autobind.
//! - `names`: getsockname(2)/getpeername(2) for every address kind.
//! - `connect_rules`: listen/accept/connect, ECONNREFUSED, EPROTOTYPE, permissions.
//! - `stream_data`: byte streams, EOF, MSG_PEEK/MSG_DONTWAIT/MSG_WAITALL, blocking.
//! - `shutdown`: half-close with SHUT_RD/SHUT_WR/SHUT_RDWR.
//! - `peer_close`: EPIPE, SIGPIPE, MSG_NOSIGNAL, ECONNRESET.
//! - `backlog`: how many connections the listen backlog admits, and what connect does then.
//! - `datagram`: boundaries, truncation, zero-length datagrams, connect filtering, sizes.
//! - `peercred`: SO_PEERCRED.
//! - `seqpacket`: what sets SOCK_SEQPACKET apart from streams and datagrams.
//! - `unconnected`: data calls on unconnected and listening sockets.
//! - `out_of_band`: MSG_OOB (version dependent for streams).
//! - `options`: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_ERROR, buffers, ioctls.
//! - `readiness`: poll(2) events per socket type and state.
//!
//! Under plain `cargo test` the tests of a file share one process, and a child forked by
//! one test inherits every descriptor the other threads hold — which would keep a socket
//! another test just closed alive. So tests that fork are `#[serial]` and all others
//! `#[parallel]` (serial_test): no test that depends on a close runs while a fork happens.
//! Under nextest (one process per test) this changes nothing.
//!
//! Sources: unix(7), socket(7), socket(2), socketpair(2), bind(2), listen(2), accept(2),
//! connect(2), send(2), recv(2), shutdown(2), getsockname(2), udp(7) (for SIOCINQ on
//! datagram sockets), man-pages 6.03. Kernel quirks are cited by function in
//! net/unix/af_unix.c; see docs/suites/unix_sockets.md for the findings.
//!
//! This library holds the helpers the test files share: the dimensions a claim spans
//! ([`SockType`], [`AddrKind`], [`Blocking`]), raw addresses with exact lengths
//! ([`UnixAddr`], the harness's `SockAddr` with [`UnixAddrExt`]), the wrappers whose exact
//! arguments are part of the claims (socket, socketpair and accept4 without an added
//! SOCK_CLOEXEC; the name calls with input addrlen sizeof(struct sockaddr_un)), and
//! [`connected_pair`], which builds a connected pair for any (type, address kind). Plain
//! calls (bind, connect, listen, send, recv, options, fcntl flags, poll) come from
//! `fixtures::net`, `fixtures::io` and `fixtures::poll`.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;

use fixtures::io::owned;
use fixtures::{Scratch, sys, sys_size};
use nix::errno::Errno;

pub use fixtures::net::SockAddr;

pub use libc::{c_int, socklen_t};

/// sizeof(sa_family_t): the address length of an unnamed socket.
pub const FAMILY_LEN: socklen_t = 2;
/// sizeof(struct sockaddr_un) on Linux.
pub const SOCKADDR_UN_LEN: socklen_t = 110;
/// sizeof(sun_path) on Linux.
pub const SUN_PATH_LEN: usize = 108;
/// SIOCINQ (= FIONREAD) and SIOCOUTQ (= TIOCOUTQ), from <linux/sockios.h>.
pub const SIOCINQ: libc::c_ulong = 0x541B;
pub const SIOCOUTQ: libc::c_ulong = 0x5411;

/// The three AF_UNIX socket types of unix(7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    Stream,
    Dgram,
    Seqpacket,
}

impl SockType {
    pub const ALL: [SockType; 3] = [SockType::Stream, SockType::Dgram, SockType::Seqpacket];

    pub fn raw(self) -> c_int {
        match self {
            SockType::Stream => libc::SOCK_STREAM,
            SockType::Dgram => libc::SOCK_DGRAM,
            SockType::Seqpacket => libc::SOCK_SEQPACKET,
        }
    }

    /// Stream and seqpacket sockets are connection-oriented (listen/accept).
    pub fn connection_oriented(self) -> bool {
        self != SockType::Dgram
    }

    /// Datagram and seqpacket sockets keep message boundaries.
    pub fn keeps_boundaries(self) -> bool {
        self != SockType::Stream
    }
}

/// How the two ends of a connected pair got their names (unix(7), "Address format").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrKind {
    /// Bound to a filesystem pathname.
    Pathname,
    /// Bound to a name in the abstract namespace (leading NUL).
    Abstract,
    /// Created together by socketpair(2): unnamed.
    Socketpair,
    /// Autobound by bind(2) with addrlen == sizeof(sa_family_t) (the "unbound" case:
    /// the kernel picks a 5-hex-digit abstract name).
    Autobind,
}

/// Blocking mode of the sockets in a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocking {
    Blocking,
    Nonblocking,
}

/// A sockaddr_un with the exact addrlen passed to or returned by the kernel: the harness's
/// [`SockAddr`] (a sockaddr_storage, so lengths above sizeof(sockaddr_un) can be expressed
/// and a returned sun_path of 108 bytes still has a zero after it). [`UnixAddrExt`] adds
/// the constructors and views the claims about addrlen need.
pub type UnixAddr = SockAddr;

/// AF_UNIX-specific constructors and views of a [`UnixAddr`].
pub trait UnixAddrExt: Sized {
    /// An address with family AF_UNIX, sun_path starting with `path` (the rest zero) and
    /// the given addrlen, which may cover less or more than `path`.
    fn raw(path: &[u8], len: socklen_t) -> Self {
        Self::raw_family(libc::AF_UNIX as u16, path, len)
    }
    /// Like [`UnixAddrExt::raw`] with an arbitrary family field.
    fn raw_family(family: u16, path: &[u8], len: socklen_t) -> Self;
    /// A pathname address as unix(7) recommends: NUL-terminated, addrlen covering the NUL
    /// ([`SockAddr::unix`]; built raw when the path is too long for it, for the claims
    /// about overlong paths).
    fn pathname(path: &Path) -> Self;
    /// An abstract address: a NUL followed by `name`; addrlen covers exactly that
    /// ([`SockAddr::abstract_unix`]; built raw when the name fills all of sun_path).
    fn abstract_name(name: &[u8]) -> Self;
    /// The address whose addrlen is sizeof(sa_family_t): binding it autobinds.
    fn unnamed() -> Self {
        Self::raw(&[], FAMILY_LEN)
    }
    /// The sun_family field.
    fn sun_family(&self) -> u16;
    /// The whole 128-byte buffer.
    fn buffer(&self) -> &[u8];
    /// The bytes covered by addrlen (family included), bounded by the buffer.
    fn bytes(&self) -> &[u8];
    /// The sun_path bytes covered by addrlen (for a pathname: the path and its NUL).
    fn path_bytes(&self) -> &[u8] {
        let b = self.bytes();
        if b.len() <= 2 { &[] } else { &b[2..] }
    }
    /// For an abstract address: the name after the leading NUL.
    fn abstract_bytes(&self) -> &[u8] {
        let p = self.path_bytes();
        assert!(!p.is_empty() && p[0] == 0, "not an abstract address: {:?}", String::from_utf8_lossy(p));
        &p[1..]
    }
}

impl UnixAddrExt for SockAddr {
    fn raw_family(family: u16, path: &[u8], len: socklen_t) -> SockAddr {
        let mut a = SockAddr::empty();
        let buf = storage_mut(&mut a);
        buf[..2].copy_from_slice(&family.to_ne_bytes());
        assert!(path.len() <= buf.len() - 2, "path of {} bytes does not fit", path.len());
        buf[2..2 + path.len()].copy_from_slice(path);
        *a.len_mut() = len;
        a
    }

    fn pathname(path: &Path) -> SockAddr {
        let p = path.as_os_str().as_encoded_bytes();
        if p.len() < SUN_PATH_LEN {
            SockAddr::unix(path)
        } else {
            let mut z = p.to_vec();
            z.push(0);
            SockAddr::raw(&z, FAMILY_LEN + z.len() as socklen_t)
        }
    }

    fn abstract_name(name: &[u8]) -> SockAddr {
        if 1 + name.len() < SUN_PATH_LEN {
            SockAddr::abstract_unix(name)
        } else {
            let mut p = vec![0u8];
            p.extend_from_slice(name);
            SockAddr::raw(&p, FAMILY_LEN + p.len() as socklen_t)
        }
    }

    fn sun_family(&self) -> u16 {
        let b = self.buffer();
        u16::from_ne_bytes([b[0], b[1]])
    }

    fn buffer(&self) -> &[u8] {
        // SAFETY: the address is a sockaddr_storage: 128 bytes of plain data.
        unsafe { std::slice::from_raw_parts(self.as_ptr().cast::<u8>(), std::mem::size_of::<libc::sockaddr_storage>()) }
    }

    fn bytes(&self) -> &[u8] {
        self.raw_bytes()
    }
}

fn storage_mut(a: &mut SockAddr) -> &mut [u8] {
    // SAFETY: as in `buffer`, exclusively borrowed.
    unsafe { std::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<u8>(), std::mem::size_of::<libc::sockaddr_storage>()) }
}

/// An address of `len` bytes the kernel wrote into `a` (its buffer zeroed beforehand).
fn with_len(mut a: SockAddr, len: socklen_t) -> SockAddr {
    *a.len_mut() = len;
    a
}

/// socket(AF_UNIX, ty | flags, 0), panicking on failure. Exactly the flags given (no
/// SOCK_CLOEXEC added, unlike [`fixtures::net::socket`]): the creation claims are about them.
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

/// socketpair(AF_UNIX, ty | flags, 0), panicking on failure.
pub fn socketpair(ty: SockType, flags: c_int) -> (OwnedFd, OwnedFd) {
    try_socketpair(libc::AF_UNIX, ty.raw() | flags, 0).unwrap_or_else(|e| panic!("socketpair(AF_UNIX, {ty:?}): {e}"))
}

pub use fixtures::net::{bind, connect, listen, recv, send};

/// connect(2) with an address whose family is AF_UNSPEC (dissolves a datagram association).
pub fn disconnect(fd: &impl AsRawFd) -> Result<(), Errno> {
    connect(fd, &UnixAddr::raw_family(libc::AF_UNSPEC as u16, &[], FAMILY_LEN))
}

/// accept4(fd, NULL, NULL, flags): exactly the flags given (the accepted socket's flags
/// are what some claims check).
pub fn accept4(fd: &impl AsRawFd, flags: c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: null address arguments are allowed.
    sys(unsafe { libc::accept4(fd.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut(), flags) }).map(owned)
}

pub fn accept(fd: &impl AsRawFd) -> Result<OwnedFd, Errno> {
    accept4(fd, 0)
}

/// accept(2) returning the peer address, with input addrlen sizeof(struct sockaddr_un).
pub fn accept_with_addr(fd: &impl AsRawFd) -> Result<(OwnedFd, UnixAddr), Errno> {
    let mut a = SockAddr::empty();
    let mut len = SOCKADDR_UN_LEN;
    // SAFETY: the buffer holds 128 >= `len` bytes.
    let r = sys(unsafe { libc::accept(fd.as_raw_fd(), a.as_mut_ptr(), &mut len) })?;
    Ok((owned(r), with_len(a, len)))
}

type NameCall = unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut socklen_t) -> c_int;

fn name_call(call: NameCall, fd: RawFd, inlen: socklen_t) -> Result<UnixAddr, Errno> {
    assert!(inlen as usize <= std::mem::size_of::<libc::sockaddr_storage>());
    let mut a = SockAddr::empty();
    let mut len = inlen;
    // SAFETY: the buffer is 128 bytes and len <= 128.
    sys(unsafe { call(fd, a.as_mut_ptr(), &mut len) })?;
    Ok(with_len(a, len))
}

/// getsockname(2) with addrlen = sizeof(struct sockaddr_un); the result's len is the
/// length the kernel reported (which may exceed the input, unix(7) BUGS).
pub fn getsockname(fd: &impl AsRawFd) -> UnixAddr {
    try_getsockname(fd, SOCKADDR_UN_LEN).unwrap_or_else(|e| panic!("getsockname: {e}"))
}

pub fn try_getsockname(fd: &impl AsRawFd, inlen: socklen_t) -> Result<UnixAddr, Errno> {
    name_call(libc::getsockname, fd.as_raw_fd(), inlen)
}

pub fn getpeername(fd: &impl AsRawFd) -> Result<UnixAddr, Errno> {
    name_call(libc::getpeername, fd.as_raw_fd(), SOCKADDR_UN_LEN)
}

/// sendto(2) ([`fixtures::net::send_to`]).
pub fn sendto(fd: &impl AsRawFd, buf: &[u8], flags: c_int, to: &UnixAddr) -> Result<usize, Errno> {
    fixtures::net::send_to(fd, buf, flags, to)
}

/// recv(2) into a fresh buffer of `cap` bytes; returns the bytes received.
pub fn recv_vec(fd: &impl AsRawFd, cap: usize, flags: c_int) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; cap];
    let n = recv(fd, &mut buf, flags)?;
    buf.truncate(n.min(cap));
    Ok(buf)
}

/// recvfrom(2) into `cap` bytes with input addrlen sizeof(struct sockaddr_un); returns the
/// data and the sender's address.
pub fn recvfrom(fd: &impl AsRawFd, cap: usize, flags: c_int) -> Result<(Vec<u8>, UnixAddr), Errno> {
    let mut buf = vec![0u8; cap];
    let mut a = SockAddr::empty();
    let mut len = SOCKADDR_UN_LEN;
    // SAFETY: buffers valid for their lengths.
    let n = sys_size(unsafe {
        libc::recvfrom(fd.as_raw_fd(), buf.as_mut_ptr().cast(), cap, flags, a.as_mut_ptr(), &mut len)
    })?;
    buf.truncate(n.min(cap));
    Ok((buf, with_len(a, len)))
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
pub fn recvmsg(fd: &impl AsRawFd, cap: usize, flags: c_int) -> Result<Received, Errno> {
    let mut buf = vec![0u8; cap];
    let (ret, msg_flags) = fixtures::net::recv_msg(fd, &mut buf, flags)?;
    buf.truncate(ret.min(cap));
    Ok(Received { ret, data: buf, flags: msg_flags })
}

/// Send all of `buf` on a blocking socket (stream writes may be partial).
#[track_caller]
pub fn send_all(fd: &impl AsRawFd, buf: &[u8]) {
    let mut off = 0;
    while off < buf.len() {
        match send(fd, &buf[off..], 0) {
            Ok(n) => off += n,
            Err(Errno::EINTR) => {}
            Err(e) => panic!("send_all: {e} after {off} bytes"),
        }
    }
}

/// getsockopt(SOL_SOCKET, opt) of an int ([`fixtures::net::getsockopt_int`]).
pub fn getsockopt_int(fd: &impl AsRawFd, opt: c_int) -> Result<c_int, Errno> {
    fixtures::net::getsockopt_int(fd, libc::SOL_SOCKET, opt)
}

/// setsockopt(SOL_SOCKET, opt) of an int ([`fixtures::net::setsockopt_int`]).
pub fn setsockopt_int(fd: &impl AsRawFd, opt: c_int, v: c_int) -> Result<(), Errno> {
    fixtures::net::setsockopt_int(fd, libc::SOL_SOCKET, opt, v)
}

/// getsockopt(SO_PEERCRED).
pub fn peercred(fd: &impl AsRawFd) -> Result<libc::ucred, Errno> {
    let mut c = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as socklen_t;
    // SAFETY: c is a ucred and len says so.
    sys(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut c as *mut libc::ucred).cast(),
            &mut len,
        )
    })?;
    assert_eq!(len as usize, std::mem::size_of::<libc::ucred>());
    Ok(c)
}

/// ioctl(fd, req, &int).
pub fn ioctl_int(fd: &impl AsRawFd, req: libc::c_ulong) -> Result<c_int, Errno> {
    let mut v: c_int = -1;
    // SAFETY: the ioctls used here write one int.
    sys(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, &mut v) })?;
    Ok(v)
}

pub use fixtures::io::{fd_flags, set_nonblocking, status_flags};

/// Every event poll(2) can report for a socket.
pub const ALL_EVENTS: i16 = libc::POLLIN | libc::POLLPRI | libc::POLLOUT | libc::POLLRDHUP;

/// The revents of one poll(2) with `events` and timeout `ms` ([`fixtures::poll::revents`]).
#[track_caller]
pub fn poll_fd(fd: &impl AsRawFd, events: i16, ms: c_int) -> i16 {
    fixtures::poll::revents(fd, events, ms)
}

/// The events pending now (timeout 0), restricted to the four basic poll bits plus
/// POLLHUP/POLLERR/POLLNVAL, so that the *NORM/*BAND aliases do not clutter assertions.
#[track_caller]
pub fn events_now(fd: &impl AsRawFd) -> i16 {
    fixtures::poll::revents_now(fd, ALL_EVENTS) & (ALL_EVENTS | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL)
}

/// Render poll bits for failure messages.
pub fn show_events(ev: i16) -> String {
    let names = [
        (libc::POLLIN, "POLLIN"),
        (libc::POLLPRI, "POLLPRI"),
        (libc::POLLOUT, "POLLOUT"),
        (libc::POLLERR, "POLLERR"),
        (libc::POLLHUP, "POLLHUP"),
        (libc::POLLNVAL, "POLLNVAL"),
        (libc::POLLRDHUP, "POLLRDHUP"),
    ];
    let v: Vec<&str> = names.iter().filter(|(b, _)| ev & b != 0).map(|(_, n)| *n).collect();
    if v.is_empty() { "0".into() } else { v.join("|") }
}

/// A socket bound to a name of `kind` (not `Socketpair`). Pathname sockets live in
/// `scratch` under `file`.
pub fn bound_socket(ty: SockType, flags: c_int, kind: AddrKind, scratch: &Scratch, file: &str) -> (OwnedFd, UnixAddr) {
    let fd = socket(ty, flags);
    let addr = match kind {
        AddrKind::Pathname => UnixAddr::pathname(&scratch.join(file)),
        AddrKind::Abstract => UnixAddr::unique_abstract(file),
        AddrKind::Autobind => UnixAddr::unnamed(),
        AddrKind::Socketpair => panic!("a socketpair is not bound"),
    };
    bind(&fd, &addr).unwrap_or_else(|e| panic!("bind {ty:?} to {addr:?}: {e}"));
    // The name is the one requested (for a pathname: NUL-terminated, addrlen covering the
    // NUL, which is what unix(7) says the kernel reports back); only an autobound name has
    // to be asked from the kernel.
    let name = if kind == AddrKind::Autobind { getsockname(&fd) } else { addr };
    (fd, name)
}

/// A listening socket of `ty` bound to a name of `kind`, with `backlog`.
pub fn listener(ty: SockType, kind: AddrKind, scratch: &Scratch, backlog: c_int) -> (OwnedFd, UnixAddr) {
    assert!(ty.connection_oriented());
    let (fd, addr) = bound_socket(ty, 0, kind, scratch, "listener");
    listen(&fd, backlog).unwrap_or_else(|e| panic!("listen: {e}"));
    (fd, addr)
}

/// Two connected sockets and what keeps their names alive.
///
/// For stream and seqpacket, `a` is the connecting socket (unnamed, except with
/// socketpair) and `b` the accepted one (which carries the listener's name). For
/// datagrams both ends are bound to names of the kind and connected to each other.
pub struct Pair {
    pub a: OwnedFd,
    pub b: OwnedFd,
    pub ty: SockType,
    pub kind: AddrKind,
    /// The name `b` was reached by (the listener's, or b's own for datagrams); unnamed for
    /// socketpairs.
    pub b_name: UnixAddr,
    /// a's own name (datagrams only; unnamed otherwise).
    pub a_name: UnixAddr,
    pub scratch: Scratch,
}

/// A connected pair of `ty` whose names are of `kind` (see [`Pair`]). Both ends blocking.
pub fn connected_pair(ty: SockType, kind: AddrKind) -> Pair {
    let scratch = Scratch::new();
    let (a, b, a_name, b_name) = match (kind, ty) {
        (AddrKind::Socketpair, _) => {
            let (a, b) = socketpair(ty, libc::SOCK_CLOEXEC);
            (a, b, UnixAddr::unnamed(), UnixAddr::unnamed())
        }
        (_, SockType::Dgram) => {
            let (a, a_name) = bound_socket(ty, libc::SOCK_CLOEXEC, kind, &scratch, "a");
            let (b, b_name) = bound_socket(ty, libc::SOCK_CLOEXEC, kind, &scratch, "b");
            connect(&a, &b_name).unwrap_or_else(|e| panic!("connect a -> b: {e}"));
            connect(&b, &a_name).unwrap_or_else(|e| panic!("connect b -> a: {e}"));
            (a, b, a_name, b_name)
        }
        (_, _) => {
            let (l, name) = listener(ty, kind, &scratch, 1);
            let a = socket(ty, libc::SOCK_CLOEXEC);
            connect(&a, &name).unwrap_or_else(|e| panic!("connect to {name:?}: {e}"));
            let b = accept4(&l, libc::SOCK_CLOEXEC).unwrap_or_else(|e| panic!("accept: {e}"));
            (a, b, UnixAddr::unnamed(), name)
        }
    };
    Pair { a, b, ty, kind, a_name, b_name, scratch }
}

/// [`connected_pair`] with both ends in `mode`.
pub fn connected_pair_in(ty: SockType, kind: AddrKind, mode: Blocking) -> Pair {
    let p = connected_pair(ty, kind);
    if mode == Blocking::Nonblocking {
        set_nonblocking(&p.a, true);
        set_nonblocking(&p.b, true);
    }
    p
}

/// The value of a numeric /proc/sys file.
pub fn proc_sys(name: &str) -> u64 {
    fixtures::sysctl::read_u64(name)
}

pub use fixtures::limits::{nofile_hard_limit, set_nofile_soft_limit};
pub use fixtures::names::ModeGuard;

/// The file-type-and-permission bits of a path (lstat).
pub fn lstat_mode(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("lstat {}: {e}", path.display())).mode()
}

/// umask(2) in the calling process (use only in a child).
pub fn set_umask(mask: u32) {
    // SAFETY: umask cannot fail.
    unsafe { libc::umask(mask as libc::mode_t) };
}

/// Every address kind, for claims whose blocking variant runs one child per kind at once.
pub const ALL_KINDS: [AddrKind; 4] = [AddrKind::Pathname, AddrKind::Abstract, AddrKind::Socketpair, AddrKind::Autobind];

pub use fixtures::child::assert_all_blocked;
