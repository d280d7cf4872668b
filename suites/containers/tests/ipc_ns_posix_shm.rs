//! POSIX shared memory and namespaces. ipc_namespaces(7) names what an IPC namespace
//! isolates: "System V IPC objects ... and (since Linux 2.6.30) POSIX message queues" —
//! not POSIX shared memory, which shm_overview(7) places in "a (tmpfs(5)) virtual
//! filesystem, normally mounted under /dev/shm". So a shared memory object follows the
//! mount namespace, not the IPC namespace: a container gets its own objects only because
//! its runtime mounts a fresh tmpfs on /dev/shm (docker run --ipc: "none": "Own private IPC
//! namespace, with /dev/shm not mounted").

use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use containers::objects::{read_at_start, shm_create, shm_open_existing};
use containers::sandbox::{mount_tmpfs, ns_inode};
use containers::{Pause, Settle, enter, join_ns, sandbox, skip_in_child};
use fixtures::{IpcName, assert_errno, spawn, sys_size};
use nix::errno::Errno;
use nix::sched::CloneFlags;

fn require_dev_shm() {
    if !Path::new("/dev/shm").is_dir() {
        skip_in_child("there is no /dev/shm here, so no POSIX shared memory");
    }
}

fn write_at_start(fd: &std::os::fd::OwnedFd, b: &[u8]) {
    // SAFETY: valid buffer.
    let n = sys_size(unsafe { libc::pwrite(fd.as_raw_fd(), b.as_ptr().cast(), b.len(), 0) }).expect("pwrite");
    assert_eq!(n, b.len());
}

/// ipc_namespaces(7) lists System V IPC and POSIX message queues only; shm_overview(7) puts
/// shared memory objects in the tmpfs at /dev/shm. After unshare(CLONE_NEWIPC) alone the
/// outer object is still found: shm_open(3) succeeds, on the same inode, with the bytes
/// written outside. (A kernel or runtime that wrongly scoped POSIX shm by IPC namespace
/// would give ENOENT.)
#[test]
fn posix_shm_object_stays_visible_after_unshare_clone_newipc() {
    let name = IpcName::shm("outer");
    sandbox("shm across IPC namespaces", || {
        require_dev_shm();
        let fd = shm_create(name.as_cstr()).expect("shm_open(O_CREAT)");
        write_at_start(&fd, b"outer bytes");
        let ino = std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap().ino();
        spawn("in a new IPC namespace", || {
            let before = ns_inode("self", "ipc");
            enter(CloneFlags::CLONE_NEWIPC);
            assert_ne!(ns_inode("self", "ipc"), before, "a new IPC namespace");
            let inner = shm_open_existing(name.as_cstr()).expect("the object is still visible");
            let inner_ino = std::fs::metadata(format!("/proc/self/fd/{}", inner.as_raw_fd())).unwrap().ino();
            assert_eq!(inner_ino, ino, "the same object (inode)");
            assert_eq!(read_at_start(&inner, 11), b"outer bytes");
        })
        .settle();
    });
}

/// shm_overview(7), "Accessing shared memory objects via the filesystem", with
/// mount_namespaces(7): a process in a new mount namespace with its own tmpfs on /dev/shm
/// no longer sees the outer objects (ENOENT), and what it creates there is not seen
/// outside (ENOENT), though its IPC namespace is a new one either way.
#[test]
fn posix_shm_is_isolated_by_a_private_tmpfs_on_dev_shm() {
    let outer_name = IpcName::shm("outer");
    let inner_name = IpcName::shm("inner");
    sandbox("private /dev/shm", || {
        require_dev_shm();
        let _outer = shm_create(outer_name.as_cstr()).expect("create the outer object");
        let p = Pause::new();
        let mut container = spawn("container with its own /dev/shm", || {
            enter(CloneFlags::CLONE_NEWIPC | CloneFlags::CLONE_NEWNS);
            mount_tmpfs(Path::new("/dev/shm"), "mode=1777,size=1m");
            assert_errno!(shm_open_existing(outer_name.as_cstr()), Errno::ENOENT, "the outer object inside");
            let fd = shm_create(inner_name.as_cstr()).expect("create inside");
            write_at_start(&fd, b"inner");
            p.ready_and_wait();
        });
        p.wait_ready(&mut container);
        assert_errno!(shm_open_existing(inner_name.as_cstr()), Errno::ENOENT, "the inner object outside");
        assert!(!Path::new("/dev/shm").join(inner_name.bare()).exists(), "the inner object appeared in the outer /dev/shm");
        p.release();
        container.settle();
    });
}

/// setns(2) into another process's mount namespace makes its /dev/shm, and so its shared
/// memory objects, visible (mount_namespaces(7): the mount list is per namespace). The
/// joiner's IPC namespace is not changed: only the mount namespace matters for POSIX shm.
#[test]
fn posix_shm_is_shared_after_setns_into_the_creators_mount_namespace() {
    let name = IpcName::shm("private");
    sandbox("setns into the mount namespace", || {
        require_dev_shm();
        let p = Pause::new();
        let mut creator = spawn("creator with its own /dev/shm", || {
            enter(CloneFlags::CLONE_NEWNS);
            mount_tmpfs(Path::new("/dev/shm"), "mode=1777,size=1m");
            let fd = shm_create(name.as_cstr()).expect("create");
            write_at_start(&fd, b"from the creator");
            p.ready_and_wait();
        });
        p.wait_ready(&mut creator);
        let pid = creator.pid();
        spawn("joiner", || {
            assert_errno!(shm_open_existing(name.as_cstr()), Errno::ENOENT, "before setns");
            let ipc = ns_inode("self", "ipc");
            join_ns(pid, "mnt", CloneFlags::CLONE_NEWNS);
            let fd = shm_open_existing(name.as_cstr()).expect("shm_open after setns(CLONE_NEWNS)");
            assert_eq!(read_at_start(&fd, 16), b"from the creator");
            assert_eq!(ns_inode("self", "ipc"), ipc, "the IPC namespace did not change");
        })
        .settle();
        p.release();
        creator.settle();
    });
}
