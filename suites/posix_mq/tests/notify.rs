//! mq_notify(3): asynchronous notification of a message arriving on an empty queue.
//! Every process that registers is a forked child: signal masks and the SIGEV_THREAD helper
//! thread of glibc must not touch the test process.

use std::ffi::CStr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, Ordering};

use fixtures::privilege::{can_switch_user, drop_to_nobody};
use fixtures::signals::SignalCatcher;
use fixtures::{Agent, NEGATIVE_WAIT, assert_errno, run_in_child, spawn};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use posix_mq::SI_MESGQ;
use posix_mq::queue::{Mq, mq_open, new_queue, new_shared_queue, open};
use posix_mq::sigevent::SigEvent;
use rstest::rstest;

/// Open the queue `name` with `flags` and register this process for notification with
/// `sev` (the registration is the test's setup: a failure is a panic).
#[track_caller]
fn registered(name: &CStr, flags: libc::c_int, sev: &SigEvent) -> Mq {
    let q = open(name, flags);
    q.notify(Some(sev)).unwrap_or_else(|e| panic!("mq_notify registration: {e}"));
    q
}

/// Another process (a child that opens the queue by name) registers with SIGEV_NONE:
/// `expected` is what mq_notify(3) must answer it (Ok: the queue has no registration left;
/// EBUSY: "Another process has already registered").
#[track_caller]
fn another_process_registers(name: &CStr, expected: Result<(), Errno>) {
    run_in_child("another process registering", || {
        assert_eq!(open(name, libc::O_RDONLY).notify(Some(&SigEvent::none())), expected);
    })
    .expect_success();
}

/// mq_notify(3), SIGEV_SIGNAL: "Notify the process by sending the signal specified in
/// sigev_signo ... The si_code field of the siginfo_t structure will be set to SI_MESGQ.
/// In addition, si_pid will be set to the PID of the process that sent the message, and
/// si_uid will be set to the real user ID of the sending process"; sigevent(7): the signal
/// carries sigev_value. The sender is a third process (nobody when run as root).
#[test]
fn sigev_signal_reports_si_mesgq_the_senders_pid_and_uid_and_the_value() {
    let (name, _q) = new_shared_queue("signal", 2);
    // The registrant is asked for the sender's pid and uid once the message was sent.
    let registrant = Agent::<(i32, u32), ()>::spawn("registrant", |serve| {
        let c = SignalCatcher::new(&[Signal::SIGUSR1]);
        let q = registered(name.as_cstr(), libc::O_RDONLY, &SigEvent::signal(Signal::SIGUSR1, 0x5eed));
        serve.ready(());
        let info = c.wait();
        serve.serve(|(pid, uid)| {
            assert_eq!(info.signo, libc::SIGUSR1);
            assert_eq!(info.code, SI_MESGQ, "si_code");
            assert_eq!(info.pid(), pid, "si_pid is the sender's pid");
            assert_eq!(info.uid(), uid, "si_uid is the sender's real uid");
            assert_eq!(info.value_int(), 0x5eed, "si_value is sigev_value");
            assert_eq!(q.receive().unwrap().0, b"ping", "the message itself stays in the queue");
        });
    });
    registrant.ready::<()>();
    let mut sender = spawn("sender", || {
        drop_to_nobody();
        open(name.as_cstr(), libc::O_WRONLY).send(b"ping", 0).unwrap();
    });
    sender.join().expect_success();
    // variant: none — the sender is nobody when run as root and the test's own user
    // otherwise; either way si_uid is asserted to be the sender's real uid.
    let uid = if can_switch_user() { fixtures::privilege::NOBODY } else { nix::unistd::getuid().as_raw() };
    registrant.request((sender.pid().as_raw(), uid));
    registrant.expect_success();
}

