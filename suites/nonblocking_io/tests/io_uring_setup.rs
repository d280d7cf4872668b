//! io_uring: asynchronous I/O through rings shared with the kernel, which libuv uses for
//! file operations where the kernel offers it, falling back to its thread pool when
//! io_uring_setup(2) fails. io_uring_setup(2): "sets up a submission queue (SQ) and
//! completion queue (CQ) with at least entries entries, and returns a file descriptor which
//! can be used to perform subsequent operations on the io_uring instance"; "By default, the
//! CQ ring will have twice the number of entries as specified by entries for the SQ ring."
//! Refusals an application must handle: ENOSYS where the kernel lacks the call (before 5.1,
//! or built without CONFIG_IO_URING) or a seccomp filter answers for it (Docker's default
//! profile since 25.0 answers EPERM); EPERM when kernel.io_uring_disabled (6.6,
//! Documentation/admin-guide/sysctl/kernel.rst) is 2, or 1 for a caller that is neither in
//! kernel.io_uring_group nor holds CAP_SYS_ADMIN.
//!
//! The variant says which answer this target gives: `present` (and then a read of a file
//! through the ring works), `absent` or `blocked` (lacking).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};

use fixtures::gate::{Cap, has_cap};
use fixtures::{Scratch, facility, variant};
use nix::errno::Errno;

/// struct io_sqring_offsets (include/uapi/linux/io_uring.h).
#[repr(C)]
#[derive(Default, Debug)]
#[allow(dead_code)] // the kernel's layout: every field has to be there
struct SqOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    flags: u32,
    dropped: u32,
    array: u32,
    resv1: u32,
    user_addr: u64,
}

/// struct io_cqring_offsets.
#[repr(C)]
#[derive(Default, Debug)]
#[allow(dead_code)] // the kernel's layout: every field has to be there
struct CqOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    overflow: u32,
    cqes: u32,
    flags: u32,
    resv1: u32,
    user_addr: u64,
}

/// struct io_uring_params.
#[repr(C)]
#[derive(Default, Debug)]
#[allow(dead_code)] // the kernel's layout: every field has to be there
struct Params {
    sq_entries: u32,
    cq_entries: u32,
    flags: u32,
    sq_thread_cpu: u32,
    sq_thread_idle: u32,
    features: u32,
    wq_fd: u32,
    resv: [u32; 3],
    sq_off: SqOffsets,
    cq_off: CqOffsets,
}

const IORING_OFF_SQ_RING: i64 = 0;
const IORING_OFF_CQ_RING: i64 = 0x800_0000;
const IORING_OFF_SQES: i64 = 0x1000_0000;
const IORING_OP_READV: u8 = 1;
const IORING_ENTER_GETEVENTS: u32 = 1;
/// sizeof(struct io_uring_sqe), sizeof(struct io_uring_cqe).
const SQE_SIZE: usize = 64;
const CQE_SIZE: usize = 16;

/// io_uring_setup(2).
fn io_uring_setup(entries: u32, p: &mut Params) -> Result<OwnedFd, Errno> {
    // SAFETY: the kernel reads and fills a struct io_uring_params we own.
    let r = unsafe { libc::syscall(libc::SYS_io_uring_setup, entries, p as *mut Params) };
    if r < 0 {
        return Err(Errno::last());
    }
    // SAFETY: a new descriptor the call returned.
    Ok(unsafe { OwnedFd::from_raw_fd(r as i32) })
}

/// mmap of one ring region of the instance.
fn map_ring(ring: &OwnedFd, len: usize, offset: i64) -> fixtures::memory::Mapping {
    let flags = libc::MAP_SHARED | libc::MAP_POPULATE;
    fixtures::memory::Mapping::new(len, libc::PROT_READ | libc::PROT_WRITE, flags, Some(std::os::fd::AsFd::as_fd(ring)), offset)
        .unwrap_or_else(|e| panic!("mmap of the io_uring region at {offset:#x}: {e}"))
}

/// The u32 of a ring at byte `off`, as an atomic (the kernel updates it concurrently).
fn ring_u32(m: &fixtures::memory::Mapping, off: u32) -> &AtomicU32 {
    // SAFETY: `off` is an offset the kernel gave for a 4-byte aligned u32 inside the mapping.
    unsafe { &*m.ptr_at::<AtomicU32>(off as usize) }
}

