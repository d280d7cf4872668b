//! Suite `inet_sockets`: TCP and UDP over IPv4 and IPv6, as seen by a program.
//!
//! Topics (one test file each):
//! - `byteorder`: htons/htonl and the network byte order of ports and addresses inside
//!   `sockaddr_in`/`sockaddr_in6` (byteorder(3), ip(7), ipv6(7)).
//! - `text_addresses`: inet_pton(3), inet_ntop(3), inet_aton(3) edge cases.
//! - `binding`: loopback and wildcard addresses, the whole of 127.0.0.0/8, ephemeral
//!   ports, EADDRINUSE, EADDRNOTAVAIL, privileged ports (ip(7), socket(7)).
//! - `dual_stack`: IPv6 sockets and IPv4 peers, IPV6_V6ONLY (ipv6(7)).
//! - `address_reuse`: SO_REUSEADDR with TIME_WAIT, SO_REUSEPORT and its same-uid rule.
//! - `name_lookup`: getaddrinfo(3), getnameinfo(3), gai_strerror.
//! - `tcp_connection`, `tcp_close`, `tcp_options`, `tcp_urgent`: tcp(7), socket(7),
//!   connect(2), listen(2), shutdown(2), send(2), recv(2).
//! - `receive_flags`: MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC on TCP and UDP (recv(2)).
//! - `udp_datagrams`, `udp_errors`, `udp_broadcast`: udp(7), ip(7).
//! - `async_connect`, `sendfile`: nonblocking connect(2), sendfile(2).
//!
//! Rules every test here keeps: traffic stays on loopback (127.0.0.0/8, ::1) or inside a
//! network namespace the test creates in a child; every bind uses port 0 (the only exception
//! is a bind below ip_unprivileged_port_start that must fail with EACCES and so never holds
//! a port); IPv6 is detected and a test SKIPs with the reason where it is unavailable.
//!
//! Tests that depend on the *last* close of a socket (RST on close, SO_LINGER, TIME_WAIT)
//! create their sockets inside a forked child: under plain `cargo test` another test's child
//! forked meanwhile would hold copies of the parent's descriptors and delay the close.
//!
//! This library holds the helpers those files share: typed socket addresses, thin wrappers
//! that return the exact errno, bounded waits on descriptors, and private network namespaces.

use std::fmt;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use fixtures::{sys, sys_size};
use nix::errno::Errno;

/// SIOCATMARK from <linux/sockios.h> (not exported by the libc crate for Linux).
pub const SIOCATMARK: libc::c_ulong = 0x8905;
/// TCP states as reported in `tcp_info.tcpi_state` (include/net/tcp_states.h).
pub const TCP_ESTABLISHED: u8 = 1;
pub const TCP_SYN_SENT: u8 = 2;
pub const TCP_TIME_WAIT: u8 = 6;
pub const TCP_CLOSE: u8 = 7;
pub const TCP_CLOSE_WAIT: u8 = 8;
pub const TCP_LISTEN: u8 = 10;

// glibc functions the libc crate does not declare for Linux.
unsafe extern "C" {
    pub fn inet_pton(af: libc::c_int, src: *const libc::c_char, dst: *mut libc::c_void) -> libc::c_int;
    pub fn inet_ntop(
        af: libc::c_int,
        src: *const libc::c_void,
        dst: *mut libc::c_char,
        size: libc::socklen_t,
    ) -> *const libc::c_char;
    pub fn inet_aton(cp: *const libc::c_char, inp: *mut libc::in_addr) -> libc::c_int;
}

