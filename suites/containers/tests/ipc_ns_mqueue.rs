//! POSIX message queues and IPC namespaces: a queue belongs to the IPC namespace it was
//! created in (ipc_namespaces(7)), is reached from elsewhere only by joining that
//! namespace (setns(2), what `docker run --ipc=container:<id>` does), lives as long as the
//! namespace does (namespaces(7), "Namespace lifetime"), and goes with it.

use std::path::Path;

use containers::objects::{mq_create, mq_create_with, mq_open_existing, mq_receive, mq_send, mq_unlink};
use containers::sandbox::{bind_mount, ns_inode, setns};
use containers::{Pause, Settle, enter, join_ns, ns_file, sandbox, skip_in_child, wait_from};
use fixtures::gate::{Cap, has_cap};
use fixtures::sync::channel;
use fixtures::{IpcName, Scratch, assert_errno, spawn};
use nix::errno::Errno;
use nix::sched::CloneFlags;

/// ipc_namespaces(7): "Objects created in an IPC namespace are visible to all other
/// processes that are members of that namespace, but are not visible to processes in other
/// IPC namespaces." A queue of the outer namespace is ENOENT after unshare(CLONE_NEWIPC),
/// and its name is free there: O_CREAT|O_EXCL succeeds (a different queue).
#[test]
fn mq_of_the_outer_ipc_namespace_is_not_found_after_unshare() {
    let q = IpcName::mq("outer");
    sandbox("outer queue, inner lookup", || {
        let outer = mq_create(q.as_cstr()).expect("create the outer queue");
        mq_send(&outer, b"outer");
        spawn("in a new IPC namespace", || {
            let before = ns_inode("self", "ipc");
            enter(CloneFlags::CLONE_NEWIPC);
            assert_ne!(ns_inode("self", "ipc"), before, "unshare(CLONE_NEWIPC) must give a new namespace");
            assert_errno!(mq_open_existing(q.as_cstr()), Errno::ENOENT, "mq_open of the outer queue's name");
            let inner = mq_create(q.as_cstr()).expect("the name is free in the new namespace");
            assert_errno!(mq_receive(&inner), Errno::EAGAIN, "the inner queue is a new, empty queue");
        })
        .settle();
        assert_eq!(mq_receive(&outer).unwrap(), b"outer", "the outer queue is untouched");
    });
}

/// ipc_namespaces(7), as above, the other way round: a queue created in a new IPC
/// namespace is ENOENT outside, for mq_open(3) and mq_unlink(3), while its creator is alive.
#[test]
fn mq_created_in_a_new_ipc_namespace_is_not_found_outside() {
    let q = IpcName::mq("inner");
    sandbox("inner queue, outer lookup", || {
        let p = Pause::new();
        let mut creator = spawn("creator in a new IPC namespace", || {
            enter(CloneFlags::CLONE_NEWIPC);
            let _fd = mq_create(q.as_cstr()).expect("create");
            p.ready_and_wait();
        });
        p.wait_ready(&mut creator);
        assert_errno!(mq_open_existing(q.as_cstr()), Errno::ENOENT, "mq_open outside");
        assert_errno!(mq_unlink(q.as_cstr()), Errno::ENOENT, "mq_unlink outside");
        p.release();
        creator.settle();
    });
}

/// setns(2): joining a process's IPC namespace through /proc/<pid>/ns/ipc makes its queues
/// visible (namespaces(7), "The /proc/[pid]/ns/ directory"). Before setns the joiner gets
/// ENOENT; after it, both see one queue: a message crosses in each direction.
#[test]
fn mq_is_shared_after_setns_into_the_creators_ipc_namespace() {
    let q = IpcName::mq("shared");
    sandbox("setns into the creator's IPC namespace", || {
        let p = Pause::new();
        let mut creator = spawn("creator", || {
            enter(CloneFlags::CLONE_NEWIPC);
            let fd = mq_create(q.as_cstr()).expect("create");
            mq_send(&fd, b"from creator");
            p.ready_and_wait();
            assert_eq!(mq_receive(&fd).unwrap(), b"from joiner", "the joiner's message");
        });
        p.wait_ready(&mut creator);
        let pid = creator.pid();
        spawn("joiner", || {
            assert_errno!(mq_open_existing(q.as_cstr()), Errno::ENOENT, "before setns");
            join_ns(pid, "ipc", CloneFlags::CLONE_NEWIPC);
            let fd = mq_open_existing(q.as_cstr()).expect("mq_open after setns");
            assert_eq!(mq_receive(&fd).unwrap(), b"from creator");
            mq_send(&fd, b"from joiner");
        })
        .settle();
        p.release();
        creator.settle();
    });
}

/// namespaces(7), "Namespace lifetime": an open file descriptor for /proc/<pid>/ns/ipc
/// keeps the namespace alive "even if all processes in the namespace terminate". The
/// queue, with its message, is found by a process that joins through that descriptor
/// after its creator has exited.
#[test]
fn mq_outlives_its_creator_while_an_ns_fd_is_open() {
    let q = IpcName::mq("pinned-fd");
    sandbox("ns fd keeps the namespace", || {
        let p = Pause::new();
        let mut creator = spawn("creator", || {
            enter(CloneFlags::CLONE_NEWIPC);
            let fd = mq_create(q.as_cstr()).expect("create");
            mq_send(&fd, b"kept");
            p.ready_and_wait();
        });
        p.wait_ready(&mut creator);
        let pinned = ns_file(creator.pid(), "ipc");
        p.release();
        creator.settle();
        spawn("joiner after the creator exited", || {
            setns(&pinned, CloneFlags::CLONE_NEWIPC).expect("setns through the held descriptor");
            let fd = mq_open_existing(q.as_cstr()).expect("the queue still exists");
            assert_eq!(mq_receive(&fd).unwrap(), b"kept");
        })
        .settle();
    });
}

