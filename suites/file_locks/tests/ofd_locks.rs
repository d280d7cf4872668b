//! fcntl(2), "Open file description locks (non-POSIX)", Linux 3.15: byte-range locks owned by
//! the open file description instead of the process.
//!
//! Variants: every test reports `present` (3.15+: the claim was checked) or `absent` (an
//! older kernel: the F_OFD_* commands fail with EINVAL, which is asserted, and the test
//! passes).

use std::path::PathBuf;

use file_locks::locks::{LockInfo, fcntl_lock, getlk, open_rw, range, scratch_file, setlk, with_whence};
use file_locks::owner::Owner;
use fixtures::{Scratch, assert_errno, isolated, spawn, variant};
use nix::errno::Errno;
use rstest::rstest;

const RD: libc::c_int = libc::F_RDLCK;
const WR: libc::c_int = libc::F_WRLCK;
const UN: libc::c_int = libc::F_UNLCK;

/// Whether this kernel has OFD locks (Linux 3.15), reported as the test's variant
/// (`variant::since`: `present` or `absent`). Before 3.15 the F_OFD_* commands do not exist:
/// fcntl(2), ERRORS, "EINVAL The value specified in cmd is not recognized by this kernel",
/// which is asserted for F_OFD_SETLK, F_OFD_SETLKW and F_OFD_GETLK with a valid request;
/// the test then returns (passes) without checking its claim.
fn ofd_locks_here() -> bool {
    if variant::since(3, 15, "OFD locks") {
        return true;
    }
    let (_s, path) = scratch_file(b"0123456789");
    let fd = open_rw(&path);
    for cmd in [libc::F_OFD_SETLK, libc::F_OFD_SETLKW, libc::F_OFD_GETLK] {
        assert_errno!(fcntl_lock(&fd, cmd, &mut range(WR, 0, 10)), Errno::EINVAL, "fcntl cmd {cmd} before 3.15");
    }
    false
}

/// The file a test locks, in a fresh scratch directory, when this kernel has OFD locks
/// ([`ofd_locks_here`]); `None` (the caller returns) when it has not.
fn ofd_lock_file() -> Option<(Scratch, PathBuf)> {
    ofd_locks_here().then(|| scratch_file(b"0123456789"))
}

/// fcntl(2): "open file description locks may conflict with each other when they are acquired
/// via different open file descriptions. Thus, the threads in a multithreaded program can use
/// open file description locks to synchronize access to a file region by having each thread
/// perform its own open(2)". Two opens in one process: the second write lock fails with
/// EAGAIN ("If a conflicting lock is held by another process, this call returns -1 and sets
/// errno to EAGAIN").
#[test]
fn ofd_locks_of_two_descriptions_in_one_process_conflict() {
    let Some((_s, path)) = ofd_lock_file() else { return };
    let a = open_rw(&path);
    let b = open_rw(&path);
    assert_eq!(setlk(&a, libc::F_OFD_SETLK, WR, 0, 10), Ok(()));
    assert_errno!(setlk(&b, libc::F_OFD_SETLK, RD, 5, 1), Errno::EAGAIN);
    let got = getlk(&b, libc::F_OFD_GETLK, RD, 0, 10);
    assert_eq!(got.conflict(), (WR, 0, 10, -1));
}

/// fcntl(2): the same, between threads: each thread with its own open(2) is excluded by the
/// other's OFD lock (unlike traditional record locks, which threads share).
#[test]
fn threads_with_their_own_opens_exclude_each_other() {
    let Some((_s, path)) = ofd_lock_file() else { return };
    let a = open_rw(&path);
    assert_eq!(setlk(&a, libc::F_OFD_SETLK, WR, 0, 10), Ok(()));
    let p = path.clone();
    let r = std::thread::spawn(move || {
        let own = open_rw(&p);
        setlk(&own, libc::F_OFD_SETLK, WR, 0, 10)
    })
    .join()
    .unwrap();
    assert_errno!(r, Errno::EAGAIN);
}

