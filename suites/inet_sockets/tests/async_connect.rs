//! Nonblocking connect(2) on TCP sockets: EINPROGRESS, completion reported by poll and
//! SO_ERROR, EALREADY, EISCONN.

use std::os::fd::OwnedFd;

use fixtures::net::{SockAddr, accept_ready, connect, so_error};
use fixtures::poll::{revents, wait_for_events};
use fixtures::{NEGATIVE_WAIT, assert_errno, needs};
use inet_sockets::addr::Family;
use inet_sockets::sockets::{closed_tcp_port, connecting, listener};
use inet_sockets::tcp::{TCP_CLOSE, TCP_ESTABLISHED, TCP_SYN_SENT, tcp_state};
use inet_sockets::cases::families;
use rstest_reuse::apply;
use nix::errno::Errno;
use rstest::rstest;

/// A nonblocking connect(2) from a new socket of `fam` to `to` (EINPROGRESS asserted), and
/// the revents once the attempt has ended: POLLOUT (bounded wait; `what` names the end).
#[track_caller]
fn connect_until_ended(fam: Family, to: &SockAddr, what: &str) -> (OwnedFd, i16) {
    let c = connecting(fam, to);
    let r = wait_for_events(&c, libc::POLLOUT, what);
    (c, r)
}

/// connect(2), EINPROGRESS: "The socket is nonblocking and the connection cannot be
/// completed immediately. ... It is possible to select(2) or poll(2) for completion by
/// selecting the socket for writing. After select(2) indicates writability, use
/// getsockopt(2) to read the SO_ERROR option ... to determine whether connect() completed
/// successfully (SO_ERROR is zero)". Linux returns EINPROGRESS even over loopback: the
/// handshake is finished only after connect returns, when the socket lock is released.
#[apply(families)]
fn nonblocking_connect_returns_einprogress_then_becomes_writable_with_no_error(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (l, addr) = listener(fam);
    let (c, r) = connect_until_ended(fam, &addr, "the connection to complete");
    assert_eq!(r & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP), libc::POLLOUT);
    assert_eq!(so_error(&c), 0);
    assert_eq!(tcp_state(&c), TCP_ESTABLISHED);
    accept_ready(&l);
}

/// connect(2): after a failed asynchronous connect SO_ERROR "is one of the usual error codes
/// listed here, explaining the reason for the failure" — ECONNREFUSED when nobody listens;
/// socket(7), SO_ERROR: "Get and clear the pending socket error": a second read gives 0.
#[apply(families)]
fn a_refused_nonblocking_connect_reports_econnrefused_in_so_error(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (_keeper, target) = closed_tcp_port(fam);
    let (c, r) = connect_until_ended(fam, &target, "the connection attempt to end");
    assert_ne!(r & libc::POLLERR, 0, "revents {r:#x} lack POLLERR");
    assert_eq!(so_error(&c), libc::ECONNREFUSED);
    assert_eq!(so_error(&c), 0, "SO_ERROR is cleared by reading it");
    assert_eq!(tcp_state(&c), TCP_CLOSE);
}

/// connect(2), ERRORS: "EALREADY The socket is nonblocking and a previous connection attempt
/// has not yet been completed." The attempt is kept pending by a listener whose accept
/// queue is full (backlog 0, one connection queued): its SYN is ignored (listen(2)), so the
/// socket stays in SYN_SENT and a second connect fails with EALREADY, repeatedly.
#[test]
fn a_second_connect_while_the_first_is_in_progress_fails_ealready() {
    let fam = Family::V4;
    let (l, addr) = fixtures::net::listener(&fam.loopback(0), 0, 0);
    let first = connecting(fam, &addr);
    wait_for_events(&first, libc::POLLOUT, "the queued connection");
    let pending = connecting(fam, &addr);
    assert_eq!(revents(&pending, libc::POLLOUT, fixtures::deadline::poll_ms(NEGATIVE_WAIT)), 0, "the pending connection completed");
    assert_eq!(tcp_state(&pending), TCP_SYN_SENT);
    assert_errno!(connect(&pending, &addr), Errno::EALREADY);
    assert_errno!(connect(&pending, &addr), Errno::EALREADY);
    drop(l);
}

/// After an asynchronous connect has completed, the next connect(2) on the socket returns 0
/// and only a further one fails with EISCONN: Linux reports the completion once
/// (net/ipv4/af_inet.c, __inet_stream_connect(): a socket still marked SS_CONNECTING whose
/// TCP state is ESTABLISHED becomes SS_CONNECTED with err = 0). Linux differs from POSIX
/// connect(), which would give EISCONN at once ("The specified socket is connection-mode and
/// is already connected"; see docs/findings.md).
#[apply(families)]
fn connect_after_an_asynchronous_connect_completed_returns_0_then_eisconn(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (l, addr) = listener(fam);
    let (c, _) = connect_until_ended(fam, &addr, "the connection to complete");
    assert_eq!(connect(&c, &addr), Ok(()), "the first connect after completion");
    assert_errno!(connect(&c, &addr), Errno::EISCONN);
    accept_ready(&l);
}
