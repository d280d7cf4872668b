//! Blocking mq_send(3)/mq_receive(3), and the timed variants.

use std::time::{Duration, Instant};

use fixtures::clock::{from_now, realtime_in};
use fixtures::signals::{count, install_counter, wait_signal_delivered};
use fixtures::{DEFAULT_DEADLINE, IpcName, assert_errno, scaled, spawn, within};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use posix_mq::{create, open};
use rstest::rstest;

/// A timeout long enough to measure, short enough to keep the suite fast.
const SHORT: Duration = Duration::from_millis(50);

/// mq_receive(3): "If the queue is empty, then, by default, mq_receive() blocks until a
/// message becomes available". A process that opened the queue by name blocks until the
/// parent sends, then gets exactly that message.
#[test]
fn receive_on_an_empty_queue_blocks_until_a_message_is_sent() {
    let name = IpcName::mq("recv");
    let q = create(&name, 2);
    let n = name.as_cstr().to_owned();
    let mut receiver = spawn("receiver", move || {
        let r = open(&n, libc::O_RDONLY);
        assert_eq!(r.receive().unwrap(), (b"wake up".to_vec(), 9));
    });
    receiver.assert_blocked("mq_receive(3) on an empty queue");
    q.send(b"wake up", 9).unwrap();
    receiver.expect_success();
    assert_eq!(q.curmsgs(), 0);
}

/// mq_send(3): "If the message queue is already full ... mq_send() blocks until sufficient
/// space becomes available to allow the message to be queued". The blocked sender's
/// message is queued after a receive makes room.
#[test]
fn send_to_a_full_queue_blocks_until_a_message_is_received() {
    let name = IpcName::mq("send");
    let q = create(&name, 2);
    q.send(b"1", 0).unwrap();
    q.send(b"2", 0).unwrap();
    let n = name.as_cstr().to_owned();
    let mut sender = spawn("sender", move || open(&n, libc::O_WRONLY).send(b"3", 0).unwrap());
    sender.assert_blocked("mq_send(3) on a full queue");
    assert_eq!(q.curmsgs(), 2);
    assert_eq!(q.receive().unwrap().0, b"1");
    sender.expect_success();
    assert_eq!(q.receive().unwrap().0, b"2");
    assert_eq!(q.receive().unwrap().0, b"3");
}

/// mq_receive(3): "If no message is available, and the timeout has already expired by the
/// time of the call, mq_timedreceive() returns immediately" (ETIMEDOUT); likewise
/// mq_timedsend(3) on a full queue.
#[rstest]
fn timed_calls_with_an_expired_deadline_fail_etimedout_at_once(#[values("send", "receive")] op: &str) {
    let name = IpcName::mq("expired");
    let q = create(&name, 1);
    if op == "send" {
        q.send(b"fill", 0).unwrap();
    }
    let past = from_now(libc::CLOCK_REALTIME, -1_000_000_000);
    let start = Instant::now();
    // Bounded: a call that ignored its deadline would block for good on this queue.
    let r = within("a timed mq call with an expired deadline", || {
        if op == "send" { q.timedsend(b"x", 0, &past) } else { q.timedreceive(&past).map(|_| ()) }
    });
    assert_errno!(r, Errno::ETIMEDOUT);
    assert!(start.elapsed() < scaled(DEFAULT_DEADLINE) / 2);
    assert_eq!(q.curmsgs(), if op == "send" { 1 } else { 0 });
}

/// mq_send(3)/mq_receive(3): abs_timeout "specifies how long the call will block";
/// "ETIMEDOUT The call timed out before a message could be transferred". A deadline 50 ms
/// ahead: ETIMEDOUT, and not before the deadline.
#[rstest]
fn timed_calls_fail_etimedout_after_a_short_deadline(#[values("send", "receive")] op: &str) {
    let name = IpcName::mq("short");
    let q = create(&name, 1);
    if op == "send" {
        q.send(b"fill", 0).unwrap();
    }
    let start = Instant::now();
    let deadline = realtime_in(SHORT);
    let r = within("a timed mq call with a 50 ms deadline", || {
        if op == "send" { q.timedsend(b"x", 0, &deadline) } else { q.timedreceive(&deadline).map(|_| ()) }
    });
    assert_errno!(r, Errno::ETIMEDOUT);
    assert!(start.elapsed() >= SHORT, "returned after {:?}", start.elapsed());
}

/// mq_timedreceive(3) returns the message that another process sends before the deadline.
#[test]
fn timedreceive_returns_a_message_sent_before_the_deadline() {
    let name = IpcName::mq("intime");
    let q = create(&name, 1);
    let n = name.as_cstr().to_owned();
    let mut receiver = spawn("timed receiver", move || {
        let r = open(&n, libc::O_RDONLY);
        assert_eq!(r.timedreceive(&realtime_in(scaled(DEFAULT_DEADLINE))).unwrap().0, b"in time");
    });
    receiver.assert_blocked("mq_timedreceive(3)");
    q.send(b"in time", 0).unwrap();
    receiver.expect_success();
}

