//! EAGAIN per kind of descriptor. open(2), O_NONBLOCK: "When possible, the file is opened
//! in nonblocking mode. Neither the open() nor any subsequent I/O operations on the file
//! descriptor which is returned will cause the calling process to wait."
//! read(2): "EAGAIN The file descriptor fd refers to a file other than a socket and has been
//! marked nonblocking (O_NONBLOCK), and the read would block." / "EAGAIN or EWOULDBLOCK The
//! file descriptor fd refers to a socket and has been marked nonblocking (O_NONBLOCK), and
//! the read would block." (EWOULDBLOCK is EAGAIN on Linux, errno(3).) write(2) likewise.
//! Per kind: pipe(7), fifo(7), unix(7), tcp(7)/socket(7), eventfd(2), pty(7),
//! mq_receive(3)/mq_send(3) ("EAGAIN The queue was empty/full, and the O_NONBLOCK flag was
//! set for the message queue description referred to by mqdes").

use fixtures::io::{is_nonblocking, set_nonblocking, status_flags};
use fixtures::kinds::{Kind, NonblockMode as Mode, Pair};
use fixtures::{needs, spawn};
use nix::errno::Errno;
use fixtures::cases::every_kind;
use nonblocking_io::pair;
use rstest::rstest;
use rstest_reuse::apply;

/// A read of the empty `ends` in a child blocks (the kernel shows it asleep in the read, naming `what` in a failure) until one
/// unit is written, and then returns data.
fn read_blocks_until_a_write(ends: &Pair, what: &str) {
    let mut reader = spawn("blocked reader", || {
        let n = ends.read_once().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(n > 0, "{what}: read returned 0");
    });
    reader.assert_blocked_in(ends.kind.recv_calls(), what);
    assert!(ends.write_unit().is_ok());
    reader.expect_success();
}

/// read(2), ERRORS: "EAGAIN The file descriptor fd refers to a file other than a socket and
/// has been marked nonblocking (O_NONBLOCK), and the read would block" (and "EAGAIN or
/// EWOULDBLOCK" for a socket); mq_receive(3): "If the O_NONBLOCK flag is enabled for the
/// message queue description, then the call instead fails immediately with the error
/// EAGAIN." With O_NONBLOCK set (by the creating call, or later by F_SETFL), a read with
/// nothing to read fails EAGAIN at once; after one unit is written the read succeeds, and
/// the next one fails EAGAIN again.
#[apply(every_kind)]
#[rstest]
fn read_with_nothing_to_read_fails_eagain(#[case] kind: Kind, #[values(false, true)] via_fcntl: bool) {
    needs!(available(kind.availability()));
    let mode = if via_fcntl { Mode::ViaFcntl } else { Mode::AtCreation };
    let ends = pair(kind, mode).expect("a usable kind");
    // The premise, checked first: were O_NONBLOCK missing, the read below would block
    // instead of failing, and the test would hang instead of naming the defect.
    assert!(is_nonblocking(ends.rx()), "{kind:?}: O_NONBLOCK is not set on the read end ({mode:?})");
    fixtures::assert_errno!(ends.read_once(), Errno::EAGAIN, "{kind:?}: read with nothing available");
    assert!(ends.write_unit().is_ok(), "{kind:?}: write of one unit");
    // Some kinds deliver asynchronously (the pty's flip buffer is pushed by a workqueue,
    // loopback TCP segments may be processed in ksoftirqd): wait (bounded) for POLLIN.
    let ev = fixtures::poll::revents(ends.rx(), libc::POLLIN, fixtures::deadline::poll_ms(fixtures::DEFAULT_DEADLINE));
    assert_eq!(ev & libc::POLLIN, libc::POLLIN, "{kind:?}: the unit written never became readable");
    let n = ends.read_once().unwrap_or_else(|e| panic!("{kind:?}: read after a write: {e}"));
    assert!(n > 0, "{kind:?}: read returned 0");
    fixtures::assert_errno!(ends.read_once(), Errno::EAGAIN, "{kind:?}: read after draining");
}

