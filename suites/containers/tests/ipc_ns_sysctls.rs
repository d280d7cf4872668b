//! The IPC limits under /proc/sys are per IPC namespace. ipc_namespaces(7): "The following
//! /proc interfaces are distinct in each IPC namespace: The POSIX message queue interfaces
//! in /proc/sys/fs/mqueue. The System V IPC interfaces in /proc/sys/kernel, namely:
//! msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni, and shm_rmid_forced."
//!
//! Every change here is made inside a new IPC namespace, never outside; each test checks
//! that the outer value did not take the value it wrote (a leak would be caught, and
//! restoring someone else's concurrent change is never attempted). Writing these files from
//! a user namespace needs a kernel that gives the namespace's root ownership of them;
//! where the write is refused the test is skipped with the errno.

use containers::objects::{MQ_MSGSIZE, mq_create_with};
use containers::sandbox::{enter, holding, namespaces, sandbox};
use fixtures::caps::{Cap, drop_effective};
use fixtures::ns::{Access, join};
use fixtures::sysctl;
use fixtures::{IpcName, assert_errno, needs, spawn};
use nix::errno::Errno;
use rstest::rstest;

/// capabilities(7): CAP_SYS_RESOURCE lifts the mq limits; the claims are about the limits.
const CAP_SYS_RESOURCE: Cap = Cap::SYS_RESOURCE;

/// In a child inside a new IPC namespace: write `value` to /proc/sys/`name`, or skip if this
/// environment refuses it: with the lacking variant `absent` in a sandbox entered through a
/// user namespace (a kernel on which a user namespace's root does not own the namespace's
/// IPC sysctls), `blocked` otherwise (read-only /proc/sys in a container).
fn write_or_skip(name: &str, value: &str) {
    match sysctl::write(name, value) {
        Ok(()) => {}
        Err(e @ (Errno::EACCES | Errno::EPERM | Errno::EROFS)) => match containers::sandbox::access() {
            Ok(Access::UserNs) => fixtures::skip_absent!(
                "/proc/sys/{name} cannot be written inside a new IPC namespace here ({e:?}; the namespace is owned by an unprivileged user namespace, whose root this kernel does not give the IPC sysctls)"
            ),
            _ => fixtures::skip_blocked!("/proc/sys/{name} cannot be written inside a new IPC namespace here ({e:?}; /proc/sys is read-only)"),
        },
        Err(e) => panic!("write {value} to /proc/sys/{name}: {e:?}"),
    }
}

/// The claim "a new IPC namespace starts from the defaults", checked so that it does not
/// depend on the host's values: a first new namespace is given `sentinel`, and a second
/// namespace created from inside it must read `default`, not the sentinel. The outer value
/// must not have become the sentinel.
fn check_fresh_namespace_default(name: &str, default: &str, sentinel: &str) {
    sandbox(name, || {
        let before = sysctl::read(name);
        spawn("first new IPC namespace", || {
            enter(libc::CLONE_NEWIPC);
            write_or_skip(name, sentinel);
            assert_eq!(sysctl::read(name), sentinel, "the value written inside");
            spawn("nested new IPC namespace", || {
                enter(libc::CLONE_NEWIPC);
                assert_eq!(sysctl::read(name), default, "/proc/sys/{name} of a new IPC namespace");
            })
            .expect_success();
        })
        .expect_success();
        let after = sysctl::read(name);
        assert!(after != sentinel || before == sentinel, "the value written inside leaked out: {name} = {after}");
    });
}

/// mq_overview(7), "/proc interfaces": the defaults are msg_default 10, msg_max 10,
/// msgsize_default 8192, msgsize_max 8192, queues_max 256; ipc_namespaces(7): these files
/// are distinct in each IPC namespace. A new namespace starts from the defaults, not from
/// its creator's values.
#[rstest]
#[case::msg_max("fs/mqueue/msg_max", "10", "37")]
#[case::msgsize_max("fs/mqueue/msgsize_max", "8192", "1217")]
#[case::queues_max("fs/mqueue/queues_max", "256", "173")]
#[case::msg_default("fs/mqueue/msg_default", "10", "3")]
#[case::msgsize_default("fs/mqueue/msgsize_default", "8192", "1123")]
fn mq_sysctl_of_a_new_ipc_namespace_starts_from_the_default(
    #[case] name: &str,
    #[case] default: &str,
    #[case] sentinel: &str,
) {
    needs!(available(namespaces()));
    check_fresh_namespace_default(name, default, sentinel);
}

