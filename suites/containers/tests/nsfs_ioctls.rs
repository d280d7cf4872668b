//! ioctl(2) on namespace files (/proc/PID/ns/*; ioctl_nsfs(2), include/uapi/linux/nsfs.h)
//! added since Linux 5.10: translating pids between PID namespaces (6.11), identifying a
//! mount namespace and counting its mounts (6.12), a 64-bit id for every namespace (6.18).
//! A kernel without one answers ENOTTY, as for any ioctl a file does not know (fs/nsfs.c
//! ns_ioctl: "default: return -ENOTTY"), asserted with the variant `absent`.
//!
//! Everything runs in a sandbox child (see containers::sandbox): directly as root, or inside a
//! new user namespace for uid 65534.

use std::os::fd::{AsFd, AsRawFd};

use containers::pidns::spawn_init;
use containers::sandbox::{enter, mount_points, mount_tmpfs, namespaces, sandbox};
use fixtures::ns::ns_file;
use fixtures::{assert_errno, needs, spawn, sys, variant};
use nix::errno::Errno;
use nix::unistd::getpid;

/// _IOR(NSIO, nr, size) with NSIO 0xb7 (include/uapi/linux/nsfs.h).
const fn ior(nr: u32, size: u32) -> libc::c_ulong {
    ((2u32 << 30) | (size << 16) | (0xb7 << 8) | nr) as libc::c_ulong
}
const NS_GET_MNTNS_ID: libc::c_ulong = ior(5, 8);
const NS_GET_PID_FROM_PIDNS: libc::c_ulong = ior(6, 4);
const NS_GET_TGID_FROM_PIDNS: libc::c_ulong = ior(7, 4);
const NS_GET_PID_IN_PIDNS: libc::c_ulong = ior(8, 4);
const NS_GET_TGID_IN_PIDNS: libc::c_ulong = ior(9, 4);
const NS_MNT_GET_INFO: libc::c_ulong = ior(10, 16);
const NS_GET_ID: libc::c_ulong = ior(13, 8);

/// An nsfs ioctl whose argument is a value (the pid translations); its return value.
fn ns_ioctl_val(fd: impl AsFd, req: libc::c_ulong, arg: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: the pid translation ioctls take the pid by value.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), req as _, arg as libc::c_ulong) })
}

/// An nsfs ioctl that writes a u64 through its argument (NS_GET_MNTNS_ID, NS_GET_ID).
fn ns_ioctl_u64(fd: impl AsFd, req: libc::c_ulong) -> Result<u64, Errno> {
    let mut v: u64 = 0;
    // SAFETY: the request writes one u64.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), req as _, &mut v as *mut u64) })?;
    Ok(v)
}

/// NS_MNT_GET_INFO: struct mnt_ns_info { size, nr_mounts, mnt_ns_id } (16 bytes, VER0), the
/// size field filled in by the caller.
fn mnt_ns_info(fd: impl AsFd) -> Result<(u32, u32, u64), Errno> {
    let mut info = [0u64; 2];
    info[0] = 16; // size (u32) = 16, nr_mounts (u32) = 0
    // SAFETY: the request reads and writes one 16-byte struct mnt_ns_info.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), NS_MNT_GET_INFO as _, info.as_mut_ptr()) })?;
    Ok((info[0] as u32, (info[0] >> 32) as u32, info[1]))
}

/// ioctl_nsfs(2) of man-pages 6.20 does not list them yet; include/uapi/linux/nsfs.h:
/// NS_GET_PID_FROM_PIDNS "Translate pid from target pid namespace into the caller's pid
/// namespace", NS_GET_PID_IN_PIDNS "Translate pid from caller's pid namespace into a target
/// pid namespace", and the TGID variants (commit ca567df74a28, 6.11). On the PID namespace
/// file of a new namespace's init: pid 1 there is the init's pid here, and the init's pid
/// here is 1 there (PID and TGID alike); a pid with no process in the target namespace — 2
/// there, or this process, which the inner namespace cannot see — fails ESRCH; on a network
/// namespace file the request fails EINVAL. Before 6.11: ENOTTY (variant `absent`).
///
/// Kernel change: 6.11, commit ca567df74a28 — NS_GET_{PID,TGID}_{FROM,IN}_PIDNS translate pids between PID namespaces (ENOTTY before).
#[test]
fn nsfs_translates_pids_between_pid_namespaces() {
    needs!(available(namespaces()));
    sandbox("pid translation", || {
        let (init, outer) = spawn_init("init", |serve| {
            serve.ready(());
            serve.wait_release();
        });
        init.ready::<()>();
        let pidns = ns_file(outer, "pid");
        let got = ns_ioctl_val(&pidns, NS_GET_PID_FROM_PIDNS, 1);
        if !variant::since(6, 11, "the nsfs pid translation ioctls") {
            assert_errno!(got, Errno::ENOTTY);
            init.expect_success();
            return;
        }
        let outer = outer.as_raw();
        assert_eq!(got, Ok(outer), "pid 1 of the new namespace, seen here");
        assert_eq!(ns_ioctl_val(&pidns, NS_GET_TGID_FROM_PIDNS, 1), Ok(outer));
        assert_eq!(ns_ioctl_val(&pidns, NS_GET_PID_IN_PIDNS, outer), Ok(1), "the init's pid, seen inside");
        assert_eq!(ns_ioctl_val(&pidns, NS_GET_TGID_IN_PIDNS, outer), Ok(1));
        assert_errno!(ns_ioctl_val(&pidns, NS_GET_PID_FROM_PIDNS, 2), Errno::ESRCH, "no pid 2 in there");
        assert_errno!(ns_ioctl_val(&pidns, NS_GET_PID_IN_PIDNS, getpid().as_raw()), Errno::ESRCH, "this process is not visible inside");
        let netns = ns_file("self", "net");
        assert_errno!(ns_ioctl_val(&netns, NS_GET_PID_FROM_PIDNS, 1), Errno::EINVAL, "not a PID namespace");
        init.expect_success();
    });
}

