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
//!
//! Sources: mq_overview(7), mq_open(3), mq_send(3), mq_receive(3), mq_notify(3),
//! mq_getattr(3), mq_setattr(3), mq_close(3), mq_unlink(3), sigevent(7), signal(7),
//! getrlimit(2), POSIX.1-2024 <mqueue.h>.
//!
//! Queues made by the tests are small (a few messages of 64 bytes) because the bytes of
//! all queues of a user count against one RLIMIT_MSGQUEUE (800 KiB by default) and the
//! tests run in parallel. Only `global_*` tests rely on the system defaults.
//!
//! Helpers shared by the test files live here: a queue handle with the exact errno of
//! every call, glibc's sigevent layout for mq_notify, and the queue files of the mqueue
//! filesystem. Deadlines come from [`fixtures::clock`], the private mount of the mqueue
//! filesystem from [`fixtures::ns`].

use std::ffi::CStr;
use std::os::fd::RawFd;

use fixtures::sys;
use nix::errno::Errno;

/// MQ_PRIO_MAX on Linux (mq_overview(7): "sysconf(_SC_MQ_PRIO_MAX) returns 32768").
pub const MQ_PRIO_MAX: u32 = 32768;

/// si_code of an mq_notify(3) signal.
pub const SI_MESGQ: i32 = libc::SI_MESGQ;

/// The message size of the small queues the tests make.
pub const MSGSIZE: usize = 64;

/// A message queue descriptor, closed with mq_close(3) when dropped.
#[derive(Debug)]
pub struct Mq(libc::mqd_t);

/// A zeroed mq_attr with the two fields mq_open(3) reads.
pub fn attr(maxmsg: i64, msgsize: i64) -> libc::mq_attr {
    // SAFETY: mq_attr is plain data.
    let mut a: libc::mq_attr = unsafe { std::mem::zeroed() };
    a.mq_maxmsg = maxmsg as _;
    a.mq_msgsize = msgsize as _;
    a
}

/// mq_open(3); with `attr` None and O_CREAT the queue gets the default attributes.
pub fn mq_open(name: &CStr, oflag: libc::c_int, mode: u32, attr: Option<&libc::mq_attr>) -> Result<Mq, Errno> {
    let ap = attr.map_or(std::ptr::null(), |a| a as *const libc::mq_attr);
    // SAFETY: a valid C string; mode and attr are read only with O_CREAT.
    let q = unsafe { libc::mq_open(name.as_ptr(), oflag, mode as libc::mode_t, ap) };
    if q == -1 { Err(Errno::last()) } else { Ok(Mq(q)) }
}

/// Create a new queue (O_CREAT|O_EXCL|O_RDWR, mode 0600) of `maxmsg` messages of
/// [`MSGSIZE`] bytes.
#[track_caller]
pub fn create(name: &fixtures::IpcName, maxmsg: i64) -> Mq {
    mq_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(maxmsg, MSGSIZE as i64)))
        .unwrap_or_else(|e| panic!("mq_open({}, O_CREAT|O_EXCL): {e}", name.as_str()))
}

/// Open an existing queue.
#[track_caller]
pub fn open(name: &CStr, oflag: libc::c_int) -> Mq {
    mq_open(name, oflag, 0, None).unwrap_or_else(|e| panic!("mq_open({name:?}, {oflag:#x}): {e}"))
}

/// mq_unlink(3).
pub fn mq_unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: a valid C string.
    sys(unsafe { libc::mq_unlink(name.as_ptr()) }).map(|_| ())
}

impl Mq {
    pub fn raw(&self) -> libc::mqd_t {
        self.0
    }

    /// The descriptor as a file descriptor (Linux).
    pub fn fd(&self) -> RawFd {
        self.0
    }

    /// mq_send(3).
    pub fn send(&self, msg: &[u8], prio: u32) -> Result<(), Errno> {
        // SAFETY: a buffer of msg.len() bytes.
        sys(unsafe { libc::mq_send(self.0, msg.as_ptr().cast(), msg.len(), prio) }).map(|_| ())
    }

    /// mq_timedsend(3).
    pub fn timedsend(&self, msg: &[u8], prio: u32, abs: &libc::timespec) -> Result<(), Errno> {
        // SAFETY: as above; a valid timespec.
        sys(unsafe { libc::mq_timedsend(self.0, msg.as_ptr().cast(), msg.len(), prio, abs) }).map(|_| ())
    }

    /// mq_receive(3) into a buffer of `len` bytes: the message and its priority.
    pub fn receive_into(&self, len: usize) -> Result<(Vec<u8>, u32), Errno> {
        let mut buf = vec![0u8; len];
        let mut prio: libc::c_uint = u32::MAX;
        // SAFETY: a buffer of len bytes and a valid priority out-parameter.
        let n = fixtures::sys_size(unsafe { libc::mq_receive(self.0, buf.as_mut_ptr().cast(), len, &mut prio) })?;
        buf.truncate(n);
        Ok((buf, prio))
    }

    /// mq_receive(3) with a buffer of exactly mq_msgsize bytes.
    pub fn receive(&self) -> Result<(Vec<u8>, u32), Errno> {
        self.receive_into(self.getattr().mq_msgsize as usize)
    }

    /// mq_timedreceive(3) with a buffer of mq_msgsize bytes.
    pub fn timedreceive(&self, abs: &libc::timespec) -> Result<(Vec<u8>, u32), Errno> {
        let len = self.getattr().mq_msgsize as usize;
        let mut buf = vec![0u8; len];
        let mut prio: libc::c_uint = u32::MAX;
        // SAFETY: as above; a valid timespec.
        let n =
            fixtures::sys_size(unsafe { libc::mq_timedreceive(self.0, buf.as_mut_ptr().cast(), len, &mut prio, abs) })?;
        buf.truncate(n);
        Ok((buf, prio))
    }

