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
//! - `docker_modes`: what `docker run` promises for the container modes the runner uses
//!   (IPCSPEC_CONTAINER_MODE); SKIP anywhere else.
//!
//! Sources: namespaces(7), ipc_namespaces(7), network_namespaces(7), mount_namespaces(7),
//! pid_namespaces(7), user_namespaces(7), mq_overview(7), shm_overview(7), sysvipc(7),
//! unix(7), tmpfs(5), mmap(2), flock(2), fcntl(2), unshare(2), setns(2), mq_open(3),
//! mq_notify(3), and the Docker CLI reference for `docker container run`
//! (<https://docs.docker.com/reference/cli/docker/container/run/>: --ipc, --shm-size, --pid,
//! --network, --privileged) with the dockerd reference (--default-shm-size 64MiB).
//!
//! How the tests get their namespaces ([`sandbox`]): as root with CAP_SYS_ADMIN they create
//! them directly, like a container runtime does; otherwise, where unprivileged user
//! namespaces are available, each test first enters a new user namespace in which it is
//! root, so the claim is still checked as uid 65534; elsewhere (a container's default
//! seccomp profile, user namespaces disabled) the test is skipped with the precise reason.

pub mod caps;
pub mod docker;
pub mod objects;
pub mod pidns;
pub mod sandbox;
pub mod sock;

pub use sandbox::{Pause, Settle, enter, join_ns, ns_file, sandbox, skip_in_child, wait_from};
