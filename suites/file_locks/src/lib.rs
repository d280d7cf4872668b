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
//!
//! Sources: flock(2), fcntl(2), proc(5), signal(7), open(2), mount(2); POSIX.1-2017 fcntl();
//! the kernel's fs/locks.c and commit f7e33bdbd6d1 ("fs: remove mandatory file locking
//! support", Linux 5.15).
//!
//! Files live in a fresh `Scratch` directory under the temp dir (local filesystem or tmpfs).
//!
//! Helpers: [`Owner`] is a child process that owns its own open file description of a file
//! and performs lock operations on request, so a test can arrange locks held by several
//! processes and query them from yet another. [`isolated`] runs a test body in a child:
//! flock and OFD locks belong to open file descriptions, and under plain `cargo test` a
//! child forked by a neighbouring test thread would inherit (and keep alive) descriptions
//! opened in the shared test process.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use fixtures::sync::{Notifier, Waiter, channel};
use fixtures::{Forked, sys};
use nix::errno::Errno;

/// open(2) `path` with `flags` (O_CLOEXEC is added).
pub fn open_file(path: &Path, flags: libc::c_int) -> OwnedFd {
    try_open(path, flags).unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// open(2) `path` with `flags` (O_CLOEXEC is added), returning the errno on failure.
pub fn try_open(path: &Path, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: valid C string; the new fd is owned by the caller.
    let fd = sys(unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) })?;
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// open(2) read-write.
pub fn open_rw(path: &Path) -> OwnedFd {
    open_file(path, libc::O_RDWR)
}

/// flock(2).
pub fn flock(fd: RawFd, op: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain call on an fd.
    sys(unsafe { libc::flock(fd, op) }).map(|_| ())
}

/// A `struct flock` for SEEK_SET ranges, l_pid 0.
pub fn range(l_type: libc::c_int, start: i64, len: i64) -> libc::flock {
    with_whence(l_type, libc::SEEK_SET, start, len)
}

/// A `struct flock` with an explicit l_whence, l_pid 0.
pub fn with_whence(l_type: libc::c_int, whence: libc::c_int, start: i64, len: i64) -> libc::flock {
    // SAFETY: struct flock is plain data; zero is a valid value for every field.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = l_type as libc::c_short;
    fl.l_whence = whence as libc::c_short;
    fl.l_start = start;
    fl.l_len = len;
    fl
}

/// fcntl(2) with a lock command (F_SETLK, F_SETLKW, F_GETLK, F_OFD_*), raw result.
pub fn fcntl_lock(fd: RawFd, cmd: libc::c_int, fl: &mut libc::flock) -> Result<(), Errno> {
    // SAFETY: the command reads (and for GETLK writes) one struct flock.
    sys(unsafe { libc::fcntl(fd, cmd, fl as *mut libc::flock) }).map(|_| ())
}

/// F_SETLK-like command on a SEEK_SET range.
pub fn setlk(fd: RawFd, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> Result<(), Errno> {
    fcntl_lock(fd, cmd, &mut range(l_type, start, len))
}

/// What a GETLK-like command reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockInfo {
    pub l_type: i32,
    pub l_whence: i32,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
}

impl LockInfo {
    pub fn from_flock(fl: &libc::flock) -> LockInfo {
        LockInfo {
            l_type: fl.l_type as i32,
            l_whence: fl.l_whence as i32,
            l_start: fl.l_start,
            l_len: fl.l_len,
            l_pid: fl.l_pid,
        }
    }

    /// "No conflict": F_UNLCK (the other fields are whatever the request held).
    pub fn is_unlocked(&self) -> bool {
        self.l_type == libc::F_UNLCK
    }

    /// (l_type, l_start, l_len, l_pid) of a reported conflict, for compact assertions.
    pub fn conflict(&self) -> (i32, i64, i64, i32) {
        (self.l_type, self.l_start, self.l_len, self.l_pid)
    }
}

