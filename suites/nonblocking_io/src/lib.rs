//! Suite `nonblocking_io`: O_NONBLOCK — how it is set, what it changes for each kind of
//! descriptor, and where it lives (the open file description).
//!
//! Covered (one test file per topic):
//! - `eagain_by_kind.rs`: for every kind of fd ([`Kind`]: pipe, FIFO, UNIX stream and
//!   datagram sockets, TCP loopback, eventfd, pty master, POSIX message queue) a read with
//!   nothing to read and a write with no room fail EAGAIN (== EWOULDBLOCK on Linux) when
//!   O_NONBLOCK is set — at creation or by F_SETFL — and block when it is not.
//! - `flag_sharing.rs`: the flag belongs to the open file description: shared by dup(2)
//!   and fork(2), not by a second open(2) of a FIFO; MSG_DONTWAIT is per call;
//!   mq_setattr(3) and F_SETFL change the same flag.
//! - `accept_connect.rs`: nonblocking accept(2) and connect(2) (EAGAIN, EINPROGRESS then
//!   POLLOUT and SO_ERROR, EALREADY, a full UNIX backlog), and which flags accept passes on.
//! - `partial_writes.rs`: partial writes to nonblocking pipes and stream sockets, the
//!   all-or-nothing rule for pipe writes up to PIPE_BUF, datagrams never split.
//! - `end_of_file.rs`: O_NONBLOCK has no effect on regular files; a FIFO without writer
//!   reads EOF, not EAGAIN; after the peer closed, reads return 0.
//!
//! Sources: open(2), fcntl(2), read(2), write(2), pipe(7), fifo(7), socket(7), unix(7),
//! tcp(7), accept(2), connect(2), send(2), recv(2), eventfd(2), pty(7), mq_overview(7),
//! mq_receive(3), mq_send(3), errno(3), POSIX.1-2024 read() and write().
//!
//! The channels are [`fixtures::kinds`] pairs; [`Kind`] names them as this suite's
//! published test ids do and opens them small (a queue of 4 messages, TCP buffers of
//! 4 KiB), so that filling one takes little data.

use std::os::fd::RawFd;

pub use fixtures::kinds::NonblockMode as Mode;
pub use fixtures::kinds::{MSG_SIZE, Pair};

/// A kind of descriptor that can be nonblocking (the variant names are part of the test
/// ids, e.g. `kind_6_Kind__Eventfd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pipe,
    Fifo,
    UnixStream,
    UnixDgram,
    Tcp,
    Eventfd,
    PtyMaster,
    Mq,
}

/// Capacity (messages) of the queues of [`Kind::Mq`].
pub const MQ_CAPACITY: usize = 4;

/// SO_RCVBUF/SO_SNDBUF of the [`Kind::Tcp`] connections.
pub const TCP_BUFFERS: libc::c_int = 4096;

impl Kind {
    /// Every kind, for rstest `#[values]` lists.
    pub const ALL: [Kind; 8] =
        [Kind::Pipe, Kind::Fifo, Kind::UnixStream, Kind::UnixDgram, Kind::Tcp, Kind::Eventfd, Kind::PtyMaster, Kind::Mq];

    /// The fixtures' kind of this channel (the pty's `rx` is the master, `tx` the slave).
    pub fn fixture(self) -> fixtures::kinds::Kind {
        use fixtures::kinds::Kind as K;
        match self {
            Kind::Pipe => K::Pipe,
            Kind::Fifo => K::Fifo,
            Kind::UnixStream => K::UnixStream,
            Kind::UnixDgram => K::UnixDgram,
            Kind::Tcp => K::Tcp,
            Kind::Eventfd => K::EventFd,
            Kind::PtyMaster => K::Pty,
            Kind::Mq => K::Mq,
        }
    }

    /// Create a channel of this kind with O_NONBLOCK set as `mode` says. `Err(reason)` when
    /// the kind is not available here (no /dev/ptmx, no POSIX message queues): skip.
    pub fn open(self, mode: Mode) -> Result<Pair, String> {
        self.fixture().builder().mode(mode).mq_capacity(MQ_CAPACITY).tcp_buffers(TCP_BUFFERS).open()
    }
}

/// The number of established connections waiting in a TCP listener's accept queue
/// (TCP_INFO on a listening socket reports sk_ack_backlog as `tcpi_unacked`, which is what
/// `ss -lnt` shows as Recv-Q).
pub fn accept_queue_len(listener: RawFd) -> u32 {
    // SAFETY: zeroed tcp_info, valid length.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let r = libc::getsockopt(listener, libc::IPPROTO_TCP, libc::TCP_INFO, (&mut info as *mut libc::tcp_info).cast(), &mut len);
        assert_eq!(r, 0, "getsockopt(TCP_INFO): {}", nix::errno::Errno::last());
        info.tcpi_unacked
    }
}