    /// mq_getattr(3); panics on failure.
    #[track_caller]
    pub fn getattr(&self) -> libc::mq_attr {
        self.try_getattr().unwrap_or_else(|e| panic!("mq_getattr: {e}"))
    }

    pub fn try_getattr(&self) -> Result<libc::mq_attr, Errno> {
        // SAFETY: a zeroed mq_attr is a valid out-parameter.
        let mut a: libc::mq_attr = unsafe { std::mem::zeroed() };
        sys(unsafe { libc::mq_getattr(self.0, &mut a) })?;
        Ok(a)
    }

    /// mq_setattr(3) with the given mq_flags (other fields as in `template`); returns the
    /// old attributes.
    pub fn setattr(&self, new: &libc::mq_attr) -> Result<libc::mq_attr, Errno> {
        // SAFETY: valid in and out parameters.
        let mut old: libc::mq_attr = unsafe { std::mem::zeroed() };
        sys(unsafe { libc::mq_setattr(self.0, new, &mut old) })?;
        Ok(old)
    }

    /// Set or clear O_NONBLOCK on the open queue description.
    pub fn set_nonblocking(&self, on: bool) {
        let mut a = attr(0, 0);
        a.mq_flags = if on { libc::O_NONBLOCK as _ } else { 0 };
        self.setattr(&a).unwrap();
    }

    /// mq_notify(3) with a sigevent, or None to unregister.
    pub fn notify(&self, ev: Option<&SigEvent>) -> Result<(), Errno> {
        let p = ev.map_or(std::ptr::null(), |e| (e as *const SigEvent).cast::<libc::sigevent>());
        // SAFETY: a sigevent laid out as glibc's (see SigEvent) or null.
        sys(unsafe { libc::mq_notify(self.0, p) }).map(|_| ())
    }

    /// mq_curmsgs.
    pub fn curmsgs(&self) -> i64 {
        self.getattr().mq_curmsgs
    }

    /// Close now and return the errno of mq_close, if any.
    pub fn close(self) -> Result<(), Errno> {
        let q = self.0;
        std::mem::forget(self);
        // SAFETY: closing our own descriptor once.
        sys(unsafe { libc::mq_close(q) }).map(|_| ())
    }
}

impl Drop for Mq {
    fn drop(&mut self) {
        // SAFETY: closing our own descriptor once.
        unsafe { libc::mq_close(self.0) };
    }
}

/// glibc's struct sigevent on 64-bit Linux (64 bytes), with the SIGEV_THREAD members that
/// the libc crate does not expose.
#[repr(C)]
pub struct SigEvent {
    pub value: usize,
    pub signo: libc::c_int,
    pub notify: libc::c_int,
    pub function: Option<extern "C" fn(libc::sigval)>,
    pub attribute: *mut libc::pthread_attr_t,
    _pad: [libc::c_int; 8],
}

const _: () = assert!(std::mem::size_of::<SigEvent>() == std::mem::size_of::<libc::sigevent>());

impl SigEvent {
    fn new(notify: libc::c_int) -> SigEvent {
        SigEvent { value: 0, signo: 0, notify, function: None, attribute: std::ptr::null_mut(), _pad: [0; 8] }
    }

    /// SIGEV_SIGNAL with `sig` and sigev_value.sival_int = `value`.
    pub fn signal(sig: nix::sys::signal::Signal, value: usize) -> SigEvent {
        let mut e = SigEvent::new(libc::SIGEV_SIGNAL);
        e.signo = sig as libc::c_int;
        e.value = value;
        e
    }

    /// SIGEV_NONE.
    pub fn none() -> SigEvent {
        SigEvent::new(libc::SIGEV_NONE)
    }

    /// SIGEV_THREAD calling `f` with sigev_value = `value`.
    pub fn thread(f: extern "C" fn(libc::sigval), value: usize) -> SigEvent {
        let mut e = SigEvent::new(libc::SIGEV_THREAD);
        e.function = Some(f);
        e.value = value;
        e
    }

    /// Any sigev_notify value (for EINVAL claims).
    pub fn raw(notify: libc::c_int, signo: libc::c_int) -> SigEvent {
        let mut e = SigEvent::new(notify);
        e.signo = signo;
        e
    }
}

/// The fields of a queue file of the mqueue filesystem (mq_overview(7)):
/// "QSIZE:129 NOTIFY:2 SIGNO:0 NOTIFY_PID:8260".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFile {
    pub qsize: u64,
    pub notify: i32,
    pub signo: i32,
    pub notify_pid: i32,
}

impl QueueFile {
    /// Parse the line; panics naming the text if a field is missing.
    pub fn parse(text: &str) -> QueueFile {
        let field = |key: &str| -> i64 {
            text.split_whitespace()
                .find_map(|t| t.strip_prefix(key)?.strip_prefix(':')?.parse().ok())
                .unwrap_or_else(|| panic!("no {key} in queue file {text:?}"))
        };
        QueueFile {
            qsize: field("QSIZE") as u64,
            notify: field("NOTIFY") as i32,
            signo: field("SIGNO") as i32,
            notify_pid: field("NOTIFY_PID") as i32,
        }
    }
}

/// Read a queue's file in a mounted mqueue filesystem.
pub fn read_queue_file(dir: &std::path::Path, name: &fixtures::IpcName) -> QueueFile {
    let p = dir.join(name.bare());
    QueueFile::parse(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display())))
}
