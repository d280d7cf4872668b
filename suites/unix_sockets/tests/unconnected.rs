//! Data calls on sockets that are not connected (or are listening): which errno each type
//! gives. Several differ from what send(2) and recv(2) list; see Findings.

use fixtures::cases::socket_types;
use fixtures::net::SockType;
use fixtures::net::{connect, recv, send};
use fixtures::assert_errno;
use nix::errno::Errno;
use rstest::rstest;
use serial_test::parallel;
use unix_sockets::calls::socket;

use unix_sockets::AddrKind;
use unix_sockets::pairs::named_listener;
use rstest_reuse::apply;

/// send(2), ERRORS: "ENOTCONN The socket is not connected, and no target has been given."
/// For every type (a datagram socket has no default destination either).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn send_on_an_unconnected_socket_fails_enotconn(#[case] ty: SockType) {
    assert_errno!(send(socket(ty, 0), b"x", libc::MSG_NOSIGNAL), Errno::ENOTCONN);
}

/// recv(2), ERRORS: "ENOTCONN The socket is associated with a connection-oriented protocol
/// and has not been connected". A seqpacket socket says so; a datagram socket simply has
/// nothing to read (EAGAIN with MSG_DONTWAIT). Linux differs from recv(2) for a stream: an
/// AF_UNIX stream socket fails with EINVAL (net/unix/af_unix.c, unix_stream_read_generic()
/// checks for an established connection and returns -EINVAL). See docs/findings.md.
#[rstest]
#[parallel]
#[case::stream_einval(SockType::Stream, Errno::EINVAL)]
#[case::seqpacket_enotconn(SockType::Seqpacket, Errno::ENOTCONN)]
#[case::dgram_eagain(SockType::Dgram, Errno::EAGAIN)]
fn recv_on_an_unconnected_socket(#[case] ty: SockType, #[case] errno: Errno) {
    let mut b = [0u8; 4];
    assert_errno!(recv(socket(ty, 0), &mut b, libc::MSG_DONTWAIT), errno);
}

/// recv(2) ENOTCONN (as above) on a listening socket, which has no peer either: ENOTCONN for
/// seqpacket, but EINVAL for a stream (Linux differs from recv(2) as above); and send(2)
/// fails with ENOTCONN for both.
#[rstest]
#[parallel]
#[case::stream_einval(SockType::Stream, Errno::EINVAL)]
#[case::seqpacket_enotconn(SockType::Seqpacket, Errno::ENOTCONN)]
fn data_calls_on_a_listening_socket(#[case] ty: SockType, #[case] recv_errno: Errno) {
    let (l, _, _s) = named_listener(ty, AddrKind::Abstract, 4);
    let mut b = [0u8; 4];
    assert_errno!(recv(&l, &mut b, libc::MSG_DONTWAIT), recv_errno);
    assert_errno!(send(&l, b"x", libc::MSG_NOSIGNAL), Errno::ENOTCONN);
}

/// send(2): "If sendto() is used on a connection-mode (SOCK_STREAM, SOCK_SEQPACKET) socket,
/// the arguments dest_addr and addrlen are ignored (and the error EISCONN may be returned
/// when they are not NULL and 0), and the error ENOTCONN is returned when the socket was not
/// actually connected." An AF_UNIX stream returns EISCONN when connected; when it is not,
/// Linux differs from send(2): EOPNOTSUPP, not ENOTCONN (net/unix/af_unix.c,
/// unix_stream_sendmsg()). See docs/findings.md.
#[rstest]
#[parallel]
#[case::connected_eisconn(true, Errno::EISCONN)]
#[case::unconnected_eopnotsupp(false, Errno::EOPNOTSUPP)]
fn sendto_with_an_address_on_a_stream_socket(#[case] connected: bool, #[case] errno: Errno) {
    let (_l, name, _s) = named_listener(SockType::Stream, AddrKind::Abstract, 4);
    let fd = socket(SockType::Stream, 0);
    if connected {
        connect(&fd, &name).unwrap();
    }
    assert_errno!(fixtures::net::send_to(&fd, b"x", libc::MSG_NOSIGNAL, &name), errno);
}
