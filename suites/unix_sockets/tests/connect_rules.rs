//! listen(2), accept(2) and connect(2) for AF_UNIX: who may connect to what, and the errors
//! for sockets in the wrong state or of the wrong type.

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;
use fixtures::io::{fd_flags, set_nonblocking, status_flags};
use fixtures::names::ModeGuard;
use fixtures::net::{bind, connect, listen, recv, send};
use fixtures::privilege::drop_to_nobody;
use fixtures::sync::channel;
use fixtures::{Scratch, assert_errno, run_in_child, spawn};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::addr::{UnixAddr, UnixAddrExt, getpeername};
use unix_sockets::calls::{accept, accept4, recv_vec, socket, socketpair};
use unix_sockets::cases::{connection_types_and_kinds, connection_types_and_named_kinds, connection_types_in_both_modes, reaches};
use unix_sockets::{AddrKind, Blocking};
use unix_sockets::pairs::{Reach, bound_socket, connected_client, connected_pair, listener, named_listener, named_socket, serve, unconnected_dgram};
use rstest_reuse::apply;

/// connect(2), ERRORS: "ECONNREFUSED A connect() on a stream socket found no one listening
/// on the remote address." A bound socket that never called listen(2) refuses, whatever its
/// kind of name.
#[apply(connection_types_and_named_kinds)]
#[rstest]
#[parallel]
fn connect_to_a_bound_socket_that_is_not_listening_fails_econnrefused(#[case] ty: SockType, #[case] kind: AddrKind) {
    let (_bound, name, _s) = named_socket(ty, 0, kind, "server");
    assert_errno!(connect(socket(ty, 0), &name), Errno::ECONNREFUSED);
}

/// unix(7), ERRORS: "ECONNREFUSED The remote address specified by connect(2) was not a
/// listening socket." After the listener is closed its name refuses connections — for a
/// pathname even though the socket file is still there.
#[apply(connection_types_and_named_kinds)]
#[rstest]
#[parallel]
fn connect_after_the_listener_closed_fails_econnrefused(#[case] ty: SockType, #[case] kind: AddrKind) {
    let (l, name, s) = named_listener(ty, kind, 4);
    assert_eq!(connect(socket(ty, 0), &name), Ok(()));
    drop(l);
    if kind == AddrKind::Pathname {
        assert!(s.join("listener").exists());
    }
    assert_errno!(connect(socket(ty, 0), &name), Errno::ECONNREFUSED);
}

/// unix(7), ERRORS: "ECONNREFUSED The remote address specified by connect(2) was not a
/// listening socket." An abstract name nobody bound refuses (there is no file to be missing,
/// so not ENOENT), for every type.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn connect_to_an_unbound_abstract_name_fails_econnrefused(#[case] ty: SockType) {
    assert_errno!(connect(socket(ty, 0), &UnixAddr::unique_abstract("nobody-here")), Errno::ECONNREFUSED);
}

/// unix(7), ERRORS: "EPROTOTYPE Remote socket does not match the local socket type
/// (SOCK_DGRAM versus SOCK_STREAM)"; connect(2): "This error can occur, for example, on an
/// attempt to connect a UNIX domain datagram socket to a stream socket." Every mismatched
/// pair of types behind a pathname.
#[rstest]
#[parallel]
#[case::dgram_to_stream(SockType::Stream, SockType::Dgram)]
#[case::seqpacket_to_stream(SockType::Stream, SockType::Seqpacket)]
#[case::stream_to_dgram(SockType::Dgram, SockType::Stream)]
#[case::seqpacket_to_dgram(SockType::Dgram, SockType::Seqpacket)]
#[case::stream_to_seqpacket(SockType::Seqpacket, SockType::Stream)]
#[case::dgram_to_seqpacket(SockType::Seqpacket, SockType::Dgram)]
fn connect_to_a_pathname_socket_of_another_type_fails_eprototype(#[case] server: SockType, #[case] client: SockType) {
    let (srv, name, _s) = named_socket(server, 0, AddrKind::Pathname, "server");
    serve(server, &srv);
    assert_errno!(connect(socket(client, 0), &name), Errno::EPROTOTYPE);
}

