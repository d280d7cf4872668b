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

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

use fixtures::{IpcName, Scratch, sys, sys_size};
use nix::errno::Errno;

/// A kind of descriptor that can be nonblocking.
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

/// Whether and how O_NONBLOCK is set on both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Left clear: the ends block.
    Blocking,
    /// Set by the creating call: pipe2(O_NONBLOCK), open(O_NONBLOCK), SOCK_NONBLOCK,
    /// accept4(SOCK_NONBLOCK), EFD_NONBLOCK, mq_open(O_NONBLOCK).
    AtCreation,
    /// Created blocking, then set with fcntl(F_SETFL, flags | O_NONBLOCK).
    ViaFcntl,
}

/// Size of one message on a message queue and of one datagram.
pub const MSG_SIZE: usize = 64;

/// The two ends of a channel of some [`Kind`]: `rx` is read, `tx` is written. For the pty,
/// `rx` is the master and `tx` the slave (whose output the master reads); for the eventfd
/// both are the same open file description.
pub struct Endpoints {
    pub kind: Kind,
    pub rx: OwnedFd,
    pub tx: OwnedFd,
    _scratch: Option<Scratch>,
    _mq: Option<IpcName>,
}

/// The errno of the last failed call.
fn last() -> Errno {
    Errno::last()
}

fn owned(fd: RawFd) -> OwnedFd {
    assert!(fd >= 0, "creating a descriptor failed: {}", last());
    // SAFETY: a fresh descriptor we own.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// F_GETFL.
pub fn getfl(fd: RawFd) -> libc::c_int {
    // SAFETY: fcntl on our fd.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(fl >= 0, "F_GETFL on {fd}: {}", last());
    fl
}

/// Set or clear O_NONBLOCK with F_SETFL, keeping the other status flags.
pub fn set_nonblock(fd: RawFd, on: bool) {
    let fl = getfl(fd);
    let new = if on { fl | libc::O_NONBLOCK } else { fl & !libc::O_NONBLOCK };
    // SAFETY: fcntl on our fd.
    assert_eq!(unsafe { libc::fcntl(fd, libc::F_SETFL, new) }, 0, "F_SETFL on {fd}: {}", last());
}

/// True if O_NONBLOCK is set in the fd's status flags.
pub fn is_nonblocking(fd: RawFd) -> bool {
    getfl(fd) & libc::O_NONBLOCK != 0
}

/// read(2).
pub fn read(fd: RawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: reading into our own buffer.
    sys_size(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
}

/// write(2).
pub fn write(fd: RawFd, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: writing our own buffer.
    sys_size(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
}

/// poll(2) one fd for `events`, waiting at most `ms` (already scaled); returns revents.
pub fn poll1(fd: RawFd, events: libc::c_short, ms: libc::c_int) -> libc::c_short {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r >= 0 {
            return p.revents;
        }
        assert_eq!(last(), Errno::EINTR, "poll");
    }
}

/// getsockopt(SOL_SOCKET, SO_ERROR).
pub fn so_error(fd: RawFd) -> libc::c_int {
    let mut v: libc::c_int = -1;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: valid buffer and length.
    let r = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, (&mut v as *mut libc::c_int).cast(), &mut len) };
    assert_eq!(r, 0, "getsockopt(SO_ERROR): {}", last());
    v
}

/// setsockopt of an int option.
pub fn set_int_opt(fd: RawFd, level: libc::c_int, name: libc::c_int, v: libc::c_int) {
    // SAFETY: valid buffer and length.
    let r = unsafe {
        libc::setsockopt(fd, level, name, (&v as *const libc::c_int).cast(), std::mem::size_of::<libc::c_int>() as libc::socklen_t)
    };
    assert_eq!(r, 0, "setsockopt({level}, {name}): {}", last());
}

