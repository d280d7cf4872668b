//! signal(7), "Interruption of system calls and library functions by signal handlers":
//! poll(2), ppoll(2), select(2) and pselect(2) are among the interfaces that "are never
//! restarted after being interrupted by a signal handler, regardless of the use of
//! SA_RESTART; they always fail with the error EINTR". And they are not in the list of
//! interfaces that fail with EINTR after a mere SIGSTOP/SIGCONT, so a stop does not
//! disturb them.

use fixtures::child::await_child_state;
use fixtures::kinds::Kind;
use fixtures::signals::{count, ignore, install_counter};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use poll_select::cases::every_wait;
use poll_select::waits::{Wait, blocked_waiter};
use rstest::rstest;
use rstest_reuse::apply;

/// signal(7): a handler interrupts the wait with EINTR, with or without SA_RESTART; the
/// handler ran exactly once.
#[apply(every_wait)]
#[rstest]
fn a_handler_interrupts_the_wait_with_eintr(#[case] call: Wait, #[values(true, false)] sa_restart: bool) {
    let p = Kind::Pipe.pair();
    let child = blocked_waiter("a wait without timeout", || {
        let flags = if sa_restart { SaFlags::SA_RESTART } else { SaFlags::empty() };
        install_counter(Signal::SIGUSR1, flags);
        assert_eq!(call.readable(p.rx(), None, None), Err(Errno::EINTR));
        assert_eq!(count(Signal::SIGUSR1), 1);
    });
    child.signal(Signal::SIGUSR1);
    child.expect_success();
}

/// signal(7), "Interruption of system calls and library functions by stop signals": only
/// the interfaces listed there (epoll_wait, semop, sigtimedwait, ...) fail with EINTR after
/// a SIGSTOP/SIGCONT without a handler; poll, ppoll, select and pselect are not listed and
/// are resumed transparently: the child is blocked again after SIGCONT and returns 1 when
/// the peer writes.
#[apply(every_wait)]
#[rstest]
fn a_stop_and_continue_does_not_interrupt_the_wait(#[case] call: Wait) {
    let p = Kind::Pipe.pair();
    let mut child = blocked_waiter("a wait without timeout", || {
        assert_eq!(call.readable(p.rx(), None, None), Ok(1));
    });
    child.signal(Signal::SIGSTOP);
    await_child_state(child.pid(), libc::WSTOPPED, "the child to stop");
    child.signal(Signal::SIGCONT);
    await_child_state(child.pid(), libc::WCONTINUED, "the child to continue");
    child.assert_still_blocked("the same wait after SIGCONT");
    p.send(b"x");
    child.expect_success();
}

/// signal(7): the EINTR rule is about signal *handlers*: an ignored signal is discarded and
/// does not interrupt poll.
#[test]
fn an_ignored_signal_does_not_interrupt_poll() {
    let p = Kind::Pipe.pair();
    let mut child = blocked_waiter("poll without timeout", || {
        ignore(Signal::SIGUSR1);
        assert_eq!(Wait::Poll.readable(p.rx(), None, None), Ok(1));
    });
    child.signal(Signal::SIGUSR1);
    child.assert_still_blocked("poll after an ignored SIGUSR1");
    p.send(b"x");
    child.expect_success();
}
