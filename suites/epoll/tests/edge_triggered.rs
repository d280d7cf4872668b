//! EPOLLET. epoll(7), "Level-triggered and edge-triggered": "edge-triggered mode delivers
//! events only when changes occur on the monitored file descriptor."
//!
//! What counts as a "change" is decided by each file's wakeups: every call of its wait
//! queue's wakeup re-queues an edge-triggered registration. Pair::send returns once the
//! receiver has been notified, so an immediate epoll_wait(timeout 0) is an exact check.

use fixtures::cases::{channel_kinds, every_kind, pipe_kinds};
use epoll::{ET, IN, OUT, pipe_modified_after_one_event, watching};
use fixtures::gate::{kernel_and_patch, stable_patch_level};
use fixtures::kinds::Kind;
use fixtures::{kernel_at_least, kernel_version, needs, variant};
use rstest::rstest;
use rstest_reuse::apply;

/// epoll(7): an edge-triggered registration reports a change once; while the data merely
/// remains unread, further epoll_wait calls report nothing.
#[apply(every_kind)]
#[rstest]
fn a_change_is_reported_once(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    let ep = watching(p.rx(), IN | ET, 1);
    p.send(b"x");
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    assert_eq!(
        ep.ready(),
        vec![],
        "{kind:?}: no new event while the data just sits there"
    );
}

/// epoll(7): "Since even with edge-triggered epoll, multiple events can be generated upon
/// receipt of multiple chunks of data": a new write is a new change, even though the
/// previous data was not read — for sockets, eventfds, ptys and message queues on every
/// kernel (pipes: see the version-dependent test below).
#[rstest]
#[case::unix_stream(Kind::UnixStream)]
#[case::unix_dgram(Kind::UnixDgram)]
#[case::tcp(Kind::Tcp)]
#[case::eventfd(Kind::EventFd)]
#[case::pty(Kind::Pty)]
#[case::mq(Kind::Mq)]
fn a_new_write_re_arms(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    let ep = watching(p.rx(), IN | ET, 1);
    p.send(b"a");
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    p.send(b"b");
    assert_eq!(
        ep.ready(),
        vec![(IN, 1)],
        "{kind:?}: the second write is a new event"
    );
}

/// epoll(7), steps (1)-(5) of the example: after the event for a 2-part write is consumed,
/// a read that leaves data behind (step 4) does not generate an event, so epoll_wait in
/// step 5 "might block indefinitely" — here: reports nothing.
#[apply(channel_kinds)]
#[rstest]
fn a_partial_read_does_not_re_arm(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    let ep = watching(p.rx(), IN | ET, 1);
    if kind == Kind::UnixDgram {
        p.send(b"first");
        p.send(b"second");
    } else {
        p.send(b"abcd");
    }
    // Consume the event(s) of the writes.
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    assert_eq!(p.recv(1).unwrap().len(), 1);
    assert_eq!(
        ep.ready(),
        vec![],
        "{kind:?}: a partial read is not a change"
    );
    assert!(!p.recv(64).unwrap().is_empty(), "data was left behind");
}

/// ipc/mqueue.c wakes the queue's pollers on every receive (pipelined_receive calls
/// wake_up_interruptible "for poll", with no event key to filter on), so for a POSIX
/// message queue even a receive that leaves messages queued re-arms an EPOLLET/EPOLLIN
/// registration — unlike the byte channels above.
#[test]
fn a_message_queue_receive_re_arms() {
    needs!(available(Kind::Mq.availability()));
    let p = Kind::Mq.pair();
    let ep = watching(p.rx(), IN | ET, 1);
    p.send(b"first");
    p.send(b"second");
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    assert_eq!(ep.ready(), vec![]);
    assert_eq!(p.recv(64).unwrap(), b"first");
    assert_eq!(ep.ready(), vec![(IN, 1)], "the receive woke the pollers");
}

/// epoll(7), Q&A: "Does an operation on a file descriptor affect the already collected but
/// not yet reported events? ... Modify will reread available I/O." After the edge was
/// consumed, EPOLL_CTL_MOD with the same mask reports the still-present data again.
#[test]
fn epoll_ctl_mod_re_reads_readiness() {
    let (_p, ep) = pipe_modified_after_one_event(ET);
    assert_eq!(ep.ready(), vec![(IN, 2)]);
}

