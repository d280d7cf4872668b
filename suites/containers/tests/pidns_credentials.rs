//! PID namespaces and the pids that IPC carries. pid_namespaces(7): "System calls that
//! operate on process IDs always operate using the process ID that is visible in the PID
//! namespace of the caller", and "When a process ID is passed over a UNIX domain socket to a
//! process in a different PID namespace (see the description of SCM_CREDENTIALS in
//! unix(7)), it is translated into the corresponding PID value in the receiving process's
//! PID namespace." A process outside the receiver's namespace (an ancestor) has no pid
//! there: the kernel reports 0.
//!
//! The "inside" process is PID 1 of a new PID namespace — the position of a container's
//! first process (`docker run` without `--pid=host`).

use containers::objects::{mq_create, mq_open_existing, mq_send};
use containers::pidns::spawn_init;
use containers::sandbox::{namespaces, sandbox};
use containers::sock::{accept, connected_to, listener, peer_cred, recv_expecting_creds, send, send_with_creds};
use fixtures::agent::Serve;
use fixtures::names::unique;
use fixtures::net::{SockAddr, setsockopt_int, socketpair};
use fixtures::signals::{SignalCatcher, count, install_counter, is_blocked, pending_of, set_default, unblock};
use fixtures::sync::channel;
use fixtures::blocked::{self, Expect, Seen};
use fixtures::{Agent, IpcName, NEGATIVE_WAIT, needs, sys};
use nix::sys::signal::{SaFlags, Signal, kill};
use nix::unistd::{Pid, getgid, getpid, getuid};
use rstest::rstest;

/// The bit of `sig` in a /proc/<pid>/status signal mask (SigPnd, ShdPnd: bit n-1 for n).
fn bit(sig: Signal) -> u64 {
    1u64 << (sig as i32 - 1)
}

/// SigPnd | ShdPnd of the calling process, from /proc/self/status (pending whether blocked
/// or not; /proc is the outer namespace's, where the init's own pid is not 1).
fn pending_here() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .filter_map(|l| l.strip_prefix("SigPnd:").or_else(|| l.strip_prefix("ShdPnd:")))
        .map(|v| u64::from_str_radix(v.trim(), 16).expect("a hex signal mask"))
        .fold(0, |a, b| a | b)
}

/// The calling process's disposition of `sig` (sigaction(2) with a NULL new action).
fn disposition(sig: Signal) -> libc::sighandler_t {
    // SAFETY: a zeroed sigaction is a valid out-parameter.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a NULL new action only queries the disposition into `old`, which we own.
    sys(unsafe { libc::sigaction(sig as libc::c_int, std::ptr::null(), &mut old) }).expect("sigaction query");
    old.sa_sigaction
}

/// pid_namespaces(7): "The first process created in a new namespace ... has the PID 1";
/// its parent is outside the namespace, so "Calls to getppid(2) for such processes return
/// 0". Outside it has an ordinary pid, and /proc/<pid>/status NSpid lists both: the outer
/// pid, then 1.
#[test]
fn first_process_of_a_new_pid_namespace_is_pid_1() {
    needs!(available(namespaces()));
    sandbox("PID 1", || {
        let (init, outer) = spawn_init("init", |serve| {
            assert_eq!(getpid(), Pid::from_raw(1), "getpid() of the first process");
            assert_eq!(nix::unistd::getppid(), Pid::from_raw(0), "getppid() of the first process");
            serve.ready(());
            serve.wait_release();
        });
        init.ready::<()>();
        assert_ne!(outer, Pid::from_raw(1));
        let status = std::fs::read_to_string(format!("/proc/{outer}/status")).expect("the init's /proc status");
        let nspid = status.lines().find_map(|l| l.strip_prefix("NSpid:")).expect("an NSpid line (Linux >= 4.1)");
        let ids: Vec<&str> = nspid.split_whitespace().collect();
        assert_eq!(ids.last(), Some(&"1"), "innermost pid in NSpid: {nspid:?}");
        assert_eq!(ids[ids.len() - 2], outer.to_string(), "the pid seen here in NSpid: {nspid:?}");
        init.expect_success();
    });
}

/// unix(7), SO_PEERCRED: "returns the credentials of the peer process connected to this
/// socket", with the pid translated (pid_namespaces(7), above). A stream connection
/// between PID 1 of a new namespace and a process outside: the outer end sees the init's
/// outer pid, the inner end sees 0 for the outer process, which has no pid in its
/// namespace. Checked with the listener on either side.
#[rstest]
#[case::listener_outside(false)]
#[case::listener_inside(true)]
fn so_peercred_pid_is_translated_into_the_readers_pid_namespace(#[case] listener_inside: bool) {
    needs!(available(namespaces()));
    let a = SockAddr::abstract_unix(unique("peercred").as_bytes());
    sandbox("SO_PEERCRED across PID namespaces", || {
        let outer_listener = (!listener_inside).then(|| listener(libc::SOCK_STREAM, &a));
        let (init, outer) = spawn_init("init", |serve| {
            let s = if listener_inside {
                let l = listener(libc::SOCK_STREAM, &a);
                serve.ready(());
                accept(&l)
            } else {
                connected_to(&a)
            };
            let cred = peer_cred(&s);
            assert_eq!(cred.pid, 0, "the outer peer's pid, seen from inside");
            // variant: none — the expected ids are the test's own (the same inside and outside
            // the PID namespace), whichever they are.
            assert_eq!((cred.uid, cred.gid), (getuid().as_raw(), getgid().as_raw()));
            send(&s, b"x");
        });
        let s = match outer_listener {
            Some(l) => accept(&l),
            None => {
                init.ready::<()>();
                connected_to(&a)
            }
        };
        let cred = peer_cred(&s);
        assert_eq!(cred.pid, outer.as_raw(), "the inner peer's pid, seen from outside");
        init.expect_success();
    });
}

