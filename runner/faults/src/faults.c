/*
 * ipcspec fault injection: one LD_PRELOAD library, two injectors.
 *
 * Each named fault breaks exactly one documented IPC semantic, so that `ipcspec selfcheck`
 * can prove a suite catches it. The fault is chosen at run time with IPCSPEC_FAULT=<name>;
 * without it (or with an unknown name, reported on stderr) nothing changes: every wrapper
 * calls the real function with the same arguments and returns its result and errno
 * untouched, and no seccomp filter is installed.
 *
 * A fault is injected by one of two mechanisms (docs/trust.md, "Two injectors"):
 *
 * - preload: a wrapper of a libc function (this library is preloaded, so its definition
 *   wins). It sees what the function is called with and what it returns, descriptor kinds
 *   included, but only calls that go through libc's dynamic symbols.
 *
 * - seccomp: the library's constructor installs a seccomp filter whose BPF program matches
 *   exactly the system calls the fault breaks (by number and scalar argument values, e.g.
 *   fcntl with cmd == F_SETOWN) and answers them SECCOMP_RET_TRAP; every other call is
 *   allowed by the kernel at full speed (the program looks at arguments only after the
 *   number matched, so the kernel's action cache allows other numbers without running it).
 *   The kernel turns a trapped call into a synchronous SIGSYS on the calling thread; the
 *   SIGSYS handler here emulates the faulty kernel (usually: makes the call with changed
 *   arguments, or changes its result) and puts the result in the interrupted context's
 *   rax, as the kernel would have. So the fault reaches raw syscall(2)s, libc's own calls
 *   and libc's emulations alike.
 *
 * The handler makes its own system calls through a tiny "gadget" (syscall; ret) mapped at a
 * fixed address in every process: the filter allows any call whose instruction pointer is
 * the gadget's, so the handler's calls are never trapped again. The address is the same in
 * every program the library is loaded into, so a filter inherited across execve(2) (filters
 * are inherited and cannot be removed) still recognises the new program's gadget.
 *
 * Processes under a seccomp fault also keep what the handler needs:
 * - sigaction/signal cannot replace the SIGSYS handler (a program's own SIGSYS action is
 *   kept and called for SIGSYS that the filter did not cause), and SIGSYS is removed from
 *   the sets given to sigprocmask/pthread_sigmask and from every handler's sa_mask: the
 *   kernel kills a thread whose trapped call raises a blocked SIGSYS;
 * - execve and the functions built on it put LD_PRELOAD and IPCSPEC_FAULT back into an
 *   environment that lacks them, so the new program loads this library and its handler
 *   before it can make a trapped call.
 *
 * IPCSPEC_FAULT=passthrough selects no fault, but installs the filter with the rules of
 * every seccomp fault and answers each trapped call by making it unchanged: the self-check's
 * baseline runs under it, proving both injectors transparent when no fault is active.
 *
 * Rules that keep the library safe inside the processes under test:
 * - The real functions are looked up once, in the constructor, with dlsym(RTLD_NEXT): no
 *   dlsym (which takes the loader lock) after a fork of a multi-threaded process.
 * - Wrappers call only the real pointers and libc functions this library does not wrap, so
 *   no wrapper recurses into another.
 * - Faults are narrow (they match arguments and descriptor kinds) so that the harness's own
 *   pipes, polls, forks and waits keep working: a fault that breaks everything proves nothing.
 * - A wrapper that does not fire preserves errno across the checks it makes.
 * - The SIGSYS handler is async-signal-safe: raw system calls through the gadget, no
 *   allocation, no stdio, no locks; errno is preserved. It is reentrant (SA_NODEFER), so a
 *   trapped call inside another signal handler that interrupted it is handled too.
 *
 * When IPCSPEC_FAULT_LOG names a file, the first firing of the fault in each process appends
 * "<fault> <pid> <function>\n" to it, so the self-check can tell "never reached" from
 * "missed" (in passthrough mode: "passthrough <pid> <call>" for the first trapped call).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a SIGSYS raised by SECCOMP_RET_TRAP */
#endif

/* Every fault: its enum tag, its name and its injector (P: preload, S: seccomp). Keep in sync
 * with runner/faults/src/lib.rs (a test there compares both lists through
 * ipcspec_faults_catalogue()). */
#define FAULTS(X)                                                                   \
    X(DUP2_EBUSY, "dup2-fails-ebusy-on-open-target", S)                             \
    X(DUP_NOT_LOWEST, "dup-skips-the-lowest-free-fd", S)                            \
    X(DUP3_NO_CLOEXEC, "dup3-ignores-o-cloexec", S)                                 \
    X(DUP3_ANY_FLAGS, "dup3-ignores-unknown-flags", S)                              \
    X(SETFL_NO_APPEND, "fcntl-setfl-drops-o-append", S)                             \
    X(DUPFD_NO_MIN, "fcntl-dupfd-ignores-the-minimum", S)                           \
    X(PIPE2_NO_CLOEXEC, "pipe2-ignores-o-cloexec", S)                               \
    X(PIPE2_NO_NONBLOCK, "pipe2-ignores-o-nonblock", S)                             \
    X(PIPE2_NO_DIRECT, "pipe2-ignores-o-direct", S)                                 \
    X(PIPE2_ANY_FLAGS, "pipe2-ignores-unknown-flags", S)                            \
    X(PIPE_SWAPPED, "pipe-returns-the-ends-swapped", P)                             \
    X(PIPE_READ_EOF, "pipe-read-returns-eof-while-a-writer-is-open", P)             \
    X(PIPE_NB_PARTIAL, "pipe-small-nonblocking-write-is-partial", P)                \
    X(NO_SIGPIPE, "pipe-write-without-readers-raises-no-sigpipe", P)                \
    X(SETPIPE_SZ_EXACT, "fcntl-setpipe-sz-does-not-round-up", S)                    \
    X(FIFO_NO_ENXIO, "fifo-open-wronly-nonblock-without-reader-succeeds", P)        \
    X(FIFO_RDONLY_NOBLOCK, "fifo-open-rdonly-does-not-wait-for-a-writer", P)        \
    X(MKFIFO_NO_UMASK, "mkfifo-ignores-the-umask", S)                               \
    X(EAGAIN_AS_EOF, "nonblocking-read-returns-0-instead-of-eagain", P)             \
    X(ACCEPT4_NO_NONBLOCK, "accept4-ignores-sock-nonblock", S)                      \
    X(CONNECT_SYNC, "nonblocking-tcp-connect-completes-synchronously", P)           \
    X(DONTWAIT_STICKY, "msg-dontwait-sets-o-nonblock-on-the-socket", S)             \
    X(EFD_NO_SEMAPHORE, "eventfd-ignores-efd-semaphore", S)                         \
    X(EFD_NO_CLOEXEC, "eventfd2-ignores-efd-cloexec", S)                            \
    X(EFD_NO_NONBLOCK, "eventfd2-ignores-efd-nonblock", S)                          \
    X(EFD_ANY_FLAGS, "eventfd2-ignores-unknown-flags", S)                           \
    X(EFD_NO_RESET, "eventfd-read-does-not-reset-the-counter", P)                   \
    X(EFD_ALL_ONES, "eventfd-write-of-all-ones-succeeds", P)                        \
    X(SEM_TRYWAIT_ZERO, "sem-trywait-on-zero-succeeds", P)                          \
    X(SEM_POST_NO_EOVERFLOW, "sem-post-at-max-does-not-fail-eoverflow", P)          \
    X(SEM_OPEN_NO_EXCL, "sem-open-ignores-o-excl", P)                               \
    X(SHM_NO_TRUNC, "shm-open-ignores-o-trunc", P)                                  \
    X(SHM_NO_CLOEXEC, "shm-open-descriptor-is-not-close-on-exec", P)                \
    X(SHM_UNLINK_MISSING_OK, "shm-unlink-of-a-missing-name-succeeds", P)            \
    X(MQ_TIMED_NO_DEADLINE, "mq-timedreceive-ignores-its-deadline", S)              \
    X(MQ_NO_PRIORITY, "mq-send-ignores-the-priority", S)                            \
    X(MQ_CURMSGS_ZERO, "mq-getattr-reports-no-messages", S)                         \
    X(MQ_NOTIFY_NO_EBUSY, "mq-notify-allows-a-second-registration", S)              \
    X(SIGIO_HIDDEN, "sigio-is-never-delivered", P)                                  \
    X(SIGINFO_BAD_FD, "sigio-siginfo-names-the-wrong-fd", P)                        \
    X(SETOWN_IGNORED, "fcntl-setown-is-ignored", S)                                 \
    X(GETOWN_WRONG, "fcntl-getown-reports-the-wrong-owner", S)                      \
    X(SETSIG_IGNORED, "fcntl-setsig-is-ignored", S)                                 \
    X(SELECT_NO_EXCEPT, "select-ignores-exceptfds", S)                              \
    X(SELECT_NO_WRITEBACK, "select-does-not-write-back-the-timeout", S)             \
    X(POLL_SOCKET_NO_HUP, "poll-drops-pollhup-on-sockets", P)                       \
    X(POLL_NEGATIVE_NVAL, "poll-reports-pollnval-for-a-negative-fd", P)             \
    X(PPOLL_NO_SIGMASK, "ppoll-ignores-its-sigmask", S)                             \
    X(EPOLL_NO_ONESHOT, "epoll-ignores-epolloneshot", P)                            \
    X(EPOLL_MOD_NO_REARM, "epoll-ctl-mod-does-not-re-arm-a-oneshot", P)             \
    X(EPOLL_NO_ET, "epoll-ignores-epollet", P)                                      \
    X(RECV_NO_PEEK, "recv-loses-msg-peek", S)                                       \
    X(RECVMSG_NO_TRUNC_FLAG, "recvmsg-clears-msg-trunc", P)                         \
    X(REUSEADDR_IGNORED, "so-reuseaddr-is-ignored", S)                              \
    X(SHUTDOWN_WR_IGNORED, "shutdown-shut-wr-is-ignored", S)                        \
    X(UNIX_BIND_REPLACES, "unix-bind-replaces-a-leftover-socket-file", P)           \
    X(CMSG_CLOEXEC_IGNORED, "recvmsg-ignores-msg-cmsg-cloexec", S)                  \
    X(PASSCRED_IGNORED, "so-passcred-is-ignored", S)                                \
    X(TCSAFLUSH_AS_TCSANOW, "tcsetattr-tcsaflush-keeps-unread-input", S)            \
    X(GRANTPT_ANY_FD, "grantpt-accepts-a-non-master", P)                            \
    X(FLOCK_NB_EACCES, "flock-lock-nb-conflict-fails-eacces", S)                    \
    X(GETLK_NO_PID, "fcntl-getlk-reports-pid-0", S)                                 \
    X(OFD_AS_POSIX, "ofd-setlk-takes-a-process-lock", S)                            \
    X(VM_READV_NO_FLAGS_CHECK, "process-vm-readv-ignores-flags", S)                 \
    X(VM_READV_ONE_LOCAL, "process-vm-readv-fills-only-the-first-local-iovec", S)   \
    X(MMAP_SHARED_PRIVATE, "mmap-shared-file-mapping-is-private", S)                \
    X(MEMFD_NO_CLOEXEC, "memfd-create-ignores-mfd-cloexec", S)                      \
    X(MSYNC_ANY_FLAGS, "msync-accepts-invalid-flags", S)

