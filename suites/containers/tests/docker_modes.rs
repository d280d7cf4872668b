//! What a container gets, per `docker run` mode the runner uses. These tests run only in a
//! `docker:<mode>` target, where the runner sets IPCSPEC_CONTAINER_MODE (and, per mode,
//! IPCSPEC_SHM_SIZE and IPCSPEC_HOST_IPC_NS; see docs/suites/containers.md); anywhere else
//! they SKIP with "not running in a docker:<mode> target".
//!
//! Sources: the Docker CLI reference for `docker container run`
//! (<https://docs.docker.com/reference/cli/docker/container/run/>): --ipc ("private": "Own
//! private IPC namespace"; "host": "Use the host system's IPC namespace"), --shm-size
//! ("Size of /dev/shm"), --privileged ("Enables all Linux kernel capabilities", "Disables
//! the default seccomp profile"), --user; the dockerd reference: --default-shm-size
//! "Default shm size for containers (default 64MiB)"; "Runtime privilege and Linux
//! capabilities" (docs.docker.com/engine/containers/run/) for the default capability list.

use containers::caps::{cap_bit, cap_last_cap, cap_names, cap_set, caps_through, seccomp_mode};
use containers::docker::{DEFAULT_SHM_SIZE, HOST_IPC_NS_VAR, SHM_SIZE_VAR, mode_in, parse_ns_inode, required_var};
use containers::sandbox::ns_inode;
use fixtures::{assert_errno, require, run_in_child, sys};
use nix::errno::Errno;
use nix::sched::CloneFlags;

/// tmpfs's f_type (statfs(2)).
const TMPFS_MAGIC: i64 = 0x0102_1994;

/// The capabilities docker keeps by default ("Runtime privilege and Linux capabilities"):
/// AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE,
/// NET_RAW, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT (capabilities(7) numbers).
const DOCKER_DEFAULT_CAPS: u64 = (1 << 0) // CHOWN
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
    | (1 << 31); // SETFCAP

/// The size of /dev/shm in bytes and whether it is a tmpfs, from statfs(2).
fn dev_shm() -> (i64, u64) {
    // SAFETY: zeroed statfs is a valid out-parameter.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid path and buffer.
    sys(unsafe { libc::statfs(c"/dev/shm".as_ptr(), &mut st) }).expect("statfs /dev/shm");
    (st.f_type as i64, st.f_blocks as u64 * st.f_bsize as u64)
}

/// The bytes the runner passed to --shm-size, if any.
fn configured_shm_size() -> Option<u64> {
    std::env::var(SHM_SIZE_VAR).ok().map(|v| v.trim().parse().unwrap_or_else(|_| panic!("{SHM_SIZE_VAR}={v:?} is not a byte count")))
}

/// dockerd(8): --default-shm-size "Default shm size for containers (default 64MiB)";
/// docker-run(1)
/// --ipc "private": "Own private IPC namespace" (with its own /dev/shm). Without --shm-size,
/// /dev/shm is a tmpfs of exactly 64 MiB (or of IPCSPEC_SHM_SIZE, when the runner passed
/// one).
#[test]
fn dev_shm_is_a_64_mib_tmpfs_by_default() {
    require!(mode_in(&["default", "nonroot", "privileged"]).map(drop));
    let (kind, size) = dev_shm();
    assert_eq!(kind, TMPFS_MAGIC, "/dev/shm is a tmpfs");
    assert_eq!(size, configured_shm_size().unwrap_or(DEFAULT_SHM_SIZE), "size of /dev/shm in bytes");
}

/// docker-run(1), --shm-size: "Size of /dev/shm". /dev/shm is a tmpfs of exactly the size the
/// runner passed (IPCSPEC_SHM_SIZE).
#[test]
fn dev_shm_is_a_tmpfs_of_the_shm_size_given() {
    let mode = match mode_in(&["shm-small"]) {
        Ok(m) => m,
        Err(reason) => fixtures::skip!("{reason}"),
    };
    let expected: u64 = required_var(SHM_SIZE_VAR, &mode).trim().parse().expect("IPCSPEC_SHM_SIZE in bytes");
    let (kind, size) = dev_shm();
    assert_eq!(kind, TMPFS_MAGIC, "/dev/shm is a tmpfs");
    assert_eq!(size, expected, "size of /dev/shm in bytes");
}

/// docker run --ipc "host": "Use the host system's IPC namespace." /proc/self/ns/ipc is the
/// host's namespace (same inode; namespaces(7): "If two processes are in the same
/// namespace, then the device IDs and inode numbers of their /proc/pid/ns/xxx symbolic links
/// will be the same").
#[test]
fn ipc_host_shares_the_hosts_ipc_namespace() {
    let mode = match mode_in(&["ipc-host"]) {
        Ok(m) => m,
        Err(reason) => fixtures::skip!("{reason}"),
    };
    let host = parse_ns_inode(&required_var(HOST_IPC_NS_VAR, &mode));
    assert_eq!(ns_inode("self", "ipc"), host, "the container's IPC namespace is the host's");
}

/// docker-run(1), --ipc "private" (the daemon's default; "shareable" is private too): "Own
/// private IPC namespace". /proc/self/ns/ipc differs from the host's.
#[test]
fn private_ipc_mode_has_an_ipc_namespace_of_its_own() {
    let mode = match mode_in(&["default", "nonroot", "privileged", "shm-small"]) {
        Ok(m) => m,
        Err(reason) => fixtures::skip!("{reason}"),
    };
    let Ok(host) = std::env::var(HOST_IPC_NS_VAR) else {
        fixtures::skip!("{HOST_IPC_NS_VAR} is not set by the runner in docker:{mode}, so the host's namespace is unknown")
    };
    let host = parse_ns_inode(&host);
    assert_ne!(ns_inode("self", "ipc"), host, "the container's IPC namespace must not be the host's");
}

