//! Option numbers, control-message types and flags added to the uapi headers since Linux
//! 5.10 (include/uapi/asm-generic/socket.h, linux/in.h, linux/tcp.h, linux/net_tstamp.h)
//! that the libc crate may lack, and the running kernel described for a variant's why.

use libc::c_int;

// SOL_SOCKET options (asm-generic/socket.h).
pub const SO_PREFER_BUSY_POLL: c_int = 69;
pub const SO_BUSY_POLL_BUDGET: c_int = 70;
pub const SO_NETNS_COOKIE: c_int = 71;
pub const SO_BUF_LOCK: c_int = 72;
pub const SO_RESERVE_MEM: c_int = 73;
pub const SO_TXREHASH: c_int = 74;
pub const SO_RCVMARK: c_int = 75;
/// The SCM_TS_OPT_ID control message (6.13): a timestamp key for one sendmsg(2).
pub const SCM_TS_OPT_ID: c_int = 81;
pub const SO_RCVPRIORITY: c_int = 82;

/// include/uapi/linux/socket.h: the SO_BUF_LOCK bits.
pub const SOCK_SNDBUF_LOCK: c_int = 1;
pub const SOCK_RCVBUF_LOCK: c_int = 2;

// IPPROTO_IP options (linux/in.h).
pub const IP_LOCAL_PORT_RANGE: c_int = 51;
pub const IP_PROTOCOL: c_int = 52;

// IPPROTO_TCP options (linux/tcp.h).
pub const TCP_AO_INFO: c_int = 40;
pub const TCP_IS_MPTCP: c_int = 43;
pub const TCP_RTO_MAX_MS: c_int = 44;
pub const TCP_RTO_MIN_US: c_int = 45;
pub const TCP_DELACK_MAX_US: c_int = 46;

// SO_TIMESTAMPING flags (linux/net_tstamp.h).
pub const SOF_TIMESTAMPING_TX_SOFTWARE: c_int = 1 << 1;
pub const SOF_TIMESTAMPING_SOFTWARE: c_int = 1 << 4;
pub const SOF_TIMESTAMPING_OPT_ID: c_int = 1 << 7;
pub const SOF_TIMESTAMPING_OPT_TSONLY: c_int = 1 << 11;
pub const SOF_TIMESTAMPING_OPT_ID_TCP: c_int = 1 << 16;
pub const SOF_TIMESTAMPING_OPT_RX_FILTER: c_int = 1 << 17;
pub const SOF_TIMESTAMPING_TX_COMPLETION: c_int = 1 << 18;

/// linux/errqueue.h: SO_EE_ORIGIN_TIMESTAMPING, the origin of a timestamp report.
pub const SO_EE_ORIGIN_TIMESTAMPING: u8 = 4;

/// The running kernel and its stable patch level, for the variants' why.
pub fn kernel_and_patch() -> String {
    format!("kernel {} (stable patch level {})", fixtures::kernel_version(), fixtures::gate::stable_patch_level())
}
