//! Blocking mq_send(3)/mq_receive(3), and the timed variants. A claim about "the call that
//! blocks" is checked for both: mq_send(3) on a full queue and mq_receive(3) on an empty one
//! (the parameter set `both_calls`: cases `send` and `receive`).

use std::time::{Duration, Instant};

use fixtures::clock::{from_now, realtime_in};
use fixtures::deadline::assert_waited_at_least;
use fixtures::signals::{count, install_counter, wait_signal_delivered};
use fixtures::{DEFAULT_DEADLINE, IpcName, assert_errno, scaled, spawn, within};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use posix_mq::cases::{Call, both_calls};
use posix_mq::queue::{Mq, new_queue, open};
use rstest::rstest;
use rstest_reuse::apply;

/// A timeout long enough to measure, short enough to keep the suite fast.
const SHORT: Duration = Duration::from_millis(50);

/// mq_receive(3): "If the queue is empty, then, by default, mq_receive() blocks until a
/// message becomes available". A process that opened the queue by name blocks until the
/// parent sends, then gets exactly that message.
#[test]
fn receive_on_an_empty_queue_blocks_until_a_message_is_sent() {
    let (name, q) = new_queue("recv", 2);
    let mut receiver = spawn("receiver", || {
        let r = open(name.as_cstr(), libc::O_RDONLY);
        assert_eq!(r.receive().unwrap(), (b"wake up".to_vec(), 9));
    });
    receiver.assert_blocked_in(&[libc::SYS_mq_timedreceive], "mq_receive(3) on an empty queue");
    q.send(b"wake up", 9).unwrap();
    receiver.expect_success();
    assert_eq!(q.curmsgs(), 0);
}

/// mq_send(3): "If the message queue is already full ... mq_send() blocks until sufficient
/// space becomes available to allow the message to be queued". The blocked sender's
/// message is queued after a receive makes room.
#[test]
fn send_to_a_full_queue_blocks_until_a_message_is_received() {
    let (name, q) = new_queue("send", 2);
    q.send(b"1", 0).unwrap();
    q.send(b"2", 0).unwrap();
    let mut sender = spawn("sender", || open(name.as_cstr(), libc::O_WRONLY).send(b"3", 0).unwrap());
    sender.assert_blocked_in(&[libc::SYS_mq_timedsend], "mq_send(3) on a full queue");
    assert_eq!(q.curmsgs(), 2);
    assert_eq!(q.receive().unwrap().0, b"1");
    sender.expect_success();
    assert_eq!(q.receive().unwrap().0, b"2");
    assert_eq!(q.receive().unwrap().0, b"3");
}

/// mq_receive(3): "If no message is available, and the timeout has already expired by the
/// time of the call, mq_timedreceive() returns immediately" (ETIMEDOUT); likewise
/// mq_timedsend(3) on a full queue.
#[apply(both_calls)]
#[rstest]
fn timed_calls_with_an_expired_deadline_fail_etimedout_at_once(#[case] call: Call) {
    let name = IpcName::mq("expired");
    let q = call.queue_where_it_blocks(&name);
    let past = from_now(libc::CLOCK_REALTIME, -1_000_000_000);
    let start = Instant::now();
    // Bounded: a call that ignored its deadline would block for good on this queue.
    let r = within("a timed mq call with an expired deadline", || call.timed(&q, &past));
    assert_errno!(r, Errno::ETIMEDOUT);
    assert!(start.elapsed() < scaled(DEFAULT_DEADLINE) / 2);
    assert_eq!(q.curmsgs(), call.untouched());
}

/// mq_send(3)/mq_receive(3): abs_timeout "specifies how long the call will block";
/// "ETIMEDOUT The call timed out before a message could be transferred". A deadline 50 ms
/// ahead: ETIMEDOUT, and not before the deadline.
#[apply(both_calls)]
#[rstest]
fn timed_calls_fail_etimedout_after_a_short_deadline(#[case] call: Call) {
    let name = IpcName::mq("short");
    let q = call.queue_where_it_blocks(&name);
    let start = Instant::now();
    let deadline = realtime_in(SHORT);
    let r = within("a timed mq call with a 50 ms deadline", || call.timed(&q, &deadline));
    assert_errno!(r, Errno::ETIMEDOUT);
    assert_waited_at_least(start, SHORT);
}

/// mq_timedreceive(3) returns the message that another process sends before the deadline.
#[test]
fn timedreceive_returns_a_message_sent_before_the_deadline() {
    let (name, q) = new_queue("intime", 1);
    let mut receiver = spawn("timed receiver", || {
        let r = open(name.as_cstr(), libc::O_RDONLY);
        assert_eq!(r.timedreceive(&realtime_in(scaled(DEFAULT_DEADLINE))).unwrap().0, b"in time");
    });
    receiver.assert_blocked_in(&[libc::SYS_mq_timedreceive], "mq_timedreceive(3)");
    q.send(b"in time", 0).unwrap();
    receiver.expect_success();
}

