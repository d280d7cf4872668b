//! Establishing TCP connections and the byte stream: connect(2), listen(2), accept(2),
//! tcp(7).

use fixtures::io::read_exact;
use fixtures::net::{accept_ready, bind, connect, listen, local_addr, peer_addr, recv, send, so_error};
use fixtures::poll::{await_events, revents, wait_for_events};
use fixtures::{NEGATIVE_WAIT, assert_errno, needs};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::{closed_tcp_port, connecting, socket, tcp_pair};
use inet_sockets::tcp::{TCP_ESTABLISHED, TCP_SYN_SENT, tcp_state};
use inet_sockets::cases::families;
use rstest_reuse::apply;
use nix::errno::Errno;
use rstest::rstest;

/// listen(2), NOTES: "The behavior of the backlog argument on TCP sockets changed with Linux
/// 2.2. Now it specifies the queue length for completely established sockets waiting to be
/// accepted". The three-way handshake is done by the kernel: connect(2) returns 0 and the
/// client is ESTABLISHED (TCP_INFO) and can even send data before the server calls
/// accept(2); accept then returns that connection with the data waiting.
#[apply(families)]
fn connect_completes_into_the_accept_queue_before_accept_is_called(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (l, addr) = fixtures::net::listener(&fam.loopback(0), 1, 0);
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
    let (l, addr) = fixtures::net::listener(&fam.loopback(0), 1, 0);
    let clients = [connecting(fam, &addr), connecting(fam, &addr)];
    for c in &clients {
        wait_for_events(c, libc::POLLOUT, "a queued connection to complete");
        assert_eq!(so_error(c), 0);
        assert_eq!(tcp_state(c), TCP_ESTABLISHED);
    }
    let third = connecting(fam, &addr);
    assert_eq!(revents(&third, libc::POLLOUT, fixtures::deadline::poll_ms(NEGATIVE_WAIT)), 0, "the third connection completed or failed");
    assert_eq!(tcp_state(&third), TCP_SYN_SENT);
    assert_eq!(so_error(&third), 0, "the third connection was refused");
    drop(l);
}

/// connect(2), ERRORS: "ECONNREFUSED A connect() on a stream socket found no one listening
/// on the remote address." The target port is bound by a socket that does not listen.
#[apply(families)]
fn connect_to_a_port_without_listener_fails_econnrefused(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (_keeper, target) = closed_tcp_port(fam);
    let c = socket(fam, Proto::Tcp);
    assert_errno!(fixtures::within("connect to a closed port", || connect(&c, &target)), Errno::ECONNREFUSED);
}

/// connect(2), ERRORS: "EISCONN The socket is already connected."
#[apply(families)]
fn connect_on_a_connected_socket_fails_eisconn(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (c, _s) = tcp_pair(fam);
    let peer = peer_addr(&c).unwrap();
    assert_errno!(connect(&c, &peer), Errno::EISCONN);
}

/// tcp(7): "TCP does not preserve record boundaries." Two sends of 3 bytes are read back by
/// one recv(2) of 6 once both have arrived (the sender's FIN, seen as POLLRDHUP, comes after
/// all data).
#[apply(families)]
fn tcp_does_not_preserve_record_boundaries(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (c, s) = tcp_pair(fam);
    assert_eq!(send(&c, b"abc", 0), Ok(3));
    assert_eq!(send(&c, b"def", 0), Ok(3));
    nix::sys::socket::shutdown(std::os::fd::AsRawFd::as_raw_fd(&c), nix::sys::socket::Shutdown::Write).unwrap();
    await_events(&s, libc::POLLRDHUP, "the sender's FIN");
    let mut buf = [0u8; 64];
    assert_eq!(recv(&s, &mut buf, libc::MSG_DONTWAIT), Ok(6));
    assert_eq!(&buf[..6], b"abcdef");
}

