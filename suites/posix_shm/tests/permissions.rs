//! shm_open(3) and shm_unlink(3) for another user. As root the checks run in a child that
//! became nobody; as an unprivileged user the owner's own permission bits are used.

use fixtures::privilege::{answer_as_nobody, drop_to_nobody, mode_for_other_user};
use fixtures::{IpcName, assert_errno, needs, run_in_child};
use nix::errno::Errno;
use nix::sys::stat::fstat;
use posix_shm::{dev_shm_path, new_object, shm_open, shm_unlink};
use rstest::rstest;

fn chmod(name: &IpcName, mode: u32) {
    std::fs::set_permissions(dev_shm_path(name), std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
}

/// shm_open(3), ERRORS: "EACCES Permission was denied to shm_open() name in the specified
/// mode": O_RDONLY needs read permission, O_RDWR needs read and write.
#[rstest]
#[case::none_rdonly(0, libc::O_RDONLY, false)]
#[case::read_rdonly(4, libc::O_RDONLY, true)]
#[case::read_rdwr(4, libc::O_RDWR, false)]
#[case::write_rdwr(2, libc::O_RDWR, false)]
#[case::read_write_rdwr(6, libc::O_RDWR, true)]
fn another_user_is_checked_against_the_permission_bits(
    #[case] others: u32,
    #[case] oflag: libc::c_int,
    #[case] allowed: bool,
) {
    // variant: none — as root the child becomes nobody and meets the "other" bits, as an
    // unprivileged user it meets the owner bits set to the same digit: one outcome.
    needs!(other_user);
    let (name, _fd) = new_object("perm", 4096);
    chmod(&name, mode_for_other_user(others));
    let n = name.as_cstr().to_owned();
    let expected = if allowed { Ok(()) } else { Err(Errno::EACCES) };
    assert_eq!(answer_as_nobody("another user", move || shm_open(&n, oflag, 0).map(drop)), expected);
}

/// shm_open(3), ERRORS: "EACCES ... O_TRUNC was specified and the caller does not have
/// write permission on the object." The object keeps its size.
#[test]
fn o_trunc_without_write_permission_fails_eacces() {
    // variant: none — as root the child becomes nobody and meets the "other" bits, as an
    // unprivileged user it meets the owner bits set to the same digit: one outcome.
    needs!(other_user);
    let (name, fd) = new_object("trunc", 4096);
    chmod(&name, mode_for_other_user(4));
    let n = name.as_cstr().to_owned();
    run_in_child("another user", move || {
        drop_to_nobody();
        assert_errno!(shm_open(&n, libc::O_RDONLY | libc::O_TRUNC, 0), Errno::EACCES);
    })
    .expect_success();
    assert_eq!(fstat(&fd).unwrap().st_size, 4096);
}

/// shm_open(3), ERRORS: "EACCES Permission to shm_unlink() the shared memory object was
/// denied." /dev/shm is sticky (mode 1777): another user may not remove the file (the
/// kernel says EPERM, glibc reports EACCES); the object survives.
#[test]
fn another_user_cannot_shm_unlink_the_object() {
    // Two distinct users: the owner (root) and a child that becomes nobody.
    needs!(cap(SETUID), cap(SETGID));
    let (name, _fd) = new_object("unlink", 0);
    chmod(&name, 0o666);
    let n = name.as_cstr().to_owned();
    run_in_child("another user", move || {
        drop_to_nobody();
        assert_errno!(shm_unlink(&n), Errno::EACCES);
    })
    .expect_success();
    assert!(dev_shm_path(&name).exists());
}

/// shm_open(3), O_CREAT: "The user and group ownership of the object are taken from the
/// corresponding effective IDs of the calling process, and the object's permission bits are
/// set according to the low-order 9 bits of mode"; ERRORS: "EACCES Permission was denied to
/// shm_open() name in the specified mode". An object created by a child that became another
/// user belongs to it, and the root test process (or the same user) can still open it only
/// as its mode allows: a 0600 object of nobody cannot be opened by another unprivileged
/// identity. Checked by a second switch (uid 65533) when running as root.
#[test]
fn an_object_created_with_mode_0600_is_private_to_its_owner() {
    // A child that becomes nobody to create the object, another that becomes uid 65533.
    needs!(cap(SETUID), cap(SETGID));
    let name = IpcName::shm("private");
    let n = name.as_cstr().to_owned();
    let n2 = n.clone();
    run_in_child("owner nobody", move || {
        drop_to_nobody();
        let fd = shm_open(&n, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600).unwrap();
        assert_eq!(fstat(&fd).unwrap().st_uid, 65534);
        assert!(shm_open(&n, libc::O_RDWR, 0).is_ok(), "the owner opens its own object");
    })
    .expect_success();
    run_in_child("another unprivileged user", move || {
        fixtures::privilege::become_user(65533, 65533);
        assert_errno!(shm_open(&n2, libc::O_RDONLY, 0), Errno::EACCES);
    })
    .expect_success();
}
