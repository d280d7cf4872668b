//! The channels: one per mechanism, set up before the two processes are forked, each end a
//! [`End`] that sends and receives whole protocol messages of the run's size.
//!
//! A protocol message is `size` bytes whose first byte is a tag ([`TAG_DATA`], ...); byte
//! streams read until they have `size` bytes, message mechanisms check that one receive is
//! exactly one message. eventfd carries no bytes: its [`End`] maps tags to counter values.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};

/// Tags: the first byte of every protocol message.
pub const TAG_DATA: u8 = 0;
/// The client is done measuring latency.
pub const TAG_END_LATENCY: u8 = 0xFE;
/// The last message of the throughput phase.
pub const TAG_END_THROUGHPUT: u8 = 0xFF;
/// The server's answer to the last message: the number of messages it received follows.
pub const TAG_ACK: u8 = 0xAC;

/// One side of a channel.
pub trait End {
    /// Send one protocol message (`msg.len()` is the run's size).
    fn send(&mut self, msg: &[u8]) -> io::Result<()>;
    /// Receive one protocol message into `buf` (its length is the run's size); returns how
    /// many messages of the sender it stands for, itself included (eventfd sums several
    /// writes into one read).
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<u64>;
    /// Messages may be lost (UDP): the client repeats the last message until the server's
    /// answer comes, and waits for answers with a deadline.
    fn lossy(&self) -> bool {
        false
    }
    /// Wait until a message can be received, at most `ms` (for [`End::lossy`] ends).
    fn wait_readable(&mut self, _ms: i32) -> io::Result<bool> {
        Ok(true)
    }
}

/// Why a mechanism was not measured at a size (an answer of the kernel, not a failure).
#[derive(Debug)]
pub struct Skip(pub String);

/// The two ends of a channel, made before forking.
pub struct Pair {
    pub client: Box<dyn End>,
    pub server: Box<dyn End>,
    /// A shared mapping both ends use (address, length): unmapped by the process that made
    /// it, after both children are gone.
    pub mapping: Option<(usize, usize)>,
}

impl Pair {
    fn of(client: impl End + 'static, server: impl End + 'static) -> Pair {
        Pair { client: Box::new(client), server: Box::new(server), mapping: None }
    }
}

/// Unmap a [`Pair::mapping`].
pub fn unmap((addr, len): (usize, usize)) {
    // SAFETY: a mapping made by `shm` with this length, no longer used by this process.
    unsafe { libc::munmap(addr as *mut libc::c_void, len) };
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 { Err(io::Error::last_os_error()) } else { Ok(r) }
}

fn cvt_size(r: isize) -> io::Result<usize> {
    if r < 0 { Err(io::Error::last_os_error()) } else { Ok(r as usize) }
}

fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: `fd` was just returned by a successful system call and is owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn write_all(fd: RawFd, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: buf is a valid slice for its length.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        match cvt_size(n) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn read_exact(fd: RawFd, buf: &mut [u8]) -> io::Result<()> {
    let mut at = 0;
    while at < buf.len() {
        // SAFETY: the range is inside buf.
        let n = unsafe { libc::read(fd, buf[at..].as_mut_ptr().cast(), buf.len() - at) };
        match cvt_size(n) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "end of file in the middle of a message")),
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn poll_in(fd: RawFd, ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    let n = cvt(unsafe { libc::poll(&mut p, 1, ms) })?;
    Ok(n > 0)
}

/// A byte stream: a read descriptor and a write descriptor (the same one for a socket).
struct Stream {
    r: OwnedFd,
    w: Option<OwnedFd>,
}

impl Stream {
    fn wfd(&self) -> RawFd {
        self.w.as_ref().unwrap_or(&self.r).as_raw_fd()
    }
}

impl End for Stream {
    fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        write_all(self.wfd(), msg)
    }
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<u64> {
        read_exact(self.r.as_raw_fd(), buf)?;
        Ok(1)
    }
}

/// A message socket (datagram, seqpacket, UDP): one send is one message, one receive must
/// return exactly one message of the expected size.
struct MsgSocket {
    fd: OwnedFd,
    lossy: bool,
}

