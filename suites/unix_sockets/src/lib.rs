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
//! ([`UnixAddr`]), thin wrappers returning the raw result and errno of each call, and
//! [`connected_pair`], which builds a connected pair for any (type, address kind).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::time::Duration;

use fixtures::{Scratch, sys, sys_size};
use nix::errno::Errno;

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

/// A sockaddr_un as raw bytes with the exact addrlen passed to or returned by the kernel.
/// The buffer is a sockaddr_storage (128 bytes) so lengths above sizeof(sockaddr_un) can
/// be expressed, and a returned sun_path of 108 bytes still has a zero after it.
#[derive(Clone, Copy)]
pub struct UnixAddr {
    storage: libc::sockaddr_storage,
    len: socklen_t,
}

impl std::fmt::Debug for UnixAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "UnixAddr(len={}, family={}, path={:?})",
            self.len,
            self.family(),
            String::from_utf8_lossy(self.path_bytes())
        )
    }
}

impl PartialEq for UnixAddr {
    fn eq(&self, other: &UnixAddr) -> bool {
        self.len == other.len && self.bytes() == other.bytes()
    }
}

impl UnixAddr {
    /// An address with family AF_UNIX, sun_path starting with `path` (the rest zero) and
    /// the given addrlen, which may cover less or more than `path`.
    pub fn raw(path: &[u8], len: socklen_t) -> UnixAddr {
        UnixAddr::raw_family(libc::AF_UNIX as u16, path, len)
    }

    /// Like [`UnixAddr::raw`] with an arbitrary family field.
    pub fn raw_family(family: u16, path: &[u8], len: socklen_t) -> UnixAddr {
        // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let bytes = as_bytes_mut(&mut storage);
        bytes[..2].copy_from_slice(&family.to_ne_bytes());
        assert!(path.len() <= bytes.len() - 2, "path of {} bytes does not fit", path.len());
        bytes[2..2 + path.len()].copy_from_slice(path);
        UnixAddr { storage, len }
    }

    /// A pathname address as unix(7) recommends: NUL-terminated, addrlen covering the NUL.
    pub fn pathname(path: &Path) -> UnixAddr {
        let mut p = path.as_os_str().as_encoded_bytes().to_vec();
        p.push(0);
        UnixAddr::raw(&p, FAMILY_LEN + p.len() as socklen_t)
    }

    /// An abstract address: a NUL followed by `name`; addrlen covers exactly that.
    pub fn abstract_name(name: &[u8]) -> UnixAddr {
        let mut p = vec![0u8];
        p.extend_from_slice(name);
        UnixAddr::raw(&p, FAMILY_LEN + p.len() as socklen_t)
    }

    /// A fresh abstract address unique to this call (ipcspec-<pid>-<nonce>-<n>-<tag>).
    pub fn unique_abstract(tag: &str) -> UnixAddr {
        UnixAddr::abstract_name(fixtures::names::unique(tag).as_bytes())
    }

    /// The address whose addrlen is sizeof(sa_family_t): binding it autobinds.
    pub fn unnamed() -> UnixAddr {
        UnixAddr::raw(&[], FAMILY_LEN)
    }

    pub fn len(&self) -> socklen_t {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len <= FAMILY_LEN
    }

    pub fn family(&self) -> u16 {
        let b = as_bytes(&self.storage);
        u16::from_ne_bytes([b[0], b[1]])
    }

    /// The whole 128-byte buffer.
    pub fn buffer(&self) -> &[u8] {
        as_bytes(&self.storage)
    }

    /// The bytes covered by addrlen (family included), bounded by the buffer.
    pub fn bytes(&self) -> &[u8] {
        let b = as_bytes(&self.storage);
        &b[..(self.len as usize).min(b.len())]
    }

    /// The sun_path bytes covered by addrlen (for a pathname: the path and its NUL).
    pub fn path_bytes(&self) -> &[u8] {
        let b = self.bytes();
        if b.len() <= 2 { &[] } else { &b[2..] }
    }