/// fcntl(2): "Open file description locks placed via the same open file description (i.e.,
/// via the same file descriptor, or via a duplicate of the file descriptor created by fork(2),
/// dup(2), fcntl() F_DUPFD, and so on) are always compatible: if a new lock is placed on an
/// already locked region, then the existing lock is converted to the new lock type."
#[test]
fn ofd_locks_through_a_duplicate_never_conflict() {
    let Some((_s, path)) = ofd_lock_file() else { return };
    let a = open_rw(&path);
    let dup = a.try_clone().unwrap();
    assert_eq!(setlk(&a, libc::F_OFD_SETLK, WR, 0, 10), Ok(()));
    assert_eq!(setlk(&dup, libc::F_OFD_SETLK, RD, 0, 10), Ok(()), "converted to a read lock");
    let other = open_rw(&path);
    assert_eq!(getlk(&other, libc::F_OFD_GETLK, WR, 0, 10).conflict(), (RD, 0, 10, -1));
}

/// fcntl(2): "By contrast with traditional record locks, the l_pid field of that structure
/// must be set to zero when using the commands described below"; ERRORS: "EINVAL cmd is
/// F_OFD_SETLK, F_OFD_SETLKW, or F_OFD_GETLK, and l_pid was not specified as zero."
#[rstest]
#[case::f_ofd_setlk(libc::F_OFD_SETLK)]
#[case::f_ofd_setlkw(libc::F_OFD_SETLKW)]
#[case::f_ofd_getlk(libc::F_OFD_GETLK)]
fn ofd_commands_with_a_nonzero_l_pid_fail_einval(#[case] cmd: libc::c_int) {
    let Some((_s, path)) = ofd_lock_file() else { return };
    let fd = open_rw(&path);
    let mut fl = range(WR, 0, 1);
    fl.l_pid = 1;
    assert_errno!(fcntl_lock(&fd, cmd, &mut fl), Errno::EINVAL);
}

/// fcntl(2), F_GETLK: "If the conflicting lock is an open file description lock, then l_pid is
/// set to -1." Both F_OFD_GETLK and the traditional F_GETLK report -1 for an OFD holder in
/// another process.
#[rstest]
#[case::f_ofd_getlk(libc::F_OFD_GETLK)]
#[case::f_getlk(libc::F_GETLK)]
fn getlk_reports_pid_minus_one_for_an_ofd_lock(#[case] cmd: libc::c_int) {
    let Some((_s, path)) = ofd_lock_file() else { return };
    let owner = Owner::new("OFD holder", &path);
    assert_eq!(owner.setlk(libc::F_OFD_SETLK, WR, 2, 3), Ok(()));
    let fd = open_rw(&path);
    assert_eq!(getlk(&fd, cmd, RD, 0, 10), LockInfo { l_type: WR, l_whence: libc::SEEK_SET, l_start: 2, l_len: 3, l_pid: -1 });
}

/// fcntl(2): OFD locks "are only automatically released on the last close of the open file
/// description, instead of being released on any close of the file." Closing another
/// descriptor of the same file (the POSIX-lock pitfall) keeps the lock; closing the last
/// descriptor of the locking description releases it.
#[test]
fn ofd_lock_survives_closing_another_descriptor_and_ends_with_the_description() {
    let Some((_s, path)) = ofd_lock_file() else { return };
    isolated(|| {
        let fd = open_rw(&path);
        let dup = fd.try_clone().unwrap();
        assert_eq!(setlk(&fd, libc::F_OFD_SETLK, WR, 0, 10), Ok(()));
        drop(open_rw(&path)); // another description of the same file: opened and closed
        let probe = open_rw(&path);
        assert!(!getlk(&probe, libc::F_OFD_GETLK, WR, 0, 10).is_unlocked(), "lost on an unrelated close");
        drop(fd);
        assert!(!getlk(&probe, libc::F_OFD_GETLK, WR, 0, 10).is_unlocked(), "lost while a dup is open");
        drop(dup);
        assert!(getlk(&probe, libc::F_OFD_GETLK, WR, 0, 10).is_unlocked());
    });
}