/// The address family a claim is checked with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn af(self) -> libc::c_int {
        match self {
            Family::V4 => libc::AF_INET,
            Family::V6 => libc::AF_INET6,
        }
    }

    /// The loopback address (127.0.0.1 or ::1) with `port`.
    pub fn loopback(self, port: u16) -> SockAddr {
        match self {
            Family::V4 => SockAddr::v4([127, 0, 0, 1], port),
            Family::V6 => SockAddr::v6(V6_LOOPBACK, port),
        }
    }

    /// The wildcard address (0.0.0.0 or ::) with `port`.
    pub fn any(self, port: u16) -> SockAddr {
        match self {
            Family::V4 => SockAddr::v4([0; 4], port),
            Family::V6 => SockAddr::v6([0; 16], port),
        }
    }

    /// Gate: this family can be used on loopback here. IPv6 may be compiled out, disabled
    /// (`ipv6.disable=1`, `disable_ipv6` sysctl) or lack ::1 in a container.
    pub fn available(self) -> Result<(), String> {
        if self == Family::V4 {
            return Ok(());
        }
        let fd = match socket_raw(libc::AF_INET6, libc::SOCK_DGRAM, 0) {
            Ok(fd) => fd,
            Err(e) => return Err(format!("IPv6 is not available here: socket(AF_INET6) fails with {e}")),
        };
        match bind(&fd, &Family::V6.loopback(0)) {
            Ok(()) => Ok(()),
            Err(e) => Err(format!("IPv6 loopback is not usable here: bind([::1]:0) fails with {e}")),
        }
    }
}

/// ::1
pub const V6_LOOPBACK: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// ::ffff:a.b.c.d
pub fn v4_mapped(ip: [u8; 4]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[10] = 0xff;
    a[11] = 0xff;
    a[12..].copy_from_slice(&ip);
    a
}

/// The transport a claim is checked with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn socktype(self) -> libc::c_int {
        match self {
            Proto::Tcp => libc::SOCK_STREAM,
            Proto::Udp => libc::SOCK_DGRAM,
        }
    }
}

/// A socket address as the kernel reads and writes it (a `sockaddr_storage` and a length).
#[derive(Clone, Copy)]
pub struct SockAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl SockAddr {
    /// An empty address of full size, to be filled by the kernel.
    pub fn empty() -> SockAddr {
        // SAFETY: sockaddr_storage is plain data; all zeroes is a valid (AF_UNSPEC) value.
        SockAddr { storage: unsafe { std::mem::zeroed() }, len: std::mem::size_of::<libc::sockaddr_storage>() as _ }
    }

    pub fn v4(ip: [u8; 4], port: u16) -> SockAddr {
        let mut a = SockAddr::empty();
        // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
        let sin = unsafe { &mut *(&mut a.storage as *mut _ as *mut libc::sockaddr_in) };
        sin.sin_family = libc::AF_INET as _;
        sin.sin_port = port.to_be();
        sin.sin_addr.s_addr = u32::from_ne_bytes(ip);
        a.len = std::mem::size_of::<libc::sockaddr_in>() as _;
        a
    }

    pub fn v6(ip: [u8; 16], port: u16) -> SockAddr {
        let mut a = SockAddr::empty();
        // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in6.
        let sin6 = unsafe { &mut *(&mut a.storage as *mut _ as *mut libc::sockaddr_in6) };
        sin6.sin6_family = libc::AF_INET6 as _;
        sin6.sin6_port = port.to_be();
        sin6.sin6_addr.s6_addr = ip;
        a.len = std::mem::size_of::<libc::sockaddr_in6>() as _;
        a
    }

    /// An address of family AF_UNSPEC (for dissolving a UDP association).
    pub fn unspec() -> SockAddr {
        let mut a = SockAddr::empty();
        a.storage.ss_family = libc::AF_UNSPEC as _;
        a.len = std::mem::size_of::<libc::sockaddr>() as _;
        a
    }

