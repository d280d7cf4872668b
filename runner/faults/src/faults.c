/*
 * ipcspec fault-injection shim (LD_PRELOAD).
 *
 * Each named fault breaks exactly one documented IPC semantic in a libc call that the suites
 * make, so that `ipcspec selfcheck` can prove a suite catches it. The fault is chosen at run
 * time with IPCSPEC_FAULT=<name>; without it (or with an unknown name, reported on stderr)
 * every wrapper calls the real function with the same arguments and returns its result and
 * errno untouched: the shim is a transparent pass-through.
 *
 * Rules that keep the shim safe inside the processes under test:
 * - The real functions are looked up once, in the constructor, with dlsym(RTLD_NEXT): no
 *   dlsym (which takes the loader lock) after a fork of a multi-threaded process.
 * - Wrappers call only the real pointers and libc functions the shim does not wrap, so no
 *   wrapper recurses into another.
 * - Faults are narrow (they match arguments and descriptor kinds) so that the harness's own
 *   pipes, polls, forks and waits keep working: a fault that breaks everything proves nothing.
 * - A wrapper that does not fire preserves errno across the checks it makes.
 *
 * When IPCSPEC_FAULT_LOG names a file, the first firing of the fault in each process appends
 * "<fault> <pid> <function>\n" to it, so the self-check can tell "never reached" from "missed".
 *
 * Limit: only calls that go through libc's dynamic symbols are reached. A raw syscall(2), a
 * call libc makes internally, or a statically linked program is not affected.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
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
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Every fault: its enum tag and its name. Keep in sync with runner/faults/src/lib.rs (a test
 * there compares both lists through ipcspec_faults_known()). */
