//! A message queue handle: mq_open(3) and the calls on a queue descriptor, each returning
//! the exact errno. On Linux a queue descriptor is a file descriptor (mq_overview(7)), so
//! [`Mq`] is also `AsFd` (poll, fcntl, fstat, fchmod, the fixtures' I/O).

use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};

use fixtures::{IpcName, sys, sys_size};
use nix::errno::Errno;

use crate::sigevent::SigEvent;

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
pub fn create(name: &IpcName, maxmsg: i64) -> Mq {
    mq_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(maxmsg, MSGSIZE as i64)))
        .unwrap_or_else(|e| panic!("mq_open({}, O_CREAT|O_EXCL): {e}", name.as_str()))
}

/// A unique name made from `tag` and a new queue of `maxmsg` messages under it
/// ([`create`]). Bind both, `let (name, q) = new_queue(..)`: the queue is closed first, then
/// the name's guard unlinks it.
#[track_caller]
pub fn new_queue(tag: &str, maxmsg: i64) -> (IpcName, Mq) {
    let name = IpcName::mq(tag);
    let q = create(&name, maxmsg);
    (name, q)
}

/// [`new_queue`], then mode 0666 (fchmod(2), whatever the umask): a child that became
/// another user (nobody) can open it too.
#[track_caller]
pub fn new_shared_queue(tag: &str, maxmsg: i64) -> (IpcName, Mq) {
    let (name, q) = new_queue(tag, maxmsg);
    // SAFETY: fchmod(2) on our own descriptor.
    sys(unsafe { libc::fchmod(q.as_raw_fd(), 0o666) }).unwrap_or_else(|e| panic!("fchmod({}, 0666): {e}", name.as_str()));
    (name, q)
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
        let n = sys_size(unsafe { libc::mq_receive(self.0, buf.as_mut_ptr().cast(), len, &mut prio) })?;
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
        let n = sys_size(unsafe { libc::mq_timedreceive(self.0, buf.as_mut_ptr().cast(), len, &mut prio, abs) })?;
        buf.truncate(n);
        Ok((buf, prio))
    }

    /// mq_getattr(3); panics on failure.
    #[track_caller]
    pub fn getattr(&self) -> libc::mq_attr {
        self.try_getattr().unwrap_or_else(|e| panic!("mq_getattr: {e}"))
    }

    /// mq_getattr(3) with its exact errno.
    pub fn try_getattr(&self) -> Result<libc::mq_attr, Errno> {
        // SAFETY: a zeroed mq_attr is a valid out-parameter.
        let mut a: libc::mq_attr = unsafe { std::mem::zeroed() };
        sys(unsafe { libc::mq_getattr(self.0, &mut a) })?;
        Ok(a)
    }

    /// mq_setattr(3) with `new` (only its mq_flags count); returns the old attributes.
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

/// On Linux a queue descriptor is a file descriptor: a [`Mq`] can be given to anything that
/// takes a borrowed descriptor (poll, fcntl, fstat, fchmod, the fixtures' I/O).
impl AsFd for Mq {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the queue descriptor is open while `self` lives (closed on drop).
        unsafe { BorrowedFd::borrow_raw(self.0) }
    }
}

/// The descriptor's number, for claims about a number (a closed descriptor reused in a
/// raw call, an inherited descriptor in a child).
impl AsRawFd for Mq {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// A queue descriptor that the mq_open system call returned (mq_open(3), "C library/kernel
/// differences": the library function is a wrapper of it).
impl From<OwnedFd> for Mq {
    fn from(fd: OwnedFd) -> Mq {
        Mq(fd.into_raw_fd())
    }
}

impl Drop for Mq {
    fn drop(&mut self) {
        // SAFETY: closing our own descriptor once.
        unsafe { libc::mq_close(self.0) };
    }
}
