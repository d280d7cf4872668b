//! Leases (fcntl(2), "Leases"): F_SETLEASE / F_GETLEASE, and whether this system enables
//! them at all (/proc/sys/fs/leases-enable), reported as each lease test's variant.

use std::os::fd::{AsFd, AsRawFd};

use fixtures::sys;
use nix::errno::Errno;

/// F_SETLEASE with `arg`.
pub fn set_lease(fd: impl AsFd, arg: libc::c_int) -> Result<(), Errno> {
    // SAFETY: F_SETLEASE takes an int argument.
    sys(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_SETLEASE, arg) }).map(drop)
}

/// F_GETLEASE: F_RDLCK, F_WRLCK or F_UNLCK.
pub fn get_lease(fd: impl AsFd) -> Result<libc::c_int, Errno> {
    // SAFETY: F_GETLEASE takes no argument.
    sys(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETLEASE) })
}

/// Whether leases can be taken here, reported as the variant of a lease test: proc(5),
/// /proc/sys/fs/leases-enable, "If this value is nonzero, leases are enabled; if it is
/// zero, leases are disabled". 1 (the default): variant `enabled`, returns true and the test
/// checks its claim. 0: the documented result of a disabled lease is asserted — F_SETLEASE
/// of a read lease on a fresh file open read-only fails with EINVAL (fs/locks.c,
/// generic_add_lease: "error = -EINVAL; if (!leases_enable) goto out;") — the lacking
/// variant `disabled` is reported, and it returns false: the caller returns (passes). An
/// unreadable file is a SKIP (nothing known); it returns false too.
pub fn leases_variant() -> bool {
    match std::fs::read_to_string("/proc/sys/fs/leases-enable") {
        Ok(v) if v.trim() == "1" => {
            fixtures::variant::observed("enabled", "fs/leases-enable is 1: leases are enabled");
            true
        }
        Ok(v) if v.trim() == "0" => {
            let s = fixtures::Scratch::new();
            let fd = crate::locks::open_file(&s.file("disabled-lease", b"x"), libc::O_RDONLY);
            assert_eq!(set_lease(&fd, libc::F_RDLCK), Err(Errno::EINVAL), "F_SETLEASE with fs/leases-enable = 0");
            fixtures::variant::lacking("disabled", "fs/leases-enable is 0: F_SETLEASE fails EINVAL (asserted)");
            false
        }
        Ok(v) => panic!("/proc/sys/fs/leases-enable holds {:?}, neither 0 nor 1", v.trim()),
        Err(e) => {
            fixtures::gate::report_skip(&format!("cannot read /proc/sys/fs/leases-enable: {e}"));
            false
        }
    }
}

/// A file to lease, in a fresh scratch directory, when leases can be taken here
/// ([`leases_variant`]); `None` (the caller returns) when they cannot.
pub fn lease_file() -> Option<(fixtures::Scratch, std::path::PathBuf)> {
    leases_variant().then(|| crate::locks::scratch_file(b"x"))
}