impl End for MsgSocket {
    fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        loop {
            // SAFETY: msg is a valid slice.
            let n = unsafe { libc::send(self.fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
            match cvt_size(n) {
                Ok(n) if n == msg.len() => return Ok(()),
                Ok(n) => return Err(io::Error::other(format!("short send of a message: {n} of {}", msg.len()))),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A UDP send may meet the ICMP error of an earlier datagram: send again.
                Err(e) if self.lossy && e.raw_os_error() == Some(libc::ECONNREFUSED) => {}
                Err(e) => return Err(e),
            }
        }
    }
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<u64> {
        loop {
            // SAFETY: buf is a valid mutable slice.
            let n = unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_TRUNC) };
            match cvt_size(n) {
                Ok(n) if n == buf.len() => return Ok(1),
                Ok(n) => return Err(io::Error::other(format!("a message of {n} bytes where {} were sent", buf.len()))),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    fn lossy(&self) -> bool {
        self.lossy
    }
    fn wait_readable(&mut self, ms: i32) -> io::Result<bool> {
        poll_in(self.fd.as_raw_fd(), ms)
    }
}

/// A POSIX message queue per direction.
struct Mq {
    rx: libc::mqd_t,
    tx: libc::mqd_t,
    /// mq_receive needs a buffer of at least mq_msgsize.
    scratch: Vec<u8>,
}

impl End for Mq {
    fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        loop {
            // SAFETY: msg is a valid slice.
            match cvt(unsafe { libc::mq_send(self.tx, msg.as_ptr().cast(), msg.len(), 0) }) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<u64> {
        loop {
            // SAFETY: scratch is at least mq_msgsize long.
            let n = unsafe { libc::mq_receive(self.rx, self.scratch.as_mut_ptr().cast(), self.scratch.len(), std::ptr::null_mut()) };
            match cvt_size(n) {
                Ok(n) if n == buf.len() => {
                    buf.copy_from_slice(&self.scratch[..n]);
                    return Ok(1);
                }
                Ok(n) => return Err(io::Error::other(format!("a message of {n} bytes where {} were sent", buf.len()))),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Mq {
    fn drop(&mut self) {
        // SAFETY: both are descriptors this end owns.
        unsafe {
            libc::mq_close(self.rx);
            libc::mq_close(self.tx);
        }
    }
}

/// eventfd: an 8-byte counter per direction. Tags travel as counter values; a read returns
/// the sum of the writes since the last one, so one receive can stand for several messages.
struct EventFd {
    rx: OwnedFd,
    tx: OwnedFd,
    /// What a read brought beyond the end of the latency phase, for the next receive.
    pending: Option<u64>,
}

const EFD_END_LATENCY: u64 = 1 << 40;
const EFD_END_THROUGHPUT: u64 = 1 << 32;
const EFD_ACK: u64 = 1 << 48;

impl End for EventFd {
    fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        let v: u64 = match msg[0] {
            TAG_END_LATENCY => EFD_END_LATENCY,
            TAG_END_THROUGHPUT => EFD_END_THROUGHPUT,
            TAG_ACK => EFD_ACK | (u64::from_le_bytes(msg[1..9].try_into().unwrap_or([0; 8])) & 0xffff_ffff),
            _ => 1,
        };
        write_all(self.tx.as_raw_fd(), &v.to_ne_bytes())
    }
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<u64> {
        let v = match self.pending.take() {
            Some(v) => v,
            None => {
                let mut b = [0u8; 8];
                read_exact(self.rx.as_raw_fd(), &mut b)?;
                u64::from_ne_bytes(b)
            }
        };
        buf.fill(0);
        if v & EFD_ACK != 0 {
            buf[0] = TAG_ACK;
            buf[1..9].copy_from_slice(&(v & 0xffff_ffff).to_le_bytes());
            Ok(1)
        } else if v >= EFD_END_LATENCY {
            // The client does not wait after the end of the latency phase: the first writes
            // of the throughput phase may be in the same sum. They count from here.
            buf[0] = TAG_END_LATENCY;
            let rest = v - EFD_END_LATENCY;
            if rest >= EFD_END_THROUGHPUT {
                self.pending = Some(rest);
                Ok(1)
            } else {
                Ok(1 + rest)
            }
        } else if v >= EFD_END_THROUGHPUT {
            buf[0] = TAG_END_THROUGHPUT;
            Ok(v - EFD_END_THROUGHPUT + 1)
        } else {
            buf[0] = TAG_DATA;
            Ok(v)
        }
    }
}

/// How a shared-memory end waits for the other side.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// FUTEX_WAIT / FUTEX_WAKE on the slot's state word.
    Futex,
    /// An eventfd per slot and direction of change.
    EventFd,
    /// Spinning on the state word (no system call; sched_yield now and then).
    Spin,
}

/// One slot of the shared region: a state word (0 empty, 1 full) and the message.
#[repr(C)]
struct SlotHeader {
    full: AtomicU32,
}

const SLOT_HEADER: usize = 64;

/// Shared memory (MAP_SHARED | MAP_ANONYMOUS, inherited by both processes): a slot per
/// direction, each handed over by its state word and woken by `wake`.
struct Shm {
    base: *mut u8,
    size: usize,
    /// Slot this end sends into, slot it receives from.
    tx: usize,
    rx: usize,
    wake: Wake,
    /// For Wake::EventFd: [slot][0 = became full, 1 = became empty].
    efd: Vec<[RawFd; 2]>,
}

impl Shm {
    fn slot(&self, i: usize) -> (*const SlotHeader, *mut u8) {
        let stride = SLOT_HEADER + self.size;
        // SAFETY: both slots lie inside the mapping (2 * stride bytes).
        let h = unsafe { self.base.add(i * stride) };
        (h as *const SlotHeader, unsafe { h.add(SLOT_HEADER) })
    }

    /// Wait while the slot's state is `while_is`.
    fn wait(&self, slot: usize, while_is: u32) -> io::Result<()> {
        let (h, _) = self.slot(slot);
        // SAFETY: the header is inside the live shared mapping and 4-byte aligned.
        let word = unsafe { &(*h).full };
        let mut spins = 0u32;
        while word.load(Ordering::Acquire) == while_is {
            match self.wake {
                Wake::Spin => {
                    spins += 1;
                    if spins.is_multiple_of(1024) {
                        // SAFETY: no arguments.
                        unsafe { libc::sched_yield() };
                    } else {
                        std::hint::spin_loop();
                    }
                }
                Wake::Futex => {
                    // SAFETY: FUTEX_WAIT on a live word; it returns at once if the word
                    // no longer holds `while_is`.
                    let r = unsafe {
                        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT, while_is, std::ptr::null::<libc::timespec>(), 0usize, 0u32)
                    };
                    if r < 0 {
                        let e = io::Error::last_os_error();
                        if !matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) {
                            return Err(e);
                        }
                    }
                }
                Wake::EventFd => {
                    // Became full (waiting while empty) or became empty (waiting while full).
                    let fd = self.efd[slot][if while_is == 0 { 0 } else { 1 }];
                    let mut b = [0u8; 8];
                    read_exact(fd, &mut b)?;
                }
            }
        }
        Ok(())
    }

    fn set(&self, slot: usize, v: u32) -> io::Result<()> {
        let (h, _) = self.slot(slot);
        // SAFETY: as in `wait`.
        let word = unsafe { &(*h).full };
        word.store(v, Ordering::Release);
        match self.wake {
            Wake::Spin => {}
            Wake::Futex => {
                // SAFETY: FUTEX_WAKE of at most one waiter on a live word.
                let r = unsafe {
                    libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, 1, std::ptr::null::<libc::timespec>(), 0usize, 0u32)
                };
                if r < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Wake::EventFd => write_all(self.efd[slot][if v == 1 { 0 } else { 1 }], &1u64.to_ne_bytes())?,
        }
        Ok(())
    }
}

impl End for Shm {
    fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        self.wait(self.tx, 1)?;
        let (_, data) = self.slot(self.tx);
        // SAFETY: the slot's data area holds `size` bytes and msg.len() == size; the other
        // side does not touch it while the state is 0.
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), data, msg.len()) };
        self.set(self.tx, 1)
    }
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<u64> {
        self.wait(self.rx, 0)?;
        let (_, data) = self.slot(self.rx);
        // SAFETY: as in `send`; the state is 1, so the sender is done with the data.
        unsafe { std::ptr::copy_nonoverlapping(data, buf.as_mut_ptr(), buf.len()) };
        self.set(self.rx, 0)?;
        Ok(1)
    }
}

