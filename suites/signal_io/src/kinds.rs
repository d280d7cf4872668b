//! "A readable/writable pair of kind K": one constructor for every kind of file descriptor
//! a readiness claim can span, so that a claim is written once and parametrised over kinds.
//!
//! The same file is kept, identical, in the suites `signal_io`, `poll_select` and `epoll`
//! (a suite never depends on another suite); it is a candidate for `fixtures`.
//!
//! Every pair has an end that becomes readable (`rx`) and an end that is written (`tx`):
//!
//! | kind         | rx                                  | tx                          |
//! |--------------|-------------------------------------|-----------------------------|
//! | `Pipe`       | read end of pipe2(2)                | write end                   |
//! | `Fifo`       | FIFO opened O_RDONLY                | same FIFO opened O_WRONLY   |
//! | `UnixStream` | socketpair(AF_UNIX, SOCK_STREAM)[0] | [1]                         |
//! | `UnixDgram`  | socketpair(AF_UNIX, SOCK_DGRAM)[0]  | [1]                         |
//! | `Tcp`        | accepted socket on 127.0.0.1:port 0 | connected client (NODELAY)  |
//! | `EventFd`    | eventfd(2)                          | a dup of it (same file)     |
//! | `Pty`        | master from /dev/ptmx               | slave, in raw mode          |
//! | `Mq`         | POSIX message queue, O_RDONLY       | same queue, O_WRONLY        |
//!
//! Both ends are nonblocking and close-on-exec.
//!
//! [`Pair::send`] makes one input event and returns only once the receiving side has seen
//! it. For pipes, UNIX sockets, eventfds and message queues the kernel queues the data and
//! notifies readers (wakeups, SIGIO) inside the write call itself. For TCP (softirq) and
//! pseudoterminals (flip-buffer work item) delivery is asynchronous, so `send` waits,
//! bounded, until FIONREAD on `rx` shows the bytes: FIONREAD takes the same lock as the
//! delivery path (the socket lock; the tty's termios_rwsem), so when it reports them the
//! delivery, including its wakeups and signals, has completed. Claims that "nothing
//! happens" can then be checked at once, without waiting and without sleeping.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

use fixtures::deadline::{DEFAULT_DEADLINE, scaled};
use fixtures::{IpcName, Scratch, sys, sys_size};
use nix::errno::Errno;

/// The kinds of file descriptor the readiness claims span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Pipe,
    Fifo,
    UnixStream,
    UnixDgram,
    Tcp,
    EventFd,
    Pty,
    Mq,
}

