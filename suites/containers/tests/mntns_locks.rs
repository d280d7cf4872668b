//! File locks across containers that share a volume. A lock belongs to the file (the
//! inode), not to the path or the mount through which it was opened (flock(2), fcntl(2)
//! "Advisory record locking"); mount_namespaces(7) only gives each container its own mount
//! list. So two "containers" — each a mount namespace with a private tmpfs root and the
//! same host directory bind-mounted into it, as `docker run -v` does — exclude each other
//! with flock(2), POSIX record locks and open file description locks alike.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use containers::pidns::spawn_init;
use containers::sandbox::{become_container, holding, namespaces, sandbox, volume_and_two_roots};
use fixtures::agent::Serve;
use fixtures::{Agent, assert_errno, needs, spawn, sys};
use nix::errno::Errno;
use rstest::rstest;

fn open_rw(p: &Path) -> OwnedFd {
    fixtures::io::open_cloexec(p, libc::O_RDWR).unwrap_or_else(|e| panic!("open {}: {e}", p.display()))
}

#[derive(Clone, Copy, Debug)]
enum Lock {
    Flock,
    Posix,
    Ofd,
}

fn whole_file_write_lock() -> libc::flock {
    // SAFETY: zeroed flock is valid; l_pid must be 0 for OFD locks.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl
}

/// Take an exclusive lock of `kind` on the whole file, waiting or not.
fn lock(fd: impl AsFd, kind: Lock, wait: bool) -> Result<(), Errno> {
    let fd = fd.as_fd();
    let fl = whole_file_write_lock();
    // SAFETY: plain system calls with a valid flock.
    sys(unsafe {
        match kind {
            Lock::Flock => libc::flock(fd.as_raw_fd(), libc::LOCK_EX | if wait { 0 } else { libc::LOCK_NB }),
            Lock::Posix => libc::fcntl(fd.as_raw_fd(), if wait { libc::F_SETLKW } else { libc::F_SETLK }, &fl),
            Lock::Ofd => libc::fcntl(fd.as_raw_fd(), if wait { libc::F_OFD_SETLKW } else { libc::F_OFD_SETLK }, &fl),
        }
    })
    .map(|_| ())
}

/// flock(2): "A call to flock() may block if an incompatible lock is held by another
/// process"; fcntl(2): F_SETLK "If a conflicting lock is held by another process, this call
/// returns -1 and sets errno to EACCES or EAGAIN", F_SETLKW waits. Container A locks the
/// shared file through its own bind mount; container B, through another mount of the same
/// inode (equal st_dev and st_ino), fails the nonblocking attempt (EWOULDBLOCK for flock,
/// EAGAIN for record locks — Linux's choice of the two) and blocks in the waiting one until
/// A exits, then gets the lock. Outside both mount namespaces neither mount exists.
#[rstest]
#[case::flock(Lock::Flock)]
#[case::posix_record_lock(Lock::Posix)]
#[case::ofd_lock(Lock::Ofd)]
fn lock_conflicts_across_containers_sharing_a_bind_mounted_file(#[case] kind: Lock) {
    needs!(available(namespaces()));
    let (_s, volume, root_a, root_b) = volume_and_two_roots(b"shared");
    let host_ino = std::fs::metadata(volume.join("data")).unwrap().ino();
    sandbox("locks across mount namespaces", || {
        let a = holding("container A holding the lock", || {
            let path = become_container(&root_a, &volume);
            let fd = open_rw(&path);
            lock(&fd, kind, false).expect("A takes the lock");
            fd
        });
        let b = Agent::<(), ()>::spawn("container B", |serve| {
            let path = become_container(&root_b, &volume);
            assert_eq!(std::fs::metadata(&path).unwrap().ino(), host_ino, "the same inode through B's mount");
            let fd = open_rw(&path);
            assert_errno!(lock(&fd, kind, false), Errno::EAGAIN, "{kind:?} nonblocking attempt while A holds it");
            serve.ready(());
            lock(&fd, kind, true).expect("B gets the lock once A is gone");
        });
        b.ready::<()>();
        b.assert_blocked_in(&[libc::SYS_fcntl, libc::SYS_flock], &format!("{kind:?} waiting lock"));
        assert!(!root_a.join("vol").exists() && !root_b.join("vol").exists(), "the containers' mounts leaked out");
        a.expect_success();
        b.expect_success();
    });
}

/// fcntl(2), F_GETLK: if a conflicting lock is held, "the l_pid field is set to the PID of
/// the process holding that lock"; pid_namespaces(7): pids are given "in the PID namespace
/// of the caller". A holder in another mount namespace is reported by its pid; a holder
/// that is PID 1 of a child PID namespace is reported, outside, by its outer pid; and a
/// querier that is PID 1 of a child PID namespace, where the holder has no pid, gets 0.
#[rstest]
#[case::same_pid_namespace(false, false)]
#[case::holder_in_a_child_pid_namespace(true, false)]
#[case::querier_in_a_child_pid_namespace(false, true)]
fn f_getlk_reports_the_holder_pid_in_the_callers_pid_namespace(#[case] holder_inside: bool, #[case] querier_inside: bool) {
    needs!(available(namespaces()));
    let (_s, volume, root_a, root_b) = volume_and_two_roots(b"shared");
    sandbox("F_GETLK across namespaces", || {
        let hold = |serve: &mut Serve<(), ()>| {
            let fd = open_rw(&become_container(&root_a, &volume));
            lock(&fd, Lock::Posix, false).expect("take the record lock");
            serve.ready(());
            serve.wait_release();
        };
        let (holder, holder_pid) = if holder_inside {
            spawn_init("holder init", hold)
        } else {
            let h = Agent::spawn("holder", hold);
            let pid = h.pid();
            (h, pid)
        };
        holder.ready::<()>();
        let expected = if querier_inside { 0 } else { holder_pid.as_raw() };
        let query = || {
            let fd = open_rw(&become_container(&root_b, &volume));
            let mut fl = whole_file_write_lock();
            // SAFETY: valid flock.
            sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETLK, &mut fl) }).expect("F_GETLK");
            assert_eq!(fl.l_type, libc::F_WRLCK as libc::c_short, "a conflicting write lock is reported");
            assert_eq!(fl.l_pid, expected, "l_pid of the holder");
        };
        if querier_inside { spawn_init("querier init", |_| query()).0.expect_success() } else { spawn("querier", query).expect_success() }
        holder.expect_success();
    });
}
