//! Changing the mode of a bound socket file while the server runs (tmux marks "clients
//! attached" in the socket file's x bits; its w bit decides who may connect). unix(7),
//! "Pathname socket ownership and permissions": "On Linux, connecting to a stream socket
//! object requires write permission on that socket". The check is made by connect(2) when
//! it looks the path up (net/unix/af_unix.c, unix_find_bsd: path_permission(MAY_WRITE)),
//! so a chmod(2) of the file applies to every later connect and to no connection that
//! exists already: an accepted connection is not tied to the file at all.
//!
//! The connecting side runs without CAP_DAC_OVERRIDE: as nobody when the suite runs as root
//! (the file stays root's), as the file's own owner when it runs unprivileged (mode 0555
//! then denies the owner write too).

use fixtures::io::{read_exact, write_all};
use fixtures::names::ModeGuard;
use fixtures::net::connect;
use fixtures::privilege::drop_to_nobody;
use fixtures::sync::channel;
use fixtures::{Scratch, assert_errno, needs, spawn};
use nix::errno::Errno;
use serial_test::serial;
use fixtures::net::SockType;
use unix_sockets::calls::socket;
use unix_sockets::pairs::listener;
use unix_sockets::AddrKind;

/// unix(7): connecting "requires write permission on that socket", checked at connect
/// time: with the file at 0777 the client connects; after chmod 0555 its existing
/// connection still carries data both ways while a new connect fails with EACCES; after
/// chmod 0777 again a new connect succeeds.
#[test]
#[serial]
fn chmod_of_a_socket_file_applies_to_later_connects_not_to_existing_connections() {
    needs!(other_user);
    let s = Scratch::new();
    s.open_to_all();
    let (l, name) = listener(SockType::Stream, AddrKind::Pathname, &s, 4);
    let file = s.join("listener");
    let open = ModeGuard::set(&file, 0o777, 0o777);
    let (to_server, from_client) = channel();
    let (to_client, from_server) = channel();
    let client = spawn("client without CAP_DAC_OVERRIDE", || {
        drop_to_nobody();
        let c = socket(SockType::Stream, 0);
        assert_eq!(connect(&c, &name), Ok(()), "connect with the file at 0777");
        to_server.notify();
        from_server.wait(); // the file is now 0555
        assert_errno!(connect(socket(SockType::Stream, 0), &name), Errno::EACCES);
        write_all(&c, b"ping");
        assert_eq!(read_exact(&c, 4), b"pong", "the existing connection after chmod 0555");
        to_server.notify();
        from_server.wait(); // the file is 0777 again
        assert_eq!(connect(socket(SockType::Stream, 0), &name), Ok(()), "connect after chmod 0777");
    });
    from_client.wait();
    let (conn, _) = fixtures::net::accept_ready(&l);
    drop(open);
    let closed = ModeGuard::set(&file, 0o555, 0o777);
    to_client.notify();
    assert_eq!(read_exact(&conn, 4), b"ping");
    write_all(&conn, b"pong");
    from_client.wait();
    drop(closed);
    let _open = ModeGuard::set(&file, 0o777, 0o777);
    to_client.notify();
    client.expect_success();
    fixtures::net::accept_ready(&l);
}
