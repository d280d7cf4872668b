//! What an end sees after its peer is closed: EPIPE and SIGPIPE (and MSG_NOSIGNAL) on
//! connections, ECONNRESET when the peer left data unread, and the datagram case, where
//! there is no connection to break.

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;
use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::net::{recv, send};
use fixtures::signals;
use fixtures::sync::channel;
use fixtures::{Outcome, assert_errno, spawn};
use nix::errno::Errno;
use nix::sys::signal::SaFlags;
use nix::sys::signal::Signal;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::addr::getpeername;
use unix_sockets::calls::{recv_vec, shutdown};
use unix_sockets::cases::{address_kinds, connection_types_and_kinds};
use unix_sockets::AddrKind;
use unix_sockets::pairs::{Pair, connected_pair};
use rstest_reuse::apply;

/// Run `f(a)` in a child once the peer `b` is closed in the child and here (so the close
/// here is the last reference), and return the child's outcome.
fn in_child_with_peer_closed(p: Pair, f: impl FnOnce(&OwnedFd)) -> Outcome {
    let Pair { a, b, scratch, .. } = p;
    let b_raw = b.as_raw_fd();
    let (closed, wait_closed) = channel();
    let mut child = spawn("end whose peer is closed", || {
        // SAFETY: closing this child's copy of the peer.
        unsafe { libc::close(b_raw) };
        wait_closed.wait();
        f(&a);
    });
    drop(b);
    closed.notify();
    let o = child.join();
    drop(scratch);
    o
}

/// The call that writes to the broken connection.
#[derive(Clone, Copy, Debug)]
enum Write {
    Send,
    Write,
}

fn write_one(how: Write, fd: &OwnedFd) -> Result<usize, Errno> {
    match how {
        Write::Send => send(fd, b"x", 0),
        Write::Write => nix::unistd::write(fd, b"x"),
    }
}

/// unix(7), ERRORS: "EPIPE Remote socket was closed on a stream socket. If enabled, a
/// SIGPIPE is sent as well"; socket(2): "A SIGPIPE signal is raised if a process sends ...
/// on a broken stream; this causes naive processes, which do not handle the signal, to
/// exit." With SIGPIPE at its default (set in the child: Rust starts with it ignored), send(2)
/// and write(2) to a closed stream peer kill the process with SIGPIPE.
#[apply(address_kinds)]
#[rstest]
#[serial]
fn writing_to_a_closed_stream_peer_raises_sigpipe(
    #[case] kind: AddrKind,
    #[values(
        /// send
        Write::Send,
        /// write
        Write::Write
    )]
    how: Write,
) {
    let o = in_child_with_peer_closed(connected_pair(SockType::Stream, kind), |a| {
        signals::set_default(Signal::SIGPIPE);
        let r = write_one(how, a);
        panic!("survived the write to a closed peer: {r:?}");
    });
    assert_eq!(o, Outcome::Signaled(Signal::SIGPIPE));
}

/// Linux differs from POSIX and send(2): SIGPIPE is for streams only. POSIX.1-2008, send():
/// "EPIPE The socket is shut down for writing, or the socket is connection-mode and is no
/// longer connected. In the latter case, and if the socket is of type SOCK_STREAM or
/// SOCK_SEQPACKET and the MSG_NOSIGNAL flag is not set, the SIGPIPE signal is generated", and
/// send(2) says the same without naming a type — but Linux sends the seqpacket case down the
/// datagram path, where the EPIPE comes from net/core/sock.c, sock_alloc_send_pskb(), without a
/// signal (also reported in google/gvisor#161). A child with SIGPIPE at its default survives.
/// See docs/findings.md.
#[apply(address_kinds)]
#[rstest]
#[serial]
fn writing_to_a_closed_seqpacket_peer_fails_epipe_without_sigpipe(
    #[case] kind: AddrKind,
    #[values(
        /// send
        Write::Send,
        /// write
        Write::Write
    )]
    how: Write,
) {
    let o = in_child_with_peer_closed(connected_pair(SockType::Seqpacket, kind), |a| {
        signals::set_default(Signal::SIGPIPE);
        assert_errno!(write_one(how, a), Errno::EPIPE);
    });
    o.expect_success();
}

