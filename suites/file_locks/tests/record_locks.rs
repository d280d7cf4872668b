//! fcntl(2), "Advisory record locking": byte-range locks, F_SETLK and F_GETLK.
//!
//! Locks are placed by an [`Owner`] child; the test process, which holds no lock on the
//! file, looks at them with F_GETLK or competes with F_SETLK. Since a process's own record
//! locks never conflict with each other, "what is locked" is only visible from another
//! process.

use std::os::fd::AsRawFd;

use file_locks::cases::{RecordLock, record_lock_kinds};
use file_locks::locks::{LockInfo, fcntl_lock, getlk, open_file, open_rw, scratch_file, setlk, with_whence};
use file_locks::owner::owners_of_new_file;
use fixtures::assert_errno;
use rstest_reuse::apply;
use nix::errno::Errno;
use rstest::rstest;

const RD: libc::c_int = libc::F_RDLCK;
const WR: libc::c_int = libc::F_WRLCK;
const UN: libc::c_int = libc::F_UNLCK;

/// F_GETLK from the test process on a one-byte range.
fn probe(path: &std::path::Path, l_type: libc::c_int, at: i64) -> LockInfo {
    let fd = open_rw(path);
    getlk(&fd, libc::F_GETLK, l_type, at, 1)
}

/// fcntl(2): "Any number of processes may hold a read lock (shared lock) on a file region, but
/// only one process may hold a write lock (exclusive lock). An exclusive lock excludes all
/// other locks"; F_SETLK: "If a conflicting lock is held by another process, this call returns
/// -1 and sets errno to EACCES or EAGAIN." Linux uses EAGAIN (fs/locks.c,
/// posix_lock_inode).
#[rstest]
#[case::read_then_read(RD, RD, Ok(()))]
#[case::read_then_write(RD, WR, Err(Errno::EAGAIN))]
#[case::write_then_read(WR, RD, Err(Errno::EAGAIN))]
#[case::write_then_write(WR, WR, Err(Errno::EAGAIN))]
fn f_setlk_conflict_matrix(#[case] held: libc::c_int, #[case] wanted: libc::c_int, #[case] expected: Result<(), Errno>) {
    let (_s, path, [owner]) = owners_of_new_file(b"0123456789", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, held, 0, 10), Ok(()));
    let fd = open_rw(&path);
    assert_eq!(setlk(&fd, libc::F_SETLK, wanted, 5, 1), expected);
}

/// fcntl(2): "If l_len is positive, then the range to be locked covers bytes l_start up to and
/// including l_start+l_len-1." Write locks on [0,10) and [10,20) touch but do not overlap,
/// so both are granted; [9,10) overlaps the first and is refused.
#[test]
fn adjacent_ranges_do_not_conflict() {
    let (_s, path, [owner]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 0, 10), Ok(()));
    let fd = open_rw(&path);
    assert_eq!(setlk(&fd, libc::F_SETLK, WR, 10, 10), Ok(()));
    assert_errno!(setlk(&fd, libc::F_SETLK, WR, 9, 1), Errno::EAGAIN);
}

/// fcntl(2), F_GETLK: "If one or more incompatible locks would prevent this lock being placed,
/// then fcntl() returns details about one of those locks in the l_type, l_whence, l_start,
/// and l_len fields of lock. If the conflicting lock is a traditional (process-associated)
/// record lock, then the l_pid field is set to the PID of the process holding that lock."
#[test]
fn f_getlk_reports_the_conflicting_lock_and_its_pid() {
    let (_s, path, [owner]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 10, 10), Ok(()));
    let fd = open_rw(&path);
    let got = getlk(&fd, libc::F_GETLK, RD, 0, 100);
    assert_eq!(got, LockInfo { l_type: WR, l_whence: libc::SEEK_SET, l_start: 10, l_len: 10, l_pid: owner.pid() });
}

/// fcntl(2), F_GETLK: "If the lock could be placed, fcntl() does not actually place it, but
/// returns F_UNLCK in the l_type field of lock and leaves the other fields of the structure
/// unchanged." A request with l_whence SEEK_CUR and a junk l_pid comes back unchanged except
/// for l_type; compatible read locks of another process do not count; and nothing was placed.
#[test]
fn f_getlk_without_conflict_returns_f_unlck_and_leaves_the_other_fields() {
    let (_s, path, [owner]) = owners_of_new_file(b"0123456789", ["reader"]);
    assert_eq!(owner.setlk(libc::F_SETLK, RD, 0, 0), Ok(()));
    let fd = open_rw(&path);
    let mut fl = with_whence(RD, libc::SEEK_CUR, 3, 7);
    fl.l_pid = 4242;
    fcntl_lock(&fd, libc::F_GETLK, &mut fl).unwrap();
    assert_eq!(LockInfo::from_flock(&fl), LockInfo { l_type: UN, l_whence: libc::SEEK_CUR, l_start: 3, l_len: 7, l_pid: 4242 });
    assert!(owner.getlk(libc::F_GETLK, WR, 0, 0).is_unlocked(), "F_GETLK placed a lock");
}

