//! Socket-level (SOL_SOCKET) options added or restricted since Linux 5.10, asked of TCP and
//! UDP sockets: busy polling (SO_PREFER_BUSY_POLL, SO_BUSY_POLL_BUDGET), the network
//! namespace cookie (SO_NETNS_COOKIE), the buffer-size locks (SO_BUF_LOCK) and the transmit
//! hash rethink (SO_TXREHASH, TCP only since 6.16). socket(7) of man-pages 6.20 documents
//! some; the rest is net/core/sock.c. Each test asserts the new answer where the kernel has
//! the change and the old one (ENOPROTOOPT, "The option is unknown at the level indicated",
//! getsockopt(2)) where it has not, and reports which it saw.

use fixtures::gate::{Cap, has_cap};
use fixtures::net::{getsockopt_int, setsockopt_int};
use fixtures::privilege::drop_to_nobody;
use fixtures::uapi::{
    SO_BUF_LOCK, SO_BUSY_POLL_BUDGET, SO_NETNS_COOKIE, SO_PREFER_BUSY_POLL, SO_TXREHASH, SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK,
};
use fixtures::{assert_errno, kernel_at_least, kernel_version, run_in_child, variant};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::cases::transports;
use inet_sockets::msg::getsockopt_bytes;
use inet_sockets::sockets::socket;
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;

/// Whether the busy-polling options (5.11) are here: the kernel is 5.11 or later and its
/// configuration (where readable) has CONFIG_NET_RX_BUSY_POLL, which compiles them in
/// (net/core/sock.c). Reports `present` or `absent`.
fn busy_poll_options() -> bool {
    variant::since_configured(5, 11, "SO_PREFER_BUSY_POLL and SO_BUSY_POLL_BUDGET", "CONFIG_NET_RX_BUSY_POLL")
}

/// socket(7) of man-pages 6.20, "SO_PREFER_BUSY_POLL (since Linux 5.11)": prefer busy
/// polling over softirq processing for this socket. Turning it on needs CAP_NET_ADMIN
/// (net/core/sock.c: "if (valbool && !sockopt_capable(CAP_NET_ADMIN)) ret = -EPERM"),
/// turning it off does not; it reads back as set. Checked on TCP and UDP sockets, with the
/// capability in the test process (where it has it) and in a child dropped to nobody. Before
/// 5.11 (or without CONFIG_NET_RX_BUSY_POLL) the option is unknown: ENOPROTOOPT (variant
/// `absent`).
///
/// Kernel change: 5.11 — SO_PREFER_BUSY_POLL exists on inet sockets (turning it on needs CAP_NET_ADMIN; ENOPROTOOPT before).
#[apply(transports)]
fn so_prefer_busy_poll_on_inet_needs_cap_net_admin_to_turn_on(#[case] proto: Proto) {
    let s = socket(Family::V4, proto);
    if !busy_poll_options() {
        assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL, 1), Errno::ENOPROTOOPT);
        assert_errno!(getsockopt_int(&s, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL), Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL), Ok(0));
    // variant: none — the capability decides which of the two documented answers is asserted.
    if has_cap(Cap::NET_ADMIN) {
        assert_eq!(setsockopt_int(&s, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL, 1), Ok(()));
        assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL), Ok(1));
    }
    run_in_child("nobody", || {
        drop_to_nobody();
        let c = socket(Family::V4, proto);
        assert_errno!(setsockopt_int(&c, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL, 1), Errno::EPERM);
        assert_eq!(setsockopt_int(&c, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL, 0), Ok(()));
        assert_eq!(getsockopt_int(&c, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL), Ok(0));
    })
    .expect_success();
}

