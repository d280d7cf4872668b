//! System V IPC and IPC namespaces. ipc_namespaces(7): "Each IPC namespace has its own set
//! of System V IPC identifiers", and "The System V IPC interfaces in /proc/sysvipc" are
//! distinct in each namespace. Every claim is checked for message queues, shared memory
//! segments and semaphore sets (sysvipc(7)).

use containers::cases::sysv_kinds;
use containers::objects::{SysV, SysvGuard, fresh_key, proc_sysvipc};
use containers::sandbox::{enter, namespaces, sandbox};
use fixtures::ns::join;
use fixtures::{Agent, assert_errno, needs, spawn};
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;

/// ipc_namespaces(7): objects "are not visible to processes in other IPC namespaces". A key
/// used outside is unknown after unshare(CLONE_NEWIPC): get without IPC_CREAT is ENOENT
/// (msgget(2)/shmget(2)/semget(2): "No ... exists for key and msgflg did not specify
/// IPC_CREAT"), and IPC_CREAT|IPC_EXCL with the same key succeeds: a different object.
#[apply(sysv_kinds)]
fn sysv_key_of_the_outer_namespace_is_unknown_in_a_new_one(#[case] kind: SysV) {
    needs!(available(namespaces()));
    sandbox("outer key, inner lookup", || {
        let outer = SysvGuard::create(kind);
        outer.kind.put(outer.id, 11);
        spawn("in a new IPC namespace", || {
            enter(libc::CLONE_NEWIPC);
            assert_errno!(kind.get(outer.key, 0o600), Errno::ENOENT, "{kind:?} get of the outer key");
            let inner = kind.create(outer.key).expect("the key is free in the new namespace");
            kind.put(inner, 22);
            assert_eq!(kind.take(inner), 22);
        })
        .expect_success();
        assert_eq!(kind.take(outer.id), 11, "the outer object is untouched");
    });
}

/// ipc_namespaces(7): "its own set of System V IPC identifiers". An identifier valid
/// outside names nothing in a new namespace: IPC_STAT fails with EINVAL (msgctl(2):
/// "EINVAL ... msqid is not a valid identifier"; likewise shmctl(2), semctl(2)).
#[apply(sysv_kinds)]
fn sysv_identifier_of_the_outer_namespace_is_invalid_in_a_new_one(#[case] kind: SysV) {
    needs!(available(namespaces()));
    sandbox("outer identifier, inner IPC_STAT", || {
        let outer = SysvGuard::private(kind);
        kind.stat(outer.id).expect("IPC_STAT outside");
        spawn("in a new IPC namespace", || {
            enter(libc::CLONE_NEWIPC);
            assert_errno!(kind.stat(outer.id), Errno::EINVAL, "{kind:?} IPC_STAT of the outer id {}", outer.id);
        })
        .expect_success();
    });
}

/// ipc_namespaces(7): objects "are visible to all other processes that are members of
/// that namespace" — including a process that joins with setns(2) (what docker's
/// `--ipc=container:<id>` does). The joiner finds the creator's key (ENOENT before
/// joining), gets the same identifier, and reads what the creator stored.
#[apply(sysv_kinds)]
fn sysv_object_is_shared_after_setns_into_its_ipc_namespace(#[case] kind: SysV) {
    needs!(available(namespaces()));
    let key = fresh_key();
    sandbox("setns into the creator's IPC namespace", || {
        let creator = Agent::<(), ()>::spawn("creator", |serve| {
            enter(libc::CLONE_NEWIPC);
            let id = kind.create(key).expect("create in the new namespace");
            kind.put(id, 42);
            serve.ready(id);
            serve.wait_release();
        });
        let id = creator.ready::<libc::c_int>();
        let pid = creator.pid();
        spawn("joiner", || {
            assert_errno!(kind.get(key, 0o600), Errno::ENOENT, "{kind:?} key before setns");
            join(pid, "ipc", libc::CLONE_NEWIPC);
            assert_eq!(kind.get(key, 0o600), Ok(id), "the same identifier after setns");
            assert_eq!(kind.take(id), 42, "the value the creator stored");
        })
        .expect_success();
        creator.expect_success();
    });
}

/// ipc_namespaces(7): "The System V IPC interfaces in /proc/sysvipc" are distinct in each
/// IPC namespace. In a new namespace with one object, /proc/sysvipc/<kind> lists exactly
/// that object (key and id), not the objects of the outer namespace.
#[apply(sysv_kinds)]
fn proc_sysvipc_lists_only_the_namespaces_own_objects(#[case] kind: SysV) {
    needs!(available(namespaces()));
    sandbox("/proc/sysvipc per namespace", || {
        let outer = SysvGuard::create(kind);
        assert!(proc_sysvipc(kind).contains(&(outer.key, outer.id)), "the outer object is listed outside");
        spawn("in a new IPC namespace", || {
            enter(libc::CLONE_NEWIPC);
            assert_eq!(proc_sysvipc(kind), vec![], "a new namespace starts without objects");
            let key = fresh_key();
            let id = kind.create(key).expect("create");
            assert_eq!(proc_sysvipc(kind), vec![(key, id)], "{} lists exactly the namespace's object", kind.proc_file());
        })
        .expect_success();
    });
}
