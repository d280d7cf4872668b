//! signalfd(2) across fork(2), and with epoll(7) after a fork.
//!
//! signalfd(2), "fork(2) semantics": "After a fork(2), the child inherits a copy of the
//! signalfd file descriptor. A read(2) from the file descriptor in the child will return
//! information about signals queued to the child." "epoll(7) semantics": "If a process adds
//! (via epoll_ctl(2)) a signalfd file descriptor to an epoll(7) instance, then
//! epoll_wait(2) returns events only for signals sent to that process. In particular, if the
//! process then uses fork(2) to create a child process, then the child will be able to
//! read(2) signals that are sent to it using the signalfd file descriptor, but epoll_wait(2)
//! will not indicate that the signalfd file descriptor is ready. In this scenario, a possible
//! workaround is that after the fork(2), the child process can close the signalfd file
//! descriptor that it inherited from the parent process and then create another signalfd
//! file descriptor and add it to the epoll instance." (PostgreSQL creates its latch's
//! signalfd in each child for this reason.)
//!
//! The parent P is a forked child of the test with SIGURG blocked (the child C inherits the
//! mask); P sends SIGURG to C with kill(2) and then tells C that it did, so that C's checks
//! run with the signal already pending.

use fixtures::poll::{Epoll, revents_now};
use fixtures::{assert_errno, run_in_child, spawn, sync};
use nix::errno::Errno;
use signalfd::{RECORD, blocked_reader, kill, my_pid, read_records, signalfd};

const SIG: libc::c_int = libc::SIGURG;

/// signalfd(2), "fork(2) semantics" (file comment). Asserted: C reads, through the signalfd
/// it inherited, the SIGURG that P sent to C (ssi_signo SIGURG, ssi_pid P), while a read of
/// the same signalfd in P fails EAGAIN (the signal is C's, not P's).
#[test]
fn a_child_reads_its_own_signals_through_an_inherited_signalfd() {
    run_in_child("parent P", || {
        let fd = blocked_reader(&[SIG]);
        let parent = my_pid();
        let (sent, wait_sent) = sync::channel();
        let child = spawn("child C", || {
            wait_sent.wait();
            let got: Vec<(u32, u32)> = read_records(&fd, RECORD).unwrap().iter().map(|r| (r.signo, r.pid)).collect();
            assert_eq!(got, vec![(SIG as u32, parent)], "C reads the SIGURG queued to C");
        });
        kill(child.pid().as_raw(), SIG).unwrap();
        sent.notify();
        child.expect_success();
        assert_errno!(read_records(&fd, RECORD), Errno::EAGAIN, "P has no SIGURG of its own");
    })
    .expect_success();
}

/// signalfd(2), "epoll(7) semantics" (file comment). P adds its signalfd to an epoll
/// instance, then forks C and sends SIGURG to C. In C: poll(2) on the inherited signalfd
/// reports POLLIN (poll looks at the caller's own pending signals), but epoll_wait(2) on the
/// inherited instance reports nothing within a bounded wait, although read(2) then returns
/// the SIGURG record; a signalfd that C creates itself and adds to a new epoll instance
/// reports EPOLLIN for the next SIGURG that P sends to C. Back in P, a SIGURG sent to P
/// itself is reported by P's instance.
#[test]
fn epoll_reports_a_signalfd_only_for_signals_of_the_process_that_added_it() {
    run_in_child("parent P", || {
        let fd = blocked_reader(&[SIG]);
        let ep = Epoll::new();
        let inb = libc::EPOLLIN as u32;
        ep.add(&fd, inb, 1).unwrap();
        let (sent, wait_sent) = sync::channel();
        let (ready, wait_ready) = sync::channel();
        let child = spawn("child C", || {
            wait_sent.wait();
            assert_eq!(revents_now(&fd, libc::POLLIN), libc::POLLIN, "poll(2) in C sees C's SIGURG");
            // The signal was sent before "sent" and nothing else is in flight: readiness is
            // decided when epoll_wait looks, so a wait that does not wait is the whole proof.
            let waited = ep.wait(4, 0);
            assert_eq!(waited, Ok(vec![]), "epoll_wait in C on P's registration");
            assert_eq!(read_records(&fd, RECORD).unwrap().len(), 1, "yet the signal is there to read");
            let own = signalfd(&[SIG], libc::SFD_NONBLOCK | libc::SFD_CLOEXEC).unwrap();
            let own_ep = Epoll::new();
            own_ep.add(&own, inb, 2).unwrap();
            ready.notify();
            wait_sent.wait();
            let waited = own_ep.wait(4, fixtures::deadline::poll_ms(fixtures::DEFAULT_DEADLINE));
            assert_eq!(waited, Ok(vec![(inb, 2)]), "C's own signalfd in C's own instance");
        });
        let c = child.pid().as_raw();
        kill(c, SIG).unwrap();
        sent.notify();
        wait_ready.wait();
        kill(c, SIG).unwrap();
        sent.notify();
        child.expect_success();
        assert_eq!(ep.ready(), vec![], "nothing for P yet");
        kill(my_pid() as i32, SIG).unwrap();
        assert_eq!(ep.ready(), vec![(inb, 1)], "P's instance reports P's own SIGURG");
    })
    .expect_success();
}
