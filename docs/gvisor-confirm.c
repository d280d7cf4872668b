/* docs/gvisor-confirm.c: minimal programs that confirm a representative deviation of each
 * mechanism where gVisor (runsc 2024-07, Debian trixie) differs from Linux, outside the
 * suites and their fixtures (docs/gvisor.md, "Confirmed by a minimal program").
 *
 *   gcc -O -static -o gvisor-confirm docs/gvisor-confirm.c
 *   ./gvisor-confirm > linux.txt
 *   runsc --network=none do ./gvisor-confirm > gvisor.txt      # as root
 *   runsc --network=none do setpriv --reuid=65534 --regid=65534 --clear-groups ./gvisor-confirm
 *   diff linux.txt gvisor.txt
 *
 * Each line names the mechanism and prints what the call did; the Linux kernel and gVisor
 * lines differ exactly where docs/expectations/gvisor.toml lists a deviation. The second part
 * ("further causes") checks the cause of each entry whose reason says "(confirmed:
 * docs/gvisor-confirm.c)"; it forks helpers (lock holders, session leaders), so it takes a
 * few seconds.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <poll.h>
#include <termios.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <time.h>
#include <mqueue.h>
#include <sys/timerfd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/signalfd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <netinet/tcp.h>
#include <pthread.h>
#define R(x) ((x) < 0 ? strerror(errno) : "ok")
static volatile siginfo_t got; static volatile int ngot;
static void h(int s, siginfo_t *si, void *u){ (void)s;(void)u; got=*si; ngot++; }
/* Helpers of the checks below (docs/expectations/gvisor.toml: the entries marked confirmed). */
static volatile int nsig[65]; static void count(int s){ nsig[s]++; }
static void fault(int s, siginfo_t *si, void *u){ (void)u; printf("signo %d si_code %d\n", s, si->si_code); _exit(0); }
static void touch_in_child(const char *what, volatile char *a){ fflush(stdout); pid_t k = fork(); if (!k){ struct sigaction sa = {.sa_sigaction=fault, .sa_flags=SA_SIGINFO};
  sigaction(SIGSEGV, &sa, 0); sigaction(SIGBUS, &sa, 0); printf("%s: ", what); *a = 1; printf("no fault\n"); _exit(0);} int st; waitpid(k, &st, 0); }
static void fdinfo_line(const char *what, int fd){ char p[64], b[1024]; snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd); int f = open(p, O_RDONLY); int n = read(f, b, sizeof b - 1);
  b[n>0?n:0] = 0; close(f); for (char *q=b; *q; q++) if (*q=='\n' || *q=='\t') *q=' '; printf("%s fdinfo: %s\n", what, b); }
static void sysctl_line(const char *p){ char b[64]; int f = open(p, O_RDONLY); int n = f < 0 ? -1 : read(f, b, sizeof b - 1); b[n>0?n:0] = 0; if (f >= 0) close(f);
  char *nl = strchr(b, '\n'); if (nl) *nl = 0; printf("%s: %s\n", p, f < 0 ? strerror(errno) : b); }
static void tcp_pair(int *c, int *s){ int l = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in a = {.sin_family=AF_INET, .sin_addr.s_addr=htonl(INADDR_LOOPBACK)}; socklen_t al = sizeof a;
  bind(l, (void*)&a, sizeof a); listen(l, 4); getsockname(l, (void*)&a, &al); *c = socket(AF_INET, SOCK_STREAM, 0); connect(*c, (void*)&a, sizeof a); *s = accept(l, 0, 0); close(l); }
