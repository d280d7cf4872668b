//! Moving data between address spaces with process_vm_readv(2) and process_vm_writev(2).

use cross_memory::calls::{iov, iov_of, vm_read, vm_readv_allowed, vm_write, vm_writev_allowed};
use cross_memory::ptrace_access::{child_access, set_dumpable};
use cross_memory::target::Target;
use fixtures::memory::{Mapping, page_size};
use fixtures::needs;
use nix::unistd::Pid;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// process_vm_readv(2): "These system calls transfer data between the address space of the
/// calling process ("the local process") and the process identified by pid ("the remote
/// process")". After fork the child's memory is its own copy (fork(2): "The child process
/// and the parent process run in separate memory spaces"): reading the child's buffer at
/// the shared address returns what the child wrote there after the fork, not the parent's
/// unchanged copy.
#[test]
fn readv_sees_the_childs_writes_after_fork_not_the_parents_copy() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    buf.bytes()[..6].copy_from_slice(b"parent");
    let t = Target::start(|| {
        buf.bytes()[..6].copy_from_slice(b"child!");
    });
    let mut got = [0u8; 6];
    assert_eq!(vm_read(t.pid(), &[iov_of(&mut got)], &[iov(buf.addr(), 6)], 0), Ok(6));
    assert_eq!(&got, b"child!");
    assert_eq!(&buf.bytes()[..6], b"parent", "the parent's own copy");
    t.finish();
}

/// process_vm_readv(2): "Buffers are processed in array order. This means that
/// process_vm_readv() completely fills local_iov[0] before proceeding to local_iov[1], and
/// so on. Likewise, remote_iov[0] is completely read before proceeding to remote_iov[1]";
/// "The lengths of remote_iov[i].iov_len and local_iov[i].iov_len do not have to be the
/// same." Remote pieces "hello" and " world!" (taken from two places, in that order) land
/// in local pieces of 3 and 9 bytes as "hel" and "lo world!".
#[test]
fn readv_gathers_remote_pieces_in_array_order_into_local_pieces() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let t = Target::start(|| {
        buf.bytes()[100..106].copy_from_slice(b" world");
        buf.bytes()[106] = b'!';
        buf.bytes()[10..15].copy_from_slice(b"hello");
    });
    let (mut a, mut b) = ([0u8; 3], [0u8; 9]);
    let remote = [iov(buf.addr() + 10, 5), iov(buf.addr() + 100, 7)];
    assert_eq!(vm_read(t.pid(), &[iov_of(&mut a), iov_of(&mut b)], &remote, 0), Ok(12));
    assert_eq!(&a, b"hel");
    assert_eq!(&b, b"lo world!");
    t.finish();
}

/// process_vm_readv(2): "process_vm_writev() writes out the entire contents of local_iov[0]
/// before proceeding to local_iov[1], and it completely fills remote_iov[0] before
/// proceeding to remote_iov[1]." Local "abcd" + "efgh" written to remote pieces of 3 and 5
/// bytes at two places: the child finds "abc" and "defgh" there, its other bytes and the
/// parent's copy untouched.
#[test]
fn writev_scatters_local_pieces_in_array_order_over_remote_pieces() {
    needs!(available(vm_writev_allowed()), available(child_access()));
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    buf.bytes().fill(b'.');
    let t = Target::start_with(
        || {},
        || {
            let b = buf.bytes();
            assert_eq!(&b[20..23], b"abc");
            assert_eq!(&b[200..205], b"defgh");
            assert_eq!(b[19], b'.');
            assert_eq!(b[23], b'.');
            assert_eq!(b[205], b'.');
        },
    );
    let (x, y) = (*b"abcd", *b"efgh");
    let local = [iov(x.as_ptr() as usize, 4), iov(y.as_ptr() as usize, 4)];
    let remote = [iov(buf.addr() + 20, 3), iov(buf.addr() + 200, 5)];
    assert_eq!(vm_write(t.pid(), &local, &remote, 0), Ok(8));
    assert!(buf.bytes().iter().all(|&c| c == b'.'), "the parent's copy changed");
    t.finish();
}

