//! Ending TCP connections: shutdown(2), close(2) with and without unread data, SO_LINGER,
//! and what the peer sees (EOF, ECONNRESET, EPIPE, SIGPIPE).
//!
//! Claims about what close(2) sends need the close to be the *last* reference to the
//! socket, so those tests create their sockets inside a forked child (see the suite
//! overview in src/lib.rs).

use std::os::fd::AsRawFd;

use fixtures::io::{read_exact, read_to_eof};
use fixtures::net::{recv, recv_ready, send, so_error};
use fixtures::poll::wait_for_events;
use fixtures::signals;
use fixtures::{assert_errno, needs, run_in_child, spawn};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::{socket, tcp_pair};
use inet_sockets::tcp::set_linger;
use inet_sockets::cases::families;
use rstest_reuse::apply;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::socket::{Shutdown, shutdown};
use rstest::rstest;

/// Make the accepted side of a fresh pair reset the connection (close with SO_LINGER 0) and
/// wait until the client has seen the RST (poll reports POLLERR). Returns the client.
fn reset_by_peer(fam: Family) -> std::os::fd::OwnedFd {
    let (c, s) = tcp_pair(fam);
    set_linger(&s, true, 0);
    drop(s);
    let r = wait_for_events(&c, libc::POLLIN, "the RST");
    assert_ne!(r & libc::POLLERR, 0, "revents {r:#x} after RST lack POLLERR");
    c
}

/// shutdown(2): "If how is SHUT_WR, further transmissions will be disallowed." The peer
/// reads the data and then EOF (0), yet can still send back, and the half-closed side
/// still receives; its own send now fails with EPIPE (tcp(7), EPIPE "a read is executed on
/// a shut down socket" / ip(7) EPIPE; MSG_NOSIGNAL suppresses SIGPIPE).
#[apply(families)]
fn shutdown_wr_gives_the_peer_eof_but_keeps_the_other_direction_open(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (c, s) = tcp_pair(fam);
    send(&c, b"request", 0).unwrap();
    shutdown(c.as_raw_fd(), Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&s), b"request", "data, then EOF");
    let mut b = [0u8; 8];
    assert_eq!(recv(&s, &mut b, libc::MSG_DONTWAIT), Ok(0), "EOF is repeated");
    assert_eq!(send(&s, b"response", 0), Ok(8));
    assert_eq!(read_exact(&c, 8), b"response");
    assert_errno!(send(&c, b"more", libc::MSG_NOSIGNAL), Errno::EPIPE);
}

/// shutdown(2), ERRORS: "ENOTCONN The specified socket is not connected."
#[test]
fn shutdown_of_an_unconnected_tcp_socket_fails_enotconn() {
    let s = socket(Family::V4, Proto::Tcp);
    assert_errno!(shutdown(s.as_raw_fd(), Shutdown::Both), Errno::ENOTCONN);
}

/// RFC 2525, 2.17 "Failure to RST on close with data pending" (and net/ipv4/tcp.c,
/// tcp_close(): "we send a RST here because data was lost"): closing a connection while
/// received data is still unread resets it. The peer's next recv(2) fails with ECONNRESET
/// (the pending error, reported once), after which it reads 0; a close without unread
/// data sends a FIN and the peer reads plain EOF.
#[apply(families)]
fn close_with_unread_data_resets_the_connection(
    #[case] fam: Family,
    #[values(
        /// unread_data
        true,
        /// all_read
        false,
    )]
    close_with: bool,
) {
    needs!(available(fam.availability()));
    let unread = close_with;
    run_in_child("close with/without unread data", || {
        let (c, s) = tcp_pair(fam);
        send(&c, b"never read", 0).unwrap();
        if unread {
            wait_for_events(&s, libc::POLLIN, "the data at the server");
        } else {
            assert_eq!(read_exact(&s, 10), b"never read");
        }
        drop(s);
        let mut b = [0u8; 16];
        if unread {
            wait_for_events(&c, libc::POLLERR, "the RST");
            assert_errno!(recv(&c, &mut b, libc::MSG_DONTWAIT), Errno::ECONNRESET);
            assert_eq!(recv(&c, &mut b, libc::MSG_DONTWAIT), Ok(0), "after the reported reset");
        } else {
            assert_eq!(recv_ready(&c, &mut b, 0), Ok(0), "EOF after a FIN");
            assert_eq!(so_error(&c), 0, "no error after an orderly close");
        }
    })
    .expect_success();
}

/// socket(7), SO_LINGER: "When enabled, a close(2) or shutdown(2) will not return until all
/// queued messages for the socket have been successfully sent or the linger timeout has
/// been reached." With a timeout of 0 the close is abortive: the connection is reset (RST
/// instead of FIN; net/ipv4/tcp.c, tcp_close(): "Check zero linger _after_ checking for
/// unread data" -> tcp_disconnect()), and the peer gets ECONNRESET although it has nothing
/// unread on either side.
#[apply(families)]
fn close_with_so_linger_zero_resets_the_connection(#[case] fam: Family) {
    needs!(available(fam.availability()));
    run_in_child("abortive close", || {
        let c = reset_by_peer(fam);
        let mut b = [0u8; 4];
        assert_errno!(recv(&c, &mut b, libc::MSG_DONTWAIT), Errno::ECONNRESET);
    })
    .expect_success();
}

/// ip(7)/tcp(7), EPIPE: "The other end closed the socket unexpectedly". After the peer reset
/// the connection, the first send(2) reports the pending error ECONNRESET; the next one
/// fails with EPIPE and, with SIGPIPE at its default disposition, kills the process with
/// SIGPIPE (send(2): "EPIPE ... In this case, the process will also receive a SIGPIPE
/// unless MSG_NOSIGNAL is set"; net/core/stream.c, sk_stream_error()).
#[apply(families)]
fn after_a_reset_send_fails_econnreset_then_epipe_with_sigpipe(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let child = spawn("writer after RST", || {
        let c = reset_by_peer(fam);
        signals::set_default(Signal::SIGPIPE);
        assert_errno!(send(&c, b"x", 0), Errno::ECONNRESET, "first send after the reset");
        let r = send(&c, b"y", 0);
        panic!("the second send returned {r:?} and SIGPIPE did not kill the process");
    });
    child.expect_signal(Signal::SIGPIPE);
}

/// send(2): "MSG_NOSIGNAL ... Don't generate a SIGPIPE signal if the peer on a
/// stream-oriented socket has closed the connection. The EPIPE error is still returned."
/// Once the reset has been reported, send with MSG_NOSIGNAL fails with EPIPE and the
/// process (SIGPIPE at default) survives with no SIGPIPE pending.
#[test]
fn msg_nosignal_gives_epipe_without_sigpipe() {
    run_in_child("MSG_NOSIGNAL after RST", || {
        let c = reset_by_peer(Family::V4);
        signals::set_default(Signal::SIGPIPE);
        signals::block(Signal::SIGPIPE);
        assert_eq!(so_error(&c), libc::ECONNRESET, "SO_ERROR holds the reset");
        assert_errno!(send(&c, b"x", libc::MSG_NOSIGNAL), Errno::EPIPE);
        assert_errno!(send(&c, b"x", libc::MSG_NOSIGNAL), Errno::EPIPE);
        assert!(!signals::is_pending(Signal::SIGPIPE), "SIGPIPE was raised despite MSG_NOSIGNAL");
        signals::unblock(Signal::SIGPIPE);
    })
    .expect_success();
}
