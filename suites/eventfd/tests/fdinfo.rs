//! /proc/self/fdinfo of an eventfd.
//!
//! proc(5): "For eventfd file descriptors (see eventfd(2)), we see (since Linux 3.8) the
//! following fields: ... eventfd-count: ... the current value of the eventfd counter, in
//! hexadecimal." Later kernels add fields: "eventfd-id" (kernel commit b556db17b0e7
//! "eventfd: present id to userspace via fdinfo", Masatake YAMATO, 2019-05, the 5.2 merge
//! window; verified present in 5.10's fs/eventfd.c) and
//! "eventfd-semaphore" (kernel commit 33d8b5d7824c "eventfd: show the EFD_SEMAPHORE flag in
//! fdinfo", Wen Yang, merged for 6.5 through v6.5/vfs.misc).

use std::os::fd::OwnedFd;

use eventfd::{eventfd, nonblocking, write_u64};
use fixtures::procfs::fdinfo;
use fixtures::variant;

/// proc(5): eventfd-count is the counter in hexadecimal (the kernel prints it with
/// "%16llx": right-aligned hex digits, no 0x).
#[rstest::rstest]
#[case::zero(0)]
#[case::sixteen(16)]
#[case::large(0xdead_beef_0042)]
fn fdinfo_shows_eventfd_count_in_hexadecimal(#[case] v: u64) {
    let e = nonblocking(0);
    write_u64(&e, v).unwrap();
    let info = fdinfo(&e);
    assert_eq!(info.get("eventfd-count").map(String::as_str), Some(format!("{v:x}").as_str()), "{info:?}");
    // The common fields are there too: pos 0, and flags exactly O_RDWR|O_NONBLOCK|O_CLOEXEC
    // (fs/eventfd.c keeps O_RDWR and the EFD_NONBLOCK it was given; fdinfo adds O_CLOEXEC
    // for a close-on-exec descriptor).
    assert_eq!(info.get("pos").map(String::as_str), Some("0"));
    let flags = i32::from_str_radix(&info["flags"], 8).unwrap();
    assert_eq!(flags, libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC, "flags {flags:#o}");
}

/// Since 5.2 (commit b556db17b0e7) fdinfo has "eventfd-id": a number that identifies the
/// eventfd object, the same through a duplicate and different for another eventfd. Before
/// 5.2 the field is absent (asserted). Variant: `present` / `absent`.
///
/// Kernel change: 5.2, commit b556db17b0e7 — /proc/<pid>/fdinfo of an eventfd shows eventfd-id.
#[test]
fn fdinfo_shows_an_eventfd_id_shared_by_duplicates_since_5_2() {
    let a = nonblocking(0);
    let b = nonblocking(0);
    let id = |fd: &OwnedFd| fdinfo(fd).get("eventfd-id").cloned();
    if !variant::since(5, 2, "eventfd-id in fdinfo") {
        assert_eq!(id(&a), None, "eventfd-id before 5.2");
        return;
    }
    let ida: u64 = id(&a).expect("no eventfd-id").parse().expect("eventfd-id is not decimal");
    let idb: u64 = id(&b).expect("no eventfd-id").parse().expect("eventfd-id is not decimal");
    assert_ne!(ida, idb, "two eventfds with one id");
    let d = nix::unistd::dup(&a).unwrap();
    assert_eq!(id(&d), Some(ida.to_string()), "a duplicate shows another id");
}

/// Since 6.5 (commit 33d8b5d7824c) fdinfo has "eventfd-semaphore": 1 for an EFD_SEMAPHORE
/// eventfd and 0 otherwise; before 6.5 the field is absent (asserted). Variant: `present` /
/// `absent`.
///
/// Kernel change: 6.5, commit 33d8b5d7824c — /proc/<pid>/fdinfo of an eventfd shows eventfd-semaphore.
#[rstest::rstest]
#[case::semaphore(libc::EFD_SEMAPHORE, "1")]
#[case::counter(0, "0")]
fn fdinfo_shows_eventfd_semaphore_since_6_5(#[case] flags: libc::c_int, #[case] expected: &str) {
    let e = eventfd(0, flags | libc::EFD_CLOEXEC).unwrap();
    let info = fdinfo(&e);
    if variant::since(6, 5, "eventfd-semaphore in fdinfo") {
        assert_eq!(info.get("eventfd-semaphore").map(String::as_str), Some(expected), "{info:?}");
    } else {
        assert_eq!(info.get("eventfd-semaphore"), None, "eventfd-semaphore before 6.5: {info:?}");
    }
}