/// F_GETLK-like command on a SEEK_SET range, panicking if the call itself fails.
pub fn getlk(fd: RawFd, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> LockInfo {
    let mut fl = range(l_type, start, len);
    fcntl_lock(fd, cmd, &mut fl).unwrap_or_else(|e| panic!("fcntl getlk {cmd}: {e}"));
    LockInfo::from_flock(&fl)
}

/// Requests an [`Owner`] understands.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// fcntl(fd, cmd, &flock) with the given type/whence/start/len.
    Fcntl = 1,
    /// flock(fd, cmd).
    Flock = 2,
    /// Open the file again (a second description) and close that descriptor.
    OpenAndClose = 3,
    /// dup the fd and close the duplicate.
    DupAndClose = 4,
    /// Leave the request loop (the child then exits 0).
    Exit = 5,
}

/// A child process holding its own open file description of one file and performing lock
/// operations on request. Its locks live exactly as long as it does: dropping the handle
/// (or [`Owner::exit`]) ends it.
pub struct Owner {
    child: Forked,
    requests: Notifier,
    replies: Waiter,
}

/// The reply to one request: the errno (0 for success) and the flock fields afterwards.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    pub result: Result<(), Errno>,
    pub info: LockInfo,
}

impl Owner {
    /// Start an owner that opens `path` with `flags`.
    pub fn open(what: &str, path: &Path, flags: libc::c_int) -> Owner {
        let (req_tx, req_rx) = channel();
        let (rep_tx, rep_rx) = channel();
        let path = path.to_path_buf();
        let child = fixtures::spawn(what, || {
            let fd = open_file(&path, flags);
            owner_loop(fd.as_raw_fd(), &path, flags, &req_rx, &rep_tx);
        });
        drop(req_rx);
        drop(rep_tx);
        Owner { child, requests: req_tx, replies: rep_rx }
    }

    /// Start an owner with a read-write description of `path`.
    pub fn new(what: &str, path: &Path) -> Owner {
        Owner::open(what, path, libc::O_RDWR)
    }

    pub fn pid(&self) -> i32 {
        self.child.pid().as_raw()
    }

    fn send(&self, op: Op, cmd: libc::c_int, fl: &libc::flock) {
        let words = [op as i64, cmd as i64, fl.l_type as i64, fl.l_whence as i64, fl.l_start, fl.l_len];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        self.requests.send(&bytes);
    }

    /// Wait (bounded) for the reply to the last request.
    #[track_caller]
    pub fn reply(&self) -> Reply {
        let b = self.replies.recv(6 * 8);
        let w: Vec<i64> = b.chunks(8).map(|c| i64::from_ne_bytes(c.try_into().unwrap())).collect();
        Reply {
            result: if w[0] == 0 { Ok(()) } else { Err(Errno::from_raw(w[0] as i32)) },
            info: LockInfo { l_type: w[1] as i32, l_whence: w[2] as i32, l_start: w[3], l_len: w[4], l_pid: w[5] as i32 },
        }
    }

    /// Start an fcntl lock command without waiting for its reply (for F_SETLKW that blocks).
    pub fn start_fcntl(&self, cmd: libc::c_int, fl: libc::flock) {
        self.send(Op::Fcntl, cmd, &fl);
    }

    /// An fcntl lock command with a full `struct flock`.
    #[track_caller]
    pub fn fcntl(&self, cmd: libc::c_int, fl: libc::flock) -> Reply {
        self.start_fcntl(cmd, fl);
        self.reply()
    }

