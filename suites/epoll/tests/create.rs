//! epoll_create(2) and epoll_create1(2).

use epoll::IN;
use fixtures::io::{fd_flags, owned};
use fixtures::kinds::Kind;
use fixtures::poll::{Epoll, poll1};
use fixtures::{assert_errno, sys};
use nix::errno::Errno;
use rstest::rstest;

/// epoll_create(2): "the size argument is ignored, but must be greater than zero";
/// ERRORS: "EINVAL size is not positive."
#[rstest]
#[case::zero(0)]
#[case::negative(-1)]
#[case::most_negative(i32::MIN)]
fn epoll_create_rejects_a_size_that_is_not_positive(#[case] size: i32) {
    // SAFETY: plain epoll_create.
    assert_errno!(sys(unsafe { libc::epoll_create(size) }), Errno::EINVAL);
}

/// epoll_create(2): "Since Linux 2.6.8, the size argument is ignored": an instance created
/// with size 1 accepts more than one registration.
#[test]
fn the_size_argument_is_ignored() {
    // SAFETY: plain epoll_create.
    let ep = owned(sys(unsafe { libc::epoll_create(1) }).unwrap());
    let pairs: Vec<_> = (0..4).map(|_| Kind::Pipe.pair()).collect();
    for (i, p) in pairs.iter().enumerate() {
        fixtures::poll::epoll_ctl(
            &ep,
            libc::EPOLL_CTL_ADD,
            p.rx(),
            Some((IN, i as u64)),
        )
        .unwrap();
    }
    for p in &pairs {
        p.send(b"x");
    }
    let got = fixtures::poll::epoll_wait(&ep, 8, 0).unwrap();
    assert_eq!(got.len(), 4);
}

/// epoll_create(2), ERRORS: "EINVAL (epoll_create1()) Invalid value specified in flags."
/// Only EPOLL_CLOEXEC is defined; O_NONBLOCK, which other fd-creating calls take, is not.
#[rstest]
#[case::nonblock(libc::O_NONBLOCK)]
#[case::bit_0(1)]
#[case::all_but_cloexec(!libc::EPOLL_CLOEXEC)]
fn epoll_create1_rejects_unknown_flags(#[case] flags: i32) {
    // SAFETY: plain epoll_create1.
    assert_errno!(sys(unsafe { libc::epoll_create1(flags) }), Errno::EINVAL);
}

/// epoll_create(2): "EPOLL_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the new file
/// descriptor"; with flags 0 it is the same as epoll_create (no FD_CLOEXEC), and neither
/// sets FD_CLOEXEC unasked.
#[rstest]
#[case::epoll_create1_cloexec(Some(libc::EPOLL_CLOEXEC), libc::FD_CLOEXEC)]
#[case::epoll_create1_zero(Some(0), 0)]
#[case::epoll_create(None, 0)]
fn epoll_cloexec_sets_fd_cloexec(#[case] flags: Option<i32>, #[case] expected: i32) {
    // SAFETY: plain epoll_create1/epoll_create.
    let fd = sys(unsafe {
        match flags {
            Some(f) => libc::epoll_create1(f),
            None => libc::epoll_create(1),
        }
    })
    .unwrap();
    assert_eq!(fd_flags(owned(fd)), expected);
}

/// epoll(7): the instance is "an in-kernel data structure"; its descriptor is an anonymous
/// inode, shown by /proc/self/fd as "anon_inode:[eventpoll]".
#[test]
fn an_epoll_fd_is_an_eventpoll_anon_inode() {
    let ep = Epoll::new();
    assert_eq!(
        fixtures::procfs::fd_target(ep.fd()),
        "anon_inode:[eventpoll]"
    );
}

/// epoll(7), Q&A: "Is the epoll file descriptor itself poll/epoll/selectable? Yes. If an
/// epoll file descriptor has events waiting, then it will indicate as being readable."
/// Empty or idle it is not readable; with a ready registration it polls exactly POLLIN.
#[test]
fn an_epoll_fd_polls_readable_when_events_are_waiting() {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    let poll = || poll1(&ep, libc::POLLIN | libc::POLLOUT, 0);
    assert_eq!(poll(), Ok((0, 0)));
    ep.add(p.rx(), IN, 1).unwrap();
    assert_eq!(poll(), Ok((0, 0)));
    p.send(b"x");
    assert_eq!(poll(), Ok((1, libc::POLLIN)));
}
