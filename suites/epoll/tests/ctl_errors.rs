//! epoll_ctl(2), ERRORS: each documented failure, with its exact errno.

use std::os::fd::AsRawFd;

use epoll::{ERR, ET, EXCLUSIVE, HUP, IN, ONESHOT, OUT, PRI, RDHUP, watching};
use fixtures::gate::kernel_and_patch;
use fixtures::kinds::Kind;
use fixtures::poll::{Epoll, epoll_ctl};
use fixtures::{Scratch, assert_errno, run_in_child, variant};
use nix::errno::Errno;
use rstest::rstest;

/// epoll_ctl(2): "EEXIST op was EPOLL_CTL_ADD, and the supplied file descriptor fd is
/// already registered with this epoll instance."
#[test]
fn adding_a_registered_fd_again_fails_eexist() {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    assert_errno!(ep.add(p.rx(), IN, 2), Errno::EEXIST);
    assert_errno!(ep.add(p.rx(), OUT | ET, 3), Errno::EEXIST);
}

/// epoll_ctl(2): "ENOENT op was EPOLL_CTL_MOD or EPOLL_CTL_DEL, and fd is not registered
/// with this epoll instance" — also after it was deleted.
#[rstest]
#[case::modify(libc::EPOLL_CTL_MOD)]
#[case::delete(libc::EPOLL_CTL_DEL)]
fn mod_or_del_of_an_unregistered_fd_fails_enoent(#[case] op: libc::c_int) {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    assert_errno!(epoll_ctl(ep.fd(), op, p.rx(), Some((IN, 0))), Errno::ENOENT);
    ep.add(p.rx(), IN, 0).unwrap();
    ep.delete(p.rx()).unwrap();
    assert_errno!(epoll_ctl(ep.fd(), op, p.rx(), Some((IN, 0))), Errno::ENOENT);
}

/// epoll_ctl(2): "EBADF epfd or fd is not a valid file descriptor." (Checked in a
/// single-threaded child, where no other thread can reuse the closed numbers.)
#[rstest]
#[case::closed_epfd(true)]
#[case::closed_fd(false)]
fn a_closed_epfd_or_fd_fails_ebadf(#[case] close_epfd: bool) {
    let p = Kind::Pipe.pair();
    run_in_child("epoll_ctl with a closed fd", || {
        let ep = Epoll::new();
        let closed = p.rx().try_clone_to_owned().unwrap().as_raw_fd(); // closed again at once
        let (epfd, fd) = if close_epfd {
            (fixtures::io::raw_fd(closed), p.rx())
        } else {
            (ep.fd(), fixtures::io::raw_fd(closed))
        };
        assert_errno!(
            epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, Some((IN, 0))),
            Errno::EBADF
        );
    })
    .expect_success();
}

/// epoll_ctl(2): "EPERM The target file fd does not support epoll. This error can occur if
/// fd refers to, for example, a regular file or a directory."
#[rstest]
#[case::regular_file(false)]
#[case::directory(true)]
fn a_regular_file_or_directory_fails_eperm(#[case] directory: bool) {
    let s = Scratch::new();
    let f = if directory {
        std::fs::File::open(s.path()).unwrap()
    } else {
        std::fs::File::open(s.file("f", b"x")).unwrap()
    };
    let ep = Epoll::new();
    assert_errno!(ep.add(&f, IN, 0), Errno::EPERM);
}

/// epoll_ctl(2): "EINVAL epfd is not an epoll file descriptor".
#[test]
fn an_epfd_that_is_not_an_epoll_instance_fails_einval() {
    let p = Kind::Pipe.pair();
    let q = Kind::Pipe.pair();
    assert_errno!(
        epoll_ctl(p.rx(), libc::EPOLL_CTL_ADD, q.rx(), Some((IN, 0))),
        Errno::EINVAL
    );
}

/// epoll_ctl(2): "EINVAL ... fd is the same as epfd"; epoll(7): "What happens if one
/// attempts to put an epoll file descriptor into its own file descriptor set? The
/// epoll_ctl(2) call fails (EINVAL)."
#[test]
fn adding_an_epoll_fd_to_itself_fails_einval() {
    let ep = Epoll::new();
    assert_errno!(ep.add(ep.fd(), IN, 0), Errno::EINVAL);
}

/// epoll_ctl(2): "EINVAL ... the requested operation op is not supported by this
/// interface." (The valid ops are 1, 2 and 3.)
#[rstest]
#[case::zero(0)]
#[case::four(4)]
#[case::negative(-1)]
fn an_unknown_op_fails_einval(#[case] op: libc::c_int) {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    assert_errno!(epoll_ctl(ep.fd(), op, p.rx(), Some((IN, 0))), Errno::EINVAL);
}