/// ipc_namespaces(7): msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni and
/// shm_rmid_forced are distinct in each IPC namespace. A new namespace starts from the
/// kernel's compiled-in defaults (include/uapi/linux/msg.h MSGMAX 8192, MSGMNB 16384, MSGMNI
/// 32000; shm.h SHMMNI 4096, SHMMAX = SHMALL = ULONG_MAX - 2^24; sem.h SEMMSL 32000,
/// SEMMNS 1024000000, SEMOPM 500, SEMMNI 32000; shm_rmid_forced 0).
#[rstest]
#[case::msgmax("kernel/msgmax", "8192", "7919")]
#[case::msgmnb("kernel/msgmnb", "16384", "15331")]
#[case::msgmni("kernel/msgmni", "32000", "97")]
#[case::sem("kernel/sem", "32000\t1024000000\t500\t32000", "251\t31991\t31\t127")]
#[case::shmmax("kernel/shmmax", "18446744073692774399", "1048573")]
#[case::shmall("kernel/shmall", "18446744073692774399", "2097143")]
#[case::shmmni("kernel/shmmni", "4096", "89")]
#[case::shm_rmid_forced("kernel/shm_rmid_forced", "0", "1")]
fn sysv_sysctl_of_a_new_ipc_namespace_starts_from_the_default(
    #[case] name: &str,
    #[case] default: &str,
    #[case] sentinel: &str,
) {
    needs!(available(namespaces()));
    check_fresh_namespace_default(name, default, sentinel);
}

/// ipc_namespaces(7): /proc/sys/fs/mqueue is "distinct in each IPC namespace". A value set
/// in one namespace is read there, also by a process that joins with setns(2); a sibling
/// new namespace reads the default; the outer value is unchanged. Run through a user
/// namespace (uid 65534), the write needs a kernel on which the root of the user namespace
/// that owns the IPC namespace may set its sysctls; elsewhere it is refused and the test
/// SKIPs with the variant `absent` (write_or_skip).
///
/// Kernel change: 5.19, commit dc55e35f9e81 — the mqueue and System V sysctls are stored in the IPC namespace and writable by the root of its user namespace (version not verified).
#[test]
fn mq_sysctl_value_belongs_to_its_ipc_namespace() {
    needs!(available(namespaces()));
    const NAME: &str = "fs/mqueue/msg_max";
    sandbox("msg_max per namespace", || {
        let before = sysctl::read(NAME);
        let owner = holding("namespace with msg_max 37", || {
            enter(libc::CLONE_NEWIPC);
            write_or_skip(NAME, "37");
        });
        let after = sysctl::read(NAME);
        assert!(after != "37" || before == "37", "the change leaked into the outer namespace");
        spawn("sibling new namespace", || {
            enter(libc::CLONE_NEWIPC);
            assert_eq!(sysctl::read(NAME), "10");
        })
        .expect_success();
        let pid = owner.pid();
        spawn("joiner", || {
            join(pid, "ipc", libc::CLONE_NEWIPC);
            assert_eq!(sysctl::read(NAME), "37", "a member of the namespace reads its value");
        })
        .expect_success();
        owner.expect_success();
    });
}

