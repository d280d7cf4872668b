//! Suite `fifos`: FIFO special files (named pipes) — how they are made and opened, and what
//! is particular to a pipe that has a name.
//!
//! I/O on an open FIFO is the same as on a pipe (pipe(7): "Once these tasks have been
//! accomplished, I/O on pipes and FIFOs has exactly the same semantics"), and the `pipes`
//! suite checks every I/O claim on both. This suite covers the rest:
//!
//! - `mkfifo.rs`: mkfifo(3)/mkfifoat(3): file type, size, mode & ~umask, EEXIST, ENOENT,
//!   ENOTDIR, EACCES.
//! - `open_rules.rs`: open(2) of a FIFO: who waits for whom, O_NONBLOCK (ENXIO, immediate
//!   EOF), O_RDWR, unrelated processes, permission checks at open time, O_TRUNC.
//! - `open_interruption.rs`: a blocked open(2) and signal handlers, with and without
//!   SA_RESTART.
//! - `lifetime.rs`: the one pipe object behind a FIFO: EOF and SIGPIPE across several opens,
//!   many readers and writers, data discarded with the last close, unlink while open.
//! - `file_ops.rs`: what a FIFO is not: ftruncate, lseek; F_GETPIPE_SZ, fstat, poll quirk.
//! - `openat2.rs`: openat2(2) flags of the newest kernels: OPENAT2_REGULAR refuses a FIFO
//!   with EFTYPE (7.2), O_EMPTYPATH reopens an O_PATH FIFO read-write.
//!
//! Sources: fifo(7), pipe(7), mkfifo(3), mknod(2), open(2) ("FIFOs", ENXIO, EINTR),
//! signal(7), POSIX.1-2024 read() and open(), fs/pipe.c (fifo_open) where the kernel is the
//! only specification.
//!
//! Claims that depend on exactly which ends are open run their body in a forked,
//! single-threaded child ([`fixtures::isolated`]): under plain `cargo test` another thread
//! may fork a child that holds copies of this test's descriptors.
//!
//! What the test files share lives here: [`TempFifo`], a FIFO in a scratch directory of its
//! own, with an open(2) that must not block (bounded, exact errno). Raw I/O comes from [`fixtures::io`], modes from [`fixtures::names::ModeGuard`],
//! the announcing signal handler from [`fixtures::signals`].

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use fixtures::Scratch;
use nix::errno::Errno;

/// A FIFO special file made with mode 0600 (mkfifo(3)) in a scratch directory of its own;
/// both are removed when it is dropped.
pub struct TempFifo {
    path: PathBuf,
    dir: Scratch,
}

impl TempFifo {
    pub fn new() -> TempFifo {
        let dir = Scratch::new();
        let path = dir.fifo("f", 0o600);
        TempFifo { path, dir }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The scratch directory the FIFO is in (`fifo.dir().open_to_all()` for a child that
    /// drops privileges).
    pub fn dir(&self) -> &Scratch {
        &self.dir
    }

    /// open(2) of the FIFO (close-on-exec) that must not block: its exact result, bounded
    /// by the fixtures' deadline.
    #[track_caller]
    pub fn open_now(&self, flags: libc::c_int) -> Result<OwnedFd, Errno> {
        fixtures::within("an open(2) of a FIFO that must not block", || fixtures::io::open_cloexec(&self.path, flags))
    }
}

impl Default for TempFifo {
    fn default() -> Self {
        TempFifo::new()
    }
}
