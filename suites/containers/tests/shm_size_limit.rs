//! A size-limited /dev/shm. `docker run --shm-size` ("Size of /dev/shm", docker container
//! run reference; 64 MiB by default, dockerd --default-shm-size) gives the container a
//! tmpfs(5) of that size on /dev/shm. tmpfs(5), "size=bytes": "Specify an upper limit on
//! the size of the filesystem"; and a sparse file may be larger than the filesystem, so the
//! limit bites when pages are actually allocated: mmap(2), SIGBUS: "Attempted access to a
//! page of the buffer that lies beyond the end of the mapped file" — or, for tmpfs, a page
//! the filesystem cannot supply — and write(2), "ENOSPC The device containing the file
//! referred to by fd has no room for the data".
//!
//! Each test mounts a tmpfs of 16 pages (huge=never, so that no transparent huge page
//! changes the arithmetic) on /dev/shm in a private mount namespace and works on a POSIX
//! shared memory object in it, as a program in a small-shm container would.

use std::os::fd::{AsRawFd, OwnedFd};

use containers::dev_shm::{dev_shm, enter_with_own_dev_shm, statfs_dev_shm};
use containers::objects::shm_create;
use containers::sandbox::{namespaces, sandbox};
use fixtures::io::{ftruncate, write_once};
use fixtures::memory::page_size;
use fixtures::sync::channel;
use fixtures::{IpcName, assert_errno, needs, spawn, sys};
use nix::errno::Errno;
use nix::sys::signal::Signal;

/// Pages in the test tmpfs.
const PAGES: usize = 16;

/// Run `body` in a child of the sandbox that is a "container with a 16-page /dev/shm": a
/// private mount namespace whose /dev/shm is a tmpfs of `PAGES` pages.
#[track_caller]
fn in_small_dev_shm(what: &str, body: impl FnOnce()) {
    sandbox(what, || {
        spawn("container with a 16-page /dev/shm", || {
            enter_with_own_dev_shm(0, &format!("size={},mode=1777,huge=never", PAGES * page_size()));
            body();
        })
        .expect_success();
    });
}

/// [`in_small_dev_shm`] with a new POSIX shared memory object there (named after `tag`),
/// given to `body`.
#[track_caller]
fn with_object_in_small_dev_shm(tag: &str, body: impl FnOnce(OwnedFd)) {
    let name = IpcName::shm(tag);
    in_small_dev_shm(tag, || body(shm_create(name.as_cstr()).expect("shm_open(O_CREAT) in the small /dev/shm")));
}

/// tmpfs(5), "size=bytes": the mount reports its limit through statfs(2): f_type is
/// TMPFS_MAGIC, and f_blocks * f_bsize is exactly the size given (16 pages), all free.
/// This is how a program (or the docker_modes tests) reads a container's --shm-size.
#[test]
fn small_dev_shm_reports_its_size_through_statfs() {
    needs!(available(namespaces()), available(dev_shm()));
    in_small_dev_shm("statfs of a small /dev/shm", || {
        let (kind, size, free, blocks) = statfs_dev_shm();
        assert_eq!(kind, libc::TMPFS_MAGIC, "f_type");
        assert_eq!(size, (PAGES * page_size()) as u64, "size in bytes");
        assert_eq!(free, blocks, "nothing allocated yet");
    });
}

/// ftruncate(2) only sets the size: extending a shared memory object far beyond the tmpfs
/// limit succeeds (st_size is the new length), and allocates nothing (statfs f_bfree is
/// unchanged): the limit is not checked here, which is why programs only learn of a small
/// /dev/shm later, from SIGBUS.
#[test]
fn ftruncate_beyond_the_dev_shm_size_succeeds_without_allocating() {
    needs!(available(namespaces()), available(dev_shm()));
    with_object_in_small_dev_shm("sparse", |fd| {
        let len = 64 * PAGES * page_size();
        assert_eq!(ftruncate(&fd, len as i64), Ok(()), "ftruncate to 64 times the filesystem size");
        let st = nix::sys::stat::fstat(&fd).unwrap();
        assert_eq!(st.st_size as usize, len);
        assert_eq!(st.st_blocks, 0, "no blocks allocated by ftruncate");
        let (_, _, free, blocks) = statfs_dev_shm();
        assert_eq!(free, blocks, "the filesystem is still empty");
    });
}

/// mmap(2), SIGBUS, on a tmpfs that cannot supply the page: a mapping of a shared memory
/// object truncated to twice the /dev/shm size lets exactly the first 16 pages be written
/// (the filesystem's size), and the first store to the 17th page kills the process with
/// SIGBUS. The writer reports each page done through a pipe, so the count is exact.
#[test]
fn touching_pages_beyond_the_dev_shm_size_raises_sigbus() {
    needs!(available(namespaces()), available(dev_shm()));
    with_object_in_small_dev_shm("sigbus", |fd| {
        let len = 2 * PAGES * page_size();
        ftruncate(&fd, len as i64).unwrap();
        // SAFETY: a shared mapping of the object's whole length.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd.as_raw_fd(), 0)
        };
        assert_ne!(p, libc::MAP_FAILED, "mmap: {}", Errno::last());
        let (done_tx, done_rx) = channel();
        let mut writer = spawn("writer touching every page", || {
            fixtures::signals::set_default(Signal::SIGBUS);
            for i in 0..2 * PAGES {
                // SAFETY: inside the mapping; the store is what may raise SIGBUS.
                unsafe { std::ptr::write_volatile(p.cast::<u8>().add(i * page_size()), 0xa5) };
                done_tx.send(&[i as u8]);
            }
        });
        writer.join().expect_signal(Signal::SIGBUS);
        drop(done_tx);
        let done = done_rx.recv_within(2 * PAGES, std::time::Duration::ZERO).unwrap_err();
        assert_eq!(done, PAGES, "pages written before SIGBUS");
    });
}

/// write(2), ENOSPC, on a full tmpfs: writing more than the filesystem holds stores exactly
/// its size (a short write of 16 pages), and the next write fails with ENOSPC.
#[test]
fn write_beyond_the_dev_shm_size_is_short_then_enospc() {
    needs!(available(namespaces()), available(dev_shm()));
    with_object_in_small_dev_shm("enospc", |fd| {
        let buf = vec![0x5au8; (PAGES + 4) * page_size()];
        assert_eq!(write_once(&fd, &buf), Ok(PAGES * page_size()), "a short write of exactly the filesystem's size");
        assert_errno!(write_once(&fd, &buf[..1]), Errno::ENOSPC, "write on the full /dev/shm");
    });
}

/// fallocate(2), ENOSPC: "There is not enough space left on the device containing the file
/// referred to by fd." Reserving the whole tmpfs succeeds, one page more fails with ENOSPC.
#[test]
fn fallocate_beyond_the_dev_shm_size_fails_enospc() {
    needs!(available(namespaces()), available(dev_shm()));
    with_object_in_small_dev_shm("fallocate", |fd| {
        let all = (PAGES * page_size()) as libc::off_t;
        // SAFETY: plain system calls.
        sys(unsafe { libc::fallocate(fd.as_raw_fd(), 0, 0, all) }).expect("fallocate of the whole filesystem");
        assert_errno!(
            sys(unsafe { libc::fallocate(fd.as_raw_fd(), 0, all, page_size() as libc::off_t) }),
            Errno::ENOSPC,
            "fallocate of one page more"
        );
    });
}
