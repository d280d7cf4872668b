//! Blocking reads and writes. pipe(7), "I/O on pipes and FIFOs": "If a process attempts to
//! read from an empty pipe, then read(2) will block until data is available. If a process
//! attempts to write to a full pipe (see below), then write(2) blocks until sufficient data
//! has been read from the pipe to allow the write to complete." signal(7), "Interruption of
//! system calls and library functions by signal handlers", for what a handler does to a
//! blocked call.
//!
//! "It blocks" is proven with `assert_blocked` (the child sleeps in the kernel and is still
//! there after NEGATIVE_WAIT), then the peer releases it and the child checks the result.

use std::os::fd::AsFd;

use fixtures::io::{fionread, read_exact, read_once, write_all, write_once};
use fixtures::signals::{announced, install_announcing_handler};
use fixtures::sync::channel;
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use pipes::{PIPE_BUF, PipeKind, fill_to_capacity};
use rstest::rstest;

/// pipe(7): "read(2) will block until data is available". Asserted: a reader of the empty
/// pipe is blocked, and the write of 5 bytes wakes it with exactly those bytes.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn a_read_of_an_empty_pipe_blocks_until_data_is_written(#[case] kind: PipeKind) {
    let p = kind.open();
    let mut reader = spawn("reader of an empty pipe", || {
        let mut buf = [0u8; 64];
        assert_eq!(read_once(p.rx.as_fd(), &mut buf), Ok(5));
        assert_eq!(&buf[..5], b"hello");
    });
    reader.assert_blocked("read(2) of an empty pipe");
    write_all(p.tx.as_fd(), b"hello");
    reader.expect_success();
}

/// pipe(7): "write(2) blocks until sufficient data has been read from the pipe to allow the
/// write to complete". Asserted: a one-page write to a full pipe blocks, and reading one page
/// lets it complete with its full count.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn a_write_to_a_full_pipe_blocks_until_a_read_makes_room(#[case] kind: PipeKind) {
    let p = kind.open();
    let cap = fill_to_capacity(p.tx.as_fd());
    let mut writer = spawn("writer to a full pipe", || {
        assert_eq!(write_once(p.tx.as_fd(), &[b'w'; PIPE_BUF]), Ok(PIPE_BUF));
    });
    writer.assert_blocked("write(2) to a full pipe");
    read_exact(p.rx.as_fd(), PIPE_BUF);
    writer.expect_success();
    assert_eq!(fionread(p.rx.as_fd()), Ok(cap));
}

/// pipe(7), "O_NONBLOCK disabled, n <= PIPE_BUF: All n bytes are written atomically;
/// write(2) may block if there is not room for n bytes to be written immediately". Asserted: a
/// blocked PIPE_BUF-byte write stays blocked, having written nothing, after a read frees only
/// 100 bytes, and completes once a whole PIPE_BUF is free.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn a_blocked_small_write_waits_for_room_for_all_of_it(#[case] kind: PipeKind) {
    let p = kind.open();
    let cap = fill_to_capacity(p.tx.as_fd());
    let mut writer = spawn("PIPE_BUF writer to a full pipe", || {
        assert_eq!(write_once(p.tx.as_fd(), &[b'w'; PIPE_BUF]), Ok(PIPE_BUF));
    });
    writer.assert_blocked("write(2) of PIPE_BUF bytes to a full pipe");
    read_exact(p.rx.as_fd(), 100);
    writer.assert_blocked("write(2) of PIPE_BUF bytes with only 100 bytes of room");
    assert_eq!(fionread(p.rx.as_fd()), Ok(cap - 100), "the blocked atomic write must not have written a part");
    read_exact(p.rx.as_fd(), PIPE_BUF - 100);
    writer.expect_success();
    assert_eq!(fionread(p.rx.as_fd()), Ok(cap));
}

