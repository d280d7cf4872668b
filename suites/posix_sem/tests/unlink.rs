//! sem_unlink(3): removing a name while the semaphore is in use.

use fixtures::{IpcName, assert_errno, spawn};
use nix::errno::Errno;
use posix_sem::named::{create, dev_shm_path, sem_open, sem_open_existing, sem_unlink};

/// sem_unlink(3): "The semaphore name is removed immediately": a later sem_open without
/// O_CREAT fails ENOENT and /dev/shm/sem.NAME is gone, though the semaphore is still open.
#[test]
fn unlink_removes_the_name_immediately() {
    let name = IpcName::sem("gone");
    let _s = create(&name, 0);
    assert_eq!(sem_unlink(name.as_cstr()), Ok(()));
    assert_errno!(sem_open_existing(name.as_cstr()), Errno::ENOENT);
    assert!(!dev_shm_path(&name).exists());
}

/// sem_unlink(3): "The semaphore is destroyed once all other processes that have the
/// semaphore open close it": a child that opened it before the unlink still shares it with
/// the parent afterwards (its post wakes the parent's wait).
#[test]
fn open_handles_keep_working_after_unlink() {
    let name = IpcName::sem("alive");
    let s = create(&name, 0);
    let n = name.as_cstr().to_owned();
    let (opened, wait_opened) = fixtures::sync::channel();
    let (go, wait_go) = fixtures::sync::channel();
    let mut child = spawn("holder", move || {
        let h = sem_open_existing(&n).unwrap();
        opened.notify();
        wait_go.wait();
        h.post().unwrap();
        h.post().unwrap();
    });
    wait_opened.wait();
    sem_unlink(name.as_cstr()).unwrap();
    go.notify();
    fixtures::within("sem_wait after the unlink", || s.wait().unwrap());
    child.join().expect_success();
    assert_eq!(s.value(), 1);
}

/// sem_unlink(3), ERRORS: "ENOENT There is no semaphore with the given name." Also the
/// second unlink of the same name.
#[test]
fn unlink_of_a_missing_name_fails_enoent() {
    let name = IpcName::sem("nosuch");
    assert_errno!(sem_unlink(name.as_cstr()), Errno::ENOENT);
    let _s = create(&name, 0);
    assert_eq!(sem_unlink(name.as_cstr()), Ok(()));
    assert_errno!(sem_unlink(name.as_cstr()), Errno::ENOENT);
}

/// After sem_unlink(3), O_CREAT with the same name makes a new, distinct semaphore (POSIX
/// sem_unlink(): "Calls to sem_open() to recreate or reconnect to the semaphore refer to a
/// new semaphore after sem_unlink() is called"): posts on the old one do not reach it.
#[test]
fn after_unlink_the_same_name_creates_a_distinct_semaphore() {
    let name = IpcName::sem("recreate");
    let old = create(&name, 4);
    sem_unlink(name.as_cstr()).unwrap();
    let new = sem_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL, 0o600, 1).unwrap();
    assert_ne!(old.as_ptr(), new.as_ptr());
    old.post().unwrap();
    assert_eq!(old.value(), 5);
    assert_eq!(new.value(), 1);
}