    /// A copy of the raw bytes of a `sockaddr` the kernel or libc produced.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes.
    pub unsafe fn from_raw(ptr: *const libc::sockaddr, len: libc::socklen_t) -> SockAddr {
        let mut a = SockAddr::empty();
        let n = (len as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
        // SAFETY: the caller guarantees `len` readable bytes; we copy at most our size.
        unsafe { std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), &mut a.storage as *mut _ as *mut u8, n) };
        a.len = len;
        a
    }

    pub fn family(&self) -> libc::c_int {
        self.storage.ss_family as libc::c_int
    }

    pub fn len(&self) -> libc::socklen_t {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_ptr(&self) -> *const libc::sockaddr {
        &self.storage as *const _ as *const libc::sockaddr
    }

    pub fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        &mut self.storage as *mut _ as *mut libc::sockaddr
    }

    pub fn len_mut(&mut self) -> &mut libc::socklen_t {
        &mut self.len
    }

    /// The first `len` bytes, exactly as they are in memory.
    pub fn raw_bytes(&self) -> &[u8] {
        let n = (self.len as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
        // SAFETY: the storage is at least `n` bytes long.
        unsafe { std::slice::from_raw_parts(&self.storage as *const _ as *const u8, n) }
    }

    /// The port in host byte order.
    pub fn port(&self) -> u16 {
        let b = self.raw_bytes();
        u16::from_be_bytes([b[2], b[3]])
    }

    /// The same address with another port.
    pub fn with_port(&self, port: u16) -> SockAddr {
        let mut a = *self;
        let p = port.to_be_bytes();
        // SAFETY: the port is at offset 2 in both sockaddr_in and sockaddr_in6.
        let bytes = unsafe { std::slice::from_raw_parts_mut(&mut a.storage as *mut _ as *mut u8, 4) };
        bytes[2] = p[0];
        bytes[3] = p[1];
        a
    }

    /// The address bytes (4 for AF_INET, 16 for AF_INET6) in network order.
    pub fn ip(&self) -> Vec<u8> {
        let b = self.raw_bytes();
        match self.family() {
            libc::AF_INET => b[4..8].to_vec(),
            libc::AF_INET6 => b[8..24].to_vec(),
            f => panic!("address of family {f} has no IP"),
        }
    }
}

impl PartialEq for SockAddr {
    fn eq(&self, other: &Self) -> bool {
        self.family() == other.family() && self.ip() == other.ip() && self.port() == other.port()
    }
}

impl fmt::Debug for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family() {
            libc::AF_INET => {
                let ip = self.ip();
                write!(f, "{}.{}.{}.{}:{}", ip[0], ip[1], ip[2], ip[3], self.port())
            }
            libc::AF_INET6 => {
                let ip: [u8; 16] = self.ip().try_into().unwrap();
                write!(f, "[{}]:{}", std::net::Ipv6Addr::from(ip), self.port())
            }
            other => write!(f, "<family {other}, {} bytes>", self.len),
        }
    }
}

/// socket(2) with SOCK_CLOEXEC; the exact errno on failure.
pub fn socket_raw(domain: libc::c_int, ty: libc::c_int, proto: libc::c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: plain socket(2); the fd is owned by the result.
    let fd = sys(unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, proto) })?;
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A new socket of `fam`/`proto`; panics if it cannot be created.
pub fn socket(fam: Family, proto: Proto) -> OwnedFd {
    socket_raw(fam.af(), proto.socktype(), 0).unwrap_or_else(|e| panic!("socket({fam:?}, {proto:?}): {e}"))
}

pub fn bind(fd: &impl AsRawFd, addr: &SockAddr) -> Result<(), Errno> {
    // SAFETY: a valid address of the given length.
    sys(unsafe { libc::bind(fd.as_raw_fd(), addr.as_ptr(), addr.len()) }).map(drop)
}

pub fn connect(fd: &impl AsRawFd, addr: &SockAddr) -> Result<(), Errno> {
    // SAFETY: a valid address of the given length.
    sys(unsafe { libc::connect(fd.as_raw_fd(), addr.as_ptr(), addr.len()) }).map(drop)
}

pub fn listen(fd: &impl AsRawFd, backlog: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain listen(2).
    sys(unsafe { libc::listen(fd.as_raw_fd(), backlog) }).map(drop)
}