    /// A SETLK-like command on a SEEK_SET range.
    #[track_caller]
    pub fn setlk(&self, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> Result<(), Errno> {
        self.fcntl(cmd, range(l_type, start, len)).result
    }

    /// A GETLK-like command on a SEEK_SET range.
    #[track_caller]
    pub fn getlk(&self, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> LockInfo {
        let r = self.fcntl(cmd, range(l_type, start, len));
        r.result.unwrap_or_else(|e| panic!("getlk in the owner: {e}"));
        r.info
    }

    /// Start flock(2) without waiting for the reply.
    pub fn start_flock(&self, op: libc::c_int) {
        self.send(Op::Flock, op, &range(0, 0, 0));
    }

    /// flock(2) on the owner's description.
    #[track_caller]
    pub fn flock(&self, op: libc::c_int) -> Result<(), Errno> {
        self.start_flock(op);
        self.reply().result
    }

    /// Open the file a second time in the owner and close that new descriptor.
    #[track_caller]
    pub fn open_and_close_another_fd(&self) {
        self.send(Op::OpenAndClose, 0, &range(0, 0, 0));
        self.reply().result.expect("open/close in the owner");
    }

    /// dup the owner's descriptor and close the duplicate.
    #[track_caller]
    pub fn dup_and_close(&self) {
        self.send(Op::DupAndClose, 0, &range(0, 0, 0));
        self.reply().result.expect("dup/close in the owner");
    }

    /// Bounded proof that the owner is blocked in its current request.
    #[track_caller]
    pub fn assert_blocked(&mut self, call: &str) {
        self.child.assert_blocked(call);
    }

    /// Send `sig` to the owner.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        self.child.signal(sig);
    }

    /// End the owner (its descriptors close, its locks are released) and reap it.
    #[track_caller]
    pub fn exit(self) {
        self.send(Op::Exit, 0, &range(0, 0, 0));
        let Owner { mut child, .. } = self;
        child.join().expect_success();
    }
}

fn owner_loop(fd: RawFd, path: &Path, flags: libc::c_int, requests: &Waiter, replies: &Notifier) {
    loop {
        let mut buf = [0u8; 48];
        let mut got = 0;
        while got < buf.len() {
            // SAFETY: reading into our own buffer.
            let n = unsafe { libc::read(requests.as_fd().as_raw_fd(), buf[got..].as_mut_ptr().cast(), buf.len() - got) };
            if n == 0 {
                return; // every write end is gone: nothing more will come
            }
            if n < 0 {
                if Errno::last() == Errno::EINTR {
                    continue;
                }
                panic!("owner request pipe: {}", Errno::last());
            }
            got += n as usize;
        }
        let w: Vec<i64> = buf.chunks(8).map(|c| i64::from_ne_bytes(c.try_into().unwrap())).collect();
        let mut fl = with_whence(w[2] as libc::c_int, w[3] as libc::c_int, w[4], w[5]);
        let result = match w[0] {
            1 => fcntl_lock(fd, w[1] as libc::c_int, &mut fl),
            2 => flock(fd, w[1] as libc::c_int),
            3 => try_open(path, flags).map(drop),
            5 => return,
            4 => {
                // SAFETY: dup and close of our own descriptor.
                sys(unsafe { libc::dup(fd) }).map(|d| unsafe {
                    libc::close(d);
                })
            }
            other => panic!("unknown owner request {other}"),
        };
        let errno = match result {
            Ok(()) => 0,
            Err(e) => e as i64,
        };
        let out = [errno, fl.l_type as i64, fl.l_whence as i64, fl.l_start, fl.l_len, fl.l_pid as i64];
        let bytes: Vec<u8> = out.iter().flat_map(|w| w.to_ne_bytes()).collect();
        replies.send(&bytes);
    }
}

/// The identity /proc/locks uses for a file: "major:minor:inode" (proc(5)), with major and
/// minor in hexadecimal, two digits at least.
pub fn proc_locks_id(fd: RawFd) -> String {
    // SAFETY: zeroed stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    sys(unsafe { libc::fstat(fd, &mut st) }).expect("fstat");
    format!("{:02x}:{:02x}:{}", libc::major(st.st_dev), libc::minor(st.st_dev), st.st_ino)
}

/// One line of /proc/locks, split into its fields (proc(5), "/proc/locks").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcLock {
    /// The line starts "N: ->": a blocked request waiting for the lock above it.
    pub blocked: bool,
    /// FLOCK, POSIX, OFDLCK, LEASE, ...
    pub class: String,
    /// ADVISORY / MANDATORY (ACTIVE / BREAKING / BREAKER for leases).
    pub mode: String,
    /// READ / WRITE (UNLCK for a lease being broken to nothing).
    pub access: String,
    pub pid: i64,
    pub id: String,
    pub start: String,
    pub end: String,
}

