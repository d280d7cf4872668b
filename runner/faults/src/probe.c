/*
 * ipcspec-fault-probe: the control program of the seccomp faults (runner/tests/fault_controls.rs).
 *
 *   ipcspec-fault-probe <fault>            the calls that fault breaks, through libc and raw
 *   ipcspec-fault-probe <mode> <fault>     the same, in another situation (see `modes`)
 *
 * Each case makes the calls a fault's filter traps — through libc and as raw syscall(2)s —
 * and prints one line saying what the kernel did ("libc=cloexec raw=cloexec"). Run without
 * the library, with it and no fault, and with the fault, the line must be the same, the
 * same, and different: the fault changes behaviour, on every path, and nothing else does.
 *
 * Nothing here is named like the suites' objects (ipcspec-*), so a leak check running at the
 * same time does not count them; everything is removed before the probe exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef F_SETSIG
#define F_SETSIG 10
#define F_GETSIG 11
#endif

static char dir[64];

static void cleanup(void)
{
    if (dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "%s/f1", dir), unlink(cmd);
        snprintf(cmd, sizeof cmd, "%s/f2", dir), unlink(cmd);
        snprintf(cmd, sizeof cmd, "%s/file", dir), unlink(cmd);
        rmdir(dir);
    }
}

static const char *in_dir(const char *name)
{
    static char p[4][128];
    static int k;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/.isfp-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(cleanup);
    }
    char *r = p[k++ % 4];
    snprintf(r, 128, "%s/%s", dir, name);
    return r;
}

static const char *e(int r) { return r < 0 ? strerrorname_np(errno) : "ok"; }
static const char *cloexec(int fd)
{
    int f = fcntl(fd, F_GETFD);
    return f < 0 ? strerrorname_np(errno) : (f & FD_CLOEXEC) ? "cloexec" : "-";
}
static const char *flag(int fd, int bit, const char *name)
{
    int f = fcntl(fd, F_GETFL);
    return f < 0 ? strerrorname_np(errno) : (f & bit) ? name : "-";
}
static int null_fd(void) { return open("/dev/null", O_RDWR | O_CLOEXEC); }
static int must(int r, const char *what)
{
    if (r < 0) {
        fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
        exit(2);
    }
    return r;
}
#define MUST(x) must((int)(x), #x)

/* ---- descriptors ------------------------------------------------------------------------ */

static void dup2_ebusy(void)
{
    int a = MUST(null_fd()), b = MUST(null_fd());
    const char *l = e(dup2(a, b));
    const char *r = e((int)syscall(SYS_dup2, a, b));
    printf("libc=%s raw=%s\n", l, r);
}

static int lowest_free(void)
{
    for (int fd = 0;; fd++)
        if (fcntl(fd, F_GETFD) < 0)
            return fd;
}

static void dup_lowest(void)
{
    int a = MUST(null_fd()), hole = MUST(null_fd()), keep = MUST(null_fd());
    (void)keep;
    close(hole);
    int want = lowest_free();
    int d = MUST(dup(a));
    const char *l = d == want ? "lowest" : "higher";
    close(d);
    d = MUST(syscall(SYS_dup, a));
    const char *r = d == want ? "lowest" : "higher";
    printf("libc=%s raw=%s\n", l, r);
}

static void dup3_cloexec(void)
{
    int a = MUST(open("/dev/null", O_RDONLY)), t = MUST(null_fd());
    MUST(dup3(a, t, O_CLOEXEC));
    const char *l = cloexec(t);
    MUST(fcntl(t, F_SETFD, 0));
    MUST(syscall(SYS_dup3, a, t, O_CLOEXEC));
    printf("libc=%s raw=%s\n", l, cloexec(t));
}

static void dup3_unknown(void)
{
    int a = MUST(null_fd()), t = MUST(null_fd());
    const char *l = e(dup3(a, t, O_NONBLOCK));
    printf("libc=%s raw=%s\n", l, e((int)syscall(SYS_dup3, a, t, O_NONBLOCK)));
}

