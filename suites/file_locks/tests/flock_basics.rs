//! flock(2): whole-file advisory locks owned by the open file description.

use std::os::fd::{AsRawFd, OwnedFd};

use file_locks::exec::ExecdHolder;
use file_locks::interrupt::signal_a_waiting_lock_request;
use file_locks::locks::{flock, flock_new_description, locked_rw, open_file, open_rw, scratch_file};
use file_locks::owner::{Owner, owners_of_new_file};
use fixtures::io::raw_fd;
use fixtures::sync::channel;
use fixtures::{Scratch, assert_errno, isolated, spawn};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use rstest::rstest;

const SH_NB: libc::c_int = libc::LOCK_SH | libc::LOCK_NB;
const EX_NB: libc::c_int = libc::LOCK_EX | libc::LOCK_NB;

/// flock(2): "LOCK_SH Place a shared lock. More than one process may hold a shared lock for a
/// given file at a given time."
#[test]
fn shared_locks_of_two_processes_coexist() {
    let (_s, path, [other]) = owners_of_new_file(b"0123456789", ["shared holder"]);
    assert_eq!(other.flock(libc::LOCK_SH), Ok(()));
    let fd = open_rw(&path);
    assert_eq!(flock(&fd, SH_NB), Ok(()));
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
    let (_s, path, [other]) = owners_of_new_file(b"0123456789", ["holder"]);
    assert_eq!(other.flock(held), Ok(()));
    let fd = open_rw(&path);
    assert_errno!(flock(&fd, wanted), Errno::EWOULDBLOCK);
}

/// flock(2): "A call to flock() may block if an incompatible lock is held by another process";
/// the lock is released "by an explicit LOCK_UN operation", "when all such file descriptors
/// have been closed", and (its last descriptor closing) when the holder exits. A blocked
/// LOCK_EX request (bounded proof) is granted after each of these.
#[rstest]
#[case::lock_un("LOCK_UN")]
#[case::holder_exits("exit")]
fn blocked_flock_is_granted_when_the_holder_releases(#[case] how: &str) {
    let (_s, path, [holder]) = owners_of_new_file(b"0123456789", ["holder"]);
    assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
    let waiter = Owner::new("waiter", &path);
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
    let (_s, path) = scratch_file(b"0123456789");
    isolated(|| {
        let a = open_rw(&path);
        let b = open_rw(&path);
        let c = open_rw(&path);
        flock(&a, libc::LOCK_SH).unwrap();
        flock(&b, libc::LOCK_SH).unwrap();
        assert_errno!(flock(&a, EX_NB), Errno::EWOULDBLOCK);
        flock(&b, libc::LOCK_UN).unwrap();
        assert_eq!(flock(&c, EX_NB), Ok(()), "the failed conversion kept a's shared lock");
    });
}

/// flock(2): "Subsequent flock() calls on an already locked file will convert an existing lock
/// to the new lock mode." Converting exclusive to shared lets a blocked shared request in
/// (bounded proof that it was blocked before), while the converted lock is still held: an
/// exclusive request from a third description fails.
#[test]
fn exclusive_to_shared_conversion_admits_a_waiting_shared_request() {
    let (_s, path, [waiter, holder]) = owners_of_new_file(b"0123456789", ["shared waiter", "holder"]);
    assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
    waiter.start_flock(libc::LOCK_SH);
    waiter.assert_blocked("flock(LOCK_SH) against an exclusive lock");
    assert_eq!(holder.flock(libc::LOCK_SH), Ok(()));
    assert_eq!(waiter.reply().result, Ok(()));
    let fd = open_rw(&path);
    assert_errno!(flock(&fd, EX_NB), Errno::EWOULDBLOCK);
}

/// flock(2): "duplicate file descriptors (created by, for example, fork(2) or dup(2)) refer to
/// the same lock, and this lock may be modified or released using any of these file
/// descriptors."
#[test]
fn lock_un_through_a_dup_releases_the_lock() {
    let (_s, path) = scratch_file(b"0123456789");
    isolated(|| {
        let fd = locked_rw(&path, libc::LOCK_EX);
        let dup: OwnedFd = fd.try_clone().unwrap();
        flock(&dup, libc::LOCK_UN).unwrap();
        assert_eq!(flock_new_description(&path, EX_NB), Ok(()));
    });
}

/// flock(2): the lock is released "when all such file descriptors have been closed" — closing
/// one of two duplicates keeps it.
#[test]
fn the_lock_survives_until_the_last_duplicate_closes() {
    let (_s, path) = scratch_file(b"0123456789");
    isolated(|| {
        let fd = locked_rw(&path, libc::LOCK_EX);
        let dup = fd.try_clone().unwrap();
        drop(fd);
        assert_errno!(flock_new_description(&path, EX_NB), Errno::EWOULDBLOCK);
        drop(dup);
        assert_eq!(flock_new_description(&path, EX_NB), Ok(()));
    });
}

