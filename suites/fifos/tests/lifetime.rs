//! The pipe object behind a FIFO. fifo(7): "The kernel maintains exactly one pipe object for
//! each FIFO special file that is opened by at least one process." Every open(2) of the path
//! joins that object; it lives as long as one descriptor is open, and dies with the last.
//!
//! The bodies run isolated: each claim depends on exactly which descriptors are open.

use std::os::fd::OwnedFd;

use fifos::TempFifo;
use fixtures::io::{fionread, pipe_size, read_once, read_to_eof, set_pipe_size, write_once};
use fixtures::sync::channel;
use fixtures::signals;
use fixtures::{Outcome, assert_errno, children, isolated, run_in_child};
use nix::errno::Errno;
use nix::sys::signal::Signal;

/// A reader opened first (nonblocking, so it does not wait) and then a blocking writer.
fn open_pair(fifo: &TempFifo) -> (OwnedFd, OwnedFd) {
    let r = fifo.open_now(libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
    let w = fifo.open_now(libc::O_WRONLY).unwrap();
    (r, w)
}

/// pipe(7): "If all file descriptors referring to the write end of a pipe have been closed,
/// then an attempt to read(2) from the pipe will see end-of-file" — for a FIFO, the write ends
/// of every open(2) of the path. Asserted with two writers from separate opens: after the
/// first closes, the data of both is read and then EAGAIN (a writer remains); after the second
/// closes, 0.
#[test]
fn eof_comes_when_every_writer_of_the_fifo_has_closed() {
    isolated(|| {
        let fifo = TempFifo::new();
        let (r, w1) = open_pair(&fifo);
        let w2 = fifo.open_now(libc::O_WRONLY).unwrap();
        assert_eq!(write_once(&w1, b"a"), Ok(1));
        assert_eq!(write_once(&w2, b"b"), Ok(1));
        drop(w1);
        let mut buf = [0u8; 8];
        assert_eq!(read_once(&r, &mut buf), Ok(2));
        assert_eq!(&buf[..2], b"ab");
        assert_errno!(read_once(&r, &mut buf), Errno::EAGAIN, "the second writer is still open");
        drop(w2);
        assert_eq!(read_once(&r, &mut buf), Ok(0));
    });
}

/// fifo(7), NOTES: "When a process tries to write to a FIFO that is not opened for read on the
/// other side, the process is sent a SIGPIPE signal." Asserted with two readers from separate
/// opens: a write succeeds while one of them remains; after both close, a writer with SIGPIPE
/// at its default is killed by SIGPIPE.
#[test]
fn a_writer_is_killed_by_sigpipe_once_every_reader_has_closed() {
    isolated(|| {
        let fifo = TempFifo::new();
        let (r1, w) = open_pair(&fifo);
        let r2 = fifo.open_now(libc::O_RDONLY).expect("a writer is open: no wait");
        drop(r1);
        assert_eq!(write_once(&w, b"still read"), Ok(10));
        drop(r2);
        let outcome = run_in_child("writer with SIGPIPE at SIG_DFL", || {
            signals::set_default(Signal::SIGPIPE);
            let r = write_once(&w, b"x");
            panic!("write(2) returned {r:?} instead of the process being killed");
        });
        assert_eq!(outcome, Outcome::Signaled(Signal::SIGPIPE));
    });
}

/// pipe(7): "If the calling process is ignoring this signal, then write(2) fails with the error
/// EPIPE." Asserted on a FIFO whose only reader has closed: EPIPE with SIGPIPE ignored.
#[test]
fn a_write_fails_epipe_once_every_reader_has_closed_and_sigpipe_is_ignored() {
    isolated(|| {
        let fifo = TempFifo::new();
        let (r, w) = open_pair(&fifo);
        drop(r);
        signals::ignore(Signal::SIGPIPE);
        assert_errno!(write_once(&w, b"x"), Errno::EPIPE);
    });
}

const RECORD: usize = 16;
const RECORDS_PER_WRITER: u32 = 2000;
const WRITERS: usize = 3;
const READERS: usize = 2;

/// fifo(7): a FIFO "can be opened by multiple processes for reading or writing", and all of
/// them share the one pipe object; pipe(7), "PIPE_BUF": writes of at most PIPE_BUF bytes are
/// atomic. Asserted with 3 writer and 2 reader processes, each opening the path itself: every
/// 16-byte record is read exactly once, whole, and each reader sees each writer's records in
/// the order written.
#[test]
fn many_writers_and_many_readers_share_one_stream() {
    isolated(|| {
        let fifo = TempFifo::new();
        // Holding the FIFO open read-write until everyone has opened it keeps late readers
        // from blocking in open(2) forever and early readers from seeing EOF too soon.
        let anchor = fifo.open_now(libc::O_RDWR).unwrap();
        let anchor_raw = std::os::fd::AsRawFd::as_raw_fd(&anchor);
        // Each child inherits the anchor and must drop it, or the readers never see EOF.
        let close_anchor = || unsafe {
            libc::close(anchor_raw);
        };
        let (opened, wait_opened) = channel();
        let (counts_tx, counts_rx) = channel();
        let readers = children(READERS, "reader", |_| {
            close_anchor();
            let fd = fixtures::io::open_cloexec(fifo.path(), libc::O_RDONLY).unwrap();
            opened.notify();
            let mut last = [None::<u32>; WRITERS];
            let mut count = [0u64; WRITERS];
            let mut rec = [0u8; RECORD];
            loop {
                match read_once(&fd, &mut rec) {
                    Ok(0) => break,
                    Ok(n) => {
                        assert_eq!(n, RECORD, "a read of one record returned a part of one");
                        let w = rec[0] as usize;
                        let seq = u32::from_ne_bytes(rec[1..5].try_into().unwrap());
                        assert!(rec[5..].iter().all(|&b| b == rec[0]), "torn record {rec:?}");
                        assert!(last[w].is_none_or(|l| seq > l), "writer {w}: {seq} after {:?}", last[w]);
                        last[w] = Some(seq);
                        count[w] += 1;
                    }
                    Err(Errno::EINTR) => {}
                    Err(e) => panic!("read: {e}"),
                }
            }
            // One write of 24 bytes (< PIPE_BUF): the two readers' reports cannot interleave.
            let report: Vec<u8> = count.iter().flat_map(|c| c.to_ne_bytes()).collect();
            counts_tx.send(&report);
        });
        let writers = children(WRITERS, "writer", |i| {
            close_anchor();
            let fd = fixtures::io::open_cloexec(fifo.path(), libc::O_WRONLY).unwrap();
            opened.notify();
            for seq in 0..RECORDS_PER_WRITER {
                let mut rec = [i as u8; RECORD];
                rec[1..5].copy_from_slice(&seq.to_ne_bytes());
                assert_eq!(write_once(&fd, &rec), Ok(RECORD));
            }
        });
        wait_opened.wait_n(READERS + WRITERS);
        drop(anchor);
        writers.expect_all_success();
        let mut total = [0u64; WRITERS];
        for _ in 0..READERS {
            let report = counts_rx.recv(8 * WRITERS);
            for (t, c) in total.iter_mut().zip(report.chunks(8)) {
                *t += u64::from_ne_bytes(c.try_into().unwrap());
            }
        }
        readers.expect_all_success();
        assert_eq!(total, [RECORDS_PER_WRITER as u64; WRITERS]);
    });
}

/// fifo(7): the kernel keeps a pipe object only for a FIFO "that is opened by at least one
/// process"; data in it does not survive the last close ("the FIFO special file has no
/// contents on the filesystem"). Asserted: bytes written and left unread are gone when the
/// FIFO is opened again after every descriptor was closed.
#[test]
fn data_left_in_a_fifo_is_discarded_with_the_last_close() {
    isolated(|| {
        let fifo = TempFifo::new();
        let rw = fifo.open_now(libc::O_RDWR).unwrap();
        assert_eq!(write_once(&rw, b"stale"), Ok(5));
        assert_eq!(fionread(&rw), Ok(5));
        drop(rw);
        let again = fifo.open_now(libc::O_RDWR | libc::O_NONBLOCK).unwrap();
        assert_eq!(fionread(&again), Ok(0));
        let mut buf = [0u8; 8];
        assert_errno!(read_once(&again, &mut buf), Errno::EAGAIN, "stale data survived the last close");
    });
}

/// fifo(7): the pipe object lives while the FIFO "is opened by at least one process" — any
/// descriptor, even one of the other end. Asserted: with only the writer left open, the unread
/// data waits in the FIFO and a new reader gets it.
#[test]
fn data_stays_while_any_descriptor_is_open() {
    isolated(|| {
        let fifo = TempFifo::new();
        let (r, w) = open_pair(&fifo);
        assert_eq!(write_once(&w, b"kept"), Ok(4));
        drop(r);
        let r2 = fifo.open_now(libc::O_RDONLY).expect("a writer is open: no wait");
        drop(w);
        assert_eq!(read_to_eof(&r2), b"kept");
    });
}

/// fifo(7): "exactly one pipe object for each FIFO special file that is opened by at least one
/// process" — a new object after the last close, with the default capacity again. Asserted: a
/// capacity set with F_SETPIPE_SZ is seen through a second open while the first is open, and
/// is back to the default after all descriptors were closed and the FIFO is reopened.
#[test]
fn every_open_joins_the_same_pipe_until_the_last_close() {
    isolated(|| {
        let fifo = TempFifo::new();
        let a = fifo.open_now(libc::O_RDWR).unwrap();
        let default = pipe_size(&a).unwrap();
        assert_eq!(set_pipe_size(&a, 4096), Ok(4096));
        let b = fifo.open_now(libc::O_RDONLY).unwrap();
        assert_eq!(pipe_size(&b), Ok(4096), "a second open reaches the same pipe");
        drop((a, b));
        let c = fifo.open_now(libc::O_RDWR).unwrap();
        assert_eq!(pipe_size(&c), Ok(default), "the reopened FIFO has a new pipe");
    });
}

/// fifo(7): the filesystem entry "merely serves as a reference point so that processes can
/// access the pipe using a name in the filesystem" — open descriptors do not need it.
/// Asserted: after unlink(2) of an open FIFO the path is gone, data still flows between the
/// open ends, and EOF still follows the writer's close.
#[test]
fn an_unlinked_fifo_keeps_working_for_its_open_ends() {
    isolated(|| {
        let fifo = TempFifo::new();
        let (r, w) = open_pair(&fifo);
        std::fs::remove_file(fifo.path()).unwrap();
        assert!(std::fs::symlink_metadata(fifo.path()).is_err(), "the name must be gone");
        assert_errno!(fixtures::io::open_cloexec(fifo.path(), libc::O_RDONLY | libc::O_NONBLOCK), Errno::ENOENT);
        assert_eq!(write_once(&w, b"orphan"), Ok(6));
        drop(w);
        assert_eq!(read_to_eof(&r), b"orphan");
    });
}