/// docker run --user 65534:65534, with docker's default capabilities: capabilities(7) —
/// a non-root user keeps no permitted or effective capabilities across execve(2). The test
/// runs as uid and gid 65534 with empty CapEff and CapPrm.
#[test]
fn nonroot_runs_as_65534_without_capabilities() {
    require!(mode_in(&["nonroot"]).map(drop));
    let ids = (nix::unistd::getuid().as_raw(), nix::unistd::geteuid().as_raw(), nix::unistd::getgid().as_raw());
    assert_eq!(ids, (65534, 65534, 65534), "(uid, euid, gid)");
    assert_eq!(cap_set("CapEff"), 0, "effective capabilities");
    assert_eq!(cap_set("CapPrm"), 0, "permitted capabilities");
}

/// docker-run(1), "Runtime privilege and Linux capabilities"; capabilities(7): by default
/// a container's root keeps exactly
/// docker's default list — notably not CAP_SYS_ADMIN, so it cannot create namespaces
/// (docker's seccomp documentation: unshare is "gated by CAP_SYS_ADMIN"): an
/// unshare(CLONE_NEWIPC) in a child fails with EPERM, and a seccomp filter is in force
/// (/proc/self/status Seccomp: 2).
#[test]
fn default_root_has_dockers_default_capabilities_and_seccomp() {
    require!(mode_in(&["default", "shm-small", "ipc-host"]).map(drop));
    require!(fixtures::gate::root(), "the container's default user is root");
    assert_eq!(cap_set("CapEff"), DOCKER_DEFAULT_CAPS, "effective capabilities: {:#x}", cap_set("CapEff"));
    assert_eq!(seccomp_mode(), Some(2), "the default seccomp profile is a filter");
    run_in_child("unshare in a default container", || {
        assert_errno!(nix::sched::unshare(CloneFlags::CLONE_NEWIPC), Errno::EPERM, "unshare(CLONE_NEWIPC)");
    })
    .expect_success();
}

/// Capabilities docker's default set lacks (see [`DOCKER_DEFAULT_CAPS`]) that `--privileged`
/// must add, whatever the daemon: the administrative ones the other suites' privileged claims
/// rest on (capabilities(7) numbers).
const BEYOND_DEFAULT_CAPS: u64 = (1 << 2) // DAC_READ_SEARCH
    | (1 << 12) // NET_ADMIN
    | (1 << 14) // IPC_LOCK
    | (1 << 15) // IPC_OWNER
    | (1 << 16) // SYS_MODULE
    | (1 << 17) // SYS_RAWIO
    | (1 << 19) // SYS_PTRACE
    | (1 << 21) // SYS_ADMIN
    | (1 << 23) // SYS_NICE
    | (1 << 25); // SYS_TIME

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
/// /proc/sys/fs/mqueue/msg_max opens for writing.
#[test]
fn privileged_has_every_capability_no_seccomp_and_a_writable_proc_sys() {
    require!(mode_in(&["privileged"]).map(drop));
    require!(fixtures::gate::root(), "the privileged container's user is root");
    let (eff, prm, bnd) = (cap_set("CapEff"), cap_set("CapPrm"), cap_set("CapBnd"));
    assert_eq!(
        (eff, prm),
        (bnd, bnd),
        "(CapEff, CapPrm) must both be CapBnd {bnd:#x}: not effective {:?}, not permitted {:?}",
        cap_names(bnd & !eff),
        cap_names(bnd & !prm)
    );
    let wanted = DOCKER_DEFAULT_CAPS | BEYOND_DEFAULT_CAPS;
    assert_eq!(bnd & wanted, wanted, "CapBnd {bnd:#x} lacks {:?}", cap_names(wanted & !bnd));
    let through_audit_read = caps_through(CAP_AUDIT_READ.min(cap_last_cap()));
    match std::env::var("IPCSPEC_PRIVILEGED_MISSING_CAPS") {
        // The runner's approximation: exactly the capabilities it says it could not give are
        // missing, and /sys is read-only as docker leaves it without --privileged.
        Ok(missing) => {
            let missing_mask = missing
                .split(',')
                .filter(|n| !n.is_empty())
                .map(|n| cap_bit(n).unwrap_or_else(|| panic!("IPCSPEC_PRIVILEGED_MISSING_CAPS names {n:?}, not a capability")))
                .fold(0u64, |m, b| m | b);
            assert_eq!(
                bnd & through_audit_read,
                through_audit_read & !missing_mask,
                "approximated --privileged without {missing}: CapBnd {bnd:#x} lacks {:?}",
                cap_names(through_audit_read & !bnd)
            );
            assert!(!sys_is_read_write(), "/sys is read-write, yet the runner says --privileged was approximated");
        }
        Err(_) => {
            assert!(sys_is_read_write(), "--privileged \"makes /sys read-write\", but /sys is read-only");
            assert_eq!(
                bnd & through_audit_read,
                through_audit_read,
                "a real --privileged: CapBnd {bnd:#x} lacks {:?}",
                cap_names(through_audit_read & !bnd)
            );
        }
    }
    assert_eq!(seccomp_mode(), Some(0), "no seccomp filter");
    std::fs::OpenOptions::new().write(true).open("/proc/sys/fs/mqueue/msg_max").expect("/proc/sys is writable");
}