/// unix(7), "Pathname socket ownership and permissions": "On Linux, connecting to a stream
/// socket object requires write permission on that socket; sending a datagram to a datagram
/// socket likewise requires write permission on that socket." connect(2), ERRORS: "EACCES
/// For UNIX domain sockets, which are identified by pathname: Write permission is denied on
/// the socket file". Checked as nobody (a child drops privileges when run as root): with
/// mode 0777 the call succeeds, with 0555 it fails with EACCES.
#[apply(reaches)]
#[rstest]
#[serial]
fn reaching_a_socket_file_needs_write_permission(#[case] how: Reach) {
    let s = Scratch::new();
    s.open_to_all();
    let (srv, name) = bound_socket(how.ty(), 0, AddrKind::Pathname, &s, "server");
    serve(how.ty(), &srv);
    let file = s.join("server");
    let attempt = |expected: Result<(), Errno>| {
        run_in_child("reach as nobody", || {
            drop_to_nobody();
            assert_eq!(how.attempt(&name), expected);
        })
        .expect_success()
    };
    let _m = ModeGuard::set(&file, 0o777, 0o777);
    attempt(Ok(()));
    let _m = ModeGuard::set(&file, 0o555, 0o777);
    attempt(Err(Errno::EACCES));
}

/// connect(2), ERRORS: "EACCES For UNIX domain sockets ... search permission is denied for
/// one of the directories in the path prefix." The socket file itself is mode 0777; its
/// directory is mode 0666 (readable, writable, not searchable). Checked as nobody.
#[rstest]
#[serial]
#[case::stream_connect(Reach::StreamConnect)]
#[case::seqpacket_connect(Reach::SeqpacketConnect)]
#[case::dgram_sendto(Reach::DgramSendto)]
fn reaching_a_socket_file_needs_search_permission_on_its_directory(#[case] how: Reach) {
    let s = Scratch::new();
    s.open_to_all();
    let dir = s.join("dir");
    std::fs::create_dir(&dir).unwrap();
    let _d = ModeGuard::set(&dir, 0o777, 0o777);
    let srv = socket(how.ty(), 0);
    let name = UnixAddr::pathname(&dir.join("server"));
    bind(&srv, &name).unwrap();
    let _f = ModeGuard::set(&dir.join("server"), 0o777, 0o777);
    serve(how.ty(), &srv);
    let _d = ModeGuard::set(&dir, 0o666, 0o777);
    run_in_child("reach as nobody", || {
        drop_to_nobody();
        assert_errno!(how.attempt(&name), Errno::EACCES);
    })
    .expect_success();
}

/// listen(2): "The sockfd argument is a file descriptor that refers to a socket of type
/// SOCK_STREAM or SOCK_SEQPACKET"; ERRORS: "EOPNOTSUPP The socket is not of a type that
/// supports the listen() operation."
#[rstest]
#[parallel]
fn listen_on_a_datagram_socket_fails_eopnotsupp(#[values(false, true)] bound: bool) {
    let fd = unconnected_dgram(bound);
    assert_errno!(listen(&fd, 1), Errno::EOPNOTSUPP);
}

/// unix(7), ERRORS: "EINVAL ... the socket was in an invalid state for the applied
/// operation": AF_UNIX refuses to listen on a socket without an address (it would be
/// unreachable; net/unix/af_unix.c, unix_listen(): "No listens on an unbound socket").
#[apply(connection_types)]
#[rstest]
#[parallel]
fn listen_on_an_unbound_socket_fails_einval(#[case] ty: SockType) {
    let fd = socket(ty, 0);
    assert_errno!(listen(&fd, 1), Errno::EINVAL);
    assert_eq!(fixtures::net::getsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN), Ok(0));
}