#define FAULTS(X)                                                       \
    X(DUP2_EBUSY, "dup2-fails-ebusy-on-open-target")                    \
    X(DUP_NOT_LOWEST, "dup-skips-the-lowest-free-fd")                   \
    X(DUP3_NO_CLOEXEC, "dup3-ignores-o-cloexec")                        \
    X(SETFL_NO_APPEND, "fcntl-setfl-drops-o-append")                    \
    X(DUPFD_NO_MIN, "fcntl-dupfd-ignores-the-minimum")                  \
    X(PIPE2_NO_CLOEXEC, "pipe2-ignores-o-cloexec")                      \
    X(PIPE_SWAPPED, "pipe-returns-the-ends-swapped")                    \
    X(PIPE_READ_EOF, "pipe-read-returns-eof-while-a-writer-is-open")    \
    X(PIPE_NB_PARTIAL, "pipe-small-nonblocking-write-is-partial")       \
    X(NO_SIGPIPE, "pipe-write-without-readers-raises-no-sigpipe")       \
    X(SETPIPE_SZ_EXACT, "fcntl-setpipe-sz-does-not-round-up")           \
    X(FIFO_NO_ENXIO, "fifo-open-wronly-nonblock-without-reader-succeeds") \
    X(FIFO_RDONLY_NOBLOCK, "fifo-open-rdonly-does-not-wait-for-a-writer") \
    X(MKFIFO_NO_UMASK, "mkfifo-ignores-the-umask")                      \
    X(EAGAIN_AS_EOF, "nonblocking-read-returns-0-instead-of-eagain")    \
    X(ACCEPT4_NO_NONBLOCK, "accept4-ignores-sock-nonblock")             \
    X(CONNECT_SYNC, "nonblocking-tcp-connect-completes-synchronously")  \
    X(DONTWAIT_STICKY, "msg-dontwait-sets-o-nonblock-on-the-socket")    \
    X(EFD_NO_SEMAPHORE, "eventfd-ignores-efd-semaphore")                \
    X(EFD_NO_RESET, "eventfd-read-does-not-reset-the-counter")          \
    X(EFD_ALL_ONES, "eventfd-write-of-all-ones-succeeds")               \
    X(SEM_TRYWAIT_ZERO, "sem-trywait-on-zero-succeeds")                 \
    X(SEM_POST_NO_EOVERFLOW, "sem-post-at-max-does-not-fail-eoverflow") \
    X(SEM_EXPIRED_FIRST, "sem-timedwait-checks-the-deadline-before-decrementing") \
    X(SEM_OPEN_NO_EXCL, "sem-open-ignores-o-excl")                      \
    X(SHM_NO_TRUNC, "shm-open-ignores-o-trunc")                         \
    X(SHM_NO_CLOEXEC, "shm-open-descriptor-is-not-close-on-exec")       \
    X(SHM_UNLINK_MISSING_OK, "shm-unlink-of-a-missing-name-succeeds")   \
    X(MQ_TIMED_NO_DEADLINE, "mq-timedreceive-ignores-its-deadline")     \
    X(MQ_NO_PRIORITY, "mq-send-ignores-the-priority")                   \
    X(MQ_CURMSGS_ZERO, "mq-getattr-reports-no-messages")                \
    X(MQ_NOTIFY_NO_EBUSY, "mq-notify-allows-a-second-registration")     \
    X(SIGIO_HIDDEN, "sigio-is-never-delivered")                         \
    X(SIGINFO_BAD_FD, "sigio-siginfo-names-the-wrong-fd")               \
    X(SELECT_NO_EXCEPT, "select-ignores-exceptfds")                     \
    X(SELECT_NO_WRITEBACK, "select-does-not-write-back-the-timeout")    \
    X(POLL_SOCKET_NO_HUP, "poll-drops-pollhup-on-sockets")              \
    X(POLL_NEGATIVE_NVAL, "poll-reports-pollnval-for-a-negative-fd")    \
    X(PPOLL_NO_SIGMASK, "ppoll-ignores-its-sigmask")                    \
    X(EPOLL_NO_ONESHOT, "epoll-ignores-epolloneshot")                   \
    X(EPOLL_MOD_NO_REARM, "epoll-ctl-mod-does-not-re-arm-a-oneshot")    \
    X(EPOLL_NO_ET, "epoll-ignores-epollet")                             \
    X(RECV_NO_PEEK, "recv-loses-msg-peek")                              \
    X(RECVMSG_NO_TRUNC_FLAG, "recvmsg-clears-msg-trunc")                \
    X(REUSEADDR_IGNORED, "so-reuseaddr-is-ignored")                     \
    X(SHUTDOWN_WR_IGNORED, "shutdown-shut-wr-is-ignored")               \
    X(PTON_NUMBERS_AND_DOTS, "inet-pton-accepts-numbers-and-dots")      \
    X(UNIX_BIND_REPLACES, "unix-bind-replaces-a-leftover-socket-file")  \
    X(CMSG_CLOEXEC_IGNORED, "recvmsg-ignores-msg-cmsg-cloexec")         \
    X(PASSCRED_IGNORED, "so-passcred-is-ignored")                       \
    X(TCSAFLUSH_AS_TCSANOW, "tcsetattr-tcsaflush-keeps-unread-input")   \
    X(GRANTPT_ANY_FD, "grantpt-accepts-a-non-master")                   \
    X(FLOCK_NB_EACCES, "flock-lock-nb-conflict-fails-eacces")           \
    X(GETLK_NO_PID, "fcntl-getlk-reports-pid-0")                        \
    X(OFD_AS_POSIX, "ofd-setlk-takes-a-process-lock")                   \
    X(VM_READV_NO_FLAGS_CHECK, "process-vm-readv-ignores-flags")        \
    X(VM_READV_ONE_LOCAL, "process-vm-readv-fills-only-the-first-local-iovec") \
    X(MMAP_SHARED_PRIVATE, "mmap-shared-file-mapping-is-private")       \
    X(MEMFD_NO_CLOEXEC, "memfd-create-ignores-mfd-cloexec")             \
    X(MSYNC_ANY_FLAGS, "msync-accepts-invalid-flags")

#define TAG(t, n) F_##t,
enum fault { F_NONE = 0, FAULTS(TAG) F_COUNT };
#undef TAG
#define NAME(t, n) n,
static const char *const fault_names[] = { "", FAULTS(NAME) };
#undef NAME

static int active = F_NONE;
static const char *log_path;
static volatile int fired_in_pid;

/* The names, one per line: for the Rust side's consistency test and for `--help`. */
const char *ipcspec_faults_known(void)
{
    static char buf[8192];
    if (!buf[0]) {
        size_t off = 0;
        for (int i = 1; i < F_COUNT; i++) {
            size_t n = strlen(fault_names[i]);
            if (off + n + 2 >= sizeof buf)
                break;
            memcpy(buf + off, fault_names[i], n);
            off += n;
            buf[off++] = '\n';
        }
        buf[off] = 0;
    }
    return buf;
}

