//! The IPC objects the tests move between namespaces: POSIX message queues and shared
//! memory objects (by name), System V message queues, shared memory segments and semaphore
//! sets (by key and identifier).
//!
//! Every call returns the exact errno, since "not found" (ENOENT, EINVAL) versus "found but
//! refused" (EACCES) is the whole point of a namespace claim.

use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};

use fixtures::{sys, sys_size};
use nix::errno::Errno;

use fixtures::io::owned;

/// Small queues: the bytes of every queue of a user count against one RLIMIT_MSGQUEUE.
pub const MQ_MAXMSG: libc::c_long = 4;
pub const MQ_MSGSIZE: libc::c_long = 64;

/// mq_open(3) with O_CREAT|O_EXCL|O_RDWR|O_NONBLOCK, mode 0600 and the given attributes.
pub fn mq_create_with(name: &CStr, maxmsg: libc::c_long, msgsize: libc::c_long) -> Result<OwnedFd, Errno> {
    // SAFETY: zeroed mq_attr is valid; then the two fields mq_open reads are set.
    let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
    attr.mq_maxmsg = maxmsg;
    attr.mq_msgsize = msgsize;
    let flags = libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_NONBLOCK;
    // SAFETY: valid name and attr pointers; mode passed as the variadic argument.
    sys(unsafe { libc::mq_open(name.as_ptr(), flags, 0o600 as libc::mode_t, &attr as *const libc::mq_attr) }).map(owned)
}

/// A new small queue (see [`MQ_MAXMSG`]).
pub fn mq_create(name: &CStr) -> Result<OwnedFd, Errno> {
    mq_create_with(name, MQ_MAXMSG, MQ_MSGSIZE)
}

/// mq_open(3) of an existing queue, O_RDWR|O_NONBLOCK.
pub fn mq_open_existing(name: &CStr) -> Result<OwnedFd, Errno> {
    // SAFETY: valid name.
    sys(unsafe { libc::mq_open(name.as_ptr(), libc::O_RDWR | libc::O_NONBLOCK) }).map(owned)
}

/// mq_unlink(3).
pub fn mq_unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: valid name.
    sys(unsafe { libc::mq_unlink(name.as_ptr()) }).map(|_| ())
}

/// mq_send(3) at priority 0; panics on failure.
#[track_caller]
pub fn mq_send(fd: impl AsFd, msg: &[u8]) {
    // SAFETY: valid buffer.
    let r = sys(unsafe { libc::mq_send(fd.as_fd().as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) });
    if let Err(e) = r {
        panic!("mq_send: {e:?}");
    }
}

/// mq_receive(3) on a nonblocking queue (EAGAIN when empty).
pub fn mq_receive(fd: impl AsFd) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; 16384];
    // SAFETY: buffer of the given size; priority pointer may be null.
    let n = sys_size(unsafe {
        libc::mq_receive(fd.as_fd().as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), std::ptr::null_mut())
    })?;
    buf.truncate(n);
    Ok(buf)
}

/// shm_open(3) with O_CREAT|O_EXCL|O_RDWR, mode 0600.
pub fn shm_create(name: &CStr) -> Result<OwnedFd, Errno> {
    // SAFETY: valid name.
    sys(unsafe { libc::shm_open(name.as_ptr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600) }).map(owned)
}

/// shm_open(3) of an existing object, O_RDWR.
pub fn shm_open_existing(name: &CStr) -> Result<OwnedFd, Errno> {
    // SAFETY: valid name.
    sys(unsafe { libc::shm_open(name.as_ptr(), libc::O_RDWR, 0) }).map(owned)
}

/// pread(2) of `n` bytes at offset 0.
#[track_caller]
pub fn read_at_start(fd: impl AsFd, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    let got = nix::sys::uio::pread(fd, &mut buf, 0).expect("pread");
    buf.truncate(got);
    buf
}

/// pwrite(2) of all of `b` at offset 0.
#[track_caller]
pub fn write_at_start(fd: impl AsFd, b: &[u8]) {
    assert_eq!(nix::sys::uio::pwrite(fd, b, 0), Ok(b.len()), "pwrite at offset 0");
}

/// The System V IPC mechanisms (sysvipc(7)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysV {
    Msg,
    Shm,
    Sem,
}

/// Size of the System V shared memory segments the tests make.
const SHM_SIZE: usize = 4096;

impl SysV {
    /// msgget(2) / shmget(2) / semget(2) with `flags` (IPC_CREAT, IPC_EXCL, mode bits).
    pub fn get(self, key: libc::key_t, flags: libc::c_int) -> Result<libc::c_int, Errno> {
        // SAFETY: plain system calls with integer arguments.
        sys(unsafe {
            match self {
                SysV::Msg => libc::msgget(key, flags),
                SysV::Shm => libc::shmget(key, SHM_SIZE, flags),
                SysV::Sem => libc::semget(key, 1, flags),
            }
        })
    }

    /// A new object with `key`, mode 0600, failing if the key exists (IPC_EXCL).
    pub fn create(self, key: libc::key_t) -> Result<libc::c_int, Errno> {
        self.get(key, libc::IPC_CREAT | libc::IPC_EXCL | 0o600)
    }