/// accept(2), ERRORS: "EINVAL Socket is not listening for connections". Unbound, bound and
/// connected sockets alike.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn accept_on_a_socket_that_is_not_listening_fails_einval(
    #[case] ty: SockType,
    #[values(
        /// unbound
        "unbound",
        /// bound
        "bound",
        /// connected
        "connected"
    )]
    state: &str,
) {
    let fd = match state {
        "unbound" => socket(ty, 0),
        "bound" => {
            let fd = socket(ty, 0);
            bind(&fd, &UnixAddr::unnamed()).unwrap();
            fd
        }
        _ => socketpair(ty, 0).0,
    };
    assert_errno!(accept(&fd), Errno::EINVAL);
}

/// accept(2), ERRORS: "EOPNOTSUPP The referenced socket is not of type SOCK_STREAM." (A
/// datagram socket has no connections to accept.)
#[test]
#[parallel]
fn accept_on_a_datagram_socket_fails_eopnotsupp() {
    let fd = socket(SockType::Dgram, 0);
    bind(&fd, &UnixAddr::unnamed()).unwrap();
    assert_errno!(accept(&fd), Errno::EOPNOTSUPP);
}

/// unix(7), ERRORS: "EISCONN connect(2) called on an already connected socket". Both ends of
/// a connection (the connecting and the accepted one, or both ends of a socketpair) refuse a
/// second connect, even to a valid listener.
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn connect_on_a_connected_socket_fails_eisconn(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    let (_other, other_name) = listener(ty, AddrKind::Abstract, &p.scratch, 4);
    assert_errno!(connect(&p.a, &other_name), Errno::EISCONN);
    assert_errno!(connect(&p.b, &other_name), Errno::EISCONN);
}

/// unix(7), ERRORS: "EINVAL ... the socket was in an invalid state for the applied
/// operation": a listening socket cannot also connect.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn connect_from_a_listening_socket_fails_einval(#[case] ty: SockType) {
    let (l, _, s) = named_listener(ty, AddrKind::Abstract, 4);
    let (_target, target_name) = listener(ty, AddrKind::Pathname, &s, 4);
    assert_errno!(connect(&l, &target_name), Errno::EINVAL);
}

/// accept(2), NOTES: "On Linux, the new socket returned by accept() does not inherit file
/// status flags such as O_NONBLOCK and O_ASYNC from the listening socket."
#[apply(connection_types)]
#[rstest]
#[parallel]
fn accept_does_not_inherit_o_nonblock(#[case] ty: SockType) {
    let l = socket(ty, libc::SOCK_NONBLOCK);
    let name = UnixAddr::unique_abstract("nb");
    bind(&l, &name).unwrap();
    listen(&l, 4).unwrap();
    connect(socket(ty, 0), &name).unwrap();
    let served = accept(&l).unwrap();
    assert_eq!(status_flags(&served) & libc::O_NONBLOCK, 0);
    assert_eq!(fd_flags(&served) & libc::FD_CLOEXEC, 0);
}

/// accept(2): "If flags is 0, then accept4() is the same as accept(). The following values
/// can be bitwise ORed in flags: SOCK_NONBLOCK Set the O_NONBLOCK file status flag on the
/// open file description ... SOCK_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the new
/// file descriptor."
#[apply(connection_types)]
#[rstest]
#[parallel]
fn accept4_flags_set_o_nonblock_and_fd_cloexec(
    #[case] ty: SockType,
    #[values(
        /// sock_nonblock
        libc::SOCK_NONBLOCK,
        /// sock_cloexec
        libc::SOCK_CLOEXEC
    )]
    flag: libc::c_int,
) {
    let (l, name, _s) = named_listener(ty, AddrKind::Abstract, 4);
    connect(socket(ty, 0), &name).unwrap();
    let served = accept4(&l, flag).unwrap();
    let nonblock = status_flags(&served) & libc::O_NONBLOCK != 0;
    let cloexec = fd_flags(&served) & libc::FD_CLOEXEC != 0;
    assert_eq!((nonblock, cloexec), (flag == libc::SOCK_NONBLOCK, flag == libc::SOCK_CLOEXEC));
}

