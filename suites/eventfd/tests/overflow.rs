//! The counter's maximum and what happens at it.
//!
//! eventfd(2): "The maximum value that may be stored in the counter is the largest unsigned
//! 64-bit value minus 1 (i.e., 0xfffffffffffffffe). If the addition would cause the
//! counter's value to exceed the maximum, then the write(2) either blocks until a read(2)
//! is performed on the file descriptor, or fails with the error EAGAIN if the file
//! descriptor has been made nonblocking."

use std::os::fd::AsRawFd;

use eventfd::{eventfd, nonblocking, read_u64, write_u64};
use fixtures::kinds::EVENTFD_MAX as MAX;
use fixtures::{Scratch, assert_errno, spawn, sys, variant};
use nix::errno::Errno;

/// eventfd(2): the counter can hold 0xfffffffffffffffe, reached from any value by a write
/// of the difference, and a read returns all of it.
#[test]
fn the_counter_holds_up_to_0xfffffffffffffffe() {
    let e = nonblocking(10);
    assert_eq!(write_u64(&e, MAX - 10), Ok(8));
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), MAX);
    assert_eq!(read_u64(&e), Ok(MAX));
    assert_eq!(write_u64(&e, MAX), Ok(8), "MAX in a single write to a zero counter");
    assert_eq!(read_u64(&e), Ok(MAX));
}

/// eventfd(2): "A write(2) fails with the error EINVAL if ... an attempt is made to write
/// the value 0xffffffffffffffff" — even to a zero counter, where it would not overflow the
/// 64 bits, and even on a blocking fd (it fails at once).
#[rstest::rstest]
#[case::nonblocking(libc::EFD_NONBLOCK)]
#[case::blocking(0)]
fn writing_0xffffffffffffffff_fails_einval(#[case] flags: libc::c_int) {
    let e = eventfd(0, flags | libc::EFD_CLOEXEC).unwrap();
    assert_errno!(write_u64(&e, u64::MAX), Errno::EINVAL);
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), 0);
}

/// eventfd(2): a write that would take the counter past the maximum "fails with the error
/// EAGAIN if the file descriptor has been made nonblocking", adding nothing; after a read
/// the same write succeeds.
#[test]
fn a_write_past_the_maximum_fails_eagain_when_nonblocking() {
    let e = nonblocking(0);
    assert_eq!(write_u64(&e, MAX - 1), Ok(8));
    assert_errno!(write_u64(&e, 2), Errno::EAGAIN, "MAX - 1 + 2");
    assert_eq!(write_u64(&e, 1), Ok(8), "MAX - 1 + 1 is exactly the maximum");
    assert_errno!(write_u64(&e, 1), Errno::EAGAIN, "MAX + 1");
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), MAX, "a refused write changed the counter");
    assert_eq!(read_u64(&e), Ok(MAX));
    assert_eq!(write_u64(&e, 1), Ok(8));
}

/// eventfd(2): on a blocking fd, the write that would overflow "blocks until a read(2) is
/// performed on the file descriptor" (bounded proof), then completes and adds its value.
#[test]
fn a_write_past_the_maximum_blocks_until_a_read() {
    let e = eventfd(0, libc::EFD_CLOEXEC).unwrap();
    assert_eq!(write_u64(&e, MAX), Ok(8));
    let mut writer = spawn("overflowing writer", || assert_eq!(write_u64(&e, 5), Ok(8)));
    writer.assert_blocked_in(fixtures::blocked::calls::WRITE, "write(2) that would overflow the counter");
    assert_eq!(fixtures::procfs::fdinfo_hex(&e, "eventfd-count"), MAX, "the blocked write added something");
    assert_eq!(read_u64(&e), Ok(MAX));
    writer.expect_success();
    assert_eq!(read_u64(&e), Ok(5));
}

