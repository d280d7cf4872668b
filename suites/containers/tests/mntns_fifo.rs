//! FIFOs and namespaces. fifo(7): a FIFO "has a name within the filesystem" and "is opened
//! in the same way as an ordinary file": it is found through the mount namespace's view of
//! the filesystem; ipc_namespaces(7) lists System V IPC and POSIX message queues, not FIFOs,
//! so the IPC namespace plays no part.

use std::path::Path;

use containers::sandbox::{enter, holding, mount_points, mount_tmpfs, namespaces, sandbox};
use fixtures::io::{open_cloexec, read_once, write_once};
use fixtures::ns::ns_inode;
use fixtures::{Scratch, assert_errno, needs, spawn};
use nix::errno::Errno;
use nix::sys::stat::Mode;

/// fifo(7) with mount_namespaces(7): a FIFO made in a tmpfs that is mounted only in another
/// mount namespace is not in this one's filesystem: open(2) of its path fails ENOENT outside
/// (for O_RDONLY|O_NONBLOCK, which would succeed at once on a FIFO), while inside it opens.
#[test]
fn a_fifo_in_a_private_mount_is_enoent_from_another_mount_namespace() {
    needs!(available(namespaces()));
    let (_s, [dir]) = mount_points(["private"]);
    let fifo = dir.join("fifo");
    sandbox("a FIFO in a private tmpfs", || {
        let holder = holding("owner of a private mount", || {
            enter(libc::CLONE_NEWNS);
            mount_tmpfs(&dir, "mode=0755");
            nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o600)).unwrap();
            open_cloexec(&fifo, libc::O_RDONLY | libc::O_NONBLOCK).expect("the FIFO inside its mount namespace");
        });
        assert_errno!(open_cloexec(&fifo, libc::O_RDONLY | libc::O_NONBLOCK), Errno::ENOENT, "the FIFO from outside");
        holder.expect_success();
    });
}

/// fifo(7): "A FIFO special file ... is accessed as part of the filesystem"; "the FIFO
/// special file has no contents on the filesystem" — the data passes through the kernel
/// between whoever opens the path, whatever IPC namespace they are in. Asserted: with the
/// reader opened outside, a writer in a new IPC namespace (a new /proc/self/ns/ipc) opens the
/// same path O_WRONLY|O_NONBLOCK (which fails ENXIO when no reader has it open) and writes,
/// and the reader outside reads exactly its bytes.
#[test]
fn a_fifo_connects_a_writer_in_a_new_ipc_namespace_with_a_reader_outside() {
    needs!(available(namespaces()));
    let s = Scratch::new();
    let fifo = s.join("fifo");
    sandbox("a FIFO across IPC namespaces", || {
        nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o600)).unwrap();
        let rx = open_cloexec(&fifo, libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
        spawn("writer in a new IPC namespace", || {
            let before = ns_inode("self", "ipc");
            enter(libc::CLONE_NEWIPC);
            assert_ne!(ns_inode("self", "ipc"), before);
            let tx = open_cloexec(Path::new(&fifo), libc::O_WRONLY | libc::O_NONBLOCK).expect("open O_WRONLY: the outer reader counts");
            assert_eq!(write_once(&tx, b"across ipc"), Ok(10));
        })
        .expect_success();
        let mut buf = [0u8; 32];
        assert_eq!(read_once(&rx, &mut buf), Ok(10));
        assert_eq!(&buf[..10], b"across ipc");
    });
}
