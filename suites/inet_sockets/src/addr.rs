//! The address families and transports a claim spans, and the special addresses (ip(7),
//! ipv6(7)).

use fixtures::facility::Availability;
use fixtures::net::SockAddr;

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

    /// Whether this family can be used on loopback here: IPv4 always; IPv6 may be compiled
    /// out, disabled (`ipv6.disable=1`, `disable_ipv6` sysctl) or lack ::1 in a container
    /// ([`fixtures::facility::ipv6`]: `absent` or `blocked`). Tests gate with
    /// `needs!(available(fam.availability()))`.
    pub fn availability(self) -> Availability {
        match self {
            Family::V4 => Availability::Universal,
            Family::V6 => fixtures::facility::ipv6(),
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

    /// IPPROTO_TCP or IPPROTO_UDP.
    pub fn protocol(self) -> libc::c_int {
        match self {
            Proto::Tcp => libc::IPPROTO_TCP,
            Proto::Udp => libc::IPPROTO_UDP,
        }
    }
}