enum injector { I_NONE = 0, I_P = 1, I_S = 2 };

#define TAG(t, n, i) F_##t,
enum fault { F_NONE = 0, FAULTS(TAG) F_COUNT };
#undef TAG
#define NAME(t, n, i) n,
static const char *const fault_names[] = { "", FAULTS(NAME) };
#undef NAME
#define INJ(t, n, i) I_##i,
static const unsigned char fault_injector[] = { I_NONE, FAULTS(INJ) };
#undef INJ

/* IPCSPEC_FAULT=passthrough: no fault; the filter traps what every seccomp fault traps and
 * the handler makes each call unchanged. */
#define PASSTHROUGH "passthrough"

static int active = F_NONE;
static int passthrough;
static const char *log_path;
static volatile int fired_in_pid;

/* The active fault's name ("" when none, "passthrough" in that mode): lets a test prove the
 * library is loaded. */
const char *ipcspec_faults_active(void) { return passthrough ? PASSTHROUGH : fault_names[active]; }

/* ---- async-signal-safe helpers --------------------------------------------------------- */

static size_t cat(char *buf, size_t off, size_t cap, const char *s)
{
    while (*s && off + 1 < cap)
        buf[off++] = *s++;
    buf[off] = 0;
    return off;
}

static size_t cat_long(char *buf, size_t off, size_t cap, long v)
{
    char t[24];
    int n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u && n < (int)sizeof t);
    if (v < 0 && off + 1 < cap)
        buf[off++] = '-';
    while (n > 0 && off + 1 < cap)
        buf[off++] = t[--n];
    buf[off] = 0;
    return off;
}

/* A system call that a seccomp fault never traps: through the gadget when there is one (the
 * filter allows the gadget's calls), else through libc's syscall(2). Returns the kernel's
 * value (-errno on failure); errno is untouched. */
static long sc(long nr, long a, long b, long c, long d, long e, long f);

/* Record the first firing in this process. Async-signal-safe, no allocation. */
static void fired(const char *fn)
{
    int saved = errno;
    pid_t pid = (pid_t)sc(SYS_getpid, 0, 0, 0, 0, 0, 0);
    if (fired_in_pid != pid && log_path) {
        fired_in_pid = pid;
        char line[256];
        size_t n = cat(line, 0, sizeof line, passthrough ? PASSTHROUGH : fault_names[active]);
        n = cat(line, n, sizeof line, " ");
        n = cat_long(line, n, sizeof line, pid);
        n = cat(line, n, sizeof line, " ");
        n = cat(line, n, sizeof line, fn);
        n = cat(line, n, sizeof line, "\n");
        long fd = sc(SYS_openat, AT_FDCWD, (long)log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666, 0, 0);
        if (fd >= 0) {
            sc(SYS_write, fd, (long)line, (long)n, 0, 0, 0);
            sc(SYS_close, fd, 0, 0, 0, 0, 0);
        }
    }
    errno = saved;
}

#define ON(t) (active == F_##t)

/* ---- the seccomp injector: rules ------------------------------------------------------- */

/* A condition on one argument of a system call, as the filter tests it (on the low 32 bits,
 * which is what the kernel reads of an int argument, except NONNULL: all 64). */
enum op { OP_EQ, OP_NE, OP_ANY, OP_MASKEQ, OP_GT, OP_NONNULL, OP_NULL };
struct cond {
    unsigned char arg, op;
    uint32_t a, b;
};
#define EQ(i, v) { i, OP_EQ, (uint32_t)(v), 0 }
#define NE(i, v) { i, OP_NE, (uint32_t)(v), 0 }
#define ANY(i, m) { i, OP_ANY, (uint32_t)(m), 0 }
#define MASKEQ(i, m, v) { i, OP_MASKEQ, (uint32_t)(m), (uint32_t)(v) }
#define GT(i, v) { i, OP_GT, (uint32_t)(v), 0 }
#define NONNULL(i) { i, OP_NONNULL, 0, 0 }
#define ISNULL(i) { i, OP_NULL, 0, 0 }

/* A rule: the filter traps a call of `nr` whose arguments meet every condition. `text` is
 * what the catalogue (lib.rs `functions`) says; a test compares them. */
struct rule {
    unsigned char fault;
    long nr;
    const char *call;
    const char *text;
    unsigned char n;
    struct cond c[2];
};

#ifndef F_OFD_SETLK
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif
#ifndef F_SETSIG
#define F_SETSIG 10
#endif
#ifndef O_NOTIFICATION_PIPE
#define O_NOTIFICATION_PIPE O_EXCL
#endif
#define MAP_TYPE_BITS 0x0f

#define RULE1(f, sys, text, c1) { F_##f, SYS_##sys, #sys, text, 1, { c1 } }
#define RULE2(f, sys, text, c1, c2) { F_##f, SYS_##sys, #sys, text, 2, { c1, c2 } }
#define RULE0(f, sys, text) { F_##f, SYS_##sys, #sys, text, 0, { { 0, 0, 0, 0 } } }