/// The Linux AIO control block (linux/aio_abi.h, little-endian layout).
#[repr(C)]
#[derive(Default)]
struct Iocb {
    aio_data: u64,
    aio_key: u32,
    aio_rw_flags: i32,
    aio_lio_opcode: u16,
    aio_reqprio: i16,
    aio_fildes: u32,
    aio_buf: u64,
    aio_nbytes: u64,
    aio_offset: i64,
    aio_reserved2: u64,
    aio_flags: u32,
    aio_resfd: u32,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct IoEvent {
    data: u64,
    obj: u64,
    res: i64,
    res2: i64,
}

const IOCB_CMD_PREAD: u16 = 0;
const IOCB_FLAG_RESFD: u32 = 1;

/// An AIO context, destroyed on drop.
struct AioContext(libc::c_ulong);

impl Drop for AioContext {
    fn drop(&mut self) {
        // SAFETY: destroying our own context.
        unsafe { libc::syscall(libc::SYS_io_destroy, self.0) };
    }
}

/// eventfd(2), NOTES/poll: "If an overflow of the counter value was detected, then
/// select(2) indicates the file descriptor as being both readable and writable, and poll(2)
/// returns a POLLERR event. As noted above, write(2) can never overflow the counter.
/// However an overflow can occur if 2^64 eventfd "signal posts" were performed by the KAIO
/// subsystem ... If an overflow has occurred, then read(2) will return that maximum uint64_t
/// value (i.e., 0xffffffffffffffff)." One KAIO completion (io_submit(2), IOCB_FLAG_RESFD)
/// posted to a counter at 0xfffffffffffffffe takes it there. Variant: `present` (Linux AIO
/// works and the overflow was checked), `absent` (a kernel built without CONFIG_AIO:
/// io_setup ENOSYS and no /proc/sys/fs/aio-max-nr: the KAIO posts the claim is about
/// cannot happen; SKIP) or `blocked` (the kernel has AIO but io_setup fails ENOSYS/EPERM: a
/// seccomp filter; SKIP). An exhausted aio-max-nr SKIPs without a variant.
#[test]
fn a_kernel_side_overflow_gives_pollerr_and_reads_all_ones() {
    let mut ctx: libc::c_ulong = 0;
    // SAFETY: io_setup with a valid out pointer.
    let r = sys(unsafe { libc::syscall(libc::SYS_io_setup, 1, &mut ctx as *mut libc::c_ulong) } as libc::c_int);
    match r {
        Ok(_) => variant::present("Linux AIO: io_setup works"),
        // fs/aio.c registers fs/aio-max-nr only in a kernel built with CONFIG_AIO.
        Err(e @ (Errno::ENOSYS | Errno::EPERM)) if std::path::Path::new("/proc/sys/fs/aio-max-nr").exists() => {
            fixtures::skip_blocked!("io_setup fails {e} although the kernel has Linux AIO (fs/aio-max-nr): a seccomp filter")
        }
        Err(e @ (Errno::ENOSYS | Errno::EPERM)) => {
            fixtures::skip_absent!("io_setup fails {e} and there is no /proc/sys/fs/aio-max-nr: a kernel without CONFIG_AIO")
        }
        Err(Errno::EAGAIN) => fixtures::skip!("io_setup EAGAIN: /proc/sys/fs/aio-max-nr is exhausted"),
        Err(e) => panic!("io_setup: {e}"),
    }
    let ctx = AioContext(ctx);
    let s = Scratch::new();
    let file = std::fs::File::open(s.file("f", b"aio data")).unwrap();
    let e = nonblocking(0);
    assert_eq!(write_u64(&e, MAX), Ok(8));
    assert_eq!(fixtures::poll::revents_now(&e, libc::POLLIN | libc::POLLOUT), libc::POLLIN, "at the maximum: readable, not writable, no error");

    let mut buf = [0u8; 8];
    let mut cb = Iocb {
        aio_lio_opcode: IOCB_CMD_PREAD,
        aio_fildes: file.as_raw_fd() as u32,
        aio_buf: buf.as_mut_ptr() as u64,
        aio_nbytes: buf.len() as u64,
        aio_flags: IOCB_FLAG_RESFD,
        aio_resfd: e.as_raw_fd() as u32,
        ..Default::default()
    };
    let mut cbs = [&mut cb as *mut Iocb];
    // SAFETY: one valid iocb whose buffer outlives the operation (we wait for it below).
    let n = unsafe { libc::syscall(libc::SYS_io_submit, ctx.0, 1 as libc::c_long, cbs.as_mut_ptr()) };
    assert_eq!(n, 1, "io_submit: {}", Errno::last());
    let mut ev = [IoEvent::default()];
    let mut ts = libc::timespec { tv_sec: fixtures::scaled(fixtures::DEFAULT_DEADLINE).as_secs() as libc::time_t, tv_nsec: 0 };
    // SAFETY: valid event buffer and timeout.
    let got = unsafe { libc::syscall(libc::SYS_io_getevents, ctx.0, 1 as libc::c_long, 1 as libc::c_long, ev.as_mut_ptr(), &mut ts) };
    assert_eq!(got, 1, "io_getevents: {}", Errno::last());
    assert_eq!(ev[0].res, 8, "the AIO read");
    assert_eq!(&buf, b"aio data");

    // Buffered reads complete inside io_submit, so the post has happened.
    assert_eq!(fixtures::poll::revents_now(&e, libc::POLLIN | libc::POLLOUT), libc::POLLIN | libc::POLLERR, "poll after the overflow");
    // select(2): both readable and writable.
    // SAFETY: fd_set manipulation on a zeroed set, fd below FD_SETSIZE.
    unsafe {
        let fd = e.as_raw_fd();
        assert!(fd < libc::FD_SETSIZE as i32);
        let mut r: libc::fd_set = std::mem::zeroed();
        let mut w: libc::fd_set = std::mem::zeroed();
        libc::FD_SET(fd, &mut r);
        libc::FD_SET(fd, &mut w);
        let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
        assert_eq!(libc::select(fd + 1, &mut r, &mut w, std::ptr::null_mut(), &mut tv), 2);
        assert!(libc::FD_ISSET(fd, &r) && libc::FD_ISSET(fd, &w), "select must report readable and writable");
    }
    assert_eq!(read_u64(&e), Ok(u64::MAX), "the read after an overflow");
    assert_eq!(fixtures::poll::revents_now(&e, libc::POLLIN | libc::POLLOUT), libc::POLLOUT, "after the read the counter is 0 again");
}
