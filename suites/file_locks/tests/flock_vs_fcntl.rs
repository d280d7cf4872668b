//! flock(2) NOTES: "Since Linux 2.0, flock() is implemented as a system call in its own right
//! rather than being emulated in the GNU C library as a call to fcntl(2). With this
//! implementation, there is no interaction between the types of lock placed by flock() and
//! fcntl(2)" — on local filesystems (NFS and CIFS emulate flock with byte-range locks).

use file_locks::cases::{RecordLock, record_lock_kinds};
use file_locks::locks::{flock, getlk, open_rw, setlk};
use file_locks::owner::owners_of_new_file;
use rstest::rstest;
use rstest_reuse::apply;

/// flock(2), NOTES: "there is no interaction between the types of lock placed by flock()
/// and fcntl(2)". A process holding an exclusive flock does not stop another process's
/// fcntl write lock
/// (classic or OFD) on the whole file, and F_GETLK / F_OFD_GETLK do not report the flock.
#[apply(record_lock_kinds)]
fn an_exclusive_flock_does_not_stop_fcntl_locks(#[case] kind: RecordLock) {
    let (_s, path, [holder]) = owners_of_new_file(b"data", ["flock holder"]);
    assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
    let fd = open_rw(&path);
    assert!(getlk(&fd, kind.get, libc::F_WRLCK, 0, 0).is_unlocked());
    assert_eq!(setlk(&fd, kind.set, libc::F_WRLCK, 0, 0), Ok(()));
}

/// flock(2), NOTES: "there is no interaction between the types of lock placed by flock()
/// and fcntl(2)" — the other direction: a whole-file fcntl write lock (classic or OFD) held
/// by another process does not stop an exclusive flock.
#[apply(record_lock_kinds)]
fn fcntl_write_locks_do_not_stop_an_exclusive_flock(#[case] kind: RecordLock) {
    let (_s, path, [holder]) = owners_of_new_file(b"data", ["fcntl holder"]);
    assert_eq!(holder.setlk(kind.set, libc::F_WRLCK, 0, 0), Ok(()));
    let fd = open_rw(&path);
    assert_eq!(flock(&fd, libc::LOCK_EX | libc::LOCK_NB), Ok(()));
}
