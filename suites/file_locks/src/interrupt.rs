//! A lock request that waits and is interrupted by a signal: flock(2), ERRORS, "EINTR While
//! waiting to acquire a lock, the call was interrupted by delivery of a signal caught by a
//! handler"; fcntl(2), F_SETLKW, the same; signal(7): both are "automatically restarted after
//! the signal handler returns if the SA_RESTART flag was used".

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use fixtures::Agent;
use fixtures::signals::{count, install_counter};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};

use crate::locks::open_rw;

/// `take` is a lock request: fcntl(2) F_SETLKW/F_OFD_SETLKW or flock(2).
const LOCK_CALLS: &[libc::c_long] = &[libc::SYS_fcntl, libc::SYS_flock];

/// A child opens `path` read-write, installs a SIGUSR1 handler (with SA_RESTART when
/// `restart`) and calls `take` on its descriptor, which must block behind a lock the test
/// arranged; the test proves it blocked (`call` names it), sends SIGUSR1, and with SA_RESTART
/// proves it blocked again before `release` frees the lock. The child asserts that its handler
/// ran once and that `take` failed with EINTR, or — restarted — succeeded.
#[track_caller]
pub fn signal_a_waiting_lock_request(
    path: &Path,
    call: &str,
    restart: bool,
    take: impl FnOnce(BorrowedFd<'_>) -> Result<(), Errno>,
    release: impl FnOnce(),
) {
    let waiter = Agent::<(), ()>::spawn("waiter", |serve| {
        install_counter(Signal::SIGUSR1, if restart { SaFlags::SA_RESTART } else { SaFlags::empty() });
        let fd = open_rw(path);
        serve.ready(());
        let r = take(fd.as_fd());
        assert_eq!(count(Signal::SIGUSR1), 1, "SIGUSR1 handler runs");
        assert_eq!(r, if restart { Ok(()) } else { Err(Errno::EINTR) }, "{call} after the handler");
    });
    waiter.ready::<()>();
    waiter.assert_blocked_in(LOCK_CALLS, call);
    waiter.signal(Signal::SIGUSR1);
    if restart {
        waiter.assert_still_blocked(&format!("{call} restarted after the handler"));
        release();
    }
    waiter.expect_success();
}