/// signal(7): read(2) on a "slow" device ("a terminal, pipe, or socket") interrupted by a
/// handler established without SA_RESTART "fails with the error EINTR"; read(2), EINTR: "The
/// call was interrupted by a signal before any data was read". Asserted: the blocked read
/// returns EINTR after the handler ran once.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn a_blocked_read_interrupted_by_a_handler_fails_eintr(#[case] kind: PipeKind) {
    let p = kind.open();
    let (note, _notes) = channel();
    let (ready, is_ready) = channel();
    let mut reader = spawn("reader interrupted by SIGUSR1", || {
        install_announcing_handler(Signal::SIGUSR1, SaFlags::empty(), note.as_fd());
        ready.notify();
        let mut buf = [0u8; 8];
        assert_errno!(read_once(p.rx.as_fd(), &mut buf), Errno::EINTR);
        assert_eq!(announced(), 1);
    });
    is_ready.wait();
    reader.assert_blocked("read(2) of an empty pipe");
    reader.signal(Signal::SIGUSR1);
    reader.expect_success();
}

/// signal(7): for read(2) on a pipe, "the call is automatically restarted after the signal
/// handler returns if the SA_RESTART flag was used". Asserted: after the handler has run
/// (it reports so through a pipe) the reader is blocked again, and it then returns the data
/// written later, not EINTR.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn a_blocked_read_is_restarted_after_an_sa_restart_handler(#[case] kind: PipeKind) {
    let p = kind.open();
    let (note, handler_ran) = channel();
    let (ready, is_ready) = channel();
    let mut reader = spawn("reader with an SA_RESTART handler", || {
        install_announcing_handler(Signal::SIGUSR1, SaFlags::SA_RESTART, note.as_fd());
        ready.notify();
        let mut buf = [0u8; 8];
        assert_eq!(read_once(p.rx.as_fd(), &mut buf), Ok(4));
        assert_eq!(&buf[..4], b"data");
        assert_eq!(announced(), 1);
    });
    is_ready.wait();
    reader.assert_blocked("read(2) of an empty pipe");
    reader.signal(Signal::SIGUSR1);
    handler_ran.wait();
    reader.assert_blocked("read(2) restarted after the handler");
    write_all(p.tx.as_fd(), b"data");
    reader.expect_success();
}

/// signal(7): "If an I/O call on a slow device has already transferred some data by the time
/// it is interrupted by a signal handler, then the call will return a success status
/// (normally, the number of bytes transferred)." Asserted: a blocking write of capacity + one
/// page into an empty pipe blocks after filling it, and the handler makes it return exactly
/// the capacity.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn a_write_interrupted_after_a_partial_transfer_returns_the_count(#[case] kind: PipeKind) {
    let p = kind.open();
    let cap = pipe_size_of(&p);
    let (note, _notes) = channel();
    let (ready, is_ready) = channel();
    let mut writer = spawn("writer interrupted mid-way", || {
        install_announcing_handler(Signal::SIGUSR1, SaFlags::empty(), note.as_fd());
        ready.notify();
        assert_eq!(write_once(p.tx.as_fd(), &vec![b'p'; cap + PIPE_BUF]), Ok(cap));
        assert_eq!(announced(), 1);
    });
    is_ready.wait();
    writer.assert_blocked("write(2) larger than the capacity");
    assert_eq!(fionread(p.rx.as_fd()), Ok(cap), "the writer filled the pipe before blocking");
    writer.signal(Signal::SIGUSR1);
    writer.expect_success();
}

/// signal(7): write(2) on a pipe interrupted by a handler without SA_RESTART "fails with the
/// error EINTR" when nothing was transferred (write(2), EINTR: "The call was interrupted by a
/// signal handler before any data was written"). Asserted on a write blocked on a full pipe.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn a_blocked_write_interrupted_before_any_transfer_fails_eintr(#[case] kind: PipeKind) {
    let p = kind.open();
    let cap = fill_to_capacity(p.tx.as_fd());
    let (note, _notes) = channel();
    let (ready, is_ready) = channel();
    let mut writer = spawn("writer to a full pipe interrupted by SIGUSR1", || {
        install_announcing_handler(Signal::SIGUSR1, SaFlags::empty(), note.as_fd());
        ready.notify();
        assert_errno!(write_once(p.tx.as_fd(), b"x"), Errno::EINTR);
    });
    is_ready.wait();
    writer.assert_blocked("write(2) to a full pipe");
    writer.signal(Signal::SIGUSR1);
    writer.expect_success();
    assert_eq!(fionread(p.rx.as_fd()), Ok(cap));
}

fn pipe_size_of(p: &pipes::Pipe) -> usize {
    fixtures::io::pipe_size(p.tx.as_fd()).unwrap()
}
