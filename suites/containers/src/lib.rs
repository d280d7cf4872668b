//! Suite `containers`: IPC across Linux namespaces and container boundaries.
//!
//! A container is a set of namespaces plus some mounts and limits. These tests build the
//! pieces themselves — unshare(2), setns(2), a new PID namespace's first process, private
//! mounts — in forked children, and check what each namespace isolates and what it does
//! not. The test process never changes its own namespaces.
//!
//! Topics (one test file each):
//! - `ipc_ns_mqueue`: POSIX message queues are per IPC namespace: invisible in another,
//!   shared after setns(2), alive while an ns fd or a bind mount of the ns file pins the
//!   namespace, their bytes released when the namespace dies.
//! - `ipc_ns_posix_shm`: POSIX shared memory is NOT isolated by CLONE_NEWIPC (it lives in
//!   the tmpfs at /dev/shm); a private tmpfs on /dev/shm isolates it, setns(2) into the
//!   mount namespace shares it.
//! - `ipc_ns_sysv`: System V keys, identifiers and /proc/sysvipc are per IPC namespace;
//!   objects are shared after setns(2).
//! - `ipc_ns_sysctls`: /proc/sys/fs/mqueue and the System V sysctls of a new IPC namespace
//!   start from the defaults, changes stay inside, and the limits apply per namespace.
//! - `mqueue_fs`: a mounted mqueue filesystem shows the IPC namespace of the mounter; what
//!   happens to it when that namespace has no members left.
//! - `netns_unix_sockets`: abstract AF_UNIX names are per network namespace; pathname
//!   sockets follow the filesystem (and so the mount namespace).
//! - `shm_size_limit`: a size-limited tmpfs on /dev/shm (what docker's --shm-size makes):
//!   ftruncate beyond it succeeds, touching the pages raises SIGBUS, write(2) gets ENOSPC.
//! - `pidns_credentials`: PID 1 of a new PID namespace; SO_PEERCRED, SCM_CREDENTIALS,
//!   mq_notify(3) and kill(2) pids translated into the receiver's PID namespace; signals an
//!   init without a handler never gets from outside.
//! - `userns_credentials`: SO_PEERCRED / SCM_CREDENTIALS uids and gids mapped into the
//!   receiver's user namespace; an unmapped id shows as the overflow id.
//! - `mntns_locks`: flock(2), POSIX and OFD record locks conflict across mount namespaces
//!   sharing a bind-mounted file; F_GETLK's l_pid is translated between PID namespaces.
//! - `nsfs_ioctls`: ioctls on namespace files added since 5.10: pid translation between PID
//!   namespaces (6.11), mount namespace ids and mount counts (6.12), NS_GET_ID (6.18).
//! - `netns_inet`: SO_NETNS_COOKIE tells network namespaces apart (5.14); net.core.optmem_max
//!   kept per network namespace (6.8).
//! - `pidns_pid_max`: kernel.pid_max kept per PID namespace (6.14).
//! - `landlock_abi`: the Landlock ABI version by kernel release, and the errata query.
//! - `docker_modes`: what `docker run` promises for the container modes the runner uses
//!   (IPCSPEC_CONTAINER_MODE); SKIP anywhere else.
//! - `unnamed_across_namespaces`: inherited unnamed objects (pipe, eventfd, memfd, socketpair)
//!   work across new IPC, mount and network namespaces.
//! - `mntns_fifo`: a FIFO is found through the mount namespace's view of the filesystem, and
//!   connects across IPC namespaces.
//! - `mntns_mappings`: processes in different mount namespaces share a bind-mounted file's
//!   mapping.
//! - `ipc_ns_posix_sem`: a named semaphore follows /dev/shm (the mount namespace), not the IPC
//!   namespace.
//! - `devpts_instances`: a new devpts instance numbers its ptys apart, hides them outside, and
//!   its max= bounds them.
//! - `pidns_cross_memory`: process_vm_readv(2) resolves pids in the caller's PID namespace.
//!
//! Sources: namespaces(7), ipc_namespaces(7), network_namespaces(7), mount_namespaces(7),
//! pid_namespaces(7), user_namespaces(7), mq_overview(7), shm_overview(7), sysvipc(7),
//! unix(7), tmpfs(5), mmap(2), flock(2), fcntl(2), unshare(2), setns(2), mq_open(3),
//! include/uapi/linux/nsfs.h, landlock_create_ruleset(2), socket(7) SO_NETNS_COOKIE,
//! mq_notify(3), and the Docker CLI reference for `docker container run`
//! (<https://docs.docker.com/reference/cli/docker/container/run/>: --ipc, --shm-size, --pid,
//! --network, --privileged) with the dockerd reference (--default-shm-size 64MiB).
//!
//! How the tests get their namespaces ([`sandbox`]): each states
//! `needs!(available(namespaces()))` first; as root with CAP_SYS_ADMIN they create them
//! directly, like a container runtime does; otherwise, where unprivileged user namespaces are
//! available, each test first enters a new user namespace in which it is root, so the claim
//! is still checked as uid 65534; elsewhere (a container's default seccomp profile, user
//! namespaces disabled) the test is skipped with the precise reason and the lacking variant
//! `blocked` (or `absent`, for a kernel without a namespace type). A descendant that finds
//! something refused skips the same way (`fixtures::skip_blocked!` inside any child: the skip
//! travels up to the test).
//!
//! A child that sets something up (a namespace, an object, a lock) and must stay until the
//! test is done with it is a [`fixtures::Agent`]: it says so with `serve.ready(value)` and
//! waits with `serve.wait_release()` ([`sandbox::holding`] when that is all it does); PID 1
//! of a new PID namespace is one too ([`pidns::spawn_init`]).
//!
//! Modules: [`sandbox`] (namespaces and mounts in children), [`pidns`] (a PID namespace's
//! first process), [`objects`] (the IPC objects moved between namespaces), [`sock`] (AF_UNIX
//! sockets and their credentials), [`dev_shm`] (the tmpfs on /dev/shm), [`docker`] (the
//! runner's docker modes) and [`cases`] (the named parameter set `sysv_kinds`).

pub mod cases;
pub mod dev_shm;
pub mod docker;
pub mod objects;
pub mod pidns;
pub mod sandbox;
pub mod sock;
