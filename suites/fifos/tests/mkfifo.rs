//! mkfifo(3) and mkfifoat(3): making a FIFO special file.

use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{MetadataExt, symlink};

use fifos::TempFifo;
use fixtures::io::write_once;
use fixtures::names::ModeGuard;
use fixtures::privilege::drop_to_nobody;
use fixtures::{Scratch, assert_errno, run_in_child};
use nix::errno::Errno;
use nix::sys::stat::{Mode, SFlag};
use rstest::rstest;

fn file_type(mode: u32) -> SFlag {
    SFlag::from_bits_truncate(mode) & SFlag::S_IFMT
}

/// mkfifo(3): "mkfifo() makes a FIFO special file with name pathname"; fifo(7): "the FIFO
/// special file has no contents on the filesystem"; inode(7): S_IFIFO. Asserted: the new file
/// is S_IFIFO, owned by the caller, with one link, st_size 0 and no blocks.
#[test]
fn mkfifo_makes_an_empty_fifo_special_file() {
    let s = Scratch::new();
    let path = s.join("f");
    assert_eq!(nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)), Ok(()));
    let md = std::fs::symlink_metadata(&path).unwrap();
    assert_eq!(file_type(md.mode()), SFlag::S_IFIFO);
    assert_eq!((md.size(), md.blocks(), md.nlink()), (0, 0, 1));
    // variant: none — geteuid() is the expected owner, not a branch: "owned by the caller"
    // is the one outcome for every uid.
    assert_eq!(md.uid(), nix::unistd::geteuid().as_raw());
}

/// fifo(7): "When processes are exchanging data via the FIFO, the kernel passes all data
/// internally without writing it to the filesystem." Asserted: with 5 bytes buffered in an
/// open FIFO, stat(2) of the path still reports st_size 0 and no blocks.
#[test]
fn data_in_a_fifo_never_reaches_the_file() {
    let fifo = TempFifo::new();
    let fd = fixtures::io::open_cloexec(fifo.path(), libc::O_RDWR).unwrap();
    assert_eq!(write_once(&fd, b"12345"), Ok(5));
    let md = std::fs::symlink_metadata(fifo.path()).unwrap();
    assert_eq!((md.size(), md.blocks()), (0, 0));
}

/// mkfifo(3), ERRORS: "EEXIST pathname already exists. This includes the case where pathname
/// is a symbolic link, dangling or not." Asserted for each kind of existing entry, and the
/// entry is left as it was.
#[rstest]
#[case::an_existing_fifo("fifo")]
#[case::a_regular_file("file")]
#[case::a_directory("dir")]
#[case::a_dangling_symlink("dangling")]
#[case::a_symlink_to_a_fifo("link-to-fifo")]
fn mkfifo_on_an_existing_path_fails_eexist(#[case] name: &str) {
    let s = Scratch::new();
    s.fifo("fifo", 0o600);
    s.file("file", b"content");
    std::fs::create_dir(s.join("dir")).unwrap();
    symlink(s.join("nowhere"), s.join("dangling")).unwrap();
    symlink(s.join("fifo"), s.join("link-to-fifo")).unwrap();
    let before = std::fs::symlink_metadata(s.join(name)).unwrap();
    assert_errno!(nix::unistd::mkfifo(&s.join(name), Mode::from_bits_truncate(0o600)), Errno::EEXIST);
    let after = std::fs::symlink_metadata(s.join(name)).unwrap();
    assert_eq!((before.ino(), before.mode()), (after.ino(), after.mode()));
    assert!(!s.join("nowhere").exists(), "mkfifo must not follow a dangling symlink");
}

/// mkfifo(3): "It is modified by the process's umask in the usual way: the permissions of the
/// created file are (mode & ~umask)." The umask is per process, so it is set in a child.
#[rstest]
#[case::umask_022(0o022, 0o666, 0o644)]
#[case::umask_077(0o077, 0o777, 0o700)]
#[case::umask_027(0o027, 0o666, 0o640)]
#[case::umask_000(0o000, 0o642, 0o642)]
#[case::umask_777(0o777, 0o666, 0o000)]
fn mkfifo_mode_is_masked_by_the_umask(#[case] umask: u32, #[case] mode: u32, #[case] expected: u32) {
    let s = Scratch::new();
    let path = s.join("f");
    run_in_child("mkfifo under a umask", || {
        nix::sys::stat::umask(Mode::from_bits_truncate(umask));
        assert_eq!(nix::unistd::mkfifo(&path, Mode::from_bits_truncate(mode)), Ok(()));
        let md = std::fs::symlink_metadata(&path).unwrap();
        assert_eq!(md.mode() & 0o7777, expected, "mode {mode:o} under umask {umask:o}");
        assert_eq!(file_type(md.mode()), SFlag::S_IFIFO);
    })
    .expect_success();
}

