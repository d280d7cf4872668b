//! The end of a mapped file: the partial last page, pages beyond it (SIGBUS), and
//! truncation under a mapping (mmap(2)).

use fixtures::io::ftruncate;
use fixtures::memory::{BUS_ADRERR, Fault, Mapping, fault_in_child, page_size};
use shared_mappings::msync;
use shared_mappings::files::{ScratchFile, pread, stat};

/// mmap(2), NOTES: "A file is mapped in multiples of the page size. For a file that is not a
/// multiple of the page size, the remaining bytes in the partial page at the end of the
/// mapping are zeroed when mapped, and modifications to that region are not written out to
/// the file." A 100-byte file mapped shared: bytes 100.. of the page read as zero; stores
/// there are kept in memory but the file stays 100 bytes and read(2) returns only them.
#[test]
fn bytes_past_eof_in_the_last_page_are_zero_and_never_reach_the_file() {
    let pg = page_size();
    let file = ScratchFile::new(&[b'd'; 100]);
    let m = Mapping::shared(&file.fd, pg);
    assert!(m.bytes()[..100].iter().all(|&c| c == b'd'));
    assert!(m.bytes()[100..].iter().all(|&c| c == 0), "the tail of the last page must read as zero");
    m.bytes()[100..105].copy_from_slice(b"extra");
    assert_eq!(msync(m.addr(), pg, libc::MS_SYNC), Ok(()));
    assert_eq!(stat(&file.fd).0, 100, "the file size is unchanged");
    assert_eq!(pread(&file.fd, 200, 0), vec![b'd'; 100], "read(2) stops at end of file");
}

/// mmap(2), ERRORS: "SIGBUS Attempted access to a page of the buffer that lies beyond the
/// end of the mapped file." A 2-page mapping of a 100-byte file: the first page works, an
/// access in the second raises SIGBUS with si_code BUS_ADRERR and si_addr the faulting
/// address (sigaction(2): "BUS_ADRERR Nonexistent physical address").
#[test]
fn an_access_to_a_page_beyond_eof_raises_sigbus() {
    let pg = page_size();
    let file = ScratchFile::new(&[b'd'; 100]);
    let m = Mapping::shared(&file.fd, 2 * pg);
    assert_eq!(m.load(pg - 1), 0, "the first page is accessible");
    let target = m.addr() + pg + 8;
    let f = fault_in_child(|| {
        m.load(pg + 8);
    });
    assert_eq!(f, Fault { signo: libc::SIGBUS, code: BUS_ADRERR, addr: target });
}

/// mmap(2): the SIGBUS rule applies to whatever is beyond the end of the file *at the time of
/// the access*: after ftruncate(2) shrinks the file to 10 bytes, the mapping's second page
/// (valid before) raises SIGBUS, while the first page still works and shows zero after the
/// new end.
#[test]
fn an_access_after_the_file_was_truncated_raises_sigbus() {
    let pg = page_size();
    let file = ScratchFile::new(&vec![b'x'; 2 * pg]);
    let m = Mapping::shared(&file.fd, 2 * pg);
    assert_eq!(m.load(pg + 1), b'x');
    ftruncate(&file.fd, 10).unwrap();
    assert_eq!(m.load(9), b'x');
    assert_eq!(m.load(10), 0, "bytes after the new end of file read as zero");
    let target = m.addr() + pg + 1;
    let f = fault_in_child(|| {
        m.load(pg + 1);
    });
    assert_eq!((f.signo, f.addr), (libc::SIGBUS, target));
}

/// The converse of the SIGBUS rule: once ftruncate(2) extends the file over a mapped page,
/// that page is accessible and reads as zero (ftruncate(2): "If the file previously was
/// shorter, it is extended, and the extended part reads as null bytes"), and stores there
/// reach the file.
#[test]
fn extending_the_file_makes_the_page_beyond_the_old_eof_accessible() {
    let pg = page_size();
    let file = ScratchFile::new(&[b'd'; 100]);
    let m = Mapping::shared(&file.fd, 2 * pg);
    ftruncate(&file.fd, (2 * pg) as i64).unwrap();
    assert!(m.bytes()[pg..].iter().all(|&c| c == 0));
    m.bytes()[pg..pg + 4].copy_from_slice(b"grow");
    assert_eq!(pread(&file.fd, 4, pg as i64), b"grow");
}
