//! How many signals: realtime signals queue, SIGIO merges, and signal-driven I/O is
//! edge-style — one signal per new input event (each write), none for data that merely
//! stays unread.

use fixtures::gate::stable_patch_level;
use fixtures::kinds::Kind;
use fixtures::signals::rt;
use fixtures::uapi::POLL_IN;
use fixtures::{NEGATIVE_WAIT, kernel_at_least, kernel_version, needs, skip, variant};
use rstest::rstest;
use rstest_reuse::apply;
use fixtures::cases::pipe_kinds;
use fixtures::cases::channel_kinds;
use signal_io::{with_pair_catching, enable_signal_io, expected, queued};

/// fcntl(2), F_SETSIG: "By selecting a real time signal (value >= SIGRTMIN), multiple I/O
/// events may be queued using the same signal numbers." Three writes, three queued
/// signals, each with the full siginfo.
#[rstest]
#[case::unix_stream(Kind::UnixStream)]
#[case::unix_dgram(Kind::UnixDgram)]
#[case::pty(Kind::Pty)]
fn realtime_signals_queue_one_per_event(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let sig = rt(1);
    with_pair_catching(kind, &[sig], |p, c| {
        enable_signal_io(p.rx(), sig);
        for b in [b"a", b"b", b"c"] {
            p.send(b);
        }
        let got = queued(c);
        assert_eq!(got, vec![expected(sig, POLL_IN, p.rx()); 3]);
    });
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
    needs!(available(kind.availability()));
    with_pair_catching(kind, &[libc::SIGIO], |p, c| {
        enable_signal_io(p.rx(), 0);
        for b in [b"a", b"b", b"c"] {
            p.send(b);
        }
        assert_eq!(c.drain().len(), 1);
    });
}

/// fcntl(2): the signal is sent "whenever input ... becomes possible" — per event, not per
/// byte: one write of 64 bytes (one datagram) queues exactly one realtime signal.
#[apply(channel_kinds)]
#[rstest]
fn one_write_is_one_signal_whatever_its_size(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let sig = rt(1);
    with_pair_catching(kind, &[sig], |p, c| {
        enable_signal_io(p.rx(), sig);
        p.send(&[b'z'; 64]);
        let got = queued(c);
        assert_eq!(got, vec![expected(sig, POLL_IN, p.rx())]);
    });
}

/// fcntl(2): "a SIGIO signal is sent whenever input or output becomes possible"; pipe(7):
/// O_ASYNC "causes a signal (SIGIO by default) to be generated when new input becomes
/// available". Signal-driven I/O is edge-style: after the signal for an input event is
/// taken, data that merely stays unread raises no further signal (proven by a bounded
/// wait).
#[apply(channel_kinds)]
#[rstest]
fn no_new_signal_while_data_merely_remains(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let sig = rt(1);
    with_pair_catching(kind, &[sig, libc::SIGIO], |p, c| {
        enable_signal_io(p.rx(), sig);
        p.send(b"x");
        assert!(c.take_pending().is_some());
        assert_eq!(c.wait_for(NEGATIVE_WAIT), None);
        assert_eq!(p.recv(8).unwrap(), b"x", "the data was there all along");
    });
}

/// A second write into a pipe that still holds unread data: commit 1b6b26ae7053 (5.5) tied
/// the reader's SIGIO to the pipe having been empty; commit fe67f4dd8daa ("pipe: do FASYNC
/// notifications for every pipe IO, not just state changes", Linus Torvalds, 2021-08,
/// 5.14) sends it for every write again ("user space really wants to be notified after
/// every operation"). On 5.14+ two writes queue two realtime signals; on 5.5..5.13 only
/// the first write signals. The 5.10 stable series has fe67f4dd8daa from 5.10.62 (Debian's
/// bullseye changelog lists it under ChangeLog-5.10.62); for the 5.13 series which patch
/// level has it is not verified, so there the test is skipped. Variant: `every-write`
/// (5.14+, 5.10.62+, and before 5.5), or the lacking `state-change-only` (5.5..5.13
/// without the backport: only the write into an empty pipe signals).
///
/// Kernel change: 5.14, commit fe67f4dd8daa — every pipe write raises SIGIO again, not only a write into an empty pipe (stable 5.10.62).
#[apply(pipe_kinds)]
#[rstest]
fn each_pipe_write_signals_since_5_14(#[case] kind: Kind) {
    let v = kernel_version();
    let level = stable_patch_level();
    let fixed = fixtures::gate::has_fix((5, 14), &[(5, 10, 62)], &[]);
    let every_write = if fixed == Some(true) || !kernel_at_least(5, 5) {
        variant::observed(
            "every-write",
            format_args!("kernel {v} (stable patch level {level}): every pipe write signals (fe67f4dd8daa: 5.14, 5.10.62; before 5.5 always)"),
        );
        true
    } else {
        if (v.major, v.minor) == (5, 13) {
            skip!("pipe SIGIO per write on {v} (stable patch level {level}) depends on a backport not verified");
        }
        variant::lacking(
            "state-change-only",
            format_args!("kernel {v} (5.5..5.13): only a write into an empty pipe signals (1b6b26ae7053, before fe67f4dd8daa)"),
        );
        false
    };
    let sig = rt(1);
    with_pair_catching(kind, &[sig], |p, c| {
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
    });
}
