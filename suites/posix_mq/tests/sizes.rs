//! Message sizes: mq_send(3) and mq_receive(3) against mq_msgsize.

use fixtures::assert_errno;
use nix::errno::Errno;
use posix_mq::queue::{MSGSIZE, new_queue};

/// mq_send(3): msg_len "must be less than or equal to the queue's mq_msgsize attribute";
/// ERRORS: "EMSGSIZE msg_len was greater than the mq_msgsize attribute of the message
/// queue." A message of exactly mq_msgsize bytes fits.
#[test]
fn sending_more_than_mq_msgsize_fails_emsgsize() {
    let (_name, q) = new_queue("big", 2);
    assert_errno!(q.send(&[7u8; MSGSIZE + 1], 0), Errno::EMSGSIZE);
    assert_eq!(q.curmsgs(), 0);
    assert_eq!(q.send(&[7u8; MSGSIZE], 0), Ok(()));
    assert_eq!(q.receive().unwrap().0, vec![7u8; MSGSIZE]);
}

/// mq_receive(3): msg_len "must be greater than or equal to the mq_msgsize attribute of the
/// queue"; ERRORS: "EMSGSIZE msg_len was less than the mq_msgsize attribute". It fails even
/// when the waiting message is short, and the message stays queued.
#[test]
fn receiving_into_a_buffer_smaller_than_mq_msgsize_fails_emsgsize() {
    let (_name, q) = new_queue("small", 2);
    q.send(b"hi", 0).unwrap();
    assert_errno!(q.receive_into(MSGSIZE - 1), Errno::EMSGSIZE);
    assert_eq!(q.curmsgs(), 1, "the message must stay in the queue");
    assert_eq!(q.receive_into(MSGSIZE + 100).unwrap().0, b"hi", "a larger buffer is fine");
}

/// mq_send(3): "Zero-length messages are allowed." mq_receive(3) returns 0 bytes for it.
#[test]
fn a_zero_length_message_is_allowed() {
    let (_name, q) = new_queue("empty", 2);
    q.send(b"", 4).unwrap();
    assert_eq!(q.curmsgs(), 1);
    assert_eq!(q.receive().unwrap(), (Vec::new(), 4));
}

/// mq_receive(3) "return[s] the number of bytes in the received message": message
/// boundaries are kept, each receive takes exactly one message whatever their sizes.
#[test]
fn each_receive_returns_exactly_one_message() {
    let (_name, q) = new_queue("bounds", 4);
    let msgs: [&[u8]; 4] = [b"a", b"bcd", &[9u8; MSGSIZE], b"ef"];
    for m in msgs {
        q.send(m, 0).unwrap();
    }
    for m in msgs {
        assert_eq!(q.receive().unwrap().0, m);
    }
}
