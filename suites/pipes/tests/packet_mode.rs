//! pipe2(2) O_DIRECT (since Linux 3.4): "Create a pipe that performs I/O in "packet" mode.
//! Each write(2) to the pipe is dealt with as a separate packet, and read(2)s from the pipe
//! will read one packet at a time."

use std::os::fd::{AsFd, OwnedFd};

use fixtures::assert_errno;
use fixtures::io::{fionread, read_once, set_nonblocking, set_status_flag, status_flags, write_once};
use fixtures::kinds::Kind;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use fixtures::cases::pipe_kinds;
use pipes::{PIPE_BUF, blocking_pair};
use rstest::rstest;
use rstest_reuse::apply;

fn packet_pipe() -> (OwnedFd, OwnedFd) {
    nix::unistd::pipe2(OFlag::O_DIRECT | OFlag::O_CLOEXEC).expect("pipe2(O_DIRECT)")
}

/// Read once with a buffer of `cap` bytes and return what came.
fn read_with(fd: impl AsFd, cap: usize) -> Vec<u8> {
    let mut buf = vec![0u8; cap];
    let n = read_once(fd, &mut buf).expect("read");
    buf.truncate(n);
    buf
}

/// pipe2(2) O_DIRECT: "Each write(2) to the pipe is dealt with as a separate packet".
/// Asserted: ten writes of 1..=10 bytes come back as ten reads of exactly those bytes, although
/// every read offers room for all of them.
#[test]
fn each_write_becomes_one_packet() {
    let (rx, tx) = packet_pipe();
    let msgs: Vec<Vec<u8>> = (1..=10u8).map(|i| vec![b'a' + i - 1; i as usize]).collect();
    for m in &msgs {
        assert_eq!(write_once(&tx, m), Ok(m.len()));
    }
    assert_eq!(fionread(&rx), Ok(55));
    for m in &msgs {
        assert_eq!(&read_with(&rx, PIPE_BUF), m);
    }
}

/// pipe2(2) O_DIRECT: "read(2)s from the pipe will read one packet at a time", in contrast to
/// pipe(7): "The communication channel provided by a pipe is a byte stream: there is no
/// concept of message boundaries." Asserted: two writes are two reads in packet mode and one
/// read in byte-stream mode.
#[rstest]
#[case::packet_mode(libc::O_DIRECT, &[b"ab".as_slice(), b"cde".as_slice()])]
#[case::byte_stream(0, &[b"abcde".as_slice()])]
fn a_read_returns_at_most_one_packet(#[case] flags: libc::c_int, #[case] expected_reads: &[&[u8]]) {
    let (rx, tx) = nix::unistd::pipe2(OFlag::from_bits_truncate(flags) | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).unwrap();
    // pipe2(2): O_NONBLOCK is set on both new open file descriptions; checked first, so
    // that a kernel ignoring it fails here rather than blocking in the last read.
    assert!(fixtures::io::is_nonblocking(&rx) && fixtures::io::is_nonblocking(&tx), "pipe2(O_NONBLOCK)");
    assert_eq!(write_once(&tx, b"ab"), Ok(2));
    assert_eq!(write_once(&tx, b"cde"), Ok(3));
    for want in expected_reads {
        assert_eq!(&read_with(&rx, 100), want);
    }
    let mut buf = [0u8; 100];
    assert_errno!(read_once(&rx, &mut buf), Errno::EAGAIN, "the pipe must be empty now");
}

/// pipe2(2) O_DIRECT: "If a read(2) specifies a buffer size that is smaller than the next
/// packet, then the requested number of bytes are read, and the excess bytes in the packet
/// are discarded." Asserted: the next read returns the next packet, not the rest of the first.
#[test]
fn a_read_shorter_than_the_packet_discards_the_rest_of_it() {
    let (rx, tx) = packet_pipe();
    assert_eq!(write_once(&tx, b"0123456789"), Ok(10));
    assert_eq!(write_once(&tx, b"next"), Ok(4));
    assert_eq!(read_with(&rx, 4), b"0123");
    assert_eq!(fionread(&rx), Ok(4), "the 6 excess bytes must be gone");
    assert_eq!(read_with(&rx, 100), b"next");
}