/// process_vm_readv(2): "On success, process_vm_readv() returns the number of bytes read";
/// a transfer is not limited to one page: 3 pages and 100 bytes starting 100 bytes into a
/// page (so crossing four page boundaries) arrive complete, into a local buffer that
/// itself starts at an odd offset.
#[test]
fn readv_transfers_more_than_a_page_across_page_boundaries() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let pg = page_size();
    let len = 3 * pg + 100;
    let buf = Mapping::pages(5, libc::PROT_READ | libc::PROT_WRITE);
    let t = Target::start(|| {
        buf.bytes()[100..100 + len].copy_from_slice(&pattern(len, 7));
    });
    let mut local = vec![0u8; len + 1];
    assert_eq!(vm_read(t.pid(), &[iov(local.as_mut_ptr() as usize + 1, len)], &[iov(buf.addr() + 100, len)], 0), Ok(len));
    assert_eq!(&local[1..], &pattern(len, 7)[..]);
    t.finish();
}

/// The same for process_vm_writev(2): 2 pages + 1 byte written from one local buffer into
/// two remote iovecs of different lengths, each crossing a page boundary.
#[test]
fn writev_transfers_more_than_a_page_across_page_boundaries() {
    needs!(available(vm_writev_allowed()), available(child_access()));
    let pg = page_size();
    let len = 2 * pg + 1;
    let buf = Mapping::pages(4, libc::PROT_READ | libc::PROT_WRITE);
    let split = pg + 17;
    let t = Target::start_with(
        || {},
        || {
            let want = pattern(len, 3);
            assert_eq!(&buf.bytes()[pg - 5..pg - 5 + split], &want[..split]);
            assert_eq!(&buf.bytes()[3 * pg - 9..3 * pg - 9 + (len - split)], &want[split..]);
        },
    );
    let data = pattern(len, 3);
    let remote = [iov(buf.addr() + pg - 5, split), iov(buf.addr() + 3 * pg - 9, len - split)];
    assert_eq!(vm_write(t.pid(), &[iov(data.as_ptr() as usize, len)], &remote, 0), Ok(len));
    t.finish();
}

/// Zero-length iovecs contribute nothing and are not inspected: process_vm_readv(2) counts
/// bytes, and "remote_iov[0] is completely read before proceeding" holds trivially for an
/// empty element — even one whose address is NULL (mm/process_vm_access.c,
/// process_vm_rw_single_vec() returns at once for len 0). Local [0, 4, 0, 4] and remote
/// [NULL/0, 8] move 8 bytes.
#[test]
fn zero_length_iovecs_are_skipped_on_both_sides() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let t = Target::start(|| {
        buf.bytes()[..8].copy_from_slice(b"12345678");
    });
    let (mut a, mut b, mut empty) = ([0u8; 4], [0u8; 4], [0u8; 0]);
    let local = [iov_of(&mut empty), iov_of(&mut a), iov(0, 0), iov_of(&mut b)];
    let remote = [iov(0, 0), iov(buf.addr(), 8)];
    assert_eq!(vm_read(t.pid(), &local, &remote, 0), Ok(8));
    assert_eq!((&a, &b), (b"1234", b"5678"));
    t.finish();
}

/// process_vm_readv(2), RETURN VALUE: the number of bytes read — 0 when every iovec is
/// empty or there are none.
#[test]
fn a_transfer_of_nothing_returns_0() {
    needs!(available(vm_readv_allowed()), available(vm_writev_allowed()), available(child_access()));
    let t = Target::start(|| {});
    let mut x = [0u8; 1];
    assert_eq!(vm_read(t.pid(), &[], &[], 0), Ok(0));
    assert_eq!(vm_read(t.pid(), &[iov(x.as_mut_ptr() as usize, 0)], &[iov(0x1000, 0)], 0), Ok(0));
    assert_eq!(vm_write(t.pid(), &[iov(x.as_mut_ptr() as usize, 0)], &[iov(0x1000, 0)], 0), Ok(0));
    t.finish();
}

/// ptrace(2), "Ptrace access mode checking", step 1: "If the calling thread and the target
/// thread are in the same thread group, access is always allowed." A process reads and
/// writes its own memory through its own pid even when it is not dumpable.
#[test]
fn a_process_may_always_transfer_to_and_from_itself() {
    needs!(available(vm_readv_allowed()), available(vm_writev_allowed()));
    fixtures::run_in_child("self access", || {
        set_dumpable(0);
        let me = Pid::this();
        let src = *b"mine";
        let mut dst = [0u8; 4];
        assert_eq!(vm_read(me, &[iov_of(&mut dst)], &[iov(src.as_ptr() as usize, 4)], 0), Ok(4));
        assert_eq!(&dst, b"mine");
        let new = *b"ours";
        assert_eq!(vm_write(me, &[iov(new.as_ptr() as usize, 4)], &[iov(dst.as_mut_ptr() as usize, 4)], 0), Ok(4));
        assert_eq!(std::hint::black_box(&dst), b"ours");
    })
    .expect_success();
}