/// accept4(2) with SOCK_CLOEXEC, without waiting first (see [`accept_ready`]).
pub fn accept_now(fd: &impl AsRawFd) -> Result<(OwnedFd, SockAddr), Errno> {
    let mut peer = SockAddr::empty();
    // SAFETY: the address buffer and its length live for the call.
    let c = sys(unsafe { libc::accept4(fd.as_raw_fd(), peer.as_mut_ptr(), peer.len_mut(), libc::SOCK_CLOEXEC) })?;
    Ok((unsafe { OwnedFd::from_raw_fd(c) }, peer))
}

/// Wait (bounded) until a connection is queued on the listener, then accept it.
#[track_caller]
pub fn accept_ready(fd: &impl AsRawFd) -> (OwnedFd, SockAddr) {
    wait_for(fd, libc::POLLIN, "a connection in the accept queue");
    accept_now(fd).unwrap_or_else(|e| panic!("accept after POLLIN: {e}"))
}

/// getsockname(2).
pub fn local_addr(fd: &impl AsRawFd) -> SockAddr {
    let mut a = SockAddr::empty();
    // SAFETY: the address buffer and its length live for the call.
    sys(unsafe { libc::getsockname(fd.as_raw_fd(), a.as_mut_ptr(), a.len_mut()) }).expect("getsockname");
    a
}

/// getpeername(2).
pub fn peer_addr(fd: &impl AsRawFd) -> Result<SockAddr, Errno> {
    let mut a = SockAddr::empty();
    // SAFETY: the address buffer and its length live for the call.
    sys(unsafe { libc::getpeername(fd.as_raw_fd(), a.as_mut_ptr(), a.len_mut()) })?;
    Ok(a)
}

pub fn send(fd: &impl AsRawFd, buf: &[u8], flags: libc::c_int) -> Result<usize, Errno> {
    // SAFETY: sending from our own buffer.
    sys_size(unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags) })
}

pub fn send_to(fd: &impl AsRawFd, buf: &[u8], flags: libc::c_int, to: &SockAddr) -> Result<usize, Errno> {
    // SAFETY: sending from our own buffer to a valid address.
    sys_size(unsafe { libc::sendto(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags, to.as_ptr(), to.len()) })
}

pub fn recv(fd: &impl AsRawFd, buf: &mut [u8], flags: libc::c_int) -> Result<usize, Errno> {
    // SAFETY: receiving into our own buffer.
    sys_size(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) })
}

pub fn recv_from(fd: &impl AsRawFd, buf: &mut [u8], flags: libc::c_int) -> Result<(usize, SockAddr), Errno> {
    let mut from = SockAddr::empty();
    // SAFETY: receiving into our own buffers.
    let n = sys_size(unsafe {
        libc::recvfrom(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags, from.as_mut_ptr(), from.len_mut())
    })?;
    Ok((n, from))
}

/// recvmsg(2) into one buffer; returns (bytes, msg_flags).
pub fn recv_msg(fd: &impl AsRawFd, buf: &mut [u8], flags: libc::c_int) -> Result<(usize, libc::c_int), Errno> {
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: a zeroed msghdr with one iovec that lives for the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    let n = sys_size(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) })?;
    Ok((n, msg.msg_flags))
}

/// Wait (bounded by the default deadline) until `fd` is ready for `events`; recv it.
#[track_caller]
pub fn recv_ready(fd: &impl AsRawFd, buf: &mut [u8], flags: libc::c_int) -> Result<usize, Errno> {
    wait_for(fd, libc::POLLIN, "readable data");
    recv(fd, buf, flags | libc::MSG_DONTWAIT)
}

/// [`recv_ready`] with the sender's address.
#[track_caller]
pub fn recv_from_ready(fd: &impl AsRawFd, buf: &mut [u8]) -> (usize, SockAddr) {
    wait_for(fd, libc::POLLIN, "a datagram");
    recv_from(fd, buf, libc::MSG_DONTWAIT).unwrap_or_else(|e| panic!("recvfrom after POLLIN: {e}"))
}

/// Read until EOF (each read bounded) and return everything.
#[track_caller]
pub fn read_to_eof(fd: &impl AsRawFd) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match recv_ready(fd, &mut buf, 0) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(Errno::EAGAIN) => continue,
            Err(e) => panic!("read until EOF: {e} after {} bytes", all.len()),
        }
    }
}

