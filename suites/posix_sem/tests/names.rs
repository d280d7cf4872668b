//! sem_overview(7), "Named semaphores": the form of a name and the file behind it.

use std::os::unix::fs::MetadataExt;

use fixtures::{IpcName, assert_errno};
use nix::errno::Errno;
use posix_sem::named::{create, cstr, dev_shm_path, sem_open, sem_unlink};
use rstest::rstest;

/// A unique name of exactly `len` characters after the slash.
fn name_of_len(len: usize) -> String {
    let base = fixtures::names::unique("len");
    assert!(base.len() <= len);
    format!("/{base}{}", "x".repeat(len - base.len()))
}

/// sem_overview(7), "Accessing named semaphores via the filesystem": "named semaphores are
/// created in a virtual filesystem, normally mounted under /dev/shm, with names of the
/// form sem.somename". Asserted: the file exists while the semaphore does, and it is the
/// object (same inode before and after a post).
#[test]
fn a_named_semaphore_is_the_file_sem_dot_name_in_dev_shm() {
    let name = IpcName::sem("file");
    let path = dev_shm_path(&name);
    assert!(!path.exists());
    let s = create(&name, 0);
    let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(meta.is_file());
    assert!(meta.len() > 0, "the file holds the semaphore");
    s.post().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), meta.ino());
    drop(s);
    name.unlink().unwrap();
    assert!(!path.exists(), "sem_unlink must remove {}", path.display());
}

/// sem_overview(7): a name has "up to NAME_MAX-4 (i.e., 251) characters consisting of an
/// initial slash, followed by one or more characters" — 251 characters work, 252 give
/// sem_open(3) "ENAMETOOLONG name was too long" (the "sem." prefix fills the rest of
/// NAME_MAX).
#[rstest]
#[case::name_max_minus_4(251, None)]
#[case::one_more(252, Some(Errno::ENAMETOOLONG))]
#[case::name_max(255, Some(Errno::ENAMETOOLONG))]
fn names_up_to_name_max_minus_4_characters_are_accepted(#[case] len: usize, #[case] err: Option<Errno>) {
    let name = name_of_len(len);
    let c = cstr(&name);
    let r = sem_open(&c, libc::O_CREAT | libc::O_EXCL, 0o600, 0);
    let _ = sem_unlink(&c);
    match err {
        None => assert!(r.is_ok(), "a name of {len} characters: {r:?}"),
        Some(e) => assert_errno!(r, e, "sem_open of a name of {len} characters"),
    }
}

/// sem_unlink(3), ERRORS: "ENAMETOOLONG name was too long."
#[test]
fn sem_unlink_of_a_too_long_name_fails_enametoolong() {
    assert_errno!(sem_unlink(&cstr(&name_of_len(252))), Errno::ENAMETOOLONG);
}
