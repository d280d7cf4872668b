//! Socket-level (SOL_SOCKET) options added or restricted since Linux 5.10, asked of AF_UNIX
//! sockets: generic options that the socket layer accepts on any family (busy polling, the
//! network namespace cookie, buffer locks, receive marks and priorities, timestamping flags)
//! and the inet-only ones AF_UNIX now refuses (SO_REUSEPORT, SO_TXREHASH, SO_RESERVE_MEM).
//! Most are not in man-pages 6.03; socket(7) of man-pages 6.20 documents some. Each test
//! asserts the new answer where the kernel has the change and the old one (usually
//! ENOPROTOOPT, "the option is unknown at the level indicated", setsockopt(2)) where it has
//! not, and reports which it saw.

use fixtures::cases::socket_types;
use fixtures::caps::drop_effective;
use fixtures::gate::{Cap, has_cap, kernel_and_patch};
use fixtures::net::{SockType, getsockopt_int, setsockopt_int, so_rcvmark_as_nobody};
use fixtures::privilege::drop_to_nobody;
use fixtures::uapi::{
    SO_BUF_LOCK, SO_BUSY_POLL_BUDGET, SO_NETNS_COOKIE, SO_PREFER_BUSY_POLL, SO_RCVMARK, SO_RCVPRIORITY, SO_RESERVE_MEM, SO_TXREHASH,
    SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK, SOF_TIMESTAMPING_BIND_PHC, SOF_TIMESTAMPING_OPT_ID, SOF_TIMESTAMPING_OPT_ID_TCP,
    SOF_TIMESTAMPING_OPT_RX_FILTER, SOF_TIMESTAMPING_TX_COMPLETION,
};
use fixtures::{assert_errno, kernel_at_least, kernel_version, run_in_child, variant};
use libc::c_int;
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::{parallel, serial};
use unix_sockets::calls::{getsockopt_bytes, socketpair};

/// SO_REUSEPORT is for inet sockets: since commit 5b0af621c3f6 ("net: restrict SO_REUSEPORT
/// to inet sockets", 6.13; stable 6.1.124 and 6.12.9 by Debian's changelogs; not 5.10)
/// setsockopt(2) on an AF_UNIX socket fails EOPNOTSUPP (variant `refused`). Before, the
/// socket layer accepted the flag on any socket, where it meant nothing (variant `accepted`,
/// lacking). socket(7) says only "For TCP sockets ... For UDP sockets". Decided from the
/// answer and checked against where the fix is.
///
/// Kernel change: 6.13, commit 5b0af621c3f6 — setsockopt(SO_REUSEPORT) on an AF_UNIX socket fails EOPNOTSUPP instead of being accepted (stable 6.1.124, 6.12.9).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_reuseport_on_af_unix_fails_eopnotsupp(#[case] ty: SockType) {
    let (a, _b) = socketpair(ty, 0);
    let fix = fixtures::gate::has_fix((6, 13), &[(6, 1, 124), (6, 12, 9)], &[(5, 10)]);
    let k = kernel_and_patch();
    match setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1) {
        Err(Errno::EOPNOTSUPP) => {
            assert_eq!(fix, Some(true), "SO_REUSEPORT refused on {k}, which has no known fix");
            variant::observed("refused", format_args!("SO_REUSEPORT is for inet sockets only; {k}"));
        }
        Ok(()) => {
            assert_eq!(fix, Some(false), "SO_REUSEPORT accepted on {k}, which has the fix");
            variant::lacking("accepted", format_args!("SO_REUSEPORT accepted on AF_UNIX; {k}"));
            assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, libc::SO_REUSEPORT), Ok(1));
        }
        Err(e) => panic!("setsockopt(SO_REUSEPORT) on AF_UNIX, {k}: {e}"),
    }
}

/// Whether the busy-polling options (5.11) are here: the kernel is 5.11 or later and its
/// configuration (where readable) has CONFIG_NET_RX_BUSY_POLL, which compiles them in
/// (net/core/sock.c). Reports `present` or `absent`.
fn busy_poll_options() -> bool {
    variant::since_configured(5, 11, "SO_PREFER_BUSY_POLL and SO_BUSY_POLL_BUDGET", "CONFIG_NET_RX_BUSY_POLL")
}

