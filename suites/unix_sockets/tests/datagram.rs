//! Datagram semantics (SOCK_DGRAM, and SOCK_SEQPACKET where it shares them): whole
//! messages, truncation, zero-length datagrams, the default peer set by connect(2), sending
//! to names without a socket, a full receiver, and the size limit set by SO_SNDBUF.

use fixtures::net::SockType;
use std::os::fd::OwnedFd;

use fixtures::io::set_nonblocking;
use fixtures::net::{bind, connect, listen, recv, send};
use fixtures::{Scratch, assert_errno, needs, spawn};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::addr::{UnixAddr, UnixAddrExt, getpeername, recvfrom};
use unix_sockets::calls::{recv_vec, recvmsg, socket};
use unix_sockets::cases::{address_kinds, message_types_and_kinds, named_kinds, named_kinds_in_both_modes};
use unix_sockets::{AddrKind, Blocking};
use unix_sockets::pairs::{bound_socket, connected_client, connected_pair, named_socket, unconnected_dgram};
use libc::c_int;
use rstest_reuse::apply;

/// Two datagram sockets of `flags` bound to names of `kind` (the files `names`, in one
/// scratch directory, returned last so that more sockets can be bound in it).
#[track_caller]
fn two_named(kind: AddrKind, flags: c_int, names: [&str; 2]) -> ((OwnedFd, UnixAddr), (OwnedFd, UnixAddr), Scratch) {
    let (a, a_name, s) = named_socket(SockType::Dgram, flags, kind, names[0]);
    let b = bound_socket(SockType::Dgram, flags, kind, &s, names[1]);
    ((a, a_name), b, s)
}

/// unix(7): SOCK_DGRAM is "a datagram-oriented socket that preserves message boundaries (as
/// on most UNIX implementations, UNIX domain datagram sockets are always reliable and don't
/// reorder datagrams)". Datagrams of different lengths each come back whole, in order.
#[apply(address_kinds)]
#[rstest]
#[parallel]
fn datagrams_arrive_whole_and_in_order(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Dgram, kind);
    let msgs: Vec<Vec<u8>> = (1..=8usize).map(|i| vec![i as u8; i * 37]).collect();
    for m in &msgs {
        assert_eq!(send(&p.a, m, 0), Ok(m.len()));
    }
    for m in &msgs {
        assert_eq!(&recv_vec(&p.b, 4096, libc::MSG_DONTWAIT).unwrap(), m);
    }
}

/// recv(2): "If a message is too long to fit in the supplied buffer, excess bytes may be
/// discarded depending on the type of socket"; recvmsg(2) msg_flags: "MSG_TRUNC indicates
/// that the trailing portion of a datagram was discarded because the datagram was larger
/// than the buffer supplied." For datagram and seqpacket sockets: the call returns the
/// buffer's worth, sets MSG_TRUNC, and the rest is gone — the next receive gets the next
/// message.
#[apply(message_types_and_kinds)]
#[rstest]
#[parallel]
fn a_long_message_is_truncated_and_the_rest_discarded(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"0123456789", 0).unwrap();
    send(&p.a, b"next", 0).unwrap();
    let r = recvmsg(&p.b, 4, 0).unwrap();
    assert_eq!((r.ret, r.data.as_slice()), (4, &b"0123"[..]));
    assert_eq!(r.flags & libc::MSG_TRUNC, libc::MSG_TRUNC);
    let r = recvmsg(&p.b, 16, 0).unwrap();
    assert_eq!(r.data, b"next");
    assert_eq!(r.flags & libc::MSG_TRUNC, 0, "a message that fits is not marked");
}

/// recv(2), flags: "MSG_TRUNC (since Linux 2.2) For ... UNIX datagram (since Linux 3.4)
/// sockets: return the real length of the packet or datagram, even when it was longer than
/// the passed buffer." (The same for seqpacket.) Only the buffer's worth is copied.
#[apply(message_types_and_kinds)]
#[rstest]
#[parallel]
fn msg_trunc_returns_the_real_length(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    send(&p.a, b"0123456789", 0).unwrap();
    let mut buf = [0xffu8; 6];
    assert_eq!(recv(&p.b, &mut buf[..4], libc::MSG_TRUNC), Ok(10));
    assert_eq!(&buf, b"0123\xff\xff", "only the supplied buffer was written");
}

