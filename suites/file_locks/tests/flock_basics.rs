//! flock(2): whole-file advisory locks owned by the open file description.

use std::os::fd::{AsRawFd, OwnedFd};

use file_locks::*;
use fixtures::exec::exec_probe;
use fixtures::signals::{self, install_counter};
use fixtures::sync::channel;
use fixtures::{DEFAULT_DEADLINE, Scratch, assert_errno, spawn};
use fixtures::isolated;
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use rstest::rstest;

const SH_NB: libc::c_int = libc::LOCK_SH | libc::LOCK_NB;
const EX_NB: libc::c_int = libc::LOCK_EX | libc::LOCK_NB;

fn scratch_file() -> (Scratch, std::path::PathBuf) {
    let s = Scratch::new();
    let p = s.file("locked", b"0123456789");
    (s, p)
}

/// flock(2): "LOCK_SH Place a shared lock. More than one process may hold a shared lock for a
/// given file at a given time."
#[test]
fn shared_locks_of_two_processes_coexist() {
    let (_s, path) = scratch_file();
    let other = Owner::new("shared holder", &path);
    assert_eq!(other.flock(libc::LOCK_SH), Ok(()));
    let fd = open_rw(&path);
    assert_eq!(flock(fd.as_raw_fd(), SH_NB), Ok(()));
}

/// flock(2): "LOCK_EX Place an exclusive lock. Only one process may hold an exclusive lock
/// for a given file at a given time"; "A single file may not simultaneously have both shared
/// and exclusive locks"; with LOCK_NB the call fails with EWOULDBLOCK: "The file is locked and
/// the LOCK_NB flag was selected."
#[rstest]
#[case::exclusive_blocks_shared(libc::LOCK_EX, SH_NB)]
#[case::exclusive_blocks_exclusive(libc::LOCK_EX, EX_NB)]
#[case::shared_blocks_exclusive(libc::LOCK_SH, EX_NB)]
fn incompatible_flock_with_lock_nb_fails_ewouldblock(#[case] held: libc::c_int, #[case] wanted: libc::c_int) {
    let (_s, path) = scratch_file();
    let other = Owner::new("holder", &path);
    assert_eq!(other.flock(held), Ok(()));
    let fd = open_rw(&path);
    assert_errno!(flock(fd.as_raw_fd(), wanted), Errno::EWOULDBLOCK);
}

/// flock(2): "A call to flock() may block if an incompatible lock is held by another process";
/// the lock is released "by an explicit LOCK_UN operation", "when all such file descriptors
/// have been closed", and (its last descriptor closing) when the holder exits. A blocked
/// LOCK_EX request (bounded proof) is granted after each of these.
#[rstest]
#[case::lock_un("LOCK_UN")]
#[case::holder_exits("exit")]
fn blocked_flock_is_granted_when_the_holder_releases(#[case] how: &str) {
    let (_s, path) = scratch_file();
    let holder = Owner::new("holder", &path);
    assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
    let mut waiter = Owner::new("waiter", &path);
    waiter.start_flock(libc::LOCK_EX);
    waiter.assert_blocked("flock(LOCK_EX) on a locked file");
    match how {
        "LOCK_UN" => assert_eq!(holder.flock(libc::LOCK_UN), Ok(())),
        _ => holder.exit(),
    }
    assert_eq!(waiter.reply().result, Ok(()));
}

/// flock(2): "Converting a lock (shared to exclusive, or vice versa) is not guaranteed to be
/// atomic: the existing lock is first removed, and then a new lock is established." When the
/// conversion of a shared lock to exclusive fails (LOCK_NB, another shared holder), the
/// original shared lock is gone: once the other holder unlocks, a third description gets an
/// exclusive lock.
#[test]
fn failed_shared_to_exclusive_conversion_loses_the_shared_lock() {
    let (_s, path) = scratch_file();
    isolated(|| {
        let a = open_rw(&path);
        let b = open_rw(&path);
        let c = open_rw(&path);
        flock(a.as_raw_fd(), libc::LOCK_SH).unwrap();
        flock(b.as_raw_fd(), libc::LOCK_SH).unwrap();
        assert_errno!(flock(a.as_raw_fd(), EX_NB), Errno::EWOULDBLOCK);
        flock(b.as_raw_fd(), libc::LOCK_UN).unwrap();
        assert_eq!(flock(c.as_raw_fd(), EX_NB), Ok(()), "the failed conversion kept a's shared lock");
    });
}

