//! The size of the buffer given to read(2) and write(2).
//!
//! eventfd(2): "A read(2) fails with the error EINVAL if the size of the supplied buffer is
//! less than 8 bytes." / "A write(2) fails with the error EINVAL if the size of the
//! supplied buffer is less than 8 bytes, or if an attempt is made to write the value
//! 0xffffffffffffffff."
//!
//! Larger buffers: fs/eventfd.c eventfd_read() checks `iov_iter_count(to) < sizeof(ucnt)`
//! and copies 8 bytes, on every kernel. eventfd_write() checked `count < sizeof(ucnt)`
//! until kernel commit d31563b5f9bb601a805c4a1b491edf69ada79688 ("eventfd: strictly check
//! the count parameter of eventfd_write to avoid inputting illegal strings", Wen Yang,
//! merged for 6.9 through vfs-6.9.misc), which made it `count != sizeof(ucnt)`: since 6.9
//! a write of more than 8 bytes fails EINVAL; before, it returned 8 and added the first 8.

use eventfd::nonblocking;
use fixtures::io::{read_once, write_once};
use fixtures::{assert_errno, kernel_at_least, kernel_version, variant};
use nix::errno::Errno;

/// eventfd(2): a read with a buffer under 8 bytes fails EINVAL, and does not consume the
/// counter.
#[rstest::rstest]
fn a_read_with_a_buffer_under_8_bytes_fails_einval(#[values(0, 1, 4, 7)] len: usize) {
    let e = nonblocking(5);
    let mut buf = [0u8; 8];
    assert_errno!(read_once(&e, &mut buf[..len]), Errno::EINVAL, "read of {len} bytes");
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 5, "a failed read changed the counter");
}

/// eventfd(2): a write with a buffer under 8 bytes fails EINVAL, and adds nothing.
#[rstest::rstest]
fn a_write_with_a_buffer_under_8_bytes_fails_einval(#[values(0, 1, 4, 7)] len: usize) {
    let e = nonblocking(5);
    let buf = [1u8; 8];
    assert_errno!(write_once(&e, &buf[..len]), Errno::EINVAL, "write of {len} bytes");
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 5, "a failed write changed the counter");
}

/// eventfd(2), read(2): "Each successful read(2) returns an 8-byte integer. A read(2) fails
/// with the error EINVAL if the size of the supplied buffer is less than 8 bytes" — only a
/// smaller buffer is an error (fs/eventfd.c, eventfd_read()): a buffer of more than 8 bytes
/// is accepted; the read returns 8 and fills only the first 8 bytes (the same on all
/// kernels).
#[test]
fn a_read_with_a_buffer_over_8_bytes_returns_8() {
    let e = nonblocking(0);
    assert_eq!(eventfd::write_u64(&e, 0x1122_3344_5566_7788), Ok(8));
    let mut buf = [0xeeu8; 16];
    assert_eq!(read_once(&e, &mut buf), Ok(8));
    assert_eq!(buf[..8], 0x1122_3344_5566_7788u64.to_ne_bytes());
    assert_eq!(buf[8..], [0xee; 8], "bytes beyond the first 8 were written");
}

/// Since Linux 6.9 (commit d31563b5f9bb, see the file comment) a write of more than 8 bytes
/// fails EINVAL and adds nothing; before 6.9 it returned 8 and added the value in the first
/// 8 bytes, ignoring the rest. Variant: `einval` (6.9+) or `accepted` (lacking: before 6.9
/// the strict size check the claim is about is not there).
///
/// Kernel change: 6.9, commit d31563b5f9bb — an eventfd write of more than 8 bytes fails EINVAL instead of returning 8.
#[rstest::rstest]
fn a_write_with_a_buffer_over_8_bytes_fails_einval_since_6_9(#[values(9, 16, 4096)] len: usize) {
    let e = nonblocking(0);
    let mut buf = vec![0u8; len];
    buf[..8].copy_from_slice(&3u64.to_ne_bytes());
    let r = write_once(&e, &buf);
    if kernel_at_least(6, 9) {
        variant::observed("einval", format_args!("d31563b5f9bb (6.9) checks count != 8; kernel {}", kernel_version()));
        assert_errno!(r, Errno::EINVAL, "write of {len} bytes on >= 6.9");
        assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 0);
    } else {
        variant::lacking("accepted", format_args!("before d31563b5f9bb (6.9) only count < 8 fails; kernel {}", kernel_version()));
        assert_eq!(r, Ok(8), "write of {len} bytes before 6.9");
        assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 3);
    }
}
