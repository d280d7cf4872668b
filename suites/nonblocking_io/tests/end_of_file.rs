//! Where O_NONBLOCK does *not* give EAGAIN: regular files, and end of file.

use fixtures::deadline::poll_ms;
use fixtures::io::{open_cloexec, read_once, status_flags, write_once};
use fixtures::kinds::{Kind, NonblockMode as Mode};
use fixtures::poll::revents;
use fixtures::{DEFAULT_DEADLINE, Scratch, assert_errno};
use nix::errno::Errno;
use nonblocking_io::cases::byte_streams;
use nonblocking_io::pair;
use rstest::rstest;
use rstest_reuse::apply;

/// open(2), O_NONBLOCK: "Note that this flag has no effect for regular files and block
/// devices; that is, I/O operations will (briefly) block when device activity is
/// required, regardless of whether O_NONBLOCK is set." The flag is recorded (F_GETFL), yet
/// a read returns the data, a read at end of file returns 0, and a large write is whole.
#[test]
fn o_nonblock_has_no_effect_on_a_regular_file() {
    let s = Scratch::new();
    let content: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    let path = s.file("f", &content);
    let f = open_cloexec(&path, libc::O_RDWR | libc::O_NONBLOCK).unwrap();
    assert_eq!(status_flags(&f) & libc::O_NONBLOCK, libc::O_NONBLOCK);
    let mut buf = vec![0u8; content.len() + 10];
    let mut got = 0;
    loop {
        match read_once(&f, &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => panic!("read of a regular file with O_NONBLOCK failed {e} after {got} bytes"),
        }
    }
    assert_eq!(got, content.len());
    assert!(buf[..got] == content[..]);
    assert_eq!(read_once(&f, &mut buf), Ok(0), "read at end of file");
    let big = vec![7u8; 4 << 20];
    assert_eq!(write_once(&f, &big), Ok(big.len()), "a nonblocking write to a regular file was partial");
}

/// POSIX.1-2024, read(): "When attempting to read from an empty pipe or FIFO: If no
/// process has the pipe open for writing, read() shall return 0 to indicate end-of-file.
/// If some process has the pipe open for writing and O_NONBLOCK is set, read() shall
/// return -1 and set errno to [EAGAIN]." Checked on a FIFO opened for reading with
/// O_NONBLOCK before, while, and after a writer has it open.
#[test]
fn a_nonblocking_fifo_read_without_a_writer_is_eof_not_eagain() {
    let s = Scratch::new();
    let path = s.fifo("f", 0o600);
    let r = open_cloexec(&path, libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
    let mut b = [0u8; 4];
    assert_eq!(read_once(&r, &mut b), Ok(0), "no writer has ever opened the FIFO");
    let w = open_cloexec(&path, libc::O_WRONLY).unwrap();
    assert_errno!(read_once(&r, &mut b), Errno::EAGAIN, "a writer is open, no data");
    drop(w);
    assert_eq!(read_once(&r, &mut b), Ok(0), "the writer closed");
}

/// read(2): "On success, the number of bytes read is returned (zero indicates end of
/// file)". Once the other end is closed and the data is drained, a nonblocking read
/// returns 0, not EAGAIN: pipe(7) "If all file descriptors referring to the write end of a
/// pipe have been closed, then an attempt to read(2) from the pipe will see end-of-file";
/// for a stream socket, recv(2) "When a stream socket peer has performed an orderly
/// shutdown, the return value will be 0".
#[apply(byte_streams)]
#[rstest]
fn a_nonblocking_read_after_the_peer_closed_returns_0(#[case] kind: Kind) {
    let ends = pair(kind, Mode::AtCreation).unwrap();
    assert_eq!(write_once(ends.tx(), b"last"), Ok(4));
    let (rx, tx) = {
        let mut ends = ends;
        (ends.take_rx(), ends.take_tx())
    };
    drop(tx);
    // TCP delivers the data and the FIN asynchronously: wait for readability.
    assert_ne!(revents(&rx, libc::POLLIN, poll_ms(DEFAULT_DEADLINE)) & libc::POLLIN, 0);
    let mut b = [0u8; 16];
    let mut got = Vec::new();
    loop {
        match read_once(&rx, &mut b) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&b[..n]),
            Err(Errno::EAGAIN) => {
                assert_ne!(revents(&rx, libc::POLLIN, poll_ms(DEFAULT_DEADLINE)) & libc::POLLIN, 0, "{kind:?}: no EOF");
            }
            Err(e) => panic!("{kind:?}: read: {e}"),
        }
    }
    assert_eq!(got, b"last");
    assert_eq!(read_once(&rx, &mut b), Ok(0), "{kind:?}: EOF is sticky");
}
