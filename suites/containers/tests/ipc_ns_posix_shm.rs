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

use containers::dev_shm::{dev_shm, enter_with_own_dev_shm};
use containers::objects::{read_at_start, shm_create, shm_open_existing, write_at_start};
use containers::sandbox::{enter, holding, namespaces, sandbox};
use fixtures::ns::{join, ns_inode};
use fixtures::{IpcName, assert_errno, needs, spawn};
use nix::errno::Errno;

/// ipc_namespaces(7) lists System V IPC and POSIX message queues only; shm_overview(7) puts
/// shared memory objects in the tmpfs at /dev/shm. After unshare(CLONE_NEWIPC) alone the
/// outer object is still found: shm_open(3) succeeds, on the same inode, with the bytes
/// written outside. (A kernel or runtime that wrongly scoped POSIX shm by IPC namespace
/// would give ENOENT.)
#[test]
fn posix_shm_object_stays_visible_after_unshare_clone_newipc() {
    needs!(available(namespaces()), available(dev_shm()));
    let name = IpcName::shm("outer");
    sandbox("shm across IPC namespaces", || {
        let fd = shm_create(name.as_cstr()).expect("shm_open(O_CREAT)");
        write_at_start(&fd, b"outer bytes");
        let ino = std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap().ino();
        spawn("in a new IPC namespace", || {
            let before = ns_inode("self", "ipc");
            enter(libc::CLONE_NEWIPC);
            assert_ne!(ns_inode("self", "ipc"), before, "a new IPC namespace");
            let inner = shm_open_existing(name.as_cstr()).expect("the object is still visible");
            let inner_ino = std::fs::metadata(format!("/proc/self/fd/{}", inner.as_raw_fd())).unwrap().ino();
            assert_eq!(inner_ino, ino, "the same object (inode)");
            assert_eq!(read_at_start(&inner, 11), b"outer bytes");
        })
        .expect_success();
    });
}

/// shm_overview(7), "Accessing shared memory objects via the filesystem", with
/// mount_namespaces(7): a process in a new mount namespace with its own tmpfs on /dev/shm
/// no longer sees the outer objects (ENOENT), and what it creates there is not seen
/// outside (ENOENT), though its IPC namespace is a new one either way.
#[test]
fn posix_shm_is_isolated_by_a_private_tmpfs_on_dev_shm() {
    needs!(available(namespaces()), available(dev_shm()));
    let outer_name = IpcName::shm("outer");
    let inner_name = IpcName::shm("inner");
    sandbox("private /dev/shm", || {
        let _outer = shm_create(outer_name.as_cstr()).expect("create the outer object");
        let container = holding("container with its own /dev/shm", || {
            enter_with_own_dev_shm(libc::CLONE_NEWIPC, "mode=1777,size=1m");
            assert_errno!(shm_open_existing(outer_name.as_cstr()), Errno::ENOENT, "the outer object inside");
            let fd = shm_create(inner_name.as_cstr()).expect("create inside");
            write_at_start(&fd, b"inner");
            fd
        });
        assert_errno!(shm_open_existing(inner_name.as_cstr()), Errno::ENOENT, "the inner object outside");
        assert!(!Path::new("/dev/shm").join(inner_name.bare()).exists(), "the inner object appeared in the outer /dev/shm");
        container.expect_success();
    });
}

/// setns(2) into another process's mount namespace makes its /dev/shm, and so its shared
/// memory objects, visible (mount_namespaces(7): the mount list is per namespace). The
/// joiner's IPC namespace is not changed: only the mount namespace matters for POSIX shm.
#[test]
fn posix_shm_is_shared_after_setns_into_the_creators_mount_namespace() {
    needs!(available(namespaces()), available(dev_shm()));
    let name = IpcName::shm("private");
    sandbox("setns into the mount namespace", || {
        let creator = holding("creator with its own /dev/shm", || {
            enter_with_own_dev_shm(0, "mode=1777,size=1m");
            let fd = shm_create(name.as_cstr()).expect("create");
            write_at_start(&fd, b"from the creator");
            fd
        });
        let pid = creator.pid();
        spawn("joiner", || {
            assert_errno!(shm_open_existing(name.as_cstr()), Errno::ENOENT, "before setns");
            let ipc = ns_inode("self", "ipc");
            join(pid, "mnt", libc::CLONE_NEWNS);
            let fd = shm_open_existing(name.as_cstr()).expect("shm_open after setns(CLONE_NEWNS)");
            assert_eq!(read_at_start(&fd, 16), b"from the creator");
            assert_eq!(ns_inode("self", "ipc"), ipc, "the IPC namespace did not change");
        })
        .expect_success();
        creator.expect_success();
    });
}
