//! Suite `posix_mq`: POSIX message queues on Linux (the mqueue filesystem; a queue
//! descriptor is a file descriptor).
//!
//! Topics (one test file each):
//! - `open_rules`: mq_open(3)/mq_close(3)/mq_unlink(3): O_CREAT, O_EXCL, names, mode,
//!   umask, owner, another user, close-on-exec, inheritance across fork.
//! - `attributes`: explicit mq_maxmsg/mq_msgsize, EINVAL for bad or too large values,
//!   mq_getattr(3) mq_curmsgs and mq_flags, mq_setattr(3) changing only O_NONBLOCK.
//! - `priorities`: highest priority first, FIFO within a priority, MQ_PRIO_MAX.
//! - `sizes`: EMSGSIZE on send and receive, message boundaries, zero-length messages.
//! - `nonblocking`: EAGAIN on a full or empty queue with O_NONBLOCK.
//! - `blocking`: blocking send and receive woken by the peer, mq_timedsend(3) and
//!   mq_timedreceive(3) ETIMEDOUT/EINVAL, signal handlers and SA_RESTART.
//! - `access_mode`: EBADF for the wrong access mode or a closed descriptor.
//! - `notify`: mq_notify(3): SIGEV_SIGNAL (si_code, si_pid, si_uid, si_value), SIGEV_THREAD,
//!   SIGEV_NONE, one registered process, empty-to-non-empty only, not while a receiver
//!   waits, removal after one notification, by mq_notify(NULL) and by mq_close(3).
//! - `readiness`: poll(2), select(2) and epoll(7) on a queue descriptor.
//! - `rlimit`: RLIMIT_MSGQUEUE (getrlimit(2)) and EMFILE.
//! - `mqueue_fs`: the mqueue filesystem mounted in a private mount namespace: queue files,
//!   their "QSIZE NOTIFY SIGNO NOTIFY_PID" line, unlink and chmod through the files.
//! - `global_limits`: /proc/sys/fs/mqueue/{msg_default,msgsize_default,msg_max,
//!   msgsize_max,queues_max} (changed under a SysctlGuard, one test at a time).
//! - `persistence.rs`: a queue and its messages outlive every process that had it open.
//!
//! Sources: mq_overview(7), mq_open(3), mq_send(3), mq_receive(3), mq_notify(3),
//! mq_getattr(3), mq_setattr(3), mq_close(3), mq_unlink(3), sigevent(7), signal(7),
//! getrlimit(2), POSIX.1-2024 <mqueue.h>.
//!
//! Queues made by the tests are small (a few messages of 64 bytes) because the bytes of
//! all queues of a user count against one RLIMIT_MSGQUEUE (800 KiB by default) and the
//! tests run in parallel. Only `global_*` tests rely on the system defaults.
//!
//! Helpers shared by the test files, one module per concern: [`cases`] (the parameter set
//! `both_calls`: mq_send(3) on a full queue and mq_receive(3) on an empty one), [`queue`] (a queue handle with
//! the exact errno of every call), [`sigevent`] (glibc's sigevent layout for mq_notify) and
//! [`queue_file`] (the queue files of the mqueue filesystem). Deadlines come from
//! [`fixtures::clock`], the private mount of the mqueue filesystem from [`fixtures::ns`].

pub mod cases;
pub mod queue;
pub mod queue_file;
pub mod sigevent;

/// MQ_PRIO_MAX on Linux (mq_overview(7): "sysconf(_SC_MQ_PRIO_MAX) returns 32768"), the
/// kernel's bound on priorities (include/uapi/linux/mqueue.h).
pub const MQ_PRIO_MAX: u32 = 32768;

/// si_code of an mq_notify(3) signal.
pub const SI_MESGQ: i32 = libc::SI_MESGQ;
