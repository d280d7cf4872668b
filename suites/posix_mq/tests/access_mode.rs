//! EBADF: the access mode of a descriptor and invalid descriptors.

use std::os::fd::AsRawFd;

use fixtures::{assert_errno, run_in_child};
use nix::errno::Errno;
use posix_mq::queue::{new_queue, open};
use posix_mq::sigevent::SigEvent;

/// mq_send(3), ERRORS: "EBADF The descriptor specified in mqdes was invalid or not opened
/// for writing"; mq_receive(3): "... or not opened for reading". Checked for both
/// directions; nothing is transferred.
#[test]
fn send_needs_write_access_and_receive_needs_read_access() {
    let (name, q) = new_queue("mode", 2);
    q.send(b"queued", 0).unwrap();
    let ro = open(name.as_cstr(), libc::O_RDONLY);
    let wo = open(name.as_cstr(), libc::O_WRONLY);
    assert_errno!(ro.send(b"x", 0), Errno::EBADF);
    assert_errno!(wo.receive(), Errno::EBADF);
    assert_eq!(q.curmsgs(), 1);
    assert_eq!(ro.receive().unwrap().0, b"queued");
    assert_eq!(wo.send(b"y", 0), Ok(()));
}

/// mq_send(3), mq_receive(3), mq_getattr(3), mq_notify(3), ERRORS: "EBADF The message queue
/// descriptor specified in mqdes is invalid." Checked on a closed descriptor and on a
/// descriptor that is not a queue (a pipe), in a single-threaded child.
#[test]
fn calls_on_an_invalid_descriptor_fail_ebadf() {
    let (_name, q) = new_queue("bad", 1);
    let raw = q.as_raw_fd();
    run_in_child("closed descriptor", move || {
        let (_r, w) = nix::unistd::pipe().unwrap();
        let pipe_fd = w.as_raw_fd();
        // SAFETY: closing the inherited queue descriptor.
        unsafe { libc::close(raw) };
        for fd in [raw, pipe_fd] {
            // SAFETY: calls on a number that is not a queue descriptor.
            let send = fixtures::sys(unsafe { libc::mq_send(fd, b"x".as_ptr().cast(), 1, 0) });
            assert_errno!(send, Errno::EBADF, "mq_send on {fd}");
            let mut buf = [0u8; 64];
            let recv = fixtures::sys_size(unsafe {
                libc::mq_receive(fd, buf.as_mut_ptr().cast(), buf.len(), std::ptr::null_mut())
            });
            assert_errno!(recv, Errno::EBADF, "mq_receive on {fd}");
            let mut a: libc::mq_attr = unsafe { std::mem::zeroed() };
            assert_errno!(fixtures::sys(unsafe { libc::mq_getattr(fd, &mut a) }), Errno::EBADF, "mq_getattr on {fd}");
            let ev = SigEvent::none();
            let r = fixtures::sys(unsafe { libc::mq_notify(fd, (&ev as *const SigEvent).cast()) });
            assert_errno!(r, Errno::EBADF, "mq_notify on {fd}");
        }
    })
    .expect_success();
}
