//! Blocking reads and writes. pipe(7), "I/O on pipes and FIFOs": "If a process attempts to
//! read from an empty pipe, then read(2) will block until data is available. If a process
//! attempts to write to a full pipe (see below), then write(2) blocks until sufficient data
//! has been read from the pipe to allow the write to complete." signal(7), "Interruption of
//! system calls and library functions by signal handlers", for what a handler does to a
//! blocked call.
//!
//! "It blocks" is proven with `assert_blocked_in` (the kernel shows the child asleep in
//! read(2) or write(2)), "it stays blocked" after an event with `assert_still_blocked` (still
//! asleep in that same call once the event was delivered); then the peer releases it and the
//! child checks the result.

use fixtures::blocked::calls;
use fixtures::io::{fionread, pipe_size, read_exact, read_once, write_all, write_once};
use fixtures::kinds::Kind;
use fixtures::signals::{announced, install_announcing_handler};
use fixtures::sync::{Notifier, channel};
use fixtures::{Forked, assert_errno, spawn};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use fixtures::cases::pipe_kinds;
use pipes::{PIPE_BUF, blocking_pair, fill_to_capacity};
use rstest::rstest;
use rstest_reuse::apply;

/// A child that installs an announcing SIGUSR1 handler with `flags` (each run of it writes a
/// byte to `note`) and then makes `call`; returned once `call` is blocked in the kernel, in
/// one of the system calls `nrs`.
fn blocked_with_a_sigusr1_handler(
    what: &str,
    nrs: &[libc::c_long],
    flags: SaFlags,
    note: &Notifier,
    call: impl FnOnce(),
) -> Forked {
    let (ready, is_ready) = channel();
    let mut child = spawn(what, || {
        install_announcing_handler(Signal::SIGUSR1, flags, note);
        ready.notify();
        call();
    });
    is_ready.wait();
    child.assert_blocked_in(nrs, what);
    child
}

/// pipe(7): "read(2) will block until data is available". Asserted: a reader of the empty
/// pipe is blocked, and the write of 5 bytes wakes it with exactly those bytes.
#[apply(pipe_kinds)]
#[rstest]
fn a_read_of_an_empty_pipe_blocks_until_data_is_written(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let mut reader = spawn("reader of an empty pipe", || {
        let mut buf = [0u8; 64];
        assert_eq!(read_once(p.rx(), &mut buf), Ok(5));
        assert_eq!(&buf[..5], b"hello");
    });
    reader.assert_blocked_in(calls::READ, "read(2) of an empty pipe");
    write_all(p.tx(), b"hello");
    reader.expect_success();
}

/// pipe(7): "write(2) blocks until sufficient data has been read from the pipe to allow the
/// write to complete". Asserted: a one-page write to a full pipe blocks, and reading one page
/// lets it complete with its full count.
#[apply(pipe_kinds)]
#[rstest]
fn a_write_to_a_full_pipe_blocks_until_a_read_makes_room(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let cap = fill_to_capacity(p.tx());
    let mut writer = spawn("writer to a full pipe", || {
        assert_eq!(write_once(p.tx(), &[b'w'; PIPE_BUF]), Ok(PIPE_BUF));
    });
    writer.assert_blocked_in(calls::WRITE, "write(2) to a full pipe");
    read_exact(p.rx(), PIPE_BUF);
    writer.expect_success();
    assert_eq!(fionread(p.rx()), Ok(cap));
}

/// pipe(7), "O_NONBLOCK disabled, n <= PIPE_BUF: All n bytes are written atomically;
/// write(2) may block if there is not room for n bytes to be written immediately". Asserted: a
/// blocked PIPE_BUF-byte write stays blocked, having written nothing, after a read frees only
/// 100 bytes, and completes once a whole PIPE_BUF is free.
#[apply(pipe_kinds)]
#[rstest]
fn a_blocked_small_write_waits_for_room_for_all_of_it(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let cap = fill_to_capacity(p.tx());
    let mut writer = spawn("PIPE_BUF writer to a full pipe", || {
        assert_eq!(write_once(p.tx(), &[b'w'; PIPE_BUF]), Ok(PIPE_BUF));
    });
    writer.assert_blocked_in(calls::WRITE, "write(2) of PIPE_BUF bytes to a full pipe");
    read_exact(p.rx(), 100);
    writer.assert_still_blocked("write(2) of PIPE_BUF bytes with only 100 bytes of room");
    assert_eq!(fionread(p.rx()), Ok(cap - 100), "the blocked atomic write must not have written a part");
    read_exact(p.rx(), PIPE_BUF - 100);
    writer.expect_success();
    assert_eq!(fionread(p.rx()), Ok(cap));
}

