//! mq_open(3) attributes, mq_getattr(3) and mq_setattr(3).

use fixtures::{IpcName, assert_errno, needs, skip};
use nix::errno::Errno;
use posix_mq::queue::{MSGSIZE, attr, mq_open, new_queue, open};
use rstest::rstest;

/// mq_open(3): "The fields of the struct mq_attr pointed to attr specify the maximum number
/// of messages and the maximum size of messages that the queue will allow"; mq_getattr(3)
/// reports them back, with mq_curmsgs 0 and mq_flags 0 for a new blocking queue.
#[rstest]
#[case::one_tiny(1, 1)]
#[case::small(3, 100)]
#[case::more(8, 256)]
fn explicit_maxmsg_and_msgsize_are_reported_by_getattr(#[case] maxmsg: i64, #[case] msgsize: i64) {
    let name = IpcName::mq("attr");
    let q = mq_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(maxmsg, msgsize)))
        .unwrap();
    let a = q.getattr();
    assert_eq!((a.mq_flags, a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs), (0, maxmsg as _, msgsize as _, 0));
}

/// mq_open(3), ERRORS: "EINVAL O_CREAT was specified in oflag, and attr was not NULL, but
/// attr->mq_maxmsg or attr->mq_msqsize was invalid. Both of these fields must be greater
/// than zero." No queue is created.
#[rstest]
#[case::maxmsg_zero(0, 64)]
#[case::maxmsg_negative(-1, 64)]
#[case::msgsize_zero(4, 0)]
#[case::msgsize_negative(4, -1)]
fn non_positive_maxmsg_or_msgsize_fails_einval(#[case] maxmsg: i64, #[case] msgsize: i64) {
    let name = IpcName::mq("zero");
    assert_errno!(
        mq_open(name.as_cstr(), libc::O_CREAT | libc::O_RDWR, 0o600, Some(&attr(maxmsg, msgsize))),
        Errno::EINVAL
    );
    assert_errno!(mq_open(name.as_cstr(), libc::O_RDWR, 0, None), Errno::ENOENT);
}

/// mq_overview(7), msg_max: "the HARD_MSGMAX ceiling is nevertheless imposed" on
/// privileged processes ("Since Linux 3.5: 65,536"); msgsize_max: "since Linux 3.5, the
/// HARD_MSGSIZEMAX ceiling is enforced for privileged processes" (16,777,216). Asserted
/// with CAP_SYS_RESOURCE, where msg_max/msgsize_max do not apply.
#[rstest]
#[case::maxmsg_above_hard_msgmax(65_537, 16)]
#[case::msgsize_above_hard_msgsizemax(1, 16 * 1024 * 1024 + 1)]
fn even_a_privileged_process_cannot_exceed_the_hard_limits(#[case] maxmsg: i64, #[case] msgsize: i64) {
    needs!(cap(SYS_RESOURCE));
    let name = IpcName::mq("hard");
    assert_errno!(
        mq_open(name.as_cstr(), libc::O_CREAT | libc::O_RDWR, 0o600, Some(&attr(maxmsg, msgsize))),
        Errno::EINVAL
    );
}

/// mq_open(3): "Only the mq_maxmsg and mq_msgsize fields are employed when calling
/// mq_open(); the values in the remaining fields are ignored": O_NONBLOCK in mq_flags and a
/// bogus mq_curmsgs have no effect.
#[test]
fn mq_flags_and_mq_curmsgs_are_ignored_by_mq_open() {
    let name = IpcName::mq("ignored");
    let mut a = attr(2, 32);
    a.mq_flags = libc::O_NONBLOCK as _;
    a.mq_curmsgs = 5;
    let q = mq_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&a)).unwrap();
    let got = q.getattr();
    assert_eq!((got.mq_flags, got.mq_curmsgs), (0, 0));
}

/// mq_getattr(3): "The mq_flags field contains flags associated with the open message queue
/// description ... The only flag that can appear in this field is O_NONBLOCK" — as given
/// to mq_open(3), per descriptor.
#[test]
fn mq_flags_reports_o_nonblock_of_the_open_description() {
    let (name, q) = new_queue("flags", 1);
    let nb = open(name.as_cstr(), libc::O_RDONLY | libc::O_NONBLOCK);
    assert_eq!(q.getattr().mq_flags, 0);
    assert_eq!(nb.getattr().mq_flags, libc::O_NONBLOCK as _);
}

/// mq_getattr(3): "The mq_curmsgs field returns the number of messages currently held in
/// the queue", through every descriptor of the queue.
#[test]
fn mq_curmsgs_counts_the_messages_in_the_queue() {
    let (name, q) = new_queue("cur", 4);
    let other = open(name.as_cstr(), libc::O_RDONLY);
    for n in 1..=4 {
        q.send(b"m", 0).unwrap();
        assert_eq!(other.curmsgs(), n);
    }
    for n in (0..4).rev() {
        other.receive().unwrap();
        assert_eq!(q.curmsgs(), n);
    }
}

