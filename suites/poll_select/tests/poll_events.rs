//! poll(2): what each event bit means for each kind of file descriptor, and which bits
//! revents may hold.
//!
//! Every pair comes from `poll_select::kinds` (pipe, FIFO, UNIX stream and datagram
//! sockets, TCP on loopback, eventfd, pty master, POSIX message queue). `Pair::send`
//! returns once the receiving side has the data, so a zero-timeout poll afterwards is an
//! exact check, not a race.

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::open_cloexec;
use fixtures::kinds::Kind;
use fixtures::net::{self, SockAddr};
use fixtures::poll::{poll1, revents_now, wait_for_events};
use fixtures::{Scratch, needs};
use nix::sys::socket::{Shutdown, shutdown};
use fixtures::cases::{every_kind, pipe_kinds};
use poll_select::waits::{poll, pollfd};
use rstest::rstest;
use rstest_reuse::apply;

const INPUT_SIDE: libc::c_short =
    libc::POLLIN | libc::POLLPRI | libc::POLLRDHUP | libc::POLLRDNORM | libc::POLLRDBAND;

/// Every event bit a caller may request (POLLERR, POLLHUP and POLLNVAL are output-only).
const ALL_REQUESTABLE: libc::c_short = libc::POLLIN
    | libc::POLLPRI
    | libc::POLLOUT
    | libc::POLLRDHUP
    | libc::POLLRDNORM
    | libc::POLLRDBAND
    | libc::POLLWRNORM
    | libc::POLLWRBAND;

/// poll(2), POLLIN: "There is data to read." After one write the read end reports exactly
/// POLLIN when only POLLIN is requested, and poll returns 1.
#[apply(every_kind)]
#[rstest]
fn pollin_is_reported_when_input_is_available(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    p.send(b"x");
    assert_eq!(poll1(p.rx(), libc::POLLIN, 0), Ok((1, libc::POLLIN)));
}

/// poll(2): "If none of the events requested (and no error) has occurred ... poll() blocks";
/// with a zero timeout it returns 0 and revents is 0 for an empty, open channel.
#[apply(every_kind)]
#[rstest]
fn an_empty_open_channel_reports_nothing(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    assert_eq!(poll1(p.rx(), INPUT_SIDE, 0), Ok((0, 0)));
}

/// poll(2), POLLOUT: "Writing is now possible". A fresh channel's write end reports
/// exactly POLLOUT when only POLLOUT is requested.
#[apply(every_kind)]
#[rstest]
fn pollout_is_reported_on_a_writable_end(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    assert_eq!(poll1(p.tx(), libc::POLLOUT, 0), Ok((1, libc::POLLOUT)));
}

/// poll(2): "The bits returned in revents can include any of those specified in events, or
/// one of the values POLLERR, POLLHUP, or POLLNVAL." Input is available, but only POLLPRI
/// and POLLRDHUP (neither true) are requested: revents is 0 and poll returns 0.
#[apply(every_kind)]
#[rstest]
fn revents_holds_only_requested_events(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    p.send(b"x");
    assert_eq!(
        poll1(p.rx(), libc::POLLPRI | libc::POLLRDHUP, 0),
        Ok((0, 0))
    );
}

/// poll(2): POLLRDNORM is "Equivalent to POLLIN" and POLLWRNORM "Equivalent to POLLOUT".
/// That holds for every kind except eventfd, where Linux differs from poll(2): its poll
/// method (fs/eventfd.c, eventfd_poll) only ever sets EPOLLIN and EPOLLOUT, so asked for
/// POLLRDNORM/POLLWRNORM alone, a readable and writable eventfd reports nothing. The
/// `eventfd` case pins that as observed, not as conformance (docs/findings.md).
#[apply(every_kind)]
#[rstest]
fn rdnorm_and_wrnorm_mirror_pollin_and_pollout(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    p.send(b"x");
    let (rd, wr) = if kind == Kind::EventFd {
        (0, 0)
    } else {
        (libc::POLLRDNORM, libc::POLLWRNORM)
    };
    assert_eq!(
        revents_now(p.rx(), libc::POLLRDNORM),
        rd,
        "POLLRDNORM on the readable end of {kind:?}"
    );
    assert_eq!(
        revents_now(p.tx(), libc::POLLWRNORM),
        wr,
        "POLLWRNORM on the writable end of {kind:?}"
    );
}