/// Message size of the queues made for [`Kind::Mq`].
pub const MQ_MSGSIZE: usize = 64;
/// Capacity (messages) of the queues made for [`Kind::Mq`]; below the default
/// fs/mqueue/msg_max (10), so unprivileged users can create them.
pub const MQ_MAXMSG: usize = 8;

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Pipe,
        Kind::Fifo,
        Kind::UnixStream,
        Kind::UnixDgram,
        Kind::Tcp,
        Kind::EventFd,
        Kind::Pty,
        Kind::Mq,
    ];

    /// Gate: a pair of this kind can be made here (a container may lack /dev/ptmx or the
    /// mqueue syscalls).
    pub fn available(self) -> Result<(), String> {
        match self {
            Kind::Pty => {
                // SAFETY: opening a device node by a constant path.
                let fd = unsafe {
                    libc::open(
                        c"/dev/ptmx".as_ptr(),
                        libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
                    )
                };
                if fd < 0 {
                    return Err(format!(
                        "/dev/ptmx cannot be opened here: {}",
                        Errno::last()
                    ));
                }
                // SAFETY: closing the fd we just opened.
                unsafe { libc::close(fd) };
                Ok(())
            }
            Kind::Mq => {
                let name = IpcName::mq("probe");
                let fd = mq_open_raw(
                    &name,
                    libc::O_CREAT | libc::O_EXCL | libc::O_RDONLY,
                    Some((1, 1)),
                );
                match fd {
                    Ok(fd) => {
                        drop(fd);
                        Ok(())
                    }
                    Err(e) => Err(format!(
                        "POSIX message queues are not usable here: mq_open: {e}"
                    )),
                }
            }
            _ => Ok(()),
        }
    }

    /// File descriptors of this kind implement `->fasync`, so O_ASYNC (signal-driven I/O)
    /// works on them. eventfd and mqueue files have no such method.
    pub fn has_fasync(self) -> bool {
        !matches!(self, Kind::EventFd | Kind::Mq)
    }

    /// Reads and writes move bytes without message boundaries.
    pub fn is_byte_stream(self) -> bool {
        matches!(
            self,
            Kind::Pipe | Kind::Fifo | Kind::UnixStream | Kind::Tcp | Kind::Pty
        )
    }

    /// Build a pair of this kind. Panics if it cannot be made (gate with [`Kind::available`]).
    pub fn pair(self) -> Pair {
        let (rx, tx, scratch, mq) = match self {
            Kind::Pipe => {
                let (r, w) = pipe();
                (r, w, None, None)
            }
            Kind::Fifo => {
                let s = Scratch::new();
                let path = s.fifo("fifo", 0o600);
                let r = open_path(&path, libc::O_RDONLY | libc::O_NONBLOCK);
                let w = open_path(&path, libc::O_WRONLY | libc::O_NONBLOCK);
                (r, w, Some(s), None)
            }
            Kind::UnixStream => {
                let (a, b) = socketpair(libc::SOCK_STREAM);
                (a, b, None, None)
            }
            Kind::UnixDgram => {
                let (a, b) = socketpair(libc::SOCK_DGRAM);
                (a, b, None, None)
            }
            Kind::Tcp => {
                let (accepted, client) = tcp_pair();
                (accepted, client, None, None)
            }
            Kind::EventFd => {
                // SAFETY: plain eventfd(2).
                let fd = sys(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })
                    .expect("eventfd");
                let rx = owned(fd);
                let tx = owned(
                    sys(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) }).expect("dup eventfd"),
                );
                (rx, tx, None, None)
            }
            Kind::Pty => {
                let (m, s) = pty_pair();
                (m, s, None, None)
            }
            Kind::Mq => {
                let name = IpcName::mq("pair");
                let flags = libc::O_CREAT | libc::O_EXCL | libc::O_RDONLY | libc::O_NONBLOCK;
                let rx = mq_open_raw(&name, flags, Some((MQ_MAXMSG, MQ_MSGSIZE)))
                    .expect("mq_open O_RDONLY");
                let tx = mq_open_raw(&name, libc::O_WRONLY | libc::O_NONBLOCK, None)
                    .expect("mq_open O_WRONLY");
                // Both descriptions stay valid; nothing is left behind in the mqueue fs.
                name.unlink().expect("mq_unlink");
                (rx, tx, None, Some(name))
            }
        };
        Pair {
            kind: self,
            rx: Some(rx),
            tx: Some(tx),
            _scratch: scratch,
            _mq: mq,
        }
    }
}

/// Two ends of one channel of a [`Kind`]. Dropping it closes both and removes any name.
pub struct Pair {
    pub kind: Kind,
    rx: Option<OwnedFd>,
    tx: Option<OwnedFd>,
    _scratch: Option<Scratch>,
    _mq: Option<IpcName>,
}

impl Pair {
    /// The end that becomes readable. Panics after [`Pair::close_rx`].
    pub fn rx(&self) -> RawFd {
        self.rx
            .as_ref()
            .expect("the read end was closed")
            .as_raw_fd()
    }

    /// The end that is written. Panics after [`Pair::close_tx`].
    pub fn tx(&self) -> RawFd {
        self.tx
            .as_ref()
            .expect("the write end was closed")
            .as_raw_fd()
    }