/// socket(7) of man-pages 6.20, "SO_BUSY_POLL_BUDGET (since Linux 5.11)": the number of
/// packets one busy poll may process. It starts at 0; raising it above the current value
/// needs CAP_NET_ADMIN (EPERM without), lowering or keeping it does not; a value outside
/// 0..=65535 fails EINVAL; it is write-only (getsockopt(2): ENOPROTOOPT). Checked on TCP and
/// UDP, with the capability and as nobody. Before 5.11 (or without CONFIG_NET_RX_BUSY_POLL):
/// ENOPROTOOPT for setsockopt(2) too (variant `absent`).
///
/// Kernel change: 5.11 — SO_BUSY_POLL_BUDGET exists on inet sockets (raising it needs CAP_NET_ADMIN, above 65535 EINVAL; ENOPROTOOPT before).
#[apply(transports)]
fn so_busy_poll_budget_on_inet_needs_cap_net_admin_to_raise(#[case] proto: Proto) {
    let s = socket(Family::V4, proto);
    if !busy_poll_options() {
        assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 8), Errno::ENOPROTOOPT);
        return;
    }
    assert_errno!(getsockopt_int(&s, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET), Errno::ENOPROTOOPT, "write-only");
    // variant: none — the capability decides which of the two documented answers is asserted.
    if has_cap(Cap::NET_ADMIN) {
        assert_eq!(setsockopt_int(&s, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 64), Ok(()));
        assert_eq!(setsockopt_int(&s, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 8), Ok(()), "lowering it");
        assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 65536), Errno::EINVAL);
    }
    run_in_child("nobody", || {
        drop_to_nobody();
        let c = socket(Family::V4, proto);
        assert_errno!(setsockopt_int(&c, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 8), Errno::EPERM);
        assert_eq!(setsockopt_int(&c, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 0), Ok(()), "keeping it is allowed");
        assert_errno!(setsockopt_int(&c, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, -1), Errno::EINVAL);
    })
    .expect_success();
}

/// SO_NETNS_COOKIE (commit e8b9eab99232, "net: retrieve netns cookie via getsocketopt",
/// 5.14; socket(7) of man-pages 6.20): getsockopt(2) with an 8-byte buffer returns the
/// 64-bit cookie of the socket's network namespace: nonzero, and the same for a TCP, a UDP,
/// an IPv6 and an AF_UNIX socket of one namespace (the cookie belongs to the namespace, not
/// to the protocol); another buffer size fails EINVAL; the option is read-only (setsockopt(2):
/// ENOPROTOOPT). Before 5.14 getsockopt(2) fails ENOPROTOOPT too (variant `absent`). (Two
/// namespaces, two cookies: containers::netns_inet.)
///
/// Kernel change: 5.14, commit e8b9eab99232 — getsockopt(SO_NETNS_COOKIE) returns the 64-bit cookie of the socket's network namespace (ENOPROTOOPT before).
#[test]
fn so_netns_cookie_is_the_same_for_every_socket_of_a_namespace() {
    let tcp = socket(Family::V4, Proto::Tcp);
    let (got, len, bytes) = getsockopt_bytes(&tcp, libc::SOL_SOCKET, SO_NETNS_COOKIE, 8);
    assert_errno!(setsockopt_int(&tcp, libc::SOL_SOCKET, SO_NETNS_COOKIE, 1), Errno::ENOPROTOOPT, "read-only");
    if !variant::since(5, 14, "SO_NETNS_COOKIE") {
        assert_eq!(got, Err(Errno::ENOPROTOOPT));
        return;
    }
    assert_eq!((got, len), (Ok(()), 8));
    assert_ne!(u64::from_ne_bytes(bytes[..].try_into().unwrap()), 0, "a namespace cookie is never 0");
    let udp = socket(Family::V4, Proto::Udp);
    assert_eq!(getsockopt_bytes(&udp, libc::SOL_SOCKET, SO_NETNS_COOKIE, 8).2, bytes, "UDP");
    let (unix, _) = fixtures::net::socketpair(libc::SOCK_STREAM).unwrap();
    assert_eq!(getsockopt_bytes(&unix, libc::SOL_SOCKET, SO_NETNS_COOKIE, 8).2, bytes, "AF_UNIX");
    // variant: none — IPv6 is one more socket to compare where it exists.
    if let Ok(v6) = fixtures::net::socket(libc::AF_INET6, libc::SOCK_STREAM, 0) {
        assert_eq!(getsockopt_bytes(&v6, libc::SOL_SOCKET, SO_NETNS_COOKIE, 8).2, bytes, "TCP over IPv6");
    }
    assert_eq!(getsockopt_bytes(&tcp, libc::SOL_SOCKET, SO_NETNS_COOKIE, 4).0, Err(Errno::EINVAL), "a 4-byte buffer");
}