/// flock(2): "Subsequent flock() calls on an already locked file will convert an existing lock
/// to the new lock mode." Converting exclusive to shared lets a blocked shared request in
/// (bounded proof that it was blocked before), while the converted lock is still held: an
/// exclusive request from a third description fails.
#[test]
fn exclusive_to_shared_conversion_admits_a_waiting_shared_request() {
    let (_s, path) = scratch_file();
    let mut waiter = Owner::new("shared waiter", &path);
    let holder = Owner::new("holder", &path);
    assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
    waiter.start_flock(libc::LOCK_SH);
    waiter.assert_blocked("flock(LOCK_SH) against an exclusive lock");
    assert_eq!(holder.flock(libc::LOCK_SH), Ok(()));
    assert_eq!(waiter.reply().result, Ok(()));
    let fd = open_rw(&path);
    assert_errno!(flock(fd.as_raw_fd(), EX_NB), Errno::EWOULDBLOCK);
}

/// flock(2): "duplicate file descriptors (created by, for example, fork(2) or dup(2)) refer to
/// the same lock, and this lock may be modified or released using any of these file
/// descriptors."
#[test]
fn lock_un_through_a_dup_releases_the_lock() {
    let (_s, path) = scratch_file();
    isolated(|| {
        let fd = open_rw(&path);
        flock(fd.as_raw_fd(), libc::LOCK_EX).unwrap();
        let dup: OwnedFd = fd.try_clone().unwrap();
        flock(dup.as_raw_fd(), libc::LOCK_UN).unwrap();
        let other = open_rw(&path);
        assert_eq!(flock(other.as_raw_fd(), EX_NB), Ok(()));
    });
}

/// flock(2): the lock is released "when all such file descriptors have been closed" — closing
/// one of two duplicates keeps it.
#[test]
fn the_lock_survives_until_the_last_duplicate_closes() {
    let (_s, path) = scratch_file();
    isolated(|| {
        let fd = open_rw(&path);
        flock(fd.as_raw_fd(), libc::LOCK_EX).unwrap();
        let dup = fd.try_clone().unwrap();
        drop(fd);
        let other = open_rw(&path);
        assert_errno!(flock(other.as_raw_fd(), EX_NB), Errno::EWOULDBLOCK);
        drop(dup);
        assert_eq!(flock(other.as_raw_fd(), EX_NB), Ok(()));
    });
}

/// flock(2): descriptors duplicated "by fork(2)" refer to the same lock: after the parent
/// closes its descriptor, the child's inherited copy keeps the lock until the child exits.
#[test]
fn a_forked_child_keeps_the_parents_flock_alive() {
    let (_s, path) = scratch_file();
    isolated(|| {
        let fd = open_rw(&path);
        flock(fd.as_raw_fd(), libc::LOCK_EX).unwrap();
        let (release, wait_release) = channel();
        let child = spawn("child with the inherited fd", || wait_release.wait());
        drop(fd);
        let other = open_rw(&path);
        assert_errno!(flock(other.as_raw_fd(), EX_NB), Errno::EWOULDBLOCK);
        release.notify();
        child.expect_success();
        assert_eq!(flock(other.as_raw_fd(), EX_NB), Ok(()));
    });
}

/// flock(2): the shared lock "may be modified or released using any of these file
/// descriptors": a forked child's LOCK_UN on its inherited copy releases the parent's lock.
#[test]
fn a_forked_child_can_release_the_parents_flock() {
    let (_s, path) = scratch_file();
    isolated(|| {
        let fd = open_rw(&path);
        flock(fd.as_raw_fd(), libc::LOCK_EX).unwrap();
        spawn("child", || flock(fd.as_raw_fd(), libc::LOCK_UN).unwrap()).expect_success();
        let other = open_rw(&path);
        assert_eq!(flock(other.as_raw_fd(), EX_NB), Ok(()));
    });
}

/// flock(2): "If a process uses open(2) (or similar) to obtain more than one file descriptor
/// for the same file, these file descriptors are treated independently by flock(). An attempt
/// to lock the file using one of these file descriptors may be denied by a lock that the
/// calling process has already placed via another file descriptor."
#[test]
fn a_second_open_in_the_same_process_conflicts() {
    let (_s, path) = scratch_file();
    let first = open_rw(&path);
    let second = open_rw(&path);
    flock(first.as_raw_fd(), libc::LOCK_EX).unwrap();
    assert_errno!(flock(second.as_raw_fd(), SH_NB), Errno::EWOULDBLOCK);
}

