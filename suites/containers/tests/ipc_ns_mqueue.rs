//! POSIX message queues and IPC namespaces: a queue belongs to the IPC namespace it was
//! created in (ipc_namespaces(7)), is reached from elsewhere only by joining that
//! namespace (setns(2), what `docker run --ipc=container:<id>` does), lives as long as the
//! namespace does (namespaces(7), "Namespace lifetime"), and goes with it.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use containers::objects::{mq_create, mq_create_with, mq_open_existing, mq_receive, mq_send, mq_unlink};
use containers::sandbox::{bind_mount, direct_namespaces, enter, namespaces, sandbox};
use fixtures::ns::{join, ns_file, ns_inode, setns};
use fixtures::{Agent, IpcName, Scratch, assert_errno, needs, spawn};
use nix::errno::Errno;

/// ipc_namespaces(7): "Objects created in an IPC namespace are visible to all other
/// processes that are members of that namespace, but are not visible to processes in other
/// IPC namespaces." A queue of the outer namespace is ENOENT after unshare(CLONE_NEWIPC),
/// and its name is free there: O_CREAT|O_EXCL succeeds (a different queue).
#[test]
fn mq_of_the_outer_ipc_namespace_is_not_found_after_unshare() {
    needs!(available(namespaces()));
    let q = IpcName::mq("outer");
    sandbox("outer queue, inner lookup", || {
        let outer = mq_create(q.as_cstr()).expect("create the outer queue");
        mq_send(&outer, b"outer");
        spawn("in a new IPC namespace", || {
            let before = ns_inode("self", "ipc");
            enter(libc::CLONE_NEWIPC);
            assert_ne!(ns_inode("self", "ipc"), before, "unshare(CLONE_NEWIPC) must give a new namespace");
            assert_errno!(mq_open_existing(q.as_cstr()), Errno::ENOENT, "mq_open of the outer queue's name");
            let inner = mq_create(q.as_cstr()).expect("the name is free in the new namespace");
            assert_errno!(mq_receive(&inner), Errno::EAGAIN, "the inner queue is a new, empty queue");
        })
        .expect_success();
        assert_eq!(mq_receive(&outer).unwrap(), b"outer", "the outer queue is untouched");
    });
}

/// ipc_namespaces(7), as above, the other way round: a queue created in a new IPC
/// namespace is ENOENT outside, for mq_open(3) and mq_unlink(3), while its creator is alive.
#[test]
fn mq_created_in_a_new_ipc_namespace_is_not_found_outside() {
    needs!(available(namespaces()));
    let q = IpcName::mq("inner");
    sandbox("inner queue, outer lookup", || {
        let creator = queue_holder(&q, None, |_| {});
        assert_errno!(mq_open_existing(q.as_cstr()), Errno::ENOENT, "mq_open outside");
        assert_errno!(mq_unlink(q.as_cstr()), Errno::ENOENT, "mq_unlink outside");
        creator.expect_success();
    });
}

/// setns(2): joining a process's IPC namespace through /proc/<pid>/ns/ipc makes its queues
/// visible (namespaces(7), "The /proc/[pid]/ns/ directory"). Before setns the joiner gets
/// ENOENT; after it, both see one queue: a message crosses in each direction.
#[test]
fn mq_is_shared_after_setns_into_the_creators_ipc_namespace() {
    needs!(available(namespaces()));
    let q = IpcName::mq("shared");
    sandbox("setns into the creator's IPC namespace", || {
        let creator = queue_holder(&q, Some(b"from creator"), |fd| {
            assert_eq!(mq_receive(fd).unwrap(), b"from joiner", "the joiner's message");
        });
        let pid = creator.pid();
        spawn("joiner", || {
            assert_errno!(mq_open_existing(q.as_cstr()), Errno::ENOENT, "before setns");
            join(pid, "ipc", libc::CLONE_NEWIPC);
            let fd = mq_open_existing(q.as_cstr()).expect("mq_open after setns");
            assert_eq!(mq_receive(&fd).unwrap(), b"from creator");
            mq_send(&fd, b"from joiner");
        })
        .expect_success();
        creator.expect_success();
    });
}

