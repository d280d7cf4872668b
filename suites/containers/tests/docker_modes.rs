//! What a container gets, per `docker run` mode the runner uses. These tests run only in a
//! `docker:<mode>` target, where the runner sets IPCSPEC_CONTAINER_MODE (and, per mode,
//! IPCSPEC_SHM_SIZE and IPCSPEC_HOST_IPC_NS; see docs/suites/containers.md); anywhere else
//! they SKIP with "not running in a docker:<mode> target" (a plain SKIP: the claim does not
//! apply there).
//!
//! Variants: `shared` / `private` (the container's IPC namespace and the host's), `default-size`
//! / `configured-size` (which /dev/shm size was expected), `full` / `approximated` (a real
//! --privileged, or the runner's approximation of it; lacking).
//!
//! Sources: the Docker CLI reference for `docker container run`
//! (<https://docs.docker.com/reference/cli/docker/container/run/>): --ipc ("private": "Own
//! private IPC namespace"; "host": "Use the host system's IPC namespace"), --shm-size
//! ("Size of /dev/shm"), --privileged ("Enables all Linux kernel capabilities", "Disables
//! the default seccomp profile"), --user; the dockerd reference: --default-shm-size
//! "Default shm size for containers (default 64MiB)"; "Runtime privilege and Linux
//! capabilities" (docs.docker.com/engine/containers/run/) for the default capability list.

use containers::dev_shm::statfs_dev_shm;
use containers::docker::{DEFAULT_SHM_SIZE, mode, mode_in, parse_ns_inode, required_var};
use fixtures::caps::{CapSet, cap_last_cap};
use fixtures::ns::{ns_inode, unshare_exact};
use fixtures::procfs::seccomp_mode;
use fixtures::protocol::env::{HOST_IPC_NS, PRIVILEGED_MISSING_CAPS, SHM_SIZE};
use fixtures::{assert_errno, needs, run_in_child, sys, variant};
use nix::errno::Errno;

/// The capabilities docker keeps by default ("Runtime privilege and Linux capabilities"):
/// AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE,
/// NET_RAW, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT (capabilities(7) numbers).
const DOCKER_DEFAULT_CAPS: CapSet = CapSet((1 << 0) // CHOWN
    | (1 << 1) // DAC_OVERRIDE
    | (1 << 3) // FOWNER
    | (1 << 4) // FSETID
    | (1 << 5) // KILL
    | (1 << 6) // SETGID
    | (1 << 7) // SETUID
    | (1 << 8) // SETPCAP
    | (1 << 10) // NET_BIND_SERVICE
    | (1 << 13) // NET_RAW
    | (1 << 18) // SYS_CHROOT
    | (1 << 27) // MKNOD
    | (1 << 29) // AUDIT_WRITE
    | (1 << 31)); // SETFCAP

/// The bytes the runner passed to --shm-size, if any.
fn configured_shm_size() -> Option<u64> {
    // variant: none here — the caller reports `default-size` or `configured-size`.
    std::env::var(SHM_SIZE).ok().map(|v| v.trim().parse().unwrap_or_else(|_| panic!("{SHM_SIZE}={v:?} is not a byte count")))
}

/// dockerd(8): --default-shm-size "Default shm size for containers (default 64MiB)";
/// docker-run(1)
/// --ipc "private": "Own private IPC namespace" (with its own /dev/shm). Without --shm-size,
/// /dev/shm is a tmpfs of exactly 64 MiB (or of IPCSPEC_SHM_SIZE, when the runner passed
/// one). Variant: `default-size` (64 MiB expected) or `configured-size` (the runner's size).
#[test]
fn dev_shm_is_a_64_mib_tmpfs_by_default() {
    needs!(gate(mode_in(&["default", "nonroot", "privileged"])));
    let mode = mode();
    let expected = match configured_shm_size() {
        Some(n) => {
            variant::observed("configured-size", format_args!("docker:{mode} with --shm-size {n} ({SHM_SIZE})"));
            n
        }
        None => {
            variant::observed("default-size", format_args!("docker:{mode} without --shm-size: the daemon's default 64 MiB"));
            DEFAULT_SHM_SIZE
        }
    };
    let (kind, size, _, _) = statfs_dev_shm();
    assert_eq!((kind, size), (libc::TMPFS_MAGIC, expected), "(f_type, size in bytes) of /dev/shm: a tmpfs of the expected size");
}

/// docker-run(1), --shm-size: "Size of /dev/shm". /dev/shm is a tmpfs of exactly the size the
/// runner passed (IPCSPEC_SHM_SIZE).
#[test]
fn dev_shm_is_a_tmpfs_of_the_shm_size_given() {
    needs!(gate(mode_in(&["shm-small"])));
    let mode = mode();
    let expected: u64 = required_var(SHM_SIZE, &mode).trim().parse().unwrap_or_else(|_| panic!("{SHM_SIZE} in bytes"));
    let (kind, size, _, _) = statfs_dev_shm();
    assert_eq!((kind, size), (libc::TMPFS_MAGIC, expected), "(f_type, size in bytes) of /dev/shm: a tmpfs of the expected size");
}

