//! Suite `shared_mappings`: memory shared through mappings — mmap(2) of files with
//! MAP_SHARED and MAP_PRIVATE, anonymous shared memory across fork(2), msync(2), munmap(2),
//! mremap(2), memfd_create(2) and file seals (fcntl(2), "File Sealing").
//!
//! Topics (one test file each):
//! - `file_shared`: stores through a MAP_SHARED mapping reach the file and other mappings
//!   (other processes included), and the mapping outlives the descriptor and the name.
//! - `file_private`: MAP_PRIVATE copy-on-write isolation, and what a private mapping sees of
//!   later changes to the file.
//! - `msync`: its flags and errors.
//! - `end_of_file`: the page past end of file (SIGBUS), truncation, the zero-filled tail
//!   of the last page.
//! - `anonymous`: MAP_SHARED|MAP_ANONYMOUS vs MAP_PRIVATE across fork.
//! - `protection`: open mode vs PROT_WRITE (EACCES), PROT_NONE and read-only faults.
//! - `fixed`: MAP_FIXED and MAP_FIXED_NOREPLACE.
//! - `mremap`: growing, moving, shrinking and duplicating shared mappings.
//! - `memfd`: memfd_create(2) as an anonymous shared file.
//! - `seals`: F_ADD_SEALS/F_GET_SEALS and each seal's effect.
//! - `memfd_exec`: MFD_NOEXEC_SEAL, MFD_EXEC, F_SEAL_EXEC and vm.memfd_noexec (Linux 6.3+).
//!
//! Faults are always taken in a forked child, whose SIGSEGV/SIGBUS handler reports the
//! signal number, si_code and si_addr to the parent and exits ([`fault_in_child`]).
//! Claims that depend on which mappings exist (seals refused while a writable mapping
//! exists) are checked inside a child too: under plain `cargo test` another test's fork
//! would copy the parent's mappings into its child.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, Ordering};

use fixtures::{spawn, sys};
use nix::errno::Errno;

/// The system page size.
pub fn page() -> usize {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE).unwrap().unwrap() as usize
}

/// A mapping made by mmap(2), unmapped on drop.
pub struct Map {
    ptr: NonNull<u8>,
    len: usize,
}

impl Map {
    /// mmap(NULL, len, prot, flags, fd, offset); the exact errno on failure.
    pub fn new(len: usize, prot: libc::c_int, flags: libc::c_int, fd: Option<&dyn AsRawFd>, offset: i64) -> Result<Map, Errno> {
        Map::at(0, len, prot, flags, fd, offset)
    }

    /// mmap with an address hint or a fixed address (`flags` decides).
    pub fn at(addr: usize, len: usize, prot: libc::c_int, flags: libc::c_int, fd: Option<&dyn AsRawFd>, offset: i64) -> Result<Map, Errno> {
        let raw = fd.map_or(-1, |f| f.as_raw_fd());
        // SAFETY: mmap validates its arguments; a MAP_FIXED caller owns the range it names.
        let p = unsafe { libc::mmap(addr as *mut _, len, prot, flags, raw, offset) };
        if p == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        Ok(Map { ptr: NonNull::new(p.cast()).unwrap(), len })
    }

    /// A shared mapping of `len` bytes of `fd` from offset 0, read and write.
    pub fn shared(fd: &impl AsRawFd, len: usize) -> Map {
        Map::new(len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, Some(fd), 0).expect("mmap MAP_SHARED")
    }

    /// A private mapping of `len` bytes of `fd` from offset 0, read and write.
    pub fn private(fd: &impl AsRawFd, len: usize) -> Map {
        Map::new(len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE, Some(fd), 0).expect("mmap MAP_PRIVATE")
    }

    /// Anonymous memory, shared or private.
    pub fn anonymous(len: usize, shared: bool) -> Map {
        let kind = if shared { libc::MAP_SHARED } else { libc::MAP_PRIVATE };
        Map::new(len, libc::PROT_READ | libc::PROT_WRITE, kind | libc::MAP_ANONYMOUS, None, 0).expect("mmap anonymous")
    }

