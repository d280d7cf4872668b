//! MAP_SHARED mappings of a regular file: one set of pages for the file, every mapping of
//! it and read(2)/write(2) (mmap(2)).

use std::os::fd::AsFd;
use fixtures::io::open_cloexec;
use fixtures::memory::{Mapping, page_size};
use fixtures::sync::channel;
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use shared_mappings::files::{ScratchFile, pread, pwrite};

/// mmap(2), MAP_SHARED: "Updates to the mapping are visible to other processes mapping the
/// same region, and (in the case of file-backed mappings) are carried through to the
/// underlying file." A store through the mapping is returned by pread(2) at once (no msync
/// needed for visibility: they share the page cache).
#[test]
fn a_store_through_a_shared_mapping_is_seen_by_read() {
    let file = ScratchFile::new(&[b'.'; 8192]);
    let m = Mapping::shared(&file.fd, 8192);
    m.bytes()[4090..4100].copy_from_slice(b"0123456789");
    assert_eq!(pread(&file.fd, 12, 4089), b".0123456789.");
}

/// The converse: a write(2) to the file is seen through an existing shared mapping.
#[test]
fn a_write_to_the_file_is_seen_through_a_shared_mapping() {
    let file = ScratchFile::new(&[0u8; 4096]);
    let m = Mapping::shared(&file.fd, 4096);
    assert_eq!(m.load(100), 0);
    assert_eq!(pwrite(&file.fd, b"written", 100), Ok(7));
    assert_eq!(&m.bytes()[100..107], b"written");
}

/// mmap(2), MAP_SHARED: "Updates to the mapping are visible to other processes mapping the
/// same region". A child maps the file itself (a new mapping, not an inherited one), stores
/// into it, and the parent sees the bytes through its own mapping; then the parent stores
/// and the child sees that.
#[test]
fn stores_are_seen_through_another_processs_mapping_of_the_file() {
    let file = ScratchFile::new(&[0u8; 4096]);
    let m = Mapping::shared(&file.fd, 4096);
    let (stored, wait_stored) = channel();
    let (reply, wait_reply) = channel();
    let child = spawn("other mapper", || {
        let own = open_cloexec(&file.path, libc::O_RDWR).unwrap();
        let cm = Mapping::shared(&own, 4096);
        cm.bytes()[..5].copy_from_slice(b"child");
        stored.notify();
        wait_reply.wait();
        assert_eq!(&cm.bytes()[8..14], b"parent");
    });
    wait_stored.wait();
    assert_eq!(&m.bytes()[..5], b"child");
    m.bytes()[8..14].copy_from_slice(b"parent");
    reply.notify();
    child.expect_success();
}

/// mmap(2): "After the mmap() call has returned, the file descriptor, fd, can be closed
/// immediately without invalidating the mapping." The mapping also keeps the file itself:
/// after close and unlink(2) (unlink(2): "If the name was the last link to a file but any
/// processes still have the file open, the file will remain in existence until the last
/// file descriptor referring to it is closed" — a mapping counts), stores still reach a
/// child that inherited the mapping (and the child's stores reach the parent), and
/// /proc/self/maps names the file with " (deleted)".
#[test]
fn a_shared_mapping_keeps_the_file_alive_after_close_and_unlink() {
    let file = ScratchFile::new(b"before");
    let m = Mapping::shared(&file.fd, 4096);
    drop(file.fd);
    std::fs::remove_file(&file.path).unwrap();
    assert!(!file.path.exists());
    m.bytes()[..5].copy_from_slice(b"after");
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let line = maps
        .lines()
        .find(|l| l.starts_with(&format!("{:x}-", m.addr())))
        .expect("the mapping in /proc/self/maps");
    assert!(line.ends_with(&format!("{} (deleted)", file.path.display())), "{line}");
    let (stored, wait_stored) = channel();
    let child = spawn("inheritor", || {
        assert_eq!(&m.bytes()[..6], b"aftere", "the child sees the store through the inherited mapping");
        m.bytes()[6] = b'!';
        stored.notify();
    });
    wait_stored.wait();
    child.expect_success();
    assert_eq!(&m.bytes()[..7], b"aftere!");
}

/// mmap(2): the mapping covers "length bytes starting at offset offset in the file"; and
/// ERRORS: "EINVAL We don't like addr, length, or offset (e.g., they are too large, or not
/// aligned on a page boundary)" — offset "must be a multiple of the page size".
#[test]
fn a_mapping_starts_at_its_page_aligned_offset_and_unaligned_offsets_fail_einval() {
    let pg = page_size();
    let file = ScratchFile::new(&[vec![b'0'; pg], vec![b'1'; pg]].concat());
    let m = Mapping::new(pg, libc::PROT_READ, libc::MAP_SHARED, Some(file.as_fd()), pg as i64).unwrap();
    assert!(m.bytes().iter().all(|&c| c == b'1'), "the mapping shows the second page");
    assert_errno!(Mapping::new(pg, libc::PROT_READ, libc::MAP_SHARED, Some(file.as_fd()), 100), Errno::EINVAL);
}

/// mmap(2), ERRORS: "EINVAL (since Linux 2.6.12) length was 0" and "EINVAL flags contained
/// none of MAP_PRIVATE, MAP_SHARED, or MAP_SHARED_VALIDATE."
#[test]
fn mmap_with_zero_length_or_without_a_sharing_type_fails_einval() {
    let file = ScratchFile::new(&[0u8; 4096]);
    assert_errno!(Mapping::new(0, libc::PROT_READ, libc::MAP_SHARED, Some(file.as_fd()), 0), Errno::EINVAL);
    assert_errno!(Mapping::new(4096, libc::PROT_READ, 0, Some(file.as_fd()), 0), Errno::EINVAL);
}