/// namespaces(7): "Bind mounting ... one of the files in this directory to somewhere else
/// in the filesystem keeps the corresponding namespace ... alive even if all processes
/// currently in the namespace terminate." The bind mount lives in a private mount
/// namespace; there the queue is reached through it after its creator exited, while
/// outside that mount namespace the target is still the plain empty file (setns: EINVAL).
#[test]
fn mq_outlives_its_creator_while_the_ns_file_is_bind_mounted() {
    let q = IpcName::mq("pinned-mount");
    let s = Scratch::new();
    let target = s.file("ipc-ns", b"");
    sandbox("bind mount keeps the namespace", || {
        let p = Pause::new();
        let mut creator = spawn("creator", || {
            enter(CloneFlags::CLONE_NEWIPC);
            let fd = mq_create(q.as_cstr()).expect("create");
            mq_send(&fd, b"kept");
            p.ready_and_wait();
        });
        p.wait_ready(&mut creator);
        let creator_ns = format!("/proc/{}/ns/ipc", creator.pid());
        let (mounted_tx, mounted_rx) = channel();
        let (gone_tx, gone_rx) = channel();
        let mut holder = spawn("holder of the bind mount", || {
            enter(CloneFlags::CLONE_NEWNS);
            bind_mount(Path::new(&creator_ns), &target);
            mounted_tx.notify();
            gone_rx.wait();
            spawn("joiner through the bind mount", || {
                let f = std::fs::File::open(&target).expect("open the bind-mounted ns file");
                setns(&f, CloneFlags::CLONE_NEWIPC).expect("setns through the bind mount");
                let fd = mq_open_existing(q.as_cstr()).expect("the queue still exists");
                assert_eq!(mq_receive(&fd).unwrap(), b"kept");
            })
            .settle();
        });
        wait_from(&mounted_rx, 1, &mut holder);
        p.release();
        creator.settle();
        gone_tx.notify();
        holder.settle();
        let plain = std::fs::File::open(&target).expect("open the target outside the holder's mounts");
        assert_errno!(setns(&plain, CloneFlags::CLONE_NEWIPC), Errno::EINVAL, "outside, the target is a regular file");
    });
}

/// ipc_namespaces(7): "When an IPC namespace is destroyed (i.e., when the last process
/// that is a member of the namespace terminates), all IPC objects in the namespace are
/// automatically destroyed." Observed through RLIMIT_MSGQUEUE (getrlimit(2)): the bytes of
/// a queue count against its creator's uid until the queue is freed. With a limit that
/// admits one queue (a second gets EMFILE), a queue in a fresh namespace succeeds again
/// only once the first namespace, abandoned with its queue still named, has been
/// destroyed. The kernel frees a dead namespace's queues in a work item, so the second
/// creation is retried until it succeeds, bounded by the deadline.
///
/// Needs a uid no other process uses (the count is per user): root with CAP_SETUID.
#[test]
fn mq_bytes_are_released_when_the_ipc_namespace_dies() {
    let q = IpcName::mq("accounted");
    sandbox("queue destroyed with its namespace", || {
        if containers::sandbox::access() != Ok(containers::sandbox::Access::Direct) || !has_cap(Cap::SETUID) {
            skip_in_child("needs a uid of its own for exact RLIMIT_MSGQUEUE accounting: root with CAP_SETUID and CAP_SYS_ADMIN");
        }
        // 10 messages of 8192 bytes (the defaults of a new namespace) plus the kernel's
        // per-message overhead is about 82 KB: one queue fits under 100000, two do not.
        const LIMIT: libc::rlim_t = 100_000;
        let uid = 1_500_000_000 + std::process::id();
        let as_private_user = || {
            let lim = libc::rlimit { rlim_cur: LIMIT, rlim_max: LIMIT };
            // SAFETY: plain system calls; this child is single-threaded.
            unsafe {
                assert_eq!(libc::setrlimit(libc::RLIMIT_MSGQUEUE, &lim), 0, "setrlimit");
                assert_eq!(libc::setgroups(0, std::ptr::null()), 0, "setgroups");
                assert_eq!(libc::setresgid(uid, uid, uid), 0, "setresgid");
                assert_eq!(libc::setresuid(uid, uid, uid), 0, "setresuid");
            }
        };
        spawn("first namespace", || {
            enter(CloneFlags::CLONE_NEWIPC);
            as_private_user();
            let _a = mq_create_with(q.as_cstr(), 10, 8192).expect("the first queue fits");
            let other = IpcName::mq("second");
            assert_errno!(mq_create_with(other.as_cstr(), 10, 8192), Errno::EMFILE, "a second queue exceeds the limit");
            // Exit with the queue still named: only the namespace's death can free it.
        })
        .settle();
        spawn("second namespace", || {
            enter(CloneFlags::CLONE_NEWIPC);
            as_private_user();
            let deadline = std::time::Instant::now() + fixtures::scaled(fixtures::DEFAULT_DEADLINE);
            loop {
                match mq_create_with(q.as_cstr(), 10, 8192) {
                    Ok(_) => break,
                    Err(Errno::EMFILE) if std::time::Instant::now() < deadline => {
                        // SAFETY: sched_yield has no arguments; lets the kernel's work item run.
                        unsafe { libc::sched_yield() };
                    }
                    Err(e) => panic!("the dead namespace's queue was never freed: mq_open still fails with {e:?}"),
                }
            }
        })
        .settle();
    });
}