    /// For an abstract address: the name after the leading NUL.
    pub fn abstract_bytes(&self) -> &[u8] {
        let p = self.path_bytes();
        assert!(!p.is_empty() && p[0] == 0, "{self:?} is not abstract");
        &p[1..]
    }

    pub fn as_ptr(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }
}

fn as_bytes(s: &libc::sockaddr_storage) -> &[u8] {
    // SAFETY: sockaddr_storage is 128 bytes of plain data.
    unsafe { std::slice::from_raw_parts((s as *const libc::sockaddr_storage).cast::<u8>(), std::mem::size_of_val(s)) }
}

fn as_bytes_mut(s: &mut libc::sockaddr_storage) -> &mut [u8] {
    // SAFETY: as above, exclusive borrow.
    unsafe { std::slice::from_raw_parts_mut((s as *mut libc::sockaddr_storage).cast::<u8>(), std::mem::size_of_val(s)) }
}

fn owned(fd: c_int) -> OwnedFd {
    // SAFETY: a descriptor the kernel just returned to us.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// socket(AF_UNIX, ty | flags, 0), panicking on failure.
pub fn socket(ty: SockType, flags: c_int) -> OwnedFd {
    try_socket(libc::AF_UNIX, ty.raw() | flags, 0).unwrap_or_else(|e| panic!("socket(AF_UNIX, {ty:?}): {e}"))
}

/// socket(domain, ty, protocol) with the raw errno.
pub fn try_socket(domain: c_int, ty: c_int, protocol: c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: plain system call.
    sys(unsafe { libc::socket(domain, ty, protocol) }).map(owned)
}

/// socketpair(domain, ty, protocol) with the raw errno.
pub fn try_socketpair(domain: c_int, ty: c_int, protocol: c_int) -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut sv = [-1; 2];
    // SAFETY: sv has room for two descriptors.
    sys(unsafe { libc::socketpair(domain, ty, protocol, sv.as_mut_ptr()) }).map(|_| (owned(sv[0]), owned(sv[1])))
}

/// socketpair(AF_UNIX, ty | flags, 0), panicking on failure.
pub fn socketpair(ty: SockType, flags: c_int) -> (OwnedFd, OwnedFd) {
    try_socketpair(libc::AF_UNIX, ty.raw() | flags, 0).unwrap_or_else(|e| panic!("socketpair(AF_UNIX, {ty:?}): {e}"))
}

pub fn bind(fd: &impl AsRawFd, addr: &UnixAddr) -> Result<(), Errno> {
    // SAFETY: the address buffer is valid for addr.len bytes (at most 128).
    sys(unsafe { libc::bind(fd.as_raw_fd(), addr.as_ptr(), addr.len) }).map(drop)
}

pub fn connect(fd: &impl AsRawFd, addr: &UnixAddr) -> Result<(), Errno> {
    // SAFETY: as for bind.
    sys(unsafe { libc::connect(fd.as_raw_fd(), addr.as_ptr(), addr.len) }).map(drop)
}

/// connect(2) with an address whose family is AF_UNSPEC (dissolves a datagram association).
pub fn disconnect(fd: &impl AsRawFd) -> Result<(), Errno> {
    connect(fd, &UnixAddr::raw_family(libc::AF_UNSPEC as u16, &[], FAMILY_LEN))
}

pub fn listen(fd: &impl AsRawFd, backlog: c_int) -> Result<(), Errno> {
    // SAFETY: plain system call.
    sys(unsafe { libc::listen(fd.as_raw_fd(), backlog) }).map(drop)
}

/// accept4(fd, NULL, NULL, flags).
pub fn accept4(fd: &impl AsRawFd, flags: c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: null address arguments are allowed.
    sys(unsafe { libc::accept4(fd.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut(), flags) }).map(owned)
}

pub fn accept(fd: &impl AsRawFd) -> Result<OwnedFd, Errno> {
    accept4(fd, 0)
}