/* The active fault's name ("" when none): lets a test prove the shim is loaded. */
const char *ipcspec_faults_active(void) { return fault_names[active]; }

/* ---- the real functions -------------------------------------------------------------- */

#define REAL_DECL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__)
REAL_DECL(int, dup, int);
REAL_DECL(int, dup2, int, int);
REAL_DECL(int, dup3, int, int, int);
REAL_DECL(int, fcntl, int, int, ...);
REAL_DECL(int, fcntl64, int, int, ...);
REAL_DECL(int, pipe, int *);
REAL_DECL(int, pipe2, int *, int);
REAL_DECL(ssize_t, read, int, void *, size_t);
REAL_DECL(ssize_t, write, int, const void *, size_t);
REAL_DECL(int, open, const char *, int, ...);
REAL_DECL(int, open64, const char *, int, ...);
REAL_DECL(int, openat, int, const char *, int, ...);
REAL_DECL(int, openat64, int, const char *, int, ...);
REAL_DECL(int, mkfifo, const char *, mode_t);
REAL_DECL(int, mkfifoat, int, const char *, mode_t);
REAL_DECL(int, accept4, int, struct sockaddr *, socklen_t *, int);
REAL_DECL(int, connect, int, const struct sockaddr *, socklen_t);
REAL_DECL(ssize_t, recv, int, void *, size_t, int);
REAL_DECL(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *);
REAL_DECL(ssize_t, recvmsg, int, struct msghdr *, int);
REAL_DECL(int, eventfd, unsigned int, int);
REAL_DECL(int, sem_trywait, sem_t *);
REAL_DECL(int, sem_post, sem_t *);
REAL_DECL(int, sem_timedwait, sem_t *, const struct timespec *);
REAL_DECL(sem_t *, sem_open, const char *, int, ...);
REAL_DECL(int, shm_open, const char *, int, mode_t);
REAL_DECL(int, shm_unlink, const char *);
REAL_DECL(ssize_t, mq_timedreceive, mqd_t, char *, size_t, unsigned int *, const struct timespec *);
REAL_DECL(ssize_t, mq_receive, mqd_t, char *, size_t, unsigned int *);
REAL_DECL(int, mq_send, mqd_t, const char *, size_t, unsigned int);
REAL_DECL(int, mq_timedsend, mqd_t, const char *, size_t, unsigned int, const struct timespec *);
REAL_DECL(int, mq_getattr, mqd_t, struct mq_attr *);
REAL_DECL(int, mq_notify, mqd_t, const struct sigevent *);
REAL_DECL(int, select, int, fd_set *, fd_set *, fd_set *, struct timeval *);
REAL_DECL(int, poll, struct pollfd *, nfds_t, int);
REAL_DECL(int, ppoll, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
REAL_DECL(int, epoll_ctl, int, int, int, struct epoll_event *);
REAL_DECL(int, setsockopt, int, int, int, const void *, socklen_t);
REAL_DECL(int, shutdown, int, int);
REAL_DECL(int, inet_pton, int, const char *, void *);
REAL_DECL(int, bind, int, const struct sockaddr *, socklen_t);
REAL_DECL(int, tcsetattr, int, int, const struct termios *);
REAL_DECL(int, grantpt, int);
REAL_DECL(int, flock, int, int);
REAL_DECL(ssize_t, process_vm_readv, pid_t, const struct iovec *, unsigned long, const struct iovec *, unsigned long, unsigned long);
REAL_DECL(void *, mmap, void *, size_t, int, int, int, off_t);
REAL_DECL(void *, mmap64, void *, size_t, int, int, int, off_t);
REAL_DECL(int, memfd_create, const char *, unsigned int);
REAL_DECL(int, msync, void *, size_t, int);
REAL_DECL(int, sigtimedwait, const sigset_t *, siginfo_t *, const struct timespec *);

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

__attribute__((constructor)) static void ipcspec_faults_init(void)
{
    RESOLVE(dup); RESOLVE(dup2); RESOLVE(dup3); RESOLVE(fcntl); RESOLVE(fcntl64);
    RESOLVE(pipe); RESOLVE(pipe2); RESOLVE(read); RESOLVE(write);
    RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64);
    RESOLVE(mkfifo); RESOLVE(mkfifoat); RESOLVE(accept4); RESOLVE(connect);
    RESOLVE(recv); RESOLVE(recvfrom); RESOLVE(recvmsg); RESOLVE(eventfd);
    RESOLVE(sem_trywait); RESOLVE(sem_post); RESOLVE(sem_timedwait); RESOLVE(sem_open);
    RESOLVE(shm_open); RESOLVE(shm_unlink);
    RESOLVE(mq_timedreceive); RESOLVE(mq_receive); RESOLVE(mq_send); RESOLVE(mq_timedsend);
    RESOLVE(mq_getattr); RESOLVE(mq_notify);
    RESOLVE(select); RESOLVE(poll); RESOLVE(ppoll); RESOLVE(epoll_ctl);
    RESOLVE(setsockopt); RESOLVE(shutdown); RESOLVE(inet_pton); RESOLVE(bind);
    RESOLVE(tcsetattr); RESOLVE(grantpt); RESOLVE(flock); RESOLVE(process_vm_readv);
    RESOLVE(mmap); RESOLVE(mmap64); RESOLVE(memfd_create); RESOLVE(msync);
    RESOLVE(sigtimedwait);

    const char *want = getenv("IPCSPEC_FAULT");
    log_path = getenv("IPCSPEC_FAULT_LOG");
    if (want && *want) {
        for (int i = 1; i < F_COUNT; i++)
            if (strcmp(want, fault_names[i]) == 0)
                active = i;
        if (active == F_NONE) {
            static const char m[] = "ipcspec-faults: unknown IPCSPEC_FAULT; no fault is active\n";
            (void)!syscall(SYS_write, 2, m, sizeof m - 1);
        }
    }
}

