//! shm_open(3): the form of a name, and the file /dev/shm/NAME behind it.

use std::os::unix::fs::MetadataExt;

use fixtures::memory::Mapping;
use fixtures::{IpcName, assert_errno};
use nix::errno::Errno;
use nix::sys::stat::fstat;
use posix_shm::{dev_shm_path, new_object, shm_open, shm_unlink};
use rstest::rstest;

fn cstr(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).unwrap()
}

/// shm_overview(7), "Accessing shared memory objects via the filesystem": "On Linux,
/// shared memory objects are created in a (tmpfs(5)) virtual filesystem, normally mounted
/// under /dev/shm." The object is /dev/shm/NAME (same inode as the descriptor), and bytes
/// written through a mapping are read back through the file.
#[test]
fn the_object_is_the_file_dev_shm_name() {
    let (name, fd) = new_object("file", 4096);
    let st = fstat(&fd).unwrap();
    let meta = std::fs::metadata(dev_shm_path(&name)).unwrap();
    assert_eq!((meta.dev(), meta.ino()), (st.st_dev, st.st_ino));
    Mapping::shared(&fd, 4096).write(0, b"through the mapping");
    let content = std::fs::read(dev_shm_path(&name)).unwrap();
    assert_eq!(&content[..19], b"through the mapping");
    assert_eq!(content.len(), 4096);
}

/// shm_open(3): a name of "up to NAME_MAX (i.e., 255) characters" after the slash is
/// accepted; a longer one fails ENAMETOOLONG (the man page says "exceeds PATH_MAX", but the
/// object is one file name in /dev/shm, which the kernel limits to NAME_MAX: glibc passes the
/// 256 characters on to open(2)).
#[rstest]
#[case::name_max(255, None)]
#[case::one_more(256, Some(Errno::ENAMETOOLONG))]
fn names_up_to_name_max_characters_are_accepted(#[case] len: usize, #[case] err: Option<Errno>) {
    let base = fixtures::names::unique("len");
    let name = format!("/{base}{}", "x".repeat(len - base.len()));
    let c = cstr(&name);
    let r = shm_open(&c, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600);
    let _ = shm_unlink(&c);
    match err {
        None => assert!(r.is_ok(), "{len} characters: {r:?}"),
        Some(e) => assert_errno!(r, e, "shm_open of a name of {len} characters"),
    }
}

/// shm_open(3), ERRORS: "ENOENT An attempt was to made to shm_unlink() a name that does not
/// exist."
#[test]
fn shm_unlink_of_a_missing_name_fails_enoent() {
    let name = IpcName::shm("nosuch");
    assert_errno!(shm_unlink(name.as_cstr()), Errno::ENOENT);
}