/// unix(7), SCM_CREDENTIALS, with pid_namespaces(7): the pid of the sender's credentials
/// (the kernel's default, or given explicitly with SCM_CREDENTIALS — unix(7): "The sender
/// must specify its own process ID") is translated for the receiver. Init -> outside: the
/// init's outer pid (also when the init wrote its own pid, 1); outside -> init: 0.
#[rstest]
#[case::default_creds_from_inside(true, false)]
#[case::explicit_creds_from_inside(true, true)]
#[case::default_creds_from_outside(false, false)]
fn scm_credentials_pid_is_translated_into_the_receivers_pid_namespace(#[case] from_inside: bool, #[case] explicit: bool) {
    needs!(available(namespaces()));
    sandbox("SCM_CREDENTIALS across PID namespaces", || {
        let (outer_end, inner_end) = socketpair(libc::SOCK_DGRAM).expect("socketpair");
        for end in [&outer_end, &inner_end] {
            setsockopt_int(end, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).expect("setsockopt(SO_PASSCRED)");
        }
        let (init, outer) = spawn_init("init", |_| {
            if from_inside {
                // variant: none — the expected ids are the test's own (the same inside and outside
                // the PID namespace), whichever they are.
                let creds = explicit.then(|| libc::ucred { pid: 1, uid: getuid().as_raw(), gid: getgid().as_raw() });
                assert_eq!(send_with_creds(&inner_end, b"in", creds), Ok(2), "sendmsg from the init");
            } else {
                let cred = recv_expecting_creds(&inner_end, b"out");
                assert_eq!(cred.pid, 0, "the outer sender's pid, received inside");
                assert_eq!((cred.uid, cred.gid), (getuid().as_raw(), getgid().as_raw()));
            }
        });
        if from_inside {
            let cred = recv_expecting_creds(&outer_end, b"in");
            assert_eq!(cred.pid, outer.as_raw(), "the init's pid, received outside");
        } else {
            assert_eq!(send_with_creds(&outer_end, b"out", None), Ok(3));
        }
        init.expect_success();
    });
}

/// mq_notify(3): the notification signal's "si_pid is set to the PID of the process that
/// sent the message" — in the registered process's PID namespace. The kernel maps it into
/// the namespace of the registrant (ipc/mqueue.c, __do_notify()). Registrant inside, sender
/// outside: si_pid 0. Registrant outside, sender inside: the init's outer pid. si_code is
/// SI_MESGQ either way.
#[rstest]
#[case::registrant_inside(true)]
#[case::registrant_outside(false)]
fn mq_notify_si_pid_is_translated_into_the_registrants_pid_namespace(#[case] registrant_inside: bool) {
    needs!(available(namespaces()));
    let q = IpcName::mq("notify");
    sandbox("mq_notify across PID namespaces", || {
        let _q = mq_create(q.as_cstr()).expect("create the queue");
        let (registered, wait_registered) = channel();
        let register_and_wait = |serve: &mut Serve<(), ()>| {
            let fd = mq_open_existing(q.as_cstr()).unwrap();
            let catcher = SignalCatcher::new(&[Signal::SIGUSR1]);
            // SAFETY: zeroed sigevent, then the fields of SIGEV_SIGNAL.
            let mut ev: libc::sigevent = unsafe { std::mem::zeroed() };
            ev.sigev_notify = libc::SIGEV_SIGNAL;
            ev.sigev_signo = libc::SIGUSR1;
            sys(unsafe { libc::mq_notify(std::os::fd::AsRawFd::as_raw_fd(&fd), &ev) }).expect("mq_notify");
            registered.notify();
            let info = catcher.wait();
            assert_eq!((info.signo, info.code), (libc::SIGUSR1, libc::SI_MESGQ));
            serve.ready(info.pid());
        };
        let send_one = || {
            wait_registered.wait();
            mq_send(mq_open_existing(q.as_cstr()).unwrap(), b"wake");
        };
        if registrant_inside {
            let (init, _) = spawn_init("registrant init", register_and_wait);
            send_one();
            assert_eq!(init.ready::<i32>(), 0, "si_pid of an outer sender, inside");
            init.expect_success();
        } else {
            let registrant = Agent::spawn("registrant outside", register_and_wait);
            let (init, outer) = spawn_init("sender init", |_| send_one());
            assert_eq!(registrant.ready::<i32>(), outer.as_raw(), "si_pid of the init sender, outside");
            init.expect_success();
            registrant.expect_success();
        }
    });
}

