//! Process file descriptors for the peer (Linux 6.5, not in the man-pages 6.03 installed
//! here): the SO_PEERPIDFD option (kernel commit "net: core: add getsockopt SO_PEERPIDFD")
//! and the SO_PASSPIDFD option with its SCM_PIDFD message (commit "scm: add SO_PASSPIDFD and
//! SCM_PIDFD"), the pidfd counterparts of SO_PEERCRED and SO_PASSCRED. Kernels before 6.5 do
//! not know the options: getsockopt(2)/setsockopt(2) fail with ENOPROTOOPT, which the tests
//! assert there instead of skipping. Each test reports `present` (6.5 or later: the options
//! exist) or `absent` (ENOPROTOOPT asserted).

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;

use ancillary::cmsg::{recvmsg, sendmsg};
use ancillary::{SCM_PIDFD, SO_PASSPIDFD, SO_PEERPIDFD, abstract_listener, assert_pidfd_of_a_reaped_process, pidfd_pid, socketpair};
use fixtures::io::{fd_flags, owned};
use fixtures::net::{SockAddr, accept4, bind, connect, connect_to, getsockopt_int, loopback_listener, setsockopt_int, socket};
use fixtures::{Agent, assert_errno, kernel_at_least, kernel_version, spawn, variant};
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::{parallel, serial};

/// SO_PEERPIDFD (Linux 6.5): getsockopt(2) returns a new pidfd (pidfd_open(2)) for the peer
/// process recorded at connect time, as SO_PEERCRED returns its pid. A child connects and
/// waits; the server's accepted socket yields a pidfd whose /proc fdinfo names the child's
/// pid. Before 6.5: ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 6.5, commit 7b26952a91cf — getsockopt(SO_PEERPIDFD) gives a pidfd of the peer process (ENOPROTOOPT before).
#[apply(connection_types)]
#[rstest]
#[serial]
fn so_peerpidfd_gives_a_pidfd_for_the_connecting_process(#[case] ty: SockType) {
    let (l, addr) = abstract_listener(ty, "pidfd");
    let client = Agent::<(), ()>::spawn("client", |serve| {
        let c = socket(libc::AF_UNIX, ty.raw(), 0).unwrap();
        connect(&c, &addr).unwrap();
        serve.ready(());
        serve.wait_release();
    });
    client.ready::<()>();
    let served = accept4(&l, 0).unwrap();
    let got = getsockopt_int(&served, libc::SOL_SOCKET, SO_PEERPIDFD);
    let pid = client.pid().as_raw();
    if variant::since(6, 5, "SO_PEERPIDFD") {
        let pidfd = owned(got.expect("SO_PEERPIDFD"));
        assert_eq!(pidfd_pid(&pidfd), pid);
        assert_eq!(fd_flags(&pidfd) & libc::FD_CLOEXEC, libc::FD_CLOEXEC, "pidfds are close-on-exec");
    } else {
        assert_errno!(got, Errno::ENOPROTOOPT);
    }
    client.expect_success();
}

/// SO_PEERPIDFD on a socket without a peer process — unconnected, or a datagram socket
/// connected with connect(2) (as for SO_PEERCRED, only connections and socketpairs record
/// one) — fails with ENODATA (kernel commit b6f79e826fbd "net/unix: use consistent error code
/// in SO_PEERPIDFD": "this code is returned in 2 cases: First, if the socket type is not
/// AF_UNIX, and secondly if the socket was not yet connected"). Before 6.5: ENOPROTOOPT.
///
/// Kernel change: 6.5, commit b6f79e826fbd — SO_PEERPIDFD on a socket without a peer process fails ENODATA.
#[rstest]
#[parallel]
#[case::unconnected_stream(SockType::Stream, false)]
#[case::unconnected_dgram(SockType::Dgram, false)]
#[case::unconnected_seqpacket(SockType::Seqpacket, false)]
#[case::dgram_connected_by_connect(SockType::Dgram, true)]
fn so_peerpidfd_without_a_peer_process_fails_enodata(#[case] ty: SockType, #[case] connect_dgram: bool) {
    let fd = socket(libc::AF_UNIX, ty.raw(), 0).unwrap();
    let mut _receiver = None;
    if connect_dgram {
        let addr = SockAddr::unique_abstract("pidfd");
        let r = socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0).unwrap();
        bind(&r, &addr).unwrap();
        connect(&fd, &addr).unwrap();
        _receiver = Some(r);
    }
    let expected = if variant::since(6, 5, "SO_PEERPIDFD") { Errno::ENODATA } else { Errno::ENOPROTOOPT };
    assert_errno!(getsockopt_int(&fd, libc::SOL_SOCKET, SO_PEERPIDFD), expected);
}

