//! How long a System V shared memory segment lives: attachments (shm_nattch), fork and exit,
//! IPC_RMID.

use fixtures::sync::channel;
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use sysv_ipc::{Attached, SHM_DEST, Segment, shm_rmid, shm_stat, shmget};

fn nattch(id: libc::c_int) -> u64 {
    shm_stat(id).expect("IPC_STAT").shm_nattch
}

/// shmctl(2), IPC_STAT: shm_nattch is the "No. of current attaches"; shmop(2): "After a
/// fork(2), the child inherits the attached shared memory segments" and "Upon _exit(2), all
/// attached shared memory segments are detached from the process". Asserted: 0 before
/// shmat, 1 after; 2 while a forked child lives (and a store by the child is seen through the
/// parent's attachment); 1 again once the child has exited and been reaped. (PostgreSQL's
/// PGSharedMemoryIsInUse refuses to start a postmaster while old backends keep
/// shm_nattch above zero.)
#[test]
fn shm_nattch_counts_the_attachments_a_child_inherits() {
    let seg = Segment::create(4096, 0o600);
    assert_eq!(nattch(seg.id), 0);
    let a = Attached::attach(seg.id, 0).unwrap();
    assert_eq!(nattch(seg.id), 1);
    let (stored, wait_stored) = channel();
    let (done, wait_done) = channel();
    let child = spawn("child with the inherited attachment", || {
        a.bytes()[..5].copy_from_slice(b"child");
        stored.notify();
        wait_done.wait();
    });
    wait_stored.wait();
    assert_eq!(nattch(seg.id), 2, "the child's inherited attachment counts");
    assert_eq!(&a.bytes()[..5], b"child");
    done.notify();
    child.expect_success();
    assert_eq!(nattch(seg.id), 1, "detached when the child exited");
}

/// shmctl(2), IPC_RMID: "Mark the segment to be destroyed. The segment will actually be
/// destroyed only after the last process detaches it"; the key is freed at once (shmget of
/// the key then fails ENOENT), the mode shows SHM_DEST ("segment will be destroyed") and the
/// memory stays usable through the attachment; after the last shmdt(2), shmctl(2) IPC_STAT
/// fails with "EINVAL shmid is not a valid identifier". (PostgreSQL's IpcMemoryDelete relies on
/// this to remove a segment its backends still use.)
#[test]
fn after_ipc_rmid_the_segment_lives_until_the_last_detach() {
    let seg = Segment::create(4096, 0o600);
    let a = Attached::attach(seg.id, 0).unwrap();
    a.bytes()[..4].copy_from_slice(b"kept");
    assert_eq!(shm_rmid(seg.id), Ok(()));
    assert_errno!(shmget(seg.key, 0, 0), Errno::ENOENT, "the key of a removed segment");
    let ds = shm_stat(seg.id).expect("IPC_STAT of a removed, still attached segment");
    assert_eq!((ds.shm_perm.mode & SHM_DEST, ds.shm_nattch), (SHM_DEST, 1));
    assert_eq!(&a.bytes()[..4], b"kept");
    a.bytes()[4..8].copy_from_slice(b"more");
    assert_eq!(&a.bytes()[..8], b"keptmore");
    assert_eq!(a.detach(), Ok(()));
    assert_errno!(shm_stat(seg.id), Errno::EINVAL, "IPC_STAT after the last detach");
}
