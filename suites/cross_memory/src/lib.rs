//! Suite `cross_memory`: reading and writing another process's memory with
//! process_vm_readv(2)/process_vm_writev(2) and /proc/<pid>/mem, and the "ptrace access
//! mode" checks that govern both (ptrace(2), "Ptrace access mode checking"; prctl(2),
//! PR_SET_DUMPABLE; Yama's /proc/sys/kernel/yama/ptrace_scope).
//!
//! Topics (one test file each):
//! - `transfer`: data moves between address spaces, scatter/gather in array order, sizes
//!   across page boundaries, zero-length vectors, copy-on-write after fork.
//! - `partial`: partial transfers at inaccessible remote memory, and protections that
//!   process_vm_writev does not override.
//! - `errors`: EFAULT, EINVAL, ESRCH as process_vm_readv(2) lists them.
//! - `permission`: EPERM without ptrace access: other users, non-dumpable processes,
//!   CAP_SYS_PTRACE, the same thread group, Yama.
//! - `proc_mem`: /proc/<pid>/mem as the alternative interface.
//!
//! The remote process is always a forked child (a [`target::Target`]): it sets up its
//! memory, reports that it is ready, and waits to be released, so the parent can inspect it
//! while it is stopped at a known point. Addresses of memory allocated before the fork are
//! the same in both processes.
//!
//! Helpers shared by the test files, one module per concern: [`calls`] (iovecs, the two
//! system calls with their exact errno, and the probes of whether this environment lets
//! them through), [`target`] (the [`target::Target`] process) and [`ptrace_access`] (Yama,
//! the dumpable attribute, the ptrace access gate), and the parameter set
//! [`cases::iovec_sides`]. Mappings come from [`fixtures::memory`].
//!
//! Every test that calls process_vm_readv(2) or process_vm_writev(2) first states
//! `needs!(available(vm_readv_allowed()))` / `needs!(available(vm_writev_allowed()))`
//! (which reports `present`, or skips with the lacking variant `blocked`): Docker before 23.0
//! denies both calls in its default seccomp profile with EPERM before the kernel looks at
//! the arguments (moby#18971; allowed again on kernels >= 4.8 by moby#42083), which would
//! turn every claim here into a failure — or, for the EPERM claims of `permission`, into a
//! pass for the wrong reason.

pub mod calls;
pub mod cases;
pub mod ptrace_access;
pub mod target;
