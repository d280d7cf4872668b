//! eventfd as an IPC mechanism between processes.
//!
//! eventfd(2): "An eventfd file descriptor ... can be used as an event wait/notify
//! mechanism by user-space applications"; "A copy of the file descriptor created by
//! eventfd() is inherited by the child produced by fork(2). The duplicate file descriptor
//! is associated with the same eventfd object." and "File descriptors created by eventfd()
//! are preserved across execve(2), unless the close-on-exec flag has been set."

use std::os::fd::AsRawFd;

use eventfd::{eventfd, nonblocking, read_u64, write_u64};
use fixtures::deadline::poll_ms;
use fixtures::poll::Epoll;
use fixtures::{DEFAULT_DEADLINE, run_in_child, spawn};

/// eventfd(2): a read of a zero counter "blocks until the counter becomes nonzero": a child
/// blocked in read(2) (bounded proof) is woken by the parent's write and reads its value;
/// and a value written by a child is read by the parent (one object shared across fork).
#[test]
fn a_blocked_read_in_one_process_is_woken_by_a_write_in_another() {
    let e = eventfd(0, libc::EFD_CLOEXEC).unwrap();
    let mut reader = spawn("blocked reader", || assert_eq!(read_u64(&e), Ok(7)));
    reader.assert_blocked_in(fixtures::blocked::calls::READ, "read(2) of a zero eventfd");
    assert_eq!(write_u64(&e, 7), Ok(8));
    reader.expect_success();
    run_in_child("writer", || assert_eq!(write_u64(&e, 11), Ok(8))).expect_success();
    let n = fixtures::procfs::fdinfo_hex(&e, "eventfd-count");
    assert_eq!(n, 11, "the child's write is not in the parent's counter");
    assert_eq!(read_u64(&e), Ok(11));
}

/// eventfd(2), "Applications can use an eventfd file descriptor instead of a pipe ... in
/// all cases where a pipe is used simply to signal events": a child running an epoll loop
/// sleeps in epoll_wait (bounded proof) until the parent writes, then sees EPOLLIN for the
/// eventfd and reads the value.
#[test]
fn an_eventfd_wakes_an_epoll_loop_in_another_process() {
    let e = nonblocking(0);
    let ep = Epoll::new();
    ep.add(&e, libc::EPOLLIN as u32, e.as_raw_fd() as u64).unwrap();
    let mut looper = spawn("epoll loop", || {
        let evs = ep.wait(8, poll_ms(DEFAULT_DEADLINE * 2)).unwrap();
        assert_eq!(evs, vec![(libc::EPOLLIN as u32, e.as_raw_fd() as u64)]);
        assert_eq!(read_u64(&e), Ok(42));
    });
    looper.assert_blocked_in(fixtures::blocked::calls::EPOLL_WAIT, "epoll_wait(2) on an idle eventfd");
    assert_eq!(write_u64(&e, 42), Ok(8));
    looper.expect_success();
}

/// eventfd(2): an eventfd without EFD_CLOEXEC is preserved across execve(2), so a program
/// started by exec can post to it: the `write-fd N TEXT` probe writes 8 bytes (exactly 8,
/// so the write is valid before and after 6.9), which the parent reads as one u64.
#[test]
fn an_exec_ed_program_can_post_to_an_inherited_eventfd() {
    let e = eventfd(0, libc::EFD_NONBLOCK).unwrap();
    let n = e.as_raw_fd().to_string();
    run_in_child("write-fd probe", || fixtures::exec::exec_probe(&["write-fd", &n, "ipcspec!"])).expect_success();
    assert_eq!(read_u64(&e), Ok(u64::from_ne_bytes(*b"ipcspec!")));
}
