//! The suite's named parameter sets (rstest_reuse templates), defined once. A test applies
//! one with `#[apply(name)]` and takes the parameter as `#[case]`:
//!
//! ```ignore
//! #[apply(non_masters)]
//! fn grantpt_on_a_non_master_fails_einval(#[case] kind: NotAMaster) { .. }
//! ```

use std::os::fd::{AsFd, BorrowedFd};

use rstest_reuse::template;

use crate::pair::Pty;

/// A descriptor that is not a pty master.
#[derive(Clone, Copy, Debug)]
pub enum NotAMaster {
    Pipe,
    Slave,
}

impl NotAMaster {
    /// Run `f` on a fresh descriptor of this kind.
    pub fn with(self, f: impl FnOnce(BorrowedFd<'_>)) {
        match self {
            NotAMaster::Pipe => {
                let (r, _w) = nix::unistd::pipe().unwrap();
                f(r.as_fd());
            }
            NotAMaster::Slave => f(Pty::open().s()),
        }
    }
}

/// Descriptors that are not pty masters: a pipe and a pty slave (`case_1_pipe`,
/// `case_2_slave`).
/// ioctl_tty(2)'s master-only requests, tried on a pipe(7) and on a pts(4) slave.
#[template]
#[export]
#[rstest]
#[case::pipe(pty::cases::NotAMaster::Pipe)]
#[case::slave(pty::cases::NotAMaster::Slave)]
pub fn non_masters(#[case] kind: NotAMaster) {}
