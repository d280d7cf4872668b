//! Who can use an eventfd: only a holder of a descriptor. An eventfd has no name, and its
//! /proc/<pid>/fd link cannot be opened again.

use std::os::fd::AsRawFd;
use std::path::Path;

use eventfd::{eventfd, read_u64, write_u64};
use fixtures::io::open;
use fixtures::procfs::{anon_inode_reopen_errno, fd_target};
use fixtures::assert_errno;

/// proc(5), /proc/pid/fd: for a descriptor of eventfd(2) and the other calls without a file,
/// "the entry will be a symbolic link with contents of the form anon_inode:file-type"; every
/// such descriptor shares the one anonymous inode of fs/anon_inodes.c, which has no open
/// method, so open(2) of the link fails ENXIO (unlike a pipe or a memfd, which reopen) —
/// or EACCES for a process the inode (root's, mode 0600) is not open to, whose permission
/// check comes first (variants `enxio`, `eacces`). Only a descriptor held (inherited,
/// passed) gives access. Asserted: the link reads "anon_inode:[eventfd]", O_RDWR and
/// O_RDONLY opens fail with that errno, and the eventfd still works.
#[test]
fn an_eventfd_cannot_be_reopened_through_proc_self_fd() {
    let e = eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap();
    assert_eq!(fd_target(&e), "anon_inode:[eventfd]");
    let link = format!("/proc/self/fd/{}", e.as_raw_fd());
    let expected = anon_inode_reopen_errno(&e);
    assert_errno!(open(Path::new(&link), libc::O_RDWR | libc::O_CLOEXEC), expected, "open(O_RDWR) of {link}");
    assert_errno!(open(Path::new(&link), libc::O_RDONLY | libc::O_CLOEXEC), expected, "open(O_RDONLY) of {link}");
    assert_eq!(write_u64(&e, 3), Ok(8));
    assert_eq!(read_u64(&e), Ok(3));
}
