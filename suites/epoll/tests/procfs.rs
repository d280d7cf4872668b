//! The /proc interfaces of epoll: epoll(7), "/proc interfaces", and the fdinfo of an epoll
//! file descriptor (proc(5), /proc/pid/fdinfo/, "For epoll file descriptors (see epoll(7)),
//! we see (since Linux 3.8) the following fields").

use std::os::fd::AsRawFd;
use epoll::{ERR, HUP, IN, OUT, WAKEUP, inode_of, watches};
use fixtures::kinds::Kind;
use fixtures::poll::Epoll;
use fixtures::privilege::drop_to_nobody;
use fixtures::run_in_child;

/// epoll(7): "/proc/sys/fs/epoll/max_user_watches (since Linux 2.6.28) This specifies a
/// limit on the total number of file descriptors that a user can register across all
/// epoll instances on the system." It is readable and a positive number.
#[test]
fn max_user_watches_is_visible_and_numeric() {
    let v = fixtures::sysctl::read_u64("fs/epoll/max_user_watches");
    assert!(v > 0, "max_user_watches = {v}");
}

/// proc(5), /proc/pid/fdinfo/: "Each of the lines beginning tfd describes one of the file
/// descriptors being monitored via the epoll file descriptor ... The tfd field is the number
/// of the file descriptor. The events field is a hexadecimal mask of the events being
/// monitored ... The data field is the data value associated with this file descriptor."
/// Linux also prints the target's inode ("ino:"), matched against fstat here. The
/// events listed include EPOLLHUP and EPOLLERR although not requested: epoll_ctl stores
/// them in every registration (fs/eventpoll.c, do_epoll_ctl), which is why epoll_wait
/// "will always wait for" them.
#[test]
fn fdinfo_lists_each_registration() {
    let ep = Epoll::new();
    let a = Kind::Pipe.pair();
    let b = Kind::UnixStream.pair();
    ep.add(a.rx(), IN, 0x1122_3344_5566_7788).unwrap();
    ep.add(b.tx(), OUT, 42).unwrap();
    let mut got = watches(&ep);
    got.sort_by_key(|w| w.tfd);
    let mut want = vec![
        epoll::Watch {
            tfd: a.rx().as_raw_fd(),
            events: IN | HUP | ERR,
            data: 0x1122_3344_5566_7788,
            ino: inode_of(a.rx()),
        },
        epoll::Watch {
            tfd: b.tx().as_raw_fd(),
            events: OUT | HUP | ERR,
            data: 42,
            ino: inode_of(b.tx()),
        },
    ];
    want.sort_by_key(|w| w.tfd);
    assert_eq!(got, want);
}

/// epoll_ctl(2), BUGS: "If EPOLLWAKEUP is specified in flags, but the caller does not have
/// the CAP_BLOCK_SUSPEND capability, then the EPOLLWAKEUP flag is silently ignored." An
/// unprivileged child's EPOLL_CTL_ADD with EPOLLWAKEUP succeeds, and the stored mask
/// (fdinfo) lacks the flag.
#[test]
fn epollwakeup_is_silently_dropped_without_cap_block_suspend() {
    let p = Kind::Pipe.pair();
    run_in_child("unprivileged epoll_ctl", || {
        drop_to_nobody();
        // The uid change made this child non-dumpable; on 5.10 its own /proc/self/fdinfo
        // is then unreadable (EACCES). Not part of the claim.
        fixtures::privilege::restore_dumpable();
        let ep = Epoll::new();
        ep.add(p.rx(), IN | WAKEUP, 1)
            .expect("EPOLLWAKEUP is ignored, not refused");
        let w = watches(&ep);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].events, IN | HUP | ERR);
    })
    .expect_success();
}
