//! Landlock, the unprivileged sandboxing LSM a container runtime or an application stacks on
//! its namespaces (landlock(7), landlock_create_ruleset(2)): which ABI version the kernel
//! offers decides which rights and scopes a sandbox can restrict — including the IPC scopes
//! of ABI 6 (abstract UNIX sockets and signals, 6.12). The version is asked with
//! landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION).

use fixtures::{kernel_at_least, kernel_version, variant};
use nix::errno::Errno;

/// include/uapi/linux/landlock.h.
const LANDLOCK_CREATE_RULESET_VERSION: libc::c_long = 1 << 0;
const LANDLOCK_CREATE_RULESET_ERRATA: libc::c_long = 1 << 1;

/// landlock_create_ruleset(NULL, 0, flags): its return value or errno.
fn create_ruleset_query(flags: libc::c_long) -> Result<libc::c_long, Errno> {
    // SAFETY: a NULL attribute with size 0 and a query flag only returns a number.
    let r = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0usize, flags) };
    if r < 0 { Err(Errno::last()) } else { Ok(r) }
}

/// The ABI version each release brought (Documentation/userspace-api/landlock.rst, "ABI
/// versions"; landlock(7)): the version a kernel of `major.minor` reports, for the releases
/// whose version is known here (None after 6.18: at least 7).
fn expected_abi(major: u32, minor: u32) -> Option<libc::c_long> {
    let at = |a: u32, b: u32| (major, minor) >= (a, b);
    Some(match () {
        _ if at(6, 19) => return None,
        _ if at(6, 15) => 7,
        _ if at(6, 12) => 6,
        _ if at(6, 10) => 5,
        _ if at(6, 7) => 4,
        _ if at(6, 2) => 3,
        _ if at(5, 19) => 2,
        _ => 1,
    })
}

/// landlock_create_ruleset(2): "If attr is NULL and size is 0, then ... flags must be
/// LANDLOCK_CREATE_RULESET_VERSION ... returns the highest supported Landlock ABI version";
/// ERRORS "EOPNOTSUPP Landlock is supported by the kernel but disabled at boot time";
/// VERSIONS: Linux 5.13. The ABI grew with the kernel: 1 (5.13), 2 (5.19, REFER), 3 (6.2,
/// TRUNCATE), 4 (6.7, TCP bind/connect), 5 (6.10, IOCTL_DEV), 6 (6.12, the scopes of abstract
/// UNIX sockets and signals), 7 (6.15, audit); Debian's 7.2 reports 10 (the releases of 8 to
/// 10 are not verified here). Asserted: the version is exactly the one of this kernel's
/// release (at least 7 after 6.18), reported as the variant `abi-N`. The errata
/// query (LANDLOCK_CREATE_RULESET_ERRATA, 6.15; stable 6.1.135 and 6.12.24 by Debian's
/// changelogs) returns a bitmask where the kernel has it and fails EINVAL where it does not.
/// A kernel built without Landlock, or older than 5.13, answers ENOSYS (variant `absent`);
/// Landlock left out of the boot LSM list answers EOPNOTSUPP (variant `disabled`, lacking);
/// a seccomp filter that refuses the call answers EPERM (variant `blocked`, SKIP).
///
/// Kernel change: 5.13 — landlock_create_ruleset(2) reports the Landlock ABI version: 1 (5.13), 2 (5.19), 3 (6.2), 4 (6.7), 5 (6.10), 6 (6.12), 7 (6.15).
/// Kernel change: 6.15 — LANDLOCK_CREATE_RULESET_ERRATA reports the fixed Landlock errata (stable 6.1.135, 6.12.24; EINVAL before).
#[test]
fn the_landlock_abi_version_follows_the_kernel_release() {
    let v = kernel_version();
    let config = fixtures::gate::kernel_config()
        .map(|c| format!("CONFIG_SECURITY_LANDLOCK={} ({})", c.get("CONFIG_SECURITY_LANDLOCK").unwrap_or("(none)"), c.source));
    let config = config.unwrap_or_else(|why| why);
    let abi = match create_ruleset_query(LANDLOCK_CREATE_RULESET_VERSION) {
        Ok(abi) => abi,
        Err(Errno::ENOSYS) => {
            // variant: none beyond `absent` — a kernel from 5.13 may be built without it.
            if !kernel_at_least(5, 13) {
                variant::absent(format_args!("Landlock came with 5.13; kernel {v}"));
            } else {
                variant::absent(format_args!("kernel {v} is built without Landlock ({config})"));
            }
            return;
        }
        Err(Errno::EOPNOTSUPP) => {
            assert!(kernel_at_least(5, 13), "EOPNOTSUPP from a kernel without Landlock ({v})");
            variant::lacking("disabled", format_args!("Landlock is built in but not in the boot LSM list; kernel {v} ({config})"));
            return;
        }
        Err(Errno::EPERM) => fixtures::skip_blocked!("landlock_create_ruleset is refused here (EPERM: a seccomp filter); kernel {v}"),
        Err(e) => panic!("landlock_create_ruleset(NULL, 0, VERSION) on kernel {v}: {e}"),
    };
    match expected_abi(v.major, v.minor) {
        Some(want) => assert_eq!(abi, want, "the Landlock ABI of kernel {v}"),
        None => assert!(abi >= 7, "Landlock ABI {abi} on kernel {v}, after 6.18"),
    }
    let why = format!("Landlock ABI {abi}; kernel {v}");
    match abi {
        1 => variant::observed("abi-1", why),
        2 => variant::observed("abi-2", why),
        3 => variant::observed("abi-3", why),
        4 => variant::observed("abi-4", why),
        5 => variant::observed("abi-5", why),
        6 => variant::observed("abi-6", why),
        7 => variant::observed("abi-7", why),
        8 => variant::observed("abi-8", why),
        9 => variant::observed("abi-9", why),
        10 => variant::observed("abi-10", why),
        11 => variant::observed("abi-11", why),
        12 => variant::observed("abi-12", why),
        _ => variant::observed("abi-13-or-later", why),
    }
    let errata = create_ruleset_query(LANDLOCK_CREATE_RULESET_ERRATA);
    match fixtures::gate::has_fix((6, 15), &[(6, 1, 135), (6, 12, 24)], &[(5, 15)]) {
        Some(true) => assert!(matches!(errata, Ok(n) if n >= 0), "the errata query on kernel {v}: {errata:?}"),
        Some(false) => assert_eq!(errata, Err(Errno::EINVAL), "the errata query on kernel {v}, which lacks it"),
        // variant: none — a series whose errata backport is not known is not checked.
        None => {}
    }
}
