//! MAP_PRIVATE mappings of a regular file: copy-on-write (mmap(2)).

use fixtures::memory::{Mapping, page_size};
use shared_mappings::files::{ScratchFile, pread, pwrite};

/// mmap(2), MAP_PRIVATE: "Create a private copy-on-write mapping. Updates to the mapping are
/// not visible to other processes mapping the same file, and are not carried through to the
/// underlying file." A store through a private mapping is seen neither by read(2) nor
/// through a shared mapping of the same file, while the private mapping keeps it.
#[test]
fn a_store_to_a_private_mapping_reaches_neither_the_file_nor_other_mappings() {
    let file = ScratchFile::new(&[b'f'; 4096]);
    let shared = Mapping::shared(&file.fd, 4096);
    let private = Mapping::private(&file.fd, 4096);
    private.bytes()[..7].copy_from_slice(b"private");
    assert_eq!(&private.bytes()[..7], b"private");
    assert_eq!(pread(&file.fd, 7, 0), b"fffffff", "the file");
    assert_eq!(&shared.bytes()[..7], b"fffffff", "a shared mapping of the file");
}

/// mmap(2), MAP_PRIVATE: "It is unspecified whether changes made to the file after the
/// mmap() call are visible in the mapped region." (POSIX leaves it open too.) On Linux a
/// private mapping shares the file's page-cache pages until it writes to them, so a later
/// write(2) to the file *is* visible in pages the mapping has not written — on each page
/// independently. Asserted as Linux behaves.
#[test]
fn a_private_mapping_sees_later_file_changes_in_pages_it_has_not_written() {
    let pg = page_size();
    let file = ScratchFile::new(&vec![b'0'; 2 * pg]);
    let private = Mapping::private(&file.fd, 2 * pg);
    assert_eq!(private.load(0), b'0', "page 0 read (not written) before the change");
    assert_eq!(pwrite(&file.fd, b"new", 0), Ok(3));
    assert_eq!(pwrite(&file.fd, b"NEW", pg as i64), Ok(3));
    assert_eq!(&private.bytes()[..3], b"new", "an untouched page shows the file's new content");
    assert_eq!(&private.bytes()[pg..pg + 3], b"NEW");
}

/// mmap(2), MAP_PRIVATE "copy-on-write": the first store to a page gives the mapping its own
/// copy, after which changes to the file no longer show in *that* page (while another,
/// unwritten page of the same mapping still follows the file).
#[test]
fn a_privately_written_page_no_longer_follows_the_file() {
    let pg = page_size();
    let file = ScratchFile::new(&vec![b'0'; 2 * pg]);
    let private = Mapping::private(&file.fd, 2 * pg);
    private.store(10, b'P');
    assert_eq!(pwrite(&file.fd, b"ABCDEFGHIJKL", 0), Ok(12));
    assert_eq!(pwrite(&file.fd, b"xyz", pg as i64), Ok(3));
    assert_eq!(&private.bytes()[..12], b"0000000000P0", "the copied page keeps its own content");
    assert_eq!(&private.bytes()[pg..pg + 3], b"xyz", "the other page still follows the file");
}
