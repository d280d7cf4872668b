//! Descriptors the kernel refuses to pass, and receivers that refuse them: SO_PASSRIGHTS
//! (Linux 6.16), its answer on other families, SO_RIGHTS_NOTRUNC (7.3), and io_uring
//! instances, which SCM_RIGHTS no longer carries (CVE-2023-6531). None of these is in
//! man-pages 6.03 (or 6.20); each test cites the kernel commit or source, asserts the old
//! behaviour on kernels without the change, and reports which one it saw.

use fixtures::cases::socket_types;
use fixtures::net::SockType;
use std::os::fd::{AsRawFd, OwnedFd};

use ancillary::cmsg::{recvmsg, send_fds, sendmsg};
use ancillary::{SO_PASSRIGHTS, SO_RIGHTS_NOTRUNC, pipe, same_description, socketpair};
use fixtures::io::owned;
use fixtures::net::{getsockopt_int, recv, setsockopt_int, socket};
use fixtures::{assert_errno, kernel_version, sys, variant};
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::parallel;

/// SO_PASSRIGHTS (commit 77cbe1a6d873, "af_unix: Introduce SO_PASSRIGHTS", 6.16; not in
/// unix(7)): a receiver that clears it refuses descriptors — the peer's sendmsg(2) with an
/// SCM_RIGHTS message then fails EPERM and queues nothing, while plain data still passes; set
/// again, descriptors pass again. It is on by default (reads back 1). Before 6.16 the option
/// is unknown: setsockopt(2) fails ENOPROTOOPT and descriptors always pass (variant
/// `absent`).
///
/// Kernel change: 6.16, commit 77cbe1a6d873 — SO_PASSRIGHTS: a receiver can refuse SCM_RIGHTS; the sender's sendmsg fails EPERM (ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn a_receiver_without_so_passrights_makes_scm_rights_fail_eperm(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, libc::SOCK_NONBLOCK);
    let (_rx, tx) = pipe();
    let set = setsockopt_int(&b, libc::SOL_SOCKET, SO_PASSRIGHTS, 0);
    if !variant::since(6, 16, "SO_PASSRIGHTS") {
        assert_errno!(set, Errno::ENOPROTOOPT);
        assert_eq!(send_fds(&a, b"x", &[tx.as_raw_fd()]), Ok(1), "without the option descriptors always pass");
        let r = recvmsg(&b, 4, 64, 0).unwrap();
        assert_eq!(r.fds.len(), 1);
        return;
    }
    assert_eq!(set, Ok(()));
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, SO_PASSRIGHTS), Ok(1), "on by default");
    assert_eq!(getsockopt_int(&b, libc::SOL_SOCKET, SO_PASSRIGHTS), Ok(0));
    assert_errno!(send_fds(&a, b"x", &[tx.as_raw_fd()]), Errno::EPERM);
    assert_errno!(recv(&b, &mut [0u8; 4], 0), Errno::EAGAIN, "the refused message queued nothing");
    assert_eq!(sendmsg(&a, b"y", &[], 0), Ok(1), "plain data still passes");
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    assert_eq!((r.data.as_slice(), r.cmsgs.len()), (&b"y"[..], 0));
    setsockopt_int(&b, libc::SOL_SOCKET, SO_PASSRIGHTS, 1).unwrap();
    assert_eq!(send_fds(&a, b"z", &[tx.as_raw_fd()]), Ok(1));
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    assert_eq!(r.fds.len(), 1);
    assert!(same_description(&r.fds[0], &tx));
}

/// SO_PASSRIGHTS is an AF_UNIX option: on a TCP or UDP socket both setsockopt(2) and
/// getsockopt(2) fail EOPNOTSUPP (commit 77cbe1a6d873, 6.16: net/core/sock.c answers
/// -EOPNOTSUPP unless sk_may_scm_recv()). Before 6.16 the option is unknown on every family:
/// ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 6.16, commit 77cbe1a6d873 — SO_PASSRIGHTS on a non-AF_UNIX socket fails EOPNOTSUPP (ENOPROTOOPT before).
#[rstest]
#[parallel]
#[case::tcp(libc::SOCK_STREAM)]
#[case::udp(libc::SOCK_DGRAM)]
fn so_passrights_on_an_inet_socket_fails_eopnotsupp(#[case] ty: libc::c_int) {
    let fd = socket(libc::AF_INET, ty, 0).unwrap();
    let expected = if variant::since(6, 16, "SO_PASSRIGHTS") { Errno::EOPNOTSUPP } else { Errno::ENOPROTOOPT };
    assert_errno!(setsockopt_int(&fd, libc::SOL_SOCKET, SO_PASSRIGHTS, 0), expected);
    assert_errno!(getsockopt_int(&fd, libc::SOL_SOCKET, SO_PASSRIGHTS), expected);
}