/// flock(2): descriptors duplicated "by fork(2)" refer to the same lock: after the parent
/// closes its descriptor, the child's inherited copy keeps the lock until the child exits.
#[test]
fn a_forked_child_keeps_the_parents_flock_alive() {
    let (_s, path) = scratch_file(b"0123456789");
    isolated(|| {
        let fd = locked_rw(&path, libc::LOCK_EX);
        let (release, wait_release) = channel();
        let child = spawn("child with the inherited fd", || wait_release.wait());
        drop(fd);
        assert_errno!(flock_new_description(&path, EX_NB), Errno::EWOULDBLOCK);
        release.notify();
        child.expect_success();
        assert_eq!(flock_new_description(&path, EX_NB), Ok(()));
    });
}

/// flock(2): the shared lock "may be modified or released using any of these file
/// descriptors": a forked child's LOCK_UN on its inherited copy releases the parent's lock.
#[test]
fn a_forked_child_can_release_the_parents_flock() {
    let (_s, path) = scratch_file(b"0123456789");
    isolated(|| {
        let fd = locked_rw(&path, libc::LOCK_EX);
        spawn("child", || flock(&fd, libc::LOCK_UN).unwrap()).expect_success();
        assert_eq!(flock_new_description(&path, EX_NB), Ok(()));
    });
}

/// flock(2): "If a process uses open(2) (or similar) to obtain more than one file descriptor
/// for the same file, these file descriptors are treated independently by flock(). An attempt
/// to lock the file using one of these file descriptors may be denied by a lock that the
/// calling process has already placed via another file descriptor."
#[test]
fn a_second_open_in_the_same_process_conflicts() {
    let (_s, path) = scratch_file(b"0123456789");
    let first = open_rw(&path);
    let second = open_rw(&path);
    flock(&first, libc::LOCK_EX).unwrap();
    assert_errno!(flock(&second, SH_NB), Errno::EWOULDBLOCK);
}

/// flock(2): "A shared or exclusive lock can be placed on a file regardless of the mode in
/// which the file was opened." An exclusive lock through a read-only (or write-only)
/// descriptor takes effect: another description cannot lock.
#[rstest]
#[case::read_only(libc::O_RDONLY)]
#[case::write_only(libc::O_WRONLY)]
fn exclusive_flock_works_regardless_of_the_open_mode(#[case] mode: libc::c_int) {
    let (_s, path) = scratch_file(b"0123456789");
    let fd = open_file(&path, mode);
    assert_eq!(flock(&fd, libc::LOCK_EX), Ok(()));
    assert_errno!(flock_new_description(&path, SH_NB), Errno::EWOULDBLOCK);
}

/// flock(2), ERRORS: "EINVAL operation is invalid." Neither LOCK_SH, LOCK_EX nor LOCK_UN (0,
/// LOCK_NB alone) or two of them at once.
#[rstest]
#[case::zero(0)]
#[case::lock_nb_alone(libc::LOCK_NB)]
#[case::shared_and_exclusive(libc::LOCK_SH | libc::LOCK_EX)]
fn invalid_flock_operation_fails_einval(#[case] op: libc::c_int) {
    let (_s, path) = scratch_file(b"0123456789");
    let fd = open_rw(&path);
    assert_errno!(flock(&fd, op), Errno::EINVAL);
}

/// flock(2), ERRORS: "EBADF fd is not an open file descriptor." open(2), O_PATH: operations
/// other than the listed fd-level ones "fail with the error EBADF" — flock included.
#[test]
fn flock_on_a_closed_or_o_path_descriptor_fails_ebadf() {
    let (_s, path) = scratch_file(b"0123456789");
    let fd = open_rw(&path);
    let raw = fd.as_raw_fd();
    let opath = open_file(&path, libc::O_PATH);
    assert_errno!(flock(&opath, libc::LOCK_SH), Errno::EBADF);
    drop(fd);
    fixtures::run_in_child("closed fd", || assert_errno!(flock(raw_fd(raw), libc::LOCK_SH), Errno::EBADF)).expect_success();
}

