//! Permissions of System V shared memory segments for another user. As root the checks run
//! in a child that became nobody (without CAP_IPC_OWNER); as an unprivileged user the
//! segment's owner bits deny the owner itself (fixtures::privilege::mode_for_other_user).

use fixtures::privilege::{drop_to_nobody, mode_for_other_user};
use fixtures::{assert_errno, needs, run_in_child};
use nix::errno::Errno;
use sysv_ipc::{Attached, Segment, shm_stat, shmget};

/// shmget(2), ERRORS: "EACCES The user does not have permission to access the shared memory
/// segment, and does not have the CAP_IPC_OWNER capability in the user namespace that
/// governs its IPC namespace"; shmop(2), ERRORS: "EACCES The calling process does not have
/// the required permissions for the requested attach type"; shmctl(2): IPC_STAT needs read
/// permission ("EACCES IPC_STAT ... is requested and shm_perm.mode does not allow read
/// access for shmid"). A segment with mode 0600 (rw for its owner only), used by another
/// user: shmget asking for read and write (0600 in shmflg), shmat read-write and SHM_RDONLY,
/// and IPC_STAT all fail with EACCES. (PostgreSQL creates its segment 0600.)
#[test]
fn another_user_gets_eacces_on_a_0600_segment() {
    // variant: none — as root the child becomes nobody and meets the "other" bits, as an
    // unprivileged user it meets the owner bits set to the same digit: one outcome.
    needs!(other_user);
    let seg = Segment::create(4096, mode_for_other_user(0) as libc::c_int);
    let (key, id) = (seg.key, seg.id);
    run_in_child("another user", move || {
        drop_to_nobody();
        assert_errno!(shmget(key, 0, 0o600), Errno::EACCES, "shmget for read and write");
        assert_errno!(Attached::attach(id, 0).map(drop), Errno::EACCES, "shmat read-write");
        assert_errno!(Attached::attach(id, libc::SHM_RDONLY).map(drop), Errno::EACCES, "shmat SHM_RDONLY");
        assert_errno!(shm_stat(id), Errno::EACCES, "IPC_STAT");
    })
    .expect_success();
}
