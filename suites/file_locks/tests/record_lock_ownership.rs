//! Traditional record locks are "process-associated" (fcntl(2)): not inherited by fork, kept
//! across execve, shared by the threads of a process, and all of a process's locks on a file
//! go away when it closes any descriptor of that file or exits.

use file_locks::exec::ExecdHolder;
use file_locks::locks::{LockInfo, getlk, locked_range, open_rw, scratch_file, setlk};
use file_locks::owner::owners_of_new_file;
use fixtures::{assert_errno, isolated, run_in_child};
use nix::errno::Errno;
use rstest::rstest;

const WR: libc::c_int = libc::F_WRLCK;

fn probe(path: &std::path::Path) -> LockInfo {
    let fd = open_rw(path);
    getlk(&fd, libc::F_GETLK, WR, 0, 10)
}

/// fcntl(2): "Record locks are not inherited by a child created via fork(2)". The child sees
/// its parent's lock as a conflict held by the parent's pid and cannot take the range itself.
#[test]
fn record_locks_are_not_inherited_by_fork() {
    let (_s, path) = scratch_file(b"0123456789");
    run_in_child("parent", || {
        let fd = locked_range(&path, libc::F_SETLK, WR, 0, 10);
        let parent = std::process::id() as i32;
        run_in_child("child", || {
            let got = getlk(&fd, libc::F_GETLK, WR, 0, 10);
            assert_eq!(got.conflict(), (WR, 0, 10, parent));
            assert_errno!(setlk(&fd, libc::F_SETLK, WR, 0, 10), Errno::EAGAIN);
        })
        .expect_success();
    })
    .expect_success();
}

/// fcntl(2): record locks "are preserved across an execve(2)". A child locks, execs a probe
/// that just waits (fixtures::exec `hold`); after the exec (seen as the close of a
/// close-on-exec pipe) F_GETLK from the test still reports the lock with the child's pid;
/// when the probe exits, the lock is gone.
#[test]
fn record_locks_are_preserved_across_execve() {
    let (_s, path) = scratch_file(b"0123456789");
    // Isolated: the holder's pipes must have no copies in children of other test threads.
    isolated(|| {
        let holder = ExecdHolder::start(&path, |fd| setlk(fd, libc::F_SETLK, WR, 0, 10).unwrap());
        assert_eq!(probe(&path).conflict(), (WR, 0, 10, holder.pid().as_raw()));
        holder.release();
        assert!(probe(&path).is_unlocked());
    });
}

/// fcntl(2): "If a process closes any file descriptor referring to a file, then all of the
/// process's locks on that file are released, regardless of the file descriptor(s) on which
/// the locks were obtained." The owner locks through its descriptor, then closes a different
/// one — a second open(2) of the file, or a dup(2) — and the lock is gone.
#[rstest]
#[case::another_open_descriptor(true)]
#[case::a_duplicate(false)]
fn closing_any_descriptor_of_the_file_releases_all_its_locks(#[case] reopen: bool) {
    let (_s, path, [owner]) = owners_of_new_file(b"0123456789", ["owner"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 0, 5), Ok(()));
    assert_eq!(owner.setlk(libc::F_SETLK, libc::F_RDLCK, 7, 2), Ok(()));
    assert!(!probe(&path).is_unlocked());
    if reopen {
        owner.open_and_close_another_fd();
    } else {
        owner.dup_and_close();
    }
    assert!(probe(&path).is_unlocked(), "the locks survived the close of another descriptor");
}

/// fcntl(2): "record locks are automatically released when the process terminates."
#[test]
fn record_locks_are_released_when_the_process_exits() {
    let (_s, path, [owner]) = owners_of_new_file(b"0123456789", ["owner"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 0, 10), Ok(()));
    let pid = owner.pid();
    assert_eq!(probe(&path).l_pid, pid);
    owner.exit();
    assert!(probe(&path).is_unlocked());
}

/// fcntl(2): "The threads in a process share locks. In other words, a multithreaded program
/// can't use record locking to ensure that threads don't simultaneously access the same
/// region of a file." A second thread, with its own open of the file, takes a write lock on
/// the range the first thread write-locked, and F_GETLK shows it no conflict.
#[test]
fn threads_of_a_process_share_record_locks() {
    let (_s, path) = scratch_file(b"0123456789");
    run_in_child("two threads", || {
        let _fd = locked_range(&path, libc::F_SETLK, WR, 0, 10);
        let p = path.clone();
        std::thread::spawn(move || {
            let own = open_rw(&p);
            assert!(getlk(&own, libc::F_GETLK, WR, 0, 10).is_unlocked());
            assert_eq!(setlk(&own, libc::F_SETLK, WR, 0, 10), Ok(()));
            std::mem::forget(own); // closing it would drop the process's locks
        })
        .join()
        .unwrap();
    })
    .expect_success();
}
