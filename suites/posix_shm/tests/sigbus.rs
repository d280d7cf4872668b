//! mmap(2): "SIGBUS Attempted access to a page of the buffer that lies beyond the end of
//! the mapped file." Every access that faults runs in a child, whose death is the result.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};

use fixtures::io::ftruncate;
use fixtures::memory::{Mapping, page_size};
use fixtures::signals::set_default;
use fixtures::{run_in_child, spawn};
use nix::sys::signal::Signal;
use nix::sys::stat::fstat;
use posix_shm::new_object;
use rstest::rstest;

/// mmap(2), ERRORS/signals: touching a page of a MAP_SHARED mapping that lies wholly beyond
/// the end of the object kills the process with SIGBUS (for a read and for a write). The
/// object has one page, the mapping two.
#[rstest]
#[case::read(false)]
#[case::write(true)]
fn access_beyond_the_end_of_the_object_raises_sigbus(#[case] write: bool) {
    let (_name, fd) = new_object("beyond", page_size());
    let m = Mapping::shared(&fd, 2 * page_size());
    m.store(page_size() - 1, 1); // the last byte inside the object is fine
    let o = run_in_child("toucher", || {
        set_default(Signal::SIGBUS);
        if write {
            m.store(page_size(), 1);
        } else {
            let _ = m.load(page_size());
        }
    });
    o.expect_signal(Signal::SIGBUS);
}

/// The same after the object shrinks under a live mapping: ftruncate(2) to one page turns
/// the second page, accessible before, into a SIGBUS.
#[test]
fn access_after_the_object_shrinks_raises_sigbus() {
    let (_name, fd) = new_object("shrunk", 2 * page_size());
    let m = Mapping::shared(&fd, 2 * page_size());
    m.store(page_size() + 1, 7);
    ftruncate(&fd, page_size() as i64).unwrap();
    let o = run_in_child("toucher", || {
        set_default(Signal::SIGBUS);
        let _ = m.load(page_size() + 1);
    });
    o.expect_signal(Signal::SIGBUS);
    assert_eq!(m.load(0), 0, "the part that still exists stays accessible");
}

static FAULT_ADDR: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    let ok = code == libc::BUS_ADRERR && addr == FAULT_ADDR.load(Ordering::SeqCst);
    // SAFETY: leaving the child from the handler (the faulting access cannot be resumed).
    unsafe { libc::_exit(if ok { 42 } else { 43 }) }
}

/// sigaction(2), "The following values can be placed in si_code for a SIGBUS signal":
/// "BUS_ADRERR Nonexistent physical address", with si_addr the faulting address — what
/// Linux reports for a page beyond the end of a shmem object.
#[test]
fn the_sigbus_has_si_code_bus_adrerr_and_the_faulting_address() {
    let (_name, fd) = new_object("siginfo", page_size());
    let m = Mapping::shared(&fd, 2 * page_size());
    let target = m.as_ptr() as usize + page_size() + 24;
    let o = spawn("toucher with a handler", || {
        FAULT_ADDR.store(target, Ordering::SeqCst);
        let act = nix::sys::signal::SigAction::new(
            nix::sys::signal::SigHandler::SigAction(on_sigbus),
            nix::sys::signal::SaFlags::SA_SIGINFO,
            nix::sys::signal::SigSet::empty(),
        );
        // SAFETY: the handler only reads siginfo and calls _exit.
        unsafe { nix::sys::signal::sigaction(Signal::SIGBUS, &act) }.unwrap();
        // SAFETY: a deliberate access to the page beyond the object's end.
        unsafe { std::ptr::write_volatile(target as *mut u8, 1) };
        fixtures::child::exit_now(44)
    });
    o.expect_exit(42);
}

/// mmap(2), NOTES: "the remaining bytes in the partial page at the end of the mapping are
/// zeroed when mapped, and modifications to that region are not written out to the file."
/// In an object of 100 bytes the rest of the first page reads as zeros without SIGBUS; a
/// write there does not grow the object.
#[test]
fn the_partial_page_past_the_end_reads_zero_and_does_not_grow_the_object() {
    let (_name, fd) = new_object("partial", 100);
    let m = Mapping::shared(&fd, page_size());
    let o = run_in_child("reader of the tail", || {
        set_default(Signal::SIGBUS);
        assert!(m.read(100, page_size() - 100).iter().all(|b| *b == 0));
        m.store(page_size() - 1, 9);
    });
    o.expect_success();
    assert_eq!(fstat(&fd).unwrap().st_size, 100);
    let mut buf = [0u8; 16];
    // SAFETY: pread into our own buffer.
    let n = unsafe { libc::pread(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 100) };
    assert_eq!(n, 0, "nothing past the end of the object is readable");
}
