//! Process file descriptors for the peer (Linux 6.5, not in the man-pages 6.03 installed
//! here): the SO_PEERPIDFD option (kernel commit "net: core: add getsockopt SO_PEERPIDFD")
//! and the SO_PASSPIDFD option with its SCM_PIDFD message (commit "scm: add SO_PASSPIDFD and
//! SCM_PIDFD"), the pidfd counterparts of SO_PEERCRED and SO_PASSCRED. Kernels before 6.5 do
//! not know the options: getsockopt(2)/setsockopt(2) fail with ENOPROTOOPT, which the tests
//! assert there instead of skipping.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use ancillary::*;
use fixtures::sync::channel;
use fixtures::{assert_errno, kernel_at_least, spawn};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};

fn has_pidfd_options() -> bool {
    kernel_at_least(6, 5)
}

/// An abstract address unique to this call, as a raw sockaddr_un and its length.
fn abstract_addr() -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: sockaddr_un is plain data.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let name = fixtures::names::unique("pidfd");
    for (i, b) in name.bytes().enumerate() {
        a.sun_path[i + 1] = b as libc::c_char;
    }
    (a, (2 + 1 + name.len()) as libc::socklen_t)
}

/// SO_PEERPIDFD (Linux 6.5): getsockopt(2) returns a new pidfd (pidfd_open(2)) for the peer
/// process recorded at connect time, as SO_PEERCRED returns its pid. A child connects and
/// waits; the server's accepted socket yields a pidfd whose /proc fdinfo names the child's
/// pid. Before 6.5: ENOPROTOOPT.
#[rstest]
#[serial]
fn so_peerpidfd_gives_a_pidfd_for_the_connecting_process(
    #[values(SockType::Stream, SockType::Seqpacket)] ty: SockType,
) {
    let (addr, len) = abstract_addr();
    // SAFETY: socket/bind/listen with a valid address.
    let l = unsafe { OwnedFd::from_raw_fd(libc::socket(libc::AF_UNIX, ty.raw() | libc::SOCK_CLOEXEC, 0)) };
    assert_eq!(unsafe { libc::bind(l.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len) }, 0);
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 4) }, 0);
    let (connected, wait_connected) = channel();
    let (done, wait_done) = channel();
    let client = spawn("client", || {
        // SAFETY: as above.
        let c = unsafe { OwnedFd::from_raw_fd(libc::socket(libc::AF_UNIX, ty.raw(), 0)) };
        assert_eq!(unsafe { libc::connect(c.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len) }, 0);
        connected.notify();
        wait_done.wait();
    });
    wait_connected.wait();
    // SAFETY: accept with null address arguments.
    let served = unsafe {
        OwnedFd::from_raw_fd(libc::accept4(
            l.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        ))
    };
    let got = getsockopt_int(&served, SO_PEERPIDFD);
    let pid = client.pid().as_raw();
    if has_pidfd_options() {
        // SAFETY: the option returned a new descriptor that we now own.
        let pidfd = unsafe { OwnedFd::from_raw_fd(got.expect("SO_PEERPIDFD")) };
        assert_eq!(pidfd_pid(&pidfd), pid);
        assert_eq!(fd_flags(pidfd.as_raw_fd()) & libc::FD_CLOEXEC, libc::FD_CLOEXEC, "pidfds are close-on-exec");
    } else {
        assert_errno!(got, Errno::ENOPROTOOPT);
    }
    done.notify();
    client.expect_success();
}

/// SO_PEERPIDFD on a socket without a peer process — unconnected, or a datagram socket
/// connected with connect(2) (as for SO_PEERCRED, only connections and socketpairs record
/// one) — fails with ENODATA (kernel commit b6f79e826fbd "net/unix: use consistent error code
/// in SO_PEERPIDFD": "this code is returned in 2 cases: First, if the socket type is not
/// AF_UNIX, and secondly if the socket was not yet connected"). Before 6.5: ENOPROTOOPT.
#[rstest]
#[parallel]
#[case::unconnected_stream(SockType::Stream, false)]
#[case::unconnected_dgram(SockType::Dgram, false)]
#[case::unconnected_seqpacket(SockType::Seqpacket, false)]
#[case::dgram_connected_by_connect(SockType::Dgram, true)]
fn so_peerpidfd_without_a_peer_process_fails_enodata(#[case] ty: SockType, #[case] connect_dgram: bool) {
    // SAFETY: plain socket calls.
    let fd = unsafe { OwnedFd::from_raw_fd(libc::socket(libc::AF_UNIX, ty.raw() | libc::SOCK_CLOEXEC, 0)) };
    let mut _receiver = None;
    if connect_dgram {
        let (addr, len) = abstract_addr();
        let r = unsafe { OwnedFd::from_raw_fd(libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)) };
        assert_eq!(unsafe { libc::bind(r.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len) }, 0);
        assert_eq!(unsafe { libc::connect(fd.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len) }, 0);
        _receiver = Some(r);
    }
    let expected = if has_pidfd_options() { Errno::ENODATA } else { Errno::ENOPROTOOPT };
    assert_errno!(getsockopt_int(&fd, SO_PEERPIDFD), expected);
}

/// SO_PASSPIDFD (Linux 6.5), the pidfd analogue of SO_PASSCRED: with it set on the receiver,
/// every message comes with an SCM_PIDFD control message holding a new pidfd for the sending
/// process. A child sends (and stays alive until the message is received); the pidfd names
/// its pid. Before 6.5: setsockopt(2) fails with ENOPROTOOPT.
#[rstest]
#[serial]
fn so_passpidfd_attaches_a_pidfd_of_the_sender(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, libc::SOCK_CLOEXEC);
    let set = setsockopt_int(&b, SO_PASSPIDFD, 1);
    if !has_pidfd_options() {
        assert_errno!(set, Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(set, Ok(()));
    assert_eq!(getsockopt_int(&b, SO_PASSPIDFD), Ok(1), "an integer boolean, as SO_PASSCRED");
    let (done, wait_done) = channel();
    let sender = spawn("sender", || {
        assert_eq!(sendmsg(&a, b"x", &[], 0), Ok(1));
        wait_done.wait();
    });
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    let pid = sender.pid().as_raw();
    let c = r.cmsgs.iter().find(|c| c.level == libc::SOL_SOCKET && c.ty == SCM_PIDFD).expect("an SCM_PIDFD message");
    assert_eq!(c.data.len(), 4);
    // SAFETY: the kernel installed this descriptor for us.
    let pidfd = unsafe { OwnedFd::from_raw_fd(i32::from_ne_bytes(c.data[..4].try_into().unwrap())) };
    assert_eq!(pidfd_pid(&pidfd), pid, "read while the sender is alive");
    done.notify();
    sender.expect_success();
}

/// Without SO_PASSPIDFD on either socket no SCM_PIDFD arrives (commit 5e2ff6704a27, "scm:
/// add SO_PASSPIDFD and SCM_PIDFD", 6.5: the pidfd is attached only for a receiver that
/// asked for it), as unix(7) says of SO_PASSCRED: "To receive a struct ucred message, the
/// SO_PASSCRED option must be enabled on the socket". On every kernel.
#[rstest]
#[parallel]
fn without_so_passpidfd_no_pidfd_arrives(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, libc::SOCK_CLOEXEC);
    assert_eq!(sendmsg(&a, b"x", &[], 0), Ok(1));
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    assert!(r.cmsgs.is_empty(), "{:?}", r.cmsgs);
    if has_pidfd_options() {
        assert_eq!(getsockopt_int(&b, SO_PASSPIDFD), Ok(0));
    }
}