/// namespaces(7) (the /proc/PID/ns files) and include/uapi/linux/nsfs.h: NS_GET_MNTNS_ID "Get
/// the id for a mount namespace" and
/// NS_MNT_GET_INFO "Get information about namespace" (struct mnt_ns_info: size, nr_mounts,
/// mnt_ns_id; 6.12, with NS_MNT_GET_NEXT/PREV; NS_GET_MNTNS_ID possibly 6.11, version not
/// verified). The id is nonzero, NS_MNT_GET_INFO reports the same one and its size (16); a
/// new mount namespace has another id (not necessarily a larger one: on 6.18 in a privileged
/// container a new namespace got a smaller id than the container's own); mounting a tmpfs in it
/// raises its nr_mounts by exactly 1; NS_GET_MNTNS_ID on a network namespace file fails
/// EINVAL. Before: ENOTTY (variant `absent`).
///
/// Kernel change: 6.12 — NS_GET_MNTNS_ID and NS_MNT_GET_INFO identify a mount namespace and count its mounts (ENOTTY before; version not verified).
#[test]
fn nsfs_gives_a_mount_namespace_an_id_and_counts_its_mounts() {
    needs!(available(namespaces()));
    let (_s, [target]) = mount_points(["mnt"]);
    sandbox("mount namespace ids", || {
        let own = ns_file("self", "mnt");
        let got = ns_ioctl_u64(&own, NS_GET_MNTNS_ID);
        if !variant::since(6, 12, "NS_GET_MNTNS_ID and NS_MNT_GET_INFO") {
            assert_errno!(got, Errno::ENOTTY);
            assert_errno!(mnt_ns_info(&own), Errno::ENOTTY);
            return;
        }
        let id = got.expect("NS_GET_MNTNS_ID");
        assert_ne!(id, 0);
        let (size, _, info_id) = mnt_ns_info(&own).expect("NS_MNT_GET_INFO");
        assert_eq!((size, info_id), (16, id));
        assert_errno!(ns_ioctl_u64(ns_file("self", "net"), NS_GET_MNTNS_ID), Errno::EINVAL, "not a mount namespace");
        spawn("new mount namespace", || {
            enter(libc::CLONE_NEWNS);
            let mine = ns_file("self", "mnt");
            let new_id = ns_ioctl_u64(&mine, NS_GET_MNTNS_ID).expect("NS_GET_MNTNS_ID");
            assert_ne!(new_id, id, "a new namespace has an id of its own");
            let (_, before, _) = mnt_ns_info(&mine).unwrap();
            mount_tmpfs(&target, "size=64k");
            let (_, after, info_id) = mnt_ns_info(&mine).unwrap();
            assert_eq!((after, info_id), (before + 1, new_id), "one mount more");
        })
        .expect_success();
    });
}

/// namespaces(7) and include/uapi/linux/nsfs.h: NS_GET_ID "Retrieve namespace identifiers" — the mount
/// namespace's id extended to every namespace type (6.18; version not verified, present in the
/// 6.18 stable sources). For the network namespace: two opens of one namespace give one id,
/// a new network namespace has another one (not necessarily larger: see above); the UTS,
/// IPC and user namespaces have nonzero ids too. Before: ENOTTY (variant `absent`).
///
/// Kernel change: 6.18 — NS_GET_ID gives every namespace a 64-bit id (ENOTTY before; version not verified).
#[test]
fn nsfs_gives_every_namespace_a_64_bit_id() {
    needs!(available(namespaces()));
    sandbox("namespace ids", || {
        let net = ns_file("self", "net");
        let got = ns_ioctl_u64(&net, NS_GET_ID);
        if !variant::since(6, 18, "NS_GET_ID") {
            assert_errno!(got, Errno::ENOTTY);
            return;
        }
        let id = got.expect("NS_GET_ID");
        assert_ne!(id, 0);
        assert_eq!(ns_ioctl_u64(ns_file("self", "net"), NS_GET_ID), Ok(id), "a second open of the same namespace");
        for kind in ["uts", "ipc", "user"] {
            assert_ne!(ns_ioctl_u64(ns_file("self", kind), NS_GET_ID).expect(kind), 0, "{kind}");
        }
        spawn("new network namespace", || {
            enter(libc::CLONE_NEWNET);
            let new_id = ns_ioctl_u64(ns_file("self", "net"), NS_GET_ID).expect("NS_GET_ID");
            assert_ne!(new_id, id, "a new namespace has an id of its own");
        })
        .expect_success();
    });
}
