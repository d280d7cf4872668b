//! /proc/self/fd and /proc/self/fdinfo (proc(5)): the descriptor table as the kernel sees
//! it. Claims about which numbers are listed run in a forked child.

use std::os::fd::{AsRawFd, IntoRawFd};

use fds::{close, dup, fdinfo_flags, fdinfo_pos, seek_to};
use fixtures::io::{open, read_once, setfl};
use fixtures::procfs::{fd_target, open_fds};
use fixtures::{Scratch, run_in_child};

/// proc(5), /proc/pid/fd/: "This is a subdirectory containing one entry for each file
/// which the process has open, named by its file descriptor". An fd appears when opened
/// and disappears when closed, and every listed entry is an open fd.
#[test]
fn proc_self_fd_lists_exactly_the_open_fds() {
    let s = Scratch::new();
    let path = s.file("f", b"");
    run_in_child("fd listing", || {
        let fd = open(&path, libc::O_RDONLY).unwrap().into_raw_fd();
        let listed = open_fds();
        let open: Vec<i32> = (0..4096).filter(|n| fixtures::procfs::fd_is_open(*n)).collect();
        for n in &open {
            assert!(listed.contains(n), "open fd {n} is not listed in {listed:?}");
        }
        // The only listed number that is not open afterwards is the directory fd the
        // listing itself used.
        let stale: Vec<&i32> = listed.iter().filter(|n| !open.contains(n)).collect();
        assert!(stale.len() <= 1, "closed fds listed: {stale:?}");
        assert!(listed.contains(&fd), "new fd {fd} is not listed");
        // Closed: no longer listed (a high number, so that the listing's own directory fd
        // cannot take it).
        fds::vacate([700]);
        let high = fds::dup2(fd, 700).unwrap();
        assert!(open_fds().contains(&high));
        close(high).unwrap();
        assert!(!open_fds().contains(&high), "closed fd {high} is still listed");
        close(fd).unwrap();
    })
    .expect_success();
}

/// proc(5), /proc/pid/fd/: "each entry is a symbolic link to the actual file"; for pipes
/// and sockets "type:[inode]" — both ends of one pipe name the same inode.
#[test]
fn proc_self_fd_links_name_the_file_or_the_pipe_inode() {
    let s = Scratch::new();
    let path = s.file("f", b"");
    let f = open(&path, libc::O_RDONLY | libc::O_CLOEXEC).unwrap();
    assert_eq!(fd_target(f.as_raw_fd()), path.canonicalize().unwrap().to_string_lossy());
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let ino = nix::sys::stat::fstat(&rx).unwrap().st_ino;
    assert_eq!(fd_target(rx.as_raw_fd()), format!("pipe:[{ino}]"));
    assert_eq!(fd_target(tx.as_raw_fd()), format!("pipe:[{ino}]"));
}

/// proc(5), fdinfo "pos: This is a decimal number showing the file offset." It follows
/// reads and lseek, and a duplicate shows the same (shared) offset.
#[test]
fn fdinfo_pos_is_the_current_file_offset() {
    let s = Scratch::new();
    let f = open(&s.file("f", &[7u8; 5000]), libc::O_RDONLY | libc::O_CLOEXEC).unwrap();
    assert_eq!(fdinfo_pos(f.as_raw_fd()), 0);
    let mut buf = [0u8; 123];
    assert_eq!(read_once(f.as_raw_fd(), &mut buf), Ok(123));
    assert_eq!(fdinfo_pos(f.as_raw_fd()), 123);
    seek_to(f.as_raw_fd(), 4321);
    assert_eq!(fdinfo_pos(f.as_raw_fd()), 4321);
    let d = dup(f.as_raw_fd()).unwrap();
    assert_eq!(fdinfo_pos(d), 4321, "a duplicate shows another offset");
    close(d).unwrap();
}

/// proc(5), fdinfo "flags: This is an octal number that displays the file access mode and
/// file status flags (see open(2)). If the close-on-exec file descriptor flag is set, then
/// flags will also include the value O_CLOEXEC." (current setting, since Linux 3.1).
#[test]
fn fdinfo_flags_show_access_mode_status_flags_and_current_close_on_exec() {
    let s = Scratch::new();
    let f = open(&s.file("f", b""), libc::O_WRONLY).unwrap();
    let fd = f.as_raw_fd();
    let fl = fdinfo_flags(fd);
    assert_eq!(fl & libc::O_ACCMODE, libc::O_WRONLY, "flags {fl:#o}");
    assert_eq!(fl & (libc::O_APPEND | libc::O_NONBLOCK | libc::O_CLOEXEC), 0, "flags {fl:#o}");
    setfl(fd, libc::O_APPEND | libc::O_NONBLOCK).unwrap();
    fds::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC).unwrap();
    let fl = fdinfo_flags(fd);
    let want = libc::O_APPEND | libc::O_NONBLOCK | libc::O_CLOEXEC;
    assert_eq!(fl & want, want, "flags {fl:#o} after F_SETFL/F_SETFD");
    fds::fcntl(fd, libc::F_SETFD, 0).unwrap();
    assert_eq!(fdinfo_flags(fd) & libc::O_CLOEXEC, 0, "O_CLOEXEC still shown after clearing FD_CLOEXEC");
}

/// proc(5), /proc/pid/fd/: opening an entry opens the file it links to — a *new* open
/// file description (open(2): "Each open() of a file creates a new open file
/// description"), so its offset is independent of the original's.
#[test]
fn opening_a_proc_self_fd_entry_makes_a_new_open_file_description() {
    let s = Scratch::new();
    let f = open(&s.file("f", b"0123456789"), libc::O_RDONLY | libc::O_CLOEXEC).unwrap();
    seek_to(f.as_raw_fd(), 6);
    let link = std::path::PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd()));
    let again = open(&link, libc::O_RDONLY | libc::O_CLOEXEC).unwrap();
    assert_eq!(fdinfo_pos(again.as_raw_fd()), 0);
    let mut buf = [0u8; 3];
    assert_eq!(read_once(again.as_raw_fd(), &mut buf), Ok(3));
    assert_eq!(&buf, b"012");
    assert_eq!(fdinfo_pos(f.as_raw_fd()), 6, "reading the reopened file moved the original's offset");
}
