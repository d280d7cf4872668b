//! Message priorities: mq_send(3), mq_receive(3), mq_overview(7).

use fixtures::assert_errno;
use nix::errno::Errno;
use posix_mq::MQ_PRIO_MAX;
use posix_mq::queue::new_queue;

/// mq_receive(3): "removes the oldest message with the highest priority"; mq_overview(7):
/// "messages are always delivered to the receiving process highest priority first".
/// Messages sent in a shuffled priority order come out sorted, each with its priority.
#[test]
fn the_highest_priority_message_is_received_first() {
    let (_name, q) = new_queue("prio", 8);
    for p in [3u32, 0, 31, 7, 1000, 2, 32767, 1] {
        q.send(format!("p{p}").as_bytes(), p).unwrap();
    }
    let order: Vec<u32> = (0..8).map(|_| q.receive().unwrap().1).collect();
    assert_eq!(order, [32767, 1000, 31, 7, 3, 2, 1, 0]);
}

/// mq_send(3): "newer messages of the same priority being placed after older messages with
/// the same priority": FIFO within a priority, also when interleaved with other priorities.
#[test]
fn messages_of_equal_priority_are_received_in_send_order() {
    let (_name, q) = new_queue("fifo", 8);
    let sent = [("a1", 5), ("b1", 1), ("a2", 5), ("b2", 1), ("a3", 5), ("b3", 1), ("a4", 5), ("b4", 1)];
    for (m, p) in sent {
        q.send(m.as_bytes(), p).unwrap();
    }
    let got: Vec<String> = (0..8).map(|_| String::from_utf8(q.receive().unwrap().0).unwrap()).collect();
    assert_eq!(got, ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]);
}

/// mq_receive(3): "If msg_prio is not NULL, then the buffer to which it points is used to
/// return the priority associated with the received message." The bytes and the priority
/// come back exactly.
#[test]
fn receive_returns_the_message_and_its_priority() {
    let (_name, q) = new_queue("getprio", 2);
    q.send(b"payload \x00\xff bytes", 12345).unwrap();
    assert_eq!(q.receive().unwrap(), (b"payload \x00\xff bytes".to_vec(), 12345));
}

/// mq_overview(7): "Message priorities range from 0 (low) to sysconf(_SC_MQ_PRIO_MAX) - 1
/// (high). On Linux, sysconf(_SC_MQ_PRIO_MAX) returns 32768"; mq_send(3) fails EINVAL for
/// a priority of MQ_PRIO_MAX or more (POSIX.1-2024 mq_send(): "[EINVAL] The value of
/// msg_prio was outside the valid range"). Asserted at the kernel's bound: 32768 and
/// u32::MAX fail with EINVAL and queue nothing, 32767 is accepted. (glibc answers
/// sysconf(_SC_MQ_PRIO_MAX) with its own constant, without the kernel: not asserted.)
#[test]
fn a_priority_of_mq_prio_max_or_more_fails_einval() {
    let (_name, q) = new_queue("prio_max", 2);
    assert_errno!(q.send(b"x", MQ_PRIO_MAX), Errno::EINVAL);
    assert_errno!(q.send(b"x", u32::MAX), Errno::EINVAL);
    assert_eq!(q.curmsgs(), 0);
    assert_eq!(q.send(b"x", MQ_PRIO_MAX - 1), Ok(()));
}