    /// One input event: write `data` (eventfd: add `data.len()` to the counter; message
    /// queue: one message). Returns once the receiving side has seen it (module docs).
    #[track_caller]
    pub fn send(&self, data: &[u8]) {
        assert!(
            !data.is_empty() && data.len() <= MQ_MSGSIZE,
            "send 1..={MQ_MSGSIZE} bytes"
        );
        let before = self.in_flight();
        let n = self
            .try_send(data)
            .unwrap_or_else(|e| panic!("send on {:?}: {e}", self.kind));
        assert_eq!(n, data.len(), "short send on {:?}", self.kind);
        if let Some(before) = before {
            self.await_in_flight(before + data.len());
        }
    }

    /// One write of `data` on `tx`, without waiting for delivery.
    pub fn try_send(&self, data: &[u8]) -> Result<usize, Errno> {
        let tx = self.tx();
        match self.kind {
            Kind::EventFd => {
                let v = data.len() as u64;
                // SAFETY: writing 8 bytes we own.
                sys_size(unsafe { libc::write(tx, (&v as *const u64).cast(), 8) })
                    .map(|_| data.len())
            }
            // SAFETY: sending a buffer we own.
            Kind::Mq => sys(unsafe { libc::mq_send(tx, data.as_ptr().cast(), data.len(), 0) })
                .map(|_| data.len()),
            // SAFETY: writing a buffer we own.
            _ => sys_size(unsafe { libc::write(tx, data.as_ptr().cast(), data.len()) }),
        }
    }

    /// One nonblocking read from `rx` of at most `max` bytes (eventfd: the 8-byte counter;
    /// message queue: one message). `Err(EAGAIN)` when nothing is there.
    pub fn recv(&self, max: usize) -> Result<Vec<u8>, Errno> {
        let rx = self.rx();
        let mut buf = vec![0u8; max.max(MQ_MSGSIZE).max(8)];
        let n = match self.kind {
            // SAFETY: receiving into a buffer of at least the queue's message size.
            Kind::Mq => sys_size(unsafe {
                libc::mq_receive(rx, buf.as_mut_ptr().cast(), buf.len(), std::ptr::null_mut())
            })?,
            // SAFETY: reading 8 bytes into our buffer.
            Kind::EventFd => sys_size(unsafe { libc::read(rx, buf.as_mut_ptr().cast(), 8) })?,
            // SAFETY: reading into our buffer.
            _ => sys_size(unsafe { libc::read(rx, buf.as_mut_ptr().cast(), max) })?,
        };
        buf.truncate(n);
        Ok(buf)
    }

    /// Read until EAGAIN (or end of file); returns how many reads returned data.
    pub fn drain(&self) -> usize {
        let mut reads = 0;
        while let Ok(v) = self.recv(65536) {
            if v.is_empty() {
                break;
            }
            reads += 1;
        }
        reads
    }

    /// Close the write end: the reader sees end of file / hangup. For TCP, returns once
    /// the FIN has been processed by the receiving socket.
    pub fn close_tx(&mut self) {
        drop(self.tx.take());
        if self.kind == Kind::Tcp {
            wait_for_events(self.rx(), libc::POLLRDHUP, "the FIN of the closed TCP peer");
            let _ = fionread(self.rx()); // serialise with the socket lock (module docs)
        }
    }

    /// Close the read end (a pipe's writer then gets POLLERR / EPIPE).
    pub fn close_rx(&mut self) {
        drop(self.rx.take());
    }

