//! fcntl(2), F_SETOWN: "Sending a signal to the owner process (group) specified by
//! F_SETOWN is subject to the same permissions checks as are described for kill(2), where
//! the sending process is the one that employs F_SETOWN ... If this permission check
//! fails, then the signal is silently discarded. Note: The F_SETOWN operation records the
//! caller's credentials at the time of the fcntl() call, and it is these saved credentials
//! that are used for the permission checks."
//!
//! fs/fcntl.c, sigio_perm: allowed if the saved euid is root, or the saved euid or uid
//! equals the target's uid or saved uid. Claims needing two users state
//! `needs!(cap(SETUID), cap(SETGID))` (root: the target stays root, the setter drops to
//! nobody or the reverse); the same-user claim runs in both runs. Events are pipe writes,
//! which signal synchronously: once the writer has written, the target's pending set is
//! final.

use fixtures::io::set_status_flag;
use fixtures::kinds::Kind;
use fixtures::privilege::drop_to_nobody;
use fixtures::signals::SignalCatcher;
use fixtures::{needs, run_in_child, spawn, sync};
use signal_io::set_owner;

/// The credentials of the processes of one claim. `nobody` means: the process drops to
/// uid 65534 (a no-op when the suite runs as nobody); otherwise it keeps the test's
/// credentials (root in the root run).
struct Roles {
    /// The owner named by F_SETOWN, which blocks SIGIO and checks whether one is pending.
    target_nobody: bool,
    /// The process calling F_SETOWN (and setting O_ASYNC) is nobody from the start.
    setter_nobody: bool,
    /// The setter drops to nobody right after F_SETOWN and O_ASYNC.
    setter_drops_after: bool,
    /// The setter writes to the pipe itself; otherwise a second child with the test's
    /// credentials (root) writes.
    setter_writes: bool,
}

/// Run the claim: a target process blocks SIGIO and waits; a setter child makes it the
/// owner of a pipe's read end (F_SETOWN, O_ASYNC); one byte is written; then the target
/// asserts that a SIGIO is pending exactly when `delivered`. Pipe writes signal
/// synchronously, so once the writer has written the target's pending set is final.
fn assert_sigio(roles: Roles, delivered: bool) {
    let p = Kind::Pipe.pair();
    let (ready, wait_ready) = sync::channel();
    let (check, wait_check) = sync::channel();
    let mut target = spawn("target", || {
        if roles.target_nobody {
            drop_to_nobody();
        }
        let c = SignalCatcher::new(&[libc::SIGIO]);
        ready.notify();
        wait_check.wait();
        let expected = if delivered { Some(libc::SIGIO) } else { None };
        assert_eq!(c.take_pending().map(|i| i.signo), expected);
    });
    wait_ready.wait();
    run_in_child("setter", || {
        if roles.setter_nobody {
            drop_to_nobody();
        }
        set_owner(p.rx(), target.pid().as_raw()).unwrap();
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        if roles.setter_drops_after {
            drop_to_nobody();
        }
        if roles.setter_writes {
            p.send(b"x");
        }
    })
    .expect_success();
    if !roles.setter_writes {
        run_in_child("writer with the test's credentials", || p.send(b"x")).expect_success();
    }
    check.notify();
    target.join().expect_success();
    set_status_flag(p.rx(), libc::O_ASYNC, false).unwrap(); // nothing more for anybody
}

/// kill(2): an unprivileged process may signal a process whose real or saved user ID
/// matches its real or effective user ID. Setter and target both nobody: delivered. Runs
/// as root (both drop) and as nobody.
#[test]
fn sigio_reaches_an_owner_of_the_same_user() {
    let roles = Roles { target_nobody: true, setter_nobody: true, setter_drops_after: false, setter_writes: true };
    assert_sigio(roles, true);
}

/// fcntl(2): "If this permission check fails, then the signal is silently discarded." An
/// unprivileged setter naming a root-owned process: the write succeeds, no SIGIO arrives.
#[test]
fn sigio_to_another_users_process_is_silently_discarded() {
    needs!(cap(SETUID), cap(SETGID));
    let roles = Roles { target_nobody: false, setter_nobody: true, setter_drops_after: false, setter_writes: true };
    assert_sigio(roles, false);
}

/// kill(2): "a privileged process (under Linux: one with the CAP_KILL capability ...) can
/// send a signal to any process"; fs/fcntl.c grants it by the saved euid 0. A root setter
/// reaches a process of nobody.
#[test]
fn a_root_setter_reaches_any_user() {
    needs!(cap(SETUID), cap(SETGID));
    let roles = Roles { target_nobody: true, setter_nobody: false, setter_drops_after: false, setter_writes: true };
    assert_sigio(roles, true);
}

/// fcntl(2): "it is these saved credentials that are used for the permission checks": a
/// setter that was root at F_SETOWN and then became nobody still reaches the root-owned
/// target when it writes.
#[test]
fn the_credentials_saved_at_f_setown_decide() {
    needs!(cap(SETUID), cap(SETGID));
    let roles = Roles { target_nobody: false, setter_nobody: false, setter_drops_after: true, setter_writes: true };
    assert_sigio(roles, true);
}

/// fcntl(2): "the sending process is the one that employs F_SETOWN", not the one doing the
/// I/O: nobody set the owner to a root-owned target; a root writer's input is still
/// discarded for it.
#[test]
fn the_credentials_of_the_writer_do_not_matter() {
    needs!(cap(SETUID), cap(SETGID));
    let roles = Roles { target_nobody: false, setter_nobody: true, setter_drops_after: false, setter_writes: false };
    assert_sigio(roles, false);
}