/// send(2), ERRORS: "EPIPE The local end has been shut down on a connection oriented
/// socket. In this case, the process will also receive a SIGPIPE unless MSG_NOSIGNAL is set."
/// Linux differs from send(2) here: only a stream raises the signal after its own SHUT_WR;
/// datagram and seqpacket sockets return EPIPE alone (SIGPIPE at default in the child). See
/// docs/findings.md.
#[apply(socket_types)]
#[rstest]
#[serial]
fn send_after_own_shut_wr_raises_sigpipe_only_on_streams(#[case] ty: SockType) {
    let p = connected_pair(ty, AddrKind::Socketpair);
    let o = fixtures::run_in_child("sender after SHUT_WR", || {
        signals::set_default(Signal::SIGPIPE);
        assert_eq!(shutdown(&p.a, libc::SHUT_WR), Ok(()));
        assert_errno!(send(&p.a, b"x", 0), Errno::EPIPE);
    });
    if ty == SockType::Stream {
        assert_eq!(o, Outcome::Signaled(Signal::SIGPIPE));
    } else {
        o.expect_success();
    }
}

/// send(2): "MSG_NOSIGNAL ... Don't generate a SIGPIPE signal if the peer on a
/// stream-oriented socket has closed the connection. The EPIPE error is still returned."
/// SIGPIPE is at its default in the child, so a signal would kill it.
#[apply(connection_types_and_kinds)]
#[rstest]
#[serial]
fn msg_nosignal_suppresses_sigpipe_and_still_fails_epipe(#[case] ty: SockType, #[case] kind: AddrKind) {
    let o = in_child_with_peer_closed(connected_pair(ty, kind), |a| {
        signals::set_default(Signal::SIGPIPE);
        assert_errno!(send(a, b"x", libc::MSG_NOSIGNAL), Errno::EPIPE);
        assert!(!signals::is_pending(Signal::SIGPIPE));
    });
    o.expect_success();
}

/// send(2), ERRORS: "EPIPE ... In this case, the process will also receive a SIGPIPE unless
/// MSG_NOSIGNAL is set": a process that catches SIGPIPE gets exactly one signal per failed
/// send on a stream, and the call still fails with EPIPE; one that ignores it just gets
/// EPIPE.
#[rstest]
#[serial]
#[case::caught("caught")]
#[case::ignored("ignored")]
fn a_caught_or_ignored_sigpipe_leaves_epipe(#[case] disposition: &str) {
    let o = in_child_with_peer_closed(connected_pair(SockType::Stream, AddrKind::Socketpair), |a| {
        if disposition == "caught" {
            signals::install_counter(Signal::SIGPIPE, SaFlags::empty());
        } else {
            signals::ignore(Signal::SIGPIPE);
        }
        assert_errno!(send(a, b"x", 0), Errno::EPIPE);
        assert_errno!(send(a, b"y", 0), Errno::EPIPE);
        if disposition == "caught" {
            assert_eq!(signals::count(Signal::SIGPIPE), 2, "one SIGPIPE per failed send");
        }
    });
    o.expect_success();
}

/// unix(7), ERRORS: "ECONNRESET Remote socket was unexpectedly closed." On Linux a
/// connection is reset (rather than closed in order) when the peer is closed with data it
/// never read: the next recv(2) fails with ECONNRESET, once; after that the end reads end of
/// file.
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn recv_after_the_peer_closed_with_unread_data_fails_econnreset_once(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"never read", 0).unwrap();
    drop(p.b);
    let mut b = [0u8; 16];
    assert_errno!(recv(&p.a, &mut b, 0), Errno::ECONNRESET);
    assert_eq!(recv(&p.a, &mut b, 0), Ok(0));
    assert_eq!(recv(&p.a, &mut b, 0), Ok(0));
}

/// socket(7), SO_ERROR: "Get and clear the pending socket error." The reset of a peer that
/// closed with unread data is a pending error: SO_ERROR reports ECONNRESET once, then 0, and
/// recv(2) afterwards reads plain end of file.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn so_error_reports_the_reset_and_clears_it(#[case] ty: SockType) {
    let p = connected_pair(ty, AddrKind::Socketpair);
    send(&p.a, b"never read", 0).unwrap();
    drop(p.b);
    assert_eq!(fixtures::net::getsockopt_int(&p.a, libc::SOL_SOCKET, libc::SO_ERROR), Ok(libc::ECONNRESET));
    assert_eq!(fixtures::net::getsockopt_int(&p.a, libc::SOL_SOCKET, libc::SO_ERROR), Ok(0));
    let mut b = [0u8; 16];
    assert_eq!(recv(&p.a, &mut b, 0), Ok(0));
}

