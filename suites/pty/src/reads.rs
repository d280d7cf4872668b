//! Reading what the line discipline made available, one read(2) at a time and bounded by
//! the default deadline: input is processed asynchronously (pty(7): "there may be a small
//! processing delay"), so a test waits for readability before it reads.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Instant;

use fixtures::deadline::{DEFAULT_DEADLINE, poll_ms, scaled, within};
use fixtures::poll::revents;
use nix::errno::Errno;

/// One read(2) of at most `max` bytes, with its exact result: the bytes, or the errno.
pub fn read_up_to(fd: impl AsFd, max: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; max];
    let n = fixtures::io::read_once(fd, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// Wait (bounded by the default deadline) until `fd` is readable, then read once.
#[track_caller]
pub fn read_available(fd: impl AsFd, max: usize) -> Vec<u8> {
    let fd = fd.as_fd();
    if revents(fd, libc::POLLIN, poll_ms(DEFAULT_DEADLINE)) == 0 {
        panic!("nothing became readable on fd {fd:?} within {:?}", scaled(DEFAULT_DEADLINE));
    }
    read_after_pollin(fd, max).unwrap_or_else(|e| panic!("read fd {fd:?}: {e}"))
}

/// The read(2) that follows a poll(2) which reported POLLIN: on Linux it returns at once, so
/// it is bounded by the default deadline (the watchdog of `fixtures::deadline::within`). A
/// target whose read blocks although poll said readable (gVisor, now and then, docs/gvisor.md)
/// then fails naming this step instead of hanging until the runner's deadline.
fn read_after_pollin(fd: BorrowedFd<'_>, max: usize) -> Result<Vec<u8>, Errno> {
    within(&format!("in read(2) of fd {} after poll(2) reported POLLIN", fd.as_raw_fd()), || read_up_to(fd, max))
}

/// Read until read(2) returns 0 or fails (bounded); returns the bytes and how it ended:
/// `Ok(())` for end of file, `Err(errno)` for a failure such as EIO.
#[track_caller]
pub fn read_to_end(fd: impl AsFd) -> (Vec<u8>, Result<(), Errno>) {
    let fd = fd.as_fd();
    let deadline = Instant::now() + scaled(DEFAULT_DEADLINE);
    let mut out = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if revents(fd, libc::POLLIN, poll_ms(left)) == 0 {
            panic!("fd {fd:?}: neither EOF nor an error within {:?}; got {:?}", scaled(DEFAULT_DEADLINE), String::from_utf8_lossy(&out));
        }
        match read_after_pollin(fd, 4096) {
            Ok(b) if b.is_empty() => return (out, Ok(())),
            Ok(b) => out.extend_from_slice(&b),
            Err(Errno::EINTR) => {}
            Err(e) => return (out, Err(e)),
        }
    }
}
