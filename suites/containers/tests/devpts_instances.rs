//! Pseudoterminals and containers. A container gets its own /dev/pts by mounting a new devpts
//! instance (mount(8), devpts "newinstance": "Create a private instance of the devpts
//! filesystem, such that indices of pseudo terminals allocated in this new instance are
//! independent of indices created in other instances of devpts. ... This option is mainly
//! used to support containers"). Since Linux 4.7 every devpts mount is a new instance.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use containers::sandbox::{enter, holding, mount_points, namespaces, sandbox};
use fixtures::facility::pty;
use fixtures::io::open_cloexec;
use fixtures::{assert_errno, needs, sys};
use nix::errno::Errno;

/// In a child with a private mount namespace: mount a new devpts instance with `options` on
/// `dir` (a refused mount skips, variant `blocked`).
fn mount_devpts(dir: &Path, options: &str) {
    match fixtures::ns::mount_fs("devpts", "devpts", dir, Some(options)) {
        Ok(()) => {}
        Err(e @ (Errno::EPERM | Errno::EACCES)) => fixtures::skip_blocked!("mount -t devpts -o {options}: {e:?}"),
        Err(e) => panic!("mount -t devpts -o {options} on {}: {e:?}", dir.display()),
    }
}

/// The pty index of a master (TIOCGPTN).
fn index(master: &OwnedFd) -> u32 {
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes an unsigned int.
    sys(unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTN, &mut n) }).expect("TIOCGPTN");
    n
}

/// mount(8), devpts "newinstance" and "ptmxmode" ("each instance has a private ptmx node in
/// the root of the devpts filesystem"), with pts(4): while this process holds a pty of the
/// outer /dev/pts, a process in a new mount namespace mounts a new devpts instance and opens
/// its ptmx: the pty gets index 0 (the instance numbers from 0, whatever the outer instance
/// has in use), its slave is `<mount>/0` on the new instance (another st_dev than /dev/pts),
/// and from outside the mount point is an empty directory: `<mount>/0` is ENOENT there.
#[test]
fn a_pty_of_a_new_devpts_instance_is_numbered_apart_and_absent_outside() {
    needs!(available(namespaces()), available(pty()));
    let (_s, [pts]) = mount_points(["pts"]);
    let outer_dev = std::fs::metadata("/dev/pts").unwrap().dev();
    sandbox("a pty of a private devpts instance", || {
        let _outer = open_cloexec(Path::new("/dev/ptmx"), libc::O_RDWR | libc::O_NOCTTY).expect("open /dev/ptmx");
        let container = holding("container with its own devpts", || {
            enter(libc::CLONE_NEWNS);
            mount_devpts(&pts, "newinstance,ptmxmode=0666,mode=0620");
            let m = open_cloexec(&pts.join("ptmx"), libc::O_RDWR | libc::O_NOCTTY).expect("open the instance's ptmx");
            assert_eq!(index(&m), 0, "the first pty of a new instance");
            let slave = std::fs::metadata(pts.join("0")).expect("the slave in the new instance");
            assert_ne!(slave.dev(), outer_dev, "the slave lives on another devpts instance");
            m
        });
        assert_errno!(open_cloexec(&pts.join("0"), libc::O_RDWR | libc::O_NOCTTY), Errno::ENOENT, "the inner slave from outside");
        assert_eq!(std::fs::read_dir(&pts).unwrap().count(), 0, "the mount point outside is empty");
        container.expect_success();
    });
}

/// Documentation/filesystems/devpts.rst: "Per-instance limit could be set by adding mount
/// option max=<count>" (commit e9aba5158a80, 3.4, "tty: rework pty count limiting", which
/// also made open of ptmx "return -ENOSPC in case lack of pty indexes") — a container's own
/// bound, under the global kernel.pty.max. With max=2, two ptys open in the instance and the
/// third open(2) of its ptmx fails ENOSPC; after one is closed, an open succeeds again.
#[test]
fn devpts_max_bounds_the_ptys_of_one_instance() {
    needs!(available(namespaces()), available(pty()));
    let (_s, [pts]) = mount_points(["pts"]);
    sandbox("a devpts instance with max=2", || {
        enter(libc::CLONE_NEWNS);
        mount_devpts(&pts, "newinstance,ptmxmode=0666,max=2");
        let ptmx = pts.join("ptmx");
        let a = open_cloexec(&ptmx, libc::O_RDWR | libc::O_NOCTTY).expect("first pty");
        let _b = open_cloexec(&ptmx, libc::O_RDWR | libc::O_NOCTTY).expect("second pty");
        assert_errno!(open_cloexec(&ptmx, libc::O_RDWR | libc::O_NOCTTY), Errno::ENOSPC, "a third pty with max=2");
        drop(a);
        open_cloexec(&ptmx, libc::O_RDWR | libc::O_NOCTTY).expect("a pty after one was closed");
    });
}