/// signal(7): read(2) on a "slow" device ("a terminal, pipe, or socket") interrupted by a
/// handler established without SA_RESTART "fails with the error EINTR"; read(2), EINTR: "The
/// call was interrupted by a signal before any data was read". Asserted: the blocked read
/// returns EINTR after the handler ran once.
#[apply(pipe_kinds)]
#[rstest]
fn a_blocked_read_interrupted_by_a_handler_fails_eintr(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let (note, _notes) = channel();
    let reader = blocked_with_a_sigusr1_handler("read(2) of an empty pipe", calls::READ, SaFlags::empty(), &note, || {
        let mut buf = [0u8; 8];
        assert_errno!(read_once(p.rx(), &mut buf), Errno::EINTR);
        assert_eq!(announced(), 1);
    });
    reader.signal(Signal::SIGUSR1);
    reader.expect_success();
}

/// signal(7): for read(2) on a pipe, "the call is automatically restarted after the signal
/// handler returns if the SA_RESTART flag was used". Asserted: after the handler has run
/// (it reports so through a pipe) the reader is blocked again, and it then returns the data
/// written later, not EINTR.
#[apply(pipe_kinds)]
#[rstest]
fn a_blocked_read_is_restarted_after_an_sa_restart_handler(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let (note, handler_ran) = channel();
    let mut reader = blocked_with_a_sigusr1_handler("read(2) of an empty pipe", calls::READ, SaFlags::SA_RESTART, &note, || {
        let mut buf = [0u8; 8];
        assert_eq!(read_once(p.rx(), &mut buf), Ok(4));
        assert_eq!(&buf[..4], b"data");
        assert_eq!(announced(), 1);
    });
    reader.signal(Signal::SIGUSR1);
    handler_ran.wait();
    reader.assert_still_blocked("read(2) restarted after the handler");
    write_all(p.tx(), b"data");
    reader.expect_success();
}

/// signal(7): "If an I/O call on a slow device has already transferred some data by the time
/// it is interrupted by a signal handler, then the call will return a success status
/// (normally, the number of bytes transferred)." Asserted: a blocking write of capacity + one
/// page into an empty pipe blocks after filling it, and the handler makes it return exactly
/// the capacity.
#[apply(pipe_kinds)]
#[rstest]
fn a_write_interrupted_after_a_partial_transfer_returns_the_count(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let cap = pipe_size(p.tx()).unwrap();
    let (note, _notes) = channel();
    let writer = blocked_with_a_sigusr1_handler("write(2) larger than the capacity", calls::WRITE, SaFlags::empty(), &note, || {
        assert_eq!(write_once(p.tx(), &vec![b'p'; cap + PIPE_BUF]), Ok(cap));
        assert_eq!(announced(), 1);
    });
    assert_eq!(fionread(p.rx()), Ok(cap), "the writer filled the pipe before blocking");
    writer.signal(Signal::SIGUSR1);
    writer.expect_success();
}

/// signal(7): write(2) on a pipe interrupted by a handler without SA_RESTART "fails with the
/// error EINTR" when nothing was transferred (write(2), EINTR: "The call was interrupted by a
/// signal handler before any data was written"). Asserted on a write blocked on a full pipe.
#[apply(pipe_kinds)]
#[rstest]
fn a_blocked_write_interrupted_before_any_transfer_fails_eintr(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let cap = fill_to_capacity(p.tx());
    let (note, _notes) = channel();
    let writer = blocked_with_a_sigusr1_handler("write(2) to a full pipe", calls::WRITE, SaFlags::empty(), &note, || {
        assert_errno!(write_once(p.tx(), b"x"), Errno::EINTR);
    });
    writer.signal(Signal::SIGUSR1);
    writer.expect_success();
    assert_eq!(fionread(p.rx()), Ok(cap));
}