/// recv(2), RETURN VALUE: "Datagram sockets in various domains (e.g., the UNIX and Internet
/// domains) permit zero-length datagrams. When such a datagram is received, the return value
/// is 0." It is a message of its own (not end of file — on a seqpacket socket the connection
/// goes on): the message after it is received next.
#[apply(message_types_and_kinds)]
#[rstest]
#[parallel]
fn zero_length_messages_are_delivered(#[case] ty: SockType, #[case] kind: AddrKind) {
    let p = connected_pair(ty, kind);
    assert_eq!(send(&p.a, b"", 0), Ok(0));
    assert_eq!(send(&p.a, b"after", 0), Ok(5));
    assert_eq!(fixtures::poll::revents(&p.b, libc::POLLIN, 0) & libc::POLLIN, libc::POLLIN, "the empty message is readable");
    let r = recvmsg(&p.b, 16, libc::MSG_DONTWAIT).unwrap();
    assert_eq!((r.ret, r.flags), (0, 0));
    assert_eq!(recv_vec(&p.b, 16, libc::MSG_DONTWAIT).unwrap(), b"after");
    assert_errno!(recv_vec(&p.b, 16, libc::MSG_DONTWAIT), Errno::EAGAIN);
}

/// unix(7), ERRORS: "ENOTCONN Socket operation needs a target address, but the socket is not
/// connected." send(2) without a destination on an unconnected datagram socket (where send(2)
/// also lists EDESTADDRREQ, Linux gives ENOTCONN); sendto(2) with one works.
#[rstest]
#[parallel]
fn send_without_a_destination_on_an_unconnected_datagram_socket_fails_enotconn(#[values(false, true)] bound: bool) {
    let fd = unconnected_dgram(bound);
    assert_errno!(send(&fd, b"x", 0), Errno::ENOTCONN);
    let r = socket(SockType::Dgram, 0);
    let raddr = UnixAddr::unique_abstract("r");
    bind(&r, &raddr).unwrap();
    assert_eq!(fixtures::net::send_to(&fd, b"x", 0, &raddr), Ok(1));
}

/// connect(2): "If the socket sockfd is of type SOCK_DGRAM, then addr is the address to which
/// datagrams are sent by default, and the only address from which datagrams are received."
/// A receiver connected to X refuses datagrams from any other sender; on Linux the sender
/// learns it at once with EPERM (net/unix/af_unix.c, unix_may_send()).
#[apply(named_kinds)]
#[rstest]
#[parallel]
fn a_connected_receiver_refuses_other_senders_with_eperm(#[case] kind: AddrKind) {
    let ((r, raddr), (x, xaddr), s) = two_named(kind, 0, ["r", "x"]);
    let (other, _) = bound_socket(SockType::Dgram, 0, kind, &s, "other");
    assert_eq!(connect(&r, &xaddr), Ok(()));
    assert_errno!(fixtures::net::send_to(&other, b"intruder", 0, &raddr), Errno::EPERM);
    assert_errno!(fixtures::net::send_to(socket(SockType::Dgram, 0), b"anon", 0, &raddr), Errno::EPERM);
    assert_eq!(fixtures::net::send_to(&x, b"peer", 0, &raddr), Ok(4));
    assert_eq!(recv_vec(&r, 16, libc::MSG_DONTWAIT).unwrap(), b"peer");
    assert_errno!(recv_vec(&r, 16, libc::MSG_DONTWAIT), Errno::EAGAIN);
}

