//! What a network namespace carries for sockets beyond addresses: its cookie, which every
//! socket reports (SO_NETNS_COOKIE, 5.14), and its own socket sysctls — net.core.optmem_max
//! became one of them in 6.8. network_namespaces(7): a network namespace isolates "the
//! /proc/sys/net directory" among others.

use containers::sandbox::{enter, namespaces, sandbox};
use fixtures::uapi::SO_NETNS_COOKIE;
use fixtures::{assert_errno, kernel_at_least, kernel_version, needs, spawn, sysctl, variant};
use nix::errno::Errno;

/// getsockopt(SO_NETNS_COOKIE) of a new socket of `domain`/`ty`.
fn cookie_of(domain: libc::c_int, ty: libc::c_int) -> Result<u64, Errno> {
    let s = fixtures::net::socket(domain, ty, 0).expect("socket");
    cookie(&s)
}

/// getsockopt(SO_NETNS_COOKIE) of `s` (8 bytes).
fn cookie(s: &std::os::fd::OwnedFd) -> Result<u64, Errno> {
    let mut v: u64 = 0;
    let mut len = 8 as libc::socklen_t;
    // SAFETY: a u64 buffer and its length live for the call.
    fixtures::sys(unsafe {
        libc::getsockopt(std::os::fd::AsRawFd::as_raw_fd(s), libc::SOL_SOCKET, SO_NETNS_COOKIE, (&mut v as *mut u64).cast(), &mut len)
    })?;
    assert_eq!(len, 8);
    Ok(v)
}

/// SO_NETNS_COOKIE (commit e8b9eab99232, 5.14; socket(7) of man-pages 6.20): the 64-bit
/// cookie of the network namespace a socket belongs to. A socket made in a new network
/// namespace reports a cookie that differs from the outer namespace's (and is nonzero),
/// the same for TCP, UDP and AF_UNIX sockets there; a socket made before unshare(2) keeps
/// the outer cookie — a socket belongs to the namespace it was created in. Before 5.14:
/// ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 5.14, commit e8b9eab99232 — SO_NETNS_COOKIE tells sockets of different network namespaces apart (ENOPROTOOPT before).
#[test]
fn so_netns_cookie_differs_between_network_namespaces() {
    needs!(available(namespaces()));
    let outer = cookie_of(libc::AF_INET, libc::SOCK_STREAM);
    if !variant::since(5, 14, "SO_NETNS_COOKIE") {
        assert_errno!(outer, Errno::ENOPROTOOPT);
        return;
    }
    let outer = outer.expect("SO_NETNS_COOKIE");
    sandbox("cookies of two network namespaces", || {
        assert_eq!(cookie_of(libc::AF_INET, libc::SOCK_STREAM), Ok(outer), "the sandbox shares the network namespace");
        spawn("new network namespace", || {
            let before = fixtures::net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
            enter(libc::CLONE_NEWNET);
            let inner = cookie_of(libc::AF_INET, libc::SOCK_STREAM).expect("SO_NETNS_COOKIE");
            assert_ne!(inner, outer, "two network namespaces, one cookie");
            assert_ne!(inner, 0);
            assert_eq!(cookie_of(libc::AF_INET, libc::SOCK_DGRAM), Ok(inner), "UDP");
            assert_eq!(cookie_of(libc::AF_UNIX, libc::SOCK_STREAM), Ok(inner), "AF_UNIX");
            assert_eq!(cookie(&before), Ok(outer), "a socket made before unshare(2)");
        })
        .expect_success();
    });
}

/// net.core.optmem_max ("maximum ancillary buffer size allowed per socket",
/// Documentation/admin-guide/sysctl/net.rst) is kept per network namespace since commit
/// f5769faeec36 ("net: Namespace-ify sysctl_optmem_max", 6.8): a new network namespace has
/// its own /proc/sys/net/core/optmem_max, starting from the default 131072 whatever the outer
/// value; its root (here, possibly the root of a user namespace) sets it to 65536 there, and
/// the outer value does not change (variant `per-namespace`). Before, the sysctl was global and
/// registered for the initial namespace only: the file does not exist in a new network
/// namespace (variant `absent`).
///
/// Kernel change: 6.8, commit f5769faeec36 — net.core.optmem_max is per network namespace (before: global, absent from other namespaces).
#[test]
fn optmem_max_is_kept_per_network_namespace() {
    needs!(available(namespaces()));
    const NAME: &str = "net/core/optmem_max";
    let per_ns = kernel_at_least(6, 8);
    let v = kernel_version();
    if per_ns {
        variant::observed("per-namespace", format_args!("optmem_max belongs to each network namespace since 6.8; kernel {v}"));
    } else {
        variant::absent(format_args!("optmem_max is global before 6.8; kernel {v}"));
    }
    sandbox("optmem_max in a new network namespace", || {
        let outer = std::path::Path::new("/proc/sys/net/core/optmem_max").exists().then(|| sysctl::read(NAME));
        spawn("new network namespace", || {
            enter(libc::CLONE_NEWNET);
            let exists = std::path::Path::new("/proc/sys/net/core/optmem_max").exists();
            assert_eq!(exists, per_ns, "/proc/sys/{NAME} in a new network namespace on kernel {v}");
            if per_ns {
                assert_eq!(sysctl::read(NAME), "131072", "a new namespace starts from the default");
                match sysctl::write(NAME, "65536") {
                    Ok(()) => assert_eq!(sysctl::read(NAME), "65536"),
                    Err(e @ (Errno::EACCES | Errno::EPERM | Errno::EROFS)) => {
                        fixtures::skip_blocked!("/proc/sys/{NAME} of a new network namespace cannot be written here ({e:?})")
                    }
                    Err(e) => panic!("write 65536 to /proc/sys/{NAME}: {e:?}"),
                }
            }
        })
        .expect_success();
        let after = std::path::Path::new("/proc/sys/net/core/optmem_max").exists().then(|| sysctl::read(NAME));
        assert_eq!(after, outer, "the outer namespace's value");
    });
}