/// pid_namespaces(7): a process in an ancestor namespace can send signals to the init "only
/// if the "init" process has established a handler for that signal. (Within the handler,
/// the siginfo_t si_pid field described in sigaction(2) will be zero.)" With a handler
/// installed (and the signal blocked, to take it synchronously), kill(2) from outside
/// arrives as SI_USER with si_pid 0.
#[test]
fn signal_from_an_ancestor_namespace_reaches_init_with_si_pid_0() {
    needs!(available(namespaces()));
    sandbox("kill(2) into a PID namespace", || {
        let (init, outer) = spawn_init("init with a handler", |serve| {
            install_counter(Signal::SIGUSR1, SaFlags::empty());
            let catcher = SignalCatcher::new(&[Signal::SIGUSR1]);
            serve.ready(());
            serve.wait_release();
            let info = catcher.wait();
            assert_eq!((info.signo, info.code, info.pid()), (libc::SIGUSR1, libc::SI_USER, 0), "siginfo from the ancestor");
            // variant: none — the expected ids are the test's own (the same inside and outside
            // the PID namespace), whichever they are.
            assert_eq!(info.uid(), getuid().as_raw(), "si_uid");
        });
        init.ready::<()>();
        kill(outer, Signal::SIGUSR1).expect("kill the init");
        init.expect_success();
    });
}

/// pid_namespaces(7): "a process in an ancestor namespace can ... send signals to the "init"
/// process of a child PID namespace only if the "init" process has established a handler for
/// that signal"; "SIGKILL or SIGSTOP are treated exceptionally: these signals are forcibly
/// delivered when sent from an ancestor PID namespace". (docker: a container's first process
/// that installs no handler ignores `docker stop`'s SIGTERM.) An init with the default
/// disposition and the signal unblocked survives SIGTERM and SIGUSR1 from outside — still
/// running after a bounded wait, nothing pending for it (SigPnd/ShdPnd), and a handler it
/// installs afterwards never runs: the signal was dropped, not kept — and SIGKILL kills it.
///
/// The init sets that precondition itself: the signal mask is inherited through fork and
/// exec from whatever started the test (a runner that blocks SIGTERM for its own cleanup
/// passes the mask on through cargo and nextest: Rust's Command does not reset it; ipcspec's
/// runner once did exactly that), and a blocked signal is never ignored: it
/// is queued (kernel/signal.c, sig_ignored(): "Blocked signals are never ignored, since the
/// signal handler may change by the time it is unblocked").
#[rstest]
#[case::sigterm_is_dropped(Signal::SIGTERM)]
#[case::sigusr1_is_dropped(Signal::SIGUSR1)]
#[case::sigkill_is_delivered(Signal::SIGKILL)]
fn init_without_a_handler_gets_only_sigkill_from_an_ancestor(#[case] sig: Signal) {
    needs!(available(namespaces()));
    sandbox("signals to an init without handlers", || {
        let (mut init, outer) = spawn_init("init with default dispositions", |serve| {
            if sig != Signal::SIGKILL {
                // Both halves of the precondition, whatever was inherited, checked before
                // "ready": the signal is only sent after it.
                set_default(sig);
                unblock(sig);
                assert_eq!(disposition(sig), libc::SIG_DFL, "{sig}: the init's disposition");
                assert!(!is_blocked(sig), "{sig} is still blocked in the init");
            }
            serve.ready(());
            serve.wait_release();
            assert_eq!(pending_here() & bit(sig), 0, "{sig} is pending for the init instead of dropped");
            // Dropped, not kept: a handler installed now is not run for it.
            install_counter(sig, SaFlags::empty());
            assert_eq!(count(sig), 0, "{sig} from outside was delivered to a handler installed afterwards");
        });
        init.ready::<()>();
        // The kernel's evidence (fixtures::blocked): the init asleep in read(2) of its request
        // pipe (waiting to be released) before the signal, and in that same read once kill(2)
        // has returned (a signal that kills would have woken it by then): not killed. Where the
        // kernel shows nothing, the timed proof: still running after NEGATIVE_WAIT.
        let waiting = match blocked::observe(outer, outer, Expect::In(blocked::calls::READ)) {
            Seen::Asleep(site) => Some(site),
            Seen::NoEvidence => None,
            other => panic!("the init was not seen waiting to be released: {other:?}"),
        };
        kill(outer, sig).expect("kill the init");
        if sig == Signal::SIGKILL {
            init.forked().join().expect_signal(Signal::SIGKILL);
            return;
        }
        match waiting {
            Some(site) => assert!(
                matches!(blocked::observe(outer, outer, Expect::At(&site)), Seen::Asleep(_)),
                "{sig} from outside killed an init without a handler (or woke it out of its read)"
            ),
            None => assert!(
                init.forked().still_running_after(NEGATIVE_WAIT),
                "{sig} from outside killed an init without a handler"
            ),
        }
        assert_eq!(pending_of(outer) & bit(sig), 0, "{sig} is pending for the init instead of dropped");
        init.expect_success();
    });
}