/// flock(2): "A shared or exclusive lock can be placed on a file regardless of the mode in
/// which the file was opened." An exclusive lock through a read-only (or write-only)
/// descriptor takes effect: another description cannot lock.
#[rstest]
#[case::read_only(libc::O_RDONLY)]
#[case::write_only(libc::O_WRONLY)]
fn exclusive_flock_works_regardless_of_the_open_mode(#[case] mode: libc::c_int) {
    let (_s, path) = scratch_file();
    let fd = open_file(&path, mode);
    assert_eq!(flock(fd.as_raw_fd(), libc::LOCK_EX), Ok(()));
    let other = open_rw(&path);
    assert_errno!(flock(other.as_raw_fd(), SH_NB), Errno::EWOULDBLOCK);
}

/// flock(2), ERRORS: "EINVAL operation is invalid." Neither LOCK_SH, LOCK_EX nor LOCK_UN (0,
/// LOCK_NB alone) or two of them at once.
#[rstest]
#[case::zero(0)]
#[case::lock_nb_alone(libc::LOCK_NB)]
#[case::shared_and_exclusive(libc::LOCK_SH | libc::LOCK_EX)]
fn invalid_flock_operation_fails_einval(#[case] op: libc::c_int) {
    let (_s, path) = scratch_file();
    let fd = open_rw(&path);
    assert_errno!(flock(fd.as_raw_fd(), op), Errno::EINVAL);
}

/// flock(2), ERRORS: "EBADF fd is not an open file descriptor." open(2), O_PATH: operations
/// other than the listed fd-level ones "fail with the error EBADF" — flock included.
#[test]
fn flock_on_a_closed_or_o_path_descriptor_fails_ebadf() {
    let (_s, path) = scratch_file();
    let fd = open_rw(&path);
    let raw = fd.as_raw_fd();
    let opath = open_file(&path, libc::O_PATH);
    assert_errno!(flock(opath.as_raw_fd(), libc::LOCK_SH), Errno::EBADF);
    drop(fd);
    fixtures::run_in_child("closed fd", || assert_errno!(flock(raw, libc::LOCK_SH), Errno::EBADF)).expect_success();
}

/// flock(2): LOCK_UN "Remove an existing lock held by this process" — with no lock held it
/// succeeds, and re-requesting the lock mode already held succeeds too.
#[test]
fn unlocking_an_unlocked_file_and_relocking_the_same_mode_succeed() {
    let (_s, path) = scratch_file();
    let fd = open_rw(&path);
    assert_eq!(flock(fd.as_raw_fd(), libc::LOCK_UN), Ok(()));
    assert_eq!(flock(fd.as_raw_fd(), libc::LOCK_EX), Ok(()));
    assert_eq!(flock(fd.as_raw_fd(), EX_NB), Ok(()));
}

/// flock(2), ERRORS: "EINTR While waiting to acquire a lock, the call was interrupted by
/// delivery of a signal caught by a handler"; signal(7): flock(2) is among the calls
/// "automatically restarted after the signal handler returns if the SA_RESTART flag was
/// used". Without SA_RESTART the blocked call fails with EINTR; with it, it keeps waiting
/// (bounded proof after the signal) and is granted on release.
#[rstest]
#[case::without_sa_restart(false)]
#[case::with_sa_restart(true)]
fn signal_during_a_blocked_flock(#[case] restart: bool) {
    let (_s, path) = scratch_file();
    let holder = Owner::new("holder", &path);
    assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
    let (ready, wait_ready) = channel();
    let mut waiter = spawn("waiter", || {
        install_counter(Signal::SIGUSR1, if restart { SaFlags::SA_RESTART } else { SaFlags::empty() });
        let fd = open_rw(&path);
        ready.notify();
        let r = flock(fd.as_raw_fd(), libc::LOCK_EX);
        assert_eq!(signals::count(Signal::SIGUSR1), 1);
        if restart {
            assert_eq!(r, Ok(()));
        } else {
            assert_errno!(r, Errno::EINTR);
        }
    });
    wait_ready.wait();
    waiter.assert_blocked("flock(LOCK_EX)");
    waiter.signal(Signal::SIGUSR1);
    if restart {
        waiter.assert_blocked("flock(LOCK_EX) restarted after the handler");
        assert_eq!(holder.flock(libc::LOCK_UN), Ok(()));
    }
    waiter.expect_success();
}