    /// Write on `tx` until it would block (eventfd: raise the counter to its maximum,
    /// 0xfffffffffffffffe; message queue: fill every slot). Returns the bytes (eventfd: the
    /// counter increase, message queue: the messages) written.
    pub fn fill(&self) -> usize {
        let mut total = 0usize;
        match self.kind {
            Kind::EventFd => {
                let v: u64 = u64::MAX - 1 - self.eventfd_count();
                // SAFETY: writing 8 bytes we own.
                sys_size(unsafe { libc::write(self.tx(), (&v as *const u64).cast(), 8) })
                    .expect("raise eventfd to its maximum");
                total = v as usize;
            }
            Kind::Mq => {
                while self.try_send(b"m").is_ok() {
                    total += 1;
                }
            }
            _ => {
                let chunk = [0x5au8; 4096];
                loop {
                    match self.try_send(if self.kind == Kind::UnixDgram {
                        &chunk[..64]
                    } else {
                        &chunk
                    }) {
                        Ok(n) => total += n,
                        Err(Errno::EAGAIN) => break,
                        Err(e) => panic!("filling {:?}: {e}", self.kind),
                    }
                }
            }
        }
        match self.try_send(b"x") {
            Err(Errno::EAGAIN) => {}
            other => panic!("{:?} still accepts data after fill: {other:?}", self.kind),
        }
        total
    }

    /// The counter of an eventfd pair, read through /proc/self/fdinfo (does not reset it).
    pub fn eventfd_count(&self) -> u64 {
        assert_eq!(self.kind, Kind::EventFd);
        let info = fixtures::procfs::fdinfo(self.rx());
        let v = info.get("eventfd-count").expect("eventfd-count in fdinfo");
        u64::from_str_radix(v.trim(), 16).expect("hex eventfd-count")
    }

    /// Bytes readable at `rx` for the asynchronous kinds, `None` for the synchronous ones.
    fn in_flight(&self) -> Option<usize> {
        match self.kind {
            Kind::Tcp | Kind::Pty => Some(fionread(self.rx()).expect("FIONREAD")),
            _ => None,
        }
    }

    #[track_caller]
    fn await_in_flight(&self, want: usize) {
        let deadline = Instant::now() + scaled(DEFAULT_DEADLINE);
        loop {
            let have = fionread(self.rx()).expect("FIONREAD");
            if have >= want {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "{:?}: only {have} of {want} bytes arrived within {:?}",
                    self.kind,
                    scaled(DEFAULT_DEADLINE)
                );
            }
            // Wait for readability first; once readable, FIONREAD is polled until the rest of
            // the bytes are counted (a work item may deliver them in more than one piece).
            let mut p = libc::pollfd {
                fd: self.rx(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut p, 1, left.as_millis().min(i32::MAX as u128) as i32) };
            if have > 0 {
                std::thread::yield_now();
            }
        }
    }
}

/// Bytes readable on `fd` (FIONREAD / SIOCINQ / TIOCINQ).
pub fn fionread(fd: RawFd) -> Result<usize, Errno> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    sys(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) }).map(|_| n as usize)
}

/// Wait (bounded by DEFAULT_DEADLINE) until poll reports one of `events` on `fd`.
#[track_caller]
pub fn wait_for_events(fd: RawFd, events: libc::c_short, what: &str) -> libc::c_short {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = scaled(DEFAULT_DEADLINE).as_millis() as i32;
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, ms) };
    assert_eq!(
        r,
        1,
        "waiting for {what}: poll returned {r} ({})",
        Errno::last()
    );
    p.revents
}

fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: the caller passes a freshly created fd that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two ints.
    sys(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })
        .expect("pipe2");
    (owned(fds[0]), owned(fds[1]))
}

fn open_path(path: &std::path::Path, flags: libc::c_int) -> OwnedFd {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: valid C string.
    owned(
        sys(unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) })
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display())),
    )
}

fn socketpair(ty: libc::c_int) -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: socketpair fills two ints.
    sys(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })
    .expect("socketpair");
    (owned(fds[0]), owned(fds[1]))
}

/// A listening TCP socket on 127.0.0.1, port 0 (chosen by the kernel), and its address.
pub fn tcp_listener() -> (OwnedFd, libc::sockaddr_in) {
    // SAFETY: plain socket calls on memory we own.
    unsafe {
        let l = owned(
            sys(libc::socket(
                libc::AF_INET,
                libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
                0,
            ))
            .expect("socket"),
        );
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        addr.sin_port = 0;
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        sys(libc::bind(
            l.as_raw_fd(),
            (&addr as *const libc::sockaddr_in).cast(),
            len,
        ))
        .expect("bind 127.0.0.1:0");
        sys(libc::listen(l.as_raw_fd(), 8)).expect("listen");
        let mut got = len;
        sys(libc::getsockname(
            l.as_raw_fd(),
            (&mut addr as *mut libc::sockaddr_in).cast(),
            &mut got,
        ))
        .expect("getsockname");
        (l, addr)
    }
}

