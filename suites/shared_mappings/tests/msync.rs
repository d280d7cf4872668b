//! msync(2): flags and errors.

use fixtures::memory::{Mapping, page_size};
use fixtures::assert_errno;
use nix::errno::Errno;
use rstest::rstest;
use shared_mappings::msync;
use shared_mappings::files::{ScratchFile, pread};

/// A file of two zeroed pages, mapped shared.
fn mapped_file() -> (ScratchFile, Mapping) {
    let file = ScratchFile::new(&vec![0u8; 2 * page_size()]);
    let m = Mapping::shared(&file, 2 * page_size());
    (file, m)
}

/// msync(2): "The flags argument should specify exactly one of MS_ASYNC and MS_SYNC, and may
/// additionally include the MS_INVALIDATE bit"; "On success, zero is returned." After
/// MS_SYNC the stored bytes are in the file (read back with pread).
#[rstest]
#[case::sync(libc::MS_SYNC)]
#[case::async_(libc::MS_ASYNC)]
#[case::sync_invalidate(libc::MS_SYNC | libc::MS_INVALIDATE)]
#[case::async_invalidate(libc::MS_ASYNC | libc::MS_INVALIDATE)]
fn msync_accepts_one_of_ms_sync_and_ms_async_with_optional_invalidate(#[case] flags: libc::c_int) {
    let (file, m) = mapped_file();
    m.bytes()[..6].copy_from_slice(b"synced");
    assert_eq!(msync(m.addr(), m.len(), flags), Ok(()));
    assert_eq!(pread(&file, 6, 0), b"synced");
}

/// msync(2), ERRORS: "EINVAL ... any bit other than MS_ASYNC | MS_INVALIDATE | MS_SYNC is set
/// in flags; or both MS_SYNC and MS_ASYNC are set in flags."
#[rstest]
#[case::sync_and_async(libc::MS_SYNC | libc::MS_ASYNC)]
#[case::unknown_bit(0x100)]
fn msync_with_invalid_flags_fails_einval(#[case] flags: libc::c_int) {
    let (_f, m) = mapped_file();
    assert_errno!(msync(m.addr(), m.len(), flags), Errno::EINVAL);
}

/// msync(2), ERRORS: "EINVAL addr is not a multiple of PAGESIZE".
#[test]
fn msync_of_an_unaligned_address_fails_einval() {
    let (_f, m) = mapped_file();
    assert_errno!(msync(m.addr() + 1, 10, libc::MS_SYNC), Errno::EINVAL);
}

/// msync(2), ERRORS: "ENOMEM The indicated memory (or part of it) was not mapped." A range
/// running one page past the end of the mapping (a page this test unmapped from its own
/// reservation, in a child so no other thread can map something there) fails.
#[test]
fn msync_of_a_range_that_is_not_mapped_fails_enomem() {
    fixtures::run_in_child("msync over a hole", || {
        let (_f, m) = mapped_file();
        let pg = page_size();
        // SAFETY: unmapping the second page of our own mapping.
        assert_eq!(unsafe { libc::munmap((m.addr() + pg) as *mut _, pg) }, 0);
        assert_errno!(msync(m.addr(), 2 * pg, libc::MS_SYNC), Errno::ENOMEM);
        assert_errno!(msync(m.addr() + pg, pg, libc::MS_ASYNC), Errno::ENOMEM);
        assert_eq!(msync(m.addr(), pg, libc::MS_SYNC), Ok(()));
    })
    .expect_success();
}
