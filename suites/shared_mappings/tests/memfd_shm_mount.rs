//! Where a memfd's memory comes from: the kernel's internal shmem mount, not /dev/shm. A
//! container's small /dev/shm (`docker run --shm-size`) bounds shm_open(3) objects, never a
//! memfd.

use std::path::Path;

use fixtures::io::{ftruncate, open_cloexec, write_once};
use fixtures::memory::Mapping;
use fixtures::ns::{enter_mount_ns, mount_fs};
use fixtures::{Outcome, assert_errno, needs, run_in_child};
use nix::errno::Errno;
use shared_mappings::files::pread;
use shared_mappings::memfd::memfd;

const MIB: usize = 1 << 20;

/// memfd_create(2): "creates an anonymous file ... lives in RAM" and has no name in any
/// mounted filesystem (its /proc/self/fd link is "/memfd:NAME (deleted)"), while
/// shm_overview(7): POSIX shared memory objects are files "in a virtual filesystem, normally
/// mounted under /dev/shm" — bounded by that tmpfs's size= option (tmpfs(5)). Asserted in a
/// private mount namespace with a 4 MiB tmpfs mounted on /dev/shm (what `docker run
/// --shm-size=4m` gives a container): a file there stops at 4 MiB (write(2) fails ENOSPC),
/// while a memfd is ftruncate(2)d to 8 MiB and every one of its pages is written through a
/// MAP_SHARED mapping without SIGBUS, and read back.
#[test]
fn a_memfd_is_not_bounded_by_the_size_of_dev_shm() {
    needs!(available(fixtures::facility::namespaces(libc::CLONE_NEWNS)), path("/dev/shm"));
    let o = run_in_child("a 4 MiB /dev/shm in a private mount namespace", || {
        if let Err((step, e)) = enter_mount_ns(0) {
            fixtures::skip_blocked!("{step}: {e:?}");
        }
        match mount_fs("tmpfs", "tmpfs", Path::new("/dev/shm"), Some("size=4m,mode=1777")) {
            Ok(()) => {}
            Err(e @ (Errno::EPERM | Errno::EACCES)) => fixtures::skip_blocked!("mount -t tmpfs on /dev/shm: {e:?}"),
            Err(e) => panic!("mount -t tmpfs -o size=4m on /dev/shm: {e:?}"),
        }
        let f = open_cloexec(Path::new("/dev/shm/ipcspec-big"), libc::O_RDWR | libc::O_CREAT | libc::O_EXCL).unwrap();
        let chunk = vec![0x5au8; MIB];
        for i in 0..4 {
            assert_eq!(write_once(&f, &chunk), Ok(MIB), "MiB {i} of the /dev/shm file");
        }
        assert_errno!(write_once(&f, &chunk), Errno::ENOSPC, "the fifth MiB on a 4 MiB /dev/shm");

        let m = memfd("ipcspec-8mib", libc::MFD_CLOEXEC).unwrap();
        ftruncate(&m, (8 * MIB) as i64).unwrap();
        let map = Mapping::shared(&m, 8 * MIB);
        let page = fixtures::memory::page_size();
        for off in (0..8 * MIB).step_by(page) {
            map.store(off, (off / page) as u8 | 1);
        }
        for off in [0, 4 * MIB, 8 * MIB - page] {
            assert_eq!(pread(&m, 1, off as i64), [(off / page) as u8 | 1], "byte at {off} of the memfd");
        }
    });
    match o {
        Outcome::Skipped(reason) => fixtures::gate::report_skip(&reason),
        other => other.expect_success(),
    }
}