/// docker run --ipc "host": "Use the host system's IPC namespace." /proc/self/ns/ipc is the
/// host's namespace (same inode; namespaces(7): "If two processes are in the same
/// namespace, then the device IDs and inode numbers of their /proc/pid/ns/xxx symbolic links
/// will be the same"). Variant: `shared`.
#[test]
fn ipc_host_shares_the_hosts_ipc_namespace() {
    needs!(gate(mode_in(&["ipc-host"])));
    let mode = mode();
    let host = parse_ns_inode(&required_var(HOST_IPC_NS, &mode));
    let own = ns_inode("self", "ipc");
    assert_eq!(own, host, "the container's IPC namespace is the host's");
    variant::observed("shared", format_args!("docker:{mode}: the container's IPC namespace ipc:[{own}] is the host's"));
}

/// docker-run(1), --ipc "private" (the daemon's default; "shareable" is private too): "Own
/// private IPC namespace". /proc/self/ns/ipc differs from the host's. Variant: `private`.
#[test]
fn private_ipc_mode_has_an_ipc_namespace_of_its_own() {
    needs!(gate(mode_in(&["default", "nonroot", "privileged", "shm-small"])));
    let mode = mode();
    let Ok(host) = std::env::var(HOST_IPC_NS) else {
        fixtures::skip!("{HOST_IPC_NS} is not set by the runner in docker:{mode}, so the host's namespace is unknown")
    };
    let host = parse_ns_inode(&host);
    let own = ns_inode("self", "ipc");
    assert_ne!(own, host, "the container's IPC namespace must not be the host's");
    variant::observed("private", format_args!("docker:{mode}: the container's IPC namespace ipc:[{own}] is not the host's ipc:[{host}]"));
}

/// docker run --user 65534:65534, with docker's default capabilities: capabilities(7) —
/// a non-root user keeps no permitted or effective capabilities across execve(2). The test
/// runs as uid and gid 65534 with empty CapEff and CapPrm.
#[test]
fn nonroot_runs_as_65534_without_capabilities() {
    needs!(gate(mode_in(&["nonroot"])));
    // variant: none — the ids are the claim itself (asserted), not a branch.
    let ids = (nix::unistd::getuid().as_raw(), nix::unistd::geteuid().as_raw(), nix::unistd::getgid().as_raw());
    assert_eq!(ids, (65534, 65534, 65534), "(uid, euid, gid)");
    assert_eq!(CapSet::effective(), CapSet::EMPTY, "effective capabilities");
    assert_eq!(CapSet::permitted(), CapSet::EMPTY, "permitted capabilities");
}

/// docker-run(1), "Runtime privilege and Linux capabilities"; capabilities(7): by default
/// a container's root keeps exactly
/// docker's default list — notably not CAP_SYS_ADMIN, so it cannot create namespaces
/// (docker's seccomp documentation: unshare is "gated by CAP_SYS_ADMIN"): an
/// unshare(CLONE_NEWIPC) in a child fails with EPERM, and a seccomp filter is in force
/// (/proc/self/status Seccomp: 2).
#[test]
fn default_root_has_dockers_default_capabilities_and_seccomp() {
    needs!(gate(mode_in(&["default", "shm-small", "ipc-host"])), root);
    assert_eq!(CapSet::effective(), DOCKER_DEFAULT_CAPS, "effective capabilities");
    assert_eq!(seccomp_mode(), Some(2), "the default seccomp profile is a filter");
    run_in_child("unshare in a default container", || {
        assert_errno!(unshare_exact(libc::CLONE_NEWIPC), Errno::EPERM, "unshare(CLONE_NEWIPC)");
    })
    .expect_success();
}

/// Capabilities docker's default set lacks (see [`DOCKER_DEFAULT_CAPS`]) that `--privileged`
/// must add, whatever the daemon: the administrative ones the other suites' privileged claims
/// rest on (capabilities(7) numbers).
const BEYOND_DEFAULT_CAPS: CapSet = CapSet((1 << 2) // DAC_READ_SEARCH
    | (1 << 12) // NET_ADMIN
    | (1 << 14) // IPC_LOCK
    | (1 << 15) // IPC_OWNER
    | (1 << 16) // SYS_MODULE
    | (1 << 17) // SYS_RAWIO
    | (1 << 19) // SYS_PTRACE
    | (1 << 21) // SYS_ADMIN
    | (1 << 23) // SYS_NICE
    | (1 << 25)); // SYS_TIME

