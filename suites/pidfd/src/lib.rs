//! Suite `pidfd`: process file descriptors — pidfd_open(2), clone(2)/clone3(2) with
//! CLONE_PIDFD, waitid(2) with P_PIDFD, pidfd_send_signal(2), and what a pidfd is (a file on
//! pidfs since 6.9, with ioctls since 6.11 and file handles since 6.13).
//!
//! Topics (one test file each):
//! - `open`: pidfd_open(2): PIDFD_NONBLOCK, close-on-exec, readiness on exit, waitid(2)
//!   P_PIDFD (EAGAIN, ECHILD, reaping once), ESRCH, PIDFD_THREAD (6.9).
//! - `clone`: CLONE_PIDFD (clone(2)), CLONE_PIDFD|CLONE_THREAD (6.9), clone3(2)
//!   CLONE_AUTOREAP, CLONE_NNP and CLONE_PIDFD_AUTOKILL (7.1).
//! - `signals`: pidfd_send_signal(2): signal 0, ESRCH after reaping, the
//!   PIDFD_SIGNAL_* scopes (6.9), the PIDFD_SELF sentinels (6.15).
//! - `pidfs`: the pidfs filesystem (6.9): f_type, st_ino per process, file handles (6.13).
//! - `info`: the ioctls: PIDFD_GET_*_NAMESPACE (6.11), PIDFD_GET_INFO (6.13) and its
//!   PIDFD_INFO_EXIT (6.15), PIDFD_INFO_COREDUMP (6.16), PIDFD_INFO_SUPPORTED_MASK (6.19)
//!   and PIDFD_INFO_COREDUMP_CODE (7.1) extensions.
//! - `permission.rs`: pidfd_send_signal(2) checks kill(2)'s permission rule; opening a pidfd checks
//!   nothing.
//!
//! Sources: pidfd_open(2), pidfd_send_signal(2), clone(2), waitid(2) of man-pages 6.20;
//! <linux/pidfd.h>, <linux/sched.h> and <linux/magic.h> of the Debian 6.12 and 7.2 headers
//! for what the pages do not describe yet; the kernel commits cited in the tests.
//!
//! Helpers, one module per concern: [`calls`] (the raw calls and constants), [`held`]
//! ([`held::Held`]: a child the test reaps itself, cleaned up through a pidfd), [`info`]
//! (struct pidfd_info and the ioctls).

pub mod calls;
pub mod held;
pub mod info;

/// The prerequisite of the tests of pidfd_open(2) and of what a pidfd is used for
/// (CLONE_PIDFD, pidfd_send_signal(2)), at the top of a test: the call is here (`present`);
/// a kernel without it (ENOSYS before 5.3) reports `absent` and the test passes on that
/// documented answer (it returns); a seccomp filter is `blocked` (SKIP). More `needs!`
/// items may follow, checked after it: `needs_pidfd_open!(root, cap(SETUID))`.
#[macro_export]
macro_rules! needs_pidfd_open {
    ($($more:tt)*) => {
        match $crate::calls::pidfd_open_here() {
            ::fixtures::facility::Availability::Absent(why) => {
                ::fixtures::variant::absent(why);
                return;
            }
            here => {
                ::fixtures::needs!(available(here));
                ::fixtures::needs!($($more)*);
            }
        }
    };
}
