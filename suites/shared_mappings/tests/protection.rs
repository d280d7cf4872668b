//! Access modes and protections: the file's open mode against PROT_* and MAP_SHARED, and the
//! faults raised by PROT_NONE and read-only mappings (mmap(2), mprotect(2)).

use std::os::fd::AsFd;
use fixtures::io::open_cloexec;
use fixtures::memory::{Fault, Mapping, SEGV_ACCERR, SEGV_MAPERR, fault_in_child, page_size};
use fixtures::assert_errno;
use nix::errno::Errno;
use rstest::rstest;
use shared_mappings::files::{ScratchFile, pread};

/// mmap(2), ERRORS: "EACCES ... MAP_SHARED was requested and PROT_WRITE is set, but fd is not
/// open in read/write (O_RDWR) mode."
#[test]
fn a_shared_writable_mapping_of_a_read_only_fd_fails_eacces() {
    let file = ScratchFile::new(&[0u8; 4096]);
    let ro = open_cloexec(&file.path, libc::O_RDONLY).unwrap();
    assert_errno!(
        Mapping::new(4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, Some(ro.as_fd()), 0),
        Errno::EACCES
    );
    assert!(Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(ro.as_fd()), 0).is_ok(), "read-only shared is fine");
}

/// mmap(2): the EACCES rule names only MAP_SHARED with PROT_WRITE; a MAP_PRIVATE writable
/// mapping of an O_RDONLY descriptor is allowed (its stores go to private copies), and the
/// file is unchanged by them.
#[test]
fn a_private_writable_mapping_of_a_read_only_fd_is_allowed() {
    let file = ScratchFile::new(b"original");
    let ro = open_cloexec(&file.path, libc::O_RDONLY).unwrap();
    let m = Mapping::new(4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE, Some(ro.as_fd()), 0).expect("private writable");
    m.bytes()[..8].copy_from_slice(b"modified");
    assert_eq!(std::fs::read(&file.path).unwrap(), b"original");
}

/// mmap(2), ERRORS: "EACCES A file descriptor refers to a non-regular file. Or a file mapping
/// was requested, but fd is not open for reading." — an O_WRONLY descriptor cannot be
/// mapped, even with PROT_WRITE only.
#[rstest]
#[case::shared(libc::MAP_SHARED)]
#[case::private(libc::MAP_PRIVATE)]
fn mapping_a_write_only_fd_fails_eacces(#[case] kind: libc::c_int) {
    let file = ScratchFile::new(&[0u8; 4096]);
    let wo = open_cloexec(&file.path, libc::O_WRONLY).unwrap();
    assert_errno!(Mapping::new(4096, libc::PROT_WRITE, kind, Some(wo.as_fd()), 0), Errno::EACCES);
}

/// mprotect(2), ERRORS: "EACCES The memory cannot be given the specified access. This can
/// happen, for example, if you mmap(2) a file to which you have read-only access, then ask
/// mprotect() to mark it PROT_WRITE." (for a MAP_SHARED mapping).
#[test]
fn mprotect_to_writable_of_a_shared_mapping_of_a_read_only_fd_fails_eacces() {
    let file = ScratchFile::new(&[0u8; 4096]);
    let ro = open_cloexec(&file.path, libc::O_RDONLY).unwrap();
    let m = Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(ro.as_fd()), 0).unwrap();
    // SAFETY: changing the protection of our own mapping.
    let r = fixtures::sys(unsafe { libc::mprotect(m.addr() as *mut _, 4096, libc::PROT_READ | libc::PROT_WRITE) });
    assert_errno!(r, Errno::EACCES);
}

/// mmap(2): "PROT_NONE Pages may not be accessed"; sigaction(2): SIGSEGV with
/// "SEGV_ACCERR Invalid permissions for mapped object". A read and a write of a PROT_NONE
/// page both fault with SEGV_ACCERR at the accessed address.
#[rstest]
#[case::read(false)]
#[case::write(true)]
fn an_access_to_a_prot_none_page_raises_sigsegv_accerr(#[case] write: bool) {
    let m = Mapping::new(page_size(), libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, None, 0).unwrap();
    let f = fault_in_child(|| {
        if write {
            m.store(42, 1);
        } else {
            m.load(42);
        }
    });
    assert_eq!(f, Fault { signo: libc::SIGSEGV, code: SEGV_ACCERR, addr: m.addr() + 42 });
}

/// mmap(2): "PROT_READ Pages may be read" — and only read: a store into a PROT_READ shared
/// file mapping raises SIGSEGV (SEGV_ACCERR); the file is unchanged.
#[test]
fn a_store_to_a_read_only_mapping_raises_sigsegv_accerr() {
    let file = ScratchFile::new(&[b'r'; 4096]);
    let m = Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(file.as_fd()), 0).unwrap();
    assert_eq!(m.load(7), b'r', "reading is allowed");
    let f = fault_in_child(|| m.store(7, b'w'));
    assert_eq!(f, Fault { signo: libc::SIGSEGV, code: SEGV_ACCERR, addr: m.addr() + 7 });
    assert_eq!(pread(&file.fd, 1, 7), b"r");
}

/// munmap(2): "The address range is then unmapped and further references to addresses within
/// the range will generate invalid memory references"; sigaction(2): "SEGV_MAPERR Address
/// not mapped to object". (In a child: no other thread can map the hole again.)
#[test]
fn an_access_to_an_unmapped_page_raises_sigsegv_maperr() {
    let f = fault_in_child(|| {
        let m = Mapping::anonymous(page_size(), false);
        let (addr, len) = m.leak();
        // SAFETY: unmapping our own mapping.
        assert_eq!(unsafe { libc::munmap(addr as *mut _, len) }, 0);
        // SAFETY: deliberately touching the unmapped page.
        unsafe { std::ptr::read_volatile((addr + 3) as *const u8) };
    });
    assert_eq!((f.signo, f.code), (libc::SIGSEGV, SEGV_MAPERR));
}
