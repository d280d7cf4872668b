//! What the tests and the runner say to each other, defined once.
//!
//! A test talks to the runner through lines on its stdout (written straight to fd 1 by the
//! fixtures, so that they survive libtest's capture and reach nextest's JUnit, the guest
//! executor and a container's log alike) and through a line on stderr when a deadline
//! aborts it. The runner talks to the tests through environment variables. Both sides use
//! these constants; nothing else in the tree spells them. Capability names are here too:
//! the runner names missing capabilities to the tests with them.

/// A line `IPCSPEC-SKIP: <reason>` on stdout: the test could not run here. Never a pass.
pub const SKIP_MARKER: &str = "IPCSPEC-SKIP:";

/// A line `IPCSPEC-VARIANT: <name>[ [lacking]]: <detail>` on stdout: which of a claim's
/// documented outcomes this environment showed (`present`, `absent`, `eloop`, …). Several
/// lines in one test are combined by the runner (names joined with `+`).
pub const VARIANT_MARKER: &str = "IPCSPEC-VARIANT:";

/// Written after a variant's name when the variant means that the feature the claim is
/// about is not available here (`absent`: the kernel lacks it; `blocked`: this environment
/// denies it). `ipcspec verify` turns such a variant into a negative verdict.
pub const LACKING_TAG: &str = "[lacking]";

/// The prefix of the stderr line with which the fixtures' deadline aborts a stuck test.
pub const STUCK_MARKER: &str = "ipcspec: STUCK:";

/// Variant names: short, stable, lowercase (`[a-z0-9][a-z0-9._-]*`, at most this long).
pub const VARIANT_NAME_MAX: usize = 40;

/// True when `name` is a well-formed variant name.
pub fn is_variant_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= VARIANT_NAME_MAX
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'))
}

/// The variant names the fixtures give a feature that is there or not.
pub mod names {
    /// The feature the claim is about is there.
    pub const PRESENT: &str = "present";
    /// The kernel (or the implementation) does not have it (a lacking variant).
    pub const ABSENT: &str = "absent";
    /// The kernel has it but this environment denies it: a seccomp filter, a read-only
    /// /proc/sys, a missing capability that the claim itself is about (a lacking variant).
    pub const BLOCKED: &str = "blocked";
}

/// Environment variables between the runner, the harness and the tests.
pub mod env {
    /// A file with the running kernel's configuration (the VMs have no /proc/config.gz).
    pub const KERNEL_CONFIG: &str = "IPCSPEC_KERNEL_CONFIG";
    /// A factor for every deadline and negative wait (slow, emulated targets).
    pub const TIME_SCALE: &str = "IPCSPEC_TIME_SCALE";
    /// `1`: the harness takes no evidence from /proc/<pid>/task/<tid>/syscall and proves "it
    /// blocks" by its timed fallback, as where the kernel shows nothing (gVisor): to test that
    /// path, and to measure what the evidence saves.
    pub const NO_BLOCK_EVIDENCE: &str = "IPCSPEC_NO_BLOCK_EVIDENCE";
    /// The container mode a container target runs (`default`, `ipc-host`, `nonroot`,
    /// `privileged`, `shm-small`); unset outside a container target.
    pub const CONTAINER_MODE: &str = "IPCSPEC_CONTAINER_MODE";
    /// The bytes given to the container's `--shm-size` (mode `shm-small`).
    pub const SHM_SIZE: &str = "IPCSPEC_SHM_SIZE";
    /// The host's IPC namespace (`readlink /proc/self/ns/ipc` of the runner), so that a test
    /// in a container can tell whether it shares it.
    pub const HOST_IPC_NS: &str = "IPCSPEC_HOST_IPC_NS";
    /// In an approximated `privileged` mode: the capabilities the daemon could not give,
    /// comma-separated, named as [`crate::caps::NAMES`] (`SYS_RESOURCE,PERFMON`).
    pub const PRIVILEGED_MISSING_CAPS: &str = "IPCSPEC_PRIVILEGED_MISSING_CAPS";
    /// Set by the harness when it re-executes a test binary as a small probe program
    /// (fixtures::exec); never set by the runner.
    pub const PROBE: &str = "IPCSPEC_PROBE";
    /// `0` turns off the runner's check for what a host run left behind (runner/src/leaks.rs).
    pub const LEAK_CHECK: &str = "IPCSPEC_LEAK_CHECK";
    /// The fault the fault shim (runner/faults) injects into a test process, by name.
    pub const FAULT: &str = "IPCSPEC_FAULT";
    /// Where the fault shim logs the calls it broke.
    pub const FAULT_LOG: &str = "IPCSPEC_FAULT_LOG";
    /// Where the journal of changes to global state is (see [`crate::journal`]); unset: the
    /// default places ([`crate::journal::dirs`]).
    pub const JOURNAL_DIR: &str = "IPCSPEC_JOURNAL_DIR";
    /// Set by the runner in its own environment, so that every process it starts (cargo,
    /// nextest, tests, QEMU, container clients) carries it: the runner's owner label
    /// (`<boot id>:<pid>:<start time>`, [`crate::journal::Owner`]). A process whose label
    /// names a runner that is gone is a leftover, killed by the next run.
    pub const RUNNER: &str = "IPCSPEC_RUNNER";
}

pub mod journal;

/// Capability names as docker and the runner write them (capabilities(7) without `CAP_`).
pub mod caps {
    /// By number: `NAMES[24]` is `SYS_RESOURCE`.
    pub const NAMES: [&str; 41] = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ];

    /// The number of a capability named `SYS_RESOURCE` or `CAP_SYS_RESOURCE`.
    pub fn number(name: &str) -> Option<u32> {
        let bare = name.strip_prefix("CAP_").unwrap_or(name);
        NAMES.iter().position(|n| *n == bare).map(|i| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names() {
        for ok in ["present", "absent", "eloop", "rounded-up", "v6.1", "a_b", "0"] {
            assert!(is_variant_name(ok), "{ok}");
        }
        for bad in ["", "Present", "a b", "a+b", "-x", "a:b", &"x".repeat(VARIANT_NAME_MAX + 1)] {
            assert!(!is_variant_name(bad), "{bad}");
        }
    }

    #[test]
    fn capability_names() {
        assert_eq!(caps::number("SYS_RESOURCE"), Some(24));
        assert_eq!(caps::number("CAP_SYS_RESOURCE"), Some(24));
        assert_eq!(caps::number("CAP_CHECKPOINT_RESTORE"), Some(40));
        assert_eq!(caps::number("sys_resource"), None);
        assert_eq!(caps::NAMES[caps::number("PERFMON").unwrap() as usize], "PERFMON");
    }
}