/// fcntl(2): "l_start is the starting offset for the lock, and is interpreted relative to
/// either: the start of the file (if l_whence is SEEK_SET); the current file offset (if
/// l_whence is SEEK_CUR); or the end of the file (if l_whence is SEEK_END). In the final two
/// cases, l_start can be a negative number". The lock lands at the absolute range; F_GETLK
/// reports it with l_whence SEEK_SET.
#[rstest]
#[case::seek_set(libc::SEEK_SET, 40, 40)]
#[case::seek_cur(libc::SEEK_CUR, 10, 110)]
#[case::seek_end(libc::SEEK_END, -10, 40)]
fn l_whence_decides_where_l_start_counts_from(#[case] whence: libc::c_int, #[case] start: i64, #[case] absolute: i64) {
    let (_s, path) = scratch_file(&[b'x'; 50]);
    fixtures::run_in_child("holder", || {
        let fd = open_rw(&path);
        // SAFETY: positioning our own descriptor.
        assert_eq!(unsafe { libc::lseek(fd.as_raw_fd(), 100, libc::SEEK_SET) }, 100);
        fcntl_lock(&fd, libc::F_SETLK, &mut with_whence(WR, whence, start, 5)).unwrap();
        // Ask from another process while this one holds the lock.
        fixtures::run_in_child("observer", || {
            let got = probe(&path, WR, 0);
            assert!(got.is_unlocked(), "byte 0 is locked: {got:?}");
            let fd = open_rw(&path);
            let got = getlk(&fd, libc::F_GETLK, WR, 0, 1000);
            assert_eq!((got.l_type, got.l_whence, got.l_start, got.l_len), (WR, libc::SEEK_SET, absolute, 5));
        })
        .expect_success();
    })
    .expect_success();
}

/// fcntl(2): "Specifying 0 for l_len has the special meaning: lock all bytes starting at the
/// location specified by l_whence and l_start through to the end of file, no matter how large
/// the file grows." A lock from byte 10 with l_len 0 covers a byte a terabyte away (and is
/// reported with l_len 0), not byte 9.
#[test]
fn l_len_zero_locks_through_end_of_file_and_beyond() {
    let (_s, path, [owner]) = owners_of_new_file(b"0123456789abcdef", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 10, 0), Ok(()));
    assert_eq!(probe(&path, RD, 1 << 40).conflict(), (WR, 10, 0, owner.pid()));
    assert!(probe(&path, RD, 9).is_unlocked());
}

/// fcntl(2): "POSIX.1-2001 allows (but does not require) an implementation to support a
/// negative l_len value; if l_len is negative, the interval described by lock covers bytes
/// l_start+l_len up to and including l_start-1. This is supported since Linux 2.4.21".
/// start 100, len -10 locks [90,100); F_GETLK reports it normalised (start 90, len 10).
#[test]
fn negative_l_len_locks_the_bytes_before_l_start() {
    let (_s, path, [owner]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 100, -10), Ok(()));
    assert_eq!(probe(&path, RD, 99).conflict(), (WR, 90, 10, owner.pid()));
    assert_eq!(probe(&path, RD, 90).conflict(), (WR, 90, 10, owner.pid()));
    assert!(probe(&path, RD, 100).is_unlocked());
    assert!(probe(&path, RD, 89).is_unlocked());
}

/// fcntl(2): "Bytes past the end of the file may be locked, but not bytes before the start of
/// the file." A range starting before byte 0 — directly, through SEEK_CUR at offset 0, or by
/// a negative l_len reaching below 0 — fails with EINVAL.
#[rstest]
#[case::negative_start(libc::SEEK_SET, -1, 1)]
#[case::seek_cur_before_zero(libc::SEEK_CUR, -1, 1)]
#[case::negative_len_below_zero(libc::SEEK_SET, 5, -10)]
fn a_range_before_the_start_of_the_file_fails_einval(#[case] whence: libc::c_int, #[case] start: i64, #[case] len: i64) {
    let (_s, path) = scratch_file(b"0123456789");
    let fd = open_rw(&path);
    assert_errno!(fcntl_lock(&fd, libc::F_SETLK, &mut with_whence(WR, whence, start, len)), Errno::EINVAL);
}

/// fcntl(2): "Bytes past the end of the file may be locked". An empty file gets a write lock
/// on [1000,1010), visible to another process.
#[test]
fn bytes_past_end_of_file_can_be_locked() {
    let (_s, path, [owner]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 1000, 10), Ok(()));
    assert_eq!(probe(&path, RD, 1005).conflict(), (WR, 1000, 10, owner.pid()));
}

