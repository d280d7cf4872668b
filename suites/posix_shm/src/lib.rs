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
//! Helpers shared by the test files: raw shm_open/shm_unlink returning the errno, the file
//! behind a name, a probe that an exec'd copy of the test binary runs to open an object by
//! name (registered with [`fixtures::probe!`]), and the parameter set [`cases::open_modes`].
//! Mappings come from [`fixtures::memory`], fstat(2) from nix.

pub mod cases;

use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::io::{ftruncate, owned};
use fixtures::sys;
use nix::errno::Errno;

/// shm_open(3) returning the new descriptor or the errno.
pub fn shm_open(name: &CStr, oflag: libc::c_int, mode: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: a valid C string; the descriptor returned is fresh.
    sys(unsafe { libc::shm_open(name.as_ptr(), oflag, mode as libc::mode_t) }).map(owned)
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
    ftruncate(&fd, size as i64).unwrap();
    fd
}

/// A unique name made from `tag` and a new object of `size` bytes under it ([`create`]).
/// Bind both, `let (name, fd) = new_object(..)`: the descriptor is closed first, then the
/// name's guard unlinks the object.
#[track_caller]
pub fn new_object(tag: &str, size: usize) -> (fixtures::IpcName, OwnedFd) {
    let name = fixtures::IpcName::shm(tag);
    let fd = create(&name, size);
    (name, fd)
}

/// /dev/shm/NAME, where Linux keeps the object (shm_overview(7)).
pub fn dev_shm_path(name: &fixtures::IpcName) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/dev/shm/{}", name.bare()))
}

fixtures::probe!("shm-upper", shm_upper);

/// The probe `shm-upper NAME`: opens the object NAME by name (O_RDWR, no O_CREAT), maps
/// one page, reads the NUL-terminated text at offset 0, writes it in upper case at offset
/// 2048, prints "probe read: TEXT" and exits 0; a failed call exits with its errno.
fn shm_upper(args: &[&str]) -> i32 {
    let Some(name) = args.first().and_then(|n| CString::new(*n).ok()) else { return libc::EINVAL };
    // SAFETY: a valid C string; the calls below are plain system calls on our own mapping.
    unsafe {
        let fd = libc::shm_open(name.as_ptr(), libc::O_RDWR, 0);
        if fd < 0 {
            return Errno::last() as i32;
        }
        let p = libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0);
        if p == libc::MAP_FAILED {
            return Errno::last() as i32;
        }
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

/// In a forked child: exec this test binary as the `shm-upper` probe for `name`, with
/// stdout on `out`. Never returns.
pub fn exec_shm_probe(name: &CStr, out: impl AsFd) -> ! {
    // SAFETY: dup2 onto stdout in the child about to exec.
    unsafe { libc::dup2(out.as_fd().as_raw_fd(), 1) };
    fixtures::exec::exec_probe(&["shm-upper", &name.to_string_lossy()])
}