/// poll(2), POLLHUP: "when reading from a channel such as a pipe or a stream socket, this
/// event merely indicates that the peer closed its end". The exact input-side revents after
/// the writer closes, per kind: pipes, FIFOs and a pty master report POLLHUP alone; a UNIX
/// stream socket adds POLLIN and POLLRDHUP (end of file is readable); TCP reports
/// POLLIN|POLLRDHUP but no POLLHUP while our own side is still open (net/ipv4/tcp.c,
/// tcp_poll: POLLHUP only for SHUTDOWN_MASK or TCP_CLOSE); a connected UNIX datagram
/// socket is not told at all (net/unix/af_unix.c marks only stream peers shut down).
#[rstest]
#[case::pipe(Kind::Pipe, libc::POLLHUP)]
#[case::fifo(Kind::Fifo, libc::POLLHUP)]
#[case::unix_stream(Kind::UnixStream, libc::POLLIN | libc::POLLRDNORM | libc::POLLRDHUP | libc::POLLHUP)]
#[case::unix_dgram(Kind::UnixDgram, 0)]
#[case::tcp(Kind::Tcp, libc::POLLIN | libc::POLLRDNORM | libc::POLLRDHUP)]
#[case::pty(Kind::Pty, libc::POLLHUP)]
fn closing_the_writer_reports_per_kind(#[case] kind: Kind, #[case] expected: libc::c_short) {
    needs!(available(kind.availability()));
    let mut p = kind.pair();
    p.close_tx();
    assert_eq!(
        revents_now(p.rx(), INPUT_SIDE),
        expected,
        "{kind:?}: {:#x}",
        revents_now(p.rx(), INPUT_SIDE)
    );
}

/// poll(2), POLLHUP: "Subsequent reads from the channel will return 0 (end of file) only
/// after all outstanding data in the channel has been consumed." Unread data and the hangup
/// are reported together (POLLIN|POLLHUP); the data is read first, then end of file — for
/// a pty master, EIO once the slave is gone and the data consumed (drivers/tty/n_tty.c).
/// Afterwards a pipe, FIFO or pty reports POLLHUP alone, while a stream socket keeps
/// POLLIN too (end of file is "readable": a read does not block).
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::fifo(Kind::Fifo)]
#[case::unix_stream(Kind::UnixStream)]
#[case::pty(Kind::Pty)]
fn pollhup_does_not_hide_unread_data(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let mut p = kind.pair();
    p.send(b"ab");
    p.close_tx();
    let r = revents_now(p.rx(), libc::POLLIN);
    assert_eq!(r, libc::POLLIN | libc::POLLHUP, "{r:#x}");
    assert_eq!(p.recv(16).as_deref(), Ok(&b"ab"[..]));
    let end = p.recv(16);
    if kind == Kind::Pty {
        assert_eq!(end, Err(nix::errno::Errno::EIO));
    } else {
        assert_eq!(end, Ok(vec![]));
    }
    let after = if kind == Kind::UnixStream {
        libc::POLLIN | libc::POLLHUP
    } else {
        libc::POLLHUP
    };
    assert_eq!(revents_now(p.rx(), libc::POLLIN), after);
}

/// poll(2): events "may be specified as zero, in which case the only events that can be
/// returned in revents are POLLHUP, POLLERR, and POLLNVAL". A readable fd with events 0
/// reports nothing; a hung-up one reports POLLHUP.
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::unix_stream(Kind::UnixStream)]
#[case::pty(Kind::Pty)]
fn zero_events_still_report_pollhup(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let mut p = kind.pair();
    p.send(b"x");
    assert_eq!(poll1(p.rx(), 0, 0), Ok((0, 0)));
    p.close_tx();
    assert_eq!(poll1(p.rx(), 0, 0), Ok((1, libc::POLLHUP)));
}

/// poll(2), POLLERR: "This bit is also set for a file descriptor referring to the write
/// end of a pipe when the read end has been closed" — reported with events 0 too.
#[apply(pipe_kinds)]
#[rstest]
fn the_write_end_of_a_pipe_without_readers_reports_pollerr(#[case] kind: Kind) {
    let mut p = kind.pair();
    p.close_rx();
    assert_eq!(
        poll1(p.tx(), libc::POLLOUT, 0),
        Ok((1, libc::POLLOUT | libc::POLLERR))
    );
    assert_eq!(poll1(p.tx(), 0, 0), Ok((1, libc::POLLERR)));
}

/// poll(2), POLLNVAL: "Invalid request: fd not open", set whatever events were requested
/// (also 0); the entry counts in the return value.
#[test]
fn a_closed_fd_reports_pollnval() {
    let p = Kind::Pipe.pair();
    fixtures::run_in_child("poll a closed fd", || {
        // Closed in a single-threaded child: nothing can reuse the number in between.
        let closed = p.rx().try_clone_to_owned().unwrap().as_raw_fd();
        assert_eq!(poll1(fixtures::io::raw_fd(closed), libc::POLLIN, 0), Ok((1, libc::POLLNVAL)));
        assert_eq!(poll1(fixtures::io::raw_fd(closed), 0, 0), Ok((1, libc::POLLNVAL)));
    })
    .expect_success();
}