/// accept(2) returning the peer address with the given input addrlen.
pub fn accept_with_addr(fd: &impl AsRawFd) -> Result<(OwnedFd, UnixAddr), Errno> {
    // SAFETY: zeroed plain data.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = SOCKADDR_UN_LEN;
    // SAFETY: the buffer holds at least `len` bytes.
    let r =
        sys(unsafe { libc::accept(fd.as_raw_fd(), (&mut storage as *mut libc::sockaddr_storage).cast(), &mut len) })?;
    Ok((owned(r), UnixAddr { storage, len }))
}

type NameCall = unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut socklen_t) -> c_int;

fn name_call(call: NameCall, fd: RawFd, inlen: socklen_t) -> Result<UnixAddr, Errno> {
    assert!(inlen as usize <= std::mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: zeroed plain data.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = inlen;
    // SAFETY: the buffer is 128 bytes and len <= 128.
    sys(unsafe { call(fd, (&mut storage as *mut libc::sockaddr_storage).cast(), &mut len) })?;
    Ok(UnixAddr { storage, len })
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

pub fn send(fd: &impl AsRawFd, buf: &[u8], flags: c_int) -> Result<usize, Errno> {
    // SAFETY: buf is valid for its length.
    sys_size(unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags) })
}

pub fn sendto(fd: &impl AsRawFd, buf: &[u8], flags: c_int, to: &UnixAddr) -> Result<usize, Errno> {
    // SAFETY: buffers valid for their lengths.
    sys_size(unsafe { libc::sendto(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags, to.as_ptr(), to.len) })
}

pub fn recv(fd: &impl AsRawFd, buf: &mut [u8], flags: c_int) -> Result<usize, Errno> {
    // SAFETY: buf is valid for its length.
    sys_size(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) })
}

/// recv(2) into a fresh buffer of `cap` bytes; returns the bytes received.
pub fn recv_vec(fd: &impl AsRawFd, cap: usize, flags: c_int) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; cap];
    let n = recv(fd, &mut buf, flags)?;
    buf.truncate(n.min(cap));
    Ok(buf)
}

/// recvfrom(2) into `cap` bytes; returns the data and the sender's address.
pub fn recvfrom(fd: &impl AsRawFd, cap: usize, flags: c_int) -> Result<(Vec<u8>, UnixAddr), Errno> {
    let mut buf = vec![0u8; cap];
    // SAFETY: zeroed plain data.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = SOCKADDR_UN_LEN;
    // SAFETY: buffers valid for their lengths.
    let n = sys_size(unsafe {
        libc::recvfrom(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            cap,
            flags,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    })?;
    buf.truncate(n.min(cap));
    Ok((buf, UnixAddr { storage, len }))
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
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: cap };
    // SAFETY: zeroed msghdr is valid; fields set below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    // SAFETY: msghdr points at live buffers.
    let ret = sys_size(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) })?;
    buf.truncate(ret.min(cap));
    Ok(Received { ret, data: buf, flags: msg.msg_flags })
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

pub fn getsockopt_int(fd: &impl AsRawFd, opt: c_int) -> Result<c_int, Errno> {
    let mut v: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as socklen_t;
    // SAFETY: v is an int and len says so.
    sys(unsafe { libc::getsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, opt, (&mut v as *mut c_int).cast(), &mut len) })?;
    assert_eq!(len as usize, std::mem::size_of::<c_int>(), "option {opt} returned {len} bytes");
    Ok(v)
}

pub fn setsockopt_int(fd: &impl AsRawFd, opt: c_int, v: c_int) -> Result<(), Errno> {
    // SAFETY: v is an int and the length says so.
    sys(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            (&v as *const c_int).cast(),
            std::mem::size_of::<c_int>() as socklen_t,
        )
    })
    .map(drop)
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

pub fn set_nonblocking(fd: &impl AsRawFd, on: bool) {
    // SAFETY: fcntl on our own descriptor.
    let fl = sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) }).unwrap();
    let fl = if on { fl | libc::O_NONBLOCK } else { fl & !libc::O_NONBLOCK };
    // SAFETY: as above.
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl) }).unwrap();
}

