//! Regular files to map: a scratch file, and reads and writes at an offset with the exact
//! result.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use fixtures::Scratch;
use fixtures::io::open_cloexec;
use nix::errno::Errno;

/// A file holding `content` in a scratch directory of its own, open O_RDWR (close-on-exec).
/// The directory and the file go with it.
pub struct ScratchFile {
    pub path: PathBuf,
    pub fd: OwnedFd,
    _dir: Scratch,
}

impl ScratchFile {
    #[track_caller]
    pub fn new(content: &[u8]) -> ScratchFile {
        let dir = Scratch::new();
        let path = dir.file("f", content);
        let fd = open_cloexec(&path, libc::O_RDWR).expect("open scratch file");
        ScratchFile { path, fd, _dir: dir }
    }
}

impl AsFd for ScratchFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// pread(2) of `len` bytes at `off`.
pub fn pread(fd: impl AsFd, len: usize, off: i64) -> Vec<u8> {
    let mut b = vec![0u8; len];
    // SAFETY: reading into our own buffer.
    let n = fixtures::sys_size(unsafe { libc::pread(fd.as_fd().as_raw_fd(), b.as_mut_ptr().cast(), len, off) })
        .expect("pread");
    b.truncate(n);
    b
}

/// pwrite(2) of `data` at `off`; the exact errno on failure.
pub fn pwrite(fd: impl AsFd, data: &[u8], off: i64) -> Result<usize, Errno> {
    // SAFETY: writing from our own buffer.
    fixtures::sys_size(unsafe { libc::pwrite(fd.as_fd().as_raw_fd(), data.as_ptr().cast(), data.len(), off) })
}

/// st_size and st_mode of an open file.
pub fn stat(fd: impl AsFd) -> (i64, u32) {
    let st = nix::sys::stat::fstat(fd).expect("fstat");
    (st.st_size, st.st_mode)
}