    pub fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The mapping as bytes; the caller must only touch accessible pages.
    #[allow(clippy::mut_from_ref)]
    pub fn bytes(&self) -> &mut [u8] {
        // SAFETY: the mapping is ours and lives as long as self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Volatile read of one byte (so the access really happens, e.g. to fault).
    pub fn load(&self, off: usize) -> u8 {
        assert!(off < self.len);
        // SAFETY: inside the mapping; a fault is what some tests want.
        unsafe { std::ptr::read_volatile(self.ptr.as_ptr().add(off)) }
    }

    /// Volatile write of one byte.
    pub fn store(&self, off: usize, v: u8) {
        assert!(off < self.len);
        // SAFETY: inside the mapping; a fault is what some tests want.
        unsafe { std::ptr::write_volatile(self.ptr.as_ptr().add(off), v) }
    }

    /// Forget the mapping without unmapping it (after mremap moved or resized it).
    pub fn leak(self) -> (usize, usize) {
        let r = (self.addr(), self.len);
        std::mem::forget(self);
        r
    }

    /// Take over a mapping made elsewhere (e.g. returned by mremap).
    ///
    /// # Safety
    /// `addr`/`len` must describe a mapping nobody else will unmap.
    pub unsafe fn from_raw(addr: usize, len: usize) -> Map {
        Map { ptr: NonNull::new(addr as *mut u8).unwrap(), len }
    }
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Map({:#x}, {} bytes)", self.addr(), self.len)
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: unmapping what we own.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// Open `path` with `flags` (O_CLOEXEC added); the exact errno on failure.
pub fn open(path: &std::path::Path, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid path string.
    let fd = sys(unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC, 0o600) })?;
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A scratch file holding `content`, opened O_RDWR.
pub fn file_with(scratch: &fixtures::Scratch, name: &str, content: &[u8]) -> (std::path::PathBuf, OwnedFd) {
    let p = scratch.file(name, content);
    let fd = open(&p, libc::O_RDWR).expect("open scratch file");
    (p, fd)
}

/// pread(2) of `len` bytes at `off`.
pub fn pread(fd: &impl AsRawFd, len: usize, off: i64) -> Vec<u8> {
    let mut b = vec![0u8; len];
    // SAFETY: reading into our own buffer.
    let n = fixtures::sys_size(unsafe { libc::pread(fd.as_raw_fd(), b.as_mut_ptr().cast(), len, off) }).expect("pread");
    b.truncate(n);
    b
}

/// pwrite(2) of `data` at `off`; the exact errno on failure.
pub fn pwrite(fd: &impl AsRawFd, data: &[u8], off: i64) -> Result<usize, Errno> {
    // SAFETY: writing from our own buffer.
    fixtures::sys_size(unsafe { libc::pwrite(fd.as_raw_fd(), data.as_ptr().cast(), data.len(), off) })
}

/// write(2) at the current offset.
pub fn write(fd: &impl AsRawFd, data: &[u8]) -> Result<usize, Errno> {
    // SAFETY: writing from our own buffer.
    fixtures::sys_size(unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) })
}

pub fn ftruncate(fd: &impl AsRawFd, len: i64) -> Result<(), Errno> {
    // SAFETY: plain ftruncate.
    sys(unsafe { libc::ftruncate(fd.as_raw_fd(), len) }).map(drop)
}

/// st_size and st_mode of an open file.
pub fn stat(fd: &impl std::os::fd::AsFd) -> (i64, u32) {
    let st = nix::sys::stat::fstat(fd).expect("fstat");
    (st.st_size, st.st_mode)
}

/// msync(2) of a raw range.
pub fn msync(addr: usize, len: usize, flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: msync validates the range.
    sys(unsafe { libc::msync(addr as *mut _, len, flags) }).map(drop)
}

/// memfd_create(2); the exact errno on failure.
pub fn memfd(name: &str, flags: libc::c_uint) -> Result<OwnedFd, Errno> {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: a valid name string.
    let fd = sys(unsafe { libc::memfd_create(c.as_ptr(), flags) })?;
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// F_GET_SEALS.
pub fn seals(fd: &impl AsRawFd) -> Result<libc::c_int, Errno> {
    // SAFETY: plain fcntl.
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) })
}

/// F_ADD_SEALS.
pub fn add_seals(fd: &impl AsRawFd, s: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain fcntl.
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, s) }).map(drop)
}

/// What a fault in a child looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub signo: i32,
    pub code: i32,
    pub addr: usize,
}

static FAULT_REPORT_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn report_fault(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler; write(2) and
    // _exit(2) are async-signal-safe.
    unsafe {
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&sig.to_ne_bytes());
        rec[4..8].copy_from_slice(&(*info).si_code.to_ne_bytes());
        rec[8..16].copy_from_slice(&((*info).si_addr() as u64).to_ne_bytes());
        libc::write(FAULT_REPORT_FD.load(Ordering::SeqCst), rec.as_ptr().cast(), 16);
        libc::_exit(0);
    }
}

/// Run `f` in a forked child with SIGSEGV and SIGBUS handlers that report the fault and exit.
/// Returns the fault; panics if `f` returns without faulting or the child fails otherwise.
#[track_caller]
pub fn fault_in_child(f: impl FnOnce()) -> Fault {
    let (tx, rx) = fixtures::sync::channel();
    let mut child = spawn("faulting child", || {
        FAULT_REPORT_FD.store(tx.as_fd().as_raw_fd(), Ordering::SeqCst);
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            // SAFETY: installing a handler that only writes and exits.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = report_fault as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
                sa.sa_flags = libc::SA_SIGINFO;
                assert_eq!(libc::sigaction(sig, &sa, std::ptr::null_mut()), 0);
            }
        }
        f();
        fixtures::child::exit_now(77);
    });
    drop(tx);
    let outcome = child.join();
    match rx.recv_within(16, std::time::Duration::ZERO) {
        Ok(rec) => {
            outcome.expect_success();
            Fault {
                signo: i32::from_ne_bytes(rec[0..4].try_into().unwrap()),
                code: i32::from_ne_bytes(rec[4..8].try_into().unwrap()),
                addr: u64::from_ne_bytes(rec[8..16].try_into().unwrap()) as usize,
            }
        }
        Err(_) if outcome == fixtures::Outcome::Exited(77) => panic!("the child's accesses did not fault"),
        Err(_) => panic!("the faulting child {outcome}"),
    }
}

/// SIGSEGV si_codes (sigaction(2)).
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
/// SIGBUS si_code for "Nonexistent physical address" (sigaction(2)).
pub const BUS_ADRERR: i32 = 2;
