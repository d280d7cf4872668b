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
//! This library holds the helpers those files share: address families and transports,
//! loopback listeners and pairs, ports nobody listens on, and a private resolver. The
//! socket address type and the socket calls (exact errno) come from [`fixtures::net`],
//! bounded waits from [`fixtures::poll`], reads until EOF from [`fixtures::io`]; they are
//! re-exported here so that every test file has one import.

use std::os::fd::{AsRawFd, OwnedFd};

pub use fixtures::io::{read_exact, read_to_eof};
pub use fixtures::net::{
    SockAddr, accept_ready, bind, connect, getsockopt_int, listen, local_addr, peer_addr, recv,
    recv_from, recv_from_ready, recv_msg, recv_ready, send, send_to, setsockopt_int, so_error,
};
pub use fixtures::poll::{revents, wait_for_events};
use fixtures::sys;
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
        let fd = match fixtures::net::socket(libc::AF_INET6, libc::SOCK_DGRAM, 0) {
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

/// A new socket of `fam`/`proto`; panics if it cannot be created.
pub fn socket(fam: Family, proto: Proto) -> OwnedFd {
    fixtures::net::socket(fam.af(), proto.socktype(), 0).unwrap_or_else(|e| panic!("socket({fam:?}, {proto:?}): {e}"))
}

pub fn set_linger(fd: &impl AsRawFd, onoff: bool, secs: libc::c_int) {
    let l = libc::linger { l_onoff: onoff as libc::c_int, l_linger: secs };
    // SAFETY: a linger struct that lives for the call.
    sys(unsafe {
        libc::setsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_LINGER, (&l as *const libc::linger).cast(), std::mem::size_of::<libc::linger>() as _)
    })
    .expect("setsockopt(SO_LINGER)");
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
    fixtures::net::listener(&addr, backlog, 0)
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

/// A private resolver: network and mount namespaces of a child's own, in which the host
/// name lookup files are replaced.
pub mod netns {
    use std::path::Path;

    use fixtures::ns::{bind_mount, enter_mount_ns, loopback_up, probe};

    /// In a forked child: a new network *and mount* namespace in which `/etc/hosts` and
    /// `/etc/nsswitch.conf` are replaced by the given files (bind mounts), so that host
    /// name lookups use only these files and cannot reach any DNS server.
    pub fn enter_with_resolver(hosts: &Path, nsswitch: &Path) {
        enter_mount_ns(libc::CLONE_NEWNET).unwrap_or_else(|(step, e)| panic!("{step}: {e}"));
        loopback_up().expect("bring lo up in the private namespace");
        for (src, dst) in [(hosts, "/etc/hosts"), (nsswitch, "/etc/nsswitch.conf")] {
            bind_mount(src, Path::new(dst)).unwrap_or_else(|e| panic!("bind {} over {dst}: {e}", src.display()));
        }
    }

    /// Gate for [`enter_with_resolver`]: both files exist (as bind targets) and a child can
    /// create network and mount namespaces.
    pub fn resolver_available() -> Result<(), String> {
        for f in ["/etc/hosts", "/etc/nsswitch.conf"] {
            fixtures::gate::path_exists(f)?;
        }
        probe("private network and mount namespaces", || enter_mount_ns(libc::CLONE_NEWNET))
    }
}
