//! PIPE_BUF. pipe(7), "PIPE_BUF": "POSIX.1 says that writes of less than PIPE_BUF bytes must
//! be atomic: the output data is written to the pipe as a contiguous sequence. Writes of more
//! than PIPE_BUF bytes may be nonatomic: the kernel may interleave the data with data written
//! by other processes. POSIX.1 requires PIPE_BUF to be at least 512 bytes. (On Linux,
//! PIPE_BUF is 4096 bytes.)"
//!
//! The writers are separate processes writing concurrently through inherited descriptors;
//! the test process reads everything until end-of-file.

use fixtures::io::{fionread, read_to_eof, write_once};
use fixtures::kinds::Kind;
use fixtures::memory::page_size;
use fixtures::{assert_errno, children, isolated};
use nix::errno::Errno;
use fixtures::cases::pipe_kinds;
use pipes::{PIPE_BUF, blocking_pair, with_room};
use rstest::rstest;
use rstest_reuse::apply;

const WRITERS: usize = 4;

/// pipe(7), "PIPE_BUF": "(On Linux, PIPE_BUF is 4096 bytes.)"; for a nonblocking write,
/// "n <= PIPE_BUF: If there is room to write n bytes to the pipe, then write(2) succeeds
/// immediately, writing all n bytes; otherwise write(2) fails, with errno set to EAGAIN",
/// while for "n > PIPE_BUF ... from 1 to n bytes may be written". The kernel's PIPE_BUF is
/// where a write that does not fit stops being all-or-nothing. Asserted with 4095 bytes of
/// room: a write of 4096 bytes fails with EAGAIN and writes nothing, a write of 4097 bytes is
/// partial (Linux puts its last 4097 % 4096 = 1 byte into the room; fs/pipe.c, pipe_write()).
/// (libc's PIPE_BUF and glibc's fpathconf(_PC_PIPE_BUF) are constants the C library answers
/// without asking the kernel, so they are not what is checked.)
#[apply(pipe_kinds)]
#[rstest]
fn pipe_buf_is_4096_on_linux(#[case] kind: Kind) {
    assert_eq!(page_size(), 4096, "the room is counted for 4 KiB pages");
    let (p, cap) = with_room(kind, 4095);
    assert_errno!(write_once(p.tx(), &[b'b'; 4096]), Errno::EAGAIN, "a write of 4096 bytes with 4095 bytes of room");
    assert_eq!(fionread(p.rx()), Ok(cap - 4095), "the refused write of 4096 bytes wrote nothing");
    assert_eq!(write_once(p.tx(), &[b'c'; 4097]), Ok(1), "a write of 4097 bytes may be partial");
    assert_eq!(fionread(p.rx()), Ok(cap - 4094));
}

/// pipe(7), "PIPE_BUF", "O_NONBLOCK disabled, n <= PIPE_BUF: All n bytes are written
/// atomically". Asserted: with four processes each writing `size`-byte chunks filled with its
/// own byte, concurrently and with the pipe running full, the stream read back consists of
/// whole uniform chunks only, and each writer's chunk count is exact. Sizes include values
/// that do not divide the page size, so chunks straddle buffer pages.
#[apply(pipe_kinds)]
#[rstest]
fn writes_of_at_most_pipe_buf_bytes_never_interleave(#[case] kind: Kind, #[values(512, 1000, 3000, 4096)] size: usize) {
    isolated(|| {
        let mut p = blocking_pair(kind);
        let rounds = 4 * 65536 / size;
        let writers = children(WRITERS, "atomic writer", |i| {
            let chunk = vec![b'A' + i as u8; size];
            for _ in 0..rounds {
                assert_eq!(write_once(p.tx(), &chunk), Ok(size), "a blocking write of n <= PIPE_BUF is complete");
            }
        });
        p.close_tx();
        let data = read_to_eof(p.rx());
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
#[apply(pipe_kinds)]
#[rstest]
fn writes_larger_than_pipe_buf_arrive_whole_and_in_order_but_may_interleave(#[case] kind: Kind) {
    isolated(|| {
        let mut p = blocking_pair(kind);
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
                    write_once(p.tx(), &chunk),
                    Ok(size),
                    "a blocking write blocks until n bytes are written"
                );
            }
        });
        p.close_tx();
        let data = read_to_eof(p.rx());
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