/// Read /proc/locks in one snapshot ([`fixtures::procfs::read_seq_file`]: a small first
/// read would split the kernel's walk of the global lock list across calls).
pub fn read_proc_locks() -> String {
    fixtures::procfs::read_seq_file("/proc/locks")
}

/// The /proc/locks lines for the file `id` (see [`proc_locks_id`]). One read(2) returns at
/// most a page of the walk; when other processes hold more locks than fit in a page, the
/// next read resumes at a position that their changes may have shifted, so the record of
/// `id` can be skipped or repeated in one pass (seen in the VMs, where other test processes
/// run alongside). The lines are therefore taken from whole passes until two passes in a
/// row agree (bounded by the default deadline).
#[track_caller]
pub fn proc_locks_for(id: &str) -> Vec<ProcLock> {
    let deadline = std::time::Instant::now() + fixtures::scaled(fixtures::DEFAULT_DEADLINE);
    let mut last = proc_locks_pass(id);
    loop {
        let next = proc_locks_pass(id);
        if next == last {
            return next;
        }
        assert!(std::time::Instant::now() < deadline, "/proc/locks never gave the same lines for {id} twice in a row");
        last = next;
    }
}

fn proc_locks_pass(id: &str) -> Vec<ProcLock> {
    let text = read_proc_locks();
    text.lines()
        .filter_map(|line| {
            let mut f: Vec<&str> = line.split_whitespace().collect();
            if f.is_empty() {
                return None;
            }
            f.remove(0); // "N:"
            let blocked = f.first() == Some(&"->");
            if blocked {
                f.remove(0);
            }
            if f.len() < 7 || f[4] != id {
                return None;
            }
            Some(ProcLock {
                blocked,
                class: f[0].to_string(),
                mode: f[1].to_string(),
                access: f[2].to_string(),
                pid: f[3].parse().unwrap_or(i64::MIN),
                id: f[4].to_string(),
                start: f[5].to_string(),
                end: f[6].to_string(),
            })
        })
        .collect()
}

/// Wait (bounded) until the write end of a close-on-exec channel has been closed in every
/// process holding it — for a child that holds the only copy, this happens at its execve(2)
/// (or its exit). Returns true on EOF, false at the deadline.
pub fn closed_within(waiter: &Waiter, limit: std::time::Duration) -> bool {
    let fd = waiter.as_fd().as_raw_fd();
    let deadline = std::time::Instant::now() + fixtures::scaled(limit);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as i32) };
        if r == 0 {
            return false;
        }
        if r < 0 {
            continue;
        }
        let mut b = [0u8; 16];
        // SAFETY: reading into our own buffer.
        if unsafe { libc::read(fd, b.as_mut_ptr().cast(), b.len()) } == 0 {
            return true;
        }
    }
}

/// Gate: leases are enabled (/proc/sys/fs/leases-enable is 1, the default; proc(5): "If this
/// value is zero, leases are disabled").
pub fn leases_enabled() -> Result<(), String> {
    match std::fs::read_to_string("/proc/sys/fs/leases-enable") {
        Ok(v) if v.trim() == "1" => Ok(()),
        Ok(v) => Err(format!("leases are disabled here (fs/leases-enable = {})", v.trim())),
        Err(e) => Err(format!("cannot read /proc/sys/fs/leases-enable: {e}")),
    }
}

/// F_SETLEASE with `arg`.
pub fn set_lease(fd: RawFd, arg: libc::c_int) -> Result<(), Errno> {
    // SAFETY: F_SETLEASE takes an int argument.
    sys(unsafe { libc::fcntl(fd, libc::F_SETLEASE, arg) }).map(|_| ())
}

/// F_GETLEASE: F_RDLCK, F_WRLCK or F_UNLCK.
pub fn get_lease(fd: RawFd) -> Result<libc::c_int, Errno> {
    // SAFETY: F_GETLEASE takes no argument.
    sys(unsafe { libc::fcntl(fd, libc::F_GETLEASE) })
}
