//! Delegations (F_GETDELEG(2const) of man-pages 6.20, "HISTORY: Linux 6.19"): leases of a
//! second flavour, set and read with F_SETDELEG / F_GETDELEG and a struct delegation, which
//! can also be set on directories — the holder is then told of a create, delete or rename in
//! the directory. fs/locks.c keeps them as leases flagged FL_DELEG: F_GETDELEG sees only
//! delegations (and F_GETLEASE only leases), and /proc/locks lists them as DELEG.
//!
//! Before 6.19 fcntl(2) does not know the commands: EINVAL ("The value specified in cmd is
//! not recognized by this kernel", fcntl(2)), which each test asserts with the variant
//! `absent`. Where leases are disabled (fs/leases-enable 0, see [`leases_variant`]) a
//! delegation cannot be set either; the tests that set one then stop there.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use file_locks::leases::leases_variant;
use file_locks::locks::{open_file, scratch_file};
use file_locks::proc_locks::{proc_locks_for, proc_locks_id};
use fixtures::signals::SignalCatcher;
use fixtures::{Scratch, assert_errno, isolated, spawn, sys, variant};
use nix::errno::Errno;
use nix::sys::signal::Signal;

/// include/uapi/linux/fcntl.h (F_LINUX_SPECIFIC_BASE + 15 and + 16).
const F_GETDELEG: libc::c_int = 1024 + 15;
const F_SETDELEG: libc::c_int = 1024 + 16;

/// include/uapi/linux/fcntl.h, struct delegation.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Delegation {
    d_flags: u32,
    d_type: u16,
    pad: u16,
}

/// F_SETDELEG with d_type `ty` (and d_flags `flags`).
fn set_deleg(fd: impl AsFd, ty: libc::c_int, flags: u32) -> Result<(), Errno> {
    let d = Delegation { d_flags: flags, d_type: ty as u16, pad: 0 };
    // SAFETY: F_SETDELEG reads one struct delegation through the pointer.
    sys(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), F_SETDELEG, &d as *const Delegation) }).map(drop)
}

/// F_GETDELEG: the d_type it reports (F_RDLCK, F_WRLCK or F_UNLCK).
fn get_deleg(fd: impl AsFd) -> Result<libc::c_int, Errno> {
    let mut d = Delegation { d_type: 0xffff, ..Delegation::default() };
    // SAFETY: F_GETDELEG reads and writes one struct delegation through the pointer.
    sys(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), F_GETDELEG, &mut d as *mut Delegation) })?;
    Ok(d.d_type as libc::c_int)
}

/// A directory in a fresh scratch area, opened read-only.
fn scratch_dir() -> (Scratch, std::path::PathBuf, OwnedFd) {
    let s = Scratch::new();
    let dir = s.join("delegated");
    std::fs::create_dir(&dir).unwrap();
    let fd = open_file(&dir, libc::O_RDONLY | libc::O_DIRECTORY);
    (s, dir, fd)
}

/// F_GETDELEG(2const): F_GETDELEG "Indicates what type of delegation is associated with the
/// file descriptor fd by setting deleg->d_type to either F_RDLCK, F_WRLCK, or F_UNLCK";
/// F_SETDELEG F_RDLCK "Establish a read delegation ... A read delegation can be placed only on
/// a file descriptor that is opened read-only"; F_UNLCK "Remove our delegation". On a file of
/// the caller's own opened read-only: F_UNLCK, then F_RDLCK after F_SETDELEG, which F_GETLEASE
/// does not count as a lease; F_UNLCK again after removal. d_flags "Must be 0": 1 fails EINVAL.
/// Before 6.19: EINVAL for both commands (variant `absent`).
///
/// Kernel change: 6.19 — F_GETDELEG / F_SETDELEG set and read delegations through a struct delegation (EINVAL before).
#[test]
fn f_setdeleg_takes_a_read_delegation_that_f_getdeleg_reports() {
    let (_s, path) = scratch_file(b"x");
    let fd = open_file(&path, libc::O_RDONLY);
    let got = get_deleg(&fd);
    if !variant::since(6, 19, "F_GETDELEG and F_SETDELEG") {
        assert_errno!(got, Errno::EINVAL);
        assert_errno!(set_deleg(&fd, libc::F_RDLCK, 0), Errno::EINVAL);
        return;
    }
    assert_eq!(got, Ok(libc::F_UNLCK), "no delegation yet");
    if !leases_variant() {
        return;
    }
    assert_errno!(set_deleg(&fd, libc::F_RDLCK, 1), Errno::EINVAL, "d_flags 1");
    assert_eq!(set_deleg(&fd, libc::F_RDLCK, 0), Ok(()));
    assert_eq!(get_deleg(&fd), Ok(libc::F_RDLCK));
    assert_eq!(file_locks::leases::get_lease(&fd), Ok(libc::F_UNLCK), "a delegation is not a lease");
    assert_eq!(set_deleg(&fd, libc::F_UNLCK, 0), Ok(()));
    assert_eq!(get_deleg(&fd), Ok(libc::F_UNLCK));
}