/// Read exactly `n` bytes (each read bounded).
#[track_caller]
pub fn read_exact(fd: &impl AsRawFd, n: usize) -> Vec<u8> {
    let mut all = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match recv_ready(fd, &mut all[got..], 0) {
            Ok(0) => panic!("EOF after {got} of {n} bytes"),
            Ok(k) => got += k,
            Err(Errno::EAGAIN) => continue,
            Err(e) => panic!("read {n} bytes: {e} after {got}"),
        }
    }
    all
}

/// poll(2) one descriptor for `events` for at most `limit` (scaled); the revents (0 when
/// the wait timed out).
pub fn poll_one(fd: &impl AsRawFd, events: libc::c_short, limit: Duration) -> libc::c_short {
    let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
    let ms = fixtures::deadline::poll_ms(limit);
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r >= 0 {
            return pfd.revents;
        }
        if Errno::last() != Errno::EINTR {
            panic!("poll: {}", Errno::last());
        }
    }
}

/// Wait (bounded by the default deadline) until `fd` reports one of `events` (or an
/// error/hangup); panics naming `what` at the deadline. Returns the revents.
#[track_caller]
pub fn wait_for(fd: &impl AsRawFd, events: libc::c_short, what: &str) -> libc::c_short {
    let r = poll_one(fd, events, fixtures::DEFAULT_DEADLINE);
    if r == 0 {
        panic!("waited {:?} for {what} on fd {}", fixtures::scaled(fixtures::DEFAULT_DEADLINE), fd.as_raw_fd());
    }
    r
}

pub fn set_int(fd: &impl AsRawFd, level: libc::c_int, opt: libc::c_int, val: libc::c_int) -> Result<(), Errno> {
    // SAFETY: an int option value that lives for the call.
    sys(unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, opt, (&val as *const libc::c_int).cast(), std::mem::size_of::<libc::c_int>() as _)
    })
    .map(drop)
}

pub fn get_int(fd: &impl AsRawFd, level: libc::c_int, opt: libc::c_int) -> Result<libc::c_int, Errno> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: an int buffer and its length live for the call.
    sys(unsafe { libc::getsockopt(fd.as_raw_fd(), level, opt, (&mut v as *mut libc::c_int).cast(), &mut len) })?;
    assert_eq!(len as usize, std::mem::size_of::<libc::c_int>(), "getsockopt({level}, {opt}) returned {len} bytes");
    Ok(v)
}

/// SO_ERROR: read and clear the pending error (0 when none).
pub fn take_error(fd: &impl AsRawFd) -> libc::c_int {
    get_int(fd, libc::SOL_SOCKET, libc::SO_ERROR).expect("getsockopt(SO_ERROR)")
}

pub fn set_linger(fd: &impl AsRawFd, onoff: bool, secs: libc::c_int) {
    let l = libc::linger { l_onoff: onoff as libc::c_int, l_linger: secs };
    // SAFETY: a linger struct that lives for the call.
    sys(unsafe {
        libc::setsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_LINGER, (&l as *const libc::linger).cast(), std::mem::size_of::<libc::linger>() as _)
    })
    .expect("setsockopt(SO_LINGER)");
}

pub fn set_nonblocking(fd: &impl AsRawFd) {
    // SAFETY: fcntl on our own fd.
    let fl = sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) }).unwrap();
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK) }).unwrap();
}

/// `tcpi_state` from TCP_INFO (the first byte of `struct tcp_info`).
pub fn tcp_state(fd: &impl AsRawFd) -> u8 {
    let mut info = [0u8; 256];
    let mut len = info.len() as libc::socklen_t;
    // SAFETY: a buffer and its length live for the call.
    sys(unsafe { libc::getsockopt(fd.as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_INFO, info.as_mut_ptr().cast(), &mut len) })
        .expect("getsockopt(TCP_INFO)");
    info[0]
}