static void setfl_append(void)
{
    int f = MUST(open("/dev/null", O_WRONLY | O_CLOEXEC));
    MUST(fcntl(f, F_SETFL, O_APPEND));
    const char *l = flag(f, O_APPEND, "append");
    MUST(fcntl(f, F_SETFL, 0));
    MUST(syscall(SYS_fcntl, f, F_SETFL, O_APPEND));
    printf("libc=%s raw=%s\n", l, flag(f, O_APPEND, "append"));
}

static void dupfd_min(void)
{
    int a = MUST(null_fd());
    int d1 = MUST(fcntl(a, F_DUPFD, 100)), d2 = MUST(syscall(SYS_fcntl, a, F_DUPFD, 200));
    printf("libc=%s raw=%s\n", d1 >= 100 ? ">=min" : "<min", d2 >= 200 ? ">=min" : "<min");
}

/* ---- pipes ------------------------------------------------------------------------------ */

static void pipe2_flag(int f, int bit, const char *name)
{
    int p[2], q[2];
    MUST(pipe2(p, f | O_CLOEXEC));
    MUST(syscall(SYS_pipe2, q, f | O_CLOEXEC));
    if (bit == O_CLOEXEC)
        printf("libc=%s,%s raw=%s,%s\n", cloexec(p[0]), cloexec(p[1]), cloexec(q[0]), cloexec(q[1]));
    else
        printf("libc=%s,%s raw=%s,%s\n", flag(p[0], bit, name), flag(p[1], bit, name), flag(q[0], bit, name),
               flag(q[1], bit, name));
}
static void pipe2_cloexec(void) { pipe2_flag(0, O_CLOEXEC, "cloexec"); }
static void pipe2_nonblock(void) { pipe2_flag(O_NONBLOCK, O_NONBLOCK, "nonblock"); }
static void pipe2_direct(void) { pipe2_flag(O_DIRECT, O_DIRECT, "direct"); }

static void pipe2_unknown(void)
{
    int p[2] = { -7, -7 };
    const char *l = e(pipe2(p, O_APPEND | O_CLOEXEC));
    printf("libc=%s raw=%s\n", l, e((int)syscall(SYS_pipe2, p, O_APPEND | O_CLOEXEC)));
}

static void setpipe_sz(void)
{
    int p[2];
    MUST(pipe2(p, O_CLOEXEC));
    int l = MUST(fcntl(p[0], F_SETPIPE_SZ, 4097));
    int r = MUST(syscall(SYS_fcntl, p[0], F_SETPIPE_SZ, 12289));
    printf("libc=%d raw=%d\n", l, r);
}

static void mkfifo_umask(void)
{
    umask(022);
    struct stat a, b;
    MUST(mkfifo(in_dir("f1"), 0666));
    MUST(syscall(SYS_mknodat, AT_FDCWD, in_dir("f2"), S_IFIFO | 0666, 0));
    MUST(stat(in_dir("f1"), &a));
    MUST(stat(in_dir("f2"), &b));
    printf("libc=%o raw=%o\n", a.st_mode & 0777, b.st_mode & 0777);
}

/* ---- sockets ---------------------------------------------------------------------------- */

static void accept4_nonblock(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "isfp-%d", getpid());
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    int l = MUST(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    MUST(bind(l, (struct sockaddr *)&a, len));
    MUST(listen(l, 4));
    int c1 = MUST(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)), c2 = MUST(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    MUST(connect(c1, (struct sockaddr *)&a, len));
    MUST(connect(c2, (struct sockaddr *)&a, len));
    int s1 = MUST(accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
    int s2 = MUST(syscall(SYS_accept4, l, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC));
    printf("libc=%s raw=%s\n", flag(s1, O_NONBLOCK, "nonblock"), flag(s2, O_NONBLOCK, "nonblock"));
}

static void pair(int type, int sv[2]) { MUST(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv)); }

static void dontwait(void)
{
    int a[2], b[2], c[2];
    char x;
    pair(SOCK_STREAM, a), pair(SOCK_STREAM, b), pair(SOCK_STREAM, c);
    const char *r1 = e((int)recv(a[0], &x, 1, MSG_DONTWAIT));
    const char *r2 = e((int)syscall(SYS_recvfrom, b[0], &x, 1, MSG_DONTWAIT, 0, 0));
    struct iovec v = { &x, 1 };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
    const char *r3 = e((int)syscall(SYS_recvmsg, c[0], &m, MSG_DONTWAIT));
    printf("recv=%s,%s recvfrom=%s,%s recvmsg=%s,%s\n", r1, flag(a[0], O_NONBLOCK, "nonblock"), r2,
           flag(b[0], O_NONBLOCK, "nonblock"), r3, flag(c[0], O_NONBLOCK, "nonblock"));
}