/// CAP_AUDIT_READ, the last capability of docker 20.10's list (later docker versions add
/// CAP_PERFMON, CAP_BPF and CAP_CHECKPOINT_RESTORE, 38 to 40): what "all capabilities" can
/// mean is bounded by the docker version, not by the kernel's cap_last_cap.
const CAP_AUDIT_READ: u32 = 37;

/// Whether /sys is mounted read-write (statvfs(3): ST_RDONLY not set in f_flag).
fn sys_is_read_write() -> bool {
    // SAFETY: zeroed statvfs is a valid out-parameter.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid path and buffer.
    sys(unsafe { libc::statvfs(c"/sys".as_ptr(), &mut st) }).expect("statvfs /sys");
    st.f_flag & libc::ST_RDONLY == 0
}

/// docker run reference, "Runtime privilege and Linux capabilities": "The --privileged
/// flag gives all capabilities to the container"; docker container run, --privileged:
/// "Enables all Linux kernel capabilities", "Disables the default seccomp profile", "Makes
/// /sys read-write". "All" is the runtime's full set: docker 20.10's capability list ends at
/// CAP_AUDIT_READ (37), so even a real --privileged lacks CAP_PERFMON..CAP_CHECKPOINT_RESTORE
/// on kernels >= 5.9, and the set is bounded by the daemon's own bounding set (a daemon
/// lacking CAP_SYS_RESOURCE cannot start --privileged at all; the runner then approximates it
/// with `--cap-add ALL --cap-drop <missing> --security-opt seccomp=unconfined ...` and says
/// so in the column). capabilities(7), "Capabilities and execution of programs by root": for
/// root, P'(permitted) = P(inheritable) | P(bounding) and P'(effective) = P'(permitted).
///
/// Asserted: CapEff == CapPrm == CapBnd (every capability the container may hold is
/// effective); CapBnd keeps docker's default set and has the capabilities that set lacks
/// (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_IPC_LOCK, CAP_IPC_OWNER,
/// CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_DAC_READ_SEARCH, CAP_SYS_NICE, CAP_SYS_TIME); with /sys
/// read-write (a real --privileged) CapBnd holds every capability 0..=37 the kernel knows;
/// in the runner's approximation ($IPCSPEC_PRIVILEGED_MISSING_CAPS names what the daemon could
/// not give) exactly those are missing and /sys is read-only; Seccomp is 0;
/// /proc/sys/fs/mqueue/msg_max opens for writing. Variant: `full` (a real --privileged) or
/// `approximated` (lacking: the daemon could not start one; the runner's stand-in was checked).
#[test]
fn privileged_has_every_capability_no_seccomp_and_a_writable_proc_sys() {
    needs!(gate(mode_in(&["privileged"])), root);
    let (eff, prm, bnd) = (CapSet::effective(), CapSet::permitted(), CapSet::bounding());
    assert_eq!(
        (eff, prm),
        (bnd, bnd),
        "(CapEff, CapPrm) must both be CapBnd {bnd:?}: not effective {:?}, not permitted {:?}",
        (bnd - eff).names(),
        (bnd - prm).names()
    );
    let wanted = DOCKER_DEFAULT_CAPS | BEYOND_DEFAULT_CAPS;
    assert_eq!(bnd & wanted, wanted, "CapBnd {bnd:?} lacks {:?}", (wanted - bnd).names());
    let through_audit_read = CapSet::through(CAP_AUDIT_READ.min(cap_last_cap()));
    match std::env::var(PRIVILEGED_MISSING_CAPS) {
        // The runner's approximation: exactly the capabilities it says it could not give are
        // missing, and /sys is read-only as docker leaves it without --privileged.
        Ok(missing) => {
            variant::lacking("approximated", format_args!("--privileged approximated by the runner: the daemon cannot give {missing}"));
            let missing_set = CapSet::from_names(&missing)
                .unwrap_or_else(|e| panic!("{PRIVILEGED_MISSING_CAPS} names {e}"));
            assert_eq!(
                bnd & through_audit_read,
                through_audit_read - missing_set,
                "approximated --privileged without {missing}: CapBnd {bnd:?} lacks {:?}",
                (through_audit_read - bnd).names()
            );
            assert!(!sys_is_read_write(), "/sys is read-write, yet the runner says --privileged was approximated");
        }
        Err(_) => {
            variant::observed("full", "a real --privileged: every capability through CAP_AUDIT_READ, /sys read-write");
            assert!(sys_is_read_write(), "--privileged \"makes /sys read-write\", but /sys is read-only");
            assert_eq!(
                bnd & through_audit_read,
                through_audit_read,
                "a real --privileged: CapBnd {bnd:?} lacks {:?}",
                (through_audit_read - bnd).names()
            );
        }
    }
    assert_eq!(seccomp_mode(), Some(0), "no seccomp filter");
    std::fs::OpenOptions::new().write(true).open("/proc/sys/fs/mqueue/msg_max").expect("/proc/sys is writable");
}