/// A TCP listener on 127.0.0.1, port chosen by the kernel, with the given backlog and
/// extra socket type flags (SOCK_NONBLOCK). Returns the socket and its address.
pub fn tcp_listener(backlog: libc::c_int, type_flags: libc::c_int, rcvbuf: Option<libc::c_int>) -> (OwnedFd, libc::sockaddr_in) {
    // SAFETY: plain socket calls with valid arguments.
    unsafe {
        let l = owned(libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC | type_flags, 0));
        if let Some(sz) = rcvbuf {
            set_int_opt(l.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, sz);
        }
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        addr.sin_port = 0;
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(libc::bind(l.as_raw_fd(), (&addr as *const libc::sockaddr_in).cast(), len), 0, "bind: {}", last());
        assert_eq!(libc::listen(l.as_raw_fd(), backlog), 0, "listen: {}", last());
        let a = local_addr(l.as_raw_fd());
        (l, a)
    }
}

/// getsockname(2) of an AF_INET socket.
pub fn local_addr(fd: RawFd) -> libc::sockaddr_in {
    // SAFETY: valid buffer and length.
    unsafe {
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(libc::getsockname(fd, (&mut addr as *mut libc::sockaddr_in).cast(), &mut len), 0, "getsockname: {}", last());
        addr
    }
}

/// connect(2) to an AF_INET address.
pub fn connect_in(fd: RawFd, addr: &libc::sockaddr_in) -> Result<libc::c_int, Errno> {
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: valid address and length.
    sys(unsafe { libc::connect(fd, (addr as *const libc::sockaddr_in).cast(), len) })
}

/// A new TCP socket (close-on-exec, plus `type_flags`).
pub fn tcp_socket(type_flags: libc::c_int) -> OwnedFd {
    // SAFETY: plain socket call.
    owned(unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC | type_flags, 0) })
}

/// accept4(2) with `flags` (SOCK_CLOEXEC is always added).
pub fn accept4(listener: RawFd, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: null address buffers are allowed.
    sys(unsafe { libc::accept4(listener, std::ptr::null_mut(), std::ptr::null_mut(), flags | libc::SOCK_CLOEXEC) }).map(owned)
}

/// A sockaddr_un for `path`.
pub fn unix_addr(path: &std::path::Path) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: zeroed plain-old-data.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    assert!(bytes.len() < a.sun_path.len(), "socket path too long: {}", path.display());
    for (d, s) in a.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    let len = (std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1) as libc::socklen_t;
    (a, len)
}

/// A UNIX socket of `ty` (close-on-exec added).
pub fn unix_socket(ty: libc::c_int) -> OwnedFd {
    // SAFETY: plain socket call.
    owned(unsafe { libc::socket(libc::AF_UNIX, ty | libc::SOCK_CLOEXEC, 0) })
}

/// A listening UNIX stream socket bound to `path` with `backlog`.
pub fn unix_listener(path: &std::path::Path, backlog: libc::c_int, type_flags: libc::c_int) -> OwnedFd {
    let l = unix_socket(libc::SOCK_STREAM | type_flags);
    let (a, len) = unix_addr(path);
    // SAFETY: valid address.
    unsafe {
        assert_eq!(libc::bind(l.as_raw_fd(), (&a as *const libc::sockaddr_un).cast(), len), 0, "bind: {}", last());
        assert_eq!(libc::listen(l.as_raw_fd(), backlog), 0, "listen: {}", last());
    }
    l
}

/// connect(2) a UNIX socket to `path`.
pub fn connect_un(fd: RawFd, path: &std::path::Path) -> Result<libc::c_int, Errno> {
    let (a, len) = unix_addr(path);
    // SAFETY: valid address.
    sys(unsafe { libc::connect(fd, (&a as *const libc::sockaddr_un).cast(), len) })
}

impl Kind {
    /// Every kind, for rstest `#[values]` lists.
    pub const ALL: [Kind; 8] =
        [Kind::Pipe, Kind::Fifo, Kind::UnixStream, Kind::UnixDgram, Kind::Tcp, Kind::Eventfd, Kind::PtyMaster, Kind::Mq];

