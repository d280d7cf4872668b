//! Descriptors cross every namespace. namespaces(7): "A namespace wraps a global system
//! resource in an abstraction that makes it appear to the processes within the namespace
//! that they have their own isolated instance of the global resource" — namespaces isolate
//! names (paths, keys, addresses, pids), not open files. A mechanism that has no name at all
//! (a pipe, an eventfd, a socketpair, a memfd) is reached only through a descriptor, and a
//! descriptor inherited before unshare(2) keeps working after it.

use std::os::fd::{AsFd, OwnedFd};

use containers::sandbox::{enter, namespaces, sandbox};
use fixtures::io::{owned, read_once, write_once};
use fixtures::memory::Mapping;
use fixtures::ns::ns_inode;
use fixtures::{needs, spawn, sys};
use rstest::rstest;

/// The mechanisms without a name.
#[derive(Clone, Copy, Debug)]
enum Unnamed {
    Pipe,
    Eventfd,
    Socketpair,
    Memfd,
}

/// Two descriptors: what the child reads from and writes to (`down`), what the parent
/// writes to and reads from (`up`); the same object where it carries both ways.
fn make(kind: Unnamed) -> (Vec<OwnedFd>, Option<Mapping>) {
    let mut fds = [0; 2];
    match kind {
        Unnamed::Pipe => {
            // Two pipes, one each way: [down rx, down tx, up rx, up tx].
            let mut v = Vec::new();
            for _ in 0..2 {
                // SAFETY: a valid array of two ints.
                sys(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) }).unwrap();
                v.extend(fds.map(owned));
            }
            (v, None)
        }
        Unnamed::Eventfd => {
            // SAFETY: plain eventfd(2).
            let e = sys(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) }).map(owned).unwrap();
            (vec![e], None)
        }
        Unnamed::Socketpair => {
            // SAFETY: a valid array of two ints.
            sys(unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0, fds.as_mut_ptr()) }).unwrap();
            (fds.map(owned).into(), None)
        }
        Unnamed::Memfd => {
            // SAFETY: a valid name.
            let m = sys(unsafe { libc::memfd_create(c"ipcspec-unnamed".as_ptr(), libc::MFD_CLOEXEC) }).map(owned).unwrap();
            fixtures::io::ftruncate(&m, fixtures::memory::page_size() as i64).unwrap();
            let map = Mapping::shared(&m, fixtures::memory::page_size());
            (vec![m], Some(map))
        }
    }
}

fn send(fd: impl AsFd, b: &[u8]) {
    assert_eq!(write_once(fd, b), Ok(b.len()));
}

fn take(fd: impl AsFd, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    let got = read_once(fd, &mut buf).expect("read of data already queued");
    buf.truncate(got);
    buf
}

/// namespaces(7) with unshare(2): a child inherits a descriptor of `kind`, then moves into new
/// IPC, mount and network namespaces (its /proc/self/ns links change); the object still
/// carries data both ways between it and its parent, which stayed behind. Asserted per kind:
/// the child reads exactly what the parent queued before, and the parent reads exactly what
/// the child answered — two pipes ("down", "up"), an eventfd (the counter 5 read, 7 written
/// back), a UNIX stream socketpair, and a memfd (a byte stored through a MAP_SHARED mapping of
/// it made before, and through a new mapping of the inherited descriptor made after).
#[rstest]
#[case::pipe(Unnamed::Pipe)]
#[case::eventfd(Unnamed::Eventfd)]
#[case::socketpair(Unnamed::Socketpair)]
#[case::memfd(Unnamed::Memfd)]
fn an_inherited_unnamed_object_works_across_new_ipc_mount_and_network_namespaces(#[case] kind: Unnamed) {
    needs!(available(namespaces()));
    sandbox("an unnamed object across namespaces", || {
        let (fds, map) = make(kind);
        match kind {
            Unnamed::Pipe => send(&fds[1], b"down"),
            Unnamed::Eventfd => send(&fds[0], &5u64.to_ne_bytes()),
            Unnamed::Socketpair => send(&fds[0], b"down"),
            Unnamed::Memfd => map.as_ref().unwrap().store(0, 0x11),
        }
        spawn("in new IPC, mount and network namespaces", || {
            let before = ["ipc", "mnt", "net"].map(|k| ns_inode("self", k));
            enter(libc::CLONE_NEWIPC | libc::CLONE_NEWNS | libc::CLONE_NEWNET);
            for (k, b) in ["ipc", "mnt", "net"].iter().zip(before) {
                assert_ne!(ns_inode("self", k), b, "a new {k} namespace");
            }
            match kind {
                Unnamed::Pipe => {
                    assert_eq!(take(&fds[0], 16), b"down");
                    send(&fds[3], b"up");
                }
                Unnamed::Eventfd => {
                    assert_eq!(take(&fds[0], 8), 5u64.to_ne_bytes());
                    send(&fds[0], &7u64.to_ne_bytes());
                }
                Unnamed::Socketpair => {
                    assert_eq!(take(&fds[1], 16), b"down");
                    send(&fds[1], b"up");
                }
                Unnamed::Memfd => {
                    let map = map.as_ref().unwrap();
                    assert_eq!(map.load(0), 0x11);
                    let again = Mapping::shared(&fds[0], fixtures::memory::page_size());
                    assert_eq!(again.load(0), 0x11, "a mapping made after unshare(2)");
                    again.store(1, 0x22);
                    map.store(2, 0x33);
                }
            }
        })
        .expect_success();
        match kind {
            Unnamed::Pipe => assert_eq!(take(&fds[2], 16), b"up"),
            Unnamed::Eventfd => assert_eq!(take(&fds[0], 8), 7u64.to_ne_bytes()),
            Unnamed::Socketpair => assert_eq!(take(&fds[0], 16), b"up"),
            Unnamed::Memfd => {
                let map = map.as_ref().unwrap();
                assert_eq!((map.load(1), map.load(2)), (0x22, 0x33));
            }
        }
    });
}
