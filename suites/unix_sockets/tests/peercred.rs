//! SO_PEERCRED (unix(7), "Socket options"): "returns the credentials of the peer process
//! connected to this socket. The returned credentials are those that were in effect at the
//! time of the call to connect(2) or socketpair(2)." Also the peer's supplementary groups
//! (SO_PEERGROUPS, documented by no man page) and its security label (SO_PEERSEC).

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;
use std::os::fd::OwnedFd;

use fixtures::net::{bind, connect, listen};
use fixtures::privilege::{NOBODY, drop_to_nobody};
use fixtures::{Agent, needs, variant};
use nix::errno::Errno;
use nix::unistd::{getegid, geteuid, getpid};
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::addr::UnixAddr;
use unix_sockets::calls::{OptBytes, accept, getsockopt_bytes, gids, peercred, socket, socketpair};
use unix_sockets::cases::connection_types_and_named_kinds;
use unix_sockets::AddrKind;
use unix_sockets::pairs::{connected_client, named_listener, named_socket};
use rstest_reuse::apply;

fn me() -> (i32, u32, u32) {
    // variant: none — the expected ids are this process's own, whichever they are; the
    // claims hold the same for every uid.
    (getpid().as_raw(), geteuid().as_raw(), getegid().as_raw())
}

fn triple(c: libc::ucred) -> (i32, u32, u32) {
    (c.pid, c.uid, c.gid)
}

/// unix(7), SO_PEERCRED: the credentials are those in effect "at the time of the call to ...
/// socketpair(2)", and the option works "for AF_UNIX stream and datagram socket pairs": both
/// ends of a pair report the creating process.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn socketpair_ends_report_the_creating_process(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    assert_eq!(triple(peercred(&a).unwrap()), me());
    assert_eq!(triple(peercred(&b).unwrap()), me());
}

/// SO_PEERCRED of the socket accepted on `l` from a client (an [`Agent`]) that runs
/// `before_connect`, connects to `name` with a new socket of `ty`, runs `after_connect` and
/// stays alive until the credentials have been read. Returns them and the client's pid.
fn peercred_of_a_client(
    ty: SockType,
    l: &OwnedFd,
    name: &UnixAddr,
    before_connect: impl FnOnce(),
    after_connect: impl FnOnce(),
) -> ((i32, u32, u32), i32) {
    let client = Agent::<(), ()>::spawn("client", |serve| {
        before_connect();
        let c = socket(ty, 0);
        connect(&c, name).unwrap();
        after_connect();
        serve.ready(());
        serve.wait_release();
    });
    client.ready::<()>();
    let got = peercred(accept(l).unwrap()).unwrap();
    let pid = client.pid().as_raw();
    client.expect_success();
    (triple(got), pid)
}

/// unix(7), SO_PEERCRED: the accepting side sees the process that called connect(2). A
/// child connects (to a listener of each name kind) and waits; the server's accepted socket
/// reports the child's pid and ids.
#[apply(connection_types_and_named_kinds)]
#[rstest]
#[serial]
fn the_accepted_socket_reports_the_connecting_process(#[case] ty: SockType, #[case] kind: AddrKind) {
    let (l, name, _s) = named_listener(ty, kind, 4);
    let (got, pid) = peercred_of_a_client(ty, &l, &name, || {}, || {});
    // variant: none — geteuid/getegid give the expected ids (the child's are the test's).
    assert_eq!(got, (pid, geteuid().as_raw(), getegid().as_raw()));
}

/// unix(7), SO_PEERCRED "returns the credentials of the peer process connected to this
/// socket": for the connecting side the peer is the server, whose credentials are those of
/// the process that set up the listening socket. The listener is made in a child; the client
/// here sees the child's pid.
#[apply(connection_types)]
#[rstest]
#[serial]
fn the_connecting_socket_reports_the_listening_process(#[case] ty: SockType) {
    let name = UnixAddr::unique_abstract("listener");
    let server = Agent::<(), ()>::spawn("server", |serve| {
        let l = socket(ty, 0);
        bind(&l, &name).unwrap();
        listen(&l, 4).unwrap();
        serve.ready(());
        serve.wait_release();
    });
    server.ready::<()>();
    let c = connected_client(ty, &name);
    let got = peercred(&c).unwrap();
    let pid = server.pid().as_raw();
    server.expect_success();
    // variant: none — geteuid/getegid give the expected ids (the child's are the test's).
    assert_eq!(triple(got), (pid, geteuid().as_raw(), getegid().as_raw()));
}

/// unix(7), SO_PEERCRED, for another user: a client that dropped to nobody (uid and gid
/// 65534) before connecting is reported with those ids. (Run unprivileged, the whole test
/// already is nobody.)
#[apply(connection_types)]
#[rstest]
#[serial]
fn a_client_running_as_nobody_is_reported_as_nobody(#[case] ty: SockType) {
    let (l, name, _s) = named_listener(ty, AddrKind::Abstract, 4);
    let (got, pid) = peercred_of_a_client(ty, &l, &name, drop_to_nobody, || {});
    assert_eq!(got, (pid, NOBODY, NOBODY));
}

