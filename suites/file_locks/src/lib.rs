//! Suite `file_locks`: advisory file locking on a local filesystem.
//!
//! Covered (one topic per file in `tests/`):
//! - `flock_basics.rs`: flock(2) shared/exclusive locks, LOCK_NB, blocking and wake-up,
//!   conversion, ownership by the open file description (dup, fork, second open, exec),
//!   EINTR/SA_RESTART, errors, pipes and sockets, no deadlock detection, advisory only.
//! - `flock_vs_fcntl.rs`: flock and fcntl locks do not see each other (flock(2) NOTES).
//! - `record_locks.rs`: fcntl(2) "Advisory record locking": ranges, l_whence, l_len 0 and
//!   negative, split/merge/convert, F_GETLK, EAGAIN, EBADF, EINVAL.
//! - `record_lock_waits.rs`: F_SETLKW blocking, partial release, EINTR/SA_RESTART, EDEADLK.
//! - `record_lock_ownership.rs`: locks belong to the process: not inherited by fork, kept
//!   across exec, shared by threads, all released by closing any fd of the file or on exit.
//! - `ofd_locks.rs`: fcntl(2) "Open file description locks" (Linux 3.15): ownership by the
//!   description, l_pid 0 rule and -1 reports, inheritance, conflicts with POSIX locks.
//! - `proc_locks.rs`: proc(5) /proc/locks lines for each kind of lock and lease.
//! - `leases.rs`: fcntl(2) "Leases": F_SETLEASE/F_GETLEASE, ownership rule, lease break.
//! - `mandatory_locking.rs`: the "mand" mount option, removed in Linux 5.15.
//! - `delegations.rs`: F_SETDELEG/F_GETDELEG (Linux 6.19): delegations on files and
//!   directories, their break by a create in a delegated directory, DELEG in /proc/locks.
//!   (`flock_basics.rs` also has LOCK_MAND, ignored since 5.15.)
//!
//! Sources: flock(2), fcntl(2), proc(5), signal(7), open(2), mount(2), F_GETDELEG(2const) of
//! man-pages 6.20; POSIX.1-2017 fcntl();
//! the kernel's fs/locks.c and commit f7e33bdbd6d1 ("fs: remove mandatory file locking
//! support", Linux 5.15).
//!
//! Files live in a fresh `Scratch` directory under the temp dir (local filesystem or tmpfs).
//!
//! Helpers, one module per concern: [`locks`] (flock(2) and the fcntl(2) lock commands with
//! their exact results, `struct flock` built and read back), [`owner`] ([`owner::Owner`]: a
//! child process that owns its own open file description of a file and performs lock
//! operations on request — a [`fixtures::Agent`] — so a test can arrange locks held by
//! several processes and query them from yet another), [`exec`] (a lock holder that execs),
//! [`interrupt`] (a waiting lock request interrupted by a signal), [`proc_locks`] (the lines
//! of /proc/locks), [`leases`] (F_SETLEASE / F_GETLEASE and the
//! fs/leases-enable variant) and [`cases`] (the suite's named parameter sets).
//! `fixtures::isolated` runs a test body in a child: flock and OFD locks belong to open file
//! descriptions, and under plain `cargo test` a child forked by a neighbouring test thread
//! would inherit (and keep alive) descriptions opened in the shared test process.

pub mod cases;
pub mod exec;
pub mod interrupt;
pub mod leases;
pub mod locks;
pub mod owner;
pub mod proc_locks;