impl Drop for Shm {
    fn drop(&mut self) {
        // The mapping stays: the other end of this process may still use it, and the
        // process that made it unmaps it once both children are gone (Pair::mapping).
        for p in &self.efd {
            // SAFETY: this end's own descriptors.
            unsafe {
                libc::close(p[0]);
                libc::close(p[1]);
            }
        }
    }
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((owned(fds[0]), owned(fds[1])))
}

pub fn pipes(_size: usize) -> Result<Pair, Skip> {
    let f = || -> io::Result<Pair> {
        let (c2s_r, c2s_w) = pipe()?;
        let (s2c_r, s2c_w) = pipe()?;
        Ok(Pair::of(Stream { r: s2c_r, w: Some(c2s_w) }, Stream { r: c2s_r, w: Some(s2c_w) }))
    };
    f().map_err(|e| Skip(format!("pipe2: {e}")))
}

/// A FIFO opened through its path: a reader first (O_NONBLOCK, so it does not wait for a
/// writer), then the writer, then the reader made blocking. The path is removed at once.
fn fifo(dir: &str, name: &str) -> io::Result<(OwnedFd, OwnedFd)> {
    let path = CString::new(format!("{dir}/{name}")).map_err(io::Error::other)?;
    // SAFETY: a valid NUL-terminated path.
    cvt(unsafe { libc::mkfifo(path.as_ptr(), 0o600) })?;
    // SAFETY: as above.
    let r = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC) };
    let w = if r >= 0 { unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) } } else { -1 };
    let err = io::Error::last_os_error();
    // SAFETY: as above.
    unsafe { libc::unlink(path.as_ptr()) };
    if r < 0 || w < 0 {
        if r >= 0 {
            // SAFETY: r is ours.
            unsafe { libc::close(r) };
        }
        return Err(err);
    }
    // SAFETY: r is a valid descriptor; clear O_NONBLOCK.
    cvt(unsafe { libc::fcntl(r, libc::F_SETFL, 0) })?;
    Ok((owned(r), owned(w)))
}