/// fcntl(2): conversions "may involve splitting, shrinking, or coalescing with an existing
/// lock". Unlocking [40,60) of a lock on [0,100) leaves two locks, [0,40) and [60,100).
#[test]
fn unlocking_the_middle_of_a_lock_splits_it() {
    let (_s, path, [owner]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 0, 100), Ok(()));
    assert_eq!(owner.setlk(libc::F_SETLK, UN, 40, 20), Ok(()));
    assert_eq!(probe(&path, RD, 30).conflict(), (WR, 0, 40, owner.pid()));
    assert!(probe(&path, RD, 50).is_unlocked());
    assert_eq!(probe(&path, RD, 70).conflict(), (WR, 60, 40, owner.pid()));
}

/// fcntl(2): "(Such conversions may involve ... coalescing with an existing lock ...)". Two
/// adjacent write locks of one process, [0,10) and [10,20), become one lock [0,20) (fs/locks.c,
/// posix_lock_inode merges adjacent locks of the same owner and type).
#[test]
fn adjacent_locks_of_one_owner_and_type_coalesce() {
    let (_s, path, [owner]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 0, 10), Ok(()));
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 10, 10), Ok(()));
    assert_eq!(probe(&path, RD, 5).conflict(), (WR, 0, 20, owner.pid()));
    assert_eq!(probe(&path, RD, 15).conflict(), (WR, 0, 20, owner.pid()));
}

/// fcntl(2): "A single process can hold only one type of lock on a file region; if a new lock
/// is applied to an already-locked region, then the existing lock is converted to the new lock
/// type." A write lock on [10,20) inside a read lock on [0,30) leaves read [0,10), write
/// [10,20), read [20,30): another process may read-lock the outer parts but not the middle.
#[test]
fn a_write_lock_inside_a_read_lock_splits_it_in_three() {
    let (_s, path, [owner]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, RD, 0, 30), Ok(()));
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 10, 10), Ok(()));
    let pid = owner.pid();
    assert!(probe(&path, RD, 5).is_unlocked());
    assert_eq!(probe(&path, WR, 5).conflict(), (RD, 0, 10, pid));
    assert_eq!(probe(&path, RD, 15).conflict(), (WR, 10, 10, pid));
    assert_eq!(probe(&path, WR, 25).conflict(), (RD, 20, 10, pid));
}

/// fcntl(2): "if a new lock is applied to an already-locked region, then the existing lock is
/// converted": a process's own locks never conflict with its new request. Converting its
/// write lock to a read lock lets other processes read-lock, and F_GETLK by the owner itself
/// finds no conflict.
#[test]
fn a_processs_own_lock_is_converted_not_conflicting() {
    let (_s, path, [owner]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(owner.setlk(libc::F_SETLK, WR, 0, 100), Ok(()));
    assert!(owner.getlk(libc::F_GETLK, WR, 0, 100).is_unlocked(), "its own lock conflicts");
    assert_eq!(owner.setlk(libc::F_SETLK, RD, 0, 100), Ok(()));
    let fd = open_rw(&path);
    assert_eq!(setlk(&fd, libc::F_SETLK, RD, 50, 1), Ok(()));
    assert_eq!(probe(&path, WR, 0).conflict(), (RD, 0, 100, owner.pid()));
}

/// fcntl(2): "In order to place a read lock, fd must be open for reading. In order to place a
/// write lock, fd must be open for writing"; ERRORS: "EBADF cmd is F_SETLK or F_SETLKW and the
/// file descriptor open mode doesn't match with the type of lock requested." The same holds
/// for OFD locks (fs/locks.c, do_lock_file_wait callers check f_mode for both).
#[apply(record_lock_kinds)]
fn lock_type_not_matching_the_open_mode_fails_ebadf(
    #[case] kind: RecordLock,
    #[values(
        /// write_lock_on_read_only
        (libc::O_RDONLY, WR),
        /// read_lock_on_write_only
        (libc::O_WRONLY, RD),
    )]
    mismatch: (libc::c_int, libc::c_int),
) {
    let (mode, l_type) = mismatch;
    let (_s, path) = scratch_file(b"0123456789");
    let fd = open_file(&path, mode);
    assert_errno!(setlk(&fd, kind.set, l_type, 0, 1), Errno::EBADF);
}

/// fcntl(2): F_UNLCK releases "the bytes specified"; releasing bytes that are not locked is
/// not an error.
#[test]
fn unlocking_an_unlocked_range_succeeds() {
    let (_s, path) = scratch_file(b"");
    let fd = open_rw(&path);
    assert_eq!(setlk(&fd, libc::F_SETLK, UN, 0, 100), Ok(()));
}

/// fcntl(2): l_type is one of "F_RDLCK, F_WRLCK, F_UNLCK"; anything else is rejected with
/// EINVAL by F_SETLK and F_GETLK alike (fs/locks.c, flock_to_posix_lock / posix_test_lock
/// argument checks).
#[rstest]
#[case::f_setlk(libc::F_SETLK)]
#[case::f_getlk(libc::F_GETLK)]
fn an_invalid_l_type_fails_einval(#[case] cmd: libc::c_int) {
    let (_s, path) = scratch_file(b"");
    let fd = open_rw(&path);
    assert_errno!(setlk(&fd, cmd, 42, 0, 1), Errno::EINVAL);
}