/// flock(2) NOTES: "flock() does not detect deadlock." Two processes each holding one file
/// and waiting for the other's both stay blocked (bounded proof) instead of one failing with
/// EDEADLK; killing one lets the other through.
#[test]
fn flock_does_not_detect_deadlock() {
    let s = Scratch::new();
    let a = s.file("a", b"");
    let b = s.file("b", b"");
    let (r1, w1) = channel();
    let (r2, w2) = channel();
    let (go, wait_go) = channel();
    let mut first = spawn("holds a, wants b", || {
        let fa = open_rw(&a);
        let fb = open_rw(&b);
        flock(fa.as_raw_fd(), libc::LOCK_EX).unwrap();
        r1.notify();
        wait_go.wait();
        let r = flock(fb.as_raw_fd(), libc::LOCK_EX);
        panic!("the deadlocked flock returned {r:?}");
    });
    let mut second = spawn("holds b, wants a", || {
        let fa = open_rw(&a);
        let fb = open_rw(&b);
        flock(fb.as_raw_fd(), libc::LOCK_EX).unwrap();
        r2.notify();
        wait_go.wait();
        assert_eq!(flock(fa.as_raw_fd(), libc::LOCK_EX), Ok(()), "flock reported a deadlock");
    });
    w1.wait();
    w2.wait();
    go.notify(); // one "go" byte for each child
    go.notify();
    first.assert_blocked("flock of b held by the second");
    second.assert_blocked("flock of a held by the first");
    first.signal(Signal::SIGKILL);
    assert_eq!(first.join(), fixtures::Outcome::Signaled(Signal::SIGKILL));
    second.expect_success();
}

/// flock(2) NOTES: "flock() places advisory locks only; given suitable permissions on a file, a
/// process is free to ignore the use of flock() and perform I/O on the file." A write through
/// an unlocked descriptor succeeds while another process holds LOCK_EX.
#[test]
fn flock_is_advisory_io_ignores_it() {
    let (_s, path) = scratch_file();
    let holder = Owner::new("holder", &path);
    assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
    let fd = open_rw(&path);
    assert_eq!(nix::unistd::write(&fd, b"ignored"), Ok(7));
    assert_eq!(std::fs::read(&path).unwrap(), b"ignored789");
}

/// flock(2): "Locks created by flock() are preserved across an execve(2)." A child locks,
/// clears FD_CLOEXEC and execs a probe that just waits; after the exec (seen as the close of a
/// close-on-exec pipe) the lock is still held, and it goes away when the probe exits.
#[test]
fn flock_is_preserved_across_execve() {
    let (_s, path) = scratch_file();
    isolated(|| {
        let (exec_tx, exec_rx) = channel();
        let (hold_r, hold_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let child = spawn("exec'd holder", || {
            let fd = open_rw(&path);
            flock(fd.as_raw_fd(), libc::LOCK_EX).unwrap();
            // SAFETY: clearing FD_CLOEXEC on the locked description and on the read end of the
            // pipe the probe waits on, so both survive the exec.
            unsafe {
                libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, 0);
                libc::fcntl(hold_r.as_raw_fd(), libc::F_SETFD, 0);
            }
            std::mem::forget(fd);
            let _keep = &exec_tx;
            exec_probe(&["hold", &hold_r.as_raw_fd().to_string()]);
        });
        drop(exec_tx);
        drop(hold_r);
        assert!(closed_within(&exec_rx, DEFAULT_DEADLINE), "the child never exec'd");
        let other = open_rw(&path);
        assert_errno!(flock(other.as_raw_fd(), EX_NB), Errno::EWOULDBLOCK);
        drop(hold_w);
        child.expect_success();
        assert_eq!(flock(other.as_raw_fd(), EX_NB), Ok(()));
    });
}

/// flock(2) applies to "the open file specified by fd", any open file: on Linux a pipe works
/// too (fs/locks.c, SYSCALL_DEFINE2(flock): locks_lock_file_wait on any file). Both ends of a
/// pipe are descriptions of one inode, so an exclusive lock on the read end excludes the
/// write end.
#[test]
fn flock_on_a_pipe_locks_the_pipe_inode() {
    isolated(|| {
        let (r, w) = nix::unistd::pipe().unwrap();
        assert_eq!(flock(r.as_raw_fd(), libc::LOCK_EX), Ok(()));
        assert_errno!(flock(w.as_raw_fd(), EX_NB), Errno::EWOULDBLOCK);
        assert_eq!(flock(r.as_raw_fd(), libc::LOCK_UN), Ok(()));
        assert_eq!(flock(w.as_raw_fd(), EX_NB), Ok(()));
    });
}

/// As for pipes, flock(2) works on a socket (fs/locks.c, as above). The two ends of a
/// socketpair are different inodes, so exclusive locks on both coexist.
#[test]
fn flock_on_a_socket_works_and_socketpair_ends_are_independent() {
    isolated(|| {
        let (a, b) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::Stream,
            None,
            nix::sys::socket::SockFlag::empty(),
        )
        .unwrap();
        assert_eq!(flock(a.as_raw_fd(), libc::LOCK_EX), Ok(()));
        assert_eq!(flock(b.as_raw_fd(), EX_NB), Ok(()));
    });
}