/// epoll_ctl(2): "ELOOP fd refers to an epoll instance and this EPOLL_CTL_ADD operation
/// would result in a circular loop of epoll instances monitoring one another" — for a
/// two-instance loop and a three-instance loop.
#[rstest]
#[case::two(2)]
#[case::three(3)]
fn a_cycle_of_epoll_instances_fails_eloop(#[case] n: usize) {
    let eps: Vec<Epoll> = (0..n).map(|_| Epoll::new()).collect();
    for i in 1..n {
        eps[i].add(eps[i - 1].fd(), IN, i as u64).unwrap();
    }
    assert_errno!(eps[0].add(eps[n - 1].fd(), IN, 0), Errno::ELOOP);
}

/// Whether the running kernel has commit f2e467a48287 ("eventpoll: Fix semi-unbounded
/// recursion", mainline 6.17), which made the depth check count the levels above the
/// instance being added to as well as those below it. Backports verified in the stable
/// trees: 6.12.43 (LKFT's report on 6.12.43-rc2 bisected LTP epoll_ctl04's new ELOOP to it)
/// and 6.1.149 (pushed to linux-6.1.y on 2025-08-21 for the 6.1.149 review). 5.10 does not
/// have it (its eventpoll.c still has ep_call_nested(); the queue/5.10 push that added the
/// backport to queue/5.15 did not include it; Debian's 5.10.262 accepts the chains below).
/// Other series: not verified (`None`).
fn has_epoll_depth_fix() -> Option<bool> {
    fixtures::gate::has_fix((6, 17), &[(6, 1, 149), (6, 12, 43)], &[(5, 10)])
}

/// epoll_ctl(2): ELOOP also when the operation "would result in ... a nesting depth of
/// epoll instances greater than 5" (fs/eventpoll.c, EP_MAX_NESTS = 4 levels below the top).
/// Built from the innermost instance (which watches a pipe) outwards: a chain of five
/// instances is accepted, the sixth is refused and the chain stays usable. Kernels without
/// commit f2e467a48287 ("eventpoll: Fix semi-unbounded recursion", 6.17; in stable 6.1.149
/// and 6.12.43, not in 5.10) refuse the sixth level in ep_insert()'s reverse path check
/// instead, with EINVAL (the errno LTP's epoll_ctl04 expected before that commit).
/// Variant: `eloop` (the fix is there) or `einval` (it is not; the sixth level is refused
/// all the same). A series whose backport status was not verified SKIPs, no variant.
///
/// Kernel change: 6.17, commit f2e467a48287 — a sixth level of nested epoll instances fails ELOOP, not EINVAL (stable 6.1.149, 6.12.43).
#[test]
fn a_chain_of_more_than_five_instances_fails_eloop() {
    let Some(fixed) = has_epoll_depth_fix() else {
        fixtures::skip!("whether {} carries the backport of f2e467a48287 is not verified", fixtures::gate::kernel_release());
    };
    let p = Kind::Pipe.pair();
    let eps: Vec<Epoll> = (0..6).map(|_| Epoll::new()).collect();
    eps[0].add(p.rx(), IN, 0).unwrap();
    for i in 1..5 {
        eps[i]
            .add(eps[i - 1].fd(), IN, i as u64)
            .unwrap_or_else(|e| panic!("nesting level {i}: {e}"));
    }
    let kernel = kernel_and_patch();
    let refused = if fixed {
        variant::observed("eloop", format_args!("f2e467a48287 (6.17, 6.1.149, 6.12.43) refuses the sixth level; {kernel}"));
        Errno::ELOOP
    } else {
        variant::observed("einval", format_args!("no f2e467a48287: ep_insert's path check refuses the sixth level; {kernel}"));
        Errno::EINVAL
    };
    assert_errno!(eps[5].add(eps[4].fd(), IN, 5), refused);
    // The five-instance chain works end to end.
    p.send(b"x");
    assert_eq!(eps[4].ready(), vec![(IN, 4)]);
}