/// unix(7), SO_PEERCRED: "The returned credentials are those that were in effect at the time
/// of the call to connect(2)". A client that connects as root and only then drops to nobody
/// is still reported as root — even though the server accepts after the drop. Needs a user
/// switch, so root only.
#[test]
#[serial]
fn credentials_are_those_at_connect_time() {
    needs!(root, cap(SETUID), cap(SETGID));
    let (l, name, _s) = named_listener(SockType::Stream, AddrKind::Abstract, 4);
    let ((_, uid, gid), _) = peercred_of_a_client(SockType::Stream, &l, &name, || {}, drop_to_nobody);
    assert_eq!((uid, gid), (0, 0));
}

/// SO_PEERCRED reports the effective ids (net/core/sock.c, cred_to_ucred() reads euid and
/// egid — unlike the default SCM_CREDENTIALS, which unix(7) says carry the real ids). A
/// client with real uid 0 and effective uid/gid 65534 is reported as 65534. Root only.
#[test]
#[serial]
fn peercred_reports_the_effective_ids() {
    // variant: none — getuid is asserted on, not branched on.
    needs!(root, cap(SETUID), cap(SETGID));
    let (l, name, _s) = named_listener(SockType::Stream, AddrKind::Abstract, 4);
    let effective_nobody = || {
        nix::unistd::setegid(nix::unistd::Gid::from_raw(NOBODY)).unwrap();
        nix::unistd::seteuid(nix::unistd::Uid::from_raw(NOBODY)).unwrap();
        fixtures::child::arm_parent_death(); // cleared by the id change (prctl(2))
        assert_eq!(nix::unistd::getuid().as_raw(), 0, "the real uid stays root");
    };
    let ((_, uid, gid), _) = peercred_of_a_client(SockType::Stream, &l, &name, effective_nobody, || {});
    assert_eq!((uid, gid), (NOBODY, NOBODY));
}

/// unix(7), SO_PEERCRED: "The use of this option is possible only for connected AF_UNIX
/// stream sockets and for AF_UNIX stream and datagram socket pairs created using
/// socketpair(2)." Elsewhere there is no peer process: Linux returns pid 0 and uid/gid -1
/// (net/core/sock.c, cred_to_ucred() with no credentials) rather than an error — also for a
/// datagram socket connected with connect(2).
#[rstest]
#[parallel]
#[case::unconnected_stream("stream")]
#[case::unconnected_seqpacket("seqpacket")]
#[case::unconnected_dgram("dgram")]
#[case::dgram_connected_by_connect("connected-dgram")]
fn without_a_peer_process_peercred_is_pid_0_and_ids_minus_1(#[case] what: &str) {
    let (fd, _receiver) = without_a_peer_process(what);
    assert_eq!(triple(peercred(&fd).unwrap()), (0, u32::MAX, u32::MAX));
}

/// A socket without a peer process, for the SO_PEERCRED and SO_PEERGROUPS claims: an
/// unconnected `stream`, `seqpacket` or `dgram` socket, or (`connected-dgram`) a datagram
/// socket connected with connect(2) to a bound one, which is returned too and must stay open
/// while the socket is asked.
fn without_a_peer_process(what: &str) -> (OwnedFd, Option<OwnedFd>) {
    match what {
        "stream" => (socket(SockType::Stream, 0), None),
        "seqpacket" => (socket(SockType::Seqpacket, 0), None),
        "dgram" => (socket(SockType::Dgram, 0), None),
        "connected-dgram" => {
            // An abstract name needs no directory: the scratch one goes at once.
            let (r, raddr, _) = named_socket(SockType::Dgram, 0, AddrKind::Abstract, "r");
            (connected_client(SockType::Dgram, &raddr), Some(r))
        }
        other => panic!("no socket without a peer called {other:?}"),
    }
}

/// SO_PEERGROUPS with room for `room` groups on `fd`.
fn peergroups(fd: &OwnedFd, room: usize) -> OptBytes {
    getsockopt_bytes(fd, libc::SOL_SOCKET, libc::SO_PEERGROUPS, room * 4)
}