/// unix(7), ERRORS: "ECONNRESET Remote socket was unexpectedly closed." The order of data
/// and reset differs by type (observed, net/unix/af_unix.c): a stream
/// delivers the data already queued for it before reporting ECONNRESET, whereas a seqpacket
/// receive (which goes through the datagram path, __skb_try_recv_datagram() checks the
/// socket error first) reports ECONNRESET first and the queued record after it.
#[rstest]
#[parallel]
#[case::stream_data_first(SockType::Stream)]
#[case::seqpacket_reset_first(SockType::Seqpacket)]
fn reset_and_queued_data_arrive_in_a_type_specific_order(#[case] ty: SockType) {
    let p = connected_pair(ty, AddrKind::Socketpair);
    send(&p.b, b"for a", 0).unwrap();
    send(&p.a, b"never read", 0).unwrap();
    drop(p.b);
    let first = recv_vec(&p.a, 16, 0);
    let second = recv_vec(&p.a, 16, 0);
    if ty == SockType::Stream {
        assert_eq!(first.as_deref(), Ok(&b"for a"[..]));
        assert_errno!(second, Errno::ECONNRESET);
    } else {
        assert_errno!(first, Errno::ECONNRESET);
        assert_eq!(second.as_deref(), Ok(&b"for a"[..]));
    }
    assert_eq!(recv_vec(&p.a, 16, 0).as_deref(), Ok(&b""[..]));
}

/// send(2) after a reset (with MSG_NOSIGNAL): a stream fails with EPIPE from the start
/// (unix_stream_sendmsg() checks the shut-down connection before anything else), a
/// seqpacket socket first returns the pending ECONNRESET and then EPIPE (its send goes
/// through net/core/sock.c, sock_alloc_send_pskb(), which reports the pending socket error
/// before the shut-down send side). Both errnos are in send(2), ERRORS.
#[rstest]
#[parallel]
#[case::stream(SockType::Stream, [Errno::EPIPE, Errno::EPIPE])]
#[case::seqpacket(SockType::Seqpacket, [Errno::ECONNRESET, Errno::EPIPE])]
fn send_after_the_peer_closed_with_unread_data(#[case] ty: SockType, #[case] expected: [Errno; 2]) {
    let p = connected_pair(ty, AddrKind::Socketpair);
    send(&p.a, b"never read", 0).unwrap();
    drop(p.b);
    for e in expected {
        assert_errno!(send(&p.a, b"x", libc::MSG_NOSIGNAL), e);
    }
}

/// recv(2), RETURN VALUE: an orderly shutdown gives 0 — a peer that read everything before
/// closing leaves no error behind: no ECONNRESET, SO_ERROR 0, plain end of file.
#[apply(connection_types_and_kinds)]
#[rstest]
#[parallel]
fn a_peer_that_read_everything_closes_with_plain_end_of_file(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"read me", 0).unwrap();
    assert_eq!(recv_vec(&p.b, 16, 0).unwrap(), b"read me");
    drop(p.b);
    assert_eq!(fixtures::net::getsockopt_int(&p.a, libc::SOL_SOCKET, libc::SO_ERROR), Ok(0));
    let mut b = [0u8; 8];
    assert_eq!(recv(&p.a, &mut b, 0), Ok(0));
}

/// unix(7), ERRORS: "ECONNREFUSED The remote address specified by connect(2) was not a
/// listening socket"; "ENOTCONN Socket operation needs a target address, but the socket is
/// not connected." A datagram socket whose connected peer was closed gets ECONNREFUSED for
/// the next send — which also drops the association — and ENOTCONN after that.
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn send_to_a_closed_datagram_peer_fails_econnrefused_then_enotconn(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Dgram, kind);
    drop(p.b);
    assert_errno!(send(&p.a, b"x", 0), Errno::ECONNREFUSED);
    assert_errno!(send(&p.a, b"x", 0), Errno::ENOTCONN);
    assert_errno!(getpeername(&p.a), Errno::ENOTCONN);
}

/// Datagram sockets have no connection to end: when the peer is closed — even with data it
/// never read — the remaining end gets no end of file and no pending error: recv(2) still
/// just finds nothing (EAGAIN with MSG_DONTWAIT) and SO_ERROR is 0.
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn a_datagram_socket_sees_no_end_of_file_when_its_peer_closes(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Dgram, kind);
    send(&p.a, b"never read", 0).unwrap();
    drop(p.b);
    let mut b = [0u8; 16];
    assert_errno!(recv(&p.a, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN);
    assert_eq!(fixtures::net::getsockopt_int(&p.a, libc::SOL_SOCKET, libc::SO_ERROR), Ok(0));
}