/// mq_notify(3): "Message notification occurs only when a new message arrives and the queue
/// was previously empty. If the queue was not empty at the time mq_notify() was called,
/// then a notification will occur only after the queue is emptied and a new message
/// arrives."
#[test]
fn notification_comes_only_when_the_queue_goes_from_empty_to_non_empty() {
    let (name, q) = new_queue("edge", 4);
    q.send(b"already there", 0).unwrap();
    run_in_child("registrant and sender", || {
        let c = SignalCatcher::new(&[Signal::SIGUSR1]);
        let q = registered(name.as_cstr(), libc::O_RDWR | libc::O_NONBLOCK, &SigEvent::signal(Signal::SIGUSR1, 1));
        q.send(b"second", 0).unwrap();
        // mq_send(3) sends the notification itself, before it returns: were one due, it would
        // be pending now.
        assert!(c.take_pending().is_none(), "no notification for a non-empty queue");
        while q.receive().is_ok() {}
        q.send(b"third", 0).unwrap();
        assert!(c.wait_for(NEGATIVE_WAIT).is_some(), "empty to non-empty must notify");
    })
    .expect_success();
}

/// mq_notify(3): "Notification occurs once: after a notification is delivered, the
/// notification registration is removed, and another process can register". A second
/// empty-to-non-empty transition sends nothing, and a new registration succeeds (a
/// remaining one would give EBUSY).
#[test]
fn the_registration_is_removed_after_one_notification() {
    let (name, _q) = new_queue("once", 4);
    run_in_child("registrant and sender", || {
        let c = SignalCatcher::new(&[Signal::SIGUSR1]);
        let q = registered(name.as_cstr(), libc::O_RDWR, &SigEvent::signal(Signal::SIGUSR1, 1));
        q.send(b"1", 0).unwrap();
        assert!(c.wait_for(NEGATIVE_WAIT).is_some());
        q.receive().unwrap();
        q.send(b"2", 0).unwrap();
        // Sent by mq_send(3) before it returns, were it due (see above).
        assert!(c.take_pending().is_none(), "a second notification without registering again");
        assert_eq!(q.notify(Some(&SigEvent::signal(Signal::SIGUSR1, 2))), Ok(()), "the old registration is gone");
    })
    .expect_success();
}

/// mq_notify(3): "Only one process can be registered to receive notification from a
/// message queue" (ERRORS: "EBUSY Another process has already registered"); "If sevp is
/// NULL, and the calling process is currently registered ..., then the registration is
/// removed; another process can then register".
#[test]
fn only_one_process_may_register_until_it_unregisters() {
    let (name, _q) = new_queue("busy", 2);
    // The first registrant stays alive (and open) until the end; asked, it unregisters.
    let first = Agent::<(), Result<(), Errno>>::spawn("first registrant", |serve| {
        let q = registered(name.as_cstr(), libc::O_RDONLY, &SigEvent::none());
        serve.ready(());
        serve.serve(|()| q.notify(None));
    });
    first.ready::<()>();
    another_process_registers(name.as_cstr(), Err(Errno::EBUSY));
    assert_eq!(first.request(()), Ok(()), "mq_notify(NULL) of the registered process");
    another_process_registers(name.as_cstr(), Ok(()));
    first.expect_success();
}

/// Linux: the registered process itself cannot register a second time either (the queue
/// has an owner; mq_notify(3) "EBUSY Another process has already registered" is returned
/// for any existing registration). Only mq_notify(NULL) first makes a new one possible.
#[test]
fn the_registered_process_registering_again_gets_ebusy() {
    let (name, _q) = new_queue("again", 2);
    run_in_child("registrant", || {
        let q = registered(name.as_cstr(), libc::O_RDONLY, &SigEvent::none());
        assert_errno!(q.notify(Some(&SigEvent::signal(Signal::SIGUSR1, 0))), Errno::EBUSY);
        q.notify(None).unwrap();
        assert_eq!(q.notify(Some(&SigEvent::signal(Signal::SIGUSR1, 0))), Ok(()));
    })
    .expect_success();
}

