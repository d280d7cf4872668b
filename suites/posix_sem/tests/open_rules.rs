//! sem_open(3): creating and opening named semaphores.

use fixtures::{IpcName, assert_errno, spawn};
use nix::errno::Errno;
use posix_sem::named::{create, dev_shm_path, sem_open, sem_open_existing};
use rstest::rstest;

/// sem_open(3): "If O_CREAT is specified ... the semaphore is created if it does not
/// already exist ... The value argument specifies the initial value for the new
/// semaphore." Asserted: sem_getvalue(3) reports exactly that value.
#[rstest]
fn o_creat_creates_a_semaphore_with_the_given_value(#[values(0, 1, 7, 1000)] initial: u32) {
    let name = IpcName::sem("create");
    let s = sem_open(name.as_cstr(), libc::O_CREAT, 0o600, initial).unwrap();
    assert_eq!(s.value(), initial as i32);
}

/// sem_open(3), ERRORS: "ENOENT The O_CREAT flag was not specified in oflag and no
/// semaphore with this name exists".
#[test]
fn open_without_o_creat_of_a_missing_name_fails_enoent() {
    let name = IpcName::sem("missing");
    assert_errno!(sem_open_existing(name.as_cstr()), Errno::ENOENT);
}

/// sem_open(3): "If both O_CREAT and O_EXCL are specified in oflag, then an error is
/// returned if a semaphore with the given name already exists" (ERRORS: EEXIST).
#[test]
fn o_creat_o_excl_of_an_existing_name_fails_eexist() {
    let name = IpcName::sem("excl");
    let _s = create(&name, 0);
    assert_errno!(sem_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL, 0o600, 0), Errno::EEXIST);
}

/// sem_open(3): "If O_CREAT is specified, and a semaphore with the given name already
/// exists, then mode and value are ignored." Asserted: the value and the file mode stay.
#[test]
fn o_creat_of_an_existing_name_ignores_mode_and_value() {
    use std::os::unix::fs::PermissionsExt;
    let name = IpcName::sem("ignored");
    let first = create(&name, 3);
    let again = sem_open(name.as_cstr(), libc::O_CREAT, 0o666, 9).unwrap();
    assert_eq!(again.value(), 3, "the value argument must be ignored");
    let mode = std::fs::metadata(dev_shm_path(&name)).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the mode argument must be ignored");
    drop(first);
}

/// sem_overview(7): "Two processes can operate on the same named semaphore by passing the
/// same name to sem_open(3)." A child that opens the name itself (no inherited mapping)
/// posts; the parent sees the post.
#[test]
fn another_process_opening_the_name_shares_the_semaphore() {
    let name = IpcName::sem("shared");
    let s = create(&name, 0);
    let n = name.as_cstr().to_owned();
    spawn("poster", move || {
        let c = sem_open_existing(&n).unwrap();
        for _ in 0..3 {
            c.post().unwrap();
        }
    })
    .expect_success();
    assert_eq!(s.value(), 3);
}

/// sem_overview(7), "Persistence": "POSIX named semaphores have kernel persistence: if not
/// removed by sem_unlink(3), a semaphore will exist until the system is shut down." After
/// every handle is closed the value is still there when the name is opened again.
#[test]
fn a_closed_named_semaphore_keeps_its_value() {
    let name = IpcName::sem("persist");
    let s = create(&name, 0);
    s.post().unwrap();
    s.post().unwrap();
    drop(s);
    let n = name.as_cstr().to_owned();
    spawn("reopener", move || {
        let again = sem_open_existing(&n).unwrap();
        assert_eq!(again.value(), 2);
    })
    .expect_success();
}