/// mq_setattr(3): "The only attribute that can be modified is the setting of the O_NONBLOCK
/// flag in mq_flags. The other fields in newattr are ignored. If the oldattr field is not
/// NULL, then the buffer that it points to is used to return an mq_attr structure that
/// contains the same information that is returned by mq_getattr()."
#[test]
fn mq_setattr_changes_only_o_nonblock_and_returns_the_old_attributes() {
    let (_name, q) = new_queue("setattr", 3);
    q.send(b"one", 0).unwrap();
    let mut new = attr(9, 999);
    new.mq_flags = libc::O_NONBLOCK as _;
    new.mq_curmsgs = 7;
    let old = q.setattr(&new).unwrap();
    assert_eq!((old.mq_flags, old.mq_maxmsg, old.mq_msgsize, old.mq_curmsgs), (0, 3, MSGSIZE as _, 1));
    let now = q.getattr();
    assert_eq!(
        (now.mq_flags, now.mq_maxmsg, now.mq_msgsize, now.mq_curmsgs),
        (libc::O_NONBLOCK as _, 3, MSGSIZE as _, 1)
    );
    let back = q.setattr(&attr(0, 0)).unwrap();
    assert_eq!(back.mq_flags, libc::O_NONBLOCK as _);
    assert_eq!(q.getattr().mq_flags, 0, "O_NONBLOCK can be cleared again");
}

/// mq_setattr(3), ERRORS: "EINVAL newattr->mq_flags contained set bits other than
/// O_NONBLOCK." Nothing changes.
#[rstest]
#[case::o_append(libc::O_APPEND)]
#[case::o_nonblock_and_o_sync(libc::O_NONBLOCK | libc::O_SYNC)]
fn mq_setattr_with_other_flag_bits_fails_einval(#[case] flags: libc::c_int) {
    let (_name, q) = new_queue("badflags", 1);
    let mut new = attr(0, 0);
    new.mq_flags = flags as _;
    assert_errno!(q.setattr(&new), Errno::EINVAL);
    assert_eq!(q.getattr().mq_flags, 0);
}

/// mq_open(3), ERRORS: "In a process that is unprivileged (does not have the
/// CAP_SYS_RESOURCE capability), attr->mq_maxmsg must be less than or equal to the msg_max
/// limit, and attr->mq_msgsize must be less than or equal to the msgsize_max limit"
/// (EINVAL). The limits themselves are accepted. Run in a child that became nobody when
/// run as root; the current /proc/sys/fs/mqueue values are read, not changed.
#[test]
fn an_unprivileged_process_cannot_exceed_msg_max_or_msgsize_max() {
    let msg_max = fixtures::sysctl::read_u64("fs/mqueue/msg_max") as i64;
    let msgsize_max = fixtures::sysctl::read_u64("fs/mqueue/msgsize_max") as i64;
    let (a, b, c, d) = (IpcName::mq("a"), IpcName::mq("b"), IpcName::mq("c"), IpcName::mq("d"));
    let names = [a.as_cstr().to_owned(), b.as_cstr().to_owned(), c.as_cstr().to_owned(), d.as_cstr().to_owned()];
    fixtures::run_in_child("unprivileged creator", move || {
        fixtures::privilege::drop_to_nobody();
        let mk = |n: &std::ffi::CStr, maxmsg: i64, msgsize: i64| {
            mq_open(n, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(maxmsg, msgsize)))
        };
        assert_errno!(mk(&names[0], msg_max + 1, 16), Errno::EINVAL, "mq_maxmsg = msg_max + 1");
        assert_errno!(mk(&names[1], 1, msgsize_max + 1), Errno::EINVAL, "mq_msgsize = msgsize_max + 1");
        assert_eq!(mk(&names[2], 1, msgsize_max).map(|_| ()), Ok(()), "mq_msgsize = msgsize_max");
        // variant: none — the claim (msg_max + 1 fails) is asserted on every value; a queue of
        // msg_max messages is also created when that is small enough for RLIMIT_MSGQUEUE.
        if msg_max <= 64 {
            assert_eq!(mk(&names[3], msg_max, 16).map(|_| ()), Ok(()), "mq_maxmsg = msg_max");
        }
    })
    .expect_success();
}

/// mq_overview(7): "The msg_max limit is ignored for privileged processes
/// (CAP_SYS_RESOURCE)"; "The msgsize_max limit is ignored for privileged process
/// (CAP_SYS_RESOURCE)". The values are read, not changed.
#[test]
fn cap_sys_resource_may_exceed_msg_max_and_msgsize_max() {
    needs!(cap(SYS_RESOURCE));
    let msg_max = fixtures::sysctl::read_u64("fs/mqueue/msg_max") as i64;
    let msgsize_max = fixtures::sysctl::read_u64("fs/mqueue/msgsize_max") as i64;
    if msg_max >= 65_536 || msgsize_max >= 16 * 1024 * 1024 {
        skip!("msg_max/msgsize_max are at the hard ceiling here: nothing to exceed");
    }
    let (a, b) = (IpcName::mq("capmax"), IpcName::mq("capsize"));
    let q =
        mq_open(a.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(msg_max + 1, 16))).unwrap();
    assert_eq!(q.getattr().mq_maxmsg as i64, msg_max + 1);
    let q = mq_open(b.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(1, msgsize_max + 1)))
        .unwrap();
    assert_eq!(q.getattr().mq_msgsize as i64, msgsize_max + 1);
}
