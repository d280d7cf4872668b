//! Who may signal through a pidfd: kill(2)'s permission rule, checked at
//! pidfd_send_signal(2); opening a pidfd checks nothing.

use fixtures::privilege::drop_to_nobody;
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use pidfd::calls::{pidfd_open, send_signal};
use pidfd::held::Held;
use pidfd::needs_pidfd_open;

/// pidfd_send_signal(2), ERRORS: "EPERM The calling process does not have permission to send
/// the signal to the target process" — the permission of kill(2): "the real or effective
/// user ID of the sending process must equal the real or saved set-user-ID of the target
/// process" without CAP_KILL; and pidfd_open(2) lists no permission error, so holding a
/// pidfd grants nothing. Asserted: a child that became uid 65534 opens a pidfd of a root-owned
/// child (succeeds), and its pidfd_send_signal with signal 0 and with SIGUSR1 fail EPERM, as
/// kill(2) does; the target still answers signal 0 from root. Needs root (to have a process of
/// another user). Variants as for pidfd_open(2) (`present`, `absent`, `blocked`).
#[test]
fn pidfd_send_signal_to_another_users_process_fails_eperm() {
    needs_pidfd_open!(root, cap(SETUID), cap(SETGID));
    let target = Held::fork(0);
    let pid = target.pid();
    spawn("uid 65534 signalling a root-owned process", || {
        drop_to_nobody();
        let fd = pidfd_open(pid, 0).expect("pidfd_open of another user's process");
        assert_errno!(send_signal(&fd, 0, 0), Errno::EPERM, "signal 0 through the pidfd");
        assert_errno!(send_signal(&fd, libc::SIGUSR1, 0), Errno::EPERM, "SIGUSR1 through the pidfd");
        // SAFETY: kill(2) with signal 0 sends nothing.
        assert_errno!(fixtures::sys(unsafe { libc::kill(pid, 0) }), Errno::EPERM, "kill(2) with signal 0");
    })
    .expect_success();
    let fd = pidfd_open(pid, 0).unwrap();
    assert_eq!(send_signal(&fd, 0, 0), Ok(()), "the target is alive, and root may signal it");
}