static const struct rule rules[] = {
    RULE1(DUP2_EBUSY, dup2, "dup2(newfd > 2)", GT(1, 2)),
    RULE0(DUP_NOT_LOWEST, dup, "dup()"),
    RULE1(DUP3_NO_CLOEXEC, dup3, "dup3(flags & O_CLOEXEC)", ANY(2, O_CLOEXEC)),
    RULE1(DUP3_ANY_FLAGS, dup3, "dup3(flags & ~O_CLOEXEC)", ANY(2, ~(uint32_t)O_CLOEXEC)),
    RULE2(SETFL_NO_APPEND, fcntl, "fcntl(cmd == F_SETFL, arg & O_APPEND)", EQ(1, F_SETFL), ANY(2, O_APPEND)),
    RULE2(DUPFD_NO_MIN, fcntl, "fcntl(cmd == F_DUPFD, arg != 0)", EQ(1, F_DUPFD), NE(2, 0)),
    RULE1(PIPE2_NO_CLOEXEC, pipe2, "pipe2(flags & O_CLOEXEC)", ANY(1, O_CLOEXEC)),
    RULE1(PIPE2_NO_NONBLOCK, pipe2, "pipe2(flags & O_NONBLOCK)", ANY(1, O_NONBLOCK)),
    RULE1(PIPE2_NO_DIRECT, pipe2, "pipe2(flags & O_DIRECT)", ANY(1, O_DIRECT)),
    RULE1(PIPE2_ANY_FLAGS, pipe2, "pipe2(flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))",
          ANY(1, ~(uint32_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))),
    RULE1(SETPIPE_SZ_EXACT, fcntl, "fcntl(cmd == F_SETPIPE_SZ)", EQ(1, F_SETPIPE_SZ)),
    RULE1(MKFIFO_NO_UMASK, mknodat, "mknodat(S_ISFIFO(mode))", MASKEQ(2, S_IFMT, S_IFIFO)),
    RULE1(MKFIFO_NO_UMASK, mknod, "mknod(S_ISFIFO(mode))", MASKEQ(1, S_IFMT, S_IFIFO)),
    RULE1(ACCEPT4_NO_NONBLOCK, accept4, "accept4(flags & SOCK_NONBLOCK)", ANY(3, SOCK_NONBLOCK)),
    RULE1(DONTWAIT_STICKY, recvfrom, "recvfrom(flags & MSG_DONTWAIT)", ANY(3, MSG_DONTWAIT)),
    RULE1(DONTWAIT_STICKY, recvmsg, "recvmsg(flags & MSG_DONTWAIT)", ANY(2, MSG_DONTWAIT)),
    RULE1(EFD_NO_SEMAPHORE, eventfd2, "eventfd2(flags & EFD_SEMAPHORE)", ANY(1, EFD_SEMAPHORE)),
    RULE1(EFD_NO_CLOEXEC, eventfd2, "eventfd2(flags & EFD_CLOEXEC)", ANY(1, EFD_CLOEXEC)),
    RULE1(EFD_NO_NONBLOCK, eventfd2, "eventfd2(flags & EFD_NONBLOCK)", ANY(1, EFD_NONBLOCK)),
    RULE1(EFD_ANY_FLAGS, eventfd2, "eventfd2(flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))",
          ANY(1, ~(uint32_t)(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))),
    RULE1(MQ_TIMED_NO_DEADLINE, mq_timedreceive, "mq_timedreceive(abs_timeout != NULL)", NONNULL(4)),
    RULE1(MQ_NO_PRIORITY, mq_timedsend, "mq_timedsend(msg_prio != 0)", NE(3, 0)),
    RULE2(MQ_CURMSGS_ZERO, mq_getsetattr, "mq_getsetattr(newattr == NULL, oldattr != NULL)", ISNULL(1), NONNULL(2)),
    RULE1(MQ_NOTIFY_NO_EBUSY, mq_notify, "mq_notify(sevp != NULL)", NONNULL(1)),
    RULE1(SETOWN_IGNORED, fcntl, "fcntl(cmd == F_SETOWN)", EQ(1, F_SETOWN)),
    RULE1(GETOWN_WRONG, fcntl, "fcntl(cmd == F_GETOWN)", EQ(1, F_GETOWN)),
    RULE1(SETSIG_IGNORED, fcntl, "fcntl(cmd == F_SETSIG)", EQ(1, F_SETSIG)),
    RULE1(SELECT_NO_EXCEPT, pselect6, "pselect6(exceptfds != NULL)", NONNULL(3)),
    RULE1(SELECT_NO_EXCEPT, select, "select(exceptfds != NULL)", NONNULL(3)),
    RULE1(SELECT_NO_WRITEBACK, pselect6, "pselect6(timeout != NULL)", NONNULL(4)),
    RULE1(SELECT_NO_WRITEBACK, select, "select(timeout != NULL)", NONNULL(4)),
    RULE1(PPOLL_NO_SIGMASK, ppoll, "ppoll(sigmask != NULL)", NONNULL(3)),
    RULE1(RECV_NO_PEEK, recvfrom, "recvfrom(flags & MSG_PEEK)", ANY(3, MSG_PEEK)),
    RULE1(RECV_NO_PEEK, recvmsg, "recvmsg(flags & MSG_PEEK)", ANY(2, MSG_PEEK)),
    RULE2(REUSEADDR_IGNORED, setsockopt, "setsockopt(level == SOL_SOCKET, optname == SO_REUSEADDR)", EQ(1, SOL_SOCKET),
          EQ(2, SO_REUSEADDR)),
    RULE1(SHUTDOWN_WR_IGNORED, shutdown, "shutdown(how == SHUT_WR)", EQ(1, SHUT_WR)),
    RULE1(CMSG_CLOEXEC_IGNORED, recvmsg, "recvmsg(flags & MSG_CMSG_CLOEXEC)", ANY(2, MSG_CMSG_CLOEXEC)),
    RULE2(PASSCRED_IGNORED, setsockopt, "setsockopt(level == SOL_SOCKET, optname == SO_PASSCRED)", EQ(1, SOL_SOCKET),
          EQ(2, SO_PASSCRED)),
    RULE1(TCSAFLUSH_AS_TCSANOW, ioctl, "ioctl(request == TCSETSF)", EQ(1, TCSETSF)),
    RULE1(FLOCK_NB_EACCES, flock, "flock(operation & LOCK_NB)", ANY(1, LOCK_NB)),
    RULE1(GETLK_NO_PID, fcntl, "fcntl(cmd == F_GETLK)", EQ(1, F_GETLK)),
    RULE1(OFD_AS_POSIX, fcntl, "fcntl(cmd == F_OFD_SETLK)", EQ(1, F_OFD_SETLK)),
    RULE1(OFD_AS_POSIX, fcntl, "fcntl(cmd == F_OFD_SETLKW)", EQ(1, F_OFD_SETLKW)),
    RULE1(VM_READV_NO_FLAGS_CHECK, process_vm_readv, "process_vm_readv(flags != 0)", NE(5, 0)),
    RULE1(VM_READV_ONE_LOCAL, process_vm_readv, "process_vm_readv(liovcnt > 1)", GT(2, 1)),
    RULE2(MMAP_SHARED_PRIVATE, mmap, "mmap(flags & (MAP_TYPE | MAP_ANONYMOUS) == MAP_SHARED, fd != -1)",
          MASKEQ(3, MAP_TYPE_BITS | MAP_ANONYMOUS, MAP_SHARED), NE(4, -1)),
    RULE1(MEMFD_NO_CLOEXEC, memfd_create, "memfd_create(flags & MFD_CLOEXEC)", ANY(1, MFD_CLOEXEC)),
    RULE1(MSYNC_ANY_FLAGS, msync, "msync(flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))",
          ANY(2, ~(uint32_t)(MS_ASYNC | MS_INVALIDATE | MS_SYNC))),
    RULE1(MSYNC_ANY_FLAGS, msync, "msync(flags & (MS_SYNC | MS_ASYNC) == MS_SYNC | MS_ASYNC)",
          MASKEQ(2, MS_SYNC | MS_ASYNC, MS_SYNC | MS_ASYNC)),
};
#define NRULES ((int)(sizeof rules / sizeof rules[0]))

/* Whether rule i is in the filter of this process. */
static int rule_on(int i) { return passthrough || rules[i].fault == active; }

/* The catalogue, one line per fault: "name<TAB>injector<TAB>what the filter traps" (the
 * rules' texts joined with "; ", empty for preload). For the Rust side's consistency tests
 * (the names, the injectors and the trapped calls). */
const char *ipcspec_faults_catalogue(void)
{
    static char buf[16384];
    if (!buf[0]) {
        size_t off = 0;
        for (int f = 1; f < F_COUNT; f++) {
            off = cat(buf, off, sizeof buf, fault_names[f]);
            off = cat(buf, off, sizeof buf, fault_injector[f] == I_S ? "\tseccomp\t" : "\tpreload\t");
            int first = 1;
            for (int i = 0; i < NRULES; i++) {
                if (rules[i].fault != f)
                    continue;
                if (!first)
                    off = cat(buf, off, sizeof buf, "; ");
                off = cat(buf, off, sizeof buf, rules[i].text);
                first = 0;
            }
            off = cat(buf, off, sizeof buf, "\n");
        }
    }
    return buf;
}

/* A system call through libc's syscall(2), as the kernel answers it: -errno on failure, and
 * the caller's errno left alone. */
static long libc_sc(long nr, long a, long b, long c, long d, long e, long f)
{
    int saved = errno;
    long r = syscall(nr, a, b, c, d, e, f);
    if (r == -1)
        r = -errno;
    errno = saved;
    return r;
}

#if defined(__x86_64__)

/* ---- the gadget ------------------------------------------------------------------------
 * long gadget(long nr, long a0, long a1, long a2, long a3, long a4, long a5): the System V
 * arguments moved to the system call registers, `syscall`, `ret` (as libc's syscall(2),
 * without errno). Copied to a page at GADGET_ADDR in every process. The address is far from
 * where Linux puts programs, libraries, heaps and stacks on x86-64 (below 0x5555... for PIE
 * programs and the mmap area under the stack, above 4 GiB for non-PIE ones). */
__asm__(".text\n"
        ".balign 16\n"
        ".hidden ipcspec_gadget_start\n"
        ".hidden ipcspec_gadget_after_syscall\n"
        ".hidden ipcspec_gadget_end\n"
        "ipcspec_gadget_start:\n"
        "    mov %rdi, %rax\n"
        "    mov %rsi, %rdi\n"
        "    mov %rdx, %rsi\n"
        "    mov %rcx, %rdx\n"
        "    mov %r8, %r10\n"
        "    mov %r9, %r8\n"
        "    mov 8(%rsp), %r9\n"
        "    syscall\n"
        "ipcspec_gadget_after_syscall:\n"
        "    ret\n"
        "ipcspec_gadget_end:\n");
extern const char ipcspec_gadget_start[] __attribute__((visibility("hidden")));
extern const char ipcspec_gadget_after_syscall[] __attribute__((visibility("hidden")));
extern const char ipcspec_gadget_end[] __attribute__((visibility("hidden")));

#define GADGET_ADDR 0x1ec500000000UL
typedef long (*gadget_fn)(long, long, long, long, long, long, long);
static gadget_fn gadget;

static long sc(long nr, long a, long b, long c, long d, long e, long f)
{
    if (gadget)
        return gadget(nr, a, b, c, d, e, f);
    return libc_sc(nr, a, b, c, d, e, f);
}