static const char *peeked(int sock, int raw)
{
    char x = 0;
    struct iovec v = { &x, 1 };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
    long r = raw ? syscall(SYS_recvmsg, sock, &m, MSG_PEEK) : recv(sock, &x, 1, MSG_PEEK);
    if (r != 1)
        return "peek-failed";
    r = recv(sock, &x, 1, MSG_DONTWAIT);
    return r == 1 ? "kept" : "lost";
}

static void msg_peek(void)
{
    int a[2], b[2];
    pair(SOCK_DGRAM, a), pair(SOCK_DGRAM, b);
    MUST(send(a[1], "x", 1, 0));
    MUST(send(b[1], "x", 1, 0));
    const char *l = peeked(a[0], 0);
    printf("recv=%s recvmsg=%s\n", l, peeked(b[0], 1));
}

static void sol_opt(int domain, int type, int name)
{
    int s = MUST(socket(domain, type | SOCK_CLOEXEC, 0)), t = MUST(socket(domain, type | SOCK_CLOEXEC, 0));
    int one = 1, v1 = -1, v2 = -1;
    socklen_t l = sizeof v1;
    MUST(setsockopt(s, SOL_SOCKET, name, &one, sizeof one));
    MUST(syscall(SYS_setsockopt, t, SOL_SOCKET, name, &one, sizeof one));
    MUST(getsockopt(s, SOL_SOCKET, name, &v1, &l));
    MUST(getsockopt(t, SOL_SOCKET, name, &v2, &l));
    printf("libc=%d raw=%d\n", v1, v2);
}
static void reuseaddr(void) { sol_opt(AF_INET, SOCK_STREAM, SO_REUSEADDR); }
static void passcred(void) { sol_opt(AF_UNIX, SOCK_DGRAM, SO_PASSCRED); }

static void shut_wr(void)
{
    int a[2], b[2];
    char x;
    pair(SOCK_STREAM, a), pair(SOCK_STREAM, b);
    MUST(shutdown(a[0], SHUT_WR));
    MUST(syscall(SYS_shutdown, b[0], SHUT_WR));
    long r1 = recv(a[1], &x, 1, MSG_DONTWAIT);
    const char *l = r1 == 0 ? "eof" : e((int)r1);
    long r2 = recv(b[1], &x, 1, MSG_DONTWAIT);
    printf("libc=%s raw=%s\n", l, r2 == 0 ? "eof" : e((int)r2));
}

static int received_fd(int raw)
{
    int sv[2], fd = MUST(null_fd());
    pair(SOCK_STREAM, sv);
    char c = 'x';
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec v = { &c, 1 };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_RIGHTS, h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof fd);
    MUST(sendmsg(sv[1], &m, 0));
    memset(u.buf, 0, sizeof u.buf);
    m.msg_controllen = sizeof u.buf;
    MUST(raw ? syscall(SYS_recvmsg, sv[0], &m, MSG_CMSG_CLOEXEC) : recvmsg(sv[0], &m, MSG_CMSG_CLOEXEC));
    h = CMSG_FIRSTHDR(&m);
    if (!h || h->cmsg_type != SCM_RIGHTS)
        return -1;
    int got;
    memcpy(&got, CMSG_DATA(h), sizeof got);
    return got;
}

static void cmsg_cloexec(void)
{
    const char *l = cloexec(received_fd(0));
    printf("libc=%s raw=%s\n", l, cloexec(received_fd(1)));
}

/* ---- eventfd ---------------------------------------------------------------------------- */

static void efd_semaphore(void)
{
    uint64_t v1 = 0, v2 = 0;
    int a = MUST(eventfd(3, EFD_SEMAPHORE | EFD_CLOEXEC));
    int b = MUST(syscall(SYS_eventfd2, 3, EFD_SEMAPHORE | EFD_CLOEXEC));
    MUST(read(a, &v1, 8));
    MUST(read(b, &v2, 8));
    printf("libc=%llu raw=%llu\n", (unsigned long long)v1, (unsigned long long)v2);
}