/// mkfifo(3), ERRORS: "ENOENT A directory component in pathname does not exist or is a
/// dangling symbolic link." Asserted for a missing directory and a dangling symlink used as
/// a directory; nothing is created.
#[rstest]
#[case::missing_directory("missing/f")]
#[case::dangling_symlink_as_directory("dangling/f")]
fn mkfifo_below_a_missing_directory_fails_enoent(#[case] rel: &str) {
    let s = Scratch::new();
    symlink(s.join("nowhere"), s.join("dangling")).unwrap();
    assert_errno!(nix::unistd::mkfifo(&s.join(rel), Mode::from_bits_truncate(0o600)), Errno::ENOENT);
    assert!(!s.join("missing").exists() && !s.join("nowhere").exists());
}

/// mkfifo(3), ERRORS: "ENOTDIR A component used as a directory in pathname is not, in fact, a
/// directory." Asserted with a regular file and a FIFO used as directories.
#[rstest]
#[case::regular_file("file/f")]
#[case::fifo("fifo/f")]
fn mkfifo_below_a_non_directory_fails_enotdir(#[case] rel: &str) {
    let s = Scratch::new();
    s.file("file", b"");
    s.fifo("fifo", 0o600);
    assert_errno!(nix::unistd::mkfifo(&s.join(rel), Mode::from_bits_truncate(0o600)), Errno::ENOTDIR);
}

/// mknod(2) (which mkfifo(3) uses), ERRORS: "EACCES The parent directory does not allow write
/// permission to the process, or one of the directories in the path prefix of pathname did not
/// allow search permission"; mkfifo(3): "EACCES One of the directories in pathname did not allow
/// search (execute) permission." Asserted in a child without privileges (nobody when the suite
/// runs as root): EACCES and nothing created.
#[rstest]
#[case::parent_without_write_permission(0o555)]
#[case::parent_without_search_permission(0o666)]
fn mkfifo_without_permission_on_the_directory_fails_eacces(#[case] dir_mode: u32) {
    let s = Scratch::new();
    s.open_to_all();
    let dir = s.join("d");
    std::fs::create_dir(&dir).unwrap();
    let mode = ModeGuard::set(&dir, dir_mode, 0o755);
    let path = dir.join("f");
    let outcome = run_in_child("unprivileged mkfifo", || {
        drop_to_nobody();
        assert_errno!(nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)), Errno::EACCES);
    });
    drop(mode); // searchable again: the check below must see the directory's contents
    outcome.expect_success();
    assert!(!path.exists());
}

/// mkfifo(3), mkfifoat(): "If the pathname given in pathname is relative, then it is
/// interpreted relative to the directory referred to by the file descriptor dirfd". Asserted:
/// the FIFO appears in the directory of dirfd (not in the current directory).
#[test]
fn mkfifoat_creates_relative_to_the_directory_fd() {
    let s = Scratch::new();
    std::fs::create_dir(s.join("d")).unwrap();
    let dir = std::fs::File::open(s.join("d")).unwrap();
    let name = format!("ipcspec-mkfifoat-{}", std::process::id());
    assert_eq!(nix::unistd::mkfifoat(dir.as_fd(), name.as_str(), Mode::from_bits_truncate(0o600)), Ok(()));
    let md = std::fs::symlink_metadata(s.join("d").join(&name)).unwrap();
    assert_eq!(file_type(md.mode()), SFlag::S_IFIFO);
    assert!(!std::path::Path::new(&name).exists(), "created relative to the cwd instead");
}

/// mkfifo(3), ERRORS: "ENOTDIR (mkfifoat()) pathname is a relative pathname and dirfd is a
/// file descriptor referring to a file other than a directory"; "EBADF (mkfifoat()) pathname
/// is relative but dirfd is neither AT_FDCWD nor a valid file descriptor."
#[test]
fn mkfifoat_with_a_bad_dirfd_fails_enotdir_or_ebadf() {
    let s = Scratch::new();
    let file = std::fs::File::open(s.file("plain", b"")).unwrap();
    let rel = c"ipcspec-never-created";
    let r = fixtures::sys(unsafe { libc::mkfifoat(file.as_raw_fd(), rel.as_ptr(), 0o600) });
    assert_errno!(r, Errno::ENOTDIR);
    let bad = 1_000_000; // above any RLIMIT_NOFILE in use
    let r = fixtures::sys(unsafe { libc::mkfifoat(bad, rel.as_ptr(), 0o600) });
    assert_errno!(r, Errno::EBADF);
}
