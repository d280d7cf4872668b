//! The mqueue filesystem and IPC namespaces. ipc_namespaces(7): "Each IPC namespace has
//! its own ... POSIX message queue filesystem"; mq_overview(7), "Mounting the message queue
//! filesystem": mounted, it shows the queues as files. The kernel takes the IPC namespace of
//! the process that calls mount(2) (ipc/mqueue.c, mqueue_init_fs_context()), so a mount
//! keeps showing that namespace whatever namespace its reader is in.
//!
//! Every mount is made in a private mount namespace of a child, on a scratch directory.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use containers::objects::{mq_create, mq_open_existing, mq_receive, mq_send};
use containers::sandbox::{enter, mount_mqueue, mount_points, namespaces, sandbox};
use fixtures::io::open_cloexec;
use fixtures::ns::{ns_file, setns};
use fixtures::{Agent, IpcName, assert_errno, needs, spawn};
use nix::errno::Errno;

/// Run `body` in a child of the sandbox with new IPC and mount namespaces (the mounter).
#[track_caller]
fn in_new_ipc_and_mount_namespaces(what: &str, body: impl FnOnce()) {
    sandbox(what, || {
        spawn("mounter in new IPC and mount namespaces", || {
            enter(libc::CLONE_NEWIPC | libc::CLONE_NEWNS);
            body();
        })
        .expect_success();
    });
}

/// The names listed in a directory.
fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn names(v: &[&IpcName]) -> BTreeSet<String> {
    v.iter().map(|n| n.bare().to_string()).collect()
}

/// mq_overview(7): "After the filesystem has been mounted, the message queues on the
/// system can be viewed"; ipc_namespaces(7): each namespace has its own mqueue filesystem.
/// Mounted from a new IPC namespace holding two queues, the directory lists exactly those
/// two, not the queue that exists in the outer namespace.
#[test]
fn mqueue_mount_lists_only_the_queues_of_the_mounters_namespace() {
    needs!(available(namespaces()));
    let (_s, [dir]) = mount_points(["mqueue"]);
    let outer = IpcName::mq("outer");
    let (a, b) = (IpcName::mq("a"), IpcName::mq("b"));
    sandbox("mqueue mount of a new namespace", || {
        let _outer = mq_create(outer.as_cstr()).expect("a queue outside");
        spawn("mounter in new IPC and mount namespaces", || {
            enter(libc::CLONE_NEWIPC | libc::CLONE_NEWNS);
            let _a = mq_create(a.as_cstr()).unwrap();
            let _b = mq_create(b.as_cstr()).unwrap();
            mount_mqueue(&dir);
            assert_eq!(listing(&dir), names(&[&a, &b]));
        })
        .expect_success();
        assert_eq!(listing(&dir), BTreeSet::new(), "outside the mounter's mount namespace the directory is empty");
    });
}

/// The mount shows the IPC namespace of the process that mounted it, not of the reader: a
/// process mounts the mqueue filesystem of namespace 1, then moves itself to a new IPC
/// namespace 2 and creates a queue there. The old mount still lists only namespace 1's
/// queue (which mq_open(3) no longer finds), and a second mount made now lists only
/// namespace 2's queue.
#[test]
fn mqueue_mount_keeps_showing_the_namespace_it_was_mounted_from() {
    needs!(available(namespaces()));
    let (_s, [dir1, dir2]) = mount_points(["ns1", "ns2"]);
    let (q1, q2) = (IpcName::mq("one"), IpcName::mq("two"));
    in_new_ipc_and_mount_namespaces("mount follows the mounter's namespace", || {
        let fd1 = mq_create(q1.as_cstr()).unwrap();
        mount_mqueue(&dir1);
        // Keep namespace 1 alive while this process leaves it (see the next tests).
        let pin = ns_file(nix::unistd::getpid(), "ipc");
        enter(libc::CLONE_NEWIPC);
        let _fd2 = mq_create(q2.as_cstr()).unwrap();
        assert_errno!(mq_open_existing(q1.as_cstr()), Errno::ENOENT, "namespace 1's queue from namespace 2");
        assert_eq!(listing(&dir1), names(&[&q1]), "the first mount still shows namespace 1");
        mount_mqueue(&dir2);
        assert_eq!(listing(&dir2), names(&[&q2]), "a mount made now shows namespace 2");
        drop((fd1, pin));
    });
}

/// mq_overview(7): "The sticky bit is automatically enabled on the mount directory." The
/// root of a fresh mqueue mount has mode 1777 (sticky, everyone may create queues).
#[test]
fn mqueue_mount_root_is_sticky_and_writable_by_all() {
    needs!(available(namespaces()));
    let (_s, [dir]) = mount_points(["mqueue"]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    in_new_ipc_and_mount_namespaces("mode of the mount root", || {
        mount_mqueue(&dir);
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o1777, "mode of the mounted mqueue root: {mode:o}");
    });
}