/// SO_PREFER_BUSY_POLL (socket(7) of man-pages 6.20: "SO_PREFER_BUSY_POLL (since Linux
/// 5.11)"; net/core/sock.c): any socket takes it; turning it on needs CAP_NET_ADMIN (EPERM
/// without), turning it off does not, and it reads back as set. Checked on AF_UNIX, in a
/// child that has dropped to nobody as well as (with the capability) in the test process.
/// Before 5.11 (or without CONFIG_NET_RX_BUSY_POLL) the option is unknown: ENOPROTOOPT
/// (variant `absent`).
///
/// Kernel change: 5.11 — SO_PREFER_BUSY_POLL exists (turning it on needs CAP_NET_ADMIN; ENOPROTOOPT before).
#[test]
#[serial]
fn so_prefer_busy_poll_needs_cap_net_admin_to_turn_on() {
    let (a, _b) = socketpair(SockType::Stream, 0);
    if !busy_poll_options() {
        assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL, 1), Errno::ENOPROTOOPT);
        return;
    }
    // variant: none — the capability decides which of the two documented answers is asserted.
    if has_cap(Cap::NET_ADMIN) {
        assert_eq!(setsockopt_int(&a, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL, 1), Ok(()));
        assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL), Ok(1));
    }
    run_in_child("nobody", || {
        drop_to_nobody();
        let (c, _d) = socketpair(SockType::Stream, 0);
        assert_errno!(setsockopt_int(&c, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL, 1), Errno::EPERM);
        assert_eq!(setsockopt_int(&c, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL, 0), Ok(()));
        assert_eq!(getsockopt_int(&c, libc::SOL_SOCKET, SO_PREFER_BUSY_POLL), Ok(0));
    })
    .expect_success();
}

/// SO_BUSY_POLL_BUDGET (socket(7) of man-pages 6.20, since Linux 5.11; net/core/sock.c): the
/// budget starts at 0; raising it above the current value needs CAP_NET_ADMIN (EPERM
/// without), lowering or keeping it does not; a value outside 0..=65535 fails EINVAL. The
/// option is write-only (getsockopt(2): ENOPROTOOPT). Before 5.11 (or without
/// CONFIG_NET_RX_BUSY_POLL) setsockopt(2) fails ENOPROTOOPT too (variant `absent`).
///
/// Kernel change: 5.11 — SO_BUSY_POLL_BUDGET exists (raising it needs CAP_NET_ADMIN, above 65535 EINVAL; ENOPROTOOPT before).
#[test]
#[serial]
fn so_busy_poll_budget_needs_cap_net_admin_to_raise() {
    let (a, _b) = socketpair(SockType::Stream, 0);
    if !busy_poll_options() {
        assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 8), Errno::ENOPROTOOPT);
        return;
    }
    assert_errno!(getsockopt_int(&a, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET), Errno::ENOPROTOOPT, "write-only");
    // variant: none — the capability decides which of the two documented answers is asserted.
    if has_cap(Cap::NET_ADMIN) {
        assert_eq!(setsockopt_int(&a, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 8), Ok(()));
        assert_eq!(setsockopt_int(&a, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 4), Ok(()), "lowering it");
        assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 65536), Errno::EINVAL);
    }
    run_in_child("nobody", || {
        drop_to_nobody();
        let (c, _d) = socketpair(SockType::Stream, 0);
        assert_errno!(setsockopt_int(&c, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 8), Errno::EPERM);
        assert_eq!(setsockopt_int(&c, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, 0), Ok(()), "keeping it is allowed");
        assert_errno!(setsockopt_int(&c, libc::SOL_SOCKET, SO_BUSY_POLL_BUDGET, -1), Errno::EINVAL);
    })
    .expect_success();
}

