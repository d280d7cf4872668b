//! shm_open(3): the flags and the descriptor it returns.

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::{fd_flags, ftruncate};
use fixtures::memory::Mapping;
use fixtures::procfs::lowest_free_fd;
use fixtures::{IpcName, assert_errno, run_in_child, sys};
use nix::errno::Errno;
use nix::sys::stat::fstat;
use posix_shm::cases::open_modes;
use posix_shm::{new_object, shm_open};
use rstest::rstest;
use rstest_reuse::apply;

/// shm_open(3), O_CREAT: "A new shared memory object initially has zero length".
#[test]
fn o_creat_creates_an_object_of_size_zero() {
    let name = IpcName::shm("new");
    let fd = shm_open(name.as_cstr(), libc::O_CREAT | libc::O_RDWR, 0o600).unwrap();
    assert_eq!(fstat(&fd).unwrap().st_size, 0);
}

/// shm_open(3), ERRORS: "ENOENT An attempt was made to shm_open() a name that did not
/// exist, and O_CREAT was not specified."
#[apply(open_modes)]
#[rstest]
fn open_without_o_creat_of_a_missing_name_fails_enoent(#[case] mode: libc::c_int) {
    let name = IpcName::shm("missing");
    assert_errno!(shm_open(name.as_cstr(), mode, 0), Errno::ENOENT);
}

/// shm_open(3), O_EXCL: "If O_CREAT was also specified, and a shared memory object with the
/// given name already exists, return an error" (ERRORS: EEXIST); the object is untouched.
#[test]
fn o_creat_o_excl_of_an_existing_name_fails_eexist() {
    let (name, fd) = new_object("excl", 100);
    assert_errno!(shm_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600), Errno::EEXIST);
    assert_eq!(fstat(&fd).unwrap().st_size, 100);
}

/// shm_open(3), O_EXCL: "The check for the existence of the object, and its creation if it
/// does not exist, are performed atomically." Several processes race to create one name
/// with O_CREAT|O_EXCL: exactly one succeeds, all others fail EEXIST.
#[test]
fn o_excl_creation_is_atomic_among_racing_processes() {
    let name = IpcName::shm("race");
    let n = name.as_cstr().to_owned();
    let (go, wait_go) = fixtures::sync::channel();
    let racers = fixtures::children(4, "racer", |_| {
        wait_go.wait();
        match shm_open(&n, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600) {
            Ok(_) => fixtures::child::exit_now(0),
            Err(Errno::EEXIST) => fixtures::child::exit_now(17),
            Err(e) => panic!("unexpected {e}"),
        }
    });
    go.send(&[1, 1, 1, 1]);
    let mut winners = 0;
    for mut r in racers.0 {
        match r.join() {
            fixtures::Outcome::Exited(0) => winners += 1,
            fixtures::Outcome::Exited(17) => {}
            other => panic!("racer {other}"),
        }
    }
    assert_eq!(winners, 1, "exactly one O_CREAT|O_EXCL must win");
}

/// shm_open(3), O_TRUNC: "If the shared memory object already exists, truncate it to zero
/// bytes." The data written before is gone when the object grows again.
#[test]
fn o_trunc_truncates_an_existing_object_to_zero() {
    let (name, fd) = new_object("trunc", 4096);
    Mapping::shared(&fd, 4096).write(0, b"old data");
    let again = shm_open(name.as_cstr(), libc::O_RDWR | libc::O_TRUNC, 0).unwrap();
    assert_eq!(fstat(&again).unwrap().st_size, 0);
    ftruncate(&again, 4096).unwrap();
    assert_eq!(Mapping::shared(&again, 4096).read(0, 8), vec![0; 8]);
}

/// shm_open(3), NOTES: "POSIX leaves the behavior of the combination of O_RDONLY and
/// O_TRUNC unspecified. On Linux, this will successfully truncate an existing shared
/// memory object".
#[test]
fn o_rdonly_with_o_trunc_truncates_on_linux() {
    let (name, fd) = new_object("rdtrunc", 8192);
    let ro = shm_open(name.as_cstr(), libc::O_RDONLY | libc::O_TRUNC, 0).unwrap();
    assert_eq!(fstat(&ro).unwrap().st_size, 0);
    assert_eq!(fstat(&fd).unwrap().st_size, 0);
}

