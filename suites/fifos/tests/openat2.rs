//! openat2(2) and FIFOs: flags of the newest kernels that change what opening a FIFO does —
//! OPENAT2_REGULAR, which refuses anything but a regular file instead of opening (or waiting
//! on) a FIFO, and O_EMPTYPATH, which reopens an O_PATH descriptor without /proc. openat2(2)
//! refuses flags it does not know ("unknown or invalid bits in @flags result in -EINVAL",
//! include/uapi/linux/openat2.h), so a kernel without the flag answers EINVAL, asserted there
//! (variant `absent`).

use std::os::fd::{AsRawFd, OwnedFd};

use fifos::TempFifo;
use fixtures::io::{open_cloexec, owned, read_once, write_once};
use fixtures::{Scratch, assert_errno, kernel_at_least, kernel_version, sys, variant, within};
use nix::errno::Errno;

/// OPENAT2_REGULAR (include/uapi/linux/openat2.h: bit 32 of open_how.flags) and O_EMPTYPATH
/// (include/uapi/asm-generic/fcntl.h: 1 << 26); EFTYPE (asm-generic/errno.h: 134, "Wrong
/// file type for the intended operation").
const OPENAT2_REGULAR: u64 = 1 << 32;
const O_EMPTYPATH: u64 = 1 << 26;
const EFTYPE: i32 = 134;

/// openat2(2) of `path` relative to `dirfd` with `flags` (mode 0, no resolve flags): the new
/// descriptor, or the errno. Bounded: a FIFO open that waits for a peer fails the test.
fn openat2(dirfd: libc::c_int, path: &std::path::Path, flags: u64) -> Result<OwnedFd, Errno> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // struct open_how: flags, mode, resolve.
    let how: [u64; 3] = [flags, 0, 0];
    within("an openat2(2) that must not wait", || {
        // SAFETY: the raw system call with a NUL-terminated path and an open_how of the size
        // passed.
        sys(unsafe {
            libc::syscall(libc::SYS_openat2, dirfd, c.as_ptr(), how.as_ptr(), std::mem::size_of_val(&how))
        } as libc::c_int)
        .map(owned)
    })
}

/// openat2(2), "OPENAT2_REGULAR (since Linux 7.2): Open the file specified by path only if it
/// is a regular file"; ERRORS: "EFTYPE how.flags contains OPENAT2_REGULAR flag and the path
/// is not a regular file." A FIFO is refused at once with EFTYPE — even read-only without
/// O_NONBLOCK, where open(2) would wait for a writer — while a regular file opens (variant
/// `present`). Before 7.2 the flag is unknown: EINVAL for both (variant `absent`).
///
/// Kernel change: 7.2 — openat2(OPENAT2_REGULAR) refuses a FIFO (and anything not a regular file) with the new errno EFTYPE (EINVAL before).
#[test]
fn openat2_regular_refuses_a_fifo_with_eftype() {
    let fifo = TempFifo::new();
    let s = Scratch::new();
    let file = s.file("regular", b"x");
    let flags = libc::O_RDONLY as u64 | libc::O_CLOEXEC as u64 | OPENAT2_REGULAR;
    if !variant::since(7, 2, "OPENAT2_REGULAR") {
        assert_errno!(openat2(libc::AT_FDCWD, fifo.path(), flags), Errno::EINVAL);
        assert_errno!(openat2(libc::AT_FDCWD, &file, flags), Errno::EINVAL);
        return;
    }
    assert_errno!(openat2(libc::AT_FDCWD, fifo.path(), flags), Errno::from_raw(EFTYPE));
    let f = openat2(libc::AT_FDCWD, &file, flags).expect("a regular file opens");
    let mut b = [0u8; 2];
    assert_eq!(read_once(&f, &mut b), Ok(1));
}

/// O_EMPTYPATH (include/uapi/asm-generic/fcntl.h, "allow empty path"; no man page yet):
/// openat2(fd, "", O_EMPTYPATH | O_RDWR) opens the file an O_PATH descriptor `fd` refers to
/// again, with a real access mode, without going through /proc/self/fd — here a FIFO,
/// reopened read-write (which never waits, fifo(7)): a byte written through the new
/// descriptor is read back through it (variant `present`). Kernels without the flag answer
/// one of two ways (variant `absent` for both): where bit 26 is an unknown open flag (6.12,
/// 6.18) openat2(2) fails EINVAL; where it was still the kernel-internal FMODE_NONOTIFY
/// (5.10, 6.1: the value moved before 6.12), openat2(2) strips it silently
/// (build_open_flags(): "Must never be set by userspace") and the empty path fails ENOENT.
/// The first release with O_EMPTYPATH is not verified: the host's 6.18 lacks it, Debian's 7.2
/// headers have it; a kernel in between may answer either way.
///
/// Kernel change: 7.2 — openat2(fd, "", O_EMPTYPATH) reopens an O_PATH descriptor, e.g. a FIFO read-write (EINVAL before; first release not verified).
#[test]
fn o_emptypath_reopens_an_o_path_fifo_read_write() {
    let fifo = TempFifo::new();
    let opath = open_cloexec(fifo.path(), libc::O_PATH).unwrap();
    let flags = O_EMPTYPATH | libc::O_RDWR as u64 | libc::O_CLOEXEC as u64;
    let v = kernel_version();
    match openat2(opath.as_raw_fd(), std::path::Path::new(""), flags) {
        Err(Errno::EINVAL) => {
            assert!(!kernel_at_least(7, 2), "O_EMPTYPATH unknown on {v}, whose 7.2 headers define it");
            assert!(kernel_at_least(6, 2), "EINVAL on {v}: 6.1 and older strip bit 26 (ENOENT)");
            variant::absent(format_args!("openat2 refuses bit 26 as an unknown flag (EINVAL); kernel {v}"));
        }
        Err(Errno::ENOENT) => {
            assert!(!kernel_at_least(6, 12), "ENOENT on {v}: bit 26 is an unknown flag there, EINVAL");
            variant::absent(format_args!("openat2 strips bit 26 (FMODE_NONOTIFY) and the empty path fails ENOENT; kernel {v}"));
        }
        Ok(fd) => {
            assert!(kernel_at_least(6, 19), "O_EMPTYPATH known on {v}, before any release that has it");
            variant::present(format_args!("O_EMPTYPATH reopens an O_PATH descriptor; kernel {v}"));
            assert_eq!(write_once(&fd, b"z"), Ok(1));
            let mut b = [0u8; 2];
            assert_eq!(read_once(&fd, &mut b), Ok(1));
            assert_eq!(b[0], b'z');
        }
        Err(e) => panic!("openat2(O_PATH fd of a FIFO, \"\", O_EMPTYPATH | O_RDWR) on {v}: {e}"),
    }
}
