//! PIPE_BUF. pipe(7), "PIPE_BUF": "POSIX.1 says that writes of less than PIPE_BUF bytes must
//! be atomic: the output data is written to the pipe as a contiguous sequence. Writes of more
//! than PIPE_BUF bytes may be nonatomic: the kernel may interleave the data with data written
//! by other processes. POSIX.1 requires PIPE_BUF to be at least 512 bytes. (On Linux,
//! PIPE_BUF is 4096 bytes.)"
//!
//! The writers are separate processes writing concurrently through inherited descriptors;
//! the test process reads everything until end-of-file.

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::{read_to_eof, write_once};
use fixtures::{children, isolated};
use pipes::{PIPE_BUF, PipeKind};
use rstest::rstest;

const WRITERS: usize = 4;

/// pipe(7), "PIPE_BUF": "(On Linux, PIPE_BUF is 4096 bytes.)", at least the POSIX minimum of
/// 512; POSIX fpathconf(): _PC_PIPE_BUF gives the value for a pipe or FIFO. Asserted: the
/// constant and fpathconf() on both ends agree on 4096.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn pipe_buf_is_4096_on_linux(#[case] kind: PipeKind) {
    assert_eq!(PIPE_BUF, 4096);
    let p = kind.open();
    for fd in [p.rx.as_raw_fd(), p.tx.as_raw_fd()] {
        let v = unsafe { libc::fpathconf(fd, libc::_PC_PIPE_BUF) };
        assert_eq!(v, 4096, "fpathconf(_PC_PIPE_BUF) on fd {fd}");
    }
}

/// pipe(7), "PIPE_BUF", "O_NONBLOCK disabled, n <= PIPE_BUF: All n bytes are written
/// atomically". Asserted: with four processes each writing `size`-byte chunks filled with its
/// own byte, concurrently and with the pipe running full, the stream read back consists of
/// whole uniform chunks only, and each writer's chunk count is exact. Sizes include values
/// that do not divide the page size, so chunks straddle buffer pages.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn writes_of_at_most_pipe_buf_bytes_never_interleave(
    #[case] kind: PipeKind,
    #[values(512, 1000, 3000, 4096)] size: usize,
) {
    isolated(|| {
        let p = kind.open();
        let rounds = 4 * 65536 / size;
        let writers = children(WRITERS, "atomic writer", |i| {
            let chunk = vec![b'A' + i as u8; size];
            for _ in 0..rounds {
                assert_eq!(write_once(p.tx.as_fd(), &chunk), Ok(size), "a blocking write of n <= PIPE_BUF is complete");
            }
        });
        drop(p.tx);
        let data = read_to_eof(p.rx.as_fd());
        writers.expect_all_success();
        assert_eq!(data.len(), WRITERS * rounds * size);
        let mut per_writer = [0usize; WRITERS];
        for (k, chunk) in data.chunks(size).enumerate() {
            let first = chunk[0];
            assert!(
                chunk.iter().all(|&b| b == first),
                "chunk {k} of {size} bytes is interleaved: starts with {:?}, contains {:?}",
                first as char,
                chunk.iter().find(|&&b| b != first).map(|&b| b as char)
            );
            per_writer[(first - b'A') as usize] += 1;
        }
        assert_eq!(per_writer, [rounds; WRITERS]);
    });
}

/// pipe(7), "O_NONBLOCK disabled, n > PIPE_BUF: The write is nonatomic: the data given to
/// write(2) may be interleaved with write(2)s by other process; the write(2) blocks until n
/// bytes have been written." Interleaving is *permitted*, not required, so it is counted and
/// reported, never asserted. Asserted: every write returns n, no byte is lost or duplicated,
/// and each writer's bytes arrive in the order written (each byte carries its writer in the
/// high nibble and a running sequence number in the low nibble).
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn writes_larger_than_pipe_buf_arrive_whole_and_in_order_but_may_interleave(#[case] kind: PipeKind) {
    isolated(|| {
        let p = kind.open();
        let size = 3 * PIPE_BUF + 123;
        let rounds = 24;
        let writers = children(WRITERS, "large writer", |i| {
            let mut seq = 0u8;
            for _ in 0..rounds {
                let chunk: Vec<u8> = (0..size)
                    .map(|_| {
                        let b = ((i as u8) << 4) | (seq & 0x0f);
                        seq = seq.wrapping_add(1);
                        b
                    })
                    .collect();
                assert_eq!(
                    write_once(p.tx.as_fd(), &chunk),
                    Ok(size),
                    "a blocking write blocks until n bytes are written"
                );
            }
        });
        drop(p.tx);
        let data = read_to_eof(p.rx.as_fd());
        writers.expect_all_success();
        assert_eq!(data.len(), WRITERS * rounds * size);
        let mut next = [0u8; WRITERS];
        let mut count = [0usize; WRITERS];
        for (k, &b) in data.iter().enumerate() {
            let w = (b >> 4) as usize;
            assert!(w < WRITERS, "byte {k} names no writer: {b:#04x}");
            assert_eq!(b & 0x0f, next[w], "writer {w}'s bytes out of order at offset {k}");
            next[w] = (next[w] + 1) & 0x0f;
            count[w] += 1;
        }
        assert_eq!(count, [rounds * size; WRITERS]);
        // Without interleaving, every run of one writer's bytes is a whole number of writes.
        let mut torn_runs = 0;
        let mut run = 1;
        for w in data.windows(2) {
            if w[0] >> 4 == w[1] >> 4 {
                run += 1;
            } else {
                torn_runs += usize::from(run % size != 0);
                run = 1;
            }
        }
        eprintln!("{torn_runs} runs of one writer's bytes were not whole writes (interleaving is permitted)");
    });
}
