//! Who shares a timerfd: only holders of a descriptor (it cannot be reopened by path), and
//! a child of fork(2), whose descriptor is the same timer.

use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

use fixtures::clock::timespec;
use fixtures::io::open;
use fixtures::poll::wait_for_events;
use fixtures::procfs::{anon_inode_reopen_errno, fd_target};
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use timerfd::{monotonic, read_count, settime, spec};

/// proc(5), /proc/pid/fd: a timerfd_create(2) descriptor is a link "anon_inode:[timerfd]",
/// to the one anonymous inode of fs/anon_inodes.c, which has no open method: open(2) of the
/// link fails ENXIO — or EACCES for a process the inode (root's, mode 0600) is not open to,
/// whose permission check comes first (variants `enxio`, `eacces`) — so only a held
/// (inherited, passed) descriptor grants access. Asserted: the link text and that errno for
/// O_RDONLY and O_RDWR.
#[test]
fn a_timerfd_cannot_be_reopened_through_proc_self_fd() {
    let t = monotonic();
    assert_eq!(fd_target(&t), "anon_inode:[timerfd]");
    let link = format!("/proc/self/fd/{}", t.as_raw_fd());
    let expected = anon_inode_reopen_errno(&t);
    assert_errno!(open(Path::new(&link), libc::O_RDONLY | libc::O_CLOEXEC), expected, "open(O_RDONLY) of {link}");
    assert_errno!(open(Path::new(&link), libc::O_RDWR | libc::O_CLOEXEC), expected, "open(O_RDWR) of {link}");
}

/// timerfd_create(2), "fork(2) semantics": "After a fork(2), the child inherits a copy of the
/// file descriptor created by timerfd_create(). The file descriptor refers to the same
/// underlying timer object as the corresponding file descriptor in the parent, and read(2)s
/// in the child will return information about expirations of the timer." Asserted: a one-shot
/// timer that expired once reads 1 in the child, and then the parent's nonblocking read
/// fails EAGAIN (the child consumed the expiration of the one timer).
#[test]
fn a_forked_child_reads_the_same_timer_as_its_parent() {
    let t = monotonic();
    settime(&t, 0, &spec(timespec(Duration::from_millis(1)), Duration::ZERO)).unwrap();
    assert_eq!(wait_for_events(&t, libc::POLLIN, "the timer to expire") & libc::POLLIN, libc::POLLIN);
    spawn("reader of the inherited timerfd", || assert_eq!(read_count(&t), Ok(1))).expect_success();
    assert_errno!(read_count(&t), Errno::EAGAIN, "the parent's read after the child's");
}