/// ioctl(fd, request, &int) returning the int.
pub fn ioctl_int(fd: &impl AsRawFd, request: libc::c_ulong) -> Result<libc::c_int, Errno> {
    let mut v: libc::c_int = 0;
    // SAFETY: the request writes one int.
    sys(unsafe { libc::ioctl(fd.as_raw_fd(), request as _, &mut v) })?;
    Ok(v)
}

/// A TCP socket listening on the loopback address of `fam`, port 0; and its address.
pub fn listener(fam: Family) -> (OwnedFd, SockAddr) {
    listener_on(fam.loopback(0), 16)
}

/// A TCP socket listening on `addr` with `backlog`; and the address it got.
pub fn listener_on(addr: SockAddr, backlog: libc::c_int) -> (OwnedFd, SockAddr) {
    let fam = if addr.family() == libc::AF_INET { Family::V4 } else { Family::V6 };
    let l = socket(fam, Proto::Tcp);
    bind(&l, &addr).unwrap_or_else(|e| panic!("bind listener to {addr:?}: {e}"));
    listen(&l, backlog).expect("listen");
    let a = local_addr(&l);
    (l, a)
}

/// A connected TCP pair over loopback: (client, accepted server side).
pub fn tcp_pair(fam: Family) -> (OwnedFd, OwnedFd) {
    let (l, addr) = listener(fam);
    let c = socket(fam, Proto::Tcp);
    connect(&c, &addr).unwrap_or_else(|e| panic!("connect to {addr:?}: {e}"));
    let (s, _) = accept_ready(&l);
    (c, s)
}

/// A UDP socket bound to the loopback address of `fam`, port 0; and its address.
pub fn udp_bound(fam: Family) -> (OwnedFd, SockAddr) {
    let u = socket(fam, Proto::Udp);
    bind(&u, &fam.loopback(0)).expect("bind UDP socket to loopback port 0");
    let a = local_addr(&u);
    (u, a)
}

/// A loopback TCP address nobody listens on, kept so by a socket bound to it that never
/// listens (a SYN to it is answered with RST). Keep the returned socket alive.
pub fn closed_tcp_port(fam: Family) -> (OwnedFd, SockAddr) {
    let keeper = socket(fam, Proto::Tcp);
    bind(&keeper, &fam.loopback(0)).expect("bind port keeper");
    let a = local_addr(&keeper);
    (keeper, a)
}

/// A loopback UDP address with no socket bound to it. The port is kept out of other
/// processes' hands by a socket bound to it on another address: for IPv4 the keeper holds
/// 127.0.0.1:P and the target is 127.0.0.2:P; for IPv6 an IPv4 keeper holds 127.0.0.1:P and
/// the target is [::1]:P (IPv4 sockets never receive IPv6 datagrams).
pub fn closed_udp_port(fam: Family) -> (OwnedFd, SockAddr) {
    let (keeper, a) = udp_bound(Family::V4);
    let target = match fam {
        Family::V4 => SockAddr::v4([127, 0, 0, 2], a.port()),
        Family::V6 => Family::V6.loopback(a.port()),
    };
    (keeper, target)
}

/// /proc/sys/net/ipv4/ip_local_port_range as (low, high).
pub fn ephemeral_range() -> (u16, u16) {
    let s = fixtures::sysctl::read("net/ipv4/ip_local_port_range");
    let mut it = s.split_whitespace().map(|x| x.parse::<u16>().expect("port number"));
    (it.next().unwrap(), it.next().unwrap())
}

/// Skip the test (return) unless `fam` is usable.
#[macro_export]
macro_rules! require_family {
    ($fam:expr) => {
        fixtures::require!($fam.available());
    };
}

/// Private network namespaces, created by a forked child for itself.
pub mod netns {
    use super::*;

    /// unshare a new network namespace (plus a user namespace when not privileged).
    fn unshare_net(extra: libc::c_int) -> Result<(), Errno> {
        let privileged = fixtures::gate::has_cap(fixtures::gate::Cap::SYS_ADMIN);
        let flags = libc::CLONE_NEWNET | extra | if privileged { 0 } else { libc::CLONE_NEWUSER };
        // SAFETY: unshare in a single-threaded child.
        sys(unsafe { libc::unshare(flags) }).map(drop)
    }

