//! How much a nonblocking write transfers when there is some room but not enough.

use fixtures::deadline::poll_ms;
use fixtures::io::{read_exact, read_once, set_pipe_size, write_once};
use fixtures::kinds::{Kind, NonblockMode as Mode};
use fixtures::memory::page_size;
use fixtures::net::setsockopt_int;
use fixtures::poll::revents;
use fixtures::{NEGATIVE_WAIT, assert_errno};
use nix::errno::Errno;
use nonblocking_io::cases::byte_streams;
use nonblocking_io::pair;
use rstest::rstest;
use rstest_reuse::apply;

/// write(2): "The number of bytes written may be less than count if, for example, there is
/// insufficient space"; pipe(7), O_NONBLOCK with n > PIPE_BUF: "If the pipe is full, then
/// write(2) fails, with errno set to EAGAIN. Otherwise, from 1 to n bytes may be written
/// (i.e., a "partial write" may occur; the caller should check the return value". For a
/// stream socket (unix(7), tcp(7)) a nonblocking send that fills the buffer likewise
/// returns the count sent. The bytes written are exactly the first ones of the buffer; the
/// next write fails EAGAIN.
#[apply(byte_streams)]
#[rstest]
fn a_nonblocking_write_larger_than_the_room_is_partial(#[case] kind: Kind) {
    let ends = pair(kind, Mode::AtCreation).unwrap();
    let (rx, tx) = (ends.rx(), ends.tx());
    let mut pre_filled = 0usize;
    if kind == Kind::Pipe {
        // Fill the pipe, then free two pages: there is room, but less than we write.
        let (n, e) = ends.fill_until_error();
        assert_eq!(e, Errno::EAGAIN);
        read_exact(rx, 8192);
        pre_filled = n as usize - 8192;
    }
    // A recognisable pattern, so that a partial write can be checked word for word.
    let big = fixtures::io::word_pattern(4 << 20);
    let n = write_once(tx, &big).unwrap_or_else(|e| panic!("{kind:?}: write with some room: {e}"));
    assert!(n > 0 && n < big.len(), "{kind:?}: expected a partial write, wrote {n} of {}", big.len());
    if kind == Kind::Pipe {
        read_exact(rx, pre_filled);
    }
    let got = read_exact(rx, n);
    assert!(got == big[..n], "{kind:?}: the {n} bytes received are not the first {n} bytes written");
    // Nothing beyond the reported count was transferred. TCP delivers later, on its own: a
    // bounded wait; a pipe or UNIX socket has delivered everything before write(2) returned,
    // so a poll that does not wait is the whole proof (`Kind::moves_data_later`).
    let settle = if kind.moves_data_later() { poll_ms(NEGATIVE_WAIT) } else { 0 };
    assert_eq!(revents(rx, libc::POLLIN, settle) & libc::POLLIN, 0, "{kind:?}: more than {n} bytes arrived");
}

/// pipe(7), O_NONBLOCK with n <= PIPE_BUF: "If there is room to write n bytes to the pipe,
/// then write(2) succeeds immediately, writing all n bytes; otherwise write(2) fails, with
/// errno set to EAGAIN." — never a partial write. A one-page pipe (F_SETPIPE_SZ) holding a
/// page minus 96 bytes takes a write of 96 bytes whole and refuses a write of PIPE_BUF bytes
/// without writing any of it.
#[test]
fn a_nonblocking_pipe_write_of_at_most_pipe_buf_is_all_or_eagain() {
    let ends = pair(Kind::Pipe, Mode::AtCreation).unwrap();
    let (rx, tx) = (ends.rx(), ends.tx());
    let page = page_size();
    assert_eq!(set_pipe_size(tx, page), Ok(page), "F_SETPIPE_SZ of one page");
    // PIPE_BUF is the kernel's (include/uapi/linux/limits.h: 4096), more than the 96 bytes of room.
    let pipe_buf = libc::PIPE_BUF;
    assert_eq!(write_once(tx, &vec![b'a'; page - 96]), Ok(page - 96));
    assert_errno!(write_once(tx, &vec![b'b'; pipe_buf]), Errno::EAGAIN, "PIPE_BUF bytes with 96 bytes of room");
    assert_eq!(write_once(tx, &[b'c'; 96]), Ok(96), "96 bytes with exactly 96 bytes of room");
    assert_errno!(write_once(tx, b"d"), Errno::EAGAIN, "the pipe is full");
    let got = read_exact(rx, page);
    assert!(got[..page - 96].iter().all(|&b| b == b'a'));
    assert!(got[page - 96..].iter().all(|&b| b == b'c'), "bytes of the refused write reached the pipe");
}

/// unix(7)/send(2): datagram sockets preserve message boundaries, so a nonblocking send
/// never writes part of a datagram: a full queue gives EAGAIN (send(2) "EAGAIN ... the
/// requested operation would block"), and a datagram larger than the send buffer gives
/// EMSGSIZE ("The socket type requires that message be sent atomically, and the size of
/// the message to be sent made this impossible"). Every queued datagram arrives whole.
#[test]
fn a_nonblocking_datagram_send_is_never_partial() {
    let ends = pair(Kind::UnixDgram, Mode::AtCreation).unwrap();
    let (rx, tx) = (ends.rx(), ends.tx());
    setsockopt_int(tx, libc::SOL_SOCKET, libc::SO_SNDBUF, 16384).unwrap();
    let big = fixtures::io::word_pattern(1 << 20);
    assert_errno!(write_once(tx, &big), Errno::EMSGSIZE, "a datagram larger than the send buffer");
    let msg = fixtures::io::word_pattern(1000);
    let mut sent = 0;
    loop {
        match write_once(tx, &msg) {
            Ok(n) => {
                assert_eq!(n, msg.len(), "a datagram was sent in part");
                sent += 1;
            }
            Err(Errno::EAGAIN) => break,
            Err(e) => panic!("send: {e}"),
        }
        assert!(sent < 100_000);
    }
    assert!(sent > 0);
    let mut buf = vec![0u8; 4096];
    for i in 0..sent {
        let n = read_once(rx, &mut buf).unwrap_or_else(|e| panic!("datagram {i} of {sent}: {e}"));
        assert_eq!(n, msg.len(), "datagram {i} has the wrong size");
        assert!(buf[..n] == msg[..], "datagram {i} is corrupted");
    }
    assert_errno!(read_once(rx, &mut buf), Errno::EAGAIN, "more datagrams than were sent");
}
