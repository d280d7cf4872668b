//! eventfd(2), "read(2)" and "write(2)": the counter.

use eventfd::{nonblocking, read_u64, write_u64};
use fixtures::assert_errno;
use fixtures::io::read_once;
use nix::errno::Errno;

/// eventfd(2): "A write(2) call adds the 8-byte integer value supplied in its buffer to the
/// counter", and "If EFD_SEMAPHORE was not specified and the eventfd counter has a nonzero
/// value, then a read(2) returns 8 bytes containing that value, and the counter's value is
/// reset to zero."
#[test]
fn a_read_returns_the_sum_of_the_writes_and_resets_the_counter() {
    let e = nonblocking(0);
    assert_eq!(write_u64(&e, 3), Ok(8));
    assert_eq!(write_u64(&e, 4), Ok(8));
    assert_eq!(write_u64(&e, 1 << 40), Ok(8));
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 7 + (1 << 40));
    assert_eq!(read_u64(&e), Ok(7 + (1 << 40)));
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 0, "the read did not reset the counter");
    assert_errno!(read_u64(&e), Errno::EAGAIN);
}

/// eventfd(2): "If the eventfd counter is zero at the time of the call to read(2), then the
/// call either blocks until the counter becomes nonzero ... or fails with the error EAGAIN
/// if the file descriptor has been made nonblocking." The failed read leaves the buffer
/// untouched.
#[test]
fn a_nonblocking_read_of_a_zero_counter_fails_eagain() {
    let e = nonblocking(0);
    let mut buf = [0xaau8; 8];
    assert_errno!(read_once(&e, &mut buf), Errno::EAGAIN);
    assert_eq!(buf, [0xaa; 8]);
}

/// eventfd(2): a write "adds the 8-byte integer value supplied in its buffer to the
/// counter" — adding 0 succeeds and leaves the counter at zero, so nothing becomes
/// readable.
#[test]
fn writing_zero_succeeds_and_changes_nothing() {
    let e = nonblocking(0);
    assert_eq!(write_u64(&e, 0), Ok(8));
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 0);
    assert_errno!(read_u64(&e), Errno::EAGAIN);
    assert_eq!(fixtures::poll::revents_now(&e, libc::POLLIN | libc::POLLOUT), libc::POLLOUT, "POLLIN after writing 0");
}

/// eventfd(2): "The value returned by read(2) is in host byte order—that is, the native
/// byte order for integers on the host machine." The 8 bytes read are the native-endian
/// representation of the counter.
#[test]
fn a_read_returns_the_counter_in_host_byte_order() {
    let e = nonblocking(0);
    let v = 0x0102_0304_0506_0708u64;
    assert_eq!(write_u64(&e, v), Ok(8));
    let mut raw = [0u8; 8];
    assert_eq!(read_once(&e, &mut raw), Ok(8));
    assert_eq!(raw, v.to_ne_bytes());
}
