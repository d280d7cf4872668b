//! Suite `posix_shm`: POSIX shared memory objects (shm_open(3) on Linux: files in the
//! tmpfs mounted on /dev/shm, opened with O_NOFOLLOW|O_CLOEXEC by glibc).
//!
//! Topics (one test file each):
//! - `open_flags`: O_CREAT, O_EXCL, O_TRUNC, O_RDONLY (and what mmap(2) then allows),
//!   FD_CLOEXEC, the lowest free descriptor.
//! - `names`: the name rules, the file /dev/shm/NAME.
//! - `size`: a new object has size 0; ftruncate(2) grows with zeros and shrinks; fstat(2)
//!   reports size, mode and owner; the umask.
//! - `sharing`: MAP_SHARED visibility between processes that open the name themselves
//!   (forked and exec'd), persistence until shm_unlink(3), unlink with live mappings.
//! - `sigbus`: access beyond the end of the object (also after it shrinks) raises SIGBUS;
//!   the partial last page reads zero.
//! - `permissions`: another user and the permission bits, O_TRUNC, shm_unlink(3) in the
//!   sticky /dev/shm.
//! - `producer_consumer`: synchronising through semaphores inside the object: a ring
//!   buffer with a producer and a consumer process, and the shm_open(3) EXAMPLES program.
//!
//! Sources: shm_overview(7), shm_open(3), mmap(2), ftruncate(2), fstat(2), sem_init(3),
//! POSIX.1-2024 shm_open() and mmap().
//!
//! Helpers shared by the test files: raw shm_open/shm_unlink returning the errno, a
//! mapping that unmaps itself, fstat, and a probe that an exec'd copy of the test binary
//! runs to open an object by name.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use fixtures::sys;
use nix::errno::Errno;

/// shm_open(3) returning the new descriptor or the errno.
pub fn shm_open(name: &CStr, oflag: libc::c_int, mode: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: a valid C string.
    let fd = sys(unsafe { libc::shm_open(name.as_ptr(), oflag, mode as libc::mode_t) })?;
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// shm_unlink(3).
pub fn shm_unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: a valid C string.
    sys(unsafe { libc::shm_unlink(name.as_ptr()) }).map(|_| ())
}

/// Create a new object (O_CREAT|O_EXCL|O_RDWR, mode 0600) of `size` bytes.
#[track_caller]
pub fn create(name: &fixtures::IpcName, size: usize) -> OwnedFd {
    let fd = shm_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600)
        .unwrap_or_else(|e| panic!("shm_open({}, O_CREAT|O_EXCL|O_RDWR): {e}", name.as_str()));
    ftruncate(fd.as_raw_fd(), size).unwrap();
    fd
}

/// ftruncate(2).
pub fn ftruncate(fd: RawFd, size: usize) -> Result<(), Errno> {
    // SAFETY: plain call.
    sys(unsafe { libc::ftruncate(fd, size as libc::off_t) }).map(|_| ())
}

/// fstat(2).
pub fn fstat(fd: RawFd) -> libc::stat {
    // SAFETY: a zeroed stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::fstat(fd, &mut st) }, 0, "fstat({fd}): {}", Errno::last());
    st
}

/// The page size.
pub fn page() -> usize {
    // SAFETY: sysconf takes a name.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// A mapping made with mmap(2), unmapped when dropped.
#[derive(Debug)]
pub struct Mapping {
    addr: *mut u8,
    len: usize,
}

// SAFETY: shared memory; tests synchronise their accesses.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

/// mmap(2) of `len` bytes of `fd` at offset 0.
pub fn map(fd: RawFd, len: usize, prot: libc::c_int, flags: libc::c_int) -> Result<Mapping, Errno> {
    // SAFETY: a new mapping chosen by the kernel.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd, 0) };
    if p == libc::MAP_FAILED { Err(Errno::last()) } else { Ok(Mapping { addr: p.cast(), len }) }
}

/// A read-write MAP_SHARED mapping of `len` bytes; panics on failure.
#[track_caller]
pub fn map_rw(fd: &OwnedFd, len: usize) -> Mapping {
    map(fd.as_raw_fd(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED)
        .unwrap_or_else(|e| panic!("mmap of {len} bytes: {e}"))
}

impl Mapping {
    pub fn as_ptr(&self) -> *mut u8 {
        self.addr
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Read byte `i` (volatile: another process may have written it).
    pub fn get(&self, i: usize) -> u8 {
        assert!(i < self.len);
        // SAFETY: inside the mapping.
        unsafe { std::ptr::read_volatile(self.addr.add(i)) }
    }
    /// Write byte `i`.
    pub fn set(&self, i: usize, v: u8) {
        assert!(i < self.len);
        // SAFETY: inside the mapping.
        unsafe { std::ptr::write_volatile(self.addr.add(i), v) }
    }
    /// Copy `bytes` to offset `at`.
    pub fn write(&self, at: usize, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            self.set(at + i, *b);
        }
    }
    /// `n` bytes from offset `at`.
    pub fn read(&self, at: usize, n: usize) -> Vec<u8> {
        (at..at + n).map(|i| self.get(i)).collect()
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.addr.cast(), self.len) };
    }
}