/// SO_PASSPIDFD (Linux 6.5), the pidfd analogue of SO_PASSCRED: with it set on the receiver,
/// every message comes with an SCM_PIDFD control message holding a new pidfd for the sending
/// process. A child sends (and stays alive until the message is received); the pidfd names
/// its pid. Before 6.5: setsockopt(2) fails with ENOPROTOOPT.
///
/// Kernel change: 6.5, commit 5e2ff6704a27 — SO_PASSPIDFD makes every message carry an SCM_PIDFD control message (ENOPROTOOPT before).
#[apply(socket_types)]
#[rstest]
#[serial]
fn so_passpidfd_attaches_a_pidfd_of_the_sender(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, libc::SOCK_CLOEXEC);
    let set = setsockopt_int(&b, libc::SOL_SOCKET, SO_PASSPIDFD, 1);
    if !variant::since(6, 5, "SO_PASSPIDFD") {
        assert_errno!(set, Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(set, Ok(()));
    assert_eq!(getsockopt_int(&b, libc::SOL_SOCKET, SO_PASSPIDFD), Ok(1), "an integer boolean, as SO_PASSCRED");
    let sender = Agent::<(), ()>::spawn("sender", |serve| {
        assert_eq!(sendmsg(&a, b"x", &[], 0), Ok(1));
        serve.wait_release();
    });
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    let pid = sender.pid().as_raw();
    let c = r.cmsgs.iter().find(|c| c.level == libc::SOL_SOCKET && c.ty == SCM_PIDFD).expect("an SCM_PIDFD message");
    assert_eq!(c.data.len(), 4);
    // The kernel installed this descriptor for us.
    let pidfd = owned(i32::from_ne_bytes(c.data[..4].try_into().unwrap()));
    assert_eq!(pidfd_pid(&pidfd), pid, "read while the sender is alive");
    sender.expect_success();
}

/// Without SO_PASSPIDFD on either socket no SCM_PIDFD arrives (commit 5e2ff6704a27, "scm:
/// add SO_PASSPIDFD and SCM_PIDFD", 6.5: the pidfd is attached only for a receiver that
/// asked for it), as unix(7) says of SO_PASSCRED: "To receive a struct ucred message, the
/// SO_PASSCRED option must be enabled on the socket". On every kernel; SO_PASSPIDFD itself
/// reads back 0 since 6.5 (`present`) and is unknown before (ENOPROTOOPT, `absent`).
///
/// Kernel change: 6.5, commit 5e2ff6704a27 — SO_PASSPIDFD exists and is off by default: no SCM_PIDFD unless asked for.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn without_so_passpidfd_no_pidfd_arrives(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, libc::SOCK_CLOEXEC);
    assert_eq!(sendmsg(&a, b"x", &[], 0), Ok(1));
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    assert!(r.cmsgs.is_empty(), "{:?}", r.cmsgs);
    if variant::since(6, 5, "SO_PASSPIDFD") {
        assert_eq!(getsockopt_int(&b, libc::SOL_SOCKET, SO_PASSPIDFD), Ok(0));
    } else {
        assert_errno!(getsockopt_int(&b, libc::SOL_SOCKET, SO_PASSPIDFD), Errno::ENOPROTOOPT);
    }
}