    /// Create a channel of this kind with O_NONBLOCK set as `mode` says. `Err(reason)` when
    /// the kind is not available here (no /dev/ptmx, no POSIX message queues): skip.
    pub fn open(self, mode: Mode) -> Result<Endpoints, String> {
        let nb = if mode == Mode::AtCreation { libc::O_NONBLOCK } else { 0 };
        let mut scratch = None;
        let mut mq = None;
        // SAFETY (whole block): system calls with valid arguments; every fd is owned.
        let (rx, tx) = unsafe {
            match self {
                Kind::Pipe => {
                    let mut p = [0; 2];
                    assert_eq!(libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC | nb), 0, "pipe2: {}", last());
                    (owned(p[0]), owned(p[1]))
                }
                Kind::Fifo => {
                    let s = Scratch::new();
                    let path = CString::new(s.fifo("fifo", 0o600).as_os_str().as_bytes()).unwrap();
                    // The reader is opened nonblocking (a blocking open would wait for a
                    // writer), then the writer; Blocking mode clears the reader's flag after.
                    let rx = owned(libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC));
                    let tx = owned(libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC | nb));
                    if mode != Mode::AtCreation {
                        set_nonblock(rx.as_raw_fd(), false);
                    }
                    scratch = Some(s);
                    (rx, tx)
                }
                Kind::UnixStream | Kind::UnixDgram => {
                    let ty = if self == Kind::UnixStream { libc::SOCK_STREAM } else { libc::SOCK_DGRAM };
                    let sock_nb = if nb != 0 { libc::SOCK_NONBLOCK } else { 0 };
                    let mut p = [0; 2];
                    let r = libc::socketpair(libc::AF_UNIX, ty | libc::SOCK_CLOEXEC | sock_nb, 0, p.as_mut_ptr());
                    assert_eq!(r, 0, "socketpair: {}", last());
                    (owned(p[0]), owned(p[1]))
                }
                Kind::Tcp => {
                    let sock_nb = if nb != 0 { libc::SOCK_NONBLOCK } else { 0 };
                    // Small buffers, so that filling the connection takes little data.
                    let (l, addr) = tcp_listener(1, 0, Some(4096));
                    let c = tcp_socket(sock_nb);
                    set_int_opt(c.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF, 4096);
                    match connect_in(c.as_raw_fd(), &addr) {
                        Ok(_) => assert_eq!(sock_nb, 0),
                        Err(Errno::EINPROGRESS) if sock_nb != 0 => {
                            let ev = poll1(c.as_raw_fd(), libc::POLLOUT, fixtures::deadline::poll_ms(fixtures::DEFAULT_DEADLINE));
                            assert_eq!(ev & libc::POLLOUT, libc::POLLOUT, "nonblocking connect did not complete");
                            assert_eq!(so_error(c.as_raw_fd()), 0);
                        }
                        Err(e) => panic!("connect to the loopback listener: {e}"),
                    }
                    let s = fixtures::within("accepting the loopback connection", || accept4(l.as_raw_fd(), sock_nb))
                        .unwrap_or_else(|e| panic!("accept4: {e}"));
                    (s, c)
                }
                Kind::Eventfd => {
                    let e = owned(libc::eventfd(0, libc::EFD_CLOEXEC | nb));
                    let d = owned(libc::fcntl(e.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0));
                    (e, d)
                }
                Kind::PtyMaster => {
                    if !std::path::Path::new("/dev/ptmx").exists() {
                        return Err("/dev/ptmx does not exist here".into());
                    }
                    let m = libc::open(c"/dev/ptmx".as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC | nb);
                    if m < 0 {
                        return Err(format!("cannot open /dev/ptmx: {}", last()));
                    }
                    let m = owned(m);
                    assert_eq!(libc::grantpt(m.as_raw_fd()), 0, "grantpt: {}", last());
                    assert_eq!(libc::unlockpt(m.as_raw_fd()), 0, "unlockpt: {}", last());
                    let mut name = [0 as libc::c_char; 128];
                    assert_eq!(libc::ptsname_r(m.as_raw_fd(), name.as_mut_ptr(), name.len()), 0);
                    let sl = owned(libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC | nb));
                    // Raw mode: no output processing, no echo, so bytes pass unchanged.
                    let mut t: libc::termios = std::mem::zeroed();
                    assert_eq!(libc::tcgetattr(sl.as_raw_fd(), &mut t), 0);
                    libc::cfmakeraw(&mut t);
                    assert_eq!(libc::tcsetattr(sl.as_raw_fd(), libc::TCSANOW, &t), 0);
                    (m, sl)
                }
                Kind::Mq => {
                    let name = IpcName::mq("nb");
                    let mut attr: libc::mq_attr = std::mem::zeroed();
                    attr.mq_maxmsg = 4;
                    attr.mq_msgsize = MSG_SIZE as _;
                    let flags = libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC | nb;
                    let r = libc::mq_open(name.as_cstr().as_ptr(), flags | libc::O_RDONLY, 0o600, &attr as *const libc::mq_attr);
                    if r < 0 {
                        let e = last();
                        if matches!(e, Errno::ENOSYS | Errno::EPERM | Errno::EACCES) {
                            return Err(format!("POSIX message queues are not available here: mq_open {e}"));
                        }
                        panic!("mq_open: {e}");
                    }
                    let rx = owned(r);
                    let tx = owned(libc::mq_open(name.as_cstr().as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC | nb));
                    mq = Some(name);
                    (rx, tx)
                }
            }
        };
        if mode == Mode::ViaFcntl {
            set_nonblock(rx.as_raw_fd(), true);
            set_nonblock(tx.as_raw_fd(), true);
        }
        Ok(Endpoints { kind: self, rx, tx,  _scratch: scratch, _mq: mq })
    }
}