/// shm_open(3), O_RDONLY: "A shared memory object opened in this way can be mmap(2)ed only
/// for read (PROT_READ) access"; mmap(2), ERRORS: "EACCES ... MAP_SHARED was requested and
/// PROT_WRITE is set, but fd is not open in read/write (O_RDWR) mode."
#[test]
fn o_rdonly_descriptor_refuses_a_writable_shared_mapping_with_eacces() {
    let (name, fd) = new_object("ro", 4096);
    Mapping::shared(&fd, 4096).write(0, b"visible");
    let ro = shm_open(name.as_cstr(), libc::O_RDONLY, 0).unwrap();
    assert_errno!(Mapping::new(4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, Some(ro.as_fd()), 0), Errno::EACCES);
    let r = Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(ro.as_fd()), 0).unwrap();
    assert_eq!(r.read(0, 7), b"visible");
    // SAFETY: mprotect of our own read-only shared mapping.
    let e = sys(unsafe { libc::mprotect(r.as_ptr().cast(), 4096, libc::PROT_READ | libc::PROT_WRITE) });
    assert_errno!(e, Errno::EACCES, "mprotect(PROT_WRITE) of a shared mapping of an O_RDONLY fd");
}

/// mmap(2): a MAP_PRIVATE mapping may be writable through an O_RDONLY descriptor (the
/// EACCES rule is for MAP_SHARED), and "Updates to the mapping are not visible to other
/// processes mapping the same file, and are not carried through to the underlying file."
#[test]
fn private_writable_mapping_of_a_read_only_descriptor_does_not_change_the_object() {
    let (name, fd) = new_object("private", 4096);
    let shared = Mapping::shared(&fd, 4096);
    shared.write(0, b"original");
    let ro = shm_open(name.as_cstr(), libc::O_RDONLY, 0).unwrap();
    let private = Mapping::new(4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE, Some(ro.as_fd()), 0).unwrap();
    private.write(0, b"changed!");
    assert_eq!(private.read(0, 8), b"changed!");
    assert_eq!(shared.read(0, 8), b"original", "a MAP_PRIVATE write must not reach the object");
}

/// shm_open(3): "The FD_CLOEXEC flag (see fcntl(2)) is set for the file descriptor."
#[apply(open_modes)]
#[rstest]
fn the_descriptor_has_fd_cloexec_set(#[case] mode: libc::c_int) {
    let (name, _c) = new_object("cloexec", 0);
    let fd = shm_open(name.as_cstr(), mode, 0).unwrap();
    assert_eq!(fd_flags(&fd), libc::FD_CLOEXEC);
}

/// shm_open(3): "This file descriptor is guaranteed to be the lowest-numbered file
/// descriptor not previously opened within the process." Checked in a single-threaded
/// child, after opening a hole below the highest descriptor.
#[test]
fn the_descriptor_is_the_lowest_free_number() {
    let (name, _c) = new_object("lowest", 0);
    let n = name.as_cstr().to_owned();
    run_in_child("single-threaded opener", move || {
        // SAFETY: dup/close of descriptors this child owns.
        let (a, b) = unsafe { (libc::dup(0), libc::dup(0)) };
        assert!(a >= 0 && b > a);
        unsafe { libc::close(a) };
        let expected = lowest_free_fd();
        assert!(expected <= a);
        let fd = shm_open(&n, libc::O_RDWR, 0).unwrap();
        assert_eq!(fd.as_raw_fd(), expected);
    })
    .expect_success();
}

/// shm_overview(7): objects live in "a (tmpfs(5)) virtual filesystem"; the descriptor is a
/// regular file on a filesystem whose f_type is TMPFS_MAGIC (statfs(2)).
#[test]
fn the_object_is_a_regular_file_on_tmpfs() {
    let (_name, fd) = new_object("tmpfs", 0);
    assert_eq!(fstat(&fd).unwrap().st_mode & libc::S_IFMT, libc::S_IFREG);
    // SAFETY: a zeroed statfs is a valid out-parameter.
    let mut sf: libc::statfs = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::fstatfs(fd.as_raw_fd(), &mut sf) }, 0);
    assert_eq!(sf.f_type, libc::TMPFS_MAGIC, "f_type {:#x}", sf.f_type);
}