/// F_GETDELEG(2const): "Delegations can also be set on directory file descriptors. The holder
/// of a directory delegation will be notified if there is a create, delete, or rename of a
/// dirent within the directory"; "Write delegations cannot be set on directory file
/// descriptors" (ERRORS: "EINVAL The caller tried to set a F_WRLCK delegation and fd
/// represents a directory"); the notification is "a signal (SIGIO by default)" and the
/// breaker's call "is blocked by the kernel" until the holder removes the delegation. A read
/// delegation on a directory is set and reported; F_WRLCK fails EINVAL; a child creating a
/// file in the directory makes the holder get SIGIO with F_GETDELEG then reporting the target
/// F_UNLCK, and its create completes once the holder removes the delegation. Before 6.19:
/// EINVAL (variant `absent`).
///
/// Kernel change: 6.19 — read delegations on directories, broken by a create, delete or rename in them (EINVAL before).
#[test]
fn a_directory_delegation_is_broken_by_a_create_in_the_directory() {
    isolated(|| {
        let (_s, dir, dfd) = scratch_dir();
        let set = set_deleg(&dfd, libc::F_RDLCK, 0);
        if !variant::since(6, 19, "directory delegations") {
            assert_errno!(set, Errno::EINVAL);
            return;
        }
        if !leases_variant() {
            return;
        }
        assert_errno!(set_deleg(&dfd, libc::F_WRLCK, 0), Errno::EINVAL, "a write delegation on a directory");
        let catcher = SignalCatcher::new(&[Signal::SIGIO]);
        assert_eq!(set, Ok(()));
        assert_eq!(get_deleg(&dfd), Ok(libc::F_RDLCK));
        let new = dir.join("new");
        let creator = spawn("creator", || {
            std::fs::write(&new, b"n").expect("create a file in the delegated directory");
        });
        let info = catcher.wait();
        assert_eq!(info.signo, libc::SIGIO, "the delegation break");
        assert_eq!(get_deleg(&dfd), Ok(libc::F_UNLCK), "the target type during the break");
        assert_eq!(set_deleg(&dfd, libc::F_UNLCK, 0), Ok(()));
        creator.expect_success();
        assert!(dir.join("new").exists(), "the create went through after the break");
    });
}

/// proc(5), "/proc/locks": a lease line starts LEASE; fs/locks.c lock_get_status prints DELEG
/// instead for a lease flagged as a delegation (FL_DELEG) — what F_SETDELEG sets since 6.19:
/// one line "DELEG ACTIVE READ" with the holder's pid for the file, gone after F_UNLCK. A
/// lease (F_SETLEASE) of the same file still shows as LEASE. Before 6.19 F_SETDELEG fails
/// EINVAL and only the lease line appears (variant `absent`).
///
/// Kernel change: 6.19 — /proc/locks lists a delegation set with F_SETDELEG as DELEG (F_SETDELEG EINVAL before).
#[test]
fn proc_locks_lists_a_delegation_as_deleg() {
    isolated(|| {
        let (_s, path) = scratch_file(b"x");
        let fd = open_file(&path, libc::O_RDONLY);
        let id = proc_locks_id(&fd);
        let set = set_deleg(&fd, libc::F_RDLCK, 0);
        let since = variant::since(6, 19, "F_SETDELEG delegations in /proc/locks");
        if !leases_variant() {
            if !since {
                assert_errno!(set, Errno::EINVAL);
            }
            return;
        }
        let pid = nix::unistd::getpid().as_raw() as i64;
        let lines = |id: &str| -> Vec<(String, String, String, i64)> {
            proc_locks_for(id).into_iter().map(|l| (l.class, l.mode, l.access, l.pid)).collect()
        };
        let line = |class: &str| (class.to_string(), "ACTIVE".to_string(), "READ".to_string(), pid);
        if since {
            assert_eq!(set, Ok(()));
            assert_eq!(lines(&id), vec![line("DELEG")]);
            assert_eq!(set_deleg(&fd, libc::F_UNLCK, 0), Ok(()));
            assert_eq!(lines(&id), vec![], "the delegation was removed");
        } else {
            assert_errno!(set, Errno::EINVAL);
        }
        assert_eq!(file_locks::leases::set_lease(&fd, libc::F_RDLCK), Ok(()));
        assert_eq!(lines(&id), vec![line("LEASE")]);
    });
}