/// poll(2): "If this field is negative, then the corresponding events field is ignored and
/// the revents field returns zero. (This provides an easy way of ignoring a file
/// descriptor ... simply set the fd field to its bitwise complement.)" A garbage revents is
/// zeroed, and the complement of a readable fd is not polled.
#[test]
fn a_negative_fd_is_ignored_and_its_revents_zeroed() {
    let p = Kind::Pipe.pair();
    p.send(b"x");
    let garbage = |fd| libc::pollfd { revents: 0x7fff, ..pollfd(fd, libc::POLLIN) };
    let mut fds = [garbage(-1), garbage(!p.rx().as_raw_fd()), pollfd(p.rx().as_raw_fd(), libc::POLLIN)];
    assert_eq!(poll(&mut fds, 0), Ok(1));
    assert_eq!(
        [fds[0].revents, fds[1].revents, fds[2].revents],
        [0, 0, libc::POLLIN]
    );
}

/// poll(2), POLLPRI: "There is out-of-band data on a TCP socket (see tcp(7))." The urgent
/// byte is not ordinary data: with POLLIN|POLLPRI requested only POLLPRI is reported
/// (net/ipv4/tcp.c, tcp_poll skips the urgent byte when judging POLLIN).
#[test]
fn tcp_urgent_data_reports_pollpri_not_pollin() {
    let p = Kind::Tcp.pair();
    assert_eq!(revents_now(p.rx(), libc::POLLIN | libc::POLLPRI), 0);
    p.send_urgent(b'!');
    assert_eq!(
        revents_now(p.rx(), libc::POLLIN | libc::POLLPRI),
        libc::POLLPRI
    );
}

/// poll(2), POLLRDHUP: "Stream socket peer closed connection, or shut down writing half of
/// connection." After the peer's shutdown(SHUT_WR) the reader gets POLLIN|POLLRDHUP (end of
/// file is readable) but not POLLHUP (the connection is only half closed).
#[rstest]
#[case::unix_stream(Kind::UnixStream)]
#[case::tcp(Kind::Tcp)]
fn the_peer_shutting_down_writing_reports_pollrdhup(#[case] kind: Kind) {
    let p = kind.pair();
    shutdown(p.tx().as_raw_fd(), Shutdown::Write).unwrap();
    fixtures::poll::await_events(p.rx(), libc::POLLRDHUP, "the peer's FIN");
    let _ = fixtures::io::fionread(p.rx());
    assert_eq!(
        poll1(p.rx(), libc::POLLIN | libc::POLLRDHUP, 0),
        Ok((1, libc::POLLIN | libc::POLLRDHUP))
    );
    assert_eq!(
        poll1(p.rx(), 0, 0),
        Ok((0, 0)),
        "a half-closed connection is no hangup"
    );
    assert_eq!(p.recv(8), Ok(vec![]));
}

/// poll(2): "If none of the events requested (and no error) has occurred for any of the file
/// descriptors, then poll() blocks until one of the events occurs." A poll that asks for
/// POLLRDHUP alone, called right after the peer's shutdown(SHUT_WR) — so that the FIN may
/// arrive before or while poll goes to sleep — returns POLLRDHUP every time: an arrival
/// during the call wakes it. Repeated 200 times because a lost wakeup is a race (gVisor
/// loses about one in twenty on TCP loopback; docs/gvisor.md). A poll that slept past the
/// deadline while a second poll at once reports POLLRDHUP lost its wakeup.
#[rstest]
#[case::unix_stream(Kind::UnixStream)]
#[case::tcp(Kind::Tcp)]
fn a_poll_for_pollrdhup_alone_is_woken_by_the_peers_shutdown(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    for round in 0..200 {
        let p = kind.pair();
        shutdown(p.tx().as_raw_fd(), Shutdown::Write).unwrap();
        let r = fixtures::poll::revents(p.rx(), libc::POLLRDHUP, fixtures::deadline::poll_ms(fixtures::DEFAULT_DEADLINE));
        if r == 0 {
            panic!(
                "round {round}: poll for POLLRDHUP slept until its deadline; polled again at once it reports {:#x} (the FIN had arrived: the wakeup was lost)",
                revents_now(p.rx(), libc::POLLRDHUP)
            );
        }
        assert_eq!(r, libc::POLLRDHUP, "round {round}");
    }
}