/// SO_PEERPIDFD asked of a socket of another family: "this code [ENODATA] is returned in 2
/// cases: First, if the socket type is not AF_UNIX, and secondly if the socket was not yet
/// connected" (commit b6f79e826fbd, "net/unix: use consistent error code in SO_PEERPIDFD") —
/// even a connected TCP socket records no peer process. Before 6.5 the option is unknown on
/// every family: ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 6.5, commit b6f79e826fbd — SO_PEERPIDFD on a TCP or UDP socket fails ENODATA (ENOPROTOOPT before).
#[rstest]
#[parallel]
#[case::tcp_connected(libc::SOCK_STREAM)]
#[case::udp(libc::SOCK_DGRAM)]
fn so_peerpidfd_on_an_inet_socket_fails_enodata(#[case] ty: libc::c_int) {
    let (fd, _listener, _accepted) = if ty == libc::SOCK_STREAM {
        let (l, addr) = loopback_listener();
        let c = connect_to(&addr);
        let a = accept4(&l, libc::SOCK_CLOEXEC).unwrap();
        (c, Some(l), Some(a))
    } else {
        (socket(libc::AF_INET, ty, 0).unwrap(), None, None)
    };
    let expected = if variant::since(6, 5, "SO_PEERPIDFD") { Errno::ENODATA } else { Errno::ENOPROTOOPT };
    assert_errno!(getsockopt_int(&fd, libc::SOL_SOCKET, SO_PEERPIDFD), expected);
}

/// A process that connects to `addr` with a socket of `ty` and exits with status `code`; it
/// has been reaped (waitpid(2)) when this returns.
fn connect_then_exit_and_be_reaped(addr: &SockAddr, ty: SockType, code: i32) {
    let mut client = spawn("client that connects and exits", || {
        let c = socket(libc::AF_UNIX, ty.raw(), 0).unwrap();
        connect(&c, addr).unwrap();
        fixtures::child::exit_now(code);
    });
    client.join().expect_exit(code);
}

/// SO_PEERPIDFD for a peer that connected, exited and was reaped before the server asked.
/// No page documents it (unix(7) has no SO_PEERPIDFD; net/core/sock.c, sk_getsockopt). Before
/// 6.16 the pidfd is made with pidfd_prepare(), which refuses a pid without a task: the call
/// fails EINVAL (variant `reaped-error`; dbus-broker maps EINVAL and ESRCH to "peer reaped").
/// Since 6.16 pidfs keeps what it knows of the exited task and the call returns a pidfd
/// anyway (variant `reaped-pidfd`): its fdinfo says `Pid: -1` (proc_pid_fdinfo(5): "-1 if the
/// process ... has terminated") and PIDFD_GET_INFO with PIDFD_INFO_EXIT returns the peer's
/// wait status (`_exit(7)`: 0x700). Before 6.5: ENOPROTOOPT (variant `absent`). The outcome
/// is decided from what the kernel answers and must agree with its version (no backport is
/// known: Debian's 6.12 changelog has none).
///
/// Kernel change: 6.16, commit fd0a109a0f6b — SO_PEERPIDFD of a reaped peer gives a pidfd (Pid: -1, exit status readable) instead of failing EINVAL.
#[apply(connection_types)]
#[rstest]
#[serial]
fn so_peerpidfd_of_a_reaped_peer_depends_on_the_kernel(#[case] ty: SockType) {
    let (l, addr) = abstract_listener(ty, "reaped");
    connect_then_exit_and_be_reaped(&addr, ty, 7);
    let served = accept4(&l, libc::SOCK_CLOEXEC).unwrap();
    let v = kernel_version();
    match getsockopt_int(&served, libc::SOL_SOCKET, SO_PEERPIDFD) {
        Err(Errno::ENOPROTOOPT) => {
            assert!(!kernel_at_least(6, 5), "SO_PEERPIDFD unknown on {v}, which has had it since 6.5");
            variant::absent(format_args!("SO_PEERPIDFD (6.5) is unknown: ENOPROTOOPT on kernel {v}"));
        }
        Err(Errno::EINVAL) => {
            assert!(!kernel_at_least(6, 16), "EINVAL on {v}: since 6.16 a reaped peer still gets a pidfd");
            variant::observed("reaped-error", format_args!("pidfd_prepare() refuses a reaped peer: EINVAL on kernel {v}"));
        }
        Ok(fd) => {
            let pidfd = owned(fd);
            assert!(kernel_at_least(6, 16), "a pidfd of a reaped peer on {v}: before 6.16 (no known backport) it is EINVAL");
            variant::observed("reaped-pidfd", format_args!("pidfs hands out a pidfd of the reaped peer on kernel {v}"));
            assert_pidfd_of_a_reaped_process(&pidfd, 7, "peer");
        }
        Err(e) => panic!("SO_PEERPIDFD of a reaped peer on {v}: unexpected {e}"),
    }
}

