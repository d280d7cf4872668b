//! Anonymous mappings across fork(2): MAP_SHARED|MAP_ANONYMOUS is shared memory between
//! related processes, MAP_PRIVATE|MAP_ANONYMOUS is copied (mmap(2), fork(2)).

use fixtures::memory::{Mapping, page_size};
use fixtures::spawn;
use fixtures::sync::channel;
use rstest::rstest;

/// mmap(2), MAP_ANONYMOUS: "The mapping is not backed by any file; its contents are
/// initialized to zero."
#[rstest]
#[case::shared(true)]
#[case::private(false)]
fn an_anonymous_mapping_starts_zero_filled(#[case] shared: bool) {
    let m = Mapping::anonymous(3 * page_size(), shared);
    assert!(m.bytes().iter().all(|&c| c == 0));
}

/// mmap(2), MAP_SHARED: "Updates to the mapping are visible to other processes mapping the
/// same region"; fork(2): "Memory mappings ... are inherited", and a shared anonymous
/// region stays one region: the child's store is seen by the parent and the parent's
/// later store by the child.
#[test]
fn a_shared_anonymous_mapping_is_shared_with_a_forked_child() {
    let m = Mapping::anonymous(page_size(), true);
    let (stored, wait_stored) = channel();
    let (reply, wait_reply) = channel();
    let child = spawn("child of shared memory", || {
        m.bytes()[..5].copy_from_slice(b"child");
        stored.notify();
        wait_reply.wait();
        assert_eq!(&m.bytes()[..6], b"parent");
    });
    wait_stored.wait();
    assert_eq!(&m.bytes()[..5], b"child");
    m.bytes()[..6].copy_from_slice(b"parent");
    reply.notify();
    child.expect_success();
}

/// mmap(2), MAP_PRIVATE: "Create a private copy-on-write mapping"; fork(2): "The child
/// process and the parent process run in separate memory spaces. At the time of fork()
/// both memory spaces have the same content. Memory writes ... performed by one of the
/// processes do not affect the other." The child sees the parent's content as of the fork,
/// and neither sees the other's later stores.
#[test]
fn a_private_anonymous_mapping_is_copied_at_fork() {
    let m = Mapping::anonymous(page_size(), false);
    m.bytes()[..6].copy_from_slice(b"before");
    let (stored, wait_stored) = channel();
    let (reply, wait_reply) = channel();
    let child = spawn("child of private memory", || {
        assert_eq!(&m.bytes()[..6], b"before");
        m.bytes()[..5].copy_from_slice(b"child");
        stored.notify();
        wait_reply.wait();
        assert_eq!(&m.bytes()[..6], b"childe", "the parent's store must not reach the child");
    });
    wait_stored.wait();
    assert_eq!(&m.bytes()[..6], b"before", "the child's store must not reach the parent");
    m.bytes()[..6].copy_from_slice(b"parent");
    reply.notify();
    child.expect_success();
}

/// <linux/mman.h> MAP_DROPPABLE (6.11, "Zero memory under memory pressure"), a mapping type
/// like MAP_SHARED and MAP_PRIVATE for anonymous memory only; mm/mmap.c (do_mmap(), case
/// MAP_DROPPABLE) gives such a mapping VM_WIPEONFORK, so a forked child does not inherit its
/// contents: the child's copy reads zero (madvise(2), MADV_WIPEONFORK: "the child's page range
/// is zero-filled"), and the parent's stays as it was. Asserted, plus EINVAL for a file
/// (MAP_DROPPABLE needs MAP_ANONYMOUS). Before 6.11 (variant `absent`) 0x08 is no mapping type
/// the kernel knows: mmap(2), "EINVAL flags contained none of MAP_PRIVATE, MAP_SHARED, or
/// MAP_SHARED_VALIDATE".
///
/// Kernel change: 6.11 — MAP_DROPPABLE: anonymous memory the kernel may zero under pressure, wiped in children.
#[test]
fn a_map_droppable_mapping_reads_zero_in_a_forked_child() {
    let pg = page_size();
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    let r = Mapping::new(pg, rw, libc::MAP_DROPPABLE | libc::MAP_ANONYMOUS, None, 0);
    if !fixtures::variant::since(6, 11, "MAP_DROPPABLE") {
        fixtures::assert_errno!(r.map(|m| m.addr()), nix::errno::Errno::EINVAL, "MAP_DROPPABLE before 6.11");
        return;
    }
    let m = r.expect("mmap(MAP_DROPPABLE|MAP_ANONYMOUS)");
    m.store(0, 42);
    fixtures::run_in_child("child of a MAP_DROPPABLE owner", || {
        assert_eq!(m.load(0), 0, "wiped on fork");
        m.store(1, 7);
    })
    .expect_success();
    assert_eq!((m.load(0), m.load(1)), (42, 0), "the parent's contents, untouched by the child");
    let file = fixtures::Scratch::new();
    let f = std::fs::File::open(file.file("f", &vec![0u8; pg])).unwrap();
    fixtures::assert_errno!(Mapping::new(pg, libc::PROT_READ, libc::MAP_DROPPABLE, Some(std::os::fd::AsFd::as_fd(&f)), 0).map(|m| m.addr()), nix::errno::Errno::EINVAL, "MAP_DROPPABLE of a file");
}