/// mq_open(3), EINVAL: "In a process that is unprivileged (does not have the
/// CAP_SYS_RESOURCE capability), attr->mq_maxmsg must be less than or equal to the msg_max
/// limit". The limit is the namespace's own: with msg_max 5 in one namespace, mq_maxmsg 6
/// is EINVAL there (5 is accepted), while in another new namespace (msg_max 10) 6 succeeds.
#[test]
fn msg_max_of_an_ipc_namespace_limits_mq_open_only_there() {
    needs!(available(namespaces()));
    let q = IpcName::mq("limited");
    sandbox("msg_max applies per namespace", || {
        spawn("namespace with msg_max 5", || {
            enter(libc::CLONE_NEWIPC);
            write_or_skip("fs/mqueue/msg_max", "5");
            drop_effective(CAP_SYS_RESOURCE);
            assert_errno!(mq_create_with(q.as_cstr(), 6, MQ_MSGSIZE), Errno::EINVAL, "mq_maxmsg 6 > msg_max 5");
            mq_create_with(q.as_cstr(), 5, MQ_MSGSIZE).expect("mq_maxmsg 5 == msg_max");
        })
        .expect_success();
        spawn("namespace with the default msg_max", || {
            enter(libc::CLONE_NEWIPC);
            drop_effective(CAP_SYS_RESOURCE);
            mq_create_with(q.as_cstr(), 6, MQ_MSGSIZE).expect("mq_maxmsg 6 <= the default msg_max 10");
        })
        .expect_success();
    });
}

/// mq_open(3), ENOSPC: "This probably occurred because the queues_max limit was
/// encountered"; mq_overview(7): queues_max is "the system-wide limit on the number of
/// message queues" — system-wide meaning namespace-wide: with queues_max 2 in a new
/// namespace, two queues are created and the third fails with ENOSPC, however many queues
/// the outer namespace holds (one made here, plus whatever else runs).
#[test]
fn queues_max_counts_only_the_queues_of_its_ipc_namespace() {
    needs!(available(namespaces()));
    let outer = IpcName::mq("outer");
    let names = [IpcName::mq("a"), IpcName::mq("b"), IpcName::mq("c")];
    sandbox("queues_max per namespace", || {
        let _outer = containers::objects::mq_create(outer.as_cstr()).expect("a queue in the outer namespace");
        spawn("namespace with queues_max 2", || {
            enter(libc::CLONE_NEWIPC);
            write_or_skip("fs/mqueue/queues_max", "2");
            drop_effective(CAP_SYS_RESOURCE);
            let _a = mq_create_with(names[0].as_cstr(), 1, MQ_MSGSIZE).expect("first queue");
            let _b = mq_create_with(names[1].as_cstr(), 1, MQ_MSGSIZE).expect("second queue");
            assert_errno!(mq_create_with(names[2].as_cstr(), 1, MQ_MSGSIZE), Errno::ENOSPC, "third queue");
        })
        .expect_success();
    });
}

/// shmget(2), ERRORS: "EINVAL A new segment was to be created and size is less than SHMMIN
/// or greater than SHMMAX"; ipc_namespaces(7): kernel.shmmax is "distinct in each IPC
/// namespace", so it is lowered in a new one only. Asserted there, with kernel.shmmax set to
/// 65536: shmget(IPC_PRIVATE) of exactly 65536 bytes succeeds and of 65537 bytes fails EINVAL;
/// the outer value did not become 65536 (unless it was that already).
#[test]
fn shmget_of_a_size_above_shmmax_fails_einval() {
    needs!(available(namespaces()));
    const NAME: &str = "kernel/shmmax";
    sandbox("shmmax in a new IPC namespace", || {
        let outer = sysctl::read(NAME);
        spawn("new IPC namespace", || {
            enter(libc::CLONE_NEWIPC);
            write_or_skip(NAME, "65536");
            assert_eq!(sysctl::read(NAME), "65536");
            let shmget = |size: usize| {
                // SAFETY: plain shmget(2).
                fixtures::sys(unsafe { libc::shmget(libc::IPC_PRIVATE, size, libc::IPC_CREAT | 0o600) })
            };
            let id = shmget(65536).expect("shmget of exactly shmmax bytes");
            // SAFETY: removing the segment just made.
            assert_eq!(unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) }, 0);
            assert_errno!(shmget(65537), Errno::EINVAL, "shmget of shmmax + 1 bytes");
        })
        .expect_success();
        assert_eq!(sysctl::read(NAME), outer, "the outer kernel.shmmax");
    });
}