static void efd_flag(int f, int bit, const char *name)
{
    int a = MUST(eventfd(0, f)), b = MUST(syscall(SYS_eventfd2, 0, f));
    if (bit == O_CLOEXEC)
        printf("libc=%s raw=%s\n", cloexec(a), cloexec(b));
    else
        printf("libc=%s raw=%s\n", flag(a, bit, name), flag(b, bit, name));
}
static void efd_cloexec(void) { efd_flag(EFD_CLOEXEC, O_CLOEXEC, "cloexec"); }
static void efd_nonblock(void) { efd_flag(EFD_NONBLOCK | EFD_CLOEXEC, O_NONBLOCK, "nonblock"); }

static void efd_unknown(void)
{
    const char *l = e(eventfd(0, 2 | EFD_CLOEXEC));
    printf("libc=%s raw=%s\n", l, e((int)syscall(SYS_eventfd2, 0, 2 | EFD_CLOEXEC)));
}

/* ---- message queues --------------------------------------------------------------------- */

static char qnames[2][64];
static void unlink_queues(void)
{
    for (int i = 0; i < 2; i++)
        if (qnames[i][0])
            mq_unlink(qnames[i]);
}

static mqd_t queue(int i)
{
    snprintf(qnames[i], sizeof qnames[i], "/isfp-%d-%d", getpid(), i);
    static int registered;
    if (!registered++)
        atexit(unlink_queues);
    struct mq_attr at = { .mq_maxmsg = 4, .mq_msgsize = 64 };
    return (mqd_t)MUST(mq_open(qnames[i], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &at));
}

static void on_alarm(int s) { (void)s; }

