//! Suite `sysv_ipc`: System V IPC (sysvipc(7)) — shared memory segments: shmget(2) with a
//! key, shmat(2)/shmdt(2) (shmop(2)), shmctl(2) IPC_STAT and IPC_RMID, permissions.
//!
//! Topics (one test file each):
//! - `shm_keys`: creating a segment for a key, IPC_CREAT|IPC_EXCL, finding it again.
//! - `shm_lifetime`: shm_nattch across attach, fork and exit; IPC_RMID marks a segment for
//!   destruction that happens at the last detach.
//! - `shm_permissions`: another user and a 0600 segment.
//! - `shm_exec.rs`: execve(2) detaches the System V shared memory segments a process had attached.
//!
//! What PostgreSQL's postmaster interlock relies on (src/backend/port/sysv_shmem.c:
//! InternalIpcMemoryCreate, PGSharedMemoryIsInUse) is covered by these three files. The
//! research for issue 16 found no kernel change to System V IPC between 5.10 and 7.3 (its
//! row N09: defaults unchanged), so nothing here is version-dependent; semaphores and message
//! queues are not covered yet.
//!
//! Sources: sysvipc(7), shmget(2), shmop(2), shmctl(2), ftok(3), ipc(5)-style permission
//! rules of shmget(2) ("EACCES").
//!
//! Helpers: [`Segment`] (a segment created for a fresh key, removed with IPC_RMID on drop),
//! [`Attached`] (an attachment, detached on drop), [`shm_stat`].

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;

use fixtures::Scratch;
use nix::errno::Errno;

/// shmctl(2): "SHM_DEST: segment will be destroyed" (the mode bit IPC_RMID sets while
/// attachments remain).
pub const SHM_DEST: u16 = 0o1000;

/// shmget(2) as one call.
pub fn shmget(key: libc::key_t, size: usize, flags: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: integer arguments.
    fixtures::sys(unsafe { libc::shmget(key, size, flags) })
}

/// shmctl(IPC_STAT) as one call.
pub fn shm_stat(id: libc::c_int) -> Result<libc::shmid_ds, Errno> {
    // SAFETY: an all-zero shmid_ds is valid; the kernel fills it.
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: a valid buffer.
    fixtures::sys(unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) }).map(|_| ds)
}

/// shmctl(IPC_RMID) as one call.
pub fn shm_rmid(id: libc::c_int) -> Result<(), Errno> {
    // SAFETY: IPC_RMID takes no buffer.
    fixtures::sys(unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) }).map(drop)
}

/// ftok(3) of `path` with project id `proj`.
pub fn ftok(path: &std::path::Path, proj: libc::c_int) -> libc::key_t {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid path string.
    let key = unsafe { libc::ftok(c.as_ptr(), proj) };
    assert_ne!(key, -1, "ftok({}): {}", path.display(), Errno::last());
    key
}

/// A segment created with IPC_CREAT|IPC_EXCL for a key of its own: ftok(3) of a fresh
/// scratch directory, with the next project id when that key is taken already (ftok keys
/// are not unique: 16 bits of inode, 8 of device). Removed with IPC_RMID on drop (an error
/// there — already removed — is ignored).
pub struct Segment {
    pub key: libc::key_t,
    pub id: libc::c_int,
    _dir: Scratch,
}

impl Segment {
    #[track_caller]
    pub fn create(size: usize, mode: libc::c_int) -> Segment {
        let dir = Scratch::new();
        for proj in 1..=255 {
            let key = ftok(dir.path(), proj);
            match shmget(key, size, libc::IPC_CREAT | libc::IPC_EXCL | mode) {
                Ok(id) => return Segment { key, id, _dir: dir },
                Err(Errno::EEXIST) => continue,
                Err(e) => panic!("shmget(IPC_CREAT|IPC_EXCL|{mode:o}): {e}"),
            }
        }
        panic!("every ftok key of {} is taken", dir.path().display());
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        let _ = shm_rmid(self.id);
    }
}

/// An attachment made by shmat(2), detached with shmdt(2) on drop unless [`Attached::detach`]
/// did it.
pub struct Attached {
    addr: *mut u8,
    len: usize,
}

impl Attached {
    /// shmat(id, NULL, flags) as one call.
    pub fn attach(id: libc::c_int, flags: libc::c_int) -> Result<Attached, Errno> {
        let len = shm_stat(id).map(|ds| ds.shm_segsz).unwrap_or(0);
        // SAFETY: the kernel chooses the address.
        let p = unsafe { libc::shmat(id, std::ptr::null(), flags) };
        if p as isize == -1 { Err(Errno::last()) } else { Ok(Attached { addr: p.cast(), len }) }
    }

    /// The attached memory.
    #[allow(clippy::mut_from_ref)]
    pub fn bytes(&self) -> &mut [u8] {
        // SAFETY: the attachment is ours while self lives.
        unsafe { std::slice::from_raw_parts_mut(self.addr, self.len) }
    }

    /// shmdt(2) as one call.
    pub fn detach(mut self) -> Result<(), Errno> {
        let addr = std::mem::replace(&mut self.addr, std::ptr::null_mut());
        // SAFETY: detaching our own attachment.
        fixtures::sys(unsafe { libc::shmdt(addr.cast()) }).map(drop)
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        if !self.addr.is_null() {
            // SAFETY: detaching our own attachment.
            unsafe { libc::shmdt(self.addr.cast()) };
        }
    }
}
