//! /proc/sys/fs/mqueue (mq_overview(7), "/proc interfaces"). Tests that change a value
//! restore it with a SysctlGuard, need root and a writable /proc/sys, and run one at a
//! time (nextest group `global-state`, `#[serial]` for cargo test). They change only the
//! defaults for queues created with attr NULL, which no other test relies on; the limits
//! themselves (msg_max, msgsize_max, queues_max) are lowered only inside a new IPC
//! namespace, so that no concurrent test anywhere on the machine sees them.
//!
//! Variants: a test that changes a value states it with `needs!(sysctl(..))`
//! ([`fixtures::facility::sysctl`]), which reports `present` where root can write it,
//! `blocked` (SKIP) where root cannot (a read-only /proc/sys, as in containers), or `absent`
//! (SKIP) where the file does not exist. Without root it SKIPs with no variant (the claim
//! cannot be set up; nothing was observed).
//! `queues_max_gives_enospc_to_unprivileged_processes_only` also reports whether the test
//! process held CAP_SYS_RESOURCE, which decides what it asserts for itself.

use fixtures::sysctl::{SysctlGuard, read_u64};
use fixtures::{IpcName, assert_errno, needs, require, run_in_child, variant};
use nix::errno::Errno;
use posix_mq::queue::{attr, mq_open};
use rstest::rstest;
use serial_test::serial;

/// A queue created with attr NULL: (mq_maxmsg, mq_msgsize).
fn default_attributes() -> (i64, i64) {
    let name = IpcName::mq("defaults");
    let q = mq_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, None).unwrap();
    let a = q.getattr();
    (a.mq_maxmsg as i64, a.mq_msgsize as i64)
}

/// mq_overview(7): msg_default "defines the value used for a new queue's mq_maxmsg setting
/// when the queue is created with a call to mq_open(3) where attr is specified as NULL ...
/// A new queue's default mq_maxmsg value will be the smaller of msg_default and msg_max";
/// msgsize_default likewise, "capped to the msgsize_max limit". Read, not changed (runs for
/// any user).
#[test]
#[serial]
fn queues_created_without_attr_get_msg_default_and_msgsize_default() {
    let expected = (
        read_u64("fs/mqueue/msg_default").min(read_u64("fs/mqueue/msg_max")) as i64,
        read_u64("fs/mqueue/msgsize_default").min(read_u64("fs/mqueue/msgsize_max")) as i64,
    );
    assert_eq!(default_attributes(), expected);
}

/// mq_overview(7): changing msg_default and msgsize_default changes the attributes of the
/// queues created afterwards with attr NULL.
#[test]
#[serial]
fn changing_msg_default_and_msgsize_default_changes_new_queues() {
    needs!(sysctl("fs/mqueue/msg_default"));
    let _a = SysctlGuard::set("fs/mqueue/msg_default", "3");
    let _b = SysctlGuard::set("fs/mqueue/msgsize_default", "200");
    assert_eq!(default_attributes(), (3, 200));
}

/// mq_overview(7): "A new queue's default mq_maxmsg value will be the smaller of
/// msg_default and msg_max"; "If msgsize_default exceeds msgsize_max, a new queue's default
/// mq_msgsize value is capped to the msgsize_max limit." The defaults are raised above the
/// limits (the limits stay as they are).
#[test]
#[serial]
fn defaults_above_the_limits_are_capped_to_the_limits() {
    let msg_max = read_u64("fs/mqueue/msg_max");
    let msgsize_max = read_u64("fs/mqueue/msgsize_max");
    if msg_max >= 65_536 || msgsize_max >= 16 * 1024 * 1024 || msg_max * msgsize_max > 400_000 {
        fixtures::skip!("the limits are too high here for a default-sized queue to fit RLIMIT_MSGQUEUE");
    }
    needs!(sysctl("fs/mqueue/msg_default"));
    let _a = SysctlGuard::set("fs/mqueue/msg_default", &(msg_max + 1).to_string());
    let _b = SysctlGuard::set("fs/mqueue/msgsize_default", &(msgsize_max + 1).to_string());
    assert_eq!(default_attributes(), (msg_max as i64, msgsize_max as i64));
}

/// mq_overview(7), "/proc interfaces": msg_max: "The minimum value is 1 ... The upper limit
/// is HARD_MSGMAX" (65,536 since Linux 3.5); msgsize_max: "The minimum value is 128 ...
/// Since Linux 3.5, the limit is 16,777,216"; msg_default and msgsize_default: "The minimum
/// and maximum are as for" msg_max and msgsize_max. A write outside the range fails
/// EINVAL and leaves the value unchanged.
#[rstest]
#[case::msg_max_zero("fs/mqueue/msg_max", "0")]
#[case::msg_max_above_hard_msgmax("fs/mqueue/msg_max", "65537")]
#[case::msgsize_max_below_128("fs/mqueue/msgsize_max", "127")]
#[case::msgsize_max_above_hard_msgsizemax("fs/mqueue/msgsize_max", "16777217")]
#[case::msg_default_zero("fs/mqueue/msg_default", "0")]
#[case::msgsize_default_below_128("fs/mqueue/msgsize_default", "127")]
#[serial]
fn limits_outside_their_documented_range_are_rejected_with_einval(#[case] file: &str, #[case] value: &str) {
    needs!(sysctl(file));
    let guard = SysctlGuard::save(file);
    assert_errno!(fixtures::sysctl::write(file, value), Errno::EINVAL, "writing {value} to {file}");
    assert_eq!(fixtures::sysctl::read(file), guard.saved(), "the value must be unchanged");
}

