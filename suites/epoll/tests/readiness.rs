//! Level-triggered readiness through epoll_wait(2), per fd kind, and the fields of the
//! returned events. epoll(7): "when used as a level-triggered interface (the default, when
//! EPOLLET is not specified), epoll is simply a faster poll(2)".

use std::os::fd::AsRawFd;

use fixtures::cases::{every_kind, pipe_kinds};
use epoll::{ERR, HUP, IN, OUT, PRI, RDHUP, watching};
use fixtures::kinds::Kind;
use fixtures::poll::Epoll;
use fixtures::{DEFAULT_DEADLINE, needs};
use nix::sys::socket::{Shutdown, shutdown};
use rstest::rstest;
use rstest_reuse::apply;

/// epoll_ctl(2), EPOLLIN: "The associated file is available for read(2) operations." One
/// write makes the read end report exactly EPOLLIN with its registration's data.
#[apply(every_kind)]
#[rstest]
fn epollin_is_reported_when_input_is_available(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    let ep = watching(p.rx(), IN | PRI | RDHUP, 7);
    assert_eq!(ep.ready(), vec![]);
    p.send(b"x");
    assert_eq!(ep.ready(), vec![(IN, 7)]);
}

/// epoll_ctl(2), EPOLLOUT: "The associated file is available for write(2) operations."
#[apply(every_kind)]
#[rstest]
fn epollout_is_reported_on_a_writable_end(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    let ep = watching(p.tx(), OUT, 9);
    assert_eq!(ep.ready(), vec![(OUT, 9)]);
}

/// epoll(7): level-triggered epoll has poll's semantics: readiness is reported on every
/// epoll_wait while data remains, and not after it has been read.
#[apply(every_kind)]
#[rstest]
fn level_triggered_readiness_repeats_until_the_data_is_read(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    let ep = watching(p.rx(), IN, 1);
    p.send(b"x");
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    p.drain();
    assert_eq!(ep.ready(), vec![]);
}

/// epoll_wait(2): "The data field of each returned epoll_event structure contains the same
/// data as was specified in the most recent call to epoll_ctl(2) (EPOLL_CTL_ADD,
/// EPOLL_CTL_MOD)". All 64 bits come back untouched, and a MOD replaces them.
#[rstest]
#[case::zero(0)]
#[case::all_ones(u64::MAX)]
#[case::pattern(0xdead_beef_cafe_f00d)]
#[case::high_bit_only(1 << 63)]
fn the_data_field_is_returned_untouched(#[case] data: u64) {
    let ep = Epoll::new();
    let p = Kind::Pipe.pair();
    p.send(b"x");
    ep.add(p.rx(), IN, data).unwrap();
    assert_eq!(ep.ready(), vec![(IN, data)]);
    ep.modify(p.rx(), IN, !data).unwrap();
    assert_eq!(ep.ready(), vec![(IN, !data)]);
}

/// epoll(7), Q&A: "If more than one event occurs between epoll_wait(2) calls, are they
/// combined or reported separately? They will be combined." Two writes give one entry; a
/// readable and writable eventfd registered for both gives one entry with EPOLLIN|EPOLLOUT.
#[test]
fn events_of_one_registration_are_combined_in_one_entry() {
    let p = Kind::EventFd.pair();
    let ep = watching(p.rx(), IN | OUT, 5);
    p.send(b"x");
    p.send(b"y");
    assert_eq!(ep.ready(), vec![(IN | OUT, 5)]);
}

/// epoll_wait(2): "Up to maxevents are returned by epoll_wait()." Three ready fds and
/// maxevents 2 give 2 events; room for 16 gives all 3, once each.
#[test]
fn maxevents_bounds_the_number_of_events_returned() {
    let ep = Epoll::new();
    let pairs: Vec<_> = (0..3).map(|_| Kind::Pipe.pair()).collect();
    for (i, p) in pairs.iter().enumerate() {
        ep.add(p.rx(), IN, i as u64).unwrap();
        p.send(b"x");
    }
    assert_eq!(ep.wait(2, 0).unwrap().len(), 2);
    assert_eq!(ep.wait(1, 0).unwrap().len(), 1);
    let mut all: Vec<u64> = ep
        .wait(16, 0)
        .unwrap()
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    all.sort();
    assert_eq!(all, vec![0, 1, 2]);
}

/// epoll_ctl(2), EPOLLHUP: "epoll_wait(2) will always wait for this event; it is not
/// necessary to set it in events". Registered with no events at all, a read end whose
/// writer closes reports exactly EPOLLHUP.
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::fifo(Kind::Fifo)]
#[case::unix_stream(Kind::UnixStream)]
#[case::pty(Kind::Pty)]
fn epollhup_is_reported_unrequested(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let mut p = kind.pair();
    let ep = watching(p.rx(), 0, 3);
    p.send(b"x");
    assert_eq!(ep.ready(), vec![], "events 0: input alone is not reported");
    p.close_tx();
    assert_eq!(ep.ready(), vec![(HUP, 3)]);
}