/// The same limit holds when a chain is built from the outermost instance inwards (each
/// new instance added below the existing ones): the sixth level fails with ELOOP. Kernels
/// before commit f2e467a48287 ("eventpoll: Fix semi-unbounded recursion", 6.17; backported
/// to stable 6.1.149 and 6.12.43, not to 5.10) checked only the depth below the added
/// instance and accept such a chain: there the sixth level is asserted to be accepted.
/// Variant: `eloop` (the fix is there) or `accepted` (lacking: without it nothing limits a
/// chain grown inwards). A series whose backport status was not verified SKIPs, no variant.
///
/// Kernel change: 6.17, commit f2e467a48287 — the nesting depth counts the levels above the added instance too: a chain grown inwards fails ELOOP at the sixth level (stable 6.1.149, 6.12.43).
#[test]
fn a_chain_grown_inwards_is_limited_to_five_instances_too() {
    let Some(fixed) = has_epoll_depth_fix() else {
        fixtures::skip!("whether {} carries the backport of f2e467a48287 is not verified", fixtures::gate::kernel_release());
    };
    let eps: Vec<Epoll> = (0..6).map(|_| Epoll::new()).collect();
    // eps[5] watches eps[4] watches ... : add from the top down.
    for i in (2..6).rev() {
        eps[i]
            .add(eps[i - 1].fd(), IN, i as u64)
            .unwrap_or_else(|e| panic!("adding level {}: {e}", i - 1));
    }
    let kernel = kernel_and_patch();
    if fixed {
        variant::observed("eloop", format_args!("f2e467a48287 (6.17, 6.1.149, 6.12.43) counts the levels above; {kernel}"));
        assert_errno!(eps[1].add(eps[0].fd(), IN, 1), Errno::ELOOP);
    } else {
        variant::lacking("accepted", format_args!("no f2e467a48287: only the depth below is checked; {kernel}"));
        eps[1]
            .add(eps[0].fd(), IN, 1)
            .expect("without f2e467a48287 the depth above the added instance is not counted");
    }
}

/// epoll_ctl(2): "EINVAL op was EPOLL_CTL_MOD and events included EPOLLEXCLUSIVE."
#[test]
fn mod_with_epollexclusive_fails_einval() {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 0);
    assert_errno!(ep.modify(p.rx(), IN | EXCLUSIVE, 0), Errno::EINVAL);
}

/// epoll_ctl(2): "EINVAL op was EPOLL_CTL_MOD and the EPOLLEXCLUSIVE flag has previously
/// been applied to this epfd, fd pair" — even a MOD that does not mention it; DEL works.
#[test]
fn mod_of_an_exclusive_registration_fails_einval() {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN | EXCLUSIVE, 0);
    assert_errno!(ep.modify(p.rx(), IN, 1), Errno::EINVAL);
    ep.delete(p.rx()).unwrap();
}

/// epoll_ctl(2): with EPOLLEXCLUSIVE only EPOLLIN, EPOLLOUT, EPOLLWAKEUP, EPOLLET (and
/// EPOLLHUP, EPOLLERR) may be given; "Attempts to specify other values in events yield the
/// error EINVAL" — EPOLLONESHOT, EPOLLPRI, EPOLLRDHUP.
#[rstest]
#[case::oneshot(ONESHOT)]
#[case::pri(PRI)]
#[case::rdhup(RDHUP)]
fn epollexclusive_with_other_flags_fails_einval(#[case] extra: u32) {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    assert_errno!(ep.add(p.rx(), IN | EXCLUSIVE | extra, 0), Errno::EINVAL);
    ep.add(p.rx(), IN | OUT | ET | HUP | ERR | EXCLUSIVE, 0)
        .expect("the allowed combination");
}

/// epoll_ctl(2): "A call to epoll_ctl() that specifies EPOLLEXCLUSIVE in events and
/// specifies the target file descriptor fd as an epoll instance will likewise fail"
/// (EINVAL).
#[test]
fn epollexclusive_on_an_epoll_target_fails_einval() {
    let outer = Epoll::new();
    let inner = Epoll::new();
    assert_errno!(outer.add(inner.fd(), IN | EXCLUSIVE, 0), Errno::EINVAL);
}

/// epoll_ctl(2), BUGS: "Since Linux 2.6.9, event can be specified as NULL when using
/// EPOLL_CTL_DEL"; ADD and MOD need it: a NULL event fails with EFAULT.
#[test]
fn only_del_accepts_a_null_event() {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    assert_errno!(
        epoll_ctl(ep.fd(), libc::EPOLL_CTL_ADD, p.rx(), None),
        Errno::EFAULT
    );
    ep.add(p.rx(), IN, 0).unwrap();
    assert_errno!(
        epoll_ctl(ep.fd(), libc::EPOLL_CTL_MOD, p.rx(), None),
        Errno::EFAULT
    );
    epoll_ctl(ep.fd(), libc::EPOLL_CTL_DEL, p.rx(), None).unwrap();
}