/// The same ranges, accepted at their edges: msg_max 1 and 65536, msgsize_max 128 and
/// 16777216 — set inside a new IPC namespace (ipc_namespaces(7): "The POSIX message queue
/// interfaces in /proc/sys/fs/mqueue" are "distinct in each IPC namespace"), so the
/// machine's limits never change.
#[test]
#[serial]
fn limits_at_the_edges_of_their_documented_range_are_accepted() {
    needs!(sysctl("fs/mqueue/msg_max"));
    require!(in_new_ipc_namespace(|| {
        for (file, value) in [
            ("fs/mqueue/msg_max", "1"),
            ("fs/mqueue/msg_max", "65536"),
            ("fs/mqueue/msgsize_max", "128"),
            ("fs/mqueue/msgsize_max", "16777216"),
        ] {
            assert_eq!(fixtures::sysctl::write(file, value), Ok(()), "writing {value} to {file}");
            assert_eq!(fixtures::sysctl::read(file), value);
        }
    }));
}

/// Run `f` in a child that has its own IPC namespace (unshare(CLONE_NEWIPC)); `Err` (skip)
/// when that is not permitted. The machine's /proc/sys/fs/mqueue values are checked
/// unchanged afterwards.
fn in_new_ipc_namespace(f: impl FnOnce()) -> Result<(), String> {
    let files = ["msg_max", "msgsize_max", "msg_default", "msgsize_default", "queues_max"];
    let before: Vec<String> = files.iter().map(|f| fixtures::sysctl::read(&format!("fs/mqueue/{f}"))).collect();
    let o = run_in_child("child in a new IPC namespace", || {
        if let Err(e) = fixtures::ns::unshare_exact(libc::CLONE_NEWIPC) {
            fixtures::skip!("unshare(CLONE_NEWIPC) is not permitted here (needs CAP_SYS_ADMIN): {e}");
        }
        f();
    });
    o.ran()?.expect_success();
    let after: Vec<String> = files.iter().map(|f| fixtures::sysctl::read(&format!("fs/mqueue/{f}"))).collect();
    assert_eq!(before, after, "the machine's mqueue limits must not change");
    Ok(())
}

/// mq_overview(7), queues_max: "the system-wide limit on the number of message queues that
/// can be created ... privileged processes (CAP_SYS_RESOURCE) can exceed the limit";
/// mq_open(3), ERRORS: "ENOSPC Insufficient space for the creation of a new message queue.
/// This probably occurred because the queues_max limit was encountered". In a new IPC
/// namespace (its own count and limit): with queues_max 1 and one queue, an unprivileged
/// process gets ENOSPC, a process with CAP_SYS_RESOURCE creates another anyway (root
/// without that capability, as in some containers, gets ENOSPC too), and raising the
/// limit lets the unprivileged process create one. Variant (besides `present`/`blocked`):
/// `cap-sys-resource` (the test process exceeded the limit) or `no-cap-sys-resource` (it
/// was limited like the unprivileged one).
#[test]
#[serial]
fn queues_max_gives_enospc_to_unprivileged_processes_only() {
    needs!(other_user, sysctl("fs/mqueue/queues_max"));
    require!(in_new_ipc_namespace(|| {
        let mk =
            |n: &IpcName| mq_open(n.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(1, 16)));
        fixtures::sysctl::write("fs/mqueue/queues_max", "1").unwrap();
        let (first, second, third, fourth) =
            (IpcName::mq("q1"), IpcName::mq("q2"), IpcName::mq("q3"), IpcName::mq("q4"));
        let _q1 = mk(&first).unwrap();
        run_in_child("unprivileged creator", || {
            fixtures::privilege::drop_to_nobody();
            assert_errno!(mk(&second), Errno::ENOSPC);
        })
        .expect_success();
        if fixtures::gate::has_cap(fixtures::gate::Cap::SYS_RESOURCE) {
            variant::observed("cap-sys-resource", "the test process holds CAP_SYS_RESOURCE: it exceeds queues_max");
            assert!(mk(&third).is_ok(), "CAP_SYS_RESOURCE exceeds queues_max");
        } else {
            variant::observed("no-cap-sys-resource", "root without CAP_SYS_RESOURCE: limited by queues_max too");
            assert_errno!(mk(&third), Errno::ENOSPC, "without CAP_SYS_RESOURCE even root is limited");
        }
        fixtures::sysctl::write("fs/mqueue/queues_max", "1000000").unwrap();
        assert_eq!(fixtures::sysctl::read("fs/mqueue/queues_max"), "1000000", "no ceiling since Linux 3.14");
        run_in_child("unprivileged creator after raising queues_max", || {
            fixtures::privilege::drop_to_nobody();
            assert!(mk(&fourth).is_ok());
        })
        .expect_success();
    }));
}