/// poll(2) defines POLLRDHUP for stream sockets only: a pipe whose writer is gone reports
/// POLLHUP, never POLLRDHUP (fs/pipe.c, pipe_poll).
#[apply(pipe_kinds)]
#[rstest]
fn pipes_never_report_pollrdhup(#[case] kind: Kind) {
    let mut p = kind.pair();
    p.close_tx();
    assert_eq!(
        revents_now(p.rx(), libc::POLLRDHUP | libc::POLLIN),
        libc::POLLHUP
    );
}

/// A TCP socket that was never connected reports POLLHUP (and POLLOUT): net/ipv4/tcp.c,
/// tcp_poll sets EPOLLHUP for the TCP_CLOSE state, which a new socket is in. Programs that
/// poll a socket before connect(2) see a "hangup" that is no event at all.
#[test]
fn an_unconnected_tcp_socket_reports_pollhup() {
    let s = net::socket(libc::AF_INET, libc::SOCK_STREAM, 0).unwrap();
    assert_eq!(
        poll1(&s, libc::POLLIN | libc::POLLOUT, 0),
        Ok((1, libc::POLLOUT | libc::POLLHUP))
    );
}

/// poll(2), POLLHUP: "when reading from a channel such as a pipe or a stream socket, this
/// event merely indicates that the peer closed its end of the channel" — so there is no
/// hangup before a peer existed. A FIFO opened for reading with O_NONBLOCK before any writer
/// exists does not report POLLHUP (fs/pipe.c, fifo_open: "suppress EPOLLHUP until we have
/// seen a writer"); once a writer has come and gone, POLLHUP is reported.
#[test]
fn a_fifo_reports_no_hangup_before_its_first_writer() {
    let s = Scratch::new();
    let path = s.fifo("f", 0o600);
    let r = open_cloexec(&path, libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
    assert_eq!(poll1(&r, libc::POLLIN, 0), Ok((0, 0)));
    drop(open_cloexec(&path, libc::O_WRONLY | libc::O_NONBLOCK).unwrap());
    assert_eq!(
        poll1(&r, libc::POLLIN, 0),
        Ok((1, libc::POLLHUP))
    );
}

/// accept(2): "select(2), poll(2), or epoll(7) ... a readable event will be delivered when
/// a new connection is attempted". A listening socket reports exactly POLLIN once a
/// connection is pending (never POLLOUT), and nothing before.
#[rstest]
#[case::tcp(true)]
#[case::unix_stream(false)]
fn a_listening_socket_is_readable_with_a_pending_connection(#[case] tcp: bool) {
    let (listener, addr) = if tcp {
        net::loopback_listener()
    } else {
        net::listener(&SockAddr::unique_abstract("listener"), 4, 0)
    };
    let connect = || net::connect_to(&addr);
    let l = listener.as_fd();
    assert_eq!(poll1(l, libc::POLLIN | libc::POLLOUT, 0), Ok((0, 0)));
    let _client = connect();
    // For TCP the final ACK reaches the listener asynchronously.
    wait_for_events(l, libc::POLLIN, "the pending connection");
    assert_eq!(
        poll1(l, libc::POLLIN | libc::POLLOUT, 0),
        Ok((1, libc::POLLIN))
    );
}

/// poll(2), POLLOUT: writing is possible only while there is room. A write end filled
/// until EAGAIN stops reporting POLLOUT; draining the reader brings it back.
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::fifo(Kind::Fifo)]
#[case::unix_stream(Kind::UnixStream)]
#[case::unix_dgram(Kind::UnixDgram)]
#[case::eventfd(Kind::EventFd)]
#[case::mq(Kind::Mq)]
fn pollout_follows_the_room_left(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = kind.pair();
    p.fill();
    assert_eq!(
        poll1(p.tx(), libc::POLLOUT, 0),
        Ok((0, 0)),
        "{kind:?} is full"
    );
    assert!(p.drain() > 0);
    assert_eq!(
        poll1(p.tx(), libc::POLLOUT, 0),
        Ok((1, libc::POLLOUT)),
        "{kind:?} was drained"
    );
}

/// POSIX.1-2024, poll(): "Regular files shall always poll TRUE for reading and writing."
/// Linux reports exactly POLLIN|POLLOUT for a regular file, and no POLLPRI.
#[test]
fn a_regular_file_always_polls_readable_and_writable() {
    let s = Scratch::new();
    let f = open_cloexec(&s.file("f", b""), libc::O_RDWR).unwrap();
    let r = revents_now(&f, libc::POLLIN | libc::POLLOUT | libc::POLLPRI);
    assert_eq!(r, libc::POLLIN | libc::POLLOUT);
    let all = revents_now(&f, ALL_REQUESTABLE);
    assert_eq!(
        all,
        libc::POLLIN | libc::POLLOUT | libc::POLLRDNORM | libc::POLLWRNORM
    );
}