/// flock(2): LOCK_UN "Remove an existing lock held by this process" — with no lock held it
/// succeeds, and re-requesting the lock mode already held succeeds too.
#[test]
fn unlocking_an_unlocked_file_and_relocking_the_same_mode_succeed() {
    let (_s, path) = scratch_file(b"0123456789");
    let fd = open_rw(&path);
    assert_eq!(flock(&fd, libc::LOCK_UN), Ok(()));
    assert_eq!(flock(&fd, libc::LOCK_EX), Ok(()));
    assert_eq!(flock(&fd, EX_NB), Ok(()));
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
    let (_s, path, [holder]) = owners_of_new_file(b"0123456789", ["holder"]);
    assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
    signal_a_waiting_lock_request(&path, "flock(LOCK_EX)", restart, |fd| flock(fd, libc::LOCK_EX), || {
        assert_eq!(holder.flock(libc::LOCK_UN), Ok(()));
    });
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
        flock(&fa, libc::LOCK_EX).unwrap();
        r1.notify();
        wait_go.wait();
        let r = flock(&fb, libc::LOCK_EX);
        panic!("the deadlocked flock returned {r:?}");
    });
    let mut second = spawn("holds b, wants a", || {
        let fa = open_rw(&a);
        let fb = open_rw(&b);
        flock(&fb, libc::LOCK_EX).unwrap();
        r2.notify();
        wait_go.wait();
        assert_eq!(flock(&fa, libc::LOCK_EX), Ok(()), "flock reported a deadlock");
    });
    w1.wait();
    w2.wait();
    go.notify(); // one "go" byte for each child
    go.notify();
    first.assert_blocked_in(&[libc::SYS_flock], "flock of b held by the second");
    second.assert_blocked_in(&[libc::SYS_flock], "flock of a held by the first");
    first.signal(Signal::SIGKILL);
    assert_eq!(first.join(), fixtures::Outcome::Signaled(Signal::SIGKILL));
    second.expect_success();
}

/// flock(2) NOTES: "flock() places advisory locks only; given suitable permissions on a file, a
/// process is free to ignore the use of flock() and perform I/O on the file." A write through
/// an unlocked descriptor succeeds while another process holds LOCK_EX.
#[test]
fn flock_is_advisory_io_ignores_it() {
    let (_s, path, [holder]) = owners_of_new_file(b"0123456789", ["holder"]);
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
    let (_s, path) = scratch_file(b"0123456789");
    isolated(|| {
        let holder = ExecdHolder::start(&path, |fd| flock(fd, libc::LOCK_EX).unwrap());
        assert_errno!(flock_new_description(&path, EX_NB), Errno::EWOULDBLOCK);
        holder.release();
        assert_eq!(flock_new_description(&path, EX_NB), Ok(()));
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
        assert_eq!(flock(&r, libc::LOCK_EX), Ok(()));
        assert_errno!(flock(&w, EX_NB), Errno::EWOULDBLOCK);
        assert_eq!(flock(&r, libc::LOCK_UN), Ok(()));
        assert_eq!(flock(&w, EX_NB), Ok(()));
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
        assert_eq!(flock(&a, libc::LOCK_EX), Ok(()));
        assert_eq!(flock(&b, EX_NB), Ok(()));
    });
}

/// LOCK_MAND (include/uapi/asm-generic/fcntl.h: "LOCK_MAND support has been removed from the
/// kernel. We leave the symbols here to not break legacy builds"): commit 90f7d7a0d0d6 (5.15)
/// makes flock(fd, LOCK_MAND |
/// LOCK_READ) return 0 without taking any lock (fs/locks.c: "Just ignore these requests now,
/// to preserve legacy behavior"): no /proc/locks line appears for the file (variant `ignored`,
/// lacking). Before, the call recorded a lock that /proc/locks listed as "FLOCK MSNFS READ"
/// with the caller's pid (variant `recorded`). On either kernel it never conflicts: another
/// description then takes LOCK_EX | LOCK_NB.
///
/// Kernel change: 5.15, commit 90f7d7a0d0d6 — flock(LOCK_MAND) is accepted and ignored (before: a lock listed as MSNFS in /proc/locks).
#[test]
fn flock_with_lock_mand_is_ignored_since_5_15() {
    const LOCK_MAND: libc::c_int = 32;
    const LOCK_READ: libc::c_int = 64;
    isolated(|| {
        let (_s, path) = scratch_file(b"x");
        let fd = open_rw(&path);
        let id = file_locks::proc_locks::proc_locks_id(&fd);
        assert_eq!(flock(&fd, LOCK_MAND | LOCK_READ), Ok(()));
        let lines = file_locks::proc_locks::proc_locks_for(&id);
        let v = fixtures::kernel_version();
        if fixtures::kernel_at_least(5, 15) {
            fixtures::variant::lacking("ignored", format_args!("LOCK_MAND is ignored since 5.15; kernel {v}"));
            assert_eq!(lines, vec![], "a LOCK_MAND request left a lock");
        } else {
            fixtures::variant::observed("recorded", format_args!("LOCK_MAND records an MSNFS lock before 5.15; kernel {v}"));
            let got: Vec<(&str, &str, &str, i64)> =
                lines.iter().map(|l| (l.class.as_str(), l.mode.as_str(), l.access.as_str(), l.pid)).collect();
            assert_eq!(got, vec![("FLOCK", "MSNFS", "READ", nix::unistd::getpid().as_raw() as i64)]);
        }
        assert_eq!(flock_new_description(&path, EX_NB), Ok(()), "LOCK_MAND never conflicts");
    });
}