/* Map the gadget page. 0 on success. */
static int map_gadget(void)
{
    long page = sysconf(_SC_PAGESIZE);
    void *p = mmap((void *)GADGET_ADDR, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (p != (void *)GADGET_ADDR) { /* a kernel before 4.17 takes the flag as a hint */
        munmap(p, (size_t)page);
        return -1;
    }
    memcpy(p, ipcspec_gadget_start, (size_t)(ipcspec_gadget_end - ipcspec_gadget_start));
    if (mprotect(p, (size_t)page, PROT_READ | PROT_EXEC) != 0)
        return -1;
    gadget = (gadget_fn)p;
    return 0;
}

/* ---- the filter ------------------------------------------------------------------------ */

#define MAXI 1024
#define MAXL 512
struct ins {
    unsigned short code;
    int jt, jf; /* label numbers, -1: the next instruction */
    unsigned int k;
};
static struct ins code[MAXI];
static int ni, nlabels, label_at[MAXL];
static struct sock_filter prog[MAXI];

static int new_label(void) { return nlabels < MAXL ? nlabels++ : MAXL - 1; }
static void place(int l) { label_at[l] = ni; }
static void emit(unsigned short c, unsigned int k, int jt, int jf)
{
    if (ni < MAXI)
        code[ni++] = (struct ins){ c, jt, jf, k };
}
#define LD(off) emit(BPF_LD | BPF_W | BPF_ABS, (unsigned int)(off), -1, -1)
#define RET(v) emit(BPF_RET | BPF_K, (unsigned int)(v), -1, -1)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

/* The BPF program of the active rules; its length, or -1 if it does not fit. */
static int build_filter(void)
{
    ni = nlabels = 0;
    int allow = new_label();
    LD(offsetof(struct seccomp_data, arch));
    emit(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, -1, allow);
    LD(offsetof(struct seccomp_data, nr));
    /* Dispatch on the number only (the kernel's action cache sees that every other number is
     * allowed), each matching number jumps to its block. */
    long nrs[64];
    int blocks[64], nn = 0;
    for (int i = 0; i < NRULES; i++) {
        if (!rule_on(i))
            continue;
        int seen = 0;
        for (int j = 0; j < nn; j++)
            seen |= nrs[j] == rules[i].nr;
        if (!seen && nn < 64) {
            nrs[nn] = rules[i].nr;
            blocks[nn++] = new_label();
        }
    }
    for (int j = 0; j < nn; j++) {
        int next = new_label();
        emit(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)nrs[j], -1, next);
        emit(BPF_JMP | BPF_JA, (unsigned int)blocks[j], -1, -1);
        place(next);
    }
    place(allow);
    RET(SECCOMP_RET_ALLOW);
    uint32_t g_lo = (uint32_t)((GADGET_ADDR + (unsigned long)(ipcspec_gadget_after_syscall - ipcspec_gadget_start)) & 0xffffffffUL);
    uint32_t g_hi = (uint32_t)(GADGET_ADDR >> 32);
    for (int j = 0; j < nn; j++) {
        place(blocks[j]);
        int ours = new_label(), rules_start = new_label();
        /* The handler's own calls come from the gadget: allowed. */
        LD(offsetof(struct seccomp_data, instruction_pointer) + 4);
        emit(BPF_JMP | BPF_JEQ | BPF_K, g_hi, -1, rules_start);
        LD(offsetof(struct seccomp_data, instruction_pointer));
        emit(BPF_JMP | BPF_JEQ | BPF_K, g_lo, ours, -1);
        place(rules_start);
        for (int i = 0; i < NRULES; i++) {
            if (!rule_on(i) || rules[i].nr != nrs[j])
                continue;
            int fail = new_label();
            for (int c = 0; c < rules[i].n; c++) {
                const struct cond *k = &rules[i].c[c];
                /* Every condition starts from the argument's low word. */
                LD(ARG_LO(k->arg));
                switch (k->op) {
                case OP_EQ:
                    emit(BPF_JMP | BPF_JEQ | BPF_K, k->a, -1, fail);
                    break;
                case OP_NE:
                    emit(BPF_JMP | BPF_JEQ | BPF_K, k->a, fail, -1);
                    break;
                case OP_ANY:
                    emit(BPF_JMP | BPF_JSET | BPF_K, k->a, -1, fail);
                    break;
                case OP_MASKEQ:
                    emit(BPF_ALU | BPF_AND | BPF_K, k->a, -1, -1);
                    emit(BPF_JMP | BPF_JEQ | BPF_K, k->b, -1, fail);
                    break;
                case OP_GT:
                    emit(BPF_JMP | BPF_JGT | BPF_K, k->a, -1, fail);
                    break;
                case OP_NONNULL: {
                    int ok = new_label();
                    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, -1, ok);
                    LD(ARG_HI(k->arg));
                    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, fail, -1);
                    place(ok);
                    break;
                }
                case OP_NULL:
                    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, -1, fail);
                    LD(ARG_HI(k->arg));
                    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, -1, fail);
                    break;
                }
            }
            /* The rule's index travels to the handler as si_errno. */
            RET(SECCOMP_RET_TRAP | ((unsigned int)i & SECCOMP_RET_DATA));
            place(fail);
        }
        place(ours);
        RET(SECCOMP_RET_ALLOW);
    }
    if (ni >= MAXI || nlabels >= MAXL)
        return -1;
    for (int i = 0; i < ni; i++) {
        prog[i].code = code[i].code;
        prog[i].k = code[i].k;
        prog[i].jt = prog[i].jf = 0;
        if (BPF_CLASS(code[i].code) != BPF_JMP)
            continue;
        if (BPF_OP(code[i].code) == BPF_JA) {
            prog[i].k = (unsigned int)(label_at[code[i].k] - (i + 1));
            continue;
        }
        int jt = code[i].jt < 0 ? 0 : label_at[code[i].jt] - (i + 1);
        int jf = code[i].jf < 0 ? 0 : label_at[code[i].jf] - (i + 1);
        if (jt < 0 || jt > 255 || jf < 0 || jf > 255)
            return -1;
        prog[i].jt = (unsigned char)jt;
        prog[i].jf = (unsigned char)jf;
    }
    return ni;
}

/* ---- the emulation ----------------------------------------------------------------------
 * Each seccomp fault's faulty kernel, given the trapped call's arguments. Returns what the
 * call returns (-errno on failure). Only system calls through sc(): async-signal-safe. */

static int fd_open(long fd) { return sc(SYS_fcntl, fd, F_GETFD, 0, 0, 0, 0) >= 0; }

static int fd_is_socket(long fd)
{
    struct stat st;
    return sc(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) == 0 && S_ISSOCK(st.st_mode);
}

/* Copy n bytes of this process's memory that may not be mapped (process_vm_readv of our own
 * pid never faults). 0 on success. */
static int peek(void *dst, long src, size_t n)
{
    struct iovec l = { dst, n }, r = { (void *)src, n };
    long pid = sc(SYS_getpid, 0, 0, 0, 0, 0, 0);
    return sc(SYS_process_vm_readv, pid, (long)&l, 1, (long)&r, 1, 0) == (long)n ? 0 : -1;
}

/* Write n bytes of this process's memory that may not be mapped. 0 on success. */
static int poke(long dst, const void *src, size_t n)
{
    struct iovec l = { (void *)src, n }, r = { (void *)dst, n };
    long pid = sc(SYS_getpid, 0, 0, 0, 0, 0, 0);
    return sc(SYS_process_vm_writev, pid, (long)&l, 1, (long)&r, 1, 0) == (long)n ? 0 : -1;
}

static long page_size = 4096;

/* The faults whose faulty kernel only drops bits of one argument and then makes the call:
 * one line each instead of a switch arm each. `keep` is what stays of the argument's low 32
 * bits (the kernel reads no more of an int argument); 0 makes it 0 (no deadline, priority 0,
 * no signal mask, no flags). `call` names it in the log. */
struct strip {
    unsigned char fault, arg;
    uint32_t keep;
    const char *call;
};
#define DROPS(f, i, bits, call) { F_##f, i, ~(uint32_t)(bits), call }
#define KEEPS(f, i, bits, call) { F_##f, i, (uint32_t)(bits), call }
#define ZEROES(f, i, call) { F_##f, i, 0, call }

static const struct strip strips[] = {
    DROPS(SETFL_NO_APPEND, 2, O_APPEND, "fcntl(F_SETFL)"),
    DROPS(PIPE2_NO_CLOEXEC, 1, O_CLOEXEC, "pipe2"),
    DROPS(PIPE2_NO_NONBLOCK, 1, O_NONBLOCK, "pipe2"),
    DROPS(PIPE2_NO_DIRECT, 1, O_DIRECT, "pipe2"),
    KEEPS(PIPE2_ANY_FLAGS, 1, O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE, "pipe2"),
    DROPS(ACCEPT4_NO_NONBLOCK, 3, SOCK_NONBLOCK, "accept4"),
    DROPS(EFD_NO_SEMAPHORE, 1, EFD_SEMAPHORE, "eventfd2"),
    DROPS(EFD_NO_CLOEXEC, 1, EFD_CLOEXEC, "eventfd2"),
    DROPS(EFD_NO_NONBLOCK, 1, EFD_NONBLOCK, "eventfd2"),
    KEEPS(EFD_ANY_FLAGS, 1, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE, "eventfd2"),
    ZEROES(MQ_TIMED_NO_DEADLINE, 4, "mq_timedreceive"),
    ZEROES(MQ_NO_PRIORITY, 3, "mq_timedsend"),
    ZEROES(PPOLL_NO_SIGMASK, 3, "ppoll"),
    DROPS(CMSG_CLOEXEC_IGNORED, 2, MSG_CMSG_CLOEXEC, "recvmsg"),
    ZEROES(VM_READV_NO_FLAGS_CHECK, 5, "process_vm_readv"),
    DROPS(MEMFD_NO_CLOEXEC, 1, MFD_CLOEXEC, "memfd_create"),
};