/// accept(2), ERRORS: "EINVAL (accept4()) invalid value in flags." The pending connection is
/// left for a correct call.
#[test]
#[parallel]
fn accept4_with_an_invalid_flag_fails_einval() {
    let (l, name, _s) = named_listener(SockType::Stream, AddrKind::Abstract, 4);
    connect(socket(SockType::Stream, 0), &name).unwrap();
    assert_errno!(accept4(&l, libc::O_APPEND), Errno::EINVAL);
    assert!(accept(&l).is_ok(), "the connection is still pending");
}

/// accept(2): "If no pending connections are present on the queue, and the socket is not
/// marked as nonblocking, accept() blocks the caller until a connection is present. If the
/// socket is marked nonblocking and no pending connections are present on the queue,
/// accept() fails with the error EAGAIN". The blocking case is proven with a child that stays
/// asleep in accept(2) until a client connects, then returns the connection.
#[apply(connection_types_in_both_modes)]
#[rstest]
#[serial]
fn accept_without_a_pending_connection(#[case] ty: SockType, mode: Blocking) {
    let (l, name, _s) = named_listener(ty, AddrKind::Abstract, 4);
    if mode == Blocking::Nonblocking {
        set_nonblocking(&l, true);
        assert_errno!(accept(&l), Errno::EAGAIN);
        return;
    }
    let (ready, wait_ready) = channel();
    let mut acceptor = spawn("blocked acceptor", || {
        ready.notify();
        let c = accept(&l).expect("accept after the connect");
        assert_eq!(recv_vec(&c, 8, 0).as_deref(), Ok(&b"hi"[..]));
    });
    wait_ready.wait();
    acceptor.assert_blocked_in(fixtures::blocked::calls::ACCEPT, "accept(2) with an empty queue");
    let c = connected_client(ty, &name);
    send(&c, b"hi", 0).unwrap();
    acceptor.expect_success();
}

/// unix(7) / connect(2): for UNIX domain sockets the connection is complete when connect(2)
/// returns, before the server accepts it ("Once connected, data may be transferred",
/// socket(2)): the client can send at once, even on a nonblocking socket (no EINPROGRESS,
/// connect(2): "UNIX domain sockets failed with EAGAIN instead" only when it cannot
/// complete), and the data is waiting on the accepted socket.
#[apply(connection_types_in_both_modes)]
#[rstest]
#[parallel]
fn a_connection_is_complete_before_accept(#[case] ty: SockType, mode: Blocking) {
    let (l, name, _s) = named_listener(ty, AddrKind::Pathname, 4);
    let c = socket(ty, if mode == Blocking::Nonblocking { libc::SOCK_NONBLOCK } else { 0 });
    assert_eq!(connect(&c, &name), Ok(()));
    assert_eq!(send(&c, b"early", 0), Ok(5));
    assert!(getpeername(&c).is_ok(), "connected before accept");
    let served = accept(&l).unwrap();
    assert_eq!(recv_vec(&served, 16, libc::MSG_DONTWAIT).as_deref(), Ok(&b"early"[..]));
}

/// unix(7), ERRORS: "ECONNRESET Remote socket was unexpectedly closed." A connection still
/// waiting in the backlog when the listener is closed is reset: the client's recv(2) fails
/// with ECONNRESET once, then reports end of file, and send(2) fails with EPIPE.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn closing_the_listener_resets_connections_not_yet_accepted(#[case] ty: SockType) {
    let (l, name, _s) = named_listener(ty, AddrKind::Abstract, 4);
    let c = connected_client(ty, &name);
    drop(l);
    let mut b = [0u8; 8];
    assert_errno!(recv(&c, &mut b, libc::MSG_DONTWAIT), Errno::ECONNRESET);
    assert_eq!(recv(&c, &mut b, libc::MSG_DONTWAIT), Ok(0));
    assert_errno!(send(&c, b"x", libc::MSG_NOSIGNAL), Errno::EPIPE);
}
