//! A listening socket handed to a new program across execve(2), as systemd's socket
//! activation does (sd_listen_fds(3): the sockets are passed "starting with file
//! descriptor 3", without FD_CLOEXEC). execve(2): "By default, file descriptors remain open
//! across an execve()"; the descriptor refers to the same open file description, so the
//! socket keeps its state: it is still listening, and connections the kernel queued before
//! the exec are accepted by the new program.
//!
//! A child moves the listener to fd 3 (dup2(2) clears FD_CLOEXEC on the copy) and re-executes
//! the test binary as the `accept-echo 3 2` probe, which checks SO_ACCEPTCONN, accepts two
//! connections and echoes one message on each.

use fds::{dup2, fcntl};
use fixtures::io::{raw_fd, read_exact, write_all};
use fixtures::net::{SockAddr, connect_to, listener};
use fixtures::{Scratch, spawn};
use rstest::rstest;

/// The family of the listening socket.
#[derive(Debug, Clone, Copy)]
enum Listen {
    /// AF_UNIX stream socket bound to a path (dbus-broker's bus socket).
    Unix,
    /// TCP on 127.0.0.1.
    Tcp,
}

/// execve(2): "By default, file descriptors remain open across an execve()"; sd_listen_fds(3):
/// the service receives the listening sockets from fd 3 on. Asserted: a connection made and
/// written to *before* the exec is accepted by the exec'd program (its message comes back
/// exactly); the socket still reports SO_ACCEPTCONN 1 after the exec; a connection made
/// once the new program sleeps in accept(2) is accepted too; the program exits 0.
#[rstest]
#[case::unix(Listen::Unix)]
#[case::tcp(Listen::Tcp)]
fn an_inherited_listening_socket_accepts_connections_queued_before_and_made_after_exec(#[case] kind: Listen) {
    let dir = Scratch::new();
    let addr = match kind {
        Listen::Unix => SockAddr::unix(&dir.join("activated")),
        Listen::Tcp => SockAddr::loopback_v4(0),
    };
    let (l, addr) = listener(&addr, 8, 0);
    let early = connect_to(&addr);
    write_all(&early, b"queued before exec");

    let mut service = spawn("socket-activated service", || {
        // The copy made by dup2 has FD_CLOEXEC clear; F_SETFD 0 covers the case where the
        // listener already is fd 3 (dup2 onto itself changes nothing).
        assert_eq!(dup2(&l, 3), Ok(3), "dup2 to fd 3");
        assert_eq!(fcntl(raw_fd(3), libc::F_SETFD, 0), Ok(0), "clear FD_CLOEXEC on fd 3");
        fixtures::exec::exec_probe(&["accept-echo", "3", "2"])
    });
    assert_eq!(read_exact(&early, 18), b"queued before exec", "the connection queued before exec");

    // The exec'd program now sleeps in accept(2) of the inherited socket.
    service.wait_until_blocked_in(&[libc::SYS_accept, libc::SYS_accept4]);
    let late = connect_to(&addr);
    write_all(&late, b"made after exec");
    assert_eq!(read_exact(&late, 15), b"made after exec", "the connection made after exec");
    service.expect_success();
}