static long emulate(const struct rule *r, long *a)
{
#define AGAIN() sc(r->nr, a[0], a[1], a[2], a[3], a[4], a[5])
#define CLEAR(i, bits) (a[i] = (long)(unsigned int)((unsigned int)a[i] & ~(unsigned int)(bits)))
/* The call is swallowed where `cond` holds: reported, and "succeeds" without the kernel. */
#define IGNORED_IF(cond, what) \
    do { \
        if (cond) { \
            fired(what); \
            return 0; \
        } \
    } while (0)
    if (passthrough) {
        fired(r->call);
        return AGAIN();
    }
    for (size_t i = 0; i < sizeof strips / sizeof strips[0]; i++) {
        const struct strip *st = &strips[i];
        if (st->fault == r->fault) {
            fired(st->call);
            a[st->arg] = (long)((uint32_t)a[st->arg] & st->keep);
            return AGAIN();
        }
    }
    switch (r->fault) {
    case F_DUP2_EBUSY:
        if (a[0] != a[1] && fd_open(a[1]) && fd_open(a[0])) {
            fired("dup2");
            return -EBUSY;
        }
        break;
    case F_DUP_NOT_LOWEST: {
        long fd = AGAIN();
        if (fd >= 0) {
            long higher = sc(SYS_fcntl, a[0], F_DUPFD, fd + 1, 0, 0, 0);
            if (higher >= 0) {
                sc(SYS_close, fd, 0, 0, 0, 0, 0);
                fired("dup");
                return higher;
            }
        }
        return fd;
    }
    case F_DUP3_NO_CLOEXEC:
        if (a[0] != a[1]) {
            fired("dup3");
            CLEAR(2, O_CLOEXEC);
        }
        break;
    case F_DUP3_ANY_FLAGS:
        if (a[0] != a[1]) {
            fired("dup3");
            a[2] &= O_CLOEXEC;
        }
        break;
    case F_DUPFD_NO_MIN: {
        long fd = sc(SYS_fcntl, a[0], F_DUPFD, 0, 0, 0, 0);
        if (fd >= 0 && fd < (long)(int)a[2])
            fired("fcntl(F_DUPFD)");
        return fd;
    }
    case F_SETPIPE_SZ_EXACT: {
        long got = AGAIN();
        if (got >= 0 && got != (long)(int)a[2]) {
            fired("fcntl(F_SETPIPE_SZ)");
            return (long)(int)a[2];
        }
        return got;
    }
    case F_MKFIFO_NO_UMASK: {
        long res = AGAIN();
        if (res == 0) {
            long dirfd = r->nr == SYS_mknodat ? a[0] : AT_FDCWD;
            long path = r->nr == SYS_mknodat ? a[1] : a[0];
            long mode = r->nr == SYS_mknodat ? a[2] : a[1];
            sc(SYS_fchmodat, dirfd, path, mode & 07777, 0, 0, 0);
            fired(r->call);
        }
        return res;
    }
    case F_DONTWAIT_STICKY: {
        long fl = sc(SYS_fcntl, a[0], F_GETFL, 0, 0, 0, 0);
        if (fl >= 0 && !(fl & O_NONBLOCK) && fd_is_socket(a[0]) && sc(SYS_fcntl, a[0], F_SETFL, fl | O_NONBLOCK, 0, 0, 0) == 0)
            fired(r->call);
        break;
    }
    case F_MQ_CURMSGS_ZERO: {
        long res = AGAIN();
        struct mq_attr *at = (struct mq_attr *)a[2];
        if (res == 0 && at->mq_curmsgs != 0) {
            fired("mq_getsetattr");
            at->mq_curmsgs = 0;
        }
        return res;
    }
    case F_MQ_NOTIFY_NO_EBUSY: {
        long res = AGAIN();
        if (res == -EBUSY) {
            fired("mq_notify");
            return 0;
        }
        return res;
    }
    case F_SETOWN_IGNORED:
        IGNORED_IF(fd_open(a[0]), "fcntl(F_SETOWN)");
        break;
    case F_GETOWN_WRONG:
        if (fd_open(a[0])) {
            long owner = AGAIN();
            if (owner != 0) {
                /* A process reported as the process group of the same number, and back. */
                fired("fcntl(F_GETOWN)");
                return -owner;
            }
            return owner;
        }
        break;
    case F_SETSIG_IGNORED:
        IGNORED_IF(fd_open(a[0]) && a[2] >= 0 && a[2] <= 64, "fcntl(F_SETSIG)");
        break;
    case F_SELECT_NO_EXCEPT: {
        /* Waits without exceptfds, then reports none: the caller's set is cleared. */
        long res = sc(r->nr, a[0], a[1], a[2], 0, a[4], a[5]);
        if (res >= 0 && a[0] > 0) {
            static const char zeros[1024];
            size_t n = ((size_t)(unsigned int)a[0] + 63) / 64 * 8;
            for (size_t off = 0; off < n; off += sizeof zeros)
                poke(a[3] + (long)off, zeros, n - off < sizeof zeros ? n - off : sizeof zeros);
            fired(r->call);
        }
        return res;
    }
    case F_SELECT_NO_WRITEBACK: {
        /* The kernel writes the time not slept back; the faulty one leaves it. */
        char saved[16], after[16];
        size_t n = r->nr == SYS_select ? sizeof(struct timeval) : sizeof(struct timespec);
        if (peek(saved, a[4], n) != 0)
            break;
        long res = AGAIN();
        if (peek(after, a[4], n) == 0 && memcmp(saved, after, n) != 0) {
            poke(a[4], saved, n);
            fired(r->call);
        }
        return res;
    }
    case F_RECV_NO_PEEK:
        fired(r->call);
        if (r->nr == SYS_recvfrom)
            CLEAR(3, MSG_PEEK);
        else
            CLEAR(2, MSG_PEEK);
        break;
    case F_REUSEADDR_IGNORED:
    case F_PASSCRED_IGNORED: {
        int v = 0;
        IGNORED_IF(a[3] && (unsigned int)a[4] >= sizeof v && peek(&v, a[3], sizeof v) == 0 && v != 0 && fd_is_socket(a[0]), "setsockopt");
        break;
    }
    case F_SHUTDOWN_WR_IGNORED:
        IGNORED_IF(fd_is_socket(a[0]), "shutdown");
        break;
    case F_TCSAFLUSH_AS_TCSANOW:
        fired("ioctl(TCSETSF)");
        a[1] = TCSETS;
        break;
    case F_FLOCK_NB_EACCES: {
        long res = AGAIN();
        if (res == -EWOULDBLOCK) {
            fired("flock");
            return -EACCES;
        }
        return res;
    }
    case F_GETLK_NO_PID: {
        long res = AGAIN();
        struct flock *fl = (struct flock *)a[2];
        if (res == 0 && fl->l_type != F_UNLCK && fl->l_pid > 0) {
            fired("fcntl(F_GETLK)");
            fl->l_pid = 0;
        }
        return res;
    }
    case F_OFD_AS_POSIX: {
        struct flock fl;
        if (peek(&fl, a[2], sizeof fl) == 0 && fl.l_pid == 0) {
            fired(a[1] == F_OFD_SETLK ? "fcntl(F_OFD_SETLK)" : "fcntl(F_OFD_SETLKW)");
            a[1] = a[1] == F_OFD_SETLK ? F_SETLK : F_SETLKW;
        }
        break;
    }
    case F_VM_READV_ONE_LOCAL:
        if (a[1]) {
            fired("process_vm_readv");
            a[2] = 1;
        }
        break;
    case F_MMAP_SHARED_PRIVATE:
        fired("mmap");
        a[3] = (a[3] & ~(long)MAP_TYPE_BITS) | MAP_PRIVATE;
        break;
    case F_MSYNC_ANY_FLAGS: {
        long res = AGAIN();
        if (res == -EINVAL && a[0] % page_size == 0) {
            fired("msync");
            return 0;
        }
        return res;
    }
    }
    return AGAIN();
#undef AGAIN
#undef CLEAR
#undef IGNORED_IF
}

/* ---- SIGSYS ---------------------------------------------------------------------------- */

static int seccomp_on;
/* The SIGSYS action the program asked for (called for SIGSYS that our filter did not cause). */
static struct sigaction user_sigsys;

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static void on_sigsys(int sig, siginfo_t *si, void *vctx)
{
    int saved = errno;
    ucontext_t *uc = vctx;
    greg_t *g = uc->uc_mcontext.gregs;
    int i = si->si_errno;
    if (si->si_code == SYS_SECCOMP && si->si_arch == AUDIT_ARCH_X86_64 && i >= 0 && i < NRULES && rule_on(i) &&
        rules[i].nr == si->si_syscall) {
        long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
        g[REG_RAX] = gadget ? emulate(&rules[i], a) : -ENOSYS;
        errno = saved;
        return;
    }
    /* Not ours: what the program asked for. */
    if (user_sigsys.sa_flags & SA_SIGINFO) {
        if (user_sigsys.sa_sigaction)
            user_sigsys.sa_sigaction(sig, si, vctx);
    } else if (user_sigsys.sa_handler == SIG_DFL) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        real_sigaction(SIGSYS, &dfl, NULL);
        sc(SYS_tgkill, sc(SYS_getpid, 0, 0, 0, 0, 0, 0), sc(SYS_gettid, 0, 0, 0, 0, 0, 0), SIGSYS, 0, 0, 0);
    } else if (user_sigsys.sa_handler != SIG_IGN) {
        user_sigsys.sa_handler(sig);
    }
    errno = saved;
}

