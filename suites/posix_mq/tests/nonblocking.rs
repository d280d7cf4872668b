//! O_NONBLOCK: mq_open(3), mq_send(3), mq_receive(3), mq_setattr(3).

use fixtures::assert_errno;
use nix::errno::Errno;
use posix_mq::queue::{new_queue, open};

/// mq_send(3), ERRORS: "EAGAIN The queue was full, and the O_NONBLOCK flag was set for the
/// message queue description"; the queue keeps its mq_maxmsg messages.
#[test]
fn send_to_a_full_queue_with_o_nonblock_fails_eagain() {
    let (name, _q) = new_queue("full", 2);
    let nb = open(name.as_cstr(), libc::O_WRONLY | libc::O_NONBLOCK);
    nb.send(b"1", 0).unwrap();
    nb.send(b"2", 0).unwrap();
    assert_errno!(nb.send(b"3", 0), Errno::EAGAIN);
    assert_errno!(nb.send(b"3", 100), Errno::EAGAIN, "a higher priority does not make room");
    assert_eq!(nb.curmsgs(), 2);
}

/// mq_receive(3), ERRORS: "EAGAIN The queue was empty, and the O_NONBLOCK flag was set for
/// the message queue description".
#[test]
fn receive_from_an_empty_queue_with_o_nonblock_fails_eagain() {
    let (name, _q) = new_queue("empty", 2);
    let nb = open(name.as_cstr(), libc::O_RDONLY | libc::O_NONBLOCK);
    assert_errno!(nb.receive(), Errno::EAGAIN);
}

/// mq_setattr(3): O_NONBLOCK set with mq_setattr takes effect at once (EAGAIN instead of
/// blocking), and clearing it restores blocking mode (a message then is received).
#[test]
fn o_nonblock_set_by_mq_setattr_takes_effect() {
    let (_name, q) = new_queue("setnb", 1);
    q.set_nonblocking(true);
    assert_errno!(q.receive(), Errno::EAGAIN);
    q.send(b"x", 0).unwrap();
    assert_errno!(q.send(b"y", 0), Errno::EAGAIN);
    q.set_nonblocking(false);
    assert_eq!(q.receive().unwrap().0, b"x");
}

/// mq_open(3), O_NONBLOCK: "In circumstances where mq_receive(3) and mq_send(3) would
/// normally block, these functions instead fail with the error EAGAIN" — only those: a
/// nonblocking descriptor sends and receives normally when there is room or a message.
#[test]
fn o_nonblock_does_not_change_calls_that_would_not_block() {
    let (name, _q) = new_queue("nbok", 2);
    let nb = open(name.as_cstr(), libc::O_RDWR | libc::O_NONBLOCK);
    nb.send(b"ok", 1).unwrap();
    assert_eq!(nb.receive().unwrap(), (b"ok".to_vec(), 1));
}