/// SO_RIGHTS_NOTRUNC (include/uapi/asm-generic/socket.h of Linux 7.3, value 85; the
/// selftest `scm_rights_denial_bpf` describes it: a descriptor an LSM refuses to install
/// leaves -EPERM in its slot of the SCM_RIGHTS array instead of truncating the array with
/// MSG_CTRUNC). Only the option itself is checked here (the denial needs the BPF LSM): since
/// 7.3 an AF_UNIX socket accepts it; before, setsockopt(2) fails ENOPROTOOPT (variant
/// `absent`).
///
/// Kernel change: 7.3 — SO_RIGHTS_NOTRUNC: refused descriptors leave an error in their SCM_RIGHTS slot instead of MSG_CTRUNC (ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_rights_notrunc_is_an_option_since_7_3(#[case] ty: SockType) {
    let (_a, b) = socketpair(ty, 0);
    let set = setsockopt_int(&b, libc::SOL_SOCKET, SO_RIGHTS_NOTRUNC, 1);
    if variant::since(7, 3, "SO_RIGHTS_NOTRUNC") {
        assert_eq!(set, Ok(()));
    } else {
        assert_errno!(set, Errno::ENOPROTOOPT);
    }
}

/// An io_uring instance of this process (io_uring_setup(2) with one entry), or why there is
/// none here (the kernel lacks it, a sysctl or seccomp filter denies it).
fn io_uring_instance() -> Result<OwnedFd, Errno> {
    // struct io_uring_params is 120 bytes; zeroed asks for the defaults.
    let mut params = [0u8; 120];
    // SAFETY: the raw system call with a zeroed parameter block of the size the kernel reads.
    sys(unsafe { libc::syscall(libc::SYS_io_uring_setup, 1, params.as_mut_ptr()) } as libc::c_int).map(owned)
}

/// Whether the kernel refuses io_uring files in SCM_RIGHTS: commit "io_uring/af_unix:
/// disable sending io_uring over sockets" (CVE-2023-6531; mainline 6.7, stable 5.10.204 and
/// 6.1.68 by Debian's changelogs; commit not verified). `None` for a series whose backport
/// status is not known.
fn has_io_uring_refusal() -> Option<bool> {
    fixtures::gate::has_fix((6, 7), &[(5, 10, 204), (6, 1, 68)], &[])
}

/// An io_uring instance cannot be passed: sendmsg(2) with its descriptor in SCM_RIGHTS fails
/// EINVAL (net/core/scm.c, scm_fp_copy(): "don't allow io_uring files"; CVE-2023-6531) and
/// nothing is queued. Kernels without that change accept it (variant `accepted`, lacking: the
/// refusal is missing); with it: variant `refused`. Decided from what sendmsg(2) returns,
/// cross-checked with where the fix is (mainline 6.7, stable 5.10.204, 6.1.68); a kernel
/// that refuses without a known fix fails. Skips where no io_uring instance can be made.
///
/// Kernel change: 6.7 — an io_uring descriptor in SCM_RIGHTS fails EINVAL (stable 5.10.204, 6.1.68).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn an_io_uring_instance_cannot_be_passed(#[case] ty: SockType) {
    let ring = match io_uring_instance() {
        Ok(fd) => fd,
        Err(e) => fixtures::skip!("no io_uring instance here (io_uring_setup: {e})"),
    };
    let (a, b) = socketpair(ty, libc::SOCK_NONBLOCK);
    let v = kernel_version();
    let fix = has_io_uring_refusal();
    match send_fds(&a, b"x", &[ring.as_raw_fd()]) {
        Err(Errno::EINVAL) => {
            assert_eq!(fix, Some(true), "kernel {v} refuses io_uring descriptors without a known fix");
            variant::observed("refused", format_args!("SCM_RIGHTS refuses io_uring files: EINVAL on kernel {v}"));
            assert_errno!(recv(&b, &mut [0u8; 4], 0), Errno::EAGAIN, "nothing was queued");
        }
        Ok(1) => {
            assert_eq!(fix, Some(false), "kernel {v} passes an io_uring descriptor although it has the fix");
            variant::lacking("accepted", format_args!("kernel {v} still passes io_uring files"));
            let r = recvmsg(&b, 4, 64, 0).unwrap();
            assert_eq!(r.fds.len(), 1);
        }
        other => panic!("sendmsg(SCM_RIGHTS of an io_uring fd) on {v}: {other:?}"),
    }
}