impl Endpoints {
    /// One read from `rx` (mq_receive for a message queue) into a buffer of MSG_SIZE.
    pub fn read_once(&self) -> Result<usize, Errno> {
        let mut buf = [0u8; MSG_SIZE];
        let fd = self.rx.as_raw_fd();
        match self.kind {
            // SAFETY: valid buffer of the queue's message size.
            Kind::Mq => sys_size(unsafe { libc::mq_receive(fd, buf.as_mut_ptr().cast(), buf.len(), std::ptr::null_mut()) }),
            _ => read(fd, &mut buf),
        }
    }

    /// Write one unit to `tx`: one byte on byte streams, one datagram or message of
    /// MSG_SIZE bytes, or the value 1 on an eventfd.
    pub fn write_unit(&self) -> Result<usize, Errno> {
        self.write_value(1)
    }

    fn write_value(&self, v: u64) -> Result<usize, Errno> {
        let fd = self.tx.as_raw_fd();
        let msg = [b'm'; MSG_SIZE];
        match self.kind {
            Kind::Eventfd => write(fd, &v.to_ne_bytes()),
            Kind::UnixDgram => write(fd, &msg),
            // SAFETY: valid message buffer.
            Kind::Mq => sys(unsafe { libc::mq_send(fd, msg.as_ptr().cast(), msg.len(), 0) }).map(|_| msg.len()),
            _ => write(fd, b"x"),
        }
    }

    /// Write to the nonblocking `tx` until it fails; returns (bytes or units written, the
    /// errno that stopped it). Byte streams are written in 4 KiB chunks; an eventfd gets
    /// the largest value it can hold.
    pub fn fill(&self) -> (u64, Errno) {
        let fd = self.tx.as_raw_fd();
        let chunk = [b'f'; 4096];
        let mut total = 0u64;
        loop {
            let r = match self.kind {
                // First the counter's maximum (0xfffffffffffffffe), then 1 more.
                Kind::Eventfd if total == 0 => self.write_value(u64::MAX - 1).map(|_| {
                    total = u64::MAX - 1;
                    0
                }),
                Kind::Eventfd | Kind::UnixDgram | Kind::Mq => self.write_unit(),
                _ => write(fd, &chunk),
            };
            match r {
                Ok(n) => total += n as u64,
                Err(Errno::EINTR) => {}
                Err(e) => return (total, e),
            }
            assert!(total < 256 << 20 || self.kind == Kind::Eventfd, "{:?} took 256 MiB without filling", self.kind);
        }
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
        assert_eq!(r, 0, "getsockopt(TCP_INFO): {}", last());
        info.tcpi_unacked
    }
}

/// Wait until `cond` holds, re-checking after yielding the CPU, for at most
/// DEFAULT_DEADLINE; panic naming `what` otherwise. For kernel-side state that has no
/// file-descriptor event to wait on.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let limit = fixtures::scaled(fixtures::DEFAULT_DEADLINE);
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::yield_now();
    }
}
