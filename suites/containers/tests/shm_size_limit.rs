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
use std::path::Path;

use containers::objects::shm_create;
use containers::sandbox::mount_tmpfs;
use containers::{Settle, enter, sandbox, skip_in_child};
use fixtures::sync::channel;
use fixtures::{IpcName, assert_errno, spawn, sys, sys_size};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::sys::signal::Signal;

/// Pages in the test tmpfs.
const PAGES: usize = 16;

/// tmpfs's f_type (statfs(2): TMPFS_MAGIC 0x01021994).
const TMPFS_MAGIC: i64 = 0x0102_1994;

fn page() -> usize {
    // SAFETY: sysconf has no memory arguments.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// In a child: a private mount namespace whose /dev/shm is a tmpfs of `PAGES` pages.
fn small_dev_shm() {
    if !Path::new("/dev/shm").is_dir() {
        skip_in_child("there is no /dev/shm here to mount a small tmpfs on");
    }
    enter(CloneFlags::CLONE_NEWNS);
    mount_tmpfs(Path::new("/dev/shm"), &format!("size={},mode=1777,huge=never", PAGES * page()));
}

fn statfs_dev_shm() -> libc::statfs {
    // SAFETY: zeroed statfs is a valid out-parameter.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid path and buffer.
    sys(unsafe { libc::statfs(c"/dev/shm".as_ptr(), &mut st) }).expect("statfs /dev/shm");
    st
}

fn ftruncate(fd: &OwnedFd, len: usize) -> Result<(), Errno> {
    // SAFETY: plain system call.
    sys(unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) }).map(|_| ())
}

/// tmpfs(5), "size=bytes": the mount reports its limit through statfs(2): f_type is
/// TMPFS_MAGIC, and f_blocks * f_bsize is exactly the size given (16 pages), all free.
/// This is how a program (or the docker_modes tests) reads a container's --shm-size.
#[test]
fn small_dev_shm_reports_its_size_through_statfs() {
    sandbox("statfs of a small /dev/shm", || {
        spawn("container with a 16-page /dev/shm", || {
            small_dev_shm();
            let st = statfs_dev_shm();
            assert_eq!({ st.f_type }, TMPFS_MAGIC, "f_type");
            assert_eq!(st.f_blocks as usize * st.f_bsize as usize, PAGES * page(), "size in bytes");
            assert_eq!(st.f_bfree, st.f_blocks, "nothing allocated yet");
        })
        .settle();
    });
}

/// ftruncate(2) only sets the size: extending a shared memory object far beyond the tmpfs
/// limit succeeds (st_size is the new length), and allocates nothing (statfs f_bfree is
/// unchanged): the limit is not checked here, which is why programs only learn of a small
/// /dev/shm later, from SIGBUS.
#[test]
fn ftruncate_beyond_the_dev_shm_size_succeeds_without_allocating() {
    let name = IpcName::shm("sparse");
    sandbox("ftruncate beyond /dev/shm", || {
        spawn("container with a 16-page /dev/shm", || {
            small_dev_shm();
            let fd = shm_create(name.as_cstr()).unwrap();
            let len = 64 * PAGES * page();
            assert_eq!(ftruncate(&fd, len), Ok(()), "ftruncate to 64 times the filesystem size");
            // SAFETY: zeroed stat is a valid out-parameter.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            sys(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) }).unwrap();
            assert_eq!(st.st_size as usize, len);
            assert_eq!(st.st_blocks, 0, "no blocks allocated by ftruncate");
            let fs = statfs_dev_shm();
            assert_eq!(fs.f_bfree, fs.f_blocks, "the filesystem is still empty");
        })
        .settle();
    });
}

/// mmap(2), SIGBUS, on a tmpfs that cannot supply the page: a mapping of a shared memory
/// object truncated to twice the /dev/shm size lets exactly the first 16 pages be written
/// (the filesystem's size), and the first store to the 17th page kills the process with
/// SIGBUS. The writer reports each page done through a pipe, so the count is exact.
#[test]
fn touching_pages_beyond_the_dev_shm_size_raises_sigbus() {
    let name = IpcName::shm("sigbus");
    sandbox("SIGBUS beyond /dev/shm", || {
        spawn("container with a 16-page /dev/shm", || {
            small_dev_shm();
            let fd = shm_create(name.as_cstr()).unwrap();
            let len = 2 * PAGES * page();
            ftruncate(&fd, len).unwrap();
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
                    unsafe { std::ptr::write_volatile(p.cast::<u8>().add(i * page()), 0xa5) };
                    done_tx.send(&[i as u8]);
                }
            });
            writer.join().expect_signal(Signal::SIGBUS);
            drop(done_tx);
            let done = done_rx.recv_within(2 * PAGES, std::time::Duration::ZERO).unwrap_err();
            assert_eq!(done, PAGES, "pages written before SIGBUS");
        })
        .settle();
    });
}

/// write(2), ENOSPC, on a full tmpfs: writing more than the filesystem holds stores exactly
/// its size (a short write of 16 pages), and the next write fails with ENOSPC.
#[test]
fn write_beyond_the_dev_shm_size_is_short_then_enospc() {
    let name = IpcName::shm("enospc");
    sandbox("ENOSPC on /dev/shm", || {
        spawn("container with a 16-page /dev/shm", || {
            small_dev_shm();
            let fd = shm_create(name.as_cstr()).unwrap();
            let buf = vec![0x5au8; (PAGES + 4) * page()];
            // SAFETY: valid buffer.
            let n = sys_size(unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) });
            assert_eq!(n, Ok(PAGES * page()), "a short write of exactly the filesystem's size");
            // SAFETY: valid buffer.
            let again = sys_size(unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), 1) });
            assert_errno!(again, Errno::ENOSPC, "write on the full /dev/shm");
        })
        .settle();
    });
}

/// fallocate(2), ENOSPC: "There is not enough space left on the device containing the file
/// referred to by fd." Reserving the whole tmpfs succeeds, one page more fails with ENOSPC.
#[test]
fn fallocate_beyond_the_dev_shm_size_fails_enospc() {
    let name = IpcName::shm("fallocate");
    sandbox("fallocate on /dev/shm", || {
        spawn("container with a 16-page /dev/shm", || {
            small_dev_shm();
            let fd = shm_create(name.as_cstr()).unwrap();
            let all = (PAGES * page()) as libc::off_t;
            // SAFETY: plain system calls.
            sys(unsafe { libc::fallocate(fd.as_raw_fd(), 0, 0, all) }).expect("fallocate of the whole filesystem");
            assert_errno!(
                sys(unsafe { libc::fallocate(fd.as_raw_fd(), 0, all, page() as libc::off_t) }),
                Errno::ENOSPC,
                "fallocate of one page more"
            );
        })
        .settle();
    });
}