/// fcntl(2): "open file description locks are inherited across fork(2)": the child's
/// inherited descriptor refers to the locking description, so its F_OFD_SETLK on the same
/// range is compatible (a conversion), and its F_UNLCK releases the parent's lock.
#[test]
fn ofd_locks_are_inherited_across_fork() {
    let Some((_s, path)) = ofd_lock_file() else { return };
    isolated(|| {
        let fd = open_rw(&path);
        assert_eq!(setlk(&fd, libc::F_OFD_SETLK, WR, 0, 10), Ok(()));
        spawn("child", || {
            assert_eq!(setlk(&fd, libc::F_OFD_SETLK, WR, 0, 10), Ok(()));
            assert_eq!(setlk(&fd, libc::F_OFD_SETLK, UN, 0, 10), Ok(()));
        })
        .expect_success();
        let probe = open_rw(&path);
        assert!(getlk(&probe, libc::F_OFD_GETLK, WR, 0, 10).is_unlocked(), "the child's F_UNLCK did not release it");
    });
}

/// fcntl(2): "Conflicting lock combinations (i.e., a read lock and a write lock or two write
/// locks) where one lock is an open file description lock and the other is a traditional
/// record lock conflict even when they are acquired by the same process on the same file
/// descriptor."
#[rstest]
#[case::posix_then_ofd(libc::F_SETLK, libc::F_OFD_SETLK)]
#[case::ofd_then_posix(libc::F_OFD_SETLK, libc::F_SETLK)]
fn ofd_and_posix_locks_conflict_even_on_the_same_descriptor(#[case] first: libc::c_int, #[case] second: libc::c_int) {
    let Some((_s, path)) = ofd_lock_file() else { return };
    let fd = open_rw(&path);
    assert_eq!(setlk(&fd, first, WR, 0, 10), Ok(()));
    assert_errno!(setlk(&fd, second, RD, 5, 1), Errno::EAGAIN);
}

/// The same conflict between processes: a POSIX read lock of another process blocks an OFD
/// write lock and vice versa, and F_OFD_GETLK reports the POSIX holder's pid (fcntl(2):
/// "If the conflicting lock is a traditional (process-associated) record lock, then the l_pid
/// field is set to the PID of the process holding that lock").
#[test]
fn an_ofd_request_sees_a_posix_lock_of_another_process() {
    let Some((_s, path)) = ofd_lock_file() else { return };
    let owner = Owner::new("POSIX holder", &path);
    assert_eq!(owner.setlk(libc::F_SETLK, RD, 0, 4), Ok(()));
    let fd = open_rw(&path);
    assert_errno!(setlk(&fd, libc::F_OFD_SETLK, WR, 0, 1), Errno::EAGAIN);
    assert_eq!(getlk(&fd, libc::F_OFD_GETLK, WR, 0, 10).conflict(), (RD, 0, 4, owner.pid()));
    assert_eq!(setlk(&fd, libc::F_OFD_SETLK, RD, 0, 1), Ok(()), "read locks are compatible");
}

/// fcntl(2), F_OFD_GETLK: "If the lock could be placed, fcntl() does not actually place it,
/// but returns F_UNLCK in the l_type field of lock and leaves the other fields of the
/// structure unchanged."
#[test]
fn f_ofd_getlk_without_conflict_returns_f_unlck() {
    let Some((_s, path)) = ofd_lock_file() else { return };
    let fd = open_rw(&path);
    let mut fl = with_whence(WR, libc::SEEK_END, -4, 2);
    fcntl_lock(&fd, libc::F_OFD_GETLK, &mut fl).unwrap();
    assert_eq!(LockInfo::from_flock(&fl), LockInfo { l_type: UN, l_whence: libc::SEEK_END, l_start: -4, l_len: 2, l_pid: 0 });
}
