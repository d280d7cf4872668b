//! Suite `poll_select`: readiness multiplexing with poll(2), ppoll(2), select(2) and
//! pselect(2).
//!
//! Covered (test files):
//! - `poll_events`: the meaning of POLLIN, POLLOUT, POLLPRI, POLLRDHUP, POLLERR, POLLHUP,
//!   POLLNVAL, POLLRDNORM per fd kind (pipe, FIFO, UNIX stream and datagram sockets, TCP
//!   loopback, eventfd, pty master, POSIX message queue); revents holds only requested
//!   events plus POLLERR/POLLHUP/POLLNVAL; negative fds are ignored.
//! - `poll_calls`: the return value, timeouts (0, positive, infinite bounded by a peer),
//!   nfds 0 as a sleep, EFAULT, EINVAL for nfds above RLIMIT_NOFILE.
//! - `select_sets`: the three fd sets, modified in place; EBADF, EINVAL; exceptional
//!   conditions (TCP urgent data); the nfds and fd-table quirks of Linux.
//! - `select_timeouts`: the timeout written back by select() and by the raw pselect6/ppoll
//!   system calls but not by the glibc pselect()/ppoll() wrappers; invalid timeouts.
//! - `sigmask`: ppoll/pselect switching the signal mask atomically (the race they close).
//! - `interruption`: EINTR from a handler with and without SA_RESTART (never restarted,
//!   signal(7)); transparent resumption after SIGSTOP/SIGCONT.
//!
//! Sources: poll(2), select(2), select_tut(2), signal(7), POSIX.1-2024 poll() and
//! pselect(), and the Linux sources named in individual tests (fs/select.c, fs/pipe.c,
//! net/ipv4/tcp.c, net/unix/af_unix.c, fs/eventfd.c).
//!
//! Helpers shared by the test files, by concern: [`fd_sets`] (fd_set, select, pselect and
//! the raw pselect6 system call), [`waits`] (pollfd arrays, the raw ppoll system call,
//! [`waits::Wait`] for claims that span the four calls, a waiter proven blocked in one of
//! them), and the named parameter sets in [`cases`]. The readable/writable pair of every fd
//! kind comes from [`fixtures::kinds`], poll(2) on one fd from [`fixtures::poll`]; a test on
//! a kind that may be missing (pty, message queue) states
//! `needs!(available(kind.availability()))`, which reports the variant `present`, `absent`
//! or `blocked`.

pub mod cases;
pub mod fd_sets;
pub mod waits;
