//! RLIMIT_MSGQUEUE (getrlimit(2); mq_overview(7), "Resource limit"). The limit is changed
//! only in children; the bytes are counted per real user ID.

use fixtures::privilege::drop_to_nobody;
use fixtures::{IpcName, assert_errno, needs, run_in_child, skip};
use nix::errno::Errno;
use nix::sys::resource::{Resource, setrlimit};
use posix_mq::queue::{attr, create, mq_open, mq_unlink, new_shared_queue, open};

/// getrlimit(2), RLIMIT_MSGQUEUE: "a limit on the number of bytes that can be allocated for
/// POSIX message queues for the real user ID of the calling process. This limit is enforced
/// for mq_open(3)", where a queue costs at least mq_maxmsg * mq_msgsize bytes. Below that,
/// mq_open(O_CREAT) fails — Linux reports EMFILE — and creates nothing; opening an existing
/// queue allocates nothing and still works.
#[test]
fn creating_a_queue_larger_than_rlimit_msgqueue_fails_emfile() {
    let existing = IpcName::mq("existing");
    let _q = create(&existing, 4);
    let name = IpcName::mq("toolarge");
    let (n, e) = (name.as_cstr().to_owned(), existing.as_cstr().to_owned());
    run_in_child("process with a small RLIMIT_MSGQUEUE", move || {
        setrlimit(Resource::RLIMIT_MSGQUEUE, 4 * 64 - 1, 4 * 64 - 1).unwrap();
        let r = mq_open(&n, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(4, 64)));
        assert_errno!(r, Errno::EMFILE);
        assert_errno!(mq_open(&n, libc::O_RDWR, 0, None), Errno::ENOENT, "nothing may have been created");
        assert!(mq_open(&e, libc::O_RDWR, 0, None).is_ok(), "opening an existing queue is not limited");
    })
    .expect_success();
}

/// getrlimit(2): the bytes are counted over all message queues "for the real user ID": a
/// second queue of the same user is refused when the first one used up the limit, and
/// removing the first makes room again. Run as a user of its own (a fresh uid, from root),
/// so that no other queue counts against it.
#[test]
fn rlimit_msgqueue_counts_all_queues_of_the_user() {
    // A child that becomes a user of its own (a fresh uid), which owns no other queue.
    needs!(cap(SETUID), cap(SETGID));
    let msgsize = 4096;
    if fixtures::sysctl::read_u64("fs/mqueue/msgsize_max") < msgsize {
        skip!("fs/mqueue/msgsize_max is below {msgsize}");
    }
    let (a, b) = (IpcName::mq("first"), IpcName::mq("second"));
    let (na, nb) = (a.as_cstr().to_owned(), b.as_cstr().to_owned());
    run_in_child("fresh user", move || {
        let uid = 0x7e57_0000 + (std::process::id() & 0xffff);
        fixtures::privilege::become_user(uid, uid);
        // One queue of 2 * 4096 bytes plus its bookkeeping fits; two do not.
        let limit = 2 * msgsize + 1024;
        setrlimit(Resource::RLIMIT_MSGQUEUE, limit, limit).unwrap();
        let mk = |n: &std::ffi::CStr| {
            mq_open(n, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(2, msgsize as i64)))
        };
        let first = mk(&na).unwrap();
        assert_errno!(mk(&nb), Errno::EMFILE, "the second queue exceeds the user's limit");
        drop(first);
        mq_unlink(&na).unwrap();
        assert!(mk(&nb).is_ok(), "the unlinked queue's bytes are returned");
        mq_unlink(&nb).unwrap();
    })
    .expect_success();
}

/// getrlimit(2): the limit is checked at creation, against the creating process's limit;
/// a process with RLIMIT_MSGQUEUE 0 can still send and receive on a queue that exists.
#[test]
fn rlimit_msgqueue_does_not_limit_the_use_of_an_existing_queue() {
    let (name, q) = new_shared_queue("use", 4);
    run_in_child("process with RLIMIT_MSGQUEUE 0", || {
        drop_to_nobody();
        setrlimit(Resource::RLIMIT_MSGQUEUE, 0, 0).unwrap();
        let c = open(name.as_cstr(), libc::O_RDWR);
        for i in 0..4u8 {
            c.send(&[i; 64], 0).unwrap();
        }
        assert_eq!(c.receive().unwrap().0, vec![0u8; 64]);
    })
    .expect_success();
    assert_eq!(q.curmsgs(), 3);
}