/// pipe2(2) O_DIRECT: "Writes of greater than PIPE_BUF bytes (see pipe(7)) will be split into
/// multiple packets ... Specifying a buffer size of PIPE_BUF will be sufficient to read the
/// largest possible packets." Asserted: a write of 2*PIPE_BUF+10 bytes is read back with
/// PIPE_BUF-sized buffers as packets of PIPE_BUF, PIPE_BUF and 10 bytes, in order.
#[test]
fn a_write_larger_than_pipe_buf_is_split_into_pipe_buf_packets() {
    let (rx, tx) = packet_pipe();
    let data: Vec<u8> = (0..2 * PIPE_BUF + 10).map(|i| (i % 251) as u8).collect();
    assert_eq!(write_once(&tx, &data), Ok(data.len()));
    let a = read_with(&rx, PIPE_BUF);
    let b = read_with(&rx, PIPE_BUF);
    let c = read_with(&rx, PIPE_BUF);
    assert_eq!((a.len(), b.len(), c.len()), (PIPE_BUF, PIPE_BUF, 10));
    assert_eq!([a, b, c].concat(), data);
}

/// pipe2(2) O_DIRECT: "Zero-length packets are not supported. (A read(2) that specifies a
/// buffer size of zero is a no-op, and returns 0.)" Asserted: the zero-length read returns 0
/// and does not consume (or discard) the waiting packet.
#[test]
fn a_zero_length_read_returns_zero_and_keeps_the_packet() {
    let (rx, tx) = packet_pipe();
    assert_eq!(write_once(&tx, b"abc"), Ok(3));
    assert_eq!(read_once(&rx, &mut []), Ok(0));
    assert_eq!(read_with(&rx, 100), b"abc");
}

/// pipe2(2) O_DIRECT: "Zero-length packets are not supported." Asserted: a write of zero
/// bytes returns 0 and puts nothing in the pipe: the reader finds it empty (EAGAIN), not an
/// empty packet (which would read as 0, i.e. end-of-file).
#[test]
fn a_zero_length_write_creates_no_packet() {
    let (rx, tx) = packet_pipe();
    set_nonblocking(&rx, true);
    assert_eq!(write_once(&tx, b""), Ok(0));
    assert_eq!(fionread(&rx), Ok(0));
    let mut buf = [0u8; 16];
    assert_errno!(read_once(&rx, &mut buf), Errno::EAGAIN);
}

/// pipe2(2): "Since Linux 4.5, it is possible to change the O_DIRECT setting of a pipe file
/// descriptor using fcntl(2)." Asserted on a pipe and a FIFO made without it: F_SETFL O_DIRECT
/// on the write end is accepted, shows in F_GETFL, and turns later writes into packets.
#[apply(pipe_kinds)]
#[rstest]
fn o_direct_can_be_switched_on_with_fcntl(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    assert_eq!(status_flags(p.tx()) & libc::O_DIRECT, 0);
    assert_eq!(set_status_flag(p.tx(), libc::O_DIRECT, true), Ok(()));
    assert_eq!(status_flags(p.tx()) & libc::O_DIRECT, libc::O_DIRECT);
    assert_eq!(write_once(p.tx(), b"ab"), Ok(2));
    assert_eq!(write_once(p.tx(), b"cd"), Ok(2));
    assert_eq!(read_with(p.rx(), 100), b"ab");
    assert_eq!(read_with(p.rx(), 100), b"cd");
}

/// pipe2(2) O_DIRECT creates a packet-mode pipe; the mode is the O_DIRECT status flag of the
/// writing description (pipe2(2): "change the O_DIRECT setting ... using fcntl(2)"). Asserted:
/// F_GETFL of the write end shows O_DIRECT, and clearing it returns the pipe to byte-stream
/// behaviour for later writes.
#[test]
fn clearing_o_direct_returns_to_byte_stream_writes() {
    let (rx, tx) = packet_pipe();
    assert_eq!(status_flags(&tx) & libc::O_DIRECT, libc::O_DIRECT);
    assert_eq!(set_status_flag(&tx, libc::O_DIRECT, false), Ok(()));
    assert_eq!(write_once(&tx, b"ab"), Ok(2));
    assert_eq!(write_once(&tx, b"cd"), Ok(2));
    assert_eq!(read_with(&rx, 100), b"abcd");
}