/// /dev/shm/NAME, where Linux keeps the object (shm_overview(7)).
pub fn dev_shm_path(name: &fixtures::IpcName) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/dev/shm/{}", name.bare()))
}

const PROBE_ENV: &str = "IPCSPEC_SHM_PROBE";

/// The shm probe: when the test binary is started with IPCSPEC_SHM_PROBE=NAME, it opens the
/// object NAME by name (O_RDWR, no O_CREAT), maps one page, reads the NUL-terminated text
/// at offset 0, writes it in upper case at offset 2048, prints "probe read: TEXT" and
/// exits 0; a failed call exits with its errno. A test that execs the probe must refer to
/// [`SHM_PROBE`] so that the linker keeps it.
#[used]
#[unsafe(link_section = ".init_array")]
pub static SHM_PROBE: extern "C" fn() = shm_probe;

extern "C" fn shm_probe() {
    // SAFETY: getenv before main, nothing modifies the environment concurrently.
    let raw = unsafe { libc::getenv(c"IPCSPEC_SHM_PROBE".as_ptr()) };
    if raw.is_null() {
        return;
    }
    // SAFETY: a C string from getenv; the calls below are plain system calls.
    let code = unsafe {
        let fd = libc::shm_open(raw, libc::O_RDWR, 0);
        if fd < 0 {
            Errno::last() as i32
        } else {
            let p = libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0);
            if p == libc::MAP_FAILED {
                Errno::last() as i32
            } else {
                let base = p.cast::<u8>();
                let text = CStr::from_ptr(base.cast()).to_bytes().to_vec();
                for (i, b) in text.iter().enumerate() {
                    *base.add(2048 + i) = b.to_ascii_uppercase();
                }
                *base.add(2048 + text.len()) = 0;
                let line = format!("probe read: {}\n", String::from_utf8_lossy(&text));
                libc::write(1, line.as_ptr().cast(), line.len());
                0
            }
        }
    };
    // SAFETY: the probe is a complete program.
    unsafe { libc::_exit(code) }
}

/// In a forked child: exec this test binary as the shm probe for `name`, with stdout on
/// `out`. Never returns.
pub fn exec_shm_probe(name: &CStr, out: RawFd) -> ! {
    let _ = std::hint::black_box(&SHM_PROBE);
    // SAFETY: dup2 onto stdout in the child about to exec.
    unsafe { libc::dup2(out, 1) };
    let exe = c"/proc/self/exe";
    let argv = [c"ipcspec-shm-probe".to_owned()];
    let mut env: Vec<std::ffi::CString> = std::env::vars_os()
        .filter(|(k, _)| k != PROBE_ENV && k != "IPCSPEC_PROBE")
        .filter_map(|(k, v)| {
            let mut s = k.into_encoded_bytes();
            s.push(b'=');
            s.extend(v.into_encoded_bytes());
            std::ffi::CString::new(s).ok()
        })
        .collect();
    env.push(std::ffi::CString::new(format!("{PROBE_ENV}={}", name.to_string_lossy())).unwrap());
    let err = nix::unistd::execve(exe, &argv, &env).unwrap_err();
    eprintln!("exec of the shm probe failed: {err}");
    fixtures::child::exit_now(126)
}

/// Mode bits so that "another user" gets `others` (0, 4, 6) on an object: as root the
/// child becomes nobody, so group and other get `others` and the owner (root) keeps rw; as
/// an unprivileged user the child is the owner, so the owner class gets `others`.
pub fn mode_for_other_user(others: u32) -> u32 {
    if fixtures::privilege::can_switch_user() { 0o600 | (others << 3) | others } else { others << 6 }
}
