//! Suite `posix_sem`: POSIX semaphores, named and unnamed, as glibc implements them on
//! Linux (a 32-bit futex word in shared memory; named semaphores are files `sem.NAME` in
//! the tmpfs mounted on /dev/shm).
//!
//! The kernel's part is what the tests are about: the shared memory a semaphore lives in
//! (a file of /dev/shm mapped by every process that opens the name, or MAP_SHARED memory
//! inherited across fork), the futex that blocks and wakes waiters, timeouts and signals,
//! and the file behind a name (its mode, owner, length limit, unlink). Claims that glibc
//! answers alone, without a system call (argument checks, SEM_VALUE_MAX, its table of open
//! semaphores, how it spells a name), are not tested: they cannot differ between kernels.
//!
//! Topics (one test file each):
//! - `open_rules`: sem_open(3) with and without O_CREAT/O_EXCL, the initial value, another
//!   process by name, persistence after every handle is closed.
//! - `names`: the file /dev/shm/sem.NAME and the NAME_MAX-4 limit of sem_overview(7).
//! - `permissions`: mode and umask, owner, EACCES for another user on open and unlink.
//! - `values`: post/wait/trywait across processes, sem_getvalue(3), EOVERFLOW at
//!   SEM_VALUE_MAX.
//! - `blocking`: sem_wait(3) blocking until a post from another process, wake-one,
//!   sem_timedwait/sem_clockwait timeouts, EINTR and SA_RESTART (signal(7)).
//! - `unnamed`: sem_init(3), pshared semaphores in MAP_SHARED memory and in a POSIX shared
//!   memory object, thread-shared semaphores, private memory after fork.
//! - `unlink`: sem_unlink(3): the name goes at once, open handles keep working.
//! - `counting`: many posters and waiters lose no post; mutual exclusion of a shared
//!   counter across processes.
//! - `exec.rs`: a named semaphore does not survive execve(2): the new program opens the name again.
//!
//! Sources: sem_overview(7), sem_open(3), sem_wait(3), sem_post(3), sem_init(3),
//! sem_getvalue(3), sem_unlink(3), sem_destroy(3), the glibc manual's "Functions for Waiting
//! According to a Specific Clock" (sem_clockwait, glibc 2.30+), signal(7) "Interruption of
//! system calls and library functions by signal handlers", POSIX.1-2024 <semaphore.h>.
//!
//! Helpers shared by the test files, one module per concern: [`named`] (sem_open(3) and
//! friends with the exact errno, a closing handle, the file in /dev/shm), [`calls`] (the
//! operations on a semaphore's address), [`unnamed`] (sem_init(3) in MAP_SHARED memory,
//! [`fixtures::memory::Mapping`]) and [`cases`] (the parameter set of the two kinds).
//! Deadlines on a clock come from [`fixtures::clock`].

pub mod calls;
pub mod cases;
pub mod named;
pub mod unnamed;

/// SEM_VALUE_MAX of glibc on Linux (INT_MAX), the largest value a semaphore can hold.
pub const SEM_VALUE_MAX: u32 = i32::MAX as u32;
