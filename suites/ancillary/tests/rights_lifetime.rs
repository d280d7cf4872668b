//! How long a passed file lives: in flight it belongs to the message, not to the sender;
//! when no process can ever receive it, it is released — also when the only references form
//! a cycle of sockets holding each other (net/unix/garbage.c). Release is observed through
//! pipes: a pipe reaches end of file once every write end is gone.

use fixtures::cases::socket_types;
use fixtures::net::SockType;
use std::os::fd::AsRawFd;

use ancillary::cmsg::{recv_fds, send_fds};
use ancillary::{pipe, pipe_has_a_writer_now, pipe_hits_eof_within, same_description, socketpair};
use fixtures::DEFAULT_DEADLINE;
use fixtures::io::{read_once, write_once};
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::parallel;

/// unix(7), SCM_RIGHTS: what is passed is "a reference to an open file description", so the
/// sender may close its descriptor at once: the file stays open in flight (the pipe has a
/// writer), the receiver gets a working descriptor, and only its close releases the file.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn a_descriptor_closed_by_the_sender_stays_valid_in_flight(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    send_fds(&a, b"x", &[tx.as_raw_fd()]).unwrap();
    drop(tx);
    assert!(pipe_has_a_writer_now(&rx), "the message holds the file");
    let r = recv_fds(&b, 4, 1, 0).unwrap();
    assert_eq!(write_once(&r.fds[0], b"late"), Ok(4));
    let mut buf = [0u8; 8];
    assert_eq!(read_once(&rx, &mut buf), Ok(4));
    drop(r);
    assert!(pipe_hits_eof_within(&rx, DEFAULT_DEADLINE));
}

/// Which ends are closed while a descriptor is in flight and unread.
#[derive(Clone, Copy, Debug)]
enum Closed {
    Receiver,
    Both,
}

/// Descriptors queued to a socket that never reads them do not leak: closing the receiving
/// socket (and, in the other case, the sender too) discards its queue and releases the
/// files (unix(7): descriptors are "automatically closed" when the receiver cannot take
/// them).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn descriptors_in_a_queue_nobody_reads_are_released_with_the_socket(
    #[case] ty: SockType,
    #[values(
        /// receiver
        Closed::Receiver,
        /// both
        Closed::Both
    )]
    closed: Closed,
) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    send_fds(&a, b"x", &[tx.as_raw_fd(), tx.as_raw_fd()]).unwrap();
    drop(tx);
    drop(b);
    if let Closed::Both = closed {
        drop(a);
    }
    assert!(pipe_hits_eof_within(&rx, DEFAULT_DEADLINE), "the in-flight files were released");
}

/// unix(7), SCM_RIGHTS: "An in-flight file descriptor is one that has been sent using
/// sendmsg(2) but has not yet been accepted in the recipient process". A socket whose own
/// descriptor sits in its receive queue is referenced only by itself once the process
/// closes it; Linux's garbage collector for in-flight AF_UNIX sockets
/// (net/unix/garbage.c) finds such unreachable cycles and frees them, with everything else
/// in flight in them. A pipe's write end travels in the same message; after both sockets
/// are closed, the pipe reaches end of file within the deadline.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn a_socket_holding_itself_in_flight_is_collected(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    send_fds(&a, b"x", &[b.as_raw_fd(), tx.as_raw_fd()]).unwrap();
    drop(tx);
    drop(a);
    drop(b);
    assert!(pipe_hits_eof_within(&rx, DEFAULT_DEADLINE), "the cycle was collected");
}

/// net/unix/garbage.c (rewritten by commit 4090fa373f0e, "af_unix: Replace garbage
/// collection algorithm.", 6.10; both collectors free unreachable cycles of in-flight
/// sockets, unix(7) SCM_RIGHTS): a cycle through two connections — each receiver holding
/// the other in flight — is collected just the same once no process holds either. No
/// variant: both collectors give the same observable result (Debian's 6.1 carries the new
/// one too), so the kernels do not differ here.
///
/// Kernel change: 6.10, commit 4090fa373f0e — the collector of in-flight AF_UNIX sockets was rewritten (strongly connected components); unreachable cycles are still collected.
#[test]
#[parallel]
fn a_cycle_of_two_sockets_in_flight_is_collected() {
    let (a1, b1) = socketpair(SockType::Stream, 0);
    let (a2, b2) = socketpair(SockType::Dgram, 0);
    let (rx, tx) = pipe();
    send_fds(&a1, b"x", &[b2.as_raw_fd(), tx.as_raw_fd()]).unwrap();
    send_fds(&a2, b"y", &[b1.as_raw_fd()]).unwrap();
    drop(tx);
    drop((a1, b1, a2, b2));
    assert!(pipe_hits_eof_within(&rx, DEFAULT_DEADLINE), "the two-socket cycle was collected");
}

/// The collector for in-flight descriptors (unix(7), SCM_RIGHTS; net/unix/garbage.c, see
/// commit 4090fa373f0e) frees only what is unreachable: while the process still holds one
/// socket of the cycle, the files in flight stay open; closing it lets them go.
#[test]
#[parallel]
fn a_cycle_still_reachable_from_a_process_is_not_collected() {
    let (a, b) = socketpair(SockType::Stream, 0);
    let (rx, tx) = pipe();
    send_fds(&a, b"x", &[b.as_raw_fd(), tx.as_raw_fd()]).unwrap();
    drop(tx);
    drop(a);
    // Trigger a collection: closing any socket with descriptors in flight runs the collector.
    let (c, d) = socketpair(SockType::Dgram, 0);
    send_fds(&c, b"z", &[c.as_raw_fd()]).unwrap();
    drop((c, d));
    assert!(!pipe_hits_eof_within(&rx, fixtures::NEGATIVE_WAIT), "b is still open here: nothing to collect");
    let r = recv_fds(&b, 4, 2, 0).unwrap();
    assert_eq!(r.fds.len(), 2);
    assert!(same_description(&r.fds[0], &b), "b received itself");
    drop(r);
    drop(b);
    assert!(pipe_hits_eof_within(&rx, DEFAULT_DEADLINE));
}