pub fn status_flags(fd: &impl AsRawFd) -> c_int {
    // SAFETY: fcntl on our own descriptor.
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) }).unwrap()
}

pub fn fd_flags(fd: &impl AsRawFd) -> c_int {
    // SAFETY: fcntl on our own descriptor.
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) }).unwrap()
}

/// Every event poll(2) can report for a socket.
pub const ALL_EVENTS: i16 = libc::POLLIN | libc::POLLPRI | libc::POLLOUT | libc::POLLRDHUP;

/// The revents of one poll(2) with `events` and timeout `ms`.
pub fn poll_fd(fd: &impl AsRawFd, events: i16, ms: c_int) -> i16 {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
    loop {
        // SAFETY: one valid pollfd.
        match sys(unsafe { libc::poll(&mut p, 1, ms) }) {
            Ok(0) => return 0,
            Ok(_) => return p.revents,
            Err(Errno::EINTR) => continue,
            Err(e) => panic!("poll: {e}"),
        }
    }
}

/// The events pending now (timeout 0), restricted to the four basic poll bits plus
/// POLLHUP/POLLERR/POLLNVAL, so that the *NORM/*BAND aliases do not clutter assertions.
pub fn events_now(fd: &impl AsRawFd) -> i16 {
    poll_fd(fd, ALL_EVENTS, 0) & (ALL_EVENTS | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL)
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

/// Sets the mode of a path and restores `restore` when dropped, so that a scratch
/// directory made unwritable or unsearchable for a permission claim can still be removed,
/// also when the test fails.
pub struct ModeGuard {
    path: std::path::PathBuf,
    restore: u32,
}

impl ModeGuard {
    #[track_caller]
    pub fn set(path: &Path, mode: u32, restore: u32) -> ModeGuard {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("chmod {:o} {}: {e}", mode, path.display()));
        ModeGuard { path: path.to_path_buf(), restore }
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(self.restore));
    }
}

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

/// Set the soft RLIMIT_NOFILE of the calling process (use only in a child); the hard limit
/// is kept.
#[track_caller]
pub fn set_nofile_soft_limit(n: u64) {
    let mut cur = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: reading and setting our own limit.
    unsafe {
        sys(libc::getrlimit(libc::RLIMIT_NOFILE, &mut cur)).expect("getrlimit");
        let new = libc::rlimit { rlim_cur: n as libc::rlim_t, rlim_max: cur.rlim_max };
        sys(libc::setrlimit(libc::RLIMIT_NOFILE, &new)).expect("setrlimit(RLIMIT_NOFILE)");
    }
}

/// The hard RLIMIT_NOFILE of the calling process.
pub fn nofile_hard_limit() -> u64 {
    let mut cur = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: reading our own limit.
    unsafe { sys(libc::getrlimit(libc::RLIMIT_NOFILE, &mut cur)).expect("getrlimit") };
    cur.rlim_max
}

/// Every address kind, for claims whose blocking variant runs one child per kind at once.
pub const ALL_KINDS: [AddrKind; 4] = [AddrKind::Pathname, AddrKind::Abstract, AddrKind::Socketpair, AddrKind::Autobind];

/// The bounded proof that several children are blocked at once, paying
/// [`fixtures::NEGATIVE_WAIT`] only once: every child first reaches a sleeping state in the
/// kernel; after one NEGATIVE_WAIT none of them has finished. (Each has then been asleep
/// for at least NEGATIVE_WAIT, which is what `Forked::assert_blocked` proves for one.)
#[track_caller]
pub fn assert_all_blocked(children: &mut [fixtures::Forked], call: &str) {
    for c in children.iter_mut() {
        c.wait_until_sleeping();
    }
    for (i, c) in children.iter_mut().enumerate() {
        let limit = if i == 0 { fixtures::NEGATIVE_WAIT } else { Duration::ZERO };
        if let Some(o) = c.try_join_within(limit) {
            panic!("child '{}' was expected to block in {call}, but it {o}", c.what());
        }
    }
}
