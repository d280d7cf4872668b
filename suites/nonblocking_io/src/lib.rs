//! Suite `nonblocking_io`: O_NONBLOCK — how it is set, what it changes for each kind of
//! descriptor, and where it lives (the open file description).
//!
//! Covered (one test file per topic):
//! - `eagain_by_kind.rs`: for every kind of fd (pipe, FIFO, UNIX stream and datagram
//!   sockets, TCP loopback, eventfd, pty master, POSIX message queue) a read with nothing to
//!   read and a write with no room fail EAGAIN (== EWOULDBLOCK on Linux) when O_NONBLOCK is
//!   set — at creation or by F_SETFL — and block when it is not.
//! - `flag_sharing.rs`: the flag belongs to the open file description: shared by dup(2)
//!   and fork(2), not by a second open(2) of a FIFO; MSG_DONTWAIT is per call;
//!   mq_setattr(3) and F_SETFL change the same flag.
//! - `fionbio.rs`: ioctl(FIONBIO) sets and clears the same flag on every kind of fd.
//! - `accept_connect.rs`: nonblocking accept(2) and connect(2) (EAGAIN, EINPROGRESS then
//!   POLLOUT and SO_ERROR, EALREADY, a full UNIX backlog), and which flags accept passes on.
//! - `partial_writes.rs`: partial writes to nonblocking pipes and stream sockets, the
//!   all-or-nothing rule for pipe writes up to PIPE_BUF, datagrams never split.
//! - `end_of_file.rs`: O_NONBLOCK has no effect on regular files; a FIFO without writer
//!   reads EOF, not EAGAIN; after the peer closed, reads return 0.
//! - `io_uring_setup.rs`: io_uring_setup(2) per target: a working ring (a READV of a file
//!   completes) or the documented refusal, ENOSYS or EPERM (variant present / absent /
//!   blocked).
//!
//! Sources: open(2), fcntl(2), ioctl(2), read(2), write(2), pipe(7), fifo(7), socket(7), unix(7),
//! tcp(7), accept(2), connect(2), send(2), recv(2), eventfd(2), pty(7), mq_overview(7),
//! mq_receive(3), mq_send(3), errno(3), POSIX.1-2024 read() and write().
//!
//! The channels are [`fixtures::kinds`] pairs, opened by [`pair`] small (a queue of 4
//! messages, TCP buffers of 4 KiB) so that filling one takes little data; the kinds a claim
//! spans are the named parameter sets of [`cases`]. A test on a kind that may be missing
//! (pty, message queue) states `needs!(available(kind.availability()))`, which reports the
//! variant `present`, `absent` or `blocked`.

pub mod cases;

use fixtures::kinds::{Kind, NonblockMode, Pair};

/// Capacity (messages) of the queues of [`Kind::Mq`].
pub const MQ_CAPACITY: usize = 4;

/// SO_RCVBUF/SO_SNDBUF of the [`Kind::Tcp`] connections.
pub const TCP_BUFFERS: libc::c_int = 4096;

/// A pair of `kind` with O_NONBLOCK set as `mode` says, small enough to fill quickly.
/// `Err(reason)` when the kind is not available here (no /dev/ptmx, no POSIX message
/// queues): state `needs!(available(kind.availability()))` first, which skips with a variant.
pub fn pair(kind: Kind, mode: NonblockMode) -> Result<Pair, String> {
    kind.builder().mode(mode).mq_capacity(MQ_CAPACITY).tcp_buffers(TCP_BUFFERS).open()
}