/// mq_send(3)/mq_receive(3), ERRORS: "EINVAL The call would have blocked, and abs_timeout
/// was invalid, either because tv_sec was less than zero, or because tv_nsec was less than
/// zero or greater than 1000 million."
#[apply(both_calls)]
#[rstest]
fn timed_calls_that_would_block_with_an_invalid_timeout_fail_einval(
    #[case] call: Call,
    #[values((1, 1_000_000_000), (1, -1), (-1, 0))] ts: (i64, i64),
) {
    let name = IpcName::mq("inval");
    let q = call.queue_where_it_blocks(&name);
    let bad = libc::timespec { tv_sec: ts.0 as _, tv_nsec: ts.1 as _ };
    // Bounded: a call that ignored its timeout would block for good on this queue.
    let r = within("a timed mq call with an invalid timeout", || call.timed(&q, &bad));
    assert_errno!(r, Errno::EINVAL);
}

/// The man pages list EINVAL for an invalid abs_timeout only when "The call would have
/// blocked" (POSIX: the validity "need not be checked" if the call can complete). Linux
/// checks the timespec before looking at the queue: EINVAL even with room / a message, and
/// nothing is transferred. See Findings in docs/suites/posix_mq.md.
#[apply(both_calls)]
#[rstest]
fn linux_rejects_an_invalid_timeout_even_when_the_call_would_not_block(#[case] call: Call) {
    let (_name, q) = new_queue("inval_ready", 2);
    q.send(b"ready", 0).unwrap();
    let bad = libc::timespec { tv_sec: 0, tv_nsec: 1_000_000_000 };
    let r = call.timed(&q, &bad);
    assert_errno!(r, Errno::EINVAL);
    assert_eq!(q.curmsgs(), 1, "nothing was sent or received");
}

/// mq_receive(3), ERRORS: "EINTR The call was interrupted by a signal handler; see
/// signal(7)". Without SA_RESTART a blocked mq_receive fails EINTR.
#[apply(both_calls)]
#[rstest]
fn blocked_calls_interrupted_by_a_handler_without_sa_restart_fail_eintr(#[case] call: Call) {
    let name = IpcName::mq("eintr");
    let q = call.queue_where_it_blocks(&name);
    let child = blocked_with_a_sigusr1_counter(&name, SaFlags::empty(), |c| {
        assert_errno!(call.blocking(c, b"x"), Errno::EINTR);
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    child.signal(Signal::SIGUSR1);
    child.expect_success();
    assert_eq!(q.curmsgs(), call.untouched());
}

/// Another process that opens the queue `name` (O_RDWR), installs a counting SIGUSR1 handler
/// with `flags` and then makes `call` on it; returned once `call` is blocked in the kernel.
fn blocked_with_a_sigusr1_counter(name: &IpcName, flags: SaFlags, call: impl FnOnce(&Mq)) -> fixtures::Forked {
    let (ready, wait_ready) = fixtures::sync::channel();
    let mut child = spawn("blocked caller", || {
        let c = open(name.as_cstr(), libc::O_RDWR);
        install_counter(Signal::SIGUSR1, flags);
        ready.notify();
        call(&c);
    });
    wait_ready.wait();
    child.assert_blocked_in(&[libc::SYS_mq_timedreceive, libc::SYS_mq_timedsend], "a blocking mq call");
    child
}

/// signal(7): with SA_RESTART, "POSIX message queue interfaces: mq_receive(3),
/// mq_timedreceive(3), mq_send(3), and mq_timedsend(3)" are restarted after the handler.
/// The caller is blocked again after the handler ran, and completes when the peer acts.
#[apply(both_calls)]
#[rstest]
fn blocked_calls_interrupted_by_a_handler_with_sa_restart_are_restarted(#[case] call: Call) {
    let name = IpcName::mq("restart");
    let q = call.queue_where_it_blocks(&name);
    let mut child = blocked_with_a_sigusr1_counter(&name, SaFlags::SA_RESTART, |c| {
        assert_eq!(call.blocking(c, b"restarted"), Ok(()));
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    child.signal(Signal::SIGUSR1);
    wait_signal_delivered(child.pid(), Signal::SIGUSR1);
    child.assert_still_blocked("the mq call restarted after the handler");
    match call {
        Call::Send => {
            assert_eq!(q.receive().unwrap().0, b"fill");
            child.join().expect_success();
            assert_eq!(q.receive().unwrap().0, b"restarted");
        }
        Call::Receive => {
            q.send(b"restarted", 0).unwrap();
            child.join().expect_success();
        }
    }
}