/// mq_notify(3), NOTES: "POSIX.1-2008 says that an implementation may generate an EINVAL
/// error if sevp is NULL, and the caller is not currently registered". Linux returns 0 and
/// leaves another process's registration in place (its notification still arrives).
#[test]
fn mq_notify_null_from_an_unregistered_process_succeeds_and_changes_nothing() {
    let (name, q) = new_queue("nullother", 2);
    // Released once the message was sent, the registrant checks that its signal came.
    let registrant = Agent::<(), ()>::spawn("registrant", |serve| {
        let c = SignalCatcher::new(&[Signal::SIGUSR1]);
        let _q = registered(name.as_cstr(), libc::O_RDONLY, &SigEvent::signal(Signal::SIGUSR1, 7));
        serve.ready(());
        serve.wait_release();
        let info = c.take_pending().expect("the registration must have survived mq_notify(NULL) of another process");
        assert_eq!(info.value_int(), 7);
    });
    registrant.ready::<()>();
    run_in_child("unregistered process", || {
        assert_eq!(open(name.as_cstr(), libc::O_RDONLY).notify(None), Ok(()));
    })
    .expect_success();
    q.send(b"x", 0).unwrap();
    registrant.expect_success();
}

/// mq_notify(3): "If another process or thread is waiting to read a message from an empty
/// queue using mq_receive(3), then any message notification registration is ignored: the
/// message is delivered to the process or thread calling mq_receive(3), and the message
/// notification registration remains in effect."
#[test]
fn no_notification_while_another_process_waits_in_mq_receive() {
    let (name, q) = new_queue("waiter", 2);
    // Asked, the registrant answers whether its notification signal is pending.
    let registrant = Agent::<(), bool>::spawn("registrant", |serve| {
        let c = SignalCatcher::new(&[Signal::SIGUSR1]);
        let _q = registered(name.as_cstr(), libc::O_RDONLY, &SigEvent::signal(Signal::SIGUSR1, 1));
        serve.ready(());
        serve.serve(|()| c.take_pending().is_some());
    });
    registrant.ready::<()>();
    let mut receiver = spawn("blocked receiver", || {
        assert_eq!(open(name.as_cstr(), libc::O_RDONLY).receive().unwrap().0, b"for the receiver");
    });
    receiver.assert_blocked_in(&[libc::SYS_mq_timedreceive], "mq_receive(3) on an empty queue");
    q.send(b"for the receiver", 0).unwrap();
    receiver.join().expect_success();
    assert!(!registrant.request(()), "notified although a receiver was waiting");
    q.send(b"for the notification", 0).unwrap();
    assert!(registrant.request(()), "the registration must have remained in effect");
    registrant.expect_success();
}

/// mq_notify(3), SIGEV_NONE: "the calling process is registered as the target for
/// notification, but when a message arrives, no notification is sent." While registered,
/// another process gets EBUSY; a message arriving sends no signal at all; and Linux
/// consumes the registration as for any notification ("Notification occurs once").
#[test]
fn sigev_none_registers_without_sending_anything() {
    let (name, _q) = new_queue("none", 2);
    // Asked, the registrant sends a message itself and checks that no signal is pending.
    let registrant = Agent::<(), ()>::spawn("registrant", |serve| {
        let mut all = nix::sys::signal::SigSet::all();
        all.remove(Signal::SIGKILL);
        all.thread_block().unwrap();
        let q = registered(name.as_cstr(), libc::O_RDWR, &SigEvent::none());
        serve.ready(());
        serve.serve(|()| {
            q.send(b"x", 0).unwrap();
            // SAFETY: sigpending fills a set we own.
            let mut pending: libc::sigset_t = unsafe { std::mem::zeroed() };
            unsafe { libc::sigpending(&mut pending) };
            let any: Vec<i32> = (1..=64).filter(|s| unsafe { libc::sigismember(&pending, *s) } == 1).collect();
            assert!(any.is_empty(), "SIGEV_NONE sent signals {any:?}");
        });
    });
    registrant.ready::<()>();
    another_process_registers(name.as_cstr(), Err(Errno::EBUSY));
    registrant.request(());
    another_process_registers(name.as_cstr(), Ok(()));
    registrant.expect_success();
}

static THREAD_REPORT_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_message(v: libc::sigval) {
    let report = [v.sival_ptr as u64, fixtures::procfs::gettid() as u64];
    // SAFETY: writing 16 bytes of our own to the report pipe.
    unsafe { libc::write(THREAD_REPORT_FD.load(Ordering::SeqCst), report.as_ptr().cast(), 16) };
}