pub fn fifos(_size: usize) -> Result<Pair, Skip> {
    let dir = std::env::temp_dir().to_string_lossy().into_owned();
    let pid = std::process::id();
    let f = || -> io::Result<Pair> {
        let (c2s_r, c2s_w) = fifo(&dir, &format!("ipcspec-bench-{pid}-c2s"))?;
        let (s2c_r, s2c_w) = fifo(&dir, &format!("ipcspec-bench-{pid}-s2c"))?;
        Ok(Pair::of(Stream { r: s2c_r, w: Some(c2s_w) }, Stream { r: c2s_r, w: Some(s2c_w) }))
    };
    f().map_err(|e| Skip(format!("mkfifo/open in {dir}: {e}")))
}

fn socketpair(ty: libc::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    cvt(unsafe { libc::socketpair(libc::AF_UNIX, ty | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) })?;
    Ok((owned(fds[0]), owned(fds[1])))
}

fn setsockopt_int(fd: RawFd, level: libc::c_int, opt: libc::c_int, v: libc::c_int) -> io::Result<()> {
    // SAFETY: a valid int option.
    cvt(unsafe { libc::setsockopt(fd, level, opt, (&v as *const libc::c_int).cast(), std::mem::size_of::<libc::c_int>() as libc::socklen_t) })?;
    Ok(())
}

