//! mq_overview(7), "Persistence": a queue and the messages in it outlive every process that
//! had it open.

use fixtures::{IpcName, spawn};
use posix_mq::queue::{create, open};

/// mq_overview(7), "Persistence": "POSIX message queues have kernel persistence: if not
/// removed by mq_unlink(3), a message queue will exist until the system is shut down." The
/// messages are kept with it. Asserted: a child creates a queue, sends two messages and
/// exits (closing its only descriptor); afterwards, with no process holding the queue, a new
/// mq_open(3) of the name finds both messages, in priority order, with mq_curmsgs 2.
#[test]
fn messages_stay_in_a_queue_that_no_process_has_open() {
    let name = IpcName::mq("persist");
    spawn("creator that sends and exits", || {
        let q = create(&name, 4);
        q.send(b"low", 1).unwrap();
        q.send(b"high", 7).unwrap();
        drop(q);
    })
    .expect_success();
    let q = open(name.as_cstr(), libc::O_RDONLY | libc::O_NONBLOCK);
    assert_eq!(q.getattr().mq_curmsgs, 2);
    assert_eq!(q.receive(), Ok((b"high".to_vec(), 7)));
    assert_eq!(q.receive(), Ok((b"low".to_vec(), 1)));
}
