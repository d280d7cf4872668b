//! How large the control buffer of a sendmsg(2) may be. The kernel copies a control buffer
//! larger than its on-stack one into memory charged to the socket's option memory, which
//! net.core.optmem_max bounds (socket(7), /proc interfaces: "optmem_max: Maximum length of
//! ancillary data and user control data like the iovecs per socket"); a larger buffer fails
//! ENOBUFS before any message in it is looked at.

use fixtures::net::SockType;
use ancillary::cmsg::{credentials, recvmsg, sendmsg};
use ancillary::socketpair;
use fixtures::{assert_errno, kernel_at_least, kernel_version, spawn, variant};
use nix::errno::Errno;
use serial_test::serial;

/// net.core.optmem_max since 6.8: its default grew from 20480 to 131072 bytes (commit
/// 4944566706b2, "net: increase optmem_max default value") and it became a per-network-
/// namespace value (commit f5769faeec36, "net: Namespace-ify sysctl_optmem_max"), so a new
/// network namespace shows /proc/sys/net/core/optmem_max with the default, 131072, and its
/// AF_UNIX sockets take a sendmsg(2) whose control buffer is 32000 bytes (1000 SCM_CREDENTIALS
/// messages of the sender's own ids) — variant `present`. Before 6.8 the value is global and
/// registered for the initial namespace only: a new namespace has no such file, and its
/// sockets are bound by the initial namespace's value (20480 by default), so the same
/// sendmsg(2) fails ENOBUFS (variant `absent`; with a raised global value it passes). Runs in
/// a child with a new network namespace (through a user namespace when unprivileged; skips
/// where neither is allowed).
///
/// Kernel change: 6.8, commit 4944566706b2, commit f5769faeec36 — net.core.optmem_max defaults to 131072 (was 20480) and is per network namespace, so larger sendmsg control buffers pass.
#[test]
#[serial]
fn optmem_max_is_per_network_namespace_and_bounds_control_buffers() {
    fixtures::require!(fixtures::ns::netns_available());
    let global: u64 = fixtures::sysctl::read_u64("net/core/optmem_max");
    let v = kernel_version();
    let child = spawn("in a new network namespace", || {
        if let Err(e) = fixtures::ns::unshare(libc::CLONE_NEWNET) {
            fixtures::skip!("unshare(CLONE_NEWNET): {e}");
        }
        let file = std::fs::read_to_string("/proc/sys/net/core/optmem_max");
        let limit = if kernel_at_least(6, 8) {
            variant::present(format_args!("optmem_max is per network namespace, 131072 by default; kernel {v}"));
            let text = file.expect("/proc/sys/net/core/optmem_max in a new network namespace");
            assert_eq!(text.trim(), "131072", "the default of a new namespace");
            131072
        } else {
            variant::absent(format_args!("optmem_max is global before 6.8; kernel {v}"));
            let e = file.expect_err("no optmem_max in a new network namespace before 6.8");
            assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
            global
        };
        let (a, b) = socketpair(SockType::Dgram, 0);
        let me = (
            nix::unistd::getpid().as_raw(),
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        );
        let msgs = vec![credentials(me.0, me.1, me.2); 1000];
        let size = 1000 * ancillary::cmsg::cmsg_space(12) as u64;
        assert_eq!(size, 32000);
        if size < limit {
            assert_eq!(sendmsg(&a, b"x", &msgs, libc::MSG_DONTWAIT), Ok(1), "{size} bytes of control data, limit {limit}");
            assert_eq!(recvmsg(&b, 4, 0, libc::MSG_DONTWAIT).unwrap().data, b"x");
        } else {
            assert_errno!(sendmsg(&a, b"x", &msgs, libc::MSG_DONTWAIT), Errno::ENOBUFS, "limit {limit}");
        }
    });
    fixtures::require_child!(child).expect_success();
}