static void say(const char *m) { sc(SYS_write, 2, (long)m, (long)strlen(m), 0, 0, 0); }

static void start_seccomp(void)
{
    page_size = sysconf(_SC_PAGESIZE);
    if (map_gadget() != 0) {
        say("ipcspec-faults: cannot map the seccomp gadget page; no seccomp fault is active\n");
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    memset(&user_sigsys, 0, sizeof user_sigsys);
    user_sigsys.sa_handler = SIG_DFL;
    real_sigaction(SIGSYS, &sa, NULL);
    sigset_t sys;
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    sigprocmask(SIG_UNBLOCK, &sys, NULL);
    seccomp_on = 1;

    int n = build_filter();
    if (n < 0) {
        say("ipcspec-faults: the seccomp filter does not fit; no seccomp fault is active\n");
        return;
    }
    struct sock_fprog fp = { (unsigned short)n, prog };
    /* SPEC_ALLOW: no speculative-store-bypass mitigation forced on the tests by the filter. */
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &fp);
    if (r != 0 && errno == EINVAL)
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
    if (r != 0 && errno == EACCES) {
        /* Without CAP_SYS_ADMIN a filter needs no_new_privs. A process exec'd from one that
         * had the filter still has it (filters are inherited): then nothing is missing. */
        if (prctl(PR_GET_SECCOMP) == 2)
            return;
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
    }
    if (r != 0)
        say("ipcspec-faults: installing the seccomp filter failed; the fault is not injected\n");
}

#else /* not x86-64 */

static long sc(long nr, long a, long b, long c, long d, long e, long f)
{
    return libc_sc(nr, a, b, c, d, e, f);
}

static int seccomp_on;
static struct sigaction user_sigsys;
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static void start_seccomp(void)
{
    static const char m[] = "ipcspec-faults: the seccomp injector is built for x86-64 only; no fault is active\n";
    sc(SYS_write, 2, (long)m, (long)(sizeof m - 1), 0, 0, 0);
    (void)seccomp_on;
}

#endif

/* ---- the real functions -------------------------------------------------------------- */

#define REAL_DECL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__)
REAL_DECL(int, fcntl, int, int, ...);
REAL_DECL(int, pipe, int *);
REAL_DECL(ssize_t, read, int, void *, size_t);
REAL_DECL(ssize_t, write, int, const void *, size_t);
REAL_DECL(int, open, const char *, int, ...);
REAL_DECL(int, open64, const char *, int, ...);
REAL_DECL(int, openat, int, const char *, int, ...);
REAL_DECL(int, openat64, int, const char *, int, ...);
REAL_DECL(int, connect, int, const struct sockaddr *, socklen_t);
REAL_DECL(ssize_t, recvmsg, int, struct msghdr *, int);
REAL_DECL(int, eventfd, unsigned int, int);
REAL_DECL(int, sem_trywait, sem_t *);
REAL_DECL(int, sem_post, sem_t *);
REAL_DECL(sem_t *, sem_open, const char *, int, ...);
REAL_DECL(int, shm_open, const char *, int, mode_t);
REAL_DECL(int, shm_unlink, const char *);
REAL_DECL(int, poll, struct pollfd *, nfds_t, int);
REAL_DECL(int, epoll_ctl, int, int, int, struct epoll_event *);
REAL_DECL(int, bind, int, const struct sockaddr *, socklen_t);
REAL_DECL(int, grantpt, int);
REAL_DECL(int, sigtimedwait, const sigset_t *, siginfo_t *, const struct timespec *);
/* Kept working for the seccomp injector. */
REAL_DECL(__sighandler_t, signal, int, __sighandler_t);
REAL_DECL(int, sigprocmask, int, const sigset_t *, sigset_t *);
REAL_DECL(int, pthread_sigmask, int, const sigset_t *, sigset_t *);
REAL_DECL(int, execve, const char *, char *const[], char *const[]);
REAL_DECL(int, execvpe, const char *, char *const[], char *const[]);
REAL_DECL(int, fexecve, int, char *const[], char *const[]);
REAL_DECL(int, posix_spawn, pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
          char *const[], char *const[]);
REAL_DECL(int, posix_spawnp, pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
          char *const[], char *const[]);

static void *must(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        static const char m[] = "ipcspec-faults: dlsym failed for a wrapped function\n";
        (void)!syscall(SYS_write, 2, m, sizeof m - 1);
        abort();
    }
    return p;
}

#define RESOLVE(name) real_##name = must(#name)

/* What a program exec'd from a process under a seccomp fault needs in its environment:
 * "LD_PRELOAD=...", "IPCSPEC_FAULT=...", "IPCSPEC_FAULT_LOG=..." as this process got them. */
static char keep_preload[PATH_MAX + 64], keep_fault[128], keep_log[PATH_MAX + 64];
static char shim_path[PATH_MAX];

static void save_for_exec(void)
{
    Dl_info info;
    if (dladdr((void *)ipcspec_faults_active, &info) && info.dli_fname)
        cat(shim_path, 0, sizeof shim_path, info.dli_fname);
    const char *pre = getenv("LD_PRELOAD");
    size_t n = cat(keep_preload, 0, sizeof keep_preload, "LD_PRELOAD=");
    cat(keep_preload, n, sizeof keep_preload, pre && *pre ? pre : shim_path);
    n = cat(keep_fault, 0, sizeof keep_fault, IPCSPEC_FAULT_ENV "=");
    cat(keep_fault, n, sizeof keep_fault, ipcspec_faults_active());
    if (log_path) {
        n = cat(keep_log, 0, sizeof keep_log, IPCSPEC_FAULT_LOG_ENV "=");
        cat(keep_log, n, sizeof keep_log, log_path);
    }
}

__attribute__((constructor)) static void ipcspec_faults_init(void)
{
    RESOLVE(fcntl); RESOLVE(pipe); RESOLVE(read); RESOLVE(write);
    RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64);
    RESOLVE(connect); RESOLVE(recvmsg); RESOLVE(eventfd);
    RESOLVE(sem_trywait); RESOLVE(sem_post); RESOLVE(sem_open);
    RESOLVE(shm_open); RESOLVE(shm_unlink);
    RESOLVE(poll); RESOLVE(epoll_ctl);
    RESOLVE(bind); RESOLVE(grantpt); RESOLVE(sigtimedwait);
    RESOLVE(sigaction); RESOLVE(signal); RESOLVE(sigprocmask); RESOLVE(pthread_sigmask);
    RESOLVE(execve); RESOLVE(execvpe); RESOLVE(fexecve); RESOLVE(posix_spawn); RESOLVE(posix_spawnp);

    const char *want = getenv(IPCSPEC_FAULT_ENV);
    log_path = getenv(IPCSPEC_FAULT_LOG_ENV);
    if (want && *want) {
        if (strcmp(want, PASSTHROUGH) == 0)
            passthrough = 1;
        for (int i = 1; i < F_COUNT; i++)
            if (strcmp(want, fault_names[i]) == 0)
                active = i;
        if (active == F_NONE && !passthrough) {
            static const char m[] = "ipcspec-faults: unknown IPCSPEC_FAULT; no fault is active\n";
            (void)!syscall(SYS_write, 2, m, sizeof m - 1);
        }
    }
    if (passthrough || fault_injector[active] == I_S) {
        save_for_exec();
        start_seccomp();
    }
}

/* ---- keeping SIGSYS deliverable --------------------------------------------------------- */

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!seccomp_on)
        return real_sigaction(sig, act, old);
    if (sig == SIGSYS) {
        /* The handler stays; the program's action is remembered and reported back. */
        if (old)
            *old = user_sigsys;
        if (act)
            user_sigsys = *act;
        return 0;
    }
    if (act && sigismember(&act->sa_mask, SIGSYS) == 1) {
        struct sigaction copy = *act;
        sigdelset(&copy.sa_mask, SIGSYS);
        return real_sigaction(sig, &copy, old);
    }
    return real_sigaction(sig, act, old);
}

__sighandler_t signal(int sig, __sighandler_t h)
{
    if (seccomp_on && sig == SIGSYS) {
        __sighandler_t prev = (user_sigsys.sa_flags & SA_SIGINFO) ? SIG_DFL : user_sigsys.sa_handler;
        memset(&user_sigsys, 0, sizeof user_sigsys);
        user_sigsys.sa_handler = h;
        return prev;
    }
    return real_signal(sig, h);
}

static int mask_call(int (*real)(int, const sigset_t *, sigset_t *), int how, const sigset_t *set, sigset_t *old)
{
    if (seccomp_on && set && how != SIG_UNBLOCK && sigismember(set, SIGSYS) == 1) {
        sigset_t copy = *set;
        sigdelset(&copy, SIGSYS);
        return real(how, &copy, old);
    }
    return real(how, set, old);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old) { return mask_call(real_sigprocmask, how, set, old); }
