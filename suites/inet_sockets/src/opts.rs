//! Option numbers and flags of the inet protocols added to the uapi headers since Linux
//! 5.10 (linux/in.h, linux/tcp.h, linux/errqueue.h) that the libc crate may lack. The
//! SOL_SOCKET options and SO_TIMESTAMPING flags, which the AF_UNIX suite needs too, are in
//! `fixtures::uapi`.

use libc::c_int;

// IPPROTO_IP options (linux/in.h).
pub const IP_LOCAL_PORT_RANGE: c_int = 51;
pub const IP_PROTOCOL: c_int = 52;

// IPPROTO_TCP options (linux/tcp.h).
pub const TCP_AO_INFO: c_int = 40;
pub const TCP_IS_MPTCP: c_int = 43;
pub const TCP_RTO_MAX_MS: c_int = 44;
pub const TCP_RTO_MIN_US: c_int = 45;
pub const TCP_DELACK_MAX_US: c_int = 46;

/// linux/errqueue.h: SO_EE_ORIGIN_TIMESTAMPING, the origin of a timestamp report.
pub const SO_EE_ORIGIN_TIMESTAMPING: u8 = 4;