/// SO_NETNS_COOKIE (commit e8b9eab99232, "net: retrieve netns cookie via getsocketopt",
/// 5.14; socket(7) of man-pages 6.20): getsockopt(2) with an 8-byte buffer returns the
/// 64-bit cookie of the socket's network namespace — nonzero, the same for every socket of
/// the namespace; a buffer of another size fails EINVAL; the option is read-only
/// (setsockopt(2): ENOPROTOOPT). Before 5.14 getsockopt(2) fails ENOPROTOOPT too (variant
/// `absent`).
///
/// Kernel change: 5.14, commit e8b9eab99232 — getsockopt(SO_NETNS_COOKIE) returns the 64-bit cookie of the socket's network namespace (ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_netns_cookie_identifies_the_network_namespace(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let got = getsockopt_bytes(&a, libc::SOL_SOCKET, SO_NETNS_COOKIE, 8);
    assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, SO_NETNS_COOKIE, 1), Errno::ENOPROTOOPT, "read-only");
    if !variant::since(5, 14, "SO_NETNS_COOKIE") {
        assert_eq!(got.result, Err(Errno::ENOPROTOOPT));
        return;
    }
    assert_eq!((got.result, got.optlen), (Ok(()), 8));
    let cookie = u64::from_ne_bytes(got.bytes[..8].try_into().unwrap());
    assert_ne!(cookie, 0);
    let other = getsockopt_bytes(&b, libc::SOL_SOCKET, SO_NETNS_COOKIE, 8);
    assert_eq!(other.bytes, got.bytes, "one namespace, one cookie");
    assert_eq!(getsockopt_bytes(&a, libc::SOL_SOCKET, SO_NETNS_COOKIE, 4).result, Err(Errno::EINVAL));
}

/// SO_BUF_LOCK (socket(7) of man-pages 6.20, "since Linux 5.14"): the buffer-size locks
/// SOCK_SNDBUF_LOCK (1) and SOCK_RCVBUF_LOCK (2) that setting SO_SNDBUF / SO_RCVBUF takes.
/// A new socket reads 0; after SO_SNDBUF 1, after SO_RCVBUF too 3; it can be set to any
/// combination of the two bits (0..=3) and any other value fails EINVAL. Before 5.14:
/// ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 5.14 — SO_BUF_LOCK reads and sets the SO_SNDBUF/SO_RCVBUF locks (ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_buf_lock_shows_the_locks_that_setting_a_buffer_size_takes(#[case] ty: SockType) {
    let (a, _b) = socketpair(ty, 0);
    if !variant::since(5, 14, "SO_BUF_LOCK") {
        assert_errno!(getsockopt_int(&a, libc::SOL_SOCKET, SO_BUF_LOCK), Errno::ENOPROTOOPT);
        assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, SO_BUF_LOCK, 0), Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(0));
    setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_SNDBUF, 65536).unwrap();
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(SOCK_SNDBUF_LOCK));
    setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_RCVBUF, 65536).unwrap();
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK));
    assert_eq!(setsockopt_int(&a, libc::SOL_SOCKET, SO_BUF_LOCK, SOCK_RCVBUF_LOCK), Ok(()));
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, SO_BUF_LOCK), Ok(SOCK_RCVBUF_LOCK));
    assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, SO_BUF_LOCK, 4), Errno::EINVAL);
}

/// SO_RESERVE_MEM (commit 2bb2f5fb21b0, "net: add new socket option SO_RESERVE_MEM", 5.16):
/// reserves memory for a socket's use from its memory cgroup. AF_UNIX sockets have no memory
/// accounting (their protocol has no memory_allocated counter), so a reservation is refused
/// EOPNOTSUPP whatever the cgroup setup, and the reservation reads back 0. Before 5.16 the
/// option is unknown: ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 5.16, commit 2bb2f5fb21b0 — SO_RESERVE_MEM exists; on AF_UNIX a reservation fails EOPNOTSUPP (ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_reserve_mem_on_af_unix_fails_eopnotsupp(#[case] ty: SockType) {
    let (a, _b) = socketpair(ty, 0);
    let set = setsockopt_int(&a, libc::SOL_SOCKET, SO_RESERVE_MEM, 4096);
    if !variant::since(5, 16, "SO_RESERVE_MEM") {
        assert_errno!(set, Errno::ENOPROTOOPT);
        return;
    }
    assert_errno!(set, Errno::EOPNOTSUPP);
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, SO_RESERVE_MEM), Ok(0));
}

