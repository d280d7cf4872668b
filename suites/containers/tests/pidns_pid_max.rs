//! kernel.pid_max, "the value at which PIDs wrap around" (proc_sys_kernel(5)), kept per PID
//! namespace since Linux 6.14 ("pid: allow pid_max to be set per pid namespace"; version
//! not verified): the root of the user namespace that owns a PID namespace may lower it
//! there, and the PID namespaces above are not affected. Before, /proc/sys/kernel/pid_max
//! was one global value that only the initial namespace's root could change.
//!
//! The test never risks the global value: its child drops to uid 65534 before it makes the
//! user namespace, so that namespace's root is nobody outside — on a kernel without the
//! change its write is refused (EACCES) instead of reaching the global pid_max.

use std::io::Write;

use containers::pidns::spawn_init;
use containers::sandbox::{enter_user_ns, namespaces};
use fixtures::{kernel_at_least, kernel_version, needs, require_child, run_in_child, sysctl, variant};
use nix::errno::Errno;

/// write(2) of `value` to /proc/sys/kernel/pid_max (no journal: the value written belongs
/// to a PID namespace of the test, or the write is refused).
fn write_pid_max(value: &str) -> Result<(), Errno> {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/sys/kernel/pid_max")
        .and_then(|mut f| f.write_all(value.as_bytes()))
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))
}

/// proc_sys_kernel(5), /proc/sys/kernel/pid_max, and pid_namespaces(7): a new PID namespace
/// made by the root of a new user namespace (nobody outside) gets its own
/// pid_max: writing 1000 to /proc/sys/kernel/pid_max from its init succeeds and reads back
/// 1000 there, while the outer value stays as it was (variant `per-namespace`). Before the
/// change the write is refused with EACCES — the file belongs to the initial namespace's root
/// (variant `absent`).
///
/// Kernel change: 6.14 — kernel.pid_max can be set per PID namespace by the root of its user namespace (EACCES before; version not verified).
#[test]
fn pid_max_can_be_lowered_inside_a_pid_namespace() {
    needs!(available(namespaces()), path("/proc/sys/kernel/pid_max"));
    let outer = sysctl::read("kernel/pid_max");
    let per_ns = kernel_at_least(6, 14);
    let v = kernel_version();
    let outcome = run_in_child("user namespace of nobody", || {
        fixtures::privilege::drop_to_nobody();
        // The uid change made the process non-dumpable, which would make /proc/self/uid_map
        // root's.
        fixtures::privilege::restore_dumpable();
        enter_user_ns(Some((0, 0)));
        let (init, _) = spawn_init("init of a new PID namespace", |serve| {
            let r = write_pid_max("1000");
            if per_ns {
                assert_eq!(r, Ok(()), "lowering pid_max inside the PID namespace");
                assert_eq!(sysctl::read("kernel/pid_max"), "1000");
            } else {
                assert_eq!(r, Err(Errno::EACCES), "writing the global pid_max as a user namespace's root");
            }
            serve.ready(());
        });
        init.ready::<()>();
        init.expect_success();
    });
    require_child!(outcome).expect_success();
    if per_ns {
        variant::observed("per-namespace", format_args!("pid_max belongs to each PID namespace since 6.14; kernel {v}"));
    } else {
        variant::absent(format_args!("pid_max is global before 6.14: the write was refused; kernel {v}"));
    }
    assert_eq!(sysctl::read("kernel/pid_max"), outer, "the outer value");
}