/// epoll_ctl(2), EPOLLERR: "This event is also reported for the write end of a pipe when
/// the read end has been closed. epoll_wait(2) will always report for this event".
/// Registered for EPOLLIN only, the write end reports exactly EPOLLERR.
#[apply(pipe_kinds)]
#[rstest]
fn epollerr_is_reported_unrequested(#[case] kind: Kind) {
    let mut p = kind.pair();
    let ep = watching(p.tx(), IN, 4);
    assert_eq!(ep.ready(), vec![]);
    p.close_rx();
    assert_eq!(ep.ready(), vec![(ERR, 4)]);
}

/// epoll_ctl(2), EPOLLRDHUP: "Stream socket peer closed connection, or shut down writing
/// half of connection." Requested, it comes with EPOLLIN (end of file is readable); not
/// requested, only EPOLLIN is reported.
#[rstest]
#[case::unix_stream(Kind::UnixStream)]
#[case::tcp(Kind::Tcp)]
fn epollrdhup_reports_the_peer_shutting_down_writing(#[case] kind: Kind) {
    let with = Epoll::new();
    let without = Epoll::new();
    let p = kind.pair();
    with.add(p.rx(), IN | RDHUP, 1).unwrap();
    without.add(p.rx(), IN, 2).unwrap();
    shutdown(p.tx().as_raw_fd(), Shutdown::Write).unwrap();
    // The FIN of a TCP peer is processed asynchronously: wait (bounded) on both instances.
    let limit = fixtures::deadline::poll_ms(DEFAULT_DEADLINE);
    assert_eq!(with.wait(4, limit), Ok(vec![(IN | RDHUP, 1)]));
    assert_eq!(without.wait(4, limit), Ok(vec![(IN, 2)]));
}

/// epoll_ctl(2), EPOLLPRI: "There is an exceptional condition on the file descriptor. See
/// the discussion of POLLPRI in poll(2)" — TCP urgent data. The urgent byte alone is not
/// ordinary input, so EPOLLPRI comes without EPOLLIN.
#[test]
fn epollpri_reports_tcp_urgent_data() {
    let p = Kind::Tcp.pair();
    let ep = watching(p.rx(), IN | PRI, 1);
    assert_eq!(fixtures::net::send(p.tx(), b"!", libc::MSG_OOB), Ok(1));
    assert_eq!(
        ep.wait(4, fixtures::deadline::poll_ms(DEFAULT_DEADLINE)),
        Ok(vec![(PRI, 1)])
    );
}

/// epoll_ctl(2), EPOLL_CTL_DEL: "Remove (deregister) the target file descriptor fd from the
/// interest list": a ready fd is no longer reported.
#[test]
fn a_deleted_registration_reports_nothing() {
    let p = Kind::Pipe.pair();
    let ep = watching(p.rx(), IN, 1);
    p.send(b"x");
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    ep.delete(p.rx()).unwrap();
    assert_eq!(ep.ready(), vec![]);
}

/// epoll(7), Q&A: "Can two epoll instances wait for the same file descriptor? If so, are
/// events reported to both epoll file descriptors? Yes, and events would be reported to
/// both."
#[test]
fn two_instances_watching_one_fd_both_report() {
    let a = Epoll::new();
    let b = Epoll::new();
    let p = Kind::UnixDgram.pair();
    a.add(p.rx(), IN, 1).unwrap();
    b.add(p.rx(), IN, 2).unwrap();
    p.send(b"x");
    assert_eq!((a.ready(), b.ready()), (vec![(IN, 1)], vec![(IN, 2)]));
}

/// epoll(7), Q&A: "it is possible to add a duplicate (dup(2), dup2(2), fcntl(2) F_DUPFD)
/// file descriptor to the same epoll instance. This can be a useful technique for filtering
/// events, if the duplicate file descriptors are registered with different events masks."
#[test]
fn a_duplicate_fd_can_be_added_with_its_own_mask() {
    let ep = Epoll::new();
    let p = Kind::EventFd.pair();
    let dup = p.rx().try_clone_to_owned().unwrap(); // fcntl(F_DUPFD_CLOEXEC)
    ep.add(p.rx(), IN, 1).unwrap();
    ep.add(&dup, OUT, 2).unwrap();
    p.send(b"x");
    assert_eq!(ep.ready_by_data(), vec![(IN, 1), (OUT, 2)]);
}

/// epoll(7), Q&A: "you can add an epoll file descriptor inside another epoll file
/// descriptor set", and an epoll fd with events waiting "will indicate as being readable":
/// the outer instance reports the inner one with EPOLLIN, the inner one the pipe.
#[test]
fn a_nested_instance_reports_readiness_to_the_outer_one() {
    let outer = Epoll::new();
    let inner = Epoll::new();
    let p = Kind::Pipe.pair();
    inner.add(p.rx(), IN, 1).unwrap();
    outer.add(inner.fd(), IN, 2).unwrap();
    assert_eq!(outer.ready(), vec![]);
    p.send(b"x");
    assert_eq!(outer.ready(), vec![(IN, 2)]);
    assert_eq!(inner.ready(), vec![(IN, 1)]);
}
