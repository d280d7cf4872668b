//! How many signals: realtime signals queue, SIGIO merges, and signal-driven I/O is
//! edge-style — one signal per new input event (each write), none for data that merely
//! stays unread.

use fixtures::gate::stable_patch_level;
use fixtures::kinds::Kind;
use fixtures::signals::{SignalCatcher, rt};
use fixtures::uapi::POLL_IN;
use fixtures::{NEGATIVE_WAIT, kernel_at_least, kernel_version, require, run_in_child, skip};
use rstest::rstest;
use signal_io::{enable_signal_io, expected, summary};

/// fcntl(2), F_SETSIG: "By selecting a real time signal (value >= SIGRTMIN), multiple I/O
/// events may be queued using the same signal numbers." Three writes, three queued
/// signals, each with the full siginfo.
#[rstest]
#[case::unix_stream(Kind::UnixStream)]
#[case::unix_dgram(Kind::UnixDgram)]
#[case::pty(Kind::Pty)]
fn realtime_signals_queue_one_per_event(#[case] kind: Kind) {
    require!(kind.available());
    run_in_child("three events", || {
        let sig = rt(1);
        let c = SignalCatcher::new(&[sig]);
        let p = kind.pair();
        enable_signal_io(p.rx(), sig);
        for b in [b"a", b"b", b"c"] {
            p.send(b);
        }
        let got: Vec<_> = c.drain().iter().map(summary).collect();
        assert_eq!(got, vec![expected(sig, POLL_IN, p.rx()); 3]);
    })
    .expect_success();
}

/// signal(7), "Queueing and delivery semantics for standard signals": "If multiple
/// instances of a standard signal are generated while that signal is blocked, then only
/// one instance of the signal is marked as pending". Three events, one SIGIO.
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::unix_stream(Kind::UnixStream)]
#[case::unix_dgram(Kind::UnixDgram)]
#[case::pty(Kind::Pty)]
fn sigio_does_not_queue(#[case] kind: Kind) {
    require!(kind.available());
    run_in_child("three events", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let p = kind.pair();
        enable_signal_io(p.rx(), 0);
        for b in [b"a", b"b", b"c"] {
            p.send(b);
        }
        assert_eq!(c.drain().len(), 1);
    })
    .expect_success();
}

/// fcntl(2): the signal is sent "whenever input ... becomes possible" — per event, not per
/// byte: one write of 64 bytes (one datagram) queues exactly one realtime signal.
#[rstest]
fn one_write_is_one_signal_whatever_its_size(
    #[values(
        Kind::Pipe,
        Kind::Fifo,
        Kind::UnixStream,
        Kind::UnixDgram,
        Kind::Tcp,
        Kind::Pty
    )]
    kind: Kind,
) {
    require!(kind.available());
    run_in_child("one 64-byte write", || {
        let sig = rt(1);
        let c = SignalCatcher::new(&[sig]);
        let p = kind.pair();
        enable_signal_io(p.rx(), sig);
        p.send(&[b'z'; 64]);
        let got: Vec<_> = c.drain().iter().map(summary).collect();
        assert_eq!(got, vec![expected(sig, POLL_IN, p.rx())]);
    })
    .expect_success();
}

/// fcntl(2): "a SIGIO signal is sent whenever input or output becomes possible"; pipe(7):
/// O_ASYNC "causes a signal (SIGIO by default) to be generated when new input becomes
/// available". Signal-driven I/O is edge-style: after the signal for an input event is
/// taken, data that merely stays unread raises no further signal (proven by a bounded
/// wait).
#[rstest]
fn no_new_signal_while_data_merely_remains(
    #[values(
        Kind::Pipe,
        Kind::Fifo,
        Kind::UnixStream,
        Kind::UnixDgram,
        Kind::Tcp,
        Kind::Pty
    )]
    kind: Kind,
) {
    require!(kind.available());
    run_in_child("unread data", || {
        let sig = rt(1);
        let c = SignalCatcher::new(&[sig, libc::SIGIO]);
        let p = kind.pair();
        enable_signal_io(p.rx(), sig);
        p.send(b"x");
        assert!(c.take_pending().is_some());
        assert_eq!(c.wait_for(NEGATIVE_WAIT), None);
        assert_eq!(p.recv(8).unwrap(), b"x", "the data was there all along");
    })
    .expect_success();
}

/// A second write into a pipe that still holds unread data: commit 1b6b26ae7053 (5.5) tied
/// the reader's SIGIO to the pipe having been empty; commit fe67f4dd8daa ("pipe: do FASYNC
/// notifications for every pipe IO, not just state changes", Linus Torvalds, 2021-08,
/// 5.14) sends it for every write again ("user space really wants to be notified after
/// every operation"). On 5.14+ two writes queue two realtime signals; on 5.5..5.13 only
/// the first write signals. The 5.10 and 5.13 stable series carry different subsets of
/// 3a34b13a88ca, 3b844826b6c6 and fe67f4dd8daa, so there the test is skipped.
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::fifo(Kind::Fifo)]
fn each_pipe_write_signals_since_5_14(#[case] kind: Kind) {
    let every_write = if kernel_at_least(5, 14) || !kernel_at_least(5, 5) {
        true
    } else {
        let v = kernel_version();
        if matches!((v.major, v.minor), (5, 10) | (5, 13)) {
            skip!(
                "pipe SIGIO per write on {v} (stable patch level {}) depends on backports",
                stable_patch_level()
            );
        }
        false
    };
    run_in_child("two writes", || {
        let sig = rt(1);
        let c = SignalCatcher::new(&[sig]);
        let p = kind.pair();
        enable_signal_io(p.rx(), sig);
        p.send(b"a");
        p.send(b"b");
        let n = c.drain().len();
        assert_eq!(
            n,
            if every_write { 2 } else { 1 },
            "kernel {}",
            kernel_version()
        );
    })
    .expect_success();
}
