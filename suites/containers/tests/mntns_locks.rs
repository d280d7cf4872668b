//! File locks across containers that share a volume. A lock belongs to the file (the
//! inode), not to the path or the mount through which it was opened (flock(2), fcntl(2)
//! "Advisory record locking"); mount_namespaces(7) only gives each container its own mount
//! list. So two "containers" — each a mount namespace with a private tmpfs root and the
//! same host directory bind-mounted into it, as `docker run -v` does — exclude each other
//! with flock(2), POSIX record locks and open file description locks alike.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use containers::pidns::spawn_init;
use containers::sandbox::{bind_mount, mount_tmpfs};
use containers::{Pause, Settle, enter, sandbox, wait_from};
use fixtures::sync::channel;
use fixtures::{Scratch, assert_errno, spawn, sys};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use rstest::rstest;

/// In a child: become a container whose root `root` is a private tmpfs with the shared
/// `volume` bind-mounted at `root`/vol; returns the data file's path inside.
fn become_container(root: &Path, volume: &Path) -> PathBuf {
    enter(CloneFlags::CLONE_NEWNS);
    mount_tmpfs(root, "mode=0755");
    let vol = root.join("vol");
    std::fs::create_dir(&vol).unwrap();
    bind_mount(volume, &vol);
    vol.join("data")
}

fn open_rw(p: &Path) -> OwnedFd {
    OwnedFd::from(std::fs::OpenOptions::new().read(true).write(true).open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display())))
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
fn lock(fd: &OwnedFd, kind: Lock, wait: bool) -> Result<(), Errno> {
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
    let s = Scratch::new();
    let volume = s.join("volume");
    std::fs::create_dir(&volume).unwrap();
    std::fs::write(volume.join("data"), b"shared").unwrap();
    let (root_a, root_b) = (s.join("a"), s.join("b"));
    std::fs::create_dir(&root_a).unwrap();
    std::fs::create_dir(&root_b).unwrap();
    let host_ino = std::fs::metadata(volume.join("data")).unwrap().ino();
    sandbox("locks across mount namespaces", || {
        let p = Pause::new();
        let mut a = spawn("container A holding the lock", || {
            let path = become_container(&root_a, &volume);
            let fd = open_rw(&path);
            lock(&fd, kind, false).expect("A takes the lock");
            p.ready_and_wait();
        });
        p.wait_ready(&mut a);
        let (trying_tx, trying_rx) = channel();
        let mut b = spawn("container B", || {
            let path = become_container(&root_b, &volume);
            assert_eq!(std::fs::metadata(&path).unwrap().ino(), host_ino, "the same inode through B's mount");
            let fd = open_rw(&path);
            assert_errno!(lock(&fd, kind, false), Errno::EAGAIN, "{kind:?} nonblocking attempt while A holds it");
            trying_tx.notify();
            lock(&fd, kind, true).expect("B gets the lock once A is gone");
        });
        wait_from(&trying_rx, 1, &mut b);
        b.assert_blocked(&format!("{kind:?} waiting lock"));
        assert!(!root_a.join("vol").exists() && !root_b.join("vol").exists(), "the containers' mounts leaked out");
        p.release();
        a.settle();
        b.settle();
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
    let s = Scratch::new();
    let volume = s.join("volume");
    std::fs::create_dir(&volume).unwrap();
    std::fs::write(volume.join("data"), b"shared").unwrap();
    let (root_a, root_b) = (s.join("a"), s.join("b"));
    std::fs::create_dir(&root_a).unwrap();
    std::fs::create_dir(&root_b).unwrap();
    sandbox("F_GETLK across namespaces", || {
        let p = Pause::new();
        let hold = || {
            let fd = open_rw(&become_container(&root_a, &volume));
            lock(&fd, Lock::Posix, false).expect("take the record lock");
            p.ready_and_wait();
        };
        let (mut holder, holder_pid) = if holder_inside {
            spawn_init("holder init", hold).into_parts()
        } else {
            let h = spawn("holder", hold);
            let pid = h.pid();
            (h, pid)
        };
        p.wait_ready(&mut holder);
        let expected = if querier_inside { 0 } else { holder_pid.as_raw() };
        let query = || {
            let fd = open_rw(&become_container(&root_b, &volume));
            let mut fl = whole_file_write_lock();
            // SAFETY: valid flock.
            sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETLK, &mut fl) }).expect("F_GETLK");
            assert_eq!(fl.l_type, libc::F_WRLCK as libc::c_short, "a conflicting write lock is reported");
            assert_eq!(fl.l_pid, expected, "l_pid of the holder");
        };
        if querier_inside { spawn_init("querier init", query).settle() } else { spawn("querier", query).settle() }
        p.release();
        holder.settle();
    });
}
