//! Landlock's signal scope. landlock(7), "Scope flags" (ABI version 6, Linux 6.12):
//! "LANDLOCK_SCOPE_SIGNAL: Restrict a sandboxed process from sending a signal to another
//! process outside the domain." <linux/landlock.h>: "a sandboxed process cannot send a signal
//! (e.g., kill(2)) to a process outside its Landlock domain; it can still signal processes
//! within its own domain" — security/landlock/task.c, hook_task_kill, answers EPERM.
//!
//! Which answer a kernel gives depends on its version and on its configuration (Landlock is
//! a build option and must be in the boot-time LSM list):
//! - `present`: Landlock ABI >= 6 (6.12+): the scope is enforced (asserted);
//! - `absent` (lacking): Landlock without the scope (ABI 1..5, 5.13..6.11): a ruleset
//!   attribute with the `scoped` field set is refused with E2BIG (copy_struct_from_user sees
//!   non-zero bytes the kernel does not know) — asserted; or a kernel without Landlock at all
//!   (before 5.13, or CONFIG_SECURITY_LANDLOCK unset): ENOSYS, asserted;
//! - `disabled` (lacking): Landlock built but not enabled at boot: EOPNOTSUPP, asserted;
//! - `blocked` (SKIP): the kernel has the calls but a seccomp filter denies them.

use fixtures::facility::{self, Availability};
use fixtures::signals::SignalCatcher;
use fixtures::{Outcome, assert_errno, kernel_at_least, kernel_version, run_in_child, skip, skip_blocked, spawn, sync, sys, variant};
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};

/// struct landlock_ruleset_attr as of ABI 6.
#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
const LANDLOCK_SCOPE_SIGNAL: u64 = 1 << 1;

/// landlock_create_ruleset(attr, size, flags), the raw system call.
fn create_ruleset(attr: Option<&RulesetAttr>, size: usize, flags: libc::c_uint) -> Result<i32, Errno> {
    let p = attr.map_or(std::ptr::null(), |a| a as *const RulesetAttr);
    // SAFETY: a valid attribute pointer or NULL, with its size.
    sys(unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, p, size, flags) } as libc::c_int)
}

/// A ruleset that handles no access right and scopes signals.
fn signal_scope() -> RulesetAttr {
    RulesetAttr { handled_access_fs: 0, handled_access_net: 0, scoped: LANDLOCK_SCOPE_SIGNAL }
}

/// landlock(7) and kernel change 6.12 (Landlock ABI 6): in a child that restricted itself
/// with a ruleset scoping signals (after PR_SET_NO_NEW_PRIVS, which landlock_restrict_self(2)
/// requires without CAP_SYS_ADMIN), kill(2) — signal 0 too — of a process outside the domain
/// (the test process, and a sibling started before the restriction) fails EPERM, while the
/// child itself and a process it forks afterwards (inside the domain) can be signalled: a
/// SIGUSR1 with a counting handler reaches the latter. On Landlock ABI 1..5 the `scoped`
/// field is refused with E2BIG, without Landlock the call fails ENOSYS, with Landlock disabled
/// at boot EOPNOTSUPP (variants in the file comment). The ABI must agree with the version:
/// ABI >= 6 exactly from 6.12 (no backport of the scope is known).
///
/// Kernel change: 6.12 — Landlock's LANDLOCK_SCOPE_SIGNAL (ABI 6): a sandboxed process cannot signal a process outside its domain (EPERM).
#[test]
fn a_landlock_signal_scope_refuses_kill_out_of_the_domain_since_6_12() {
    let v = kernel_version();
    let probe = || create_ruleset(None, 0, LANDLOCK_CREATE_RULESET_VERSION);
    match facility::syscall_configured("landlock_create_ruleset", (5, 13), "CONFIG_SECURITY_LANDLOCK", probe) {
        Availability::Absent(why) => {
            variant::absent(&why);
            assert_errno!(probe(), Errno::ENOSYS, "{why}");
            return;
        }
        Availability::Blocked(why) => skip_blocked!("{why}"),
        Availability::Unknown(why) => skip!("{why}"),
        Availability::Present(_) | Availability::Universal => {}
    }
    let abi = match probe() {
        Err(Errno::EOPNOTSUPP) => {
            variant::lacking("disabled", format_args!("Landlock is built into kernel {v} but not enabled at boot (EOPNOTSUPP)"));
            assert_errno!(create_ruleset(Some(&signal_scope()), size_of::<RulesetAttr>(), 0), Errno::EOPNOTSUPP);
            return;
        }
        r => r.unwrap_or_else(|e| panic!("the Landlock ABI version: {e}")),
    };
    assert_eq!(abi >= 6, kernel_at_least(6, 12), "Landlock ABI {abi} on kernel {v}: the signal scope (ABI 6) came with 6.12");
    if abi < 6 {
        variant::absent(format_args!("Landlock ABI {abi} on kernel {v}: no scopes (ABI 6, 6.12)"));
        assert_errno!(create_ruleset(Some(&signal_scope()), size_of::<RulesetAttr>(), 0), Errno::E2BIG, "a `scoped` field on ABI {abi}");
        return;
    }
    variant::present(format_args!("Landlock ABI {abi} on kernel {v} scopes signals"));
    let test_process = nix::unistd::getpid();
    let (_stop, wait_stop) = sync::channel();
    let sibling = spawn("sibling outside the domain", move || wait_stop.wait());
    let sibling_pid = sibling.pid();
    run_in_child("sandboxed with LANDLOCK_SCOPE_SIGNAL", || {
        let ruleset = create_ruleset(Some(&signal_scope()), size_of::<RulesetAttr>(), 0).expect("landlock_create_ruleset");
        // SAFETY: prctl with integer arguments.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }, 0, "PR_SET_NO_NEW_PRIVS");
        // SAFETY: landlock_restrict_self(ruleset_fd, 0).
        let r = sys(unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0) } as libc::c_int);
        assert_eq!(r, Ok(0), "landlock_restrict_self");
        assert_errno!(kill(test_process, None), Errno::EPERM, "signal 0 to the test process, outside the domain");
        assert_errno!(kill(sibling_pid, Signal::SIGUSR1), Errno::EPERM, "SIGUSR1 to a sibling outside the domain");
        assert_eq!(kill(nix::unistd::getpid(), None), Ok(()), "signal 0 to itself");
        let sandboxed = nix::unistd::getpid().as_raw();
        let (ready, wait_ready) = sync::channel();
        let mut inside = spawn("child inside the domain", || {
            let c = SignalCatcher::new(&[Signal::SIGUSR1]);
            ready.notify();
            let info = c.wait();
            assert_eq!((info.signo, info.pid()), (libc::SIGUSR1, sandboxed), "the signal from the sandboxed parent");
        });
        wait_ready.wait();
        assert_eq!(kill(inside.pid(), Signal::SIGUSR1), Ok(()), "SIGUSR1 to a child inside the domain");
        assert_eq!(inside.join(), Outcome::Exited(0));
    })
    .expect_success();
    drop(sibling);
}