/// SCM_PIDFD for a sender that exited and was reaped before the receiver called recvmsg(2)
/// (SO_PASSPIDFD set on the receiver first; not in any page: include/net/scm.h,
/// scm_pidfd_recv). Before 6.17 the message still comes, but instead of a descriptor it holds
/// the error pidfd_prepare() returned for the taskless pid, -EINVAL (-22), and nothing is
/// installed (variant `reaped-error`). Since 6.17 the pid is registered with pidfs when the
/// message is sent and the receiver gets a real pidfd (variant `reaped-pidfd`) whose fdinfo
/// says `Pid: -1` and whose PIDFD_GET_INFO gives the sender's wait status (`_exit(3)`:
/// 0x300). Before 6.5: SO_PASSPIDFD is unknown, ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 6.17, commit c679d17d3f2d — SCM_PIDFD of a reaped sender is a pidfd instead of -EINVAL in the message.
#[apply(socket_types)]
#[rstest]
#[serial]
fn scm_pidfd_of_a_reaped_sender_depends_on_the_kernel(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, libc::SOCK_CLOEXEC);
    let v = kernel_version();
    match setsockopt_int(&b, libc::SOL_SOCKET, SO_PASSPIDFD, 1) {
        Err(Errno::ENOPROTOOPT) => {
            assert!(!kernel_at_least(6, 5), "SO_PASSPIDFD unknown on {v}, which has had it since 6.5");
            variant::absent(format_args!("SO_PASSPIDFD (6.5) is unknown: ENOPROTOOPT on kernel {v}"));
            return;
        }
        r => r.expect("setsockopt(SO_PASSPIDFD)"),
    }
    let mut sender = spawn("sender that exits", || {
        assert_eq!(sendmsg(&a, b"x", &[], 0), Ok(1));
        fixtures::child::exit_now(3);
    });
    sender.join().expect_exit(3);
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    assert_eq!(r.data, b"x");
    let c = r.cmsgs.iter().find(|c| c.level == libc::SOL_SOCKET && c.ty == SCM_PIDFD).expect("an SCM_PIDFD message");
    assert_eq!(c.data.len(), 4);
    let value = i32::from_ne_bytes(c.data[..4].try_into().unwrap());
    if value < 0 {
        assert!(!kernel_at_least(6, 17), "SCM_PIDFD holds {value} on {v}: since 6.17 a reaped sender's pidfd is delivered");
        assert_eq!(value, -libc::EINVAL, "pidfd_prepare()'s error for a reaped pid");
        variant::observed("reaped-error", format_args!("SCM_PIDFD carries -EINVAL for a reaped sender on kernel {v}"));
        return;
    }
    // The kernel installed this descriptor for us.
    let pidfd = owned(value);
    assert!(kernel_at_least(6, 17), "a pidfd of a reaped sender on {v}: before 6.17 (no known backport) it is -EINVAL");
    variant::observed("reaped-pidfd", format_args!("SCM_PIDFD is a pidfd of the reaped sender on kernel {v}"));
    assert_pidfd_of_a_reaped_process(&pidfd, 3, "sender");
}
