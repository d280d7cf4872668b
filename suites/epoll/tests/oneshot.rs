//! EPOLLONESHOT. epoll_ctl(2): "after an event notified for the file descriptor by
//! epoll_wait(2), the file descriptor is disabled in the interest list and no other events
//! will be reported by the epoll interface. The user must call epoll_ctl() with
//! EPOLL_CTL_MOD to rearm the file descriptor with a new event mask."

use epoll::{ET, IN, ONESHOT, pipe_after_one_event, pipe_modified_after_one_event, watching};
use fixtures::assert_errno;
use fixtures::kinds::Kind;
use nix::errno::Errno;
use rstest::rstest;

/// epoll_ctl(2), EPOLLONESHOT: "after an event notified for the file descriptor by
/// epoll_wait(2), the file descriptor is disabled in the interest list and no other events
/// will be reported by the epoll interface." One event, then nothing — neither for the data
/// still there (level-triggered would repeat it) nor for new writes.
#[rstest]
#[case::level_triggered(0)]
#[case::edge_triggered(ET)]
fn oneshot_disables_the_registration_after_one_event(#[case] mode: u32) {
    let p = Kind::UnixStream.pair();
    let ep = watching(p.rx(), IN | ONESHOT | mode, 1);
    p.send(b"x");
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    assert_eq!(ep.ready(), vec![]);
    p.send(b"y");
    assert_eq!(
        ep.ready(),
        vec![],
        "a disabled registration ignores new input"
    );
}

/// epoll_ctl(2), EPOLLONESHOT: "The user must call epoll_ctl() with EPOLL_CTL_MOD to rearm
/// the file descriptor with a new event mask." EPOLL_CTL_MOD re-arms: with data still
/// present the event comes at once, with the new data value, and the registration is
/// disabled again after it.
#[test]
fn epoll_ctl_mod_re_arms_a_oneshot_registration() {
    let (_p, ep) = pipe_modified_after_one_event(ONESHOT);
    assert_eq!(ep.ready(), vec![(IN, 2)]);
    assert_eq!(ep.ready(), vec![]);
}

/// epoll_ctl(2), EPOLLONESHOT: the file descriptor "is disabled in the interest list" (not
/// removed from it); ERRORS: "EEXIST op was EPOLL_CTL_ADD, and the supplied file descriptor
/// fd is already registered with this epoll instance." A disabled one-shot registration is
/// still in the interest list: EPOLL_CTL_ADD of the same fd fails with EEXIST,
/// EPOLL_CTL_DEL succeeds, after which ADD works again.
#[test]
fn a_disabled_oneshot_registration_is_still_registered() {
    let (p, ep) = pipe_after_one_event(ONESHOT);
    assert_errno!(ep.add(p.rx(), IN, 2), Errno::EEXIST);
    ep.delete(p.rx()).unwrap();
    ep.add(p.rx(), IN, 3).unwrap();
    assert_eq!(ep.ready(), vec![(IN, 3)]);
}
