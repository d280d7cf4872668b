//! Anonymous mappings across fork(2): MAP_SHARED|MAP_ANONYMOUS is shared memory between
//! related processes, MAP_PRIVATE|MAP_ANONYMOUS is copied (mmap(2), fork(2)).

use fixtures::memory::{Mapping, page_size};
use fixtures::spawn;
use fixtures::sync::channel;
use rstest::rstest;

/// mmap(2), MAP_ANONYMOUS: "The mapping is not backed by any file; its contents are
/// initialized to zero."
#[rstest]
fn an_anonymous_mapping_starts_zero_filled(#[values(true, false)] shared: bool) {
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