/// SO_RESERVE_MEM restricted to TCP: "net: restrict SO_RESERVE_MEM to TCP sockets and cap
/// max value" (commit not verified) refuses the option on any other socket before it looks at
/// the value: on AF_UNIX even a negative reservation fails EOPNOTSUPP (variant `tcp-only`).
/// Without it the value is checked first and a negative one fails EINVAL (setsockopt(2)
/// EINVAL; variant `any-socket`, lacking the restriction); a positive one fails EOPNOTSUPP on
/// AF_UNIX either way (no memory accounting, see above). Before 5.16 the option is unknown
/// (setsockopt(2): ENOPROTOOPT, variant `absent`). Which release carries the restriction is
/// not known: an earlier reading of the stable logs put it in 7.3 and in 6.12.113, 6.18.56
/// and 7.2.10, but Debian's 6.12.118, 7.2.12, 7.2.13 and 7.3~rc7 all still check the value
/// first (matrix of 2026-12-07; docs/findings.md). So the variant is decided from the answer
/// alone, and any other answer fails; the matrix shows the first kernel that has it.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_reserve_mem_is_refused_on_af_unix_before_its_value_is_checked(#[case] ty: SockType) {
    let (a, _b) = socketpair(ty, 0);
    let set = setsockopt_int(&a, libc::SOL_SOCKET, SO_RESERVE_MEM, -1);
    let k = kernel_and_patch();
    if !kernel_at_least(5, 16) {
        variant::absent(format_args!("SO_RESERVE_MEM was added in 5.16; {k}"));
        assert_errno!(set, Errno::ENOPROTOOPT);
        return;
    }
    match set {
        Err(Errno::EOPNOTSUPP) => {
            variant::observed("tcp-only", format_args!("SO_RESERVE_MEM is refused on AF_UNIX whatever the value; {k}"));
        }
        Err(Errno::EINVAL) => {
            variant::lacking("any-socket", format_args!("SO_RESERVE_MEM checks the value before the socket; {k}"));
        }
        other => panic!("setsockopt(SO_RESERVE_MEM, -1) on AF_UNIX, {k}: {other:?}"),
    }
}

/// SO_TXREHASH (added in 5.18 for every socket: values -1, 0, 1, else EINVAL; a new AF_UNIX
/// socket reads 0 — <linux/socket.h>'s SOCK_TXREHASH_DEFAULT, 255, is what an inet socket
/// starts with) is restricted to TCP since commit ae4f2f59e1f9 (6.16):
/// on AF_UNIX setsockopt(2) and getsockopt(2) fail EOPNOTSUPP (variant `refused`). On
/// 5.18–6.15 AF_UNIX takes it as any socket did (variant `accepted`, lacking the
/// restriction); before 5.18 the option is unknown (ENOPROTOOPT, variant `absent`).
///
/// Kernel change: 6.16, commit ae4f2f59e1f9 — SO_TXREHASH on an AF_UNIX socket fails EOPNOTSUPP (accepted on 5.18–6.15, ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_txrehash_on_af_unix_fails_eopnotsupp(#[case] ty: SockType) {
    let (a, _b) = socketpair(ty, 0);
    let set = setsockopt_int(&a, libc::SOL_SOCKET, SO_TXREHASH, 1);
    let v = kernel_version();
    if kernel_at_least(6, 16) {
        variant::observed("refused", format_args!("SO_TXREHASH is for TCP only since 6.16; kernel {v}"));
        assert_errno!(set, Errno::EOPNOTSUPP);
        assert_errno!(getsockopt_int(&a, libc::SOL_SOCKET, SO_TXREHASH), Errno::EOPNOTSUPP);
    } else if kernel_at_least(5, 18) {
        variant::lacking("accepted", format_args!("SO_TXREHASH (5.18) is accepted on any socket before 6.16; kernel {v}"));
        assert_eq!(set, Ok(()));
        assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, SO_TXREHASH), Ok(1));
        assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, SO_TXREHASH, 2), Errno::EINVAL);
        let (fresh, _) = socketpair(ty, 0);
        assert_eq!(getsockopt_int(&fresh, libc::SOL_SOCKET, SO_TXREHASH), Ok(0), "not SOCK_TXREHASH_DEFAULT");
    } else {
        variant::absent(format_args!("SO_TXREHASH was added in 5.18; kernel {v}"));
        assert_errno!(set, Errno::ENOPROTOOPT);
    }
}