static int send_fds(int s, const int *fds, int n){ char c[CMSG_SPACE(16)]; struct iovec v = {.iov_base="5", .iov_len=1}; struct msghdr m = {.msg_iov=&v, .msg_iovlen=1, .msg_control=c, .msg_controllen=CMSG_SPACE(4*n)};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(4*n); memcpy(CMSG_DATA(cm), fds, 4*n); return sendmsg(s, &m, 0); }
static int cmsgs_of(struct msghdr *m, int level, int type){ int n = 0; for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) if (c->cmsg_level==level && c->cmsg_type==type) n++; return n; }
static int lock(int fd, int cmd, short type, off_t start, off_t len){ struct flock f = {.l_type=type, .l_whence=SEEK_SET, .l_start=start, .l_len=len}; return fcntl(fd, cmd, &f); }
static void *kill_from_thread(void *pid){ kill(*(pid_t*)pid, SIGUSR1); return 0; }
int main(void){
  int sv[2], r; setvbuf(stdout, NULL, _IONBF, 0);
  /* unix: autobind request on a bound socket; shutdown of an unconnected socket */
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family=AF_UNIX}; r = bind(s, (void*)&a, sizeof(sa_family_t));
  r = bind(s, (void*)&a, sizeof(sa_family_t));
  printf("unix: second autobind bind on a bound socket: %s\n", R(r));
  int u = socket(AF_UNIX, SOCK_STREAM, 0); r = shutdown(u, SHUT_RDWR);
  printf("unix: shutdown(unconnected stream): %s\n", R(r));
  /* SO_PEERCRED pid of a forked connecting child */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pid_t me = getpid(); struct ucred c; socklen_t cl = sizeof c;
  getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &c, &cl);
  printf("unix: SO_PEERCRED of socketpair: pid %d, getpid %d\n", c.pid, me);
  /* pipes: O_DIRECT */
  int p[2]; r = pipe2(p, O_DIRECT); printf("pipes: pipe2(O_DIRECT): %s\n", R(r));
  printf("pipes: /proc/sys/fs/pipe-max-size: %s\n", R(access("/proc/sys/fs/pipe-max-size", F_OK)));
  printf("locks: /proc/locks: %s\n", R(access("/proc/locks", F_OK)));
  /* eventfd fdinfo */
  int e = eventfd(3, 0); char path[64], buf[512]; snprintf(path, sizeof path, "/proc/self/fdinfo/%d", e);
  int f = open(path, O_RDONLY); int n = read(f, buf, sizeof buf - 1); buf[n>0?n:0]=0; close(f);
  for (char *q=buf; *q; q++) if (*q=='\n') *q=' ';
  printf("eventfd: fdinfo: %s\n", buf);
  /* epoll: EPOLLEXCLUSIVE with EPOLLET is EINVAL on Linux; depth limit 5 */
  int ep = epoll_create1(0); pipe(p); struct epoll_event ev = {.events=EPOLLIN|EPOLLEXCLUSIVE|EPOLLONESHOT};
  r = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev); printf("epoll: EPOLLEXCLUSIVE|EPOLLONESHOT: %s\n", R(r));
  int eps[7]; for (int i=0;i<7;i++) eps[i]=epoll_create1(0);
  r = 0; int i; for (i=1;i<7 && r==0;i++){ struct epoll_event x={.events=EPOLLIN}; r = epoll_ctl(eps[i], EPOLL_CTL_ADD, eps[i-1], &x);} 
  printf("epoll: chain of 7 instances: stopped at link %d: %s\n", i-1, R(r));
  /* pty: VMIN=0 VTIME=0 read without data (in a child, killed after 2 s) */
  int m = posix_openpt(O_RDWR|O_NOCTTY); grantpt(m); unlockpt(m); int sl = open(ptsname(m), O_RDWR|O_NOCTTY);
  struct termios t; tcgetattr(sl, &t); t.c_lflag &= ~ICANON; t.c_cc[VMIN]=0; t.c_cc[VTIME]=0; tcsetattr(sl, TCSANOW, &t);
  pid_t k = fork(); if (!k){ alarm(2); r = read(sl, buf, 10); printf("pty: VMIN=0 VTIME=0 read: returned %d\n", r); fflush(stdout); _exit(0);} 
  int st; waitpid(k, &st, 0); if (WIFSIGNALED(st)) printf("pty: VMIN=0 VTIME=0 read: still blocked after 2 s (SIGALRM)\n");
  /* signal-driven I/O: F_SETSIG siginfo */
  struct sigaction sa = {.sa_sigaction=h, .sa_flags=SA_SIGINFO}; sigaction(SIGRTMIN+1, &sa, 0);
  pipe(p); fcntl(p[0], F_SETOWN, getpid()); fcntl(p[0], F_SETSIG, SIGRTMIN+1); fcntl(p[0], F_SETFL, O_ASYNC|O_NONBLOCK);
  write(p[1], "x", 1); for (int w=0; w<100 && !ngot; w++) usleep(10000);
  printf("signal_io: F_SETSIG signal: n=%d si_code=%d (POLL_IN=%d) si_band=%ld si_fd=%d\n", ngot, got.si_code, POLL_IN, (long)got.si_band, got.si_fd);
  /* unix: SO_PEERCRED of an accepted connection names the connecting process */
  int l = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un la = {.sun_family=AF_UNIX};
  strcpy(la.sun_path, "/tmp/gvisor-confirm.sock"); unlink(la.sun_path); bind(l, (void*)&la, sizeof la); listen(l, 1);
  pid_t ch = fork(); if (!ch){ int cs = socket(AF_UNIX, SOCK_STREAM, 0); connect(cs, (void*)&la, sizeof la); char z; read(cs, &z, 1); _exit(0);} 
  int as = accept(l, 0, 0); cl = sizeof c; getsockopt(as, SOL_SOCKET, SO_PEERCRED, &c, &cl);
  printf("unix: SO_PEERCRED of an accepted connection: pid %d, the connecting child is %d\n", c.pid, ch);
  write(as, "x", 1); waitpid(ch, &st, 0); unlink(la.sun_path);
  /* POSIX message queues */
  struct mq_attr qa = {.mq_maxmsg=1,.mq_msgsize=8};
  mqd_t q = mq_open("/gvisor-confirm", O_CREAT|O_EXCL|O_RDWR, 0600, &qa);
  printf("mq: mq_open: %s\n", R(q));
  r = mq_send(q, "x", 1, 0); printf("mq: mq_send: %s\n", R(r));
  r = mq_unlink("/gvisor-confirm"); printf("mq: mq_unlink: %s\n", R(r));
  /* unix: SO_PEERCRED ids of an accepted connection from a client that became nobody (root only) */
  if (getuid() == 0) {
    unlink(la.sun_path); l = socket(AF_UNIX, SOCK_STREAM, 0); bind(l, (void*)&la, sizeof la); chmod(la.sun_path, 0777); listen(l, 1);
    ch = fork(); if (!ch){ setgid(65534); setuid(65534); int cs = socket(AF_UNIX, SOCK_STREAM, 0); connect(cs, (void*)&la, sizeof la); char z; read(cs, &z, 1); _exit(0);}
    as = accept(l, 0, 0); cl = sizeof c; getsockopt(as, SOL_SOCKET, SO_PEERCRED, &c, &cl);
    printf("unix: SO_PEERCRED of a connection from a child that became nobody: pid %d uid %d gid %d (child %d)\n", c.pid, c.uid, c.gid, ch);
    write(as, "x", 1); waitpid(ch, &st, 0); unlink(la.sun_path);
  }
  /* eventfd, timerfd: reopening through /proc/self/fd (Linux: ENXIO for root, EACCES otherwise) */
  snprintf(path, sizeof path, "/proc/self/fd/%d", e); r = open(path, O_RDWR);
  printf("eventfd: open(/proc/self/fd/<eventfd>, O_RDWR): %s\n", R(r));
  int tf = timerfd_create(CLOCK_MONOTONIC, 0); snprintf(path, sizeof path, "/proc/self/fd/%d", tf); r = open(path, O_RDONLY);
  printf("timerfd: open(/proc/self/fd/<timerfd>, O_RDONLY): %s\n", R(r));
  /* signalfd: the SigQ line of /proc/self/status (queued signals / RLIMIT_SIGPENDING) */
  f = open("/proc/self/status", O_RDONLY); char sb[4096]; n = read(f, sb, sizeof sb - 1); sb[n>0?n:0]=0; close(f);
  char *sq = strstr(sb, "\nSigQ:"); if (sq) { char *end = strchr(sq+1, '\n'); if (end) *end = 0; }
  printf("signalfd: /proc/self/status SigQ: %s\n", sq ? sq+1 : "no such line");
  /* inet: SO_RXQ_OVFL counts UDP datagrams dropped for a full receive buffer */
  int ur = socket(AF_INET, SOCK_DGRAM, 0), uw = socket(AF_INET, SOCK_DGRAM, 0), one = 1, small = 2048;
  struct sockaddr_in ua = {.sin_family=AF_INET, .sin_addr.s_addr=htonl(INADDR_LOOPBACK)}; socklen_t ual = sizeof ua;
  setsockopt(ur, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one); setsockopt(ur, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  bind(ur, (void*)&ua, sizeof ua); getsockname(ur, (void*)&ua, &ual);
  static char dg[1024]; for (int d = 0; d < 200; d++) sendto(uw, dg, sizeof dg, 0, (void*)&ua, sizeof ua);
  /* drain, then one more datagram: it is queued after the drops and carries their count */
  char cb[64]; struct iovec iov = {.iov_base=buf, .iov_len=sizeof buf}; struct msghdr mh;
  int queued = 0; while (recv(ur, buf, sizeof buf, MSG_DONTWAIT) > 0) queued++;
  sendto(uw, "x", 1, 0, (void*)&ua, sizeof ua);
  memset(&mh, 0, sizeof mh); mh.msg_iov = &iov; mh.msg_iovlen = 1; mh.msg_control = cb; mh.msg_controllen = sizeof cb;
  r = recvmsg(ur, &mh, 0); struct cmsghdr *cm = r < 0 ? NULL : CMSG_FIRSTHDR(&mh);
  if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) { unsigned dr; memcpy(&dr, CMSG_DATA(cm), sizeof dr); printf("inet: SO_RXQ_OVFL of UDP, 200 datagrams of 1 KiB into a 2 KiB buffer (%d queued): %u dropped\n", queued, dr); }
  else printf("inet: SO_RXQ_OVFL of UDP, 200 datagrams of 1 KiB into a 2 KiB buffer (%d queued): recvmsg %s, no SO_RXQ_OVFL message\n", queued, R(r));
  /* ---- further causes of gvisor.toml's entries (2026-12-07, runsc 2024-07); each prints what the call did ---- */
  { int one = 1, sp[2], n, c, s; char cb[256]; struct iovec v = {.iov_base=buf, .iov_len=2}; struct msghdr mh = {.msg_iov=&v, .msg_iovlen=1, .msg_control=cb, .msg_controllen=sizeof cb};
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp); r = setsockopt(sp[1], SOL_SOCKET, 84 /* SO_INQ */, &one, 4); write(sp[0], "abcdef", 6); recvmsg(sp[1], &mh, 0);
  printf("ancillary: SO_INQ on a stream: set %s, SCM_INQ messages after reading 2 of 6 bytes: %d\n", R(r), cmsgs_of(&mh, SOL_SOCKET, 84));
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp); r = setsockopt(sp[1], SOL_SOCKET, 76 /* SO_PASSPIDFD */, &one, 4); write(sp[0], "x", 1); mh.msg_controllen = sizeof cb; recvmsg(sp[1], &mh, 0);
  printf("ancillary: SO_PASSPIDFD: set %s, SCM_PIDFD messages: %d\n", R(r), cmsgs_of(&mh, SOL_SOCKET, 0x04));
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp); pipe(p); write(sp[0], "1234", 4); send_fds(sp[0], &p[1], 1); write(sp[0], "6789", 4);
  printf("ancillary: read(2) of '1234', '5' with SCM_RIGHTS, '6789': %d bytes\n", (int)read(sp[1], buf, 20));
  k = fork(); if (!k){ socketpair(AF_UNIX, SOCK_STREAM, 0, sp); pipe(p); if (getuid() == 0){ setgid(60001); setuid(60001);} struct rlimit rl = {16, 1024}; setrlimit(RLIMIT_NOFILE, &rl);
    n = 0; while (n < 64 && send_fds(sp[0], &p[1], 1) >= 0) n++; printf("ancillary: unprivileged, RLIMIT_NOFILE 16: %d descriptors in flight, then %s\n", n, n < 64 ? strerror(errno) : "no refusal"); _exit(0);} waitpid(k, &st, 0);
  k = fork(); if (!k){ int fds[3]; for (i = 0; i < 3; i++){ pipe(p); fds[i] = p[1];} socketpair(AF_UNIX, SOCK_STREAM, 0, sp); send_fds(sp[0], fds, 3); int fr = dup(0); close(fr);
    struct rlimit rl = {fr + 1, 1024}; setrlimit(RLIMIT_NOFILE, &rl); mh.msg_controllen = sizeof cb; n = recvmsg(sp[1], &mh, 0);
    printf("ancillary: 3 descriptors received with room for 1: msg_flags %#x (MSG_CTRUNC %#x)\n", mh.msg_flags, MSG_CTRUNC); _exit(0);} waitpid(k, &st, 0);
  /* unix */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp); r = send(sp[0], "hello", 5, MSG_OOB); send(sp[0], "world", 5, 0); struct pollfd pf = {.fd=sp[1], .events=POLLPRI}; poll(&pf, 1, 0); int at, ia = ioctl(sp[1], SIOCATMARK, &at);
  n = recv(sp[1], buf, 10, MSG_DONTWAIT); printf("unix: send('hello', MSG_OOB) %s, POLLPRI %#x, SIOCATMARK %s, recv(10): '%.*s'\n", R(r), pf.revents, ia < 0 ? strerror(errno) : "ok", n > 0 ? n : 0, buf);
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sp); send(sp[0], "", 0, 0); send(sp[0], "after", 5, 0); printf("unix: datagrams '' and 'after': first recv %d; ", (int)recv(sp[1], buf, 16, MSG_DONTWAIT)); ia = ioctl(sp[1], SIOCATMARK, &at); printf("SIOCATMARK on a datagram socket: %s\n", ia < 0 ? strerror(errno) : "ok");
  int sq[2]; socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sq); send(sq[0], "", 0, 0); send(sq[0], "after", 5, 0); printf("unix: seqpacket messages '' and 'after': first recv %d\n", (int)recv(sq[1], buf, 16, MSG_DONTWAIT));
  r = setsockopt(sp[0], SOL_SOCKET, SO_REUSEPORT, &one, 4); printf("unix: setsockopt(SO_REUSEPORT): %s\n", R(r));
  int neg = -1; r = setsockopt(sp[0], SOL_SOCKET, 73 /* SO_RESERVE_MEM */, &neg, 4); printf("unix: setsockopt(SO_RESERVE_MEM, -1): %s\n", R(r));
  close(sp[0]); pf.fd = sp[1]; pf.events = POLLIN|POLLRDNORM|POLLRDHUP; poll(&pf, 1, 0); printf("unix: connected datagram socket after its peer closed: revents %#x\n", pf.revents);
  sp[0] = -7; sp[1] = -9; r = socketpair(AF_INET, SOCK_STREAM, 0, sp); printf("unix: socketpair(AF_INET) %s, sv %d %d\n", R(r), sp[0], sp[1]);
  s = socket(AF_UNIX, SOCK_DGRAM, 0); setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, 4); int d = socket(AF_UNIX, SOCK_DGRAM, 0); struct sockaddr_un da = {.sun_family=AF_UNIX}; strcpy(da.sun_path+1, "gvisor-confirm");
  bind(d, (void*)&da, sizeof(sa_family_t)+15); sendto(s, "x", 1, 0, (void*)&da, sizeof(sa_family_t)+15); struct sockaddr_un g; socklen_t gl = sizeof g; getsockname(s, (void*)&g, &gl); printf("unix: SO_PASSCRED, then sendto: getsockname length %u\n", gl);
  s = socket(AF_UNIX, SOCK_STREAM, 0); memset(a.sun_path, 'p', sizeof a.sun_path); memcpy(a.sun_path, "/tmp/", 5); char lp[sizeof a.sun_path + 1]; memcpy(lp, a.sun_path, sizeof a.sun_path); lp[sizeof a.sun_path] = 0; unlink(lp);
  bind(s, (void*)&a, sizeof a); char gb[sizeof a + 8]; gl = sizeof a; getsockname(s, (void*)gb, &gl); printf("unix: getsockname of a 108-byte path: addrlen %u\n", gl); unlink(lp);
  k = fork(); if (!k){ struct rlimit rl = {2000, 2000}; setrlimit(RLIMIT_NOFILE, &rl); s = socket(AF_UNIX, SOCK_STREAM, 0); strcpy(da.sun_path+1, "gvisor-confirm-l"); bind(s, (void*)&da, sizeof(sa_family_t)+17); listen(s, 100000);
    for (n = 0; n < 1500; n++){ c = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK, 0); if (connect(c, (void*)&da, sizeof(sa_family_t)+17) < 0) break; } printf("unix: listen(100000): %d connections admitted\n", n); _exit(0);} waitpid(k, &st, 0);
  /* epoll */
  ep = epoll_create1(0); pipe(p); struct epoll_event ee = {.events=EPOLLIN|EPOLLET, .data.u64=3}, eo[2]; epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ee); fdinfo_line("epoll: one registration,", ep);
  write(p[1], "x", 1); r = syscall(SYS_epoll_wait, ep, 8L, 1, 0); n = epoll_wait(ep, eo, 2, 0); printf("epoll: edge-triggered event, epoll_wait into address 8 %s, then %d events\n", R(r), n);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sp); ep = epoll_create1(0); ee.events = 0; epoll_ctl(ep, EPOLL_CTL_ADD, sp[1], &ee); close(sp[0]); n = epoll_wait(ep, eo, 2, 0);
  printf("epoll: unix stream registered with events 0, peer closed: %d events %#x\n", n, n > 0 ? eo[0].events : 0);
  tcp_pair(&c, &s); send(c, "!", 1, MSG_OOB); ep = epoll_create1(0); ee.events = EPOLLIN|EPOLLPRI; epoll_ctl(ep, EPOLL_CTL_ADD, s, &ee); n = epoll_wait(ep, eo, 2, 2000);
  printf("epoll: TCP urgent byte: events %#x (EPOLLPRI %#x)\n", n > 0 ? eo[0].events : 0, EPOLLPRI);
  e = eventfd(0, 0); int wk[2]; pipe(wk); fcntl(wk[0], F_SETFL, O_NONBLOCK); for (i = 0; i < 4; i++){ ep = epoll_create1(0); ee.events = EPOLLIN|EPOLLEXCLUSIVE; epoll_ctl(ep, EPOLL_CTL_ADD, e, &ee);
    if (!fork()){ n = epoll_wait(ep, eo, 1, 2000); if (n > 0) write(wk[1], "w", 1); _exit(0);} close(ep);} usleep(500000); unsigned long long one64 = 1; write(e, &one64, 8); usleep(500000);
  printf("epoll: 4 EPOLLEXCLUSIVE instances blocked on one eventfd, one write: %d woke\n", (int)read(wk[0], buf, 16)); for (i = 0; i < 4; i++) wait(&st);
  /* eventfd, poll, fds */
  e = eventfd(1, 0); pf.fd = e; pf.events = POLLRDNORM; poll(&pf, 1, 0); printf("eventfd: poll(POLLRDNORM) of a readable eventfd: %#x\n", pf.revents);
  unsigned long ctx = 0; e = eventfd(0, EFD_NONBLOCK); unsigned long long big = 0xfffffffffffffffeULL; write(e, &big, 8); f = open("/tmp/gvisor-confirm.f", O_RDWR|O_CREAT|O_TRUNC, 0600); write(f, "aio data", 8);
  struct { unsigned long long data; unsigned key, rw; unsigned short op; short prio; unsigned fd; unsigned long long buf, nbytes; long long off; unsigned long long res2; unsigned flags, resfd; } io = {.fd=f, .buf=(unsigned long)buf, .nbytes=8, .flags=1, .resfd=e};
  void *ios[1] = {&io}; struct { unsigned long long d, o; long long r, r2; } ioe; struct timespec ts = {5, 0}; syscall(SYS_io_setup, 1, &ctx); syscall(SYS_io_submit, ctx, 1, ios); syscall(SYS_io_getevents, ctx, 1, 1, &ioe, &ts);
  pf.fd = e; pf.events = POLLIN|POLLOUT; poll(&pf, 1, 0); unsigned long long val = 0; read(e, &val, 8); printf("eventfd: at 2^64-2, one KAIO completion: poll %#x, read %#llx\n", pf.revents, val);
  s = socket(AF_INET, SOCK_STREAM, 0); pf.fd = s; pf.events = POLLIN|POLLOUT; poll(&pf, 1, 0); printf("poll: a new TCP socket: %#x\n", pf.revents);
  int fl = fcntl(f, F_GETFL); fcntl(f, F_SETFL, fl|O_ASYNC); printf("fds: F_SETFL O_ASYNC on a regular file: F_GETFL %#o -> %#o\n", fl, fcntl(f, F_GETFL)); fdinfo_line("fds: regular file", f);
  /* inet */
  tcp_pair(&c, &s); send(c, "x", 1, MSG_OOB); send(c, "y", 1, MSG_OOB); send(c, "z", 1, 0); usleep(200000); n = recv(s, buf, 4, MSG_OOB); printf("inet: urgent x, urgent y, z: recv(MSG_OOB) '%.*s'\n", n > 0 ? n : 0, buf);
  tcp_pair(&c, &s); int zero = 0; r = setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &zero, 4); send(c, "abcdef", 6, 0); usleep(100000); recv(s, buf, 3, MSG_PEEK); recv(s, buf, 3, MSG_PEEK); printf("inet: TCP SO_PEEK_OFF 0 (%s): second peek '%.3s'\n", R(r), buf);
  k = fork(); if (!k){ tcp_pair(&c, &s); struct linger lg = {1, 0}; setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); close(s); usleep(300000); signal(SIGPIPE, SIG_DFL); send(c, "x", 1, 0);
    r = send(c, "y", 1, 0); printf("inet: second send after a reset: %s, not killed by SIGPIPE\n", R(r)); _exit(0);} waitpid(k, &st, 0); if (WIFSIGNALED(st)) printf("inet: second send after a reset: killed by signal %d\n", WTERMSIG(st));
  struct sockaddr_in ia4 = {.sin_family=AF_INET, .sin_addr.s_addr=htonl(INADDR_LOOPBACK)}, ib4 = ia4; socklen_t il = sizeof ia4; int lc = socket(AF_INET, SOCK_STREAM, 0); bind(lc, (void*)&ia4, sizeof ia4); getsockname(lc, (void*)&ib4, &il); close(lc);
  c = socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0); connect(c, (void*)&ib4, sizeof ib4); pf.fd = c; pf.events = POLLOUT; poll(&pf, 1, 2000); int e1 = -1, e2 = -1; il = 4; getsockopt(c, SOL_SOCKET, SO_ERROR, &e1, &il); getsockopt(c, SOL_SOCKET, SO_ERROR, &e2, &il);
  printf("inet: refused nonblocking connect: SO_ERROR %d, then %d\n", e1, e2);
  c = socket(AF_INET, SOCK_DGRAM, 0); s = socket(AF_INET, SOCK_DGRAM, 0); bind(c, (void*)&ia4, sizeof ia4); bind(s, (void*)&ia4, sizeof ia4); il = sizeof ib4; getsockname(s, (void*)&ib4, &il); connect(c, (void*)&ib4, sizeof ib4);
  r = setsockopt(s, SOL_SOCKET, 75 /* SO_RCVMARK */, &one, 4); sendto(c, "m", 1, 0, (void*)&ib4, sizeof ib4); v.iov_len = 16; mh.msg_controllen = sizeof cb; recvmsg(s, &mh, 0); printf("inet: SO_RCVMARK (%s): SO_MARK messages %d\n", R(r), cmsgs_of(&mh, SOL_SOCKET, SO_MARK));
  struct sockaddr un = {.sa_family=AF_UNSPEC}; connect(c, &un, sizeof un); il = sizeof ib4; getsockname(c, (void*)&ib4, &il); printf("inet: UDP bound to port 0, connect(AF_UNSPEC): local port %d\n", ntohs(ib4.sin_port));
  s = socket(AF_INET, SOCK_STREAM, 256 /* IPPROTO_SMC */); printf("inet: socket(AF_INET, SOCK_STREAM, IPPROTO_SMC): %s\n", R(s));
  s = socket(AF_INET, SOCK_STREAM, 0); bind(s, (void*)&ia4, sizeof ia4); listen(s, 1); unsigned char ti[512]; il = sizeof ti; getsockopt(s, IPPROTO_TCP, TCP_INFO, ti, &il); unsigned sacked; memcpy(&sacked, ti+28, 4);
  printf("inet: TCP_INFO: %u bytes; of a listen(1) socket tcpi_sacked %u\n", il, sacked);
  f = open("/proc/sys/net/core/rmem_max", O_RDONLY); n = f < 0 ? 0 : read(f, buf, 31); buf[n>0?n:0] = 0; if (f >= 0) close(f); int rmax = atoi(buf), rb = 2 * rmax; setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rb, 4); il = 4; getsockopt(s, SOL_SOCKET, SO_RCVBUF, &rb, &il);
  printf("inet: SO_RCVBUF set to 2 x rmem_max (%d) reads %d x rmem_max\n", rmax, rmax ? rb / rmax : -1);
  sysctl_line("/proc/sys/net/core/rmem_max"); sysctl_line("/proc/sys/net/core/optmem_max"); sysctl_line("/proc/sys/net/ipv4/tcp_keepalive_intvl"); sysctl_line("/proc/sys/net/ipv4/tcp_keepalive_probes"); sysctl_line("/proc/sys/net/core/somaxconn");
  tcp_pair(&c, &s); il = sizeof ia4; getsockname(s, (void*)&ia4, &il); close(s); read(c, buf, 1); struct linger lg5 = {1, 5}; setsockopt(c, SOL_SOCKET, SO_LINGER, &lg5, sizeof lg5); close(c);
  char pat[16]; snprintf(pat, sizeof pat, ":%04X ", ntohs(ia4.sin_port)); static char nt[65536]; f = open("/proc/net/tcp", O_RDONLY); n = f < 0 ? 0 : read(f, nt, sizeof nt - 1); nt[n>0?n:0] = 0; if (f >= 0) close(f);
  int tw = 0; for (char *q = nt; (q = strstr(q, pat)); q++){ char *x = q + 6; while (*x == ' ') x++; while (*x && *x != ' ') x++; while (*x == ' ') x++; if (!strncmp(x, "06", 2)) tw = 1; }
  s = socket(AF_INET, SOCK_STREAM, 0); r = bind(s, (void*)&ia4, sizeof ia4); printf("inet: server closed first: TIME_WAIT line in /proc/net/tcp: %s; plain bind to the port: %s\n", tw ? "yes" : "no", R(r));
  /* pipes and FIFOs */
  unlink("/tmp/gvisor-confirm.fifo"); mkfifo("/tmp/gvisor-confirm.fifo", 0600); f = open("/tmp/gvisor-confirm.fifo", O_RDWR); fcntl(f, F_SETPIPE_SZ, 4096); write(f, "stale", 5); close(f);
  f = open("/tmp/gvisor-confirm.fifo", O_RDWR); int q5 = -1; ioctl(f, FIONREAD, &q5); printf("fifos: reopened after the last close: FIONREAD %d, F_GETPIPE_SZ %d\n", q5, fcntl(f, F_GETPIPE_SZ)); close(f); unlink("/tmp/gvisor-confirm.fifo");
  pipe2(p, O_NONBLOCK); static char page[65536]; write(p[1], page, fcntl(p[0], F_GETPIPE_SZ) - 4095); printf("pipes: write of 4097 bytes with 4095 bytes of room: %d\n", (int)write(p[1], page, 4097));
  pipe(p); k = fork(); if (!k){ alarm(2); struct iovec w = {.iov_base=buf, .iov_len=8}; r = preadv2(p[0], &w, 1, -1, RWF_NOWAIT); printf("pipes: preadv2(RWF_NOWAIT) on an empty pipe: %s\n", R(r)); _exit(0);}
  waitpid(k, &st, 0); if (WIFSIGNALED(st)) printf("pipes: preadv2(RWF_NOWAIT) on an empty pipe: still blocked after 2 s\n");
  mkfifo("/tmp/gvisor-confirm.fifo", 0600); f = open("/tmp/gvisor-confirm.fifo", O_RDWR); k = fork(); if (!k){ alarm(2); struct iovec w = {.iov_base=buf, .iov_len=8}; r = preadv2(f, &w, 1, -1, RWF_NOWAIT); printf("fifos: preadv2(RWF_NOWAIT) on an empty FIFO: %s\n", R(r)); _exit(0);}
  waitpid(k, &st, 0); if (WIFSIGNALED(st)) printf("fifos: preadv2(RWF_NOWAIT) on an empty FIFO: still blocked after 2 s\n"); close(f); unlink("/tmp/gvisor-confirm.fifo");
  pipe(p); close(p[0]); k = fork(); if (!k){ signal(SIGPIPE, SIG_DFL); struct iovec w = {.iov_base="x", .iov_len=1}; r = pwritev2(p[1], &w, 1, -1, 0x100 /* RWF_NOSIGNAL */); printf("pipes: pwritev2(RWF_NOSIGNAL) without readers: %s\n", R(r)); _exit(0);}
  waitpid(k, &st, 0); if (WIFSIGNALED(st)) printf("pipes: pwritev2(RWF_NOSIGNAL) without readers: killed by signal %d\n", WTERMSIG(st)); close(p[1]);
  /* file locks (fork: the lock holders are other processes) */
  f = open("/tmp/gvisor-confirm.lock", O_RDWR|O_CREAT|O_TRUNC, 0600); write(f, "0123456789abcdef", 16); struct flock fk = {.l_type=F_RDLCK, .l_whence=SEEK_CUR, .l_start=3, .l_len=7, .l_pid=4242}; fcntl(f, F_GETLK, &fk);
  printf("locks: F_GETLK without conflict (SEEK_CUR, 3, 7, pid 4242): type %d whence %d start %ld len %ld pid %d\n", fk.l_type, fk.l_whence, (long)fk.l_start, (long)fk.l_len, fk.l_pid);
  struct flock fo = {.l_type=F_WRLCK, .l_whence=SEEK_END, .l_start=-4, .l_len=2}; fcntl(f, F_OFD_GETLK, &fo);
  printf("locks: F_OFD_GETLK without conflict (SEEK_END, -4, 2): type %d whence %d start %ld len %ld\n", fo.l_type, fo.l_whence, (long)fo.l_start, (long)fo.l_len);
  int go[2], ready[2]; pipe(go); pipe(ready);
  k = fork(); if (!k){ int g = open("/tmp/gvisor-confirm.lock", O_RDWR); lock(g, F_SETLK, F_RDLCK, 0, 4); write(ready[1], "r", 1); read(go[0], buf, 1); _exit(0);} read(ready[0], buf, 1);
  int fd2 = open("/tmp/gvisor-confirm.lock", O_RDWR); r = lock(fd2, F_OFD_SETLK, F_WRLCK, 0, 1); struct flock fp = {.l_type=F_WRLCK, .l_whence=SEEK_SET, .l_start=0, .l_len=10}; fcntl(fd2, F_OFD_GETLK, &fp);
  printf("locks: against another process's POSIX read lock on 0-3: F_OFD_SETLK %s, F_OFD_GETLK type %d start %ld len %ld\n", R(r), fp.l_type, (long)fp.l_start, (long)fp.l_len); close(fd2); write(go[1], "x", 1); waitpid(k, &st, 0);
  k = fork(); if (!k){ int g = open("/tmp/gvisor-confirm.lock", O_RDWR); lock(g, F_SETLK, F_WRLCK, 0, 100); lock(g, F_SETLK, F_RDLCK, 0, 100); write(ready[1], "r", 1); read(go[0], buf, 1); _exit(0);} read(ready[0], buf, 1);
  fd2 = open("/tmp/gvisor-confirm.lock", O_RDWR); lock(fd2, F_SETLK, F_RDLCK, 50, 1); pid_t k3 = fork(); if (!k3){ struct flock fw = {.l_type=F_WRLCK, .l_whence=SEEK_SET, .l_start=0, .l_len=0}; int g = open("/tmp/gvisor-confirm.lock", O_RDWR); fcntl(g, F_GETLK, &fw);
    printf("locks: F_GETLK against another's read lock on 0-99 overlapped by ours at 50: start %ld len %ld\n", (long)fw.l_start, (long)fw.l_len); _exit(0);} waitpid(k3, &st, 0); close(fd2); write(go[1], "x", 1); waitpid(k, &st, 0);
  k = fork(); if (!k){ int g = open("/tmp/gvisor-confirm.lock", O_RDWR); lock(g, F_SETLK, F_WRLCK, 10, 0); lock(g, F_OFD_SETLK, F_WRLCK, 2, 3); write(ready[1], "r", 1); read(go[0], buf, 1); _exit(0);} read(ready[0], buf, 1);
  struct flock fa = {.l_type=F_RDLCK, .l_whence=SEEK_SET, .l_start=1L<<40, .l_len=1}, fb = {.l_type=F_RDLCK, .l_whence=SEEK_SET, .l_start=0, .l_len=10}; fcntl(f, F_GETLK, &fa); fcntl(f, F_GETLK, &fb);
  printf("locks: F_GETLK against a lock from 10 with l_len 0: len %ld; against an OFD lock on 2-4: pid %d\n", (long)fa.l_len, fb.l_pid); write(go[1], "x", 1); waitpid(k, &st, 0);
  k = fork(); if (!k){ int g = open("/tmp/gvisor-confirm.lock", O_RDWR); lock(g, F_SETLK, F_WRLCK, 0, 10); execl("/bin/sleep", "sleep", "1", (char*)0); _exit(9);} usleep(500000);
  struct flock fx = {.l_type=F_RDLCK, .l_whence=SEEK_SET, .l_start=0, .l_len=10}; fcntl(f, F_GETLK, &fx); printf("locks: F_GETLK while the locking child runs an exec'd sleep: type %d\n", fx.l_type); waitpid(k, &st, 0);
  k = fork(); if (!k){ int g = open("/tmp/gvisor-confirm.lock", O_RDWR); lock(g, F_SETLK, F_WRLCK, 0, 1); write(ready[1], "r", 1); read(go[0], buf, 1); alarm(3); lock(g, F_SETLKW, F_WRLCK, 1, 1); _exit(0);} read(ready[0], buf, 1);
  pid_t k2 = fork(); if (!k2){ int g = open("/tmp/gvisor-confirm.lock", O_RDWR); lock(g, F_SETLK, F_WRLCK, 1, 1); write(go[1], "x", 1); usleep(500000); alarm(2); r = lock(g, F_SETLKW, F_WRLCK, 0, 1); printf("locks: F_SETLKW closing a two-process deadlock: %s\n", R(r)); _exit(0);}
  waitpid(k2, &st, 0); if (WIFSIGNALED(st)) printf("locks: F_SETLKW closing a two-process deadlock: still blocked after 2 s\n"); waitpid(k, &st, 0);
  int fe = open("/tmp/gvisor-confirm.lock", O_RDWR); flock(fe, LOCK_EX); k = fork(); if (!k){ int g = open("/tmp/gvisor-confirm.lock", O_RDWR); alarm(2); flock(g, LOCK_SH); printf("locks: flock(LOCK_SH) waiter admitted when the holder converted LOCK_EX to LOCK_SH\n"); _exit(0);}
  usleep(500000); flock(fe, LOCK_SH); waitpid(k, &st, 0); if (WIFSIGNALED(st)) printf("locks: flock(LOCK_SH) waiter still blocked after the holder converted LOCK_EX to LOCK_SH\n"); close(fe); unlink("/tmp/gvisor-confirm.lock");
  /* POSIX message queues */
  mode_t old = umask(077); q = mq_open("/gvisor-confirm2", O_CREAT|O_EXCL|O_RDWR, 0666, &qa); umask(old); struct stat qs; fstat(q, &qs); struct mq_attr na = {.mq_flags=O_NONBLOCK}; r = mq_setattr(q, &na, 0);
  printf("mq: mq_open(0666) under umask 077: mode %o, FD_CLOEXEC %d; mq_setattr: %s\n", qs.st_mode & 0777, fcntl(q, F_GETFD), R(r)); mq_unlink("/gvisor-confirm2");
  char qn[258] = "/"; memset(qn+1, 'x', 255); qn[256] = 0; q = mq_open(qn, O_CREAT|O_RDWR, 0600, &qa); printf("mq: mq_open of a 255-character name: %s; ", R(q)); mq_unlink(qn); qn[255] = 0; q = mq_open(qn, O_CREAT|O_RDWR, 0600, &qa); printf("of 254: %s\n", R(q)); mq_unlink(qn);
  /* shared mappings and memfd */
  f = open("/tmp/gvisor-confirm.f", O_RDWR|O_TRUNC); write(f, page, 100); char *mp = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, f, 0); touch_in_child("mappings: access beyond the end of a mapped file", mp + 4096 + 8);
  int shm = shm_open("/gvisor-confirm", O_CREAT|O_RDWR, 0600); shm_unlink("/gvisor-confirm"); ftruncate(shm, 4096); mp = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, shm, 0); touch_in_child("mappings: access beyond the end of a POSIX shm object", mp + 4096 + 24);
  mp = mmap(0, 4096, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); touch_in_child("mappings: access to a PROT_NONE page", mp + 42);
  ftruncate(f, 0); memset(page, '0', 8192); write(f, page, 8192); mp = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE, f, 0); mp[10] = 'P'; pwrite(f, "xyz", 3, 4096); printf("mappings: MAP_PRIVATE, store to page 0, pwrite to page 1: page 1 reads '%.3s'\n", mp + 4096);
  int m = memfd_create("gvisor-confirm", 0); ftruncate(m, 8192); struct stat ms; fstat(m, &ms); printf("memfd: new 2-page memfd: st_blocks %ld, F_GETFL %#o\n", (long)ms.st_blocks, fcntl(m, F_GETFL));
  char mn[260]; memset(mn, 'n', 249); mn[249] = 0; r = memfd_create(mn, 0); printf("memfd: a name of 249 bytes: %s; ", R(r)); mn[248] = 0; r = memfd_create(mn, 0); printf("of 248: %s; ", R(r)); r = memfd_create("x", 0x10); printf("MFD_EXEC: %s; ", R(r)); r = memfd_create("x", 0x8); printf("MFD_NOEXEC_SEAL: %s\n", R(r));
  m = memfd_create("gvisor-confirm", MFD_ALLOW_SEALING); write(m, "sealed", 6); fcntl(m, F_ADD_SEALS, F_SEAL_WRITE); mp = mmap(0, 4096, PROT_READ, MAP_SHARED, m, 0); printf("memfd: mmap(PROT_READ, MAP_SHARED) of a write-sealed O_RDWR memfd: %s\n", mp == MAP_FAILED ? strerror(errno) : "ok");
  char *w = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); memset(w, 'o', 8192); /* mapped before the fork, as the test's Mapping */
  k = fork(); if (!k){ mprotect(w + 4096, 4096, PROT_READ); write(ready[1], "r", 1); read(go[0], buf, 1);
    printf("cross_memory: process_vm_writev of 5 + 5 bytes, the second into a read-only page: the read-only page reads '%.5s'\n", w + 4096); _exit(0);} read(ready[0], buf, 1);
  struct iovec lv = {.iov_base="WRITEWRITE", .iov_len=10}, rv[2] = {{w, 5}, {w + 4096, 5}}; printf("cross_memory: process_vm_writev returned %ld\n", (long)process_vm_writev(k, &lv, 1, rv, 2, 0)); write(go[1], "x", 1); waitpid(k, &st, 0);
  unlink("/tmp/gvisor-confirm.f");
  /* signalfd */
  sigset_t ss; sigemptyset(&ss); sigaddset(&ss, SIGUSR1); sigaddset(&ss, SIGUSR2); sigaddset(&ss, SIGURG); sigprocmask(SIG_BLOCK, &ss, 0); int sf = signalfd(-1, &ss, SFD_NONBLOCK); fdinfo_line("signalfd:", sf);
  printf("signalfd: signalfd(%d, new mask) returns %d\n", sf, signalfd(sf, &ss, 0)); kill(getpid(), SIGUSR2); kill(getpid(), SIGUSR1); printf("signalfd: read of 256 bytes, SIGUSR1 and SIGUSR2 pending: %d bytes\n", (int)read(sf, page, 256)); read(sf, page, 256);
  k = fork(); if (!k){ raise(SIGURG); pf.fd = sf; pf.events = POLLIN; poll(&pf, 1, 0); r = read(sf, page, 128); printf("signalfd: in a forked child with SIGURG pending, the inherited signalfd: poll %#x, read %s\n", pf.revents, R(r)); _exit(0);} waitpid(k, &st, 0);
  k = fork(); if (!k){ struct signalfd_siginfo si; sigset_t u1; sigemptyset(&u1); sigaddset(&u1, SIGUSR1); int g = signalfd(-1, &u1, 0); write(ready[1], "r", 1); read(g, &si, sizeof si);
    printf("signalfd: kill(2) from a second thread of pid %d: ssi_pid %u\n", getppid(), si.ssi_pid); _exit(0);} read(ready[0], buf, 1); pthread_t th; pthread_create(&th, 0, kill_from_thread, &k); pthread_join(th, 0); waitpid(k, &st, 0);
  /* pty (the master stays open only in this process) */
  m = posix_openpt(O_RDWR|O_NOCTTY); grantpt(m); unlockpt(m); sl = open(ptsname(m), O_RDWR|O_NOCTTY); tcgetattr(sl, &t); t.c_cflag = (t.c_cflag & ~CSIZE) | CS7 | PARENB; t.c_lflag &= ~ECHO; tcsetattr(sl, TCSANOW, &t); tcgetattr(sl, &t);
  printf("pty: tcsetattr CS7|PARENB: c_cflag & (CSIZE|PARENB) %#o; tcflow(TCOOFF): %s\n", t.c_cflag & (CSIZE|PARENB), R(tcflow(sl, TCOOFF))); tcflow(sl, TCOON);
  write(m, "abc\003d\n", 6); usleep(100000); printf("pty: ISIG on, no foreground group, 'abc^Cd\\n' from the master: the slave reads %d bytes\n", (int)read(sl, buf, 64));
  printf("pty: /proc/sys/dev/tty/legacy_tiocsti: %s\n", R(access("/proc/sys/dev/tty/legacy_tiocsti", F_OK))); close(m);
  pf.fd = sl; pf.events = POLLIN; r = poll(&pf, 1, 1000); printf("pty: after the master closed: the slave polls %#x\n", r > 0 ? pf.revents : 0); close(sl);
  m = posix_openpt(O_RDWR|O_NOCTTY); grantpt(m); unlockpt(m); char *sn = ptsname(m); k = fork(); if (!k){ close(m); signal(SIGHUP, count); signal(SIGCONT, count); signal(SIGWINCH, count); signal(SIGINT, count);
    setsid(); sl = open(sn, O_RDWR); ioctl(sl, TIOCSCTTY, 0); r = open("/dev/tty", O_RDWR); tcgetattr(sl, &t); t.c_lflag &= ~ISIG; tcsetattr(sl, TCSANOW, &t); write(ready[1], "r", 1); usleep(700000);
    printf("pty: session leader: open(/dev/tty) %s; SIGWINCH after TIOCSWINSZ %d; SIGINT for ^C with ISIG off %d; ", R(r), nsig[SIGWINCH], nsig[SIGINT]); write(ready[1], "r", 1); usleep(700000);
    printf("SIGHUP %d SIGCONT %d after the master closed\n", nsig[SIGHUP], nsig[SIGCONT]); _exit(0);}
  read(ready[0], buf, 1); struct winsize ws = {33, 111, 0, 0}; ioctl(m, TIOCSWINSZ, &ws); write(m, "\003\n", 2); read(ready[0], buf, 1); close(m); waitpid(k, &st, 0);
  m = posix_openpt(O_RDWR|O_NOCTTY); grantpt(m); unlockpt(m); sn = ptsname(m); prctl(PR_SET_CHILD_SUBREAPER, 1); k = fork(); if (!k){ close(m); setsid(); sl = open(sn, O_RDWR); ioctl(sl, TIOCSCTTY, 0);
    pid_t j = fork(); if (!j){ signal(SIGHUP, count); setpgid(0, 0); write(ready[1], "r", 1); sleep(1); char hc = nsig[SIGHUP]; write(go[1], &hc, 1); _exit(0);} read(ready[0], buf, 1); tcsetpgrp(sl, j); _exit(0);}
  waitpid(k, &st, 0); char hc = 9; read(go[0], &hc, 1); printf("pty: the foreground job after its session leader exited: SIGHUP %d\n", hc); wait(&st); close(m); }
  /* poll(2) for POLLRDHUP alone right after the peer's shutdown(SHUT_WR), 300 times: a poll that sleeps 1 s while a second poll at once sees POLLRDHUP lost its wakeup */
  { int lost = 0; for (int i = 0; i < 300; i++){ int c, s; tcp_pair(&c, &s); shutdown(c, SHUT_WR); struct pollfd q = {.fd=s, .events=POLLRDHUP};
      if (poll(&q, 1, 1000) == 0){ q.revents = 0; if (poll(&q, 1, 0) == 1) lost++; } close(c); close(s); }
    printf("poll: POLLRDHUP on TCP loopback, 300 tries: %s\n", lost ? "some wakeups lost (see the count on stderr)" : "every poll woken"); fprintf(stderr, "lost POLLRDHUP wakeups: %d\n", lost); }
  printf("ok\n");
  return 0; }