/// mq_notify(3), SIGEV_THREAD: "Upon message delivery, invoke sigev_notify_function as if
/// it were the start function of a new thread"; sigevent(7): the function is called with
/// sigev_value. Asserted: it runs once, in a thread other than the registering one, with
/// the value given. (glibc implements it with a helper thread and a netlink socket.)
#[test]
fn sigev_thread_calls_the_function_in_a_new_thread_with_sigev_value() {
    let (name, _q) = new_queue("thread", 2);
    run_in_child("registrant", || {
        let (report, wait_report) = fixtures::sync::channel();
        THREAD_REPORT_FD.store(report.as_fd().as_raw_fd(), Ordering::SeqCst);
        let q = registered(name.as_cstr(), libc::O_RDWR, &SigEvent::thread(on_message, 0xc0ffee));
        q.send(b"go", 0).unwrap();
        let got = wait_report.recv(16);
        let value = u64::from_ne_bytes(got[..8].try_into().unwrap());
        let tid = u64::from_ne_bytes(got[8..].try_into().unwrap()) as i32;
        assert_eq!(value, 0xc0ffee);
        assert_ne!(tid, fixtures::procfs::gettid(), "the function must run in another thread");
        assert!(wait_report.recv_within(1, NEGATIVE_WAIT).is_err(), "called more than once");
    })
    .expect_success();
}

/// mq_close(3): "If the calling process has attached a notification request (see
/// mq_notify(3)) to this message queue via mqdes, then this request is removed, and another
/// process can now attach a notification request." The process keeps another descriptor
/// open; the queue is no longer busy.
#[test]
fn mq_close_removes_the_registration_made_through_the_descriptor() {
    let (name, _q) = new_queue("close", 2);
    let registrant = Agent::<(), ()>::spawn("registrant", |serve| {
        let keep = open(name.as_cstr(), libc::O_RDONLY);
        let via = registered(name.as_cstr(), libc::O_RDONLY, &SigEvent::none());
        via.close().unwrap();
        serve.ready(());
        serve.wait_release();
        drop(keep);
    });
    registrant.ready::<()>();
    another_process_registers(name.as_cstr(), Ok(()));
    registrant.expect_success();
}

/// A registration belongs to a process: when the registered process exits (closing its
/// descriptors, mq_close(3)), another process can register.
#[test]
fn the_registration_ends_with_the_registered_process() {
    let (name, _q) = new_queue("exit", 2);
    let n = name.as_cstr().to_owned();
    run_in_child("short-lived registrant", || {
        let q = registered(&n, libc::O_RDONLY, &SigEvent::signal(Signal::SIGUSR1, 0));
        assert_errno!(q.notify(Some(&SigEvent::none())), Errno::EBUSY, "registered");
        // Leave without closing anything: the exit itself must end the registration.
        fixtures::child::exit_now(0)
    })
    .expect_success();
    another_process_registers(&n, Ok(()));
}

/// mq_notify(3), ERRORS: "EINVAL sevp->sigev_notify is not one of the permitted values; or
/// sevp->sigev_notify is SIGEV_SIGNAL and sevp->sigev_signo is not a valid signal number."
/// Nothing is registered (another registration then succeeds).
#[rstest]
#[case::unknown_notify(77, 0)]
#[case::signal_number_too_large(libc::SIGEV_SIGNAL, 65)]
#[case::negative_signal_number(libc::SIGEV_SIGNAL, -1)]
fn an_invalid_sigevent_fails_einval(#[case] notify: libc::c_int, #[case] signo: libc::c_int) {
    let (name, _q) = new_queue("einval", 2);
    run_in_child("registrant", || {
        let q = mq_open(name.as_cstr(), libc::O_RDONLY, 0, None).unwrap();
        assert_errno!(q.notify(Some(&SigEvent::raw(notify, signo))), Errno::EINVAL);
        assert_eq!(q.notify(Some(&SigEvent::none())), Ok(()), "the failed call must not register");
    })
    .expect_success();
}