/// SO_RCVMARK (added for 5.19, not in man-pages 6.20's socket(7) text): a boolean socket
/// flag asking for the SO_MARK of received packets as a control message; the socket layer
/// takes it on any socket, AF_UNIX included, and it reads back as set. Before 5.19:
/// ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 5.19 — SO_RCVMARK exists as a boolean socket flag (ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_rcvmark_is_a_boolean_socket_flag(#[case] ty: SockType) {
    assert_boolean_flag(ty, SO_RCVMARK, (5, 19), "SO_RCVMARK", 7);
}

/// A boolean SOL_SOCKET flag that `since` added (`name`), on a new socket of type `ty`:
/// unknown before (ENOPROTOOPT, variant `absent`); from then on it reads 0, takes `value`
/// (any nonzero int sets it) and reads back 1.
fn assert_boolean_flag(ty: SockType, opt: libc::c_int, since: (u32, u32), name: &str, value: libc::c_int) {
    let (a, _b) = socketpair(ty, 0);
    if !variant::since(since.0, since.1, name) {
        assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, opt, 1), Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, opt), Ok(0), "{name} of a new socket");
    assert_eq!(setsockopt_int(&a, libc::SOL_SOCKET, opt, value), Ok(()), "setting {name} to {value}");
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, opt), Ok(1), "{name} once set");
}

/// Who may set SO_RCVMARK: commit 1f86123b9749 ("net: align SO_RCVMARK required privileges
/// with SO_MARK", 5.19) required CAP_NET_RAW or CAP_NET_ADMIN, and its revert (6.4; stable
/// 6.1.36 and 6.3.10 by Debian's changelogs) lets anyone set it again. A child that has
/// dropped to nobody sets it: success (variant `unprivileged`) or EPERM (variant
/// `privileged`, lacking), decided from the answer and checked against where the revert is.
/// Before 5.19 the option is unknown (ENOPROTOOPT, variant `absent`).
///
/// Kernel change: 6.4, commit 1f86123b9749 — SO_RCVMARK needs no privilege again (the 5.19 CAP_NET_ADMIN/CAP_NET_RAW check reverted; stable 6.1.36, 6.3.10).
#[test]
#[serial]
fn so_rcvmark_needs_no_privilege() {
    so_rcvmark_as_nobody(|| socketpair(SockType::Dgram, 0).0);
}

/// socket(7) of man-pages 6.20, SO_MARK: "Changing the mark requires the CAP_NET_ADMIN or
/// CAP_NET_RAW capability" — CAP_NET_RAW alone is enough since 5.17; before, only
/// CAP_NET_ADMIN was (EPERM with CAP_NET_RAW alone, variant `absent`). A root child drops
/// CAP_NET_ADMIN from its effective set and sets a mark on an AF_UNIX socket (the socket
/// layer takes SO_MARK on any socket): it reads back; once CAP_NET_RAW is dropped too,
/// EPERM on every kernel. Root only.
///
/// Kernel change: 5.17 — setsockopt(SO_MARK) is allowed with CAP_NET_RAW alone (CAP_NET_ADMIN was needed before).
#[test]
#[serial]
fn so_mark_can_be_set_with_cap_net_raw_alone() {
    fixtures::needs!(cap(NET_RAW));
    let since = variant::since(5, 17, "SO_MARK with CAP_NET_RAW");
    run_in_child("CAP_NET_RAW without CAP_NET_ADMIN", || {
        drop_effective(Cap::NET_ADMIN);
        let (a, _b) = socketpair(SockType::Dgram, 0);
        let set = setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_MARK, 5);
        if since {
            assert_eq!(set, Ok(()));
            assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, libc::SO_MARK), Ok(5));
        } else {
            assert_errno!(set, Errno::EPERM);
        }
        drop_effective(Cap::NET_RAW);
        assert_errno!(setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_MARK, 6), Errno::EPERM);
    })
    .expect_success();
}

