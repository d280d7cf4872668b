//! signalfd(2), "poll(2), select(2) (and similar)": "The file descriptor is readable (the
//! select(2) readfds argument; the poll(2) POLLIN flag) if one or more of the signals in mask
//! is pending for the process. The signalfd file descriptor also supports the other
//! file-descriptor multiplexing APIs: pselect(2), ppoll(2), and epoll(7)."

use fixtures::poll::{Epoll, revents_now};
use fixtures::run_in_child;
use signalfd::{RECORD, blocked_reader, kill, my_pid, read_records};

/// signalfd(2) (file comment). Asserted in a child with SIGTERM blocked: with nothing pending
/// poll(2) reports nothing for every event a caller can ask; after kill(2) of SIGTERM it
/// reports exactly POLLIN (never POLLOUT: a signalfd cannot be written); after the read that
/// consumes the signal, nothing again.
#[test]
fn poll_reports_exactly_pollin_while_a_signal_is_pending() {
    run_in_child("poll on a signalfd", || {
        let fd = blocked_reader(&[libc::SIGTERM]);
        let all = libc::POLLIN | libc::POLLPRI | libc::POLLOUT | libc::POLLRDHUP;
        assert_eq!(revents_now(&fd, all), 0, "nothing pending");
        kill(my_pid() as i32, libc::SIGTERM).unwrap();
        assert_eq!(revents_now(&fd, all), libc::POLLIN, "SIGTERM pending");
        assert_eq!(read_records(&fd, RECORD).unwrap().len(), 1);
        assert_eq!(revents_now(&fd, all), 0, "after the read");
    })
    .expect_success();
}

/// signalfd(2) with epoll(7), as event loops use it: a signalfd registered with EPOLLIN |
/// EPOLLET reports nothing while no signal is pending, one EPOLLIN event (with its data)
/// once SIGTERM is sent, and — edge-triggered — no second event for the same pending
/// signal; after the read, a new SIGTERM is a new event.
#[test]
fn epoll_reports_one_epollin_per_arriving_signal_with_epollet() {
    run_in_child("epoll on a signalfd", || {
        let fd = blocked_reader(&[libc::SIGTERM]);
        let ep = Epoll::new();
        let (inb, et) = (libc::EPOLLIN as u32, libc::EPOLLET as u32);
        ep.add(&fd, inb | et, 42).unwrap();
        assert_eq!(ep.ready(), vec![], "nothing pending");
        kill(my_pid() as i32, libc::SIGTERM).unwrap();
        assert_eq!(ep.ready(), vec![(inb, 42)], "SIGTERM arrived");
        assert_eq!(ep.ready(), vec![], "no second edge for the same pending signal");
        assert_eq!(read_records(&fd, RECORD).unwrap().len(), 1);
        kill(my_pid() as i32, libc::SIGTERM).unwrap();
        assert_eq!(ep.ready(), vec![(inb, 42)], "a new SIGTERM is a new edge");
    })
    .expect_success();
}