int pthread_sigmask(int how, const sigset_t *set, sigset_t *old) { return mask_call(real_pthread_sigmask, how, set, old); }

/* ---- keeping the library across exec ----------------------------------------------------
 * `out` gets envp plus what is missing of LD_PRELOAD (with this library), IPCSPEC_FAULT and
 * IPCSPEC_FAULT_LOG; an LD_PRELOAD without this library is replaced. Stack only: these run
 * in vfork()ed and forked children. */

static int has_entry(char *const *envp, const char *entry)
{
    for (size_t i = 0; envp && envp[i]; i++)
        if (strcmp(envp[i], entry) == 0)
            return 1;
    return 0;
}

static int preload_ok(char *const *envp)
{
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0)
            return shim_path[0] && strstr(envp[i], shim_path) != NULL;
    return 0;
}

static size_t env_len(char *const *envp)
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    return n;
}

#define ENV_MAX 8192

/* Fills out (room for env_len(envp) + 4) and returns it, or returns envp when nothing is
 * missing (or seccomp is off, or the environment is huge). */
static char *const *keep_env(char *const *envp, char **out)
{
    size_t n = env_len(envp);
    if (!seccomp_on || n > ENV_MAX)
        return envp;
    int need_pre = !preload_ok(envp);
    int need_fault = !has_entry(envp, keep_fault);
    int need_log = keep_log[0] && !has_entry(envp, keep_log);
    if (!need_pre && !need_fault && !need_log)
        return envp;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (need_pre && strncmp(envp[i], "LD_PRELOAD=", 11) == 0)
            continue;
        if (need_fault && strncmp(envp[i], IPCSPEC_FAULT_ENV "=", sizeof IPCSPEC_FAULT_ENV) == 0)
            continue;
        if (need_log && strncmp(envp[i], IPCSPEC_FAULT_LOG_ENV "=", sizeof IPCSPEC_FAULT_LOG_ENV) == 0)
            continue;
        out[k++] = envp[i];
    }
    if (need_pre)
        out[k++] = keep_preload;
    if (need_fault)
        out[k++] = keep_fault;
    if (need_log)
        out[k++] = keep_log;
    out[k] = NULL;
    return out;
}

#define KEPT(envp) \
    char *kept_buf[(seccomp_on && env_len(envp) <= ENV_MAX) ? env_len(envp) + 4 : 1]; \
    char *const *kept = keep_env((envp), kept_buf)

int execve(const char *path, char *const argv[], char *const envp[])
{
    KEPT(envp);
    return real_execve(path, argv, kept);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    KEPT(envp);
    return real_execvpe(file, argv, kept);
}

int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }
int execvp(const char *file, char *const argv[]) { return execvpe(file, argv, environ); }

int fexecve(int fd, char *const argv[], char *const envp[])
{
    KEPT(envp);
    return real_fexecve(fd, argv, kept);
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at,
                char *const argv[], char *const envp[])
{
    KEPT(envp);
    return real_posix_spawn(pid, path, fa, at, argv, kept);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at,
                 char *const argv[], char *const envp[])
{
    KEPT(envp);
    return real_posix_spawnp(pid, file, fa, at, argv, kept);
}

/* ==== the preload injector ============================================================== */

/* ---- descriptor helpers (errno-preserving) ------------------------------------------- */

static int fd_mode(int fd)
{
    int saved = errno;
    struct stat st;
    int r = fstat(fd, &st) == 0 ? (int)(st.st_mode & S_IFMT) : -1;
    errno = saved;
    return r;
}

static int is_fifo(int fd) { return fd_mode(fd) == S_IFIFO; }
static int is_socket(int fd) { return fd_mode(fd) == S_IFSOCK; }

static int path_is_fifo_at(int dirfd, const char *path)
{
    int saved = errno;
    struct stat st;
    int r = path && fstatat(dirfd, path, &st, 0) == 0 && S_ISFIFO(st.st_mode);
    errno = saved;
    return r;
}

static int status_flags(int fd)
{
    int saved = errno;
    int r = real_fcntl(fd, F_GETFL);
    errno = saved;
    return r;
}

static int is_nonblocking(int fd)
{
    int f = status_flags(fd);
    return f >= 0 && (f & O_NONBLOCK);
}

static int link_is(int fd, const char *what)
{
    int saved = errno;
    char p[64], t[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, t, sizeof t - 1);
    errno = saved;
    if (n <= 0)
        return 0;
    t[n] = 0;
    return strcmp(t, what) == 0;
}

static int is_eventfd(int fd) { return link_is(fd, "anon_inode:[eventfd]"); }

/* eventfds made through eventfd(): 1 = counter mode, 2 = semaphore mode. */
#define EFD_TABLE 4096
static unsigned char efd_kind[EFD_TABLE];

static int sock_int_opt(int fd, int level, int name)
{
    int saved = errno, v = -1;
    socklen_t l = sizeof v;
    if (getsockopt(fd, level, name, &v, &l) != 0)
        v = -1;
    errno = saved;
    return v;
}

/* The faults that make one error of a call disappear: under `on`, a call that failed (`r` < 0)
 * with `err` returns 0 with errno cleared; any other result is returned as it is. */
static int as_success(int on, int r, int err, const char *fn)
{
    if (on && r < 0 && errno == err) {
        fired(fn);
        errno = 0;
        return 0;
    }
    return r;
}

/* ---- pipes and FIFOs ----------------------------------------------------------------- */

int pipe(int fds[2])
{
    int r = real_pipe(fds);
    if (ON(PIPE_SWAPPED) && r == 0) {
        int t = fds[0];
        fds[0] = fds[1];
        fds[1] = t;
        fired("pipe");
    }
    return r;
}

ssize_t read(int fd, void *buf, size_t n)
{
    if (ON(PIPE_READ_EOF) && n > 0 && is_fifo(fd) && !is_nonblocking(fd)) {
        int saved = errno, avail = -1;
        if (ioctl(fd, FIONREAD, &avail) == 0 && avail == 0) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            /* Only a pipe that still has a writer: with none, EOF is the right answer. */
            if (real_poll(&p, 1, 0) == 0) {
                fired("read");
                errno = saved;
                return 0;
            }
        }
        errno = saved;
    }
    ssize_t r = real_read(fd, buf, n);
    if (ON(EAGAIN_AS_EOF) && r < 0 && errno == EAGAIN) {
        fired("read");
        errno = 0;
        return 0;
    }
    if (ON(EFD_NO_RESET) && r == 8 && fd >= 0 && fd < EFD_TABLE && efd_kind[fd] == 1 && is_eventfd(fd)) {
        uint64_t v;
        memcpy(&v, buf, 8);
        if (v > 0) {
            /* Put the value back without ever blocking: the fault must not hang the reader
             * (a writer blocked on a full counter may have refilled it meanwhile). */
            int saved = errno;
            int fl = real_fcntl(fd, F_GETFL);
            if (fl >= 0 && !(fl & O_NONBLOCK))
                real_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
            if (real_write(fd, &v, 8) == 8)
                fired("read");
            if (fl >= 0 && !(fl & O_NONBLOCK))
                real_fcntl(fd, F_SETFL, fl);
            errno = saved;
        }
    }
    return r;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    if (ON(EFD_ALL_ONES) && n == 8 && buf && is_eventfd(fd)) {
        uint64_t v;
        memcpy(&v, buf, 8);
        if (v == UINT64_MAX) {
            fired("write");
            return 8;
        }
    }
    if (ON(NO_SIGPIPE) && is_fifo(fd)) {
        sigset_t block, old, pending;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        real_pthread_sigmask(SIG_BLOCK, &block, &old);
        sigpending(&pending);
        int was_pending = sigismember(&pending, SIGPIPE);
        ssize_t r = real_write(fd, buf, n);
        int e = errno;
        if (r < 0 && e == EPIPE && !was_pending) {
            struct timespec zero = { 0, 0 };
            real_sigtimedwait(&block, NULL, &zero);
            fired("write");
        }
        real_pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = e;
        return r;
    }
    if (ON(PIPE_NB_PARTIAL) && n > 1 && n <= PIPE_BUF && is_fifo(fd) && is_nonblocking(fd)) {
        ssize_t r = real_write(fd, buf, n);
        if (r < 0 && errno == EAGAIN) {
            int cap = real_fcntl(fd, F_GETPIPE_SZ), used = 0;
            if (cap > 0 && ioctl(fd, FIONREAD, &used) == 0) {
                long room = (long)cap - used;
                for (long k = room < (long)n ? room : (long)n - 1; k > 0; k /= 2) {
                    ssize_t r2 = real_write(fd, buf, (size_t)k);
                    if (r2 > 0) {
                        fired("write");
                        return r2;
                    }
                }
            }
            errno = EAGAIN;
        }
        return r;
    }
    return real_write(fd, buf, n);
}

