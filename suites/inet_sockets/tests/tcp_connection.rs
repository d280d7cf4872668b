//! Establishing TCP connections and the byte stream: connect(2), listen(2), accept(2),
//! tcp(7).

use fixtures::{NEGATIVE_WAIT, assert_errno};
use inet_sockets::*;
use nix::errno::Errno;
use rstest::rstest;

/// listen(2), NOTES: "The behavior of the backlog argument on TCP sockets changed with Linux
/// 2.2. Now it specifies the queue length for completely established sockets waiting to be
/// accepted". The three-way handshake is done by the kernel: connect(2) returns 0 and the
/// client is ESTABLISHED (TCP_INFO) and can even send data before the server calls
/// accept(2); accept then returns that connection with the data waiting.
#[rstest]
fn connect_completes_into_the_accept_queue_before_accept_is_called(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    let (l, addr) = listener_on(fam.loopback(0), 1);
    let c = socket(fam, Proto::Tcp);
    assert_eq!(fixtures::within("blocking connect to a listener", || connect(&c, &addr)), Ok(()));
    assert_eq!(tcp_state(&c), TCP_ESTABLISHED, "client state before accept");
    assert_eq!(send(&c, b"early", 0), Ok(5));
    let (s, peer) = accept_ready(&l);
    assert_eq!(peer, local_addr(&c));
    assert_eq!(tcp_state(&s), TCP_ESTABLISHED);
    assert_eq!(read_exact(&s, 5), b"early");
}

/// listen(2): "If a connection request arrives when the queue is full, the client may
/// receive an error with an indication of ECONNREFUSED or, if the underlying protocol
/// supports retransmission, the request may be ignored so that a later reattempt at
/// connection succeeds." Linux ignores the SYN: with backlog 1 and nothing accepted, two
/// connections complete (the queue counts as full only when it holds *more* than backlog:
/// include/net/sock.h, sk_acceptq_is_full()), and a third client stays in SYN_SENT — not
/// refused, not connected within the negative wait.
#[test]
fn a_full_accept_queue_leaves_further_clients_in_syn_sent() {
    let fam = Family::V4;
    let (l, addr) = listener_on(fam.loopback(0), 1);
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let c = socket(fam, Proto::Tcp);
            fixtures::io::set_nonblocking(&c, true);
            assert_errno!(connect(&c, &addr), Errno::EINPROGRESS);
            c
        })
        .collect();
    for c in &clients {
        wait_for_events(c, libc::POLLOUT, "a queued connection to complete");
        assert_eq!(so_error(c), 0);
        assert_eq!(tcp_state(c), TCP_ESTABLISHED);
    }
    let third = socket(fam, Proto::Tcp);
    fixtures::io::set_nonblocking(&third, true);
    assert_errno!(connect(&third, &addr), Errno::EINPROGRESS);
    assert_eq!(revents(&third, libc::POLLOUT, fixtures::deadline::poll_ms(NEGATIVE_WAIT)), 0, "the third connection completed or failed");
    assert_eq!(tcp_state(&third), TCP_SYN_SENT);
    assert_eq!(so_error(&third), 0, "the third connection was refused");
    drop(l);
}

/// connect(2), ERRORS: "ECONNREFUSED A connect() on a stream socket found no one listening
/// on the remote address." The target port is bound by a socket that does not listen.
#[rstest]
fn connect_to_a_port_without_listener_fails_econnrefused(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    let (_keeper, target) = closed_tcp_port(fam);
    let c = socket(fam, Proto::Tcp);
    assert_errno!(fixtures::within("connect to a closed port", || connect(&c, &target)), Errno::ECONNREFUSED);
}

/// connect(2), ERRORS: "EISCONN The socket is already connected."
#[rstest]
fn connect_on_a_connected_socket_fails_eisconn(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    let (c, _s) = tcp_pair(fam);
    let peer = peer_addr(&c).unwrap();
    assert_errno!(connect(&c, &peer), Errno::EISCONN);
}

/// tcp(7): "TCP does not preserve record boundaries." Two sends of 3 bytes are read back by
/// one recv(2) of 6 once both have arrived (the sender's FIN, seen as POLLRDHUP, comes after
/// all data).
#[rstest]
fn tcp_does_not_preserve_record_boundaries(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    let (c, s) = tcp_pair(fam);
    assert_eq!(send(&c, b"abc", 0), Ok(3));
    assert_eq!(send(&c, b"def", 0), Ok(3));
    nix::sys::socket::shutdown(std::os::fd::AsRawFd::as_raw_fd(&c), nix::sys::socket::Shutdown::Write).unwrap();
    wait_for_events(&s, libc::POLLRDHUP, "the sender's FIN");
    let mut buf = [0u8; 64];
    assert_eq!(recv(&s, &mut buf, libc::MSG_DONTWAIT), Ok(6));
    assert_eq!(&buf[..6], b"abcdef");
}

/// tcp(7): "TCP guarantees that the data arrives in order". A child writes 2 MiB of a
/// position-dependent pattern in odd-sized chunks; the parent reads it all back unchanged.
#[rstest]
fn tcp_delivers_a_large_stream_complete_and_in_order(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    const LEN: usize = 2 << 20;
    let pattern = |i: usize| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1];
    let (c, s) = tcp_pair(fam);
    let writer = fixtures::spawn("writer", || {
        let data: Vec<u8> = (0..LEN).map(pattern).collect();
        let mut off = 0;
        while off < LEN {
            let end = (off + 7919).min(LEN);
            off += send(&c, &data[off..end], 0).expect("send");
        }
    });
    drop(c);
    let got = read_exact(&s, LEN);
    writer.expect_success();
    assert_eq!(got.len(), LEN);
    if let Some(i) = (0..LEN).find(|&i| got[i] != pattern(i)) {
        panic!("byte {i} is {:#x}, expected {:#x}", got[i], pattern(i));
    }
}

/// tcp(7): "Data cannot be transmitted on listening or not yet connected sockets." Linux
/// fails send(2) on such a socket with EPIPE (net/core/stream.c, sk_stream_wait_connect():
/// a socket not in SYN_SENT/SYN_RECV gives -EPIPE; POSIX send() specifies ENOTCONN), while
/// recv(2) fails with ENOTCONN. MSG_NOSIGNAL keeps the EPIPE from raising SIGPIPE.
#[rstest]
fn io_on_an_unconnected_or_listening_tcp_socket_fails(#[values(false, true)] listening: bool) {
    let s = socket(Family::V4, Proto::Tcp);
    if listening {
        bind(&s, &Family::V4.loopback(0)).unwrap();
        listen(&s, 1).unwrap();
    }
    assert_errno!(send(&s, b"x", libc::MSG_NOSIGNAL), Errno::EPIPE);
    let mut b = [0u8; 1];
    assert_errno!(recv(&s, &mut b, libc::MSG_DONTWAIT), Errno::ENOTCONN);
}

/// tcp(7): "A socket which has had accept(2) or connect(2) successfully called on it is
/// fully specified and may transmit data" — in both directions at once (full duplex):
/// each side sends before reading, and each receives the other's bytes.
#[test]
fn a_connection_is_full_duplex() {
    let (c, s) = tcp_pair(Family::V4);
    assert_eq!(send(&c, b"from client", 0), Ok(11));
    assert_eq!(send(&s, b"from server", 0), Ok(11));
    assert_eq!(read_exact(&s, 11), b"from client");
    assert_eq!(read_exact(&c, 11), b"from server");
}