/// One IORING_OP_READV of `len` bytes at offset 0 of `fd` through the ring: submitted with
/// io_uring_enter(2) waiting for one completion; returns the completion's (user_data, res)
/// and the bytes read.
fn read_through_ring(ring: &OwnedFd, p: &Params, fd: i32, len: usize) -> ((u64, i32), Vec<u8>) {
    let sq = map_ring(ring, p.sq_off.array as usize + p.sq_entries as usize * 4, IORING_OFF_SQ_RING);
    let cq = map_ring(ring, p.cq_off.cqes as usize + p.cq_entries as usize * CQE_SIZE, IORING_OFF_CQ_RING);
    let sqes = map_ring(ring, p.sq_entries as usize * SQE_SIZE, IORING_OFF_SQES);
    let mut buf = vec![0u8; len];
    let iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: len };

    let mut sqe = [0u8; SQE_SIZE];
    sqe[0] = IORING_OP_READV;
    sqe[4..8].copy_from_slice(&fd.to_ne_bytes());
    sqe[8..16].copy_from_slice(&0u64.to_ne_bytes()); // file offset
    sqe[16..24].copy_from_slice(&(&iov as *const libc::iovec as u64).to_ne_bytes());
    sqe[24..28].copy_from_slice(&1u32.to_ne_bytes()); // one iovec
    sqe[32..40].copy_from_slice(&0x5eed_u64.to_ne_bytes()); // user_data
    sqes.write(0, &sqe);
    let tail = ring_u32(&sq, p.sq_off.tail).load(Ordering::Acquire);
    let mask = ring_u32(&sq, p.sq_off.ring_mask).load(Ordering::Relaxed);
    ring_u32(&sq, p.sq_off.array + (tail & mask) * 4).store(0, Ordering::Relaxed);
    ring_u32(&sq, p.sq_off.tail).store(tail.wrapping_add(1), Ordering::Release);

    let entered = fixtures::deadline::within("io_uring_enter waiting for one completion", || {
        // SAFETY: io_uring_enter on our ring, no signal mask.
        unsafe {
            libc::syscall(libc::SYS_io_uring_enter, ring.as_raw_fd(), 1u32, 1u32, IORING_ENTER_GETEVENTS, std::ptr::null::<libc::c_void>(), 0usize)
        }
    });
    assert_eq!(entered, 1, "io_uring_enter submitted: {}", Errno::last());
    let head = ring_u32(&cq, p.cq_off.head).load(Ordering::Acquire);
    let ctail = ring_u32(&cq, p.cq_off.tail).load(Ordering::Acquire);
    assert_eq!(ctail.wrapping_sub(head), 1, "completions in the ring");
    let cmask = ring_u32(&cq, p.cq_off.ring_mask).load(Ordering::Relaxed);
    let cqe = cq.read(p.cq_off.cqes as usize + (head & cmask) as usize * CQE_SIZE, CQE_SIZE);
    ring_u32(&cq, p.cq_off.head).store(head.wrapping_add(1), Ordering::Release);
    let user_data = u64::from_ne_bytes(cqe[0..8].try_into().unwrap());
    let res = i32::from_ne_bytes(cqe[8..12].try_into().unwrap());
    ((user_data, res), buf)
}

/// io_uring_setup(2) with 4 entries either works — the SQ ring has 4 entries, the CQ ring
/// twice as many, and an IORING_OP_READV of a file through it completes with the file's
/// bytes (variant `present`) — or is refused the documented way, which the variant names:
/// ENOSYS (`absent` where the kernel lacks io_uring, `blocked` where a filter answers for a
/// kernel that has it) or EPERM (`blocked`: kernel.io_uring_disabled, or a seccomp filter).
#[test]
fn io_uring_setup_gives_a_working_ring_or_refuses_with_enosys_or_eperm() {
    let mut p = Params::default();
    match io_uring_setup(4, &mut p) {
        Ok(ring) => {
            variant::present(format_args!("io_uring_setup works here (features {:#x})", p.features));
            assert_eq!((p.sq_entries, p.cq_entries), (4, 8), "SQ and CQ ring sizes");
            let dir = Scratch::new();
            let path = dir.file("data", b"read through io_uring");
            let f = std::fs::File::open(&path).unwrap();
            let (cqe, bytes) = read_through_ring(&ring, &p, f.as_raw_fd(), 21);
            assert_eq!(cqe, (0x5eed, 21), "completion (user_data, res)");
            assert_eq!(bytes, b"read through io_uring");
        }
        Err(Errno::ENOSYS) => {
            let a = facility::syscall_configured("io_uring_setup", (5, 1), "CONFIG_IO_URING", || Err::<(), _>(Errno::ENOSYS));
            assert!(matches!(a, facility::Availability::Absent(_) | facility::Availability::Blocked(_)), "{a:?}");
            a.report();
        }
        Err(Errno::EPERM) => {
            let disabled = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled").ok().and_then(|v| v.trim().parse::<u32>().ok());
            let filtered = fixtures::procfs::seccomp_mode() == Some(2);
            match disabled {
                Some(2) => variant::blocked("kernel.io_uring_disabled = 2: io_uring_setup fails EPERM for everyone"),
                Some(1) if !has_cap(Cap::SYS_ADMIN) => variant::blocked(
                    "kernel.io_uring_disabled = 1: EPERM for a caller outside kernel.io_uring_group without CAP_SYS_ADMIN",
                ),
                _ if filtered => variant::blocked("io_uring_setup is denied by a seccomp filter here (EPERM, Seccomp: 2)"),
                other => panic!("io_uring_setup failed EPERM with io_uring_disabled {other:?} and no seccomp filter"),
            }
        }
        Err(e) => panic!("io_uring_setup(4) failed with {e}, neither ENOSYS nor EPERM"),
    }
}