pub fn unix_stream(_size: usize) -> Result<Pair, Skip> {
    let (a, b) = socketpair(libc::SOCK_STREAM).map_err(|e| Skip(format!("socketpair: {e}")))?;
    Ok(Pair::of(Stream { r: a, w: None }, Stream { r: b, w: None }))
}

fn unix_msg(ty: libc::c_int, what: &str, size: usize) -> Result<Pair, Skip> {
    let (a, b) = socketpair(ty).map_err(|e| Skip(format!("socketpair({what}): {e}")))?;
    // unix(7): a datagram may be at most 2 * SO_SNDBUF - 32 bytes; ask for room for it.
    let want = (size + 64) as libc::c_int;
    for fd in [a.as_raw_fd(), b.as_raw_fd()] {
        let mut cur: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a valid int option.
        let _ = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, (&mut cur as *mut libc::c_int).cast(), &mut len) };
        if (cur as usize) < size + 64 {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, want).map_err(|e| Skip(format!("SO_SNDBUF: {e}")))?;
        }
    }
    Ok(Pair::of(MsgSocket { fd: a, lossy: false }, MsgSocket { fd: b, lossy: false }))
}

pub fn unix_dgram(size: usize) -> Result<Pair, Skip> {
    unix_msg(libc::SOCK_DGRAM, "SOCK_DGRAM", size)
}

pub fn unix_seqpacket(size: usize) -> Result<Pair, Skip> {
    unix_msg(libc::SOCK_SEQPACKET, "SOCK_SEQPACKET", size)
}

fn inet_socket(ty: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2).
    let fd = cvt(unsafe { libc::socket(libc::AF_INET, ty | libc::SOCK_CLOEXEC, 0) })?;
    Ok(owned(fd))
}

fn loopback(port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain data; zero is a valid value.
    let mut a: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    a.sin_family = libc::AF_INET as libc::sa_family_t;
    a.sin_port = port.to_be();
    a.sin_addr = libc::in_addr { s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be() };
    a
}

const SIN_LEN: libc::socklen_t = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;

fn bind_loopback(fd: RawFd) -> io::Result<libc::sockaddr_in> {
    let a = loopback(0);
    // SAFETY: a valid sockaddr_in.
    cvt(unsafe { libc::bind(fd, (&a as *const libc::sockaddr_in).cast(), SIN_LEN) })?;
    let mut got = loopback(0);
    let mut len = SIN_LEN;
    // SAFETY: room for a sockaddr_in.
    cvt(unsafe { libc::getsockname(fd, (&mut got as *mut libc::sockaddr_in).cast(), &mut len) })?;
    Ok(got)
}

fn connect_to(fd: RawFd, a: &libc::sockaddr_in) -> io::Result<()> {
    // SAFETY: a valid sockaddr_in.
    cvt(unsafe { libc::connect(fd, (a as *const libc::sockaddr_in).cast(), SIN_LEN) })?;
    Ok(())
}

pub fn tcp(_size: usize) -> Result<Pair, Skip> {
    let f = || -> io::Result<Pair> {
        let l = inet_socket(libc::SOCK_STREAM)?;
        let addr = bind_loopback(l.as_raw_fd())?;
        // SAFETY: plain listen(2).
        cvt(unsafe { libc::listen(l.as_raw_fd(), 1) })?;
        let c = inet_socket(libc::SOCK_STREAM)?;
        connect_to(c.as_raw_fd(), &addr)?;
        // SAFETY: accept(2) without an address.
        let s = owned(cvt(unsafe { libc::accept4(l.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut(), libc::SOCK_CLOEXEC) })?);
        for fd in [c.as_raw_fd(), s.as_raw_fd()] {
            setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)?;
        }
        Ok(Pair::of(Stream { r: c, w: None }, Stream { r: s, w: None }))
    };
    f().map_err(|e| Skip(format!("TCP on 127.0.0.1: {e}")))
}

/// The largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header).
pub const UDP_MAX: usize = 65507;