    /// Bring the loopback interface of the current network namespace up.
    pub fn loopback_up() -> Result<(), Errno> {
        let s = socket_raw(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
        // SAFETY: a zeroed ifreq naming "lo".
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, s) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
            *d = *s as libc::c_char;
        }
        // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read and write the ifreq.
        sys(unsafe { libc::ioctl(s.as_raw_fd(), libc::SIOCGIFFLAGS as _, &mut ifr) })?;
        unsafe { ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
        sys(unsafe { libc::ioctl(s.as_raw_fd(), libc::SIOCSIFFLAGS as _, &ifr) })?;
        Ok(())
    }

    /// Gate: a child can make a network namespace of its own here (root, or an
    /// unprivileged user where user namespaces are allowed). Probed in a throwaway child.
    pub fn available() -> Result<(), String> {
        let o = fixtures::run_in_child("netns probe", || {
            if let Err(e) = unshare_net(0) {
                fixtures::child::exit_now(e as i32);
            }
            if let Err(e) = loopback_up() {
                fixtures::child::exit_now(200 + (e as i32).min(50));
            }
        });
        match o {
            fixtures::Outcome::Exited(0) => Ok(()),
            fixtures::Outcome::Exited(c) if c < 200 => {
                Err(format!("cannot create a private network namespace here: unshare fails with {}", Errno::from_raw(c)))
            }
            other => Err(format!("cannot bring loopback up in a private network namespace: probe {other}")),
        }
    }

    /// In a forked child: move into a new, empty network namespace whose loopback is up.
    /// Nothing sent there can leave the machine. Panics on failure (gate with
    /// [`available`] first).
    pub fn enter() {
        unshare_net(0).expect("unshare(CLONE_NEWNET)");
        loopback_up().expect("bring lo up in the private namespace");
    }

    /// In a forked child: a new network *and mount* namespace in which `/etc/hosts` and
    /// `/etc/nsswitch.conf` are replaced by the given files (bind mounts), so that host
    /// name lookups use only these files and cannot reach any DNS server.
    pub fn enter_with_resolver(hosts: &std::path::Path, nsswitch: &std::path::Path) {
        unshare_net(libc::CLONE_NEWNS).expect("unshare(CLONE_NEWNET|CLONE_NEWNS)");
        loopback_up().expect("bring lo up in the private namespace");
        let none: Option<&str> = None;
        nix::mount::mount(none, "/", none, nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE, none)
            .expect("make / private");
        for (src, dst) in [(hosts, "/etc/hosts"), (nsswitch, "/etc/nsswitch.conf")] {
            nix::mount::mount(Some(src), dst, none, nix::mount::MsFlags::MS_BIND, none)
                .unwrap_or_else(|e| panic!("bind {} over {dst}: {e}", src.display()));
        }
    }

    /// Gate for [`enter_with_resolver`]: both files exist (as bind targets) and a child can
    /// create network and mount namespaces.
    pub fn resolver_available() -> Result<(), String> {
        for f in ["/etc/hosts", "/etc/nsswitch.conf"] {
            fixtures::gate::path_exists(f)?;
        }
        let o = fixtures::run_in_child("mount+netns probe", || {
            if let Err(e) = unshare_net(libc::CLONE_NEWNS) {
                fixtures::child::exit_now(e as i32);
            }
            let none: Option<&str> = None;
            if let Err(e) =
                nix::mount::mount(none, "/", none, nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE, none)
            {
                fixtures::child::exit_now(e as i32);
            }
        });
        match o {
            fixtures::Outcome::Exited(0) => Ok(()),
            fixtures::Outcome::Exited(c) => Err(format!(
                "cannot create private network and mount namespaces here: {}",
                Errno::from_raw(c)
            )),
            other => Err(format!("namespace probe {other}")),
        }
    }
}