/// A blocking TCP client socket connected to `addr` (loopback: completes at once).
pub fn tcp_connect(addr: &libc::sockaddr_in) -> OwnedFd {
    // SAFETY: plain socket calls on memory we own.
    unsafe {
        let c = owned(
            sys(libc::socket(
                libc::AF_INET,
                libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
                0,
            ))
            .expect("socket"),
        );
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        sys(libc::connect(
            c.as_raw_fd(),
            (addr as *const libc::sockaddr_in).cast(),
            len,
        ))
        .expect("connect to 127.0.0.1");
        c
    }
}

fn tcp_pair() -> (OwnedFd, OwnedFd) {
    let (l, addr) = tcp_listener();
    let client = tcp_connect(&addr);
    // SAFETY: plain socket calls.
    unsafe {
        let a = sys(libc::accept4(
            l.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        ))
        .expect("accept4");
        let one: libc::c_int = 1;
        sys(libc::setsockopt(
            client.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        ))
        .expect("TCP_NODELAY");
        let fl = libc::fcntl(client.as_raw_fd(), libc::F_GETFL);
        sys(libc::fcntl(
            client.as_raw_fd(),
            libc::F_SETFL,
            fl | libc::O_NONBLOCK,
        ))
        .expect("O_NONBLOCK");
        (owned(a), client)
    }
}

fn pty_pair() -> (OwnedFd, OwnedFd) {
    // SAFETY: the usual posix_openpt/grantpt/unlockpt/ptsname_r sequence on our own fd.
    unsafe {
        let m = owned(
            sys(libc::posix_openpt(
                libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC,
            ))
            .expect("posix_openpt"),
        );
        sys(libc::grantpt(m.as_raw_fd())).expect("grantpt");
        sys(libc::unlockpt(m.as_raw_fd())).expect("unlockpt");
        let mut name = [0 as libc::c_char; 128];
        let r = libc::ptsname_r(m.as_raw_fd(), name.as_mut_ptr(), name.len());
        assert_eq!(r, 0, "ptsname_r: {}", Errno::from_raw(r));
        let s = owned(
            sys(libc::open(
                name.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC,
            ))
            .expect("open pty slave"),
        );
        // Raw mode: what is written to the slave reaches the master byte for byte.
        let mut t: libc::termios = std::mem::zeroed();
        sys(libc::tcgetattr(s.as_raw_fd(), &mut t)).expect("tcgetattr");
        libc::cfmakeraw(&mut t);
        sys(libc::tcsetattr(s.as_raw_fd(), libc::TCSANOW, &t)).expect("tcsetattr");
        (m, s)
    }
}

/// mq_open(3) returning the descriptor (on Linux an mqd_t is a file descriptor).
pub fn mq_open_raw(
    name: &IpcName,
    flags: libc::c_int,
    attr: Option<(usize, usize)>,
) -> Result<OwnedFd, Errno> {
    // SAFETY: valid name; the attr struct lives across the call.
    unsafe {
        let fd = match attr {
            Some((maxmsg, msgsize)) => {
                let mut a: libc::mq_attr = std::mem::zeroed();
                a.mq_maxmsg = maxmsg as _;
                a.mq_msgsize = msgsize as _;
                libc::mq_open(
                    name.as_cstr().as_ptr(),
                    flags | libc::O_CLOEXEC,
                    0o600 as libc::mode_t,
                    &mut a as *mut libc::mq_attr,
                )
            }
            None => libc::mq_open(name.as_cstr().as_ptr(), flags | libc::O_CLOEXEC),
        };
        sys(fd).map(|fd| owned(fd))
    }
}