/// SO_RCVPRIORITY (commit e45469e594b2, "sock: Introduce SO_RCVPRIORITY socket option",
/// 6.14): a boolean socket flag asking for the priority of received packets as a control
/// message; any socket takes it, AF_UNIX included, without privilege, and it reads back as
/// set. Before 6.14: ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 6.14, commit e45469e594b2 — SO_RCVPRIORITY exists as a boolean socket flag (ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_rcvpriority_is_a_boolean_socket_flag(#[case] ty: SockType) {
    assert_boolean_flag(ty, SO_RCVPRIORITY, (6, 14), "SO_RCVPRIORITY", 3);
}

/// SO_TIMESTAMPING flags added since 5.10 (socket(7), SO_TIMESTAMPING; Documentation/
/// networking/timestamping.rst), each accepted on an AF_UNIX socket since the kernel knows
/// it — the socket layer checks the bits for every family; before, the bit is beyond
/// SOF_TIMESTAMPING_MASK and setsockopt(2) fails EINVAL (variant `absent`):
/// - `bind_phc` (5.14): known, but refused EOPNOTSUPP on a socket bound to no device;
/// - `opt_id_tcp` (6.2; with OPT_ID, which it requires): accepted;
/// - `opt_rx_filter` (commit be8e9eb37506, 6.12): accepted;
/// - `tx_completion` (6.15): accepted.
///
/// Kernel change: 5.14 — SOF_TIMESTAMPING_BIND_PHC is a known SO_TIMESTAMPING flag (EINVAL before).
/// Kernel change: 6.2 — SOF_TIMESTAMPING_OPT_ID_TCP is a known SO_TIMESTAMPING flag (EINVAL before).
/// Kernel change: 6.12, commit be8e9eb37506 — SOF_TIMESTAMPING_OPT_RX_FILTER is a known SO_TIMESTAMPING flag (EINVAL before).
/// Kernel change: 6.15 — SOF_TIMESTAMPING_TX_COMPLETION is a known SO_TIMESTAMPING flag (EINVAL before).
#[rstest]
#[parallel]
#[case::bind_phc(SOF_TIMESTAMPING_BIND_PHC, (5, 14), Err(Errno::EOPNOTSUPP))]
#[case::opt_id_tcp(SOF_TIMESTAMPING_OPT_ID_TCP | SOF_TIMESTAMPING_OPT_ID, (6, 2), Ok(()))]
#[case::opt_rx_filter(SOF_TIMESTAMPING_OPT_RX_FILTER, (6, 12), Ok(()))]
#[case::tx_completion(SOF_TIMESTAMPING_TX_COMPLETION, (6, 15), Ok(()))]
fn new_so_timestamping_flags_are_known_on_af_unix(
    #[case] flags: c_int,
    #[case] since: (u32, u32),
    #[case] new: Result<(), Errno>,
) {
    let (a, _b) = socketpair(SockType::Dgram, 0);
    let set = setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_TIMESTAMPING, flags);
    if variant::since(since.0, since.1, &format!("SO_TIMESTAMPING flags {flags:#x}")) {
        assert_eq!(set, new);
        if new.is_ok() {
            assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, libc::SO_TIMESTAMPING), Ok(flags));
        }
    } else {
        assert_errno!(set, Errno::EINVAL);
    }
}
