//! Memory a socket may hold beyond its buffers: memory reserved up front from the memory
//! cgroup (SO_RESERVE_MEM, 5.16) and the per-socket limit on option memory (ancillary data,
//! filters, multicast lists: net.core.optmem_max, whose default grew in 6.8). socket(7)
//! documents neither; the sources are net/core/sock.c and the commits named below.

use fixtures::net::{getsockopt_int, setsockopt_int};
use fixtures::uapi::SO_RESERVE_MEM;
use fixtures::{assert_errno, kernel_at_least, kernel_version, variant};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::socket;
use nix::errno::Errno;

/// The memory cgroup line(s) of /proc/self/cgroup, for a variant's why.
fn cgroup() -> String {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("0::") || l.contains(":memory:")).collect();
    format!("/proc/self/cgroup {}", lines.join(", "))
}

/// SO_RESERVE_MEM (commit 2bb2f5fb21b0, "net: add new socket option SO_RESERVE_MEM", 5.16):
/// reserve `val` bytes, rounded up to whole pages, for the socket's use, charged to the memory
/// cgroup it was created in; the option reads back the reservation, a smaller value gives
/// pages back, and a negative one fails EINVAL. A reservation needs socket memory accounting
/// (sock_reserve_memory(): "if (!mem_cgroup_sockets_enabled || !sk->sk_memcg ||
/// !sk_has_account(sk)) return -EOPNOTSUPP") — a TCP socket made in a non-root memory cgroup
/// of cgroup v2 (or a v1 memory cgroup with kmem.tcp accounting on). With it: 5000 reads
/// back 8192 (two pages), then 4096, then 0 (variant `reserved`). Without it (the root cgroup,
/// a VM without cgroups, cgroup v1 without tcp accounting): EOPNOTSUPP and 0 (variant
/// `unaccounted`, lacking). Before 5.16 the option is unknown: ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 5.16, commit 2bb2f5fb21b0 — SO_RESERVE_MEM reserves socket memory from the memory cgroup (EOPNOTSUPP without socket accounting; ENOPROTOOPT before).
#[test]
fn so_reserve_mem_on_tcp_reserves_whole_pages_from_the_memory_cgroup() {
    let s = socket(Family::V4, Proto::Tcp);
    let set = setsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM, 5000);
    let v = kernel_version();
    if !kernel_at_least(5, 16) {
        variant::absent(format_args!("SO_RESERVE_MEM was added in 5.16; kernel {v}"));
        assert_errno!(set, Errno::ENOPROTOOPT);
        assert_errno!(getsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM), Errno::ENOPROTOOPT);
        return;
    }
    assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM, -1), Errno::EINVAL, "a negative size");
    match set {
        Ok(()) => {
            variant::observed("reserved", format_args!("socket memory is accounted to a memory cgroup here ({}); kernel {v}", cgroup()));
            assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM), Ok(8192), "5000 bytes in whole pages");
            assert_eq!(setsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM, 4096), Ok(()));
            assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM), Ok(4096), "a page given back");
            assert_eq!(setsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM, 0), Ok(()));
            assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM), Ok(0));
        }
        Err(Errno::EOPNOTSUPP) => {
            variant::lacking("unaccounted", format_args!("no socket memory accounting by a memory cgroup here ({}); kernel {v}", cgroup()));
            assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, SO_RESERVE_MEM), Ok(0));
        }
        Err(e) => panic!("setsockopt(SO_RESERVE_MEM, 5000) on TCP, kernel {v}: {e}"),
    }
}

/// SO_RESERVE_MEM (not in socket(7)) restricted to TCP (a 2026 net fix, mainline version not verified; in
/// Debian's 6.12 changelog): where a TCP socket can reserve memory (see the test above), a
/// UDP socket of the same cgroup is refused with EOPNOTSUPP (variant `tcp-only`); before the
/// fix it reserves too (variant `any-socket`, lacking the restriction). Where no socket can
/// reserve (no socket memory accounting) the restriction cannot be seen: SKIP with the lacking
/// variant `unaccounted`. Before 5.16 the option is unknown: ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 7.3 — SO_RESERVE_MEM is refused (EOPNOTSUPP) on sockets other than TCP (version inferred, commit not verified; Debian 6.12 carries it).
#[test]
fn so_reserve_mem_is_refused_on_udp() {
    let udp = socket(Family::V4, Proto::Udp);
    let v = kernel_version();
    let set = setsockopt_int(&udp, libc::SOL_SOCKET, SO_RESERVE_MEM, 4096);
    if !kernel_at_least(5, 16) {
        variant::absent(format_args!("SO_RESERVE_MEM was added in 5.16; kernel {v}"));
        assert_errno!(set, Errno::ENOPROTOOPT);
        return;
    }
    let tcp = socket(Family::V4, Proto::Tcp);
    match (setsockopt_int(&tcp, libc::SOL_SOCKET, SO_RESERVE_MEM, 4096), set) {
        (Ok(()), Err(Errno::EOPNOTSUPP)) => {
            variant::observed("tcp-only", format_args!("TCP reserves, UDP is refused ({}); kernel {v}", cgroup()));
            assert_eq!(getsockopt_int(&udp, libc::SOL_SOCKET, SO_RESERVE_MEM), Ok(0));
        }
        (Ok(()), Ok(())) => {
            variant::lacking("any-socket", format_args!("UDP reserves memory like TCP ({}); kernel {v}", cgroup()));
            assert_eq!(getsockopt_int(&udp, libc::SOL_SOCKET, SO_RESERVE_MEM), Ok(4096));
        }
        (Err(Errno::EOPNOTSUPP), Err(Errno::EOPNOTSUPP)) => {
            variant::lacking("unaccounted", format_args!("no socket memory accounting here ({}); kernel {v}", cgroup()));
            fixtures::skip!("no socket can reserve memory here ({}), so the TCP-only rule cannot be seen", cgroup());
        }
        (tcp, udp) => panic!("SO_RESERVE_MEM 4096: TCP {tcp:?}, UDP {udp:?}, kernel {v}"),
    }
}

/// net.core.optmem_max, "the maximum ancillary buffer size allowed per socket"
/// (Documentation/admin-guide/sysctl/net.rst): its default grew from 20480 to 131072 with
/// commit 4944566706b2 ("net: increase optmem_max default value", 6.8). Read in this
/// process's network namespace, which holds the default here (nothing in the targets tunes
/// it; since 6.8 a new namespace starts from the default too: containers::netns_inet): 131072
/// (variant `128k`) or, before 6.8, 20480 (variant `20k`, lacking).
///
/// Kernel change: 6.8, commit 4944566706b2 — the default net.core.optmem_max is 131072 (20480 before).
#[test]
fn the_default_optmem_max_is_128_kib_since_6_8() {
    fixtures::needs!(path("/proc/sys/net/core/optmem_max"));
    let value = fixtures::sysctl::read_u64("net/core/optmem_max");
    let v = kernel_version();
    if kernel_at_least(6, 8) {
        variant::observed("128k", format_args!("optmem_max defaults to 131072 since 6.8; kernel {v}"));
        assert_eq!(value, 131072);
    } else {
        variant::lacking("20k", format_args!("optmem_max defaulted to 20480 before 6.8; kernel {v}"));
        assert_eq!(value, 20480);
    }
}