/// connect(2) of a datagram socket sets only the default destination: a connected socket can
/// still sendto(2) another (unconnected) socket, which receives the datagram with the
/// sender's name. send(2) ERRORS allows "EISCONN ... (Now either this error is returned, or
/// the recipient specification is ignored.)" — Linux differs from send(2): AF_UNIX does
/// neither, it delivers to the given address. See docs/findings.md.
#[apply(named_kinds)]
#[rstest]
#[parallel]
fn a_connected_datagram_socket_can_still_send_elsewhere(#[case] kind: AddrKind) {
    let p = connected_pair(SockType::Dgram, kind);
    let (c, caddr) = bound_socket(SockType::Dgram, 0, kind, &p.scratch, "c");
    assert_eq!(fixtures::net::send_to(&p.a, b"elsewhere", 0, &caddr), Ok(9));
    let (data, from) = recvfrom(&c, 16, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(data, b"elsewhere");
    assert_eq!(from, p.a_name);
    assert_errno!(recv_vec(&p.b, 16, libc::MSG_DONTWAIT), Errno::EAGAIN, "the default peer got nothing");
}

/// connect(2): "Some protocol sockets (e.g., UNIX domain stream sockets) may successfully
/// connect() only once. Some protocol sockets (e.g., datagram sockets in the UNIX and
/// Internet domains) may use connect() multiple times to change their association. ... such
/// sockets may dissolve the association by connecting to an address with the sa_family
/// member of sockaddr set to AF_UNSPEC". After that, send(2) has no destination (ENOTCONN)
/// and the receiver accepts every sender again.
#[apply(named_kinds)]
#[rstest]
#[parallel]
fn connect_to_af_unspec_dissolves_a_datagram_association(#[case] kind: AddrKind) {
    let ((r, raddr), (_x, xaddr), _s) = two_named(kind, 0, ["r", "x"]);
    connect(&r, &xaddr).unwrap();
    let other = socket(SockType::Dgram, 0);
    assert_errno!(fixtures::net::send_to(&other, b"1", 0, &raddr), Errno::EPERM);
    assert_eq!(connect(&r, &UnixAddr::unspec()), Ok(()));
    assert_errno!(send(&r, b"x", 0), Errno::ENOTCONN);
    assert_errno!(getpeername(&r), Errno::ENOTCONN);
    assert_eq!(fixtures::net::send_to(&other, b"2", 0, &raddr), Ok(1));
    assert_eq!(recv_vec(&r, 4, libc::MSG_DONTWAIT).unwrap(), b"2");
}

/// connect(2) (as above): a datagram socket "may use connect() multiple times to change
/// their association": after reconnecting, send(2) goes to the new peer only.
#[apply(named_kinds)]
#[rstest]
#[parallel]
fn reconnecting_a_datagram_socket_changes_its_peer(#[case] kind: AddrKind) {
    let ((x, xaddr), (y, yaddr), _s) = two_named(kind, libc::SOCK_NONBLOCK, ["x", "y"]);
    let c = connected_client(SockType::Dgram, &xaddr);
    connect(&c, &yaddr).unwrap();
    assert_eq!(send(&c, b"to y", 0), Ok(4));
    assert_eq!(recv_vec(&y, 8, 0).unwrap(), b"to y");
    assert_errno!(recv_vec(&x, 8, 0), Errno::EAGAIN);
    assert_eq!(getpeername(&c), Ok(yaddr));
}

/// Where sendto(2) of a datagram cannot find a receiver: a missing path gives ENOENT
/// (unix(7), "The pathname ... did not exist"), an abstract name nobody holds and the
/// leftover file of a closed socket give ECONNREFUSED, and a stream socket's file gives
/// EPROTOTYPE (unix(7), "Remote socket does not match the local socket type").
#[rstest]
#[parallel]
#[case::missing_path("missing", Errno::ENOENT)]
#[case::unbound_abstract_name("abstract", Errno::ECONNREFUSED)]
#[case::file_of_a_closed_socket("closed", Errno::ECONNREFUSED)]
#[case::file_of_a_stream_socket("stream", Errno::EPROTOTYPE)]
fn sendto_an_address_without_a_datagram_socket_fails(#[case] what: &str, #[case] errno: Errno) {
    let s = Scratch::new();
    let mut keep = None;
    let addr = match what {
        "missing" => UnixAddr::pathname(&s.join("missing")),
        "abstract" => UnixAddr::unique_abstract("nobody"),
        "closed" => bound_socket(SockType::Dgram, 0, AddrKind::Pathname, &s, "closed").1,
        _ => {
            let (fd, a) = bound_socket(SockType::Stream, 0, AddrKind::Pathname, &s, "stream");
            listen(&fd, 1).unwrap();
            keep = Some(fd);
            a
        }
    };
    assert_errno!(fixtures::net::send_to(socket(SockType::Dgram, 0), b"x", 0, &addr), errno);
    drop(keep);
}

/// A datagram receiver's queue holds at most /proc/sys/net/unix/max_dgram_qlen datagrams
/// from senders it is not connected back to (plus one: the test is `>`, as for the listen
/// backlog). A nonblocking sender then gets EAGAIN (send(2): "the requested operation would
/// block"); a blocking sender sleeps until the receiver takes one. The sender's SO_SNDBUF
/// is raised so that the queue length, not memory, is the limit.
#[apply(named_kinds_in_both_modes)]
#[rstest]
#[serial]
fn a_full_datagram_receiver(#[case] kind: AddrKind, mode: Blocking) {
    // variant: none — max_dgram_qlen only sets the expected count; a value too large to
    // fill is a skip (the claim cannot be checked), not another outcome.
    let qlen = fixtures::sysctl::read_u64("net/unix/max_dgram_qlen");
    needs!(gate(if qlen <= 1000 { Ok(()) } else { Err(format!("max_dgram_qlen {qlen} is too large to fill")) }));
    let (r, raddr, _s) = named_socket(SockType::Dgram, 0, kind, "r");
    let sender = socket(SockType::Dgram, 0);
    fixtures::net::setsockopt_int(&sender, libc::SOL_SOCKET, libc::SO_SNDBUF, 1 << 20).unwrap();
    let mut n = 0u64;
    loop {
        match fixtures::net::send_to(&sender, b"m", libc::MSG_DONTWAIT, &raddr) {
            Ok(1) => n += 1,
            Err(Errno::EAGAIN) => break,
            other => panic!("sendto: {other:?}"),
        }
        assert!(n <= qlen + 1, "more than max_dgram_qlen + 1 datagrams queued");
    }
    assert_eq!(n, qlen + 1);
    if mode == Blocking::Nonblocking {
        set_nonblocking(&sender, true);
        assert_errno!(fixtures::net::send_to(&sender, b"m", 0, &raddr), Errno::EAGAIN);
        return;
    }
    let mut blocked = spawn("sender to a full receiver", || {
        assert_eq!(fixtures::net::send_to(&sender, b"last", 0, &raddr), Ok(4));
    });
    blocked.assert_blocked_in(fixtures::blocked::calls::SEND, "sendto(2) to a full datagram receiver");
    assert_eq!(recv_vec(&r, 8, 0).unwrap(), b"m");
    blocked.expect_success();
    for _ in 0..qlen {
        assert_eq!(recv_vec(&r, 8, 0).unwrap(), b"m");
    }
    assert_eq!(recv_vec(&r, 8, libc::MSG_DONTWAIT).unwrap(), b"last");
}

/// unix(7), "Sockets API": "For datagram sockets, the SO_SNDBUF value imposes an upper limit
/// on the size of outgoing datagrams. This limit is calculated as the doubled (see socket(7))
/// option value less 32 bytes used for overhead"; send(2): "EMSGSIZE The socket type requires
/// that message be sent atomically, and the size of the message to be sent made this
/// impossible." The exact boundary, for datagram and seqpacket sockets.
#[apply(message_types_and_kinds)]
#[rstest]
#[parallel]
fn messages_above_twice_sndbuf_minus_32_fail_emsgsize(
    #[case] ty: SockType,
    #[case] kind: AddrKind,
    #[values(4096, 6000)] sndbuf: c_int,
) {
    let p = connected_pair(ty, kind);
    fixtures::net::setsockopt_int(&p.a, libc::SOL_SOCKET, libc::SO_SNDBUF, sndbuf).unwrap();
    let doubled = fixtures::net::getsockopt_int(&p.a, libc::SOL_SOCKET, libc::SO_SNDBUF).unwrap();
    assert_eq!(doubled, sndbuf * 2);
    let limit = doubled as usize - 32;
    assert_errno!(send(&p.a, &vec![7u8; limit + 1], 0), Errno::EMSGSIZE);
    assert_eq!(send(&p.a, &vec![7u8; limit], 0), Ok(limit));
    let r = recvmsg(&p.b, limit + 16, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(r.ret, limit, "the largest datagram arrives whole");
}