/// With O_NONBLOCK set, a write when there is no room fails EAGAIN rather than waiting:
/// pipe(7) "If the pipe is full ... write(2) fails, with errno set to EAGAIN"; send(2)
/// "EAGAIN or EWOULDBLOCK The socket is marked nonblocking and the requested operation
/// would block"; eventfd(2) a write that would overflow "fails with the error EAGAIN if the
/// file descriptor has been made nonblocking"; mq_send(3) "EAGAIN The queue was full".
#[apply(every_kind)]
#[rstest]
fn write_with_no_room_fails_eagain(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let ends = pair(kind, Mode::AtCreation).expect("a usable kind");
    // Fill until a write fails. Some kinds move data on asynchronously (the pty's flip
    // buffer, TCP's send queue and ACKs), which can free room after the first EAGAIN: after
    // each fill, give them NEGATIVE_WAIT (a bounded poll for POLLOUT) and fill again, until
    // a fill fails EAGAIN on its very first write. The others free room only when someone
    // reads: for them the poll does not wait (`Kind::moves_data_later`).
    let settle = if kind.moves_data_later() { fixtures::deadline::poll_ms(fixtures::NEGATIVE_WAIT) } else { 0 };
    let mut written = 0;
    for round in 0.. {
        let (n, err) = fixtures::within("filling the channel", || ends.fill_until_error());
        assert_eq!(err, Errno::EAGAIN, "{kind:?}: filling stopped after {n} with {err:?}, not EAGAIN");
        written += n;
        if n == 0 && round > 0 {
            break;
        }
        assert!(round < 100, "{kind:?}: room kept appearing while nobody reads");
        fixtures::poll::revents(ends.tx(), libc::POLLOUT, settle);
    }
    assert!(written > 0, "{kind:?}: nothing could be written at all");
    fixtures::assert_errno!(ends.write_unit(), Errno::EAGAIN, "{kind:?}: write to a full channel");
    if kind == Kind::Mq {
        assert_eq!(written, 4 * fixtures::kinds::MSG_SIZE as u64, "a queue of mq_maxmsg 4 holds 4 messages");
    }
    if kind == Kind::EventFd {
        assert_eq!(written, u64::MAX - 1, "the eventfd counter holds at most 0xfffffffffffffffe");
    }
}

/// pipe(7): "If a process attempts to read from an empty pipe, then read(2) will block until
/// data is available"; recv(2): "If no messages are available at the socket, the receive
/// calls wait for a message to arrive, unless the socket is nonblocking"; eventfd(2): a read
/// of a zero counter "blocks until the counter becomes nonzero"; mq_receive(3): "If the
/// queue is empty, then, by default, mq_receive() blocks until a message becomes
/// available". The same operations without O_NONBLOCK block: the EAGAIN above is due to the
/// flag. A read with nothing to read stays blocked (bounded proof) until a unit is written.
#[apply(every_kind)]
#[rstest]
fn read_with_nothing_to_read_blocks_without_o_nonblock(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let ends = pair(kind, Mode::Blocking).expect("a usable kind");
    assert!(!is_nonblocking(ends.rx()));
    read_blocks_until_a_write(&ends, "a read with nothing to read");
}

/// fcntl(2), F_SETFL can change O_NONBLOCK: clearing it on a descriptor created
/// nonblocking (SOCK_NONBLOCK, EFD_NONBLOCK, pipe2(O_NONBLOCK), ...) makes reads block.
#[apply(every_kind)]
#[rstest]
fn clearing_o_nonblock_with_f_setfl_makes_the_read_block(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let ends = pair(kind, Mode::AtCreation).expect("a usable kind");
    set_nonblocking(ends.rx(), false);
    read_blocks_until_a_write(&ends, "a read after F_SETFL cleared O_NONBLOCK");
}

/// Each creating call's nonblocking flag sets O_NONBLOCK on the open file description, as
/// F_GETFL shows: pipe2(2) "Set the O_NONBLOCK file status flag on the open file
/// descriptions referred to by the new file descriptors"; socket(2)/socketpair(2)/accept4(2)
/// SOCK_NONBLOCK likewise; eventfd(2) EFD_NONBLOCK; open(2) O_NONBLOCK (FIFO, /dev/ptmx);
/// mq_open(3) O_NONBLOCK. Without the flag, O_NONBLOCK is clear.
#[apply(every_kind)]
#[rstest]
fn the_creation_flag_sets_o_nonblock_in_the_status_flags(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    for (mode, expected) in [(Mode::AtCreation, libc::O_NONBLOCK), (Mode::Blocking, 0)] {
        let ends = pair(kind, mode).expect("a usable kind");
        assert_eq!(status_flags(ends.rx()) & libc::O_NONBLOCK, expected, "{kind:?} {mode:?}: read end");
        assert_eq!(status_flags(ends.tx()) & libc::O_NONBLOCK, expected, "{kind:?} {mode:?}: write end");
    }
}