/* Record the first firing in this process. Async-signal-safe, no allocation. */
static void fired(const char *fn)
{
    int saved = errno;
    pid_t pid = (pid_t)syscall(SYS_getpid);
    if (fired_in_pid != pid && log_path) {
        fired_in_pid = pid;
        char line[256];
        int n = snprintf(line, sizeof line, "%s %d %s\n", fault_names[active], (int)pid, fn);
        int fd = (int)syscall(SYS_openat, AT_FDCWD, log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (fd >= 0) {
            if (n > 0)
                (void)!syscall(SYS_write, fd, line, (size_t)n);
            syscall(SYS_close, fd);
        }
    }
    errno = saved;
}

#define ON(t) (active == F_##t)

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

static int fd_is_open(int fd)
{
    int saved = errno;
    int r = real_fcntl(fd, F_GETFD) >= 0;
    errno = saved;
    return r;
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

/* ---- descriptors --------------------------------------------------------------------- */

int dup(int oldfd)
{
    int r = real_dup(oldfd);
    if (ON(DUP_NOT_LOWEST) && r >= 0) {
        int r2 = real_fcntl(oldfd, F_DUPFD, r + 1);
        if (r2 >= 0) {
            int saved = errno;
            syscall(SYS_close, r);
            errno = saved;
            fired("dup");
            return r2;
        }
    }
    return r;
}

int dup2(int oldfd, int newfd)
{
    if (ON(DUP2_EBUSY) && newfd > 2 && newfd != oldfd && fd_is_open(newfd) && fd_is_open(oldfd)) {
        fired("dup2");
        errno = EBUSY;
        return -1;
    }
    return real_dup2(oldfd, newfd);
}

int dup3(int oldfd, int newfd, int flags)
{
    if (ON(DUP3_NO_CLOEXEC) && (flags & O_CLOEXEC) && oldfd != newfd) {
        fired("dup3");
        flags &= ~O_CLOEXEC;
    }
    return real_dup3(oldfd, newfd, flags);
}

static int fcntl_common(int (*real)(int, int, ...), const char *fn, int fd, int cmd, void *arg)
{
    long iarg = (long)arg;
    switch (cmd) {
    case F_SETFL:
        if (ON(SETFL_NO_APPEND) && (iarg & O_APPEND)) {
            fired(fn);
            return real(fd, cmd, (void *)(iarg & ~(long)O_APPEND));
        }
        break;
    case F_DUPFD:
        if (ON(DUPFD_NO_MIN) && iarg > 0) {
            int r = real(fd, F_DUPFD, (void *)0);
            if (r >= 0 && r < iarg)
                fired(fn);
            return r;
        }
        break;
    case F_SETPIPE_SZ:
        if (ON(SETPIPE_SZ_EXACT)) {
            int r = real(fd, cmd, arg);
            if (r >= 0 && r != (int)iarg) {
                fired(fn);
                return (int)iarg;
            }
            return r;
        }
        break;
    case F_GETLK: {
        int r = real(fd, cmd, arg);
        if (ON(GETLK_NO_PID) && r == 0 && arg) {
            struct flock *fl = arg;
            if (fl->l_type != F_UNLCK && fl->l_pid > 0) {
                fired(fn);
                fl->l_pid = 0;
            }
        }
        return r;
    }
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        if (ON(OFD_AS_POSIX) && arg && ((struct flock *)arg)->l_pid == 0) {
            fired(fn);
            return real(fd, cmd == F_OFD_SETLK ? F_SETLK : F_SETLKW, arg);
        }
        break;
    }
    return real(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(real_fcntl, "fcntl", fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(real_fcntl64, "fcntl64", fd, cmd, arg);
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

int pipe2(int fds[2], int flags)
{
    if (ON(PIPE2_NO_CLOEXEC) && (flags & O_CLOEXEC)) {
        fired("pipe2");
        flags &= ~O_CLOEXEC;
    }
    return real_pipe2(fds, flags);
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
        pthread_sigmask(SIG_BLOCK, &block, &old);
        sigpending(&pending);
        int was_pending = sigismember(&pending, SIGPIPE);
        ssize_t r = real_write(fd, buf, n);
        int e = errno;
        if (r < 0 && e == EPIPE && !was_pending) {
            struct timespec zero = { 0, 0 };
            sigtimedwait(&block, NULL, &zero);
            fired("write");
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
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

/* open(2) faults on FIFOs. `real_call` re-opens with other flags. */
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

int mkfifo(const char *path, mode_t mode)
{
    int r = real_mkfifo(path, mode);
    if (ON(MKFIFO_NO_UMASK) && r == 0) {
        fchmodat(AT_FDCWD, path, mode & 07777, 0);
        fired("mkfifo");
    }
    return r;
}

int mkfifoat(int dirfd, const char *path, mode_t mode)
{
    int r = real_mkfifoat(dirfd, path, mode);
    if (ON(MKFIFO_NO_UMASK) && r == 0) {
        fchmodat(dirfd, path, mode & 07777, 0);
        fired("mkfifoat");
    }
    return r;
}

/* ---- sockets ------------------------------------------------------------------------- */

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    if (ON(ACCEPT4_NO_NONBLOCK) && (flags & SOCK_NONBLOCK)) {
        fired("accept4");
        flags &= ~SOCK_NONBLOCK;
    }
    return real_accept4(fd, addr, len, flags);
}

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

static int recv_flags(int fd, int flags, const char *fn)
{
    if (ON(RECV_NO_PEEK) && (flags & MSG_PEEK)) {
        fired(fn);
        flags &= ~MSG_PEEK;
    }
    if (ON(DONTWAIT_STICKY) && (flags & MSG_DONTWAIT) && !is_nonblocking(fd)) {
        int saved = errno;
        int fl = real_fcntl(fd, F_GETFL);
        if (fl >= 0 && real_fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
            fired(fn);
        errno = saved;
    }
    return flags;
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    if (active != F_NONE)
        flags = recv_flags(fd, flags, "recv");
    return real_recv(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len)
{
    if (active != F_NONE)
        flags = recv_flags(fd, flags, "recvfrom");
    return real_recvfrom(fd, buf, n, flags, addr, len);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (active != F_NONE)
        flags = recv_flags(fd, flags, "recvmsg");
    if (ON(CMSG_CLOEXEC_IGNORED) && (flags & MSG_CMSG_CLOEXEC)) {
        fired("recvmsg");
        flags &= ~MSG_CMSG_CLOEXEC;
    }
    ssize_t r = real_recvmsg(fd, msg, flags);
    if (ON(RECVMSG_NO_TRUNC_FLAG) && r >= 0 && msg && (msg->msg_flags & MSG_TRUNC)) {
        fired("recvmsg");
        msg->msg_flags &= ~MSG_TRUNC;
    }
    return r;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    if (level == SOL_SOCKET && val && len >= (socklen_t)sizeof(int) && *(const int *)val != 0 &&
        ((ON(REUSEADDR_IGNORED) && name == SO_REUSEADDR) || (ON(PASSCRED_IGNORED) && name == SO_PASSCRED)) &&
        is_socket(fd)) {
        fired("setsockopt");
        return 0;
    }
    return real_setsockopt(fd, level, name, val, len);
}

int shutdown(int fd, int how)
{
    if (ON(SHUTDOWN_WR_IGNORED) && how == SHUT_WR && is_socket(fd)) {
        fired("shutdown");
        return 0;
    }
    return real_shutdown(fd, how);
}

int inet_pton(int af, const char *src, void *dst)
{
    if (ON(PTON_NUMBERS_AND_DOTS) && af == AF_INET && src && dst) {
        int r = real_inet_pton(af, src, dst);
        if (r == 1)
            return r;
        struct in_addr a;
        if (inet_aton(src, &a)) {
            memcpy(dst, &a, sizeof a);
            fired("inet_pton");
            return 1;
        }
        return r;
    }
    return real_inet_pton(af, src, dst);
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

int eventfd(unsigned int initval, int flags)
{
    if (ON(EFD_NO_SEMAPHORE) && (flags & EFD_SEMAPHORE)) {
        fired("eventfd");
        flags &= ~EFD_SEMAPHORE;
    }
    int r = real_eventfd(initval, flags);
    if (r >= 0 && r < EFD_TABLE)
        efd_kind[r] = (flags & EFD_SEMAPHORE) ? 2 : 1;
    return r;
}

/* ---- POSIX semaphores ---------------------------------------------------------------- */

int sem_trywait(sem_t *s)
{
    int r = real_sem_trywait(s);
    if (ON(SEM_TRYWAIT_ZERO) && r < 0 && errno == EAGAIN) {
        fired("sem_trywait");
        errno = 0;
        return 0;
    }
    return r;
}

int sem_post(sem_t *s)
{
    int r = real_sem_post(s);
    if (ON(SEM_POST_NO_EOVERFLOW) && r < 0 && errno == EOVERFLOW) {
        fired("sem_post");
        errno = 0;
        return 0;
    }
    return r;
}

int sem_timedwait(sem_t *s, const struct timespec *abs)
{
    if (ON(SEM_EXPIRED_FIRST) && abs && abs->tv_nsec >= 0 && abs->tv_nsec < 1000000000) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (now.tv_sec > abs->tv_sec || (now.tv_sec == abs->tv_sec && now.tv_nsec >= abs->tv_nsec)) {
            fired("sem_timedwait");
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return real_sem_timedwait(s, abs);
}

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
    int r = real_shm_unlink(name);
    if (ON(SHM_UNLINK_MISSING_OK) && r < 0 && errno == ENOENT) {
        fired("shm_unlink");
        errno = 0;
        return 0;
    }
    return r;
}

/* ---- POSIX message queues ------------------------------------------------------------ */

ssize_t mq_timedreceive(mqd_t q, char *buf, size_t n, unsigned int *prio, const struct timespec *abs)
{
    if (ON(MQ_TIMED_NO_DEADLINE)) {
        fired("mq_timedreceive");
        return real_mq_receive(q, buf, n, prio);
    }
    return real_mq_timedreceive(q, buf, n, prio, abs);
}

int mq_send(mqd_t q, const char *buf, size_t n, unsigned int prio)
{
    if (ON(MQ_NO_PRIORITY) && prio != 0) {
        fired("mq_send");
        prio = 0;
    }
    return real_mq_send(q, buf, n, prio);
}

int mq_timedsend(mqd_t q, const char *buf, size_t n, unsigned int prio, const struct timespec *abs)
{
    if (ON(MQ_NO_PRIORITY) && prio != 0) {
        fired("mq_timedsend");
        prio = 0;
    }
    return real_mq_timedsend(q, buf, n, prio, abs);
}

int mq_getattr(mqd_t q, struct mq_attr *a)
{
    int r = real_mq_getattr(q, a);
    if (ON(MQ_CURMSGS_ZERO) && r == 0 && a && a->mq_curmsgs != 0) {
        fired("mq_getattr");
        a->mq_curmsgs = 0;
    }
    return r;
}

int mq_notify(mqd_t q, const struct sigevent *sev)
{
    int r = real_mq_notify(q, sev);
    if (ON(MQ_NOTIFY_NO_EBUSY) && r < 0 && errno == EBUSY) {
        fired("mq_notify");
        errno = 0;
        return 0;
    }
    return r;
}

/* ---- signal-driven I/O ----------------------------------------------------------------
 * The signal_io suite makes its fcntl(F_SETOWN/F_SETSIG/F_SETFL O_ASYNC) calls as raw
 * syscall(2)s on purpose (glibc emulates F_GETOWN), so the shim cannot change how the signal
 * is requested; it changes what arrives, where the test collects it (sigtimedwait). */

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

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    if (ON(SELECT_NO_EXCEPT) && e) {
        int res = real_select(n, r, w, NULL, tv);
        if (res >= 0) {
            FD_ZERO(e);
            fired("select");
        }
        return res;
    }
    if (ON(SELECT_NO_WRITEBACK) && tv) {
        struct timeval saved = *tv;
        int res = real_select(n, r, w, e, tv);
        if (tv->tv_sec != saved.tv_sec || tv->tv_usec != saved.tv_usec) {
            *tv = saved;
            fired("select");
        }
        return res;
    }
    return real_select(n, r, w, e, tv);
}

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

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    if (ON(PPOLL_NO_SIGMASK) && mask) {
        fired("ppoll");
        mask = NULL;
    }
    return real_ppoll(fds, n, ts, mask);
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

int tcsetattr(int fd, int act, const struct termios *t)
{
    if (ON(TCSAFLUSH_AS_TCSANOW) && act == TCSAFLUSH) {
        fired("tcsetattr");
        act = TCSANOW;
    }
    return real_tcsetattr(fd, act, t);
}

int grantpt(int fd)
{
    int r = real_grantpt(fd);
    if (ON(GRANTPT_ANY_FD) && r < 0 && errno == EINVAL) {
        fired("grantpt");
        errno = 0;
        return 0;
    }
    return r;
}

/* ---- locks --------------------------------------------------------------------------- */

int flock(int fd, int op)
{
    int r = real_flock(fd, op);
    if (ON(FLOCK_NB_EACCES) && r < 0 && errno == EWOULDBLOCK && (op & LOCK_NB)) {
        fired("flock");
        errno = EACCES;
    }
    return r;
}

/* ---- cross memory -------------------------------------------------------------------- */

ssize_t process_vm_readv(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *rv, unsigned long rn,
                         unsigned long flags)
{
    if (ON(VM_READV_NO_FLAGS_CHECK) && flags != 0) {
        fired("process_vm_readv");
        flags = 0;
    }
    if (ON(VM_READV_ONE_LOCAL) && ln > 1 && l) {
        fired("process_vm_readv");
        ln = 1;
    }
    return real_process_vm_readv(pid, l, ln, rv, rn, flags);
}

/* ---- mappings ------------------------------------------------------------------------ */

static int map_flags(int flags, int fd, const char *fn)
{
    if (ON(MMAP_SHARED_PRIVATE) && fd >= 0 && !(flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_SHARED) {
        fired(fn);
        return (flags & ~MAP_TYPE) | MAP_PRIVATE;
    }
    return flags;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return real_mmap(addr, len, prot, map_flags(flags, fd, "mmap"), fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return real_mmap64(addr, len, prot, map_flags(flags, fd, "mmap64"), fd, off);
}

int memfd_create(const char *name, unsigned int flags)
{
    if (ON(MEMFD_NO_CLOEXEC) && (flags & MFD_CLOEXEC)) {
        fired("memfd_create");
        flags &= ~MFD_CLOEXEC;
    }
    return real_memfd_create(name, flags);
}

int msync(void *addr, size_t len, int flags)
{
    int r = real_msync(addr, len, flags);
    long page = sysconf(_SC_PAGESIZE);
    if (ON(MSYNC_ANY_FLAGS) && r < 0 && errno == EINVAL && page > 0 && ((uintptr_t)addr % (uintptr_t)page) == 0) {
        fired("msync");
        errno = 0;
        return 0;
    }
    return r;
}