/// mq_overview(7): a queue file holds "a single line containing information about the
/// queue", "QSIZE  Number of bytes of data in all messages in the queue", and queues "can
/// be ... manipulated using the commands usually used for files (e.g., ls(1) and rm(1))".
/// Two messages of 5 and 3 bytes read as QSIZE:8 with no notification registered, and
/// unlink(2) of the file removes the queue from its namespace (mq_open: ENOENT).
#[test]
fn queue_file_shows_qsize_and_unlinking_it_removes_the_queue() {
    needs!(available(namespaces()));
    let (_s, [dir]) = mount_points(["mqueue"]);
    let q = IpcName::mq("file");
    in_new_ipc_and_mount_namespaces("queue files", || {
        let fd = mq_create(q.as_cstr()).unwrap();
        mq_send(&fd, b"hello");
        mq_send(&fd, b"abc");
        mount_mqueue(&dir);
        let line = std::fs::read_to_string(dir.join(q.bare())).unwrap();
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields, ["QSIZE:8", "NOTIFY:0", "SIGNO:0", "NOTIFY_PID:0"], "queue file line {line:?}");
        std::fs::remove_file(dir.join(q.bare())).expect("rm of the queue file");
        assert_errno!(mq_open_existing(q.as_cstr()), Errno::ENOENT, "after unlinking the file");
        assert_eq!(mq_receive(&fd).unwrap(), b"hello", "an open descriptor keeps the unlinked queue");
    });
}

/// namespaces(7), "Namespace lifetime": an open /proc/<pid>/ns/ipc descriptor keeps the
/// namespace alive after its last member left. The mqueue mount of that namespace stays
/// fully usable: a queue created through it (open(2) with O_CREAT in the mount) exists in
/// the namespace, as a process that joins through the descriptor finds with mq_open(3).
#[test]
fn mqueue_mount_of_a_namespace_pinned_by_an_ns_fd_still_creates_queues() {
    needs!(available(namespaces()));
    let (_s, [dir]) = mount_points(["mqueue"]);
    let q = IpcName::mq("created-through-mount");
    sandbox("pinned namespace behind a mount", || {
        let mounter = Agent::<(), ()>::spawn("mounter", |serve| {
            enter(libc::CLONE_NEWIPC | libc::CLONE_NEWNS);
            mount_mqueue(&dir);
            serve.ready(());
            serve.wait_release();
            enter(libc::CLONE_NEWIPC); // the last member leaves; the test's fd pins it
            open_cloexec(&dir.join(q.bare()), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR)
                .expect("creating a queue through the mount of the pinned namespace");
        });
        mounter.ready::<()>();
        let pinned = ns_file(mounter.pid(), "ipc");
        mounter.expect_success();
        spawn("joiner", || {
            setns(&pinned, libc::CLONE_NEWIPC).unwrap();
            mq_open_existing(q.as_cstr()).expect("the queue made through the mount is in the namespace");
        })
        .expect_success();
    });
}

/// namespaces(7) lists among the things that "pin a namespace into existence": "It is an
/// IPC namespace, and a corresponding mount of an mqueue filesystem ... refers to this
/// namespace"; ipc_namespaces(7): when the namespace is destroyed "all IPC objects in the
/// namespace are automatically destroyed". Linux differs from both pages here (see
/// docs/findings.md): once the last member has left, the namespace is gone even
/// though its mqueue filesystem is still mounted — creating a queue through the mount fails
/// with EACCES (ipc/mqueue.c: the superblock's namespace is cleared when the namespace's
/// count drops to zero) — while the queues already there live on with the mount: listed,
/// and a message sent before is still received through open(2) of the queue file.
#[test]
fn mqueue_mount_does_not_keep_a_memberless_ipc_namespace_alive() {
    needs!(available(namespaces()));
    let (_s, [dir]) = mount_points(["mqueue"]);
    let (kept, late) = (IpcName::mq("kept"), IpcName::mq("late"));
    in_new_ipc_and_mount_namespaces("memberless namespace behind a mount", || {
        let fd = mq_create(kept.as_cstr()).unwrap();
        mq_send(&fd, b"sent before");
        drop(fd);
        mount_mqueue(&dir);
        open_cloexec(&dir.join("probe"), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR)
            .expect("while this process is a member, creating through the mount works");
        std::fs::remove_file(dir.join("probe")).unwrap();
        enter(libc::CLONE_NEWIPC); // the only member leaves; only the mount refers to it
        assert_errno!(
            open_cloexec(&dir.join(late.bare()), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR),
            Errno::EACCES,
            "creating a queue through the mount of the memberless namespace"
        );
        assert_eq!(listing(&dir), names(&[&kept]), "the existing queue is still listed");
        let q = open_cloexec(&dir.join(kept.bare()), libc::O_RDWR | libc::O_NONBLOCK).expect("open(2) of the queue file");
        assert_eq!(mq_receive(&q).unwrap(), b"sent before", "the queue and its message survived");
    });
}