/// socket(7) of man-pages 6.20, "SO_BUF_LOCK (since Linux 5.14)": the buffer-size locks
/// SOCK_SNDBUF_LOCK (1) and SOCK_RCVBUF_LOCK (2) that "the kernel [takes] when
/// SO_SNDBUF/SO_RCVBUF are explicitly set"; a locked size is no longer tuned by TCP. A new
/// TCP or UDP socket reads 0; after SO_SNDBUF 1, after SO_RCVBUF too 3; setting 0..=3
/// replaces both bits, anything else fails EINVAL. Before 5.14: ENOPROTOOPT (variant
/// `absent`).
///
/// Kernel change: 5.14 — SO_BUF_LOCK reads and sets the SO_SNDBUF/SO_RCVBUF locks of inet sockets (ENOPROTOOPT before).
#[apply(transports)]
fn so_buf_lock_on_inet_shows_the_locks_that_setting_a_buffer_size_takes(#[case] proto: Proto) {
    let s = socket(Family::V4, proto);
    if !variant::since(5, 14, "SO_BUF_LOCK") {
        assert_errno!(getsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK), Errno::ENOPROTOOPT);
        assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK, 0), Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(0));
    setsockopt_int(&s, libc::SOL_SOCKET, libc::SO_SNDBUF, 65536).unwrap();
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(SOCK_SNDBUF_LOCK));
    setsockopt_int(&s, libc::SOL_SOCKET, libc::SO_RCVBUF, 65536).unwrap();
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK));
    assert_eq!(setsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK, SOCK_RCVBUF_LOCK), Ok(()));
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(SOCK_RCVBUF_LOCK));
    assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK, 4), Errno::EINVAL);
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(SOCK_RCVBUF_LOCK), "unchanged by the refused value");
}

/// SO_TXREHASH (include/uapi/asm-generic/socket.h, 5.18; net/core/sock.c): whether TCP
/// picks a new flow label / transmit hash after a retransmission timeout — -1 (the
/// net.core.txrehash default), 0 (off) or 1 (on); any other value fails EINVAL (setsockopt(2):
/// "there is an invalid value in optval"). On a TCP
/// socket each of 0 and 1 reads back as set. Before 5.18 the option is unknown: ENOPROTOOPT
/// (variant `absent`).
///
/// Kernel change: 5.18 — SO_TXREHASH exists (values -1, 0, 1; EINVAL otherwise; ENOPROTOOPT before).
#[test]
fn so_txrehash_on_tcp_takes_0_or_1_and_minus_1_for_the_default() {
    let s = socket(Family::V4, Proto::Tcp);
    if !variant::since(5, 18, "SO_TXREHASH") {
        assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH, 1), Errno::ENOPROTOOPT);
        assert_errno!(getsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH), Errno::ENOPROTOOPT);
        return;
    }
    for v in [0, 1, 0] {
        assert_eq!(setsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH, v), Ok(()), "set {v}");
        assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH), Ok(v), "after setting {v}");
    }
    assert_eq!(setsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH, -1), Ok(()), "-1, the default");
    for bad in [2, -2, 255] {
        assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH, bad), Errno::EINVAL, "value {bad}");
    }
}

/// SO_TXREHASH is for TCP only since commit ae4f2f59e1f9 (6.16): on a UDP socket
/// setsockopt(2) and getsockopt(2) fail EOPNOTSUPP (variant `refused`). On 5.18–6.15 the
/// socket layer takes it on any socket, where it means nothing (variant `accepted`, lacking
/// the restriction); before 5.18 the option is unknown (ENOPROTOOPT, variant `absent`).
///
/// Kernel change: 6.16, commit ae4f2f59e1f9 — SO_TXREHASH on a UDP socket fails EOPNOTSUPP (accepted on 5.18–6.15, ENOPROTOOPT before).
#[test]
fn so_txrehash_on_udp_fails_eopnotsupp() {
    let s = socket(Family::V4, Proto::Udp);
    let set = setsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH, 1);
    let v = kernel_version();
    if kernel_at_least(6, 16) {
        variant::observed("refused", format_args!("SO_TXREHASH is for TCP only since 6.16; kernel {v}"));
        assert_errno!(set, Errno::EOPNOTSUPP);
        assert_errno!(getsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH), Errno::EOPNOTSUPP);
    } else if kernel_at_least(5, 18) {
        variant::lacking("accepted", format_args!("SO_TXREHASH (5.18) is taken on any socket before 6.16; kernel {v}"));
        assert_eq!(set, Ok(()));
        assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_TXREHASH), Ok(1));
    } else {
        variant::absent(format_args!("SO_TXREHASH was added in 5.18; kernel {v}"));
        assert_errno!(set, Errno::ENOPROTOOPT);
    }
}