/// SO_PEERGROUPS (no man page documents it; kernel commit 28b5ba2aa0f5, "net: introduce
/// SO_PEERGROUPS getsockopt", 4.13; net/core/sock.c): the supplementary groups of the peer
/// process as they were at connect(2), as SO_PEERCRED gives its ids. A client made
/// a member of exactly 11, 22 and 33 (setgroups(2), so root only) connects and then changes
/// its groups to 44; the server reads back 11, 22, 33 and optlen 12. With room for only one
/// group the call fails ERANGE and sets optlen to the size needed, 12 (dbus-broker's
/// sockopt_get_peergroups grows its buffer on exactly that).
#[apply(connection_types)]
#[rstest]
#[serial]
fn so_peergroups_returns_the_groups_at_connect_time(#[case] ty: SockType) {
    needs!(root, cap(SETGID));
    let (l, name, _s) = named_listener(ty, AddrKind::Abstract, 4);
    let client = Agent::<(), ()>::spawn("client with groups 11, 22, 33", |serve| {
        let groups = [11, 22, 33].map(nix::unistd::Gid::from_raw);
        nix::unistd::setgroups(&groups).unwrap();
        let _c = connected_client(ty, &name);
        nix::unistd::setgroups(&[nix::unistd::Gid::from_raw(44)]).unwrap();
        serve.ready(());
        serve.wait_release();
    });
    client.ready::<()>();
    let served = accept(&l).unwrap();
    let full = peergroups(&served, 3);
    assert_eq!(full.result, Ok(()));
    assert_eq!((gids(&full.bytes), full.optlen), (vec![11, 22, 33], 12));
    let short = peergroups(&served, 1);
    assert_eq!((short.result, short.optlen), (Err(Errno::ERANGE), 12), "ERANGE, and optlen is the size needed");
    client.expect_success();
}

/// SO_PEERGROUPS (commit 28b5ba2aa0f5; no man page) of a socketpair(2) end: the groups of
/// the process that created the pair, in the kernel's order (setgroups(2) sorts them) — this
/// process's getgroups(2), sorted. No groups: a zero-length answer. With room for one group
/// fewer than it has, ERANGE with optlen set to the size needed.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_peergroups_of_a_socketpair_are_the_creators_groups(#[case] ty: SockType) {
    let (a, _b) = socketpair(ty, 0);
    let mut mine: Vec<u32> = nix::unistd::getgroups().unwrap().iter().map(|g| g.as_raw()).collect();
    mine.sort_unstable();
    let n = mine.len();
    let full = peergroups(&a, n + 1);
    assert_eq!(full.result, Ok(()));
    assert_eq!((gids(&full.bytes), full.optlen), (mine, 4 * n));
    if n > 0 {
        let short = peergroups(&a, n - 1);
        assert_eq!((short.result, short.optlen), (Err(Errno::ERANGE), 4 * n));
    }
}

/// SO_PEERGROUPS (commit 28b5ba2aa0f5; no man page) of a socket without a peer process
/// (unconnected; or a datagram socket connected with connect(2), which records no peer
/// credentials, as for SO_PEERCRED): ENODATA (net/core/sock.c: no peer cred).
#[rstest]
#[parallel]
#[case::unconnected_stream("stream")]
#[case::unconnected_dgram("dgram")]
#[case::dgram_connected_by_connect("connected-dgram")]
fn so_peergroups_without_a_peer_process_fails_enodata(#[case] what: &str) {
    let (fd, _receiver) = without_a_peer_process(what);
    assert_eq!(peergroups(&fd, 8).result, Err(Errno::ENODATA));
}

/// unix(7), SO_PEERSEC: "This read-only socket option returns the security context of the
/// peer socket connected to this socket." It needs a security module that labels sockets
/// (SELinux, Smack, AppArmor with its AF_UNIX mediation): without one, getsockopt(2) fails
/// ENOPROTOOPT (net/core/sock.c, security_socket_getpeersec_stream() returns -ENOPROTOOPT;
/// variant `absent`, which dbus-broker reads as an empty label). With one, a one-byte buffer
/// fails ERANGE and sets optlen to the label's length, and a second call with that room
/// returns a label of exactly that length (variant `present`).
#[apply(connection_types)]
#[rstest]
#[parallel]
fn so_peersec_is_the_peer_label_or_enoprotoopt(#[case] ty: SockType) {
    let (a, _b) = socketpair(ty, 0);
    let first = getsockopt_bytes(&a, libc::SOL_SOCKET, libc::SO_PEERSEC, 1);
    match first.result {
        Err(Errno::ENOPROTOOPT) => {
            variant::absent("no security module labels AF_UNIX peers here: SO_PEERSEC fails ENOPROTOOPT");
        }
        Err(Errno::ERANGE) => {
            let needed = first.optlen;
            assert!(needed > 1, "ERANGE with optlen {needed}");
            let label = getsockopt_bytes(&a, libc::SOL_SOCKET, libc::SO_PEERSEC, needed);
            assert_eq!(label.result, Ok(()));
            assert_eq!(label.optlen, needed);
            let text = String::from_utf8_lossy(&label.bytes).trim_end_matches('\0').to_string();
            assert!(!text.is_empty(), "an empty label");
            variant::present(format_args!("SO_PEERSEC gives the peer's label {text:?} ({needed} bytes)"));
        }
        other => panic!("SO_PEERSEC with a one-byte buffer: {other:?} (optlen {})", first.optlen),
    }
}