static void mq_deadline(void)
{
    mqd_t q = queue(0);
    char buf[64];
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: a receive that blocks is interrupted */
    struct itimerval it = { .it_interval = { 0, 300000 }, .it_value = { 0, 300000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec past = { 1, 0 };
    const char *l = e((int)mq_timedreceive(q, buf, sizeof buf, NULL, &past));
    const char *r = e((int)syscall(SYS_mq_timedreceive, q, buf, sizeof buf, NULL, &past));
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    printf("libc=%s raw=%s\n", l, r);
}

static void mq_priority(void)
{
    mqd_t q = queue(0), p = queue(1);
    char b1[64] = "", b2[64] = "";
    MUST(mq_send(q, "a", 1, 1));
    MUST(mq_send(q, "b", 1, 5));
    MUST(syscall(SYS_mq_timedsend, p, "a", 1, 1, NULL));
    MUST(syscall(SYS_mq_timedsend, p, "b", 1, 5, NULL));
    MUST(mq_receive(q, b1, sizeof b1, NULL));
    MUST(mq_receive(p, b2, sizeof b2, NULL));
    printf("libc=%.1s raw=%.1s\n", b1, b2);
}

static void mq_curmsgs(void)
{
    mqd_t q = queue(0);
    MUST(mq_send(q, "a", 1, 0));
    struct mq_attr a1, a2;
    MUST(mq_getattr(q, &a1));
    MUST(syscall(SYS_mq_getsetattr, q, NULL, &a2));
    printf("libc=%ld raw=%ld\n", a1.mq_curmsgs, a2.mq_curmsgs);
}

static void mq_notify_twice(void)
{
    mqd_t q = queue(0), p = queue(1);
    struct sigevent ev = { .sigev_notify = SIGEV_NONE };
    MUST(mq_notify(q, &ev));
    const char *l = e(mq_notify(q, &ev));
    MUST(syscall(SYS_mq_notify, p, &ev));
    printf("libc=%s raw=%s\n", l, e((int)syscall(SYS_mq_notify, p, &ev)));
}

/* ---- signal-driven I/O ------------------------------------------------------------------ */

static const char *owner(long v)
{
    static char b[2][32];
    static int k;
    char *r = b[k++ % 2];
    pid_t me = getpid();
    if (v == me)
        return "self";
    if (v == -me)
        return "-self";
    snprintf(r, 32, "%ld", v);
    return r;
}

static long raw_getown(int fd)
{
    long r = syscall(SYS_fcntl, fd, F_GETOWN);
    return r == -1 ? -errno : r; /* a group below 4096 comes back as an "error" */
}

static void setown(void)
{
    int p[2];
    MUST(pipe2(p, O_CLOEXEC));
    MUST(fcntl(p[0], F_SETOWN, getpid()));
    MUST(syscall(SYS_fcntl, p[1], F_SETOWN, getpid()));
    const char *l = owner(raw_getown(p[0]));
    printf("libc=%s raw=%s\n", l, owner(raw_getown(p[1])));
}

static void getown(void)
{
    int p[2];
    MUST(pipe2(p, O_CLOEXEC));
    MUST(syscall(SYS_fcntl, p[0], F_SETOWN, getpid()));
    const char *r = owner(raw_getown(p[0]));
    /* glibc's fcntl(F_GETOWN) asks the kernel for F_GETOWN_EX: not this fault's call. */
    printf("raw=%s libc=%s\n", r, owner(fcntl(p[0], F_GETOWN)));
}

static void setsig(void)
{
    int p[2];
    MUST(pipe2(p, O_CLOEXEC));
    MUST(fcntl(p[0], F_SETSIG, 40));
    MUST(syscall(SYS_fcntl, p[1], F_SETSIG, 41));
    int l = MUST(fcntl(p[0], F_GETSIG));
    printf("libc=%d raw=%d\n", l, (int)MUST(syscall(SYS_fcntl, p[1], F_GETSIG)));
}

/* ---- poll ------------------------------------------------------------------------------- */

static void on_usr1(int s) { (void)s; }

static void ppoll_mask(void)
{
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1, none;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    struct timespec zero = { 0, 0 };
    raise(SIGUSR1); /* pending; the mask given to ppoll unblocks it: EINTR */
    const char *l = e(ppoll(NULL, 0, &zero, &none));
    raise(SIGUSR1);
    const char *r = e((int)syscall(SYS_ppoll, NULL, 0, &zero, &none, 8));
    struct timespec t0 = { 0, 0 };
    while (sigtimedwait(&usr1, NULL, &t0) > 0) {
    }
    printf("libc=%s raw=%s\n", l, r);
}

/* A TCP connection on loopback with one urgent byte in flight: the receiver's end has an
 * exceptional condition for select(2). */
static int urgent_receiver(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = MUST(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    MUST(bind(l, (struct sockaddr *)&a, len));
    MUST(getsockname(l, (struct sockaddr *)&a, &len));
    MUST(listen(l, 1));
    int c = MUST(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    MUST(connect(c, (struct sockaddr *)&a, len));
    int s = MUST(accept4(l, NULL, NULL, SOCK_CLOEXEC));
    MUST(send(c, "!", 1, MSG_OOB));
    struct pollfd p = { .fd = s, .events = POLLPRI };
    MUST(poll(&p, 1, 5000));
    return s;
}

static void select_except(void)
{
    int s = urgent_receiver();
    fd_set e1, e2;
    FD_ZERO(&e1);
    FD_SET(s, &e1);
    FD_ZERO(&e2);
    FD_SET(s, &e2);
    struct timeval tv = { 0, 0 };
    struct timespec ts = { 0, 0 };
    MUST(select(s + 1, NULL, NULL, &e1, &tv));
    MUST(syscall(SYS_pselect6, s + 1, NULL, NULL, &e2, &ts, NULL));
    printf("libc=%s raw=%s\n", FD_ISSET(s, &e1) ? "except" : "-", FD_ISSET(s, &e2) ? "except" : "-");
}

static void select_writeback(void)
{
    struct timeval tv = { 0, 10000 };
    struct timespec ts = { 0, 10000000 };
    MUST(select(0, NULL, NULL, NULL, &tv));
    MUST(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL));
    printf("libc=%ldus raw=%ldns\n", (long)tv.tv_usec, ts.tv_nsec);
}

/* ---- terminals -------------------------------------------------------------------------- */

static const char *flush_check(int m, int s, int raw)
{
    struct termios t;
    MUST(tcgetattr(s, &t));
    MUST(write(m, "abc\n", 4));
    struct pollfd p = { .fd = s, .events = POLLIN };
    if (poll(&p, 1, 5000) != 1)
        return "no-input";
    if (raw)
        MUST(syscall(SYS_ioctl, s, TCSETSF, &t));
    else
        MUST(tcsetattr(s, TCSAFLUSH, &t));
    int n = -1;
    MUST(ioctl(s, FIONREAD, &n));
    if (n > 0)
        tcflush(s, TCIFLUSH);
    return n == 0 ? "flushed" : "kept";
}

static void tcsaflush(void)
{
    int m = MUST(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    MUST(grantpt(m));
    MUST(unlockpt(m));
    int s = MUST(open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC));
    const char *l = flush_check(m, s, 0);
    printf("libc=%s raw=%s\n", l, flush_check(m, s, 1));
}

/* ---- locks ------------------------------------------------------------------------------ */

static int lock_file(void)
{
    int fd = MUST(open(in_dir("file"), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    MUST(ftruncate(fd, 100));
    return fd;
}

static void flock_nb(void)
{
    int a = lock_file(), b = MUST(open(in_dir("file"), O_RDWR | O_CLOEXEC));
    MUST(flock(a, LOCK_EX));
    const char *l = e(flock(b, LOCK_EX | LOCK_NB));
    printf("libc=%s raw=%s\n", l, e((int)syscall(SYS_flock, b, LOCK_EX | LOCK_NB)));
}

static void getlk_pid(void)
{
    int fd = lock_file(), ready[2], done[2];
    MUST(pipe2(ready, O_CLOEXEC));
    MUST(pipe2(done, O_CLOEXEC));
    fflush(stdout);
    pid_t child = MUST(fork());
    if (child == 0) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        char c;
        close(done[1]);
        if (fcntl(fd, F_SETLK, &fl) != 0)
            _exit(1);
        (void)!write(ready[1], "r", 1);
        (void)!read(done[0], &c, 1);
        _exit(0);
    }
    char c;
    close(ready[1]);
    close(done[0]);
    MUST(read(ready[0], &c, 1));
    struct flock a = { .l_type = F_WRLCK, .l_whence = SEEK_SET }, b = a;
    MUST(fcntl(fd, F_GETLK, &a));
    MUST(syscall(SYS_fcntl, fd, F_GETLK, &b));
    close(done[1]);
    waitpid(child, NULL, 0);
    printf("libc=%s raw=%s\n", a.l_pid == child ? "holder" : a.l_pid == 0 ? "0" : "other",
           b.l_pid == child ? "holder" : b.l_pid == 0 ? "0" : "other");
}

/* Whose lock is on bytes [start, start+1): "ofd" (an open file description's, l_pid -1) or
 * "posix" (this process's). */
static const char *lock_kind(int other, int start)
{
    struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = 1 };
    MUST(fcntl(other, F_OFD_GETLK, &q));
    return q.l_type == F_UNLCK ? "none" : q.l_pid == -1 ? "ofd" : q.l_pid == getpid() ? "posix" : "other";
}

static void ofd_setlk(void)
{
    int a = lock_file(), b = MUST(open(in_dir("file"), O_RDWR | O_CLOEXEC));
    struct flock l1 = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 }, l2 = l1;
    l2.l_start = 10;
    MUST(fcntl(a, F_OFD_SETLK, &l1));
    MUST(syscall(SYS_fcntl, a, F_OFD_SETLKW, &l2));
    const char *x = lock_kind(b, 0);
    printf("setlk=%s setlkw=%s\n", x, lock_kind(b, 10));
}

/* ---- cross memory ----------------------------------------------------------------------- */

static void vm_flags(void)
{
    char src[8] = "abcdefgh", dst[8];
    struct iovec l = { dst, 8 }, r = { src, 8 };
    long n1 = process_vm_readv(getpid(), &l, 1, &r, 1, 1);
    const char *a = n1 < 0 ? strerrorname_np(errno) : "read";
    long n2 = syscall(SYS_process_vm_readv, getpid(), &l, 1, &r, 1, 1);
    printf("libc=%s raw=%s\n", a, n2 < 0 ? strerrorname_np(errno) : "read");
}

static void vm_local(void)
{
    char src[8] = "abcdefgh", d1[4], d2[4], d3[4], d4[4];
    memset(d2, '-', 4), memset(d4, '-', 4);
    struct iovec l[2] = { { d1, 4 }, { d2, 4 } }, m[2] = { { d3, 4 }, { d4, 4 } }, r = { src, 8 };
    long n1 = process_vm_readv(getpid(), l, 2, &r, 1, 0);
    long n2 = syscall(SYS_process_vm_readv, getpid(), m, 2, &r, 1, 0);
    printf("libc=%ld:%.4s raw=%ld:%.4s\n", n1, d2, n2, d4);
}

/* ---- mappings --------------------------------------------------------------------------- */

static void mmap_shared(void)
{
    int fd = lock_file();
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *q = (char *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || q == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    p[0] = 'x', q[1] = 'y';
    char c[2];
    MUST(pread(fd, c, 2, 0));
    printf("libc=%s raw=%s\n", c[0] == 'x' ? "shared" : "private", c[1] == 'y' ? "shared" : "private");
}

static void memfd_cloexec(void)
{
    int a = MUST(memfd_create("isfp", MFD_CLOEXEC)), b = MUST(syscall(SYS_memfd_create, "isfp", MFD_CLOEXEC));
    printf("libc=%s raw=%s\n", cloexec(a), cloexec(b));
}

static void msync_flags(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const char *l = e(msync(p, 4096, MS_SYNC | MS_ASYNC));
    printf("libc=%s raw=%s\n", l, e((int)syscall(SYS_msync, p, 4096, 1 << 5)));
}

/* ---- the cases -------------------------------------------------------------------------- */

static const struct {
    const char *fault;
    void (*run)(void);
} cases[] = {
    { "dup2-fails-ebusy-on-open-target", dup2_ebusy },
    { "dup-skips-the-lowest-free-fd", dup_lowest },
    { "dup3-ignores-o-cloexec", dup3_cloexec },
    { "dup3-ignores-unknown-flags", dup3_unknown },
    { "fcntl-setfl-drops-o-append", setfl_append },
    { "fcntl-dupfd-ignores-the-minimum", dupfd_min },
    { "pipe2-ignores-o-cloexec", pipe2_cloexec },
    { "pipe2-ignores-o-nonblock", pipe2_nonblock },
    { "pipe2-ignores-o-direct", pipe2_direct },
    { "pipe2-ignores-unknown-flags", pipe2_unknown },
    { "fcntl-setpipe-sz-does-not-round-up", setpipe_sz },
    { "mkfifo-ignores-the-umask", mkfifo_umask },
    { "accept4-ignores-sock-nonblock", accept4_nonblock },
    { "msg-dontwait-sets-o-nonblock-on-the-socket", dontwait },
    { "eventfd-ignores-efd-semaphore", efd_semaphore },
    { "eventfd2-ignores-efd-cloexec", efd_cloexec },
    { "eventfd2-ignores-efd-nonblock", efd_nonblock },
    { "eventfd2-ignores-unknown-flags", efd_unknown },
    { "mq-timedreceive-ignores-its-deadline", mq_deadline },
    { "mq-send-ignores-the-priority", mq_priority },
    { "mq-getattr-reports-no-messages", mq_curmsgs },
    { "mq-notify-allows-a-second-registration", mq_notify_twice },
    { "fcntl-setown-is-ignored", setown },
    { "fcntl-getown-reports-the-wrong-owner", getown },
    { "fcntl-setsig-is-ignored", setsig },
    { "select-ignores-exceptfds", select_except },
    { "select-does-not-write-back-the-timeout", select_writeback },
    { "ppoll-ignores-its-sigmask", ppoll_mask },
    { "recv-loses-msg-peek", msg_peek },
    { "so-reuseaddr-is-ignored", reuseaddr },
    { "shutdown-shut-wr-is-ignored", shut_wr },
    { "recvmsg-ignores-msg-cmsg-cloexec", cmsg_cloexec },
    { "so-passcred-is-ignored", passcred },
    { "tcsetattr-tcsaflush-keeps-unread-input", tcsaflush },
    { "flock-lock-nb-conflict-fails-eacces", flock_nb },
    { "fcntl-getlk-reports-pid-0", getlk_pid },
    { "ofd-setlk-takes-a-process-lock", ofd_setlk },
    { "process-vm-readv-ignores-flags", vm_flags },
    { "process-vm-readv-fills-only-the-first-local-iovec", vm_local },
    { "mmap-shared-file-mapping-is-private", mmap_shared },
    { "memfd-create-ignores-mfd-cloexec", memfd_cloexec },
    { "msync-accepts-invalid-flags", msync_flags },
};

static void (*find(const char *fault))(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(cases[i].fault, fault) == 0)
            return cases[i].run;
    return NULL;
}

/* ---- the situations ---------------------------------------------------------------------
 *   exec        re-execute this program for the case with an EMPTY environment (libc's
 *               execve: the library puts LD_PRELOAD and IPCSPEC_FAULT back)
 *   raw-exec    the same through syscall(SYS_execve): nothing puts them back; the new
 *               program has the inherited filter and no handler
 *   blocked     every signal blocked (sigprocmask and pthread_sigmask) before the case
 *   handlers    a handler with a full sa_mask for SIGUSR2 runs the case (inside the handler)
 *   thread      the case in a second thread
 *   fork        the case in a forked child
 *   own-sigsys  the program installs its own SIGSYS handler and raises SIGSYS, then the case
 *   vfork       (fcntl-setown-is-ignored only) F_SETOWN made by a vfork()ed child */

static void (*current)(void);
static void *thread_main(void *x)
{
    current();
    return x;
}
static void on_usr2(int s)
{
    (void)s;
    current();
}
static volatile sig_atomic_t own_sigsys_ran;
static void own_sigsys(int s)
{
    (void)s;
    own_sigsys_ran = 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && find(argv[1])) {
        find(argv[1])();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "vfork") == 0) {
        int p[2];
        MUST(pipe2(p, O_CLOEXEC));
        pid_t parent = getpid();
        pid_t child = vfork();
        if (child == 0)
            _exit(syscall(SYS_fcntl, p[0], F_SETOWN, parent) == 0 ? 0 : 1);
        int st = 0;
        waitpid(child, &st, 0);
        printf("child=%s owner=%s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "failed", owner(raw_getown(p[0])));
        return 0;
    }
    if (argc != 3 || !(current = find(argv[2]))) {
        fprintf(stderr, "usage: %s [MODE] FAULT (a seccomp fault with a control case)\n", argv[0]);
        return 2;
    }
    char *args[] = { argv[0], argv[2], NULL };
    char *empty[] = { NULL };
    if (strcmp(argv[1], "exec") == 0) {
        execve("/proc/self/exe", args, empty);
        perror("execve");
        return 2;
    }
    if (strcmp(argv[1], "raw-exec") == 0) {
        syscall(SYS_execve, "/proc/self/exe", args, empty);
        perror("execve");
        return 2;
    }
    if (strcmp(argv[1], "blocked") == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        pthread_sigmask(SIG_SETMASK, &all, NULL);
        current();
        return 0;
    }
    if (strcmp(argv[1], "handlers") == 0) {
        struct sigaction sa = { .sa_handler = on_usr2 };
        sigfillset(&sa.sa_mask);
        sigaction(SIGUSR2, &sa, NULL);
        raise(SIGUSR2);
        return 0;
    }
    if (strcmp(argv[1], "thread") == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, thread_main, NULL) != 0)
            return 2;
        pthread_join(t, NULL);
        return 0;
    }
    if (strcmp(argv[1], "fork") == 0) {
        fflush(stdout);
        pid_t c = MUST(fork());
        if (c == 0) {
            current();
            fflush(stdout);
            _exit(0);
        }
        int st = 0;
        waitpid(c, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    if (strcmp(argv[1], "own-sigsys") == 0) {
        struct sigaction sa = { .sa_handler = own_sigsys }, old;
        MUST(sigaction(SIGSYS, &sa, NULL));
        MUST(sigaction(SIGSYS, NULL, &old));
        raise(SIGSYS);
        printf("own-handler=%s ", own_sigsys_ran && old.sa_handler == own_sigsys ? "ran" : "lost");
        current();
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
