//! signalfd(2): creating a signalfd, its flags, and changing the mask of an existing one.

use std::os::fd::AsRawFd;

use fixtures::io::{fd_flags, status_flags};
use fixtures::procfs::fdinfo;
use fixtures::{assert_errno, run_in_child};
use nix::errno::Errno;
use rstest::rstest;
use signalfd::{block, kill, my_pid, read_records, signalfd, signalfd_update};

/// signalfd(2): "SFD_NONBLOCK Set the O_NONBLOCK file status flag on the open file
/// description ... SFD_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the new file
/// descriptor." Asserted: with both flags F_GETFD is exactly FD_CLOEXEC and F_GETFL has
/// O_NONBLOCK (the description is opened O_RDWR, fs/signalfd.c); without flags neither is
/// set.
#[rstest]
#[case::both_flags(libc::SFD_CLOEXEC | libc::SFD_NONBLOCK, libc::FD_CLOEXEC, libc::O_NONBLOCK)]
#[case::no_flags(0, 0, 0)]
fn sfd_cloexec_and_sfd_nonblock_set_the_descriptor_flags(
    #[case] flags: libc::c_int,
    #[case] fd_flag: libc::c_int,
    #[case] status: libc::c_int,
) {
    let fd = signalfd(&[libc::SIGTERM], flags).expect("signalfd");
    assert_eq!(fd_flags(&fd), fd_flag, "F_GETFD");
    let fl = status_flags(&fd);
    assert_eq!(fl & libc::O_NONBLOCK, status, "O_NONBLOCK in F_GETFL {fl:#o}");
    assert_eq!(fl & libc::O_ACCMODE, libc::O_RDWR, "access mode in F_GETFL {fl:#o}");
}

/// signalfd(2), ERRORS: "EINVAL flags is invalid" and "EINVAL fd is not a valid signalfd
/// file descriptor"; "EBADF The fd file descriptor is not a valid file descriptor."
/// Asserted: a flag bit other than SFD_CLOEXEC/SFD_NONBLOCK fails EINVAL; an existing
/// descriptor that is not a signalfd (a pipe) fails EINVAL; a closed descriptor number
/// fails EBADF.
#[test]
fn signalfd_refuses_unknown_flags_and_other_descriptors() {
    assert_errno!(signalfd(&[libc::SIGTERM], 1), Errno::EINVAL, "flags 1");
    let (rx, _tx) = nix::unistd::pipe().unwrap();
    assert_errno!(signalfd_update(&rx, &[libc::SIGTERM], 0), Errno::EINVAL, "a pipe as fd");
    let closed = rx.as_raw_fd();
    drop(rx);
    let mask = fixtures::signals::sigset(&[libc::SIGTERM]);
    // SAFETY: signalfd on a number that is not open; the kernel checks it.
    let r = fixtures::sys(unsafe { libc::signalfd(closed, &mask, 0) });
    assert_errno!(r, Errno::EBADF, "a closed descriptor number");
}

/// signalfd(2): "If the fd argument is not -1, then it must specify a valid existing signalfd
/// file descriptor, and mask is used to replace the signal set associated with that file
/// descriptor." Asserted in a child with SIGUSR1 and SIGUSR2 blocked and pending: a signalfd
/// for SIGUSR1 gets the mask {SIGUSR2}; signalfd returns the same descriptor number, a read
/// then returns only the SIGUSR2 record, and SIGUSR1 stays pending.
#[test]
fn an_existing_signalfd_takes_a_new_mask() {
    run_in_child("SIGUSR1 and SIGUSR2 pending", || {
        block(&[libc::SIGUSR1, libc::SIGUSR2]);
        let fd = signalfd(&[libc::SIGUSR1], libc::SFD_NONBLOCK | libc::SFD_CLOEXEC).unwrap();
        kill(my_pid() as i32, libc::SIGUSR1).unwrap();
        kill(my_pid() as i32, libc::SIGUSR2).unwrap();
        assert_eq!(signalfd_update(&fd, &[libc::SIGUSR2], 0), Ok(fd.as_raw_fd()), "the same descriptor comes back");
        let got: Vec<u32> = read_records(&fd, 1024).unwrap().iter().map(|r| r.signo).collect();
        assert_eq!(got, vec![libc::SIGUSR2 as u32], "only the new mask's signal is read");
        assert!(signalfd::is_pending(libc::SIGUSR1), "SIGUSR1, no longer in the mask, stays pending");
    })
    .expect_success();
}

/// proc(5), /proc/pid/fdinfo: "For signalfd file descriptors ... sigmask: The hexadecimal
/// mask of signals that are accepted via this signalfd file descriptor." Asserted: the field
/// is the 16-digit hexadecimal mask with bit n-1 set for signal n, for {SIGTERM} and for
/// {SIGUSR1, SIGUSR2}.
#[rstest]
#[case::sigterm(&[libc::SIGTERM])]
#[case::sigusr1_and_sigusr2(&[libc::SIGUSR1, libc::SIGUSR2])]
fn fdinfo_shows_the_mask_in_hexadecimal(#[case] sigs: &[libc::c_int]) {
    let fd = signalfd(sigs, libc::SFD_CLOEXEC).unwrap();
    let bits = sigs.iter().fold(0u64, |m, s| m | 1 << (s - 1));
    let info = fdinfo(&fd);
    assert_eq!(info.get("sigmask").map(String::as_str), Some(format!("{bits:016x}").as_str()), "{info:?}");
}