/// namespaces(7), "Namespace lifetime": an open file descriptor for /proc/<pid>/ns/ipc
/// keeps the namespace alive "even if all processes in the namespace terminate". The
/// queue, with its message, is found by a process that joins through that descriptor
/// after its creator has exited.
#[test]
fn mq_outlives_its_creator_while_an_ns_fd_is_open() {
    needs!(available(namespaces()));
    let q = IpcName::mq("pinned-fd");
    sandbox("ns fd keeps the namespace", || {
        let creator = queue_holder(&q, Some(b"kept"), |_| {});
        let pinned = ns_file(creator.pid(), "ipc");
        creator.expect_success();
        spawn("joiner after the creator exited", || {
            setns(&pinned, libc::CLONE_NEWIPC).expect("setns through the held descriptor");
            let fd = mq_open_existing(q.as_cstr()).expect("the queue still exists");
            assert_eq!(mq_receive(&fd).unwrap(), b"kept");
        })
        .expect_success();
    });
}

/// namespaces(7): "Bind mounting ... one of the files in this directory to somewhere else
/// in the filesystem keeps the corresponding namespace ... alive even if all processes
/// currently in the namespace terminate." The bind mount lives in a private mount
/// namespace; there the queue is reached through it after its creator exited, while
/// outside that mount namespace the target is still the plain empty file (setns: EINVAL).
#[test]
fn mq_outlives_its_creator_while_the_ns_file_is_bind_mounted() {
    needs!(available(namespaces()));
    let q = IpcName::mq("pinned-mount");
    let s = Scratch::new();
    let target = s.file("ipc-ns", b"");
    sandbox("bind mount keeps the namespace", || {
        let creator = queue_holder(&q, Some(b"kept"), |_| {});
        let creator_ns = format!("/proc/{}/ns/ipc", creator.pid());
        let holder = Agent::<(), ()>::spawn("holder of the bind mount", |serve| {
            enter(libc::CLONE_NEWNS);
            bind_mount(Path::new(&creator_ns), &target);
            serve.ready(());
            serve.wait_release(); // the creator is gone
            spawn("joiner through the bind mount", || {
                let f = std::fs::File::open(&target).expect("open the bind-mounted ns file");
                setns(&f, libc::CLONE_NEWIPC).expect("setns through the bind mount");
                let fd = mq_open_existing(q.as_cstr()).expect("the queue still exists");
                assert_eq!(mq_receive(&fd).unwrap(), b"kept");
            })
            .expect_success();
        });
        holder.ready::<()>();
        creator.expect_success();
        holder.expect_success();
        let plain = std::fs::File::open(&target).expect("open the target outside the holder's mounts");
        assert_errno!(setns(&plain, libc::CLONE_NEWIPC), Errno::EINVAL, "outside, the target is a regular file");
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
/// Needs a uid no other process uses (the count is per user) for exact RLIMIT_MSGQUEUE
/// accounting: root with CAP_SETUID and CAP_SYS_ADMIN (namespaces made directly).
#[test]
fn mq_bytes_are_released_when_the_ipc_namespace_dies() {
    needs!(available(namespaces()), gate(direct_namespaces()), cap(SETUID));
    let q = IpcName::mq("accounted");
    sandbox("queue destroyed with its namespace", || {
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
            // The id change cleared the parent-death signal (prctl(2)).
            fixtures::child::arm_parent_death();
        };
        spawn("first namespace", || {
            enter(libc::CLONE_NEWIPC);
            as_private_user();
            let _a = mq_create_with(q.as_cstr(), 10, 8192).expect("the first queue fits");
            let other = IpcName::mq("second");
            assert_errno!(mq_create_with(other.as_cstr(), 10, 8192), Errno::EMFILE, "a second queue exceeds the limit");
            // Exit with the queue still named: only the namespace's death can free it.
        })
        .expect_success();
        spawn("second namespace", || {
            enter(libc::CLONE_NEWIPC);
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
        .expect_success();
    });
}

/// A child in a new IPC namespace that creates the queue `q` (and sends `msg` to it), is
/// ready once the queue exists, stays until released, and then runs `after` on the queue.
fn queue_holder(q: &IpcName, msg: Option<&[u8]>, after: impl FnOnce(BorrowedFd<'_>)) -> Agent<(), ()> {
    let creator = Agent::spawn("creator in a new IPC namespace", |serve| {
        enter(libc::CLONE_NEWIPC);
        let fd = mq_create(q.as_cstr()).expect("create");
        if let Some(msg) = msg {
            mq_send(&fd, msg);
        }
        serve.ready(());
        serve.wait_release();
        after(fd.as_fd());
    });
    creator.ready::<()>();
    creator
}
