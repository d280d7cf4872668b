//! A lock holder that execs: record locks and flock(2) locks are "preserved across an
//! execve(2)" (fcntl(2), flock(2)). [`ExecdHolder`] is a child that opens the file, takes
//! its lock, keeps the locked descriptor open across execve(2) and becomes the `hold` probe
//! of fixtures::exec, which waits until the test releases it.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use fixtures::deadline::{DEFAULT_DEADLINE, poll_ms, scaled};
use fixtures::exec::exec_probe;
use fixtures::poll::revents;
use fixtures::{Forked, spawn};
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::unistd::{Pid, pipe2};

use crate::locks::open_rw;

/// The exec'd lock holder (see the module documentation).
pub struct ExecdHolder {
    child: Forked,
    release: OwnedFd,
}

impl ExecdHolder {
    /// Start the holder: it opens `path` read-write, calls `lock` on the descriptor, and execs
    /// the `hold` probe with the locked descriptor still open. Returns once the exec has
    /// happened: the child held the only other copy of a close-on-exec pipe, whose end of file
    /// (POLLHUP) the test waits for (bounded).
    #[track_caller]
    pub fn start(path: &Path, lock: impl FnOnce(BorrowedFd<'_>)) -> ExecdHolder {
        let (execd_r, execd_w) = pipe2(OFlag::O_CLOEXEC).expect("pipe2");
        let (hold_r, hold_w) = pipe2(OFlag::O_CLOEXEC).expect("pipe2");
        let child = spawn("exec'd lock holder", || {
            let _closed_by_the_exec = &execd_w;
            let fd = open_rw(path);
            lock(fd.as_fd());
            // Kept across the exec: the locked description (closing it would release a record
            // lock) and the pipe the probe waits on.
            for keep in [fd.as_fd(), hold_r.as_fd()] {
                fcntl(keep, FcntlArg::F_SETFD(FdFlag::empty())).expect("F_SETFD 0");
            }
            exec_probe(&["hold", &hold_r.as_raw_fd().to_string()]);
        });
        drop((execd_w, hold_r));
        let r = revents(&execd_r, libc::POLLIN, poll_ms(DEFAULT_DEADLINE));
        assert_ne!(r & libc::POLLHUP, 0, "the holder did not exec within {:?} (revents {r:#x})", scaled(DEFAULT_DEADLINE));
        ExecdHolder { child, release: hold_w }
    }

    /// The holder's pid (the same before and after the exec).
    pub fn pid(&self) -> Pid {
        self.child.pid()
    }

    /// Let the probe exit (its locks go with it) and require that it ended successfully.
    #[track_caller]
    pub fn release(self) {
        drop(self.release);
        self.child.expect_success();
    }
}