pub fn udp(size: usize) -> Result<Pair, Skip> {
    if size > UDP_MAX {
        return Err(Skip(format!("a UDP datagram over IPv4 carries at most {UDP_MAX} bytes (udp(7), EMSGSIZE)")));
    }
    let f = || -> io::Result<Pair> {
        let a = inet_socket(libc::SOCK_DGRAM)?;
        let b = inet_socket(libc::SOCK_DGRAM)?;
        // The largest receive buffer this process may have, so that a burst is not dropped
        // before the receiver runs; SO_RCVBUFFORCE needs CAP_NET_ADMIN, SO_RCVBUF is capped
        // at rmem_max.
        for fd in [a.as_raw_fd(), b.as_raw_fd()] {
            if setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, 4 << 20).is_err() {
                setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 4 << 20)?;
            }
        }
        let aa = bind_loopback(a.as_raw_fd())?;
        let ba = bind_loopback(b.as_raw_fd())?;
        connect_to(a.as_raw_fd(), &ba)?;
        connect_to(b.as_raw_fd(), &aa)?;
        Ok(Pair::of(MsgSocket { fd: a, lossy: true }, MsgSocket { fd: b, lossy: true }))
    };
    f().map_err(|e| Skip(format!("UDP on 127.0.0.1: {e}")))
}

fn mq_pair(size: usize) -> io::Result<(libc::mqd_t, libc::mqd_t)> {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let name = CString::new(format!("/ipcspec-bench-{}-{n}", std::process::id())).map_err(io::Error::other)?;
    // RLIMIT_MSGQUEUE (819200 bytes by default) counts every queue of the user: keep two
    // queues of the largest size under it.
    let maxmsg = (300_000 / size.max(1)).clamp(1, 10) as libc::c_long;
    // SAFETY: mq_attr is plain data.
    let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
    attr.mq_maxmsg = maxmsg;
    attr.mq_msgsize = size as libc::c_long;
    // SAFETY: a valid name and attr; mq_open is variadic (mode, attr) with O_CREAT.
    let rx = unsafe { libc::mq_open(name.as_ptr(), libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC, 0o600 as libc::mode_t, &attr as *const libc::mq_attr) };
    if rx < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a second descriptor of the same queue.
    let tx = unsafe { libc::mq_open(name.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    let err = io::Error::last_os_error();
    // SAFETY: the name is not needed any more; the descriptors keep the queue.
    unsafe { libc::mq_unlink(name.as_ptr()) };
    if tx < 0 {
        // SAFETY: ours.
        unsafe { libc::mq_close(rx) };
        return Err(err);
    }
    Ok((rx, tx))
}

pub fn mq(size: usize) -> Result<Pair, Skip> {
    let (c2s_r, c2s_w) = mq_pair(size).map_err(|e| Skip(mq_why(size, &e)))?;
    let (s2c_r, s2c_w) = match mq_pair(size) {
        Ok(p) => p,
        Err(e) => {
            // SAFETY: ours.
            unsafe {
                libc::mq_close(c2s_r);
                libc::mq_close(c2s_w);
            }
            return Err(Skip(mq_why(size, &e)));
        }
    };
    Ok(Pair::of(Mq { rx: s2c_r, tx: c2s_w, scratch: vec![0; size] }, Mq { rx: c2s_r, tx: s2c_w, scratch: vec![0; size] }))
}

fn mq_why(size: usize, e: &io::Error) -> String {
    let max = std::fs::read_to_string("/proc/sys/fs/mqueue/msgsize_max").map(|s| s.trim().to_string()).unwrap_or_else(|_| "?".into());
    match e.raw_os_error() {
        Some(libc::EINVAL) => format!(
            "mq_open with mq_msgsize {size}: EINVAL (above /proc/sys/fs/mqueue/msgsize_max = {max} without CAP_SYS_RESOURCE, mq_open(3))"
        ),
        Some(libc::EMFILE) => format!("mq_open with mq_msgsize {size}: EMFILE (RLIMIT_MSGQUEUE)"),
        Some(libc::ENOSYS) => "mq_open: ENOSYS (no POSIX message queues in this kernel)".into(),
        _ => format!("mq_open with mq_msgsize {size}: {e}"),
    }
}

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: plain eventfd(2).
    Ok(owned(cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) })?))
}

