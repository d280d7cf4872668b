//! Named POSIX semaphores and namespaces. sem_overview(7): "a named semaphore is created in
//! a virtual filesystem, normally mounted under /dev/shm, with a name of the form
//! sem.somename"; ipc_namespaces(7) does not list POSIX semaphores. So a named semaphore
//! follows the mount namespace (its /dev/shm), not the IPC namespace.

use std::ffi::CStr;
use std::path::Path;

use containers::dev_shm::{dev_shm, enter_with_own_dev_shm};
use containers::sandbox::{enter, holding, namespaces, sandbox};
use fixtures::ns::ns_inode;
use fixtures::{IpcName, assert_errno, needs, spawn};
use nix::errno::Errno;

/// sem_open(3), with `O_CREAT|O_EXCL` and mode 0600 and value 0 when `create`.
fn sem_open(name: &CStr, create: bool) -> Result<*mut libc::sem_t, Errno> {
    // SAFETY: a valid C string; mode and value are read only with O_CREAT.
    let s = unsafe {
        if create {
            libc::sem_open(name.as_ptr(), libc::O_CREAT | libc::O_EXCL, 0o600 as libc::c_uint, 0 as libc::c_uint)
        } else {
            libc::sem_open(name.as_ptr(), 0)
        }
    };
    if s == libc::SEM_FAILED { Err(Errno::last()) } else { Ok(s) }
}

fn value(s: *mut libc::sem_t) -> libc::c_int {
    let mut v = -1;
    // SAFETY: a semaphore sem_open returned.
    assert_eq!(unsafe { libc::sem_getvalue(s, &mut v) }, 0);
    v
}

/// sem_overview(7), "Named semaphores", with ipc_namespaces(7) (which isolates System V IPC
/// and POSIX message queues only): a named semaphore created before unshare(CLONE_NEWIPC) is
/// still opened by name after it — the same semaphore: the child's sem_post(3) is seen by the
/// parent's sem_getvalue(3) (0 before, 1 after).
#[test]
fn a_named_semaphore_is_still_found_after_unshare_clone_newipc() {
    needs!(available(namespaces()), available(dev_shm()));
    let name = IpcName::sem("ipcns");
    sandbox("a named semaphore across IPC namespaces", || {
        let s = sem_open(name.as_cstr(), true).expect("sem_open(O_CREAT|O_EXCL)");
        assert_eq!(value(s), 0);
        spawn("in a new IPC namespace", || {
            let before = ns_inode("self", "ipc");
            enter(libc::CLONE_NEWIPC);
            assert_ne!(ns_inode("self", "ipc"), before);
            let inner = sem_open(name.as_cstr(), false).expect("sem_open of the name after unshare(CLONE_NEWIPC)");
            // SAFETY: a semaphore sem_open returned.
            assert_eq!(unsafe { libc::sem_post(inner) }, 0);
        })
        .expect_success();
        assert_eq!(value(s), 1, "the child's post");
    });
}

/// sem_overview(7): the semaphore is a file sem.NAME of the tmpfs on /dev/shm; with
/// mount_namespaces(7), a process whose mount namespace has a private tmpfs on /dev/shm (as a
/// container's runtime mounts one) creates its named semaphores there: sem_open(3) of that
/// name fails ENOENT outside, and no sem.NAME appears in the outer /dev/shm.
#[test]
fn a_named_semaphore_under_a_private_dev_shm_is_enoent_outside() {
    needs!(available(namespaces()), available(dev_shm()));
    let name = IpcName::sem("mntns");
    sandbox("a named semaphore under a private /dev/shm", || {
        let container = holding("container with its own /dev/shm", || {
            enter_with_own_dev_shm(0, "mode=1777,size=1m");
            sem_open(name.as_cstr(), true).expect("sem_open(O_CREAT|O_EXCL) inside");
        });
        assert_errno!(sem_open(name.as_cstr(), false), Errno::ENOENT, "the semaphore outside");
        assert!(!Path::new("/dev/shm").join(format!("sem.{}", name.bare())).exists());
        container.expect_success();
    });
}