/// tcp(7): "TCP guarantees that the data arrives in order". A child writes 2 MiB of a
/// position-dependent pattern in odd-sized chunks; the parent reads it all back unchanged.
#[apply(families)]
fn tcp_delivers_a_large_stream_complete_and_in_order(#[case] fam: Family) {
    needs!(available(fam.availability()));
    const LEN: usize = 2 << 20;
    let (c, s) = tcp_pair(fam);
    let writer = fixtures::spawn("writer", || {
        let data = fixtures::io::word_pattern(LEN);
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
    if let Some(i) = fixtures::io::first_difference(&got, &fixtures::io::word_pattern(LEN)) {
        panic!("the stream differs from what was written at byte {i} (each 4-byte word holds its index)");
    }
}

/// tcp(7): "Data cannot be transmitted on listening or not yet connected sockets." Linux
/// differs from POSIX send(), which specifies ENOTCONN ("The socket is not connected"): it
/// fails send(2) on such a socket with EPIPE (net/core/stream.c, sk_stream_wait_connect():
/// a socket not in SYN_SENT/SYN_RECV gives -EPIPE), while recv(2) fails with ENOTCONN (see
/// docs/findings.md). MSG_NOSIGNAL keeps the EPIPE from raising SIGPIPE.
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

/// The listener's accept-queue length and backlog as the kernel reports them in TCP_INFO
/// (net/ipv4/tcp.c tcp_get_info: for a LISTEN socket "tcpi_unacked -> Number of children
/// ready for accept(), tcpi_sacked -> max backlog"; what `ss -lnt` shows as Recv-Q and
/// Send-Q): (tcpi_unacked, tcpi_sacked), the u32 fields at offsets 24 and 28.
fn listen_queue(l: &std::os::fd::OwnedFd) -> (u32, u32) {
    let (r, len, b) = inet_sockets::msg::getsockopt_bytes(l, libc::IPPROTO_TCP, libc::TCP_INFO, 256);
    assert_eq!(r, Ok(()));
    assert!(len >= 32, "struct tcp_info of {len} bytes");
    assert_eq!(b[0], inet_sockets::tcp::TCP_LISTEN, "tcpi_state");
    let u = |at: usize| u32::from_ne_bytes(b[at..at + 4].try_into().unwrap());
    (u(24), u(28))
}

/// listen(2): backlog "defines the maximum length to which the queue of pending connections
/// for sockfd may grow"; "If the backlog argument is greater than the value in
/// /proc/sys/net/core/somaxconn, then it is silently capped to that value." listen(2) on a
/// socket that already listens takes the new backlog (net/ipv4/af_inet.c inet_listen: for a
/// socket already in LISTEN only sk_max_ack_backlog changes) and keeps the connections
/// queued: backlog 1 with two clients queued, then listen(5) again: the queue still holds
/// the two and the backlog reads 5; a backlog above somaxconn reads as somaxconn. (nginx
/// calls listen() again on inherited sockets on reload to apply a changed backlog.)
#[apply(families)]
fn listen_again_changes_the_backlog_and_keeps_the_queue(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let l = socket(fam, Proto::Tcp);
    bind(&l, &fam.loopback(0)).unwrap();
    listen(&l, 1).unwrap();
    assert_eq!(listen_queue(&l), (0, 1));
    let addr = local_addr(&l);
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let c = socket(fam, Proto::Tcp);
            connect(&c, &addr).unwrap();
            c
        })
        .collect();
    assert_eq!(listen_queue(&l), (2, 1), "two connections queued, backlog 1");
    assert_eq!(listen(&l, 5), Ok(()), "listen on a listening socket");
    assert_eq!(listen_queue(&l), (2, 5), "the queue is kept, the backlog is the new one");
    // variant: none — somaxconn only supplies the cap expected.
    if std::path::Path::new("/proc/sys/net/core/somaxconn").exists() {
        let max = fixtures::sysctl::read_u64("net/core/somaxconn");
        if max < i32::MAX as u64 {
            assert_eq!(listen(&l, max as i32 + 1), Ok(()));
            assert_eq!(listen_queue(&l), (2, max as u32), "capped at somaxconn");
        }
    }
    for _ in &clients {
        let (_a, _) = accept_ready(&l);
    }
    assert_eq!(listen_queue(&l).0, 0, "accepted");
}