pub fn eventfds(_size: usize) -> Result<Pair, Skip> {
    let f = || -> io::Result<Pair> {
        let c2s = eventfd()?;
        let s2c = eventfd()?;
        let c2s2 = c2s.try_clone()?;
        let s2c2 = s2c.try_clone()?;
        Ok(Pair::of(EventFd { rx: s2c, tx: c2s, pending: None }, EventFd { rx: c2s2, tx: s2c2, pending: None }))
    };
    f().map_err(|e| Skip(format!("eventfd: {e}")))
}

/// A pseudoterminal in raw mode (cfmakeraw on the slave): the client writes the master, the
/// server reads and writes the slave.
pub fn pty(_size: usize) -> Result<Pair, Skip> {
    let f = || -> io::Result<Pair> {
        // SAFETY: plain posix_openpt(3).
        let m = owned(cvt(unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) })?);
        // SAFETY: m is a master.
        cvt(unsafe { libc::grantpt(m.as_raw_fd()) })?;
        cvt(unsafe { libc::unlockpt(m.as_raw_fd()) })?;
        let mut name = [0 as libc::c_char; 128];
        // SAFETY: name has room for 128 bytes.
        let r = unsafe { libc::ptsname_r(m.as_raw_fd(), name.as_mut_ptr(), name.len()) };
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        // SAFETY: ptsname_r wrote a NUL-terminated path.
        let s = owned(cvt(unsafe { libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) })?);
        // SAFETY: termios is plain data, filled by tcgetattr.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        cvt(unsafe { libc::tcgetattr(s.as_raw_fd(), &mut t) })?;
        unsafe { libc::cfmakeraw(&mut t) };
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        cvt(unsafe { libc::tcsetattr(s.as_raw_fd(), libc::TCSANOW, &t) })?;
        Ok(Pair::of(Stream { r: m, w: None }, Stream { r: s, w: None }))
    };
    f().map_err(|e| Skip(format!("/dev/ptmx: {e}")))
}

fn shm(size: usize, wake: Wake) -> Result<Pair, Skip> {
    let len = 2 * (SLOT_HEADER + size);
    // SAFETY: an anonymous shared mapping; checked below.
    let base = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1, 0) };
    if base == libc::MAP_FAILED {
        return Err(Skip(format!("mmap(MAP_SHARED|MAP_ANONYMOUS, {len}): {}", io::Error::last_os_error())));
    }
    let base = base.cast::<u8>();
    let mut efd = Vec::new();
    let mut server_efd = Vec::new();
    if wake == Wake::EventFd {
        use std::os::fd::IntoRawFd;
        for _ in 0..2 {
            let a = eventfd().map_err(|e| Skip(format!("eventfd: {e}")))?;
            let b = eventfd().map_err(|e| Skip(format!("eventfd: {e}")))?;
            let (a2, b2) = (a.try_clone(), b.try_clone());
            let (a2, b2) = (a2.map_err(|e| Skip(format!("dup: {e}")))?, b2.map_err(|e| Skip(format!("dup: {e}")))?);
            efd.push([a.into_raw_fd(), b.into_raw_fd()]);
            server_efd.push([a2.into_raw_fd(), b2.into_raw_fd()]);
        }
    }
    let client = Shm { base, size, tx: 0, rx: 1, wake, efd };
    let server = Shm { base, size, tx: 1, rx: 0, wake, efd: server_efd };
    Ok(Pair { client: Box::new(client), server: Box::new(server), mapping: Some((base as usize, len)) })
}

pub fn shm_futex(size: usize) -> Result<Pair, Skip> {
    shm(size, Wake::Futex)
}

pub fn shm_eventfd(size: usize) -> Result<Pair, Skip> {
    shm(size, Wake::EventFd)
}

pub fn shm_spin(size: usize) -> Result<Pair, Skip> {
    shm(size, Wake::Spin)
}
