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
 * lines differ exactly where docs/expectations/gvisor.toml lists a deviation.
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
#define R(x) ((x) < 0 ? strerror(errno) : "ok")
static volatile siginfo_t got; static volatile int ngot;
static void h(int s, siginfo_t *si, void *u){ (void)s;(void)u; got=*si; ngot++; }
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
  printf("ok\n");
  return 0; }
