//! fcntl(2), F_SETOWN: "Sending a signal to the owner process (group) specified by
//! F_SETOWN is subject to the same permissions checks as are described for kill(2), where
//! the sending process is the one that employs F_SETOWN ... If this permission check
//! fails, then the signal is silently discarded. Note: The F_SETOWN operation records the
//! caller's credentials at the time of the fcntl() call, and it is these saved credentials
//! that are used for the permission checks."
//!
//! fs/fcntl.c, sigio_perm: allowed if the saved euid is root, or the saved euid or uid
//! equals the target's uid or saved uid. Claims needing two users run as root only (the
//! target stays root, the setter drops to nobody or the reverse); the same-user claim runs
//! in both runs. Events are pipe writes, which signal synchronously: once the writer has
//! written, the target's pending set is final.

use fixtures::kinds::Kind;
use fixtures::privilege::{can_switch_user, drop_to_nobody};
use fixtures::signals::SignalCatcher;
use fixtures::{Forked, require, spawn, sync};
use signal_io::{set_async, set_owner};

const TWO_USERS: &str = "needs root (CAP_SETUID) to run processes of two different users";

fn two_users() -> Result<(), String> {
    if can_switch_user() {
        Ok(())
    } else {
        Err(TWO_USERS.to_string())
    }
}

/// A target process that blocks SIGIO, says it is ready, waits for "check" and then
/// asserts whether a SIGIO is pending.
fn target(drop: bool, expect_signal: bool, ready: &sync::Notifier, check: &sync::Waiter) -> Forked {
    spawn("target", || {
        if drop {
            drop_to_nobody();
        }
        let c = SignalCatcher::new(&[libc::SIGIO]);
        ready.notify();
        check.wait();
        let got = c.take_pending().map(|i| i.signo);
        assert_eq!(
            got,
            if expect_signal {
                Some(libc::SIGIO)
            } else {
                None
            }
        );
    })
}

/// Run the setter in a child: optionally drop to nobody, F_SETOWN(target) and O_ASYNC,
/// optionally drop after that, then (optionally) write.
fn setter(
    p: &fixtures::kinds::Pair,
    target: libc::pid_t,
    drop_before: bool,
    drop_after: bool,
    write: bool,
) {
    fixtures::run_in_child("setter", || {
        if drop_before {
            drop_to_nobody();
        }
        set_owner(p.rx(), target).unwrap();
        set_async(p.rx(), true);
        if drop_after {
            drop_to_nobody();
        }
        if write {
            p.send(b"x");
        }
    })
    .expect_success();
}

/// kill(2): an unprivileged process may signal a process whose real or saved user ID
/// matches its real or effective user ID. Setter and target both nobody: delivered. Runs
/// as root (both drop) and as nobody.
#[test]
fn sigio_reaches_an_owner_of_the_same_user() {
    let p = Kind::Pipe.pair();
    let (ready, wait_ready) = sync::channel();
    let (check, wait_check) = sync::channel();
    let mut t = target(true, true, &ready, &wait_check);
    wait_ready.wait();
    setter(&p, t.pid().as_raw(), true, false, true);
    check.notify();
    t.join().expect_success();
}

/// fcntl(2): "If this permission check fails, then the signal is silently discarded." An
/// unprivileged setter naming a root-owned process: the write succeeds, no SIGIO arrives.
#[test]
fn sigio_to_another_users_process_is_silently_discarded() {
    require!(two_users());
    let p = Kind::Pipe.pair();
    let (ready, wait_ready) = sync::channel();
    let (check, wait_check) = sync::channel();
    let mut t = target(false, false, &ready, &wait_check);
    wait_ready.wait();
    setter(&p, t.pid().as_raw(), true, false, true);
    check.notify();
    t.join().expect_success();
}

/// kill(2): "a privileged process (under Linux: one with the CAP_KILL capability ...) can
/// send a signal to any process"; fs/fcntl.c grants it by the saved euid 0. A root setter
/// reaches a process of nobody.
#[test]
fn a_root_setter_reaches_any_user() {
    require!(two_users());
    let p = Kind::Pipe.pair();
    let (ready, wait_ready) = sync::channel();
    let (check, wait_check) = sync::channel();
    let mut t = target(true, true, &ready, &wait_check);
    wait_ready.wait();
    setter(&p, t.pid().as_raw(), false, false, true);
    check.notify();
    t.join().expect_success();
}

/// fcntl(2): "it is these saved credentials that are used for the permission checks": a
/// setter that was root at F_SETOWN and then became nobody still reaches the root-owned
/// target when it writes.
#[test]
fn the_credentials_saved_at_f_setown_decide() {
    require!(two_users());
    let p = Kind::Pipe.pair();
    let (ready, wait_ready) = sync::channel();
    let (check, wait_check) = sync::channel();
    let mut t = target(false, true, &ready, &wait_check);
    wait_ready.wait();
    setter(&p, t.pid().as_raw(), false, true, true);
    check.notify();
    t.join().expect_success();
}

/// fcntl(2): "the sending process is the one that employs F_SETOWN", not the one doing the
/// I/O: nobody set the owner to a root-owned target; a root writer's input is still
/// discarded for it.
#[test]
fn the_credentials_of_the_writer_do_not_matter() {
    require!(two_users());
    let p = Kind::Pipe.pair();
    let (ready, wait_ready) = sync::channel();
    let (check, wait_check) = sync::channel();
    let mut t = target(false, false, &ready, &wait_check);
    wait_ready.wait();
    setter(&p, t.pid().as_raw(), true, false, false);
    fixtures::run_in_child("root writer", || p.send(b"x")).expect_success();
    check.notify();
    t.join().expect_success();
    set_async(p.rx(), false);
}
