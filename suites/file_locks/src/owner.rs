//! [`Owner`]: a child process holding its own open file description of one file and
//! performing lock operations on request (a [`fixtures::Agent`]), so that a test can arrange
//! locks held by several processes and look at them from yet another.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use fixtures::Agent;
use nix::errno::Errno;

use crate::locks::{LockInfo, fcntl_lock, flock, open_rw, range, scratch_file};

/// The requests an [`Owner`] performs on its own open file description.
#[derive(Clone, Copy, Debug)]
pub enum LockRequest {
    /// fcntl(fd, cmd, &flock): a record or OFD lock command with that `struct flock`.
    Fcntl { cmd: libc::c_int, flock: libc::flock },
    /// flock(fd, op).
    Flock(libc::c_int),
    /// Open the file again (a second description) and close that descriptor.
    OpenAndClose,
    /// dup the fd and close the duplicate.
    DupAndClose,
}

/// The reply to one request: its result and the `struct flock` fields afterwards (what a
/// GETLK-like command reported; the request's own fields for the others).
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    pub result: Result<(), Errno>,
    pub info: LockInfo,
}

/// A fresh scratch file holding `content` ([`scratch_file`]) and one [`Owner`] per name,
/// started in order, each with its own read-write description of the file. Bind the owners
/// after the `Scratch`, as `let (_s, path, [a, b]) = ...`: they are dropped (and exit) first.
pub fn owners_of_new_file<const N: usize>(content: &[u8], names: [&str; N]) -> (fixtures::Scratch, PathBuf, [Owner; N]) {
    let (s, path) = scratch_file(content);
    let owners = names.map(|what| Owner::new(what, &path));
    (s, path, owners)
}

/// A child with a read-write description of one file (see the module documentation). Its
/// locks live exactly as long as it does: dropping the handle (or [`Owner::exit`]) ends it.
pub struct Owner {
    agent: Agent<LockRequest, Reply>,
    /// The system call of the last request started without waiting (fcntl or flock).
    started: std::cell::Cell<&'static [libc::c_long]>,
}

impl Owner {
    /// Start an owner that opens `path` read-write.
    pub fn new(what: &str, path: &Path) -> Owner {
        let path = path.to_path_buf();
        let agent = Agent::serving(what, move || {
            let fd = open_rw(&path);
            move |req| perform(&fd, &path, req)
        });
        Owner { agent, started: std::cell::Cell::new(&[]) }
    }

    pub fn pid(&self) -> i32 {
        self.agent.pid().as_raw()
    }

    /// Wait (bounded) for the reply to the oldest request not yet answered.
    #[track_caller]
    pub fn reply(&self) -> Reply {
        self.agent.reply()
    }

    /// Start an fcntl lock command without waiting for its reply (for F_SETLKW that blocks).
    pub fn start_fcntl(&self, cmd: libc::c_int, fl: libc::flock) {
        self.started.set(fixtures::blocked::calls::FCNTL);
        self.agent.send(LockRequest::Fcntl { cmd, flock: fl });
    }

    /// A SETLK-like command on a SEEK_SET range.
    #[track_caller]
    pub fn setlk(&self, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> Result<(), Errno> {
        self.agent.request(LockRequest::Fcntl { cmd, flock: range(l_type, start, len) }).result
    }

    /// A GETLK-like command on a SEEK_SET range.
    #[track_caller]
    pub fn getlk(&self, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> LockInfo {
        let r = self.agent.request(LockRequest::Fcntl { cmd, flock: range(l_type, start, len) });
        r.result.unwrap_or_else(|e| panic!("getlk in the owner: {e}"));
        r.info
    }

    /// Start flock(2) without waiting for the reply.
    pub fn start_flock(&self, op: libc::c_int) {
        self.started.set(fixtures::blocked::calls::FLOCK);
        self.agent.send(LockRequest::Flock(op));
    }

    /// flock(2) on the owner's description.
    #[track_caller]
    pub fn flock(&self, op: libc::c_int) -> Result<(), Errno> {
        self.agent.request(LockRequest::Flock(op)).result
    }

    /// Open the file a second time in the owner and close that new descriptor.
    #[track_caller]
    pub fn open_and_close_another_fd(&self) {
        self.agent.request(LockRequest::OpenAndClose).result.expect("open/close in the owner");
    }

    /// dup the owner's descriptor and close the duplicate.
    #[track_caller]
    pub fn dup_and_close(&self) {
        self.agent.request(LockRequest::DupAndClose).result.expect("dup/close in the owner");
    }

    /// Proof that the owner is blocked in the request started last ([`Owner::start_fcntl`],
    /// [`Owner::start_flock`]): the kernel shows it asleep in fcntl(2) or flock(2)
    /// ([`fixtures::Agent::assert_blocked_in`]; timed where the kernel shows nothing).
    #[track_caller]
    pub fn assert_blocked(&self, call: &str) {
        let nrs = self.started.get();
        assert!(!nrs.is_empty(), "assert_blocked({call}) without a request started by start_fcntl/start_flock");
        self.agent.assert_blocked_in(nrs, call);
    }

    /// After an event that must not grant it (a release of another range): the owner is still
    /// asleep in the very call [`Owner::assert_blocked`] saw
    /// ([`fixtures::Agent::assert_still_blocked`]).
    #[track_caller]
    pub fn assert_still_blocked(&self, call: &str) {
        self.agent.assert_still_blocked(call);
    }

    /// Send `sig` to the owner.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        self.agent.signal(sig);
    }

    /// End the owner (its descriptors close, its locks are released) and reap it.
    #[track_caller]
    pub fn exit(self) {
        self.agent.expect_success();
    }
}

/// What an [`Owner`] does for one request, in the owner.
fn perform(fd: &OwnedFd, path: &Path, req: LockRequest) -> Reply {
    let (result, fl) = match req {
        LockRequest::Fcntl { cmd, mut flock } => (fcntl_lock(fd, cmd, &mut flock), flock),
        LockRequest::Flock(op) => (flock(fd, op), range(0, 0, 0)),
        LockRequest::OpenAndClose => (fixtures::io::open_cloexec(path, libc::O_RDWR).map(drop), range(0, 0, 0)),
        LockRequest::DupAndClose => (fd.as_fd().try_clone_to_owned().map(drop).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0))), range(0, 0, 0)),
    };
    Reply { result, info: LockInfo::from_flock(&fl) }
}
