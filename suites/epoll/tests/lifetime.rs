//! The interest list holds (fd number, open file description) pairs. epoll(7), Q&A: "What
//! is the key used to distinguish the file descriptors registered in an interest list? The
//! key is the combination of the file descriptor number and the open file description".
//!
//! Claims about fd numbers run in forked (single-threaded) children, where no other thread
//! can take a number that was just closed.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use epoll::{IN, blocked_waiter, watches, watching};
use fixtures::io::{raw_fd, write_once};
use fixtures::kinds::Kind;
use fixtures::poll::Epoll;
use fixtures::{assert_errno, run_in_child, spawn};
use nix::errno::Errno;

/// In a single-threaded child: a pipe whose read end was registered in `ep` with `data`,
/// then duplicated and closed. Returns (the closed number, the duplicate, the write end).
fn orphaned_registration(ep: &Epoll, data: u64) -> (RawFd, OwnedFd, OwnedFd) {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    ep.add(&r, IN, data).unwrap();
    let d = r.try_clone().unwrap();
    let closed = r.as_raw_fd();
    drop(r);
    (closed, d, w)
}

/// Run `body` in a child (the fd numbers it closes and compares are its own) with a new
/// instance and an [`orphaned_registration`] of data `data` in it: (instance, closed number,
/// duplicate, write end).
fn with_orphaned_registration(what: &str, data: u64, body: impl FnOnce(&Epoll, RawFd, OwnedFd, OwnedFd)) {
    run_in_child(what, || {
        let ep = Epoll::new();
        let (closed, d, w) = orphaned_registration(&ep, data);
        body(&ep, closed, d, w);
    })
    .expect_success();
}

/// epoll(7), Q&A "Will closing a file descriptor cause it to be removed from all epoll
/// interest lists?": "A file descriptor is removed from an interest list only after all
/// the file descriptors referring to the underlying open file description have been
/// closed. This means that even after a file descriptor that is part of an interest list
/// has been closed, events may be reported for that file descriptor". Registered, dup'd,
/// closed: the registration still reports, with its data, and fdinfo lists it under the
/// closed number.
#[test]
fn a_registration_outlives_its_fd_while_a_duplicate_is_open() {
    with_orphaned_registration("dup and close", 0xfeed, |ep, closed, _d, w| {
        assert_eq!(write_once(&w, b"x"), Ok(1));
        assert_eq!(ep.ready(), vec![(IN, 0xfeed)]);
        let listed: Vec<RawFd> = watches(ep).iter().map(|w| w.tfd).collect();
        assert_eq!(listed, vec![closed], "still listed under the closed number");
    });
}

/// epoll(7), "Questions and answers": "The key is the combination of the file descriptor
/// number and the open file description"; "it is possible to add a duplicate (dup(2),
/// dup2(2), fcntl(2) F_DUPFD) file descriptor to the same epoll instance"; epoll_ctl(2),
/// ERRORS: "EBADF epfd or fd is not a valid file descriptor", "ENOENT op was EPOLL_CTL_MOD or
/// EPOLL_CTL_DEL, and fd is not registered with this epoll instance". The other half of
/// that quirk: the orphaned registration cannot be removed. Its key is (closed number,
/// file): EPOLL_CTL_DEL through the closed number fails with EBADF, through the duplicate
/// with ENOENT (not registered under that number); the duplicate can even be added as a
/// second registration of the same file, and both then report.
#[test]
fn an_orphaned_registration_cannot_be_deleted_through_the_duplicate() {
    with_orphaned_registration("dup and close", 1, |ep, closed, d, w| {
        assert_errno!(ep.delete(raw_fd(closed)), Errno::EBADF);
        assert_errno!(ep.delete(&d), Errno::ENOENT);
        ep.add(&d, IN, 2).unwrap();
        assert_eq!(write_once(&w, b"x"), Ok(1));
        assert_eq!(ep.ready_by_data(), vec![(IN, 1), (IN, 2)]);
    });
}

/// epoll(7): once all descriptors referring to the open file description are closed, the
/// registration is gone: /proc/self/fdinfo of the epoll fd no longer lists it.
#[test]
fn closing_every_descriptor_removes_the_registration() {
    with_orphaned_registration("close all copies", 1, |ep, _closed, d, w| {
        assert_eq!(watches(ep).len(), 1);
        drop(d);
        assert_eq!(watches(ep), vec![]);
        assert_eq!(ep.ready(), vec![]);
        drop(w);
    });
}

/// epoll(7) speaks of "child processes [that] have inherited the epoll file descriptor
/// across fork(2)": the instance is shared, not copied. A child waiting on the inherited
/// fd sees the parent's registration, and a registration the child adds (of an fd it
/// inherited) is seen by the parent — also after the child exited, because the parent
/// still holds that file open.
#[test]
fn an_epoll_instance_is_shared_across_fork() {
    let a = Kind::Pipe.pair();
    let b = Kind::Pipe.pair();
    let ep = watching(a.rx(), IN, 1);
    a.send(b"x");
    let mut child = spawn("child using the inherited epoll fd", || {
        assert_eq!(ep.ready(), vec![(IN, 1)]);
        ep.add(b.rx(), IN, 2).unwrap();
    });
    child.join().expect_success();
    b.send(b"y");
    assert_eq!(ep.ready_by_data(), vec![(IN, 1), (IN, 2)]);
}

/// epoll_wait(2), NOTES: "it is possible to call epoll_wait() on an epoll instance whose
/// interest list is currently empty ... The call will block until some file descriptor is
/// later added to the interest list (in another thread) and that file descriptor becomes
/// ready." Here the other party is the parent, sharing the instance across fork; it adds
/// an already-ready fd while the child is blocked.
#[test]
fn a_waiter_sees_a_ready_fd_added_while_it_blocks() {
    let ep = Epoll::new();
    let p = Kind::EventFd.pair();
    p.send(b"x");
    let child = blocked_waiter("epoll_wait on an empty interest list", || {
        assert_eq!(ep.wait(4, -1), Ok(vec![(IN, 9)]));
    });
    ep.add(p.rx(), IN, 9).unwrap();
    child.expect_success();
}