/// epoll(7), "Level-triggered and edge-triggered": "edge-triggered mode delivers events only
/// when changes occur on the monitored file descriptor". Edge-triggered EPOLLOUT: one event
/// while the pipe is writable, none while it stays writable, and a new one when a reader
/// makes room in a full pipe (pipe_read wakes writers when the pipe was full).
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::unix_stream(Kind::UnixStream)]
fn epollout_edges_when_room_returns(#[case] kind: Kind) {
    let p = kind.pair();
    let ep = watching(p.tx(), OUT | ET, 1);
    assert_eq!(ep.ready(), vec![(OUT, 1)]);
    assert_eq!(ep.ready(), vec![]);
    p.fill();
    assert_eq!(ep.ready(), vec![]);
    p.drain();
    assert_eq!(ep.ready(), vec![(OUT, 1)]);
}

/// True when the running kernel wakes pipe readers on every write, also into a non-empty
/// pipe. Commit 1b6b26ae7053 ("pipe: fix and clarify pipe write wakeup logic", 5.5) woke
/// readers only when the pipe had been empty; commit 3a34b13a88ca ("pipe: make pipe writes
/// always wake up readers", Linus Torvalds, 2021-07, 5.14) restored a wakeup per write
/// after Android apps using EPOLLET this way broke on 5.10. It went to the stable series
/// 5.10.56 and 5.13.8 ("[PATCH 5.10 03/67]", "[PATCH 5.13 001/104]", 2021-08-02). Its
/// follow-up 3b844826b6c6 ("pipe: avoid unnecessary EPOLLET wakeups under normal loads")
/// keeps the wakeup for pipes that were ever polled, which epoll_ctl does.
fn pipe_writes_always_wake_readers() -> bool {
    // variant: none — a predicate; its caller reports `re-arms` / `no-re-arm` from the answer.
    if !kernel_at_least(5, 5) || kernel_at_least(5, 14) {
        return true;
    }
    let v = kernel_version();
    match (v.major, v.minor) {
        (5, 10) => stable_patch_level() >= 56,
        (5, 13) => stable_patch_level() >= 8,
        _ => false,
    }
}

/// epoll(7): "even with edge-triggered epoll, multiple events can be generated upon receipt
/// of multiple chunks of data" — the version-dependent pipe case of "a new write re-arms":
/// with EPOLLET on a pipe or FIFO read end, a second write without an intervening read
/// generates a new event on kernels that wake readers on every write (before 5.5, and since
/// commit 3a34b13a88ca in 5.14 / 5.10.56 / 5.13.8), and no event from 5.5 (commit
/// 1b6b26ae7053) up to those. Variant: `re-arms` (the second write queued a new event) or
/// `no-re-arm` (lacking: the kernel wakes readers only when the pipe was empty, so the
/// "multiple events for multiple chunks" the claim is about do not happen for pipes).
///
/// Kernel change: 5.14, commit 3a34b13a88ca — every pipe write wakes EPOLLET readers again, not only a write into an empty pipe (stable 5.10.56, 5.13.8).
#[apply(pipe_kinds)]
#[rstest]
fn a_second_pipe_write_re_arms_depending_on_the_kernel(#[case] kind: Kind) {
    let p = kind.pair();
    let ep = watching(p.rx(), IN | ET, 1);
    p.send(b"a");
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    p.send(b"b");
    let why = kernel_and_patch();
    let expected = if pipe_writes_always_wake_readers() {
        variant::observed("re-arms", format_args!("a second write into a non-empty pipe wakes EPOLLET readers: {why}"));
        vec![(IN, 1)]
    } else {
        variant::lacking(
            "no-re-arm",
            format_args!("5.5+ without 3a34b13a88ca (5.14, 5.10.56, 5.13.8) wakes readers only when the pipe was empty: {why}"),
        );
        vec![]
    };
    assert_eq!(ep.ready(), expected, "{why}");
}
