//! When the receiver cannot take every passed descriptor: a control buffer that is too small
//! or absent, and an RLIMIT_NOFILE that is reached. The descriptors that do not fit are
//! closed — never leaked into the receiver's table, never kept open somewhere. Each test runs
//! in a child, so that the receiver's descriptor table is its own, and proves the release of
//! the dropped files with pipes: a pipe whose only write end was dropped reports end of file.

use fixtures::cases::socket_types;
use fixtures::net::SockType;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use ancillary::cmsg::{cmsg_len, recv_fds, recvmsg, send_fds};
use ancillary::{lowest_free_fds, open_fd_count, pipe, pipe_has_a_writer_now, pipe_hits_eof_within, socketpair};
use fixtures::io::{read_exact, write_once};
use fixtures::limits::set_nofile_soft_limit;
use fixtures::{DEFAULT_DEADLINE, run_in_child};
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::serial;

/// The write ends of `n` fresh pipes in flight: sent in one message (with the byte "x") over
/// a new socket pair of `ty` and closed here. Returns the pair (sender, receiver) and the
/// pipes' read ends, in the order of the array.
fn pipe_writers_in_flight(ty: SockType, n: usize) -> (OwnedFd, OwnedFd, Vec<OwnedFd>) {
    let (a, b) = socketpair(ty, libc::SOCK_CLOEXEC);
    let pipes: Vec<(OwnedFd, OwnedFd)> = (0..n).map(|_| pipe()).collect();
    let writers: Vec<RawFd> = pipes.iter().map(|(_, w)| w.as_raw_fd()).collect();
    assert_eq!(send_fds(&a, b"x", &writers), Ok(1));
    (a, b, pipes.into_iter().map(|(r, _w)| r).collect())
}

/// The one descriptor received is the first write end of the array (its pipe has a writer,
/// and what is written through the received descriptor comes out of that pipe), and the
/// other write ends were released (their pipes reach end of file).
#[track_caller]
fn assert_only_the_first_arrived(received: &OwnedFd, readers: &[OwnedFd]) {
    assert!(pipe_has_a_writer_now(&readers[0]), "the first write end was released");
    assert_eq!(write_once(received, b"1st"), Ok(3));
    assert_eq!(read_exact(&readers[0], 3), b"1st", "the received descriptor is not the first of the array");
    for (i, rd) in readers.iter().enumerate().skip(1) {
        assert!(pipe_hits_eof_within(rd, DEFAULT_DEADLINE), "descriptor {i} was not released");
    }
}

/// No descriptor was installed in this process's table (it still has `before`) and every
/// passed write end was released (its pipe reaches end of file).
#[track_caller]
fn assert_none_installed_and_all_released(before: usize, readers: &[OwnedFd]) {
    assert_eq!(open_fd_count(), before, "a descriptor was installed");
    for (i, rd) in readers.iter().enumerate() {
        assert!(pipe_hits_eof_within(rd, DEFAULT_DEADLINE), "descriptor {i} was not released");
    }
}

/// unix(7), SCM_RIGHTS: "If the buffer used to receive the ancillary data containing file
/// descriptors is too small (or is absent), then the ancillary data is truncated (or
/// discarded) and the excess file descriptors are automatically closed in the receiving
/// process"; recvmsg(2): "MSG_CTRUNC indicates that some control data was discarded due to
/// lack of space in the buffer for ancillary data." With room for one int of three: one
/// descriptor arrives, MSG_CTRUNC is set, the table grows by exactly one, and the two other
/// files are released.
#[apply(socket_types)]
#[rstest]
#[serial]
fn a_short_control_buffer_keeps_the_first_descriptors_and_closes_the_rest(#[case] ty: SockType) {
    run_in_child("receiver", move || {
        let (_a, b, readers) = pipe_writers_in_flight(ty, 3);
        let before = open_fd_count();
        let r = recvmsg(&b, 4, cmsg_len(std::mem::size_of::<libc::c_int>()), 0).unwrap();
        assert!(r.ctrunc(), "MSG_CTRUNC, flags {:#x}", r.flags);
        assert_eq!(r.fds.len(), 1);
        assert_eq!(open_fd_count(), before + 1, "only the delivered descriptor was installed");
        assert_only_the_first_arrived(&r.fds[0], &readers);
    })
    .expect_success();
}

/// unix(7), "Ancillary messages": "If no buffer is provided for incoming ancillary data (i.e.,
/// the msg_control field of the msghdr structure supplied to recvmsg(2) is NULL), then the
/// incoming ancillary data is discarded. In both of these cases, the MSG_CTRUNC flag will be
/// set". The data still arrives; no descriptor is installed; every passed file is released.
#[apply(socket_types)]
#[rstest]
#[serial]
fn without_a_control_buffer_every_descriptor_is_closed(#[case] ty: SockType) {
    run_in_child("receiver", move || {
        let (_a, b, readers) = pipe_writers_in_flight(ty, 3);
        let before = open_fd_count();
        let r = recvmsg(&b, 4, 0, 0).unwrap();
        assert_eq!(r.data, b"x");
        assert!(r.ctrunc());
        assert_none_installed_and_all_released(before, &readers);
    })
    .expect_success();
}

/// unix(7), "Ancillary messages": "the ancillary data is truncated to the number of headers
/// that will fit in the supplied buffer": a buffer that holds a cmsghdr but no int (exactly
/// CMSG_LEN(0)), or not even a header, gets no descriptor and MSG_CTRUNC.
#[rstest]
#[serial]
#[case::header_only(cmsg_len(0))]
#[case::less_than_a_header(cmsg_len(0) - 4)]
fn a_buffer_without_room_for_one_descriptor_gets_none(#[case] control_len: usize) {
    run_in_child("receiver", move || {
        let (_a, b, readers) = pipe_writers_in_flight(SockType::Dgram, 2);
        let before = open_fd_count();
        let r = recvmsg(&b, 4, control_len, 0).unwrap();
        assert!(r.ctrunc());
        assert!(r.fds.is_empty());
        assert_none_installed_and_all_released(before, &readers);
    })
    .expect_success();
}

/// unix(7), SCM_RIGHTS: "If the number of file descriptors received in the ancillary data
/// would cause the process to exceed its RLIMIT_NOFILE resource limit (see getrlimit(2)),
/// the excess file descriptors are automatically closed in the receiving process." The child
/// leaves itself one free descriptor below its soft limit and receives three: one arrives,
/// MSG_CTRUNC reports the loss (net/core/scm.c, scm_detach_fds()), the others are released.
#[apply(socket_types)]
#[rstest]
#[serial]
fn descriptors_beyond_rlimit_nofile_are_closed(#[case] ty: SockType) {
    run_in_child("receiver at its limit", move || {
        let (_a, b, readers) = pipe_writers_in_flight(ty, 3);
        let free = lowest_free_fds(1)[0];
        set_nofile_soft_limit(free as u64 + 1);
        let r = recv_fds(&b, 4, 3, 0).unwrap();
        assert_eq!(r.fd_numbers(), vec![free], "only the one number below the limit");
        assert!(r.ctrunc(), "MSG_CTRUNC, flags {:#x}", r.flags);
        assert_only_the_first_arrived(&r.fds[0], &readers);
    })
    .expect_success();
}
