//! SO_PEERCRED (unix(7), "Socket options"): "returns the credentials of the peer process
//! connected to this socket. The returned credentials are those that were in effect at the
//! time of the call to connect(2) or socketpair(2)."

use fixtures::privilege::{NOBODY, can_switch_user, drop_to_nobody};
use fixtures::sync::channel;
use fixtures::{Scratch, require, spawn};
use nix::unistd::{getegid, geteuid, getpid};
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::*;

fn me() -> (i32, u32, u32) {
    (getpid().as_raw(), geteuid().as_raw(), getegid().as_raw())
}

fn triple(c: libc::ucred) -> (i32, u32, u32) {
    (c.pid, c.uid, c.gid)
}

/// unix(7), SO_PEERCRED: the credentials are those in effect "at the time of the call to ...
/// socketpair(2)", and the option works "for AF_UNIX stream and datagram socket pairs": both
/// ends of a pair report the creating process.
#[rstest]
#[parallel]
fn socketpair_ends_report_the_creating_process(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, 0);
    assert_eq!(triple(peercred(&a).unwrap()), me());
    assert_eq!(triple(peercred(&b).unwrap()), me());
}

/// unix(7), SO_PEERCRED: the accepting side sees the process that called connect(2). A
/// child connects (to a listener of each name kind) and waits; the server's accepted socket
/// reports the child's pid and ids.
#[rstest]
#[serial]
fn the_accepted_socket_reports_the_connecting_process(
    #[values(SockType::Stream, SockType::Seqpacket)] ty: SockType,
    #[values(AddrKind::Pathname, AddrKind::Abstract, AddrKind::Autobind)] kind: AddrKind,
) {
    let s = Scratch::new();
    let (l, name) = listener(ty, kind, &s, 4);
    let (connected, wait_connected) = channel();
    let (done, wait_done) = channel();
    let client = spawn("client", || {
        let c = socket(ty, 0);
        connect(&c, &name).unwrap();
        connected.notify();
        wait_done.wait();
    });
    wait_connected.wait();
    let served = accept(&l).unwrap();
    let got = peercred(&served).unwrap();
    done.notify();
    let pid = client.pid().as_raw();
    client.expect_success();
    assert_eq!(triple(got), (pid, geteuid().as_raw(), getegid().as_raw()));
}

/// unix(7), SO_PEERCRED "returns the credentials of the peer process connected to this
/// socket": for the connecting side the peer is the server, whose credentials are those of
/// the process that set up the listening socket. The listener is made in a child; the client
/// here sees the child's pid.
#[rstest]
#[serial]
fn the_connecting_socket_reports_the_listening_process(#[values(SockType::Stream, SockType::Seqpacket)] ty: SockType) {
    let name = UnixAddr::unique_abstract("listener");
    let (listening, wait_listening) = channel();
    let (done, wait_done) = channel();
    let server = spawn("server", || {
        let l = socket(ty, 0);
        bind(&l, &name).unwrap();
        listen(&l, 4).unwrap();
        listening.notify();
        wait_done.wait();
    });
    wait_listening.wait();
    let c = socket(ty, 0);
    connect(&c, &name).unwrap();
    let got = peercred(&c).unwrap();
    done.notify();
    let pid = server.pid().as_raw();
    server.expect_success();
    assert_eq!(triple(got), (pid, geteuid().as_raw(), getegid().as_raw()));
}

/// unix(7), SO_PEERCRED, for another user: a client that dropped to nobody (uid and gid
/// 65534) before connecting is reported with those ids. (Run unprivileged, the whole test
/// already is nobody.)
#[rstest]
#[serial]
fn a_client_running_as_nobody_is_reported_as_nobody(#[values(SockType::Stream, SockType::Seqpacket)] ty: SockType) {
    let s = Scratch::new();
    let (l, name) = listener(ty, AddrKind::Abstract, &s, 4);
    let (connected, wait_connected) = channel();
    let (done, wait_done) = channel();
    let client = spawn("client as nobody", || {
        drop_to_nobody();
        let c = socket(ty, 0);
        connect(&c, &name).unwrap();
        connected.notify();
        wait_done.wait();
    });
    wait_connected.wait();
    let got = peercred(&accept(&l).unwrap()).unwrap();
    done.notify();
    let pid = client.pid().as_raw();
    client.expect_success();
    assert_eq!(triple(got), (pid, NOBODY, NOBODY));
}

/// unix(7), SO_PEERCRED: "The returned credentials are those that were in effect at the time
/// of the call to connect(2)". A client that connects as root and only then drops to nobody
/// is still reported as root — even though the server accepts after the drop. Needs a user
/// switch, so root only.
#[test]
#[serial]
fn credentials_are_those_at_connect_time() {
    require!(if can_switch_user() { Ok(()) } else { Err("requires root with CAP_SETUID/CAP_SETGID".to_string()) });
    let s = Scratch::new();
    let (l, name) = listener(SockType::Stream, AddrKind::Abstract, &s, 4);
    let (dropped, wait_dropped) = channel();
    let (done, wait_done) = channel();
    let client = spawn("client that drops after connecting", || {
        let c = socket(SockType::Stream, 0);
        connect(&c, &name).unwrap();
        drop_to_nobody();
        dropped.notify();
        wait_done.wait();
    });
    wait_dropped.wait();
    let got = peercred(&accept(&l).unwrap()).unwrap();
    done.notify();
    client.expect_success();
    assert_eq!((got.uid, got.gid), (0, 0));
}

/// SO_PEERCRED reports the effective ids (net/core/sock.c, cred_to_ucred() reads euid and
/// egid — unlike the default SCM_CREDENTIALS, which unix(7) says carry the real ids). A
/// client with real uid 0 and effective uid/gid 65534 is reported as 65534. Root only.
#[test]
#[serial]
fn peercred_reports_the_effective_ids() {
    require!(if can_switch_user() { Ok(()) } else { Err("requires root with CAP_SETUID/CAP_SETGID".to_string()) });
    let s = Scratch::new();
    let (l, name) = listener(SockType::Stream, AddrKind::Abstract, &s, 4);
    let (connected, wait_connected) = channel();
    let (done, wait_done) = channel();
    let client = spawn("client with euid 65534", || {
        nix::unistd::setegid(nix::unistd::Gid::from_raw(NOBODY)).unwrap();
        nix::unistd::seteuid(nix::unistd::Uid::from_raw(NOBODY)).unwrap();
        assert_eq!(nix::unistd::getuid().as_raw(), 0, "the real uid stays root");
        let c = socket(SockType::Stream, 0);
        connect(&c, &name).unwrap();
        connected.notify();
        wait_done.wait();
    });
    wait_connected.wait();
    let got = peercred(&accept(&l).unwrap()).unwrap();
    done.notify();
    client.expect_success();
    assert_eq!((got.uid, got.gid), (NOBODY, NOBODY));
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
    let s = Scratch::new();
    let mut keep = None;
    let fd = match what {
        "stream" => socket(SockType::Stream, 0),
        "seqpacket" => socket(SockType::Seqpacket, 0),
        "dgram" => socket(SockType::Dgram, 0),
        _ => {
            let (r, raddr) = bound_socket(SockType::Dgram, 0, AddrKind::Abstract, &s, "r");
            let c = socket(SockType::Dgram, 0);
            connect(&c, &raddr).unwrap();
            keep = Some(r);
            c
        }
    };
    assert_eq!(triple(peercred(&fd).unwrap()), (0, u32::MAX, u32::MAX));
    drop(keep);
}