    /// IPC_STAT of identifier `id` (the result itself is not needed, only whether `id`
    /// names an object here).
    pub fn stat(self, id: libc::c_int) -> Result<(), Errno> {
        // SAFETY: each *_ds is plain data the kernel fills.
        unsafe {
            match self {
                SysV::Msg => {
                    let mut ds: libc::msqid_ds = std::mem::zeroed();
                    sys(libc::msgctl(id, libc::IPC_STAT, &mut ds)).map(|_| ())
                }
                SysV::Shm => {
                    let mut ds: libc::shmid_ds = std::mem::zeroed();
                    sys(libc::shmctl(id, libc::IPC_STAT, &mut ds)).map(|_| ())
                }
                SysV::Sem => {
                    let mut ds: libc::semid_ds = std::mem::zeroed();
                    sys(libc::semctl(id, 0, libc::IPC_STAT, &mut ds as *mut libc::semid_ds)).map(|_| ())
                }
            }
        }
    }

    /// IPC_RMID.
    pub fn remove(self, id: libc::c_int) -> Result<(), Errno> {
        // SAFETY: IPC_RMID takes no buffer.
        sys(unsafe {
            match self {
                SysV::Msg => libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()),
                SysV::Shm => libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()),
                SysV::Sem => libc::semctl(id, 0, libc::IPC_RMID),
            }
        })
        .map(|_| ())
    }

    /// Store a one-byte tag in the object: a message of type 7 holding it (msg), the first
    /// byte of the segment (shm), or the semaphore's value (sem).
    #[track_caller]
    pub fn put(self, id: libc::c_int, tag: u8) {
        const LONG: usize = std::mem::size_of::<libc::c_long>();
        // SAFETY: buffers sized for what each call reads.
        unsafe {
            match self {
                SysV::Msg => {
                    let mut m = [0u8; LONG + 1];
                    m[..LONG].copy_from_slice(&(7 as libc::c_long).to_ne_bytes());
                    m[LONG] = tag;
                    sys(libc::msgsnd(id, m.as_ptr().cast(), 1, libc::IPC_NOWAIT)).expect("msgsnd");
                }
                SysV::Shm => {
                    let p = libc::shmat(id, std::ptr::null(), 0);
                    assert_ne!(p as isize, -1, "shmat: {:?}", Errno::last());
                    *p.cast::<u8>() = tag;
                    libc::shmdt(p);
                }
                SysV::Sem => {
                    sys(libc::semctl(id, 0, libc::SETVAL, tag as libc::c_int)).expect("semctl SETVAL");
                }
            }
        }
    }

    /// Read back the tag [`SysV::put`] stored (for msg: receive the message, without
    /// waiting).
    #[track_caller]
    pub fn take(self, id: libc::c_int) -> u8 {
        const LONG: usize = std::mem::size_of::<libc::c_long>();
        // SAFETY: buffers sized for what each call writes.
        unsafe {
            match self {
                SysV::Msg => {
                    let mut m = [0u8; LONG + 16];
                    let got = sys_size(libc::msgrcv(id, m.as_mut_ptr().cast(), 16, 7, libc::IPC_NOWAIT)).expect("msgrcv");
                    assert_eq!(got, 1, "message length");
                    m[LONG]
                }
                SysV::Shm => {
                    let p = libc::shmat(id, std::ptr::null(), libc::SHM_RDONLY);
                    assert_ne!(p as isize, -1, "shmat: {:?}", Errno::last());
                    let v = *p.cast::<u8>();
                    libc::shmdt(p);
                    v
                }
                SysV::Sem => sys(libc::semctl(id, 0, libc::GETVAL)).expect("semctl GETVAL") as u8,
            }
        }
    }

    /// The file of /proc/sysvipc listing objects of this kind.
    pub fn proc_file(self) -> &'static str {
        match self {
            SysV::Msg => "/proc/sysvipc/msg",
            SysV::Shm => "/proc/sysvipc/shm",
            SysV::Sem => "/proc/sysvipc/sem",
        }
    }
}

/// The (key, id) pairs /proc/sysvipc/<kind> lists for the reader's IPC namespace.
#[track_caller]
pub fn proc_sysvipc(kind: SysV) -> Vec<(libc::key_t, libc::c_int)> {
    let text = std::fs::read_to_string(kind.proc_file()).unwrap_or_else(|e| panic!("read {}: {e}", kind.proc_file()));
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
        })
        .collect()
}

/// A key that no other test process is likely to use: the pid and a counter in the low
/// bits under a fixed tag. Creation uses IPC_EXCL, so a clash is detected, not shared.
pub fn fresh_key() -> libc::key_t {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed) & 0xff;
    (0x4900_0000u32 | ((std::process::id() & 0xffff) << 8) | n) as libc::key_t
}

/// A System V object that is removed (IPC_RMID) when dropped, also when the test fails.
pub struct SysvGuard {
    pub kind: SysV,
    pub id: libc::c_int,
    pub key: libc::key_t,
}

impl SysvGuard {
    /// A new object of `kind` under a fresh key in the caller's IPC namespace.
    #[track_caller]
    pub fn create(kind: SysV) -> SysvGuard {
        for _ in 0..64 {
            let key = fresh_key();
            match kind.create(key) {
                Ok(id) => return SysvGuard { kind, id, key },
                Err(Errno::EEXIST) => continue,
                Err(e) => panic!("{kind:?} get(IPC_CREAT|IPC_EXCL): {e:?}"),
            }
        }
        panic!("no free System V key found");
    }

    /// A new private (IPC_PRIVATE) object of `kind`.
    #[track_caller]
    pub fn private(kind: SysV) -> SysvGuard {
        let id = kind.get(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600).unwrap_or_else(|e| panic!("{kind:?} IPC_PRIVATE: {e:?}"));
        SysvGuard { kind, id, key: libc::IPC_PRIVATE }
    }
}

impl Drop for SysvGuard {
    fn drop(&mut self) {
        let _ = self.kind.remove(self.id);
    }
}