/* open(2) faults on FIFOs. `again` re-opens with other flags. */
static int open_faults(int dirfd, const char *path, int flags, mode_t mode, const char *fn,
                       int (*again)(int, const char *, int, mode_t), int *handled)
{
    *handled = 0;
    int acc = flags & O_ACCMODE;
    if (ON(FIFO_NO_ENXIO) && acc == O_WRONLY && (flags & O_NONBLOCK) && path_is_fifo_at(dirfd, path)) {
        int r = again(dirfd, path, flags, mode);
        if (r < 0 && errno == ENXIO) {
            fired(fn);
            r = again(dirfd, path, (flags & ~O_ACCMODE) | O_RDWR, mode);
        }
        *handled = 1;
        return r;
    }
    if (ON(FIFO_RDONLY_NOBLOCK) && acc == O_RDONLY && !(flags & O_NONBLOCK) && path_is_fifo_at(dirfd, path)) {
        int r = again(dirfd, path, flags | O_NONBLOCK, mode);
        if (r >= 0) {
            int saved = errno;
            real_fcntl(r, F_SETFL, real_fcntl(r, F_GETFL) & ~O_NONBLOCK);
            errno = saved;
            fired(fn);
        }
        *handled = 1;
        return r;
    }
    return -1;
}

static int again_open(int dirfd, const char *p, int f, mode_t m) { return real_openat(dirfd, p, f, m); }

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_WRAPPER(name, real_expr, dirfd_expr)                                   \
    {                                                                               \
        va_list ap;                                                                 \
        va_start(ap, flags);                                                        \
        mode_t mode = mode_arg(flags, ap);                                          \
        va_end(ap);                                                                 \
        if (active != F_NONE) {                                                     \
            int handled;                                                            \
            int r = open_faults(dirfd_expr, path, flags, mode, name, again_open, &handled); \
            if (handled)                                                            \
                return r;                                                           \
        }                                                                           \
        return real_expr;                                                           \
    }

int open(const char *path, int flags, ...) OPEN_WRAPPER("open", real_open(path, flags, mode), AT_FDCWD)
int open64(const char *path, int flags, ...) OPEN_WRAPPER("open64", real_open64(path, flags, mode), AT_FDCWD)
int openat(int dirfd, const char *path, int flags, ...) OPEN_WRAPPER("openat", real_openat(dirfd, path, flags, mode), dirfd)
int openat64(int dirfd, const char *path, int flags, ...) OPEN_WRAPPER("openat64", real_openat64(dirfd, path, flags, mode), dirfd)

/* ---- sockets ------------------------------------------------------------------------- */

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (ON(CONNECT_SYNC) && addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
        is_nonblocking(fd) && sock_int_opt(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM) {
        int fl = status_flags(fd);
        real_fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        int r = real_connect(fd, addr, len);
        int e = errno;
        real_fcntl(fd, F_SETFL, fl);
        fired("connect");
        errno = e;
        return r;
    }
    return real_connect(fd, addr, len);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    ssize_t r = real_recvmsg(fd, msg, flags);
    if (ON(RECVMSG_NO_TRUNC_FLAG) && r >= 0 && msg && (msg->msg_flags & MSG_TRUNC)) {
        fired("recvmsg");
        msg->msg_flags &= ~MSG_TRUNC;
    }
    return r;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    int r = real_bind(fd, addr, len);
    if (ON(UNIX_BIND_REPLACES) && r < 0 && errno == EADDRINUSE && addr && addr->sa_family == AF_UNIX &&
        len > offsetof(struct sockaddr_un, sun_path) + 1) {
        const struct sockaddr_un *u = (const struct sockaddr_un *)addr;
        char path[sizeof u->sun_path + 1];
        size_t pl = len - offsetof(struct sockaddr_un, sun_path);
        if (pl > sizeof u->sun_path)
            pl = sizeof u->sun_path;
        memcpy(path, u->sun_path, pl);
        path[pl] = 0;
        struct stat st;
        if (path[0] && stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(path) == 0) {
            fired("bind");
            return real_bind(fd, addr, len);
        }
        errno = EADDRINUSE;
    }
    return r;
}

/* ---- eventfd ------------------------------------------------------------------------- */

/* Records which eventfds count (for eventfd-read-does-not-reset-the-counter). */
int eventfd(unsigned int initval, int flags)
{
    int r = real_eventfd(initval, flags);
    if (r >= 0 && r < EFD_TABLE)
        efd_kind[r] = (flags & EFD_SEMAPHORE) ? 2 : 1;
    return r;
}

/* ---- POSIX semaphores ---------------------------------------------------------------- */

int sem_trywait(sem_t *s) { return as_success(ON(SEM_TRYWAIT_ZERO), real_sem_trywait(s), EAGAIN, "sem_trywait"); }

int sem_post(sem_t *s) { return as_success(ON(SEM_POST_NO_EOVERFLOW), real_sem_post(s), EOVERFLOW, "sem_post"); }

sem_t *sem_open(const char *name, int oflag, ...)
{
    mode_t mode = 0;
    unsigned int value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = (mode_t)va_arg(ap, int);
        value = va_arg(ap, unsigned int);
        va_end(ap);
        if (ON(SEM_OPEN_NO_EXCL) && (oflag & O_EXCL)) {
            sem_t *r = real_sem_open(name, oflag, mode, value);
            if (r == SEM_FAILED && errno == EEXIST) {
                fired("sem_open");
                return real_sem_open(name, oflag & ~O_EXCL, mode, value);
            }
            return r;
        }
        return real_sem_open(name, oflag, mode, value);
    }
    return real_sem_open(name, oflag);
}

/* ---- POSIX shared memory ------------------------------------------------------------- */

int shm_open(const char *name, int oflag, mode_t mode)
{
    if (ON(SHM_NO_TRUNC) && (oflag & O_TRUNC)) {
        fired("shm_open");
        oflag &= ~O_TRUNC;
    }
    int r = real_shm_open(name, oflag, mode);
    if (ON(SHM_NO_CLOEXEC) && r >= 0) {
        int saved = errno;
        real_fcntl(r, F_SETFD, 0);
        errno = saved;
        fired("shm_open");
    }
    return r;
}

int shm_unlink(const char *name)
{
    return as_success(ON(SHM_UNLINK_MISSING_OK), real_shm_unlink(name), ENOENT, "shm_unlink");
}

/* ---- signal-driven I/O ----------------------------------------------------------------
 * What arrives, where the test collects it (sigtimedwait). The requests themselves
 * (fcntl F_SETOWN/F_SETSIG, made raw by the signal_io suite) are broken by the seccomp
 * faults fcntl-setown-is-ignored and fcntl-setsig-is-ignored. */

static int is_sigio_event(const siginfo_t *si)
{
    /* SIGIO, or a realtime signal chosen with F_SETSIG, with a POLL_* si_code (1..6). */
    return si->si_signo == SIGIO ||
           (si->si_signo >= SIGRTMIN && si->si_signo <= SIGRTMAX && si->si_code >= POLL_IN && si->si_code <= POLL_HUP);
}

int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
    if (!ON(SIGIO_HIDDEN) && !ON(SIGINFO_BAD_FD))
        return real_sigtimedwait(set, info, ts);
    siginfo_t local;
    siginfo_t *si = info ? info : &local;
    int r = real_sigtimedwait(set, si, ts);
    if (r == SIGIO && ON(SIGIO_HIDDEN)) {
        /* The signal is consumed and reported as never having come. */
        fired("sigtimedwait");
        errno = EAGAIN;
        return -1;
    }
    if (r > 0 && ON(SIGINFO_BAD_FD) && is_sigio_event(si) && si->si_code > 0) {
        fired("sigtimedwait");
        si->si_fd += 1;
    }
    return r;
}

/* ---- poll and select ----------------------------------------------------------------- */

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    int r = real_poll(fds, n, timeout);
    if (r < 0 || !fds || active == F_NONE)
        return r;
    if (ON(POLL_SOCKET_NO_HUP)) {
        int changed = 0, count = 0;
        for (nfds_t i = 0; i < n; i++) {
            if ((fds[i].revents & POLLHUP) && fds[i].fd >= 0 && is_socket(fds[i].fd)) {
                fds[i].revents &= ~POLLHUP;
                changed = 1;
            }
            count += fds[i].revents != 0;
        }
        if (changed) {
            fired("poll");
            return count;
        }
    }
    if (ON(POLL_NEGATIVE_NVAL)) {
        int changed = 0;
        for (nfds_t i = 0; i < n; i++) {
            if (fds[i].fd < 0) {
                fds[i].revents = POLLNVAL;
                r++;
                changed = 1;
            }
        }
        if (changed)
            fired("poll");
    }
    return r;
}

/* ---- epoll --------------------------------------------------------------------------- */

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    if (ev && (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD)) {
        if (ON(EPOLL_MOD_NO_REARM) && op == EPOLL_CTL_MOD && (ev->events & EPOLLONESHOT)) {
            fired("epoll_ctl");
            return 0;
        }
        uint32_t strip = 0;
        if (ON(EPOLL_NO_ONESHOT))
            strip = EPOLLONESHOT;
        if (ON(EPOLL_NO_ET))
            strip = EPOLLET;
        if (strip && (ev->events & strip)) {
            struct epoll_event copy = *ev;
            copy.events &= ~strip;
            fired("epoll_ctl");
            return real_epoll_ctl(epfd, op, fd, &copy);
        }
    }
    return real_epoll_ctl(epfd, op, fd, ev);
}

/* ---- terminals ----------------------------------------------------------------------- */

int grantpt(int fd) { return as_success(ON(GRANTPT_ANY_FD), real_grantpt(fd), EINVAL, "grantpt"); }