/// mq_send(3)/mq_receive(3), ERRORS: "EINVAL The call would have blocked, and abs_timeout
/// was invalid, either because tv_sec was less than zero, or because tv_nsec was less than
/// zero or greater than 1000 million."
#[rstest]
fn timed_calls_that_would_block_with_an_invalid_timeout_fail_einval(
    #[values("send", "receive")] op: &str,
    #[values((1, 1_000_000_000), (1, -1), (-1, 0))] ts: (i64, i64),
) {
    let name = IpcName::mq("inval");
    let q = create(&name, 1);
    if op == "send" {
        q.send(b"fill", 0).unwrap();
    }
    let bad = libc::timespec { tv_sec: ts.0 as _, tv_nsec: ts.1 as _ };
    // Bounded: a call that ignored its timeout would block for good on this queue.
    let r = within("a timed mq call with an invalid timeout", || {
        if op == "send" { q.timedsend(b"x", 0, &bad) } else { q.timedreceive(&bad).map(|_| ()) }
    });
    assert_errno!(r, Errno::EINVAL);
}

/// The man pages list EINVAL for an invalid abs_timeout only when "The call would have
/// blocked" (POSIX: the validity "need not be checked" if the call can complete). Linux
/// checks the timespec before looking at the queue: EINVAL even with room / a message, and
/// nothing is transferred. See Findings in docs/suites/posix_mq.md.
#[rstest]
fn linux_rejects_an_invalid_timeout_even_when_the_call_would_not_block(#[values("send", "receive")] op: &str) {
    let name = IpcName::mq("inval_ready");
    let q = create(&name, 2);
    q.send(b"ready", 0).unwrap();
    let bad = libc::timespec { tv_sec: 0, tv_nsec: 1_000_000_000 };
    let r = if op == "send" { q.timedsend(b"x", 0, &bad) } else { q.timedreceive(&bad).map(|_| ()) };
    assert_errno!(r, Errno::EINVAL);
    assert_eq!(q.curmsgs(), 1, "nothing was sent or received");
}

/// mq_receive(3), ERRORS: "EINTR The call was interrupted by a signal handler; see
/// signal(7)". Without SA_RESTART a blocked mq_receive fails EINTR.
#[rstest]
fn blocked_calls_interrupted_by_a_handler_without_sa_restart_fail_eintr(#[values("send", "receive")] op: &str) {
    let name = IpcName::mq("eintr");
    let q = create(&name, 1);
    if op == "send" {
        q.send(b"fill", 0).unwrap();
    }
    let n = name.as_cstr().to_owned();
    let (ready, wait_ready) = fixtures::sync::channel();
    let mut child = spawn("blocked caller", move || {
        let c = open(&n, libc::O_RDWR);
        install_counter(Signal::SIGUSR1, SaFlags::empty());
        ready.notify();
        let r = if op == "send" { c.send(b"x", 0) } else { c.receive().map(|_| ()) };
        assert_errno!(r, Errno::EINTR);
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    wait_ready.wait();
    child.assert_blocked("a blocking mq call");
    child.signal(Signal::SIGUSR1);
    child.expect_success();
    assert_eq!(q.curmsgs(), if op == "send" { 1 } else { 0 });
}

/// signal(7): with SA_RESTART, "POSIX message queue interfaces: mq_receive(3),
/// mq_timedreceive(3), mq_send(3), and mq_timedsend(3)" are restarted after the handler.
/// The caller is blocked again after the handler ran, and completes when the peer acts.
#[rstest]
fn blocked_calls_interrupted_by_a_handler_with_sa_restart_are_restarted(#[values("send", "receive")] op: &str) {
    let name = IpcName::mq("restart");
    let q = create(&name, 1);
    if op == "send" {
        q.send(b"fill", 0).unwrap();
    }
    let n = name.as_cstr().to_owned();
    let (ready, wait_ready) = fixtures::sync::channel();
    let mut child = spawn("blocked caller", move || {
        let c = open(&n, libc::O_RDWR);
        install_counter(Signal::SIGUSR1, SaFlags::SA_RESTART);
        ready.notify();
        if op == "send" {
            assert_eq!(c.send(b"restarted", 0), Ok(()));
        } else {
            assert_eq!(c.receive().unwrap().0, b"restarted");
        }
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    wait_ready.wait();
    child.assert_blocked("a blocking mq call");
    child.signal(Signal::SIGUSR1);
    wait_signal_delivered(child.pid(), Signal::SIGUSR1);
    child.assert_blocked("the mq call restarted after the handler");
    if op == "send" {
        assert_eq!(q.receive().unwrap().0, b"fill");
        child.join().expect_success();
        assert_eq!(q.receive().unwrap().0, b"restarted");
    } else {
        q.send(b"restarted", 0).unwrap();
        child.join().expect_success();
    }
}
