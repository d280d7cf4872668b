//! ipcspec's fault injection and its catalogue of faults.
//!
//! One LD_PRELOAD library (src/faults.c, built by build.rs into [`SHIM`]) with two injectors
//! ([`Injector`]): wrappers of libc functions, and a seccomp filter installed by the
//! library's constructor whose SIGSYS handler emulates a faulty kernel for exactly the system
//! calls a fault breaks — raw syscall(2)s included. With `IPCSPEC_FAULT=<name>` in the
//! environment of a test process it breaks exactly one documented IPC semantic; with no fault
//! selected it is a transparent pass-through, and with [`PASSTHROUGH`] the seccomp filter
//! traps every call any seccomp fault traps and answers each with the real call. `ipcspec
//! selfcheck` runs, once per fault, the suites that claim the broken semantic and reports
//! whether they caught it (docs/trust.md).
//!
//! [`FAULTS`] says, per fault, how it is injected, what it breaks, where the claim is written
//! and which suites must catch it. Its names, injectors and (for seccomp) trapped calls are
//! compared with the library's by a test; [`PROBE`] is the control program that shows each
//! seccomp fault changing behaviour (runner/tests/fault_controls.rs).

/// The shared object to preload (an absolute path in this build's OUT_DIR).
pub const SHIM: &str = env!("IPCSPEC_FAULTS_SHIM");

/// The seccomp faults' control program (src/probe.c): `PROBE <fault>` makes the calls that
/// fault breaks, through libc and raw, and prints what the kernel did.
pub const PROBE: &str = env!("IPCSPEC_FAULTS_PROBE");

/// The environment variable that selects the fault.
pub const FAULT_ENV: &str = ipcspec_protocol::env::FAULT;

/// When set, each process appends "<fault> <pid> <function>" here the first time the fault
/// fires in it (so a MISSED fault can be told apart from a fault no test reached).
pub const LOG_ENV: &str = ipcspec_protocol::env::FAULT_LOG;

/// `IPCSPEC_FAULT=passthrough`: no fault, but the seccomp injector is installed with the rules
/// of every seccomp fault and makes each trapped call unchanged (the self-check's baseline);
/// the log gets "passthrough <pid> <call>" for the first trapped call of each process.
pub const PASSTHROUGH: &str = "passthrough";

/// How a fault reaches the calls it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Injector {
    /// A wrapper of a libc function: sees arguments, results and descriptor kinds, but only
    /// calls made through libc's dynamic symbols.
    Preload,
    /// A seccomp filter (SECCOMP_RET_TRAP on the exact system call number and argument
    /// values) and a SIGSYS handler that emulates the faulty kernel: every path to the
    /// kernel, libc's, raw syscall(2)s and libc's own internal calls alike.
    Seccomp,
}

impl Injector {
    /// As the reports and the library's catalogue say it.
    pub fn name(self) -> &'static str {
        match self {
            Injector::Preload => "preload",
            Injector::Seccomp => "seccomp",
        }
    }

    /// `preload` or `seccomp`.
    pub fn parse(s: &str) -> Option<Injector> {
        match s.trim() {
            "preload" | "ld-preload" | "LD_PRELOAD" => Some(Injector::Preload),
            "seccomp" => Some(Injector::Seccomp),
            _ => None,
        }
    }
}

/// One named fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What IPCSPEC_FAULT selects.
    pub name: &'static str,
    /// The mechanism (a docs/ section), for grouping the report.
    pub mechanism: &'static str,
    /// How it is injected.
    pub injector: Injector,
    /// Preload: the libc function(s) it changes. Seccomp: the system calls its filter traps,
    /// with the argument values (exactly as the library's rules say).
    pub functions: &'static str,
    /// The documented semantic it breaks, with its source.
    pub breaks: &'static str,
    /// The suites whose claims it breaks: selfcheck runs these, and the tests that catch the
    /// fault must be in them.
    pub suites: &'static [&'static str],
}

macro_rules! fault {
    ($inj:ident, $name:literal, $mech:literal, $fns:literal, $suites:expr, $breaks:literal) => {
        Fault { name: $name, mechanism: $mech, injector: Injector::$inj, functions: $fns, breaks: $breaks, suites: $suites }
    };
}

/// Every fault, grouped by mechanism.
pub static FAULTS: &[Fault] = &[
    // fds
    fault!(Seccomp, "dup2-fails-ebusy-on-open-target", "fds", "dup2(newfd > 2)", &["fds"],
        "dup2(2): \"If the file descriptor newfd was previously open, it is closed before being reused\" (here: it fails EBUSY instead)"),
    fault!(Seccomp, "dup-skips-the-lowest-free-fd", "fds", "dup()", &["fds"],
        "dup(2): \"The new file descriptor number is guaranteed to be the lowest-numbered file descriptor that was unused\""),
    fault!(Seccomp, "dup3-ignores-o-cloexec", "fds", "dup3(flags & O_CLOEXEC)", &["fds"],
        "dup3(2): O_CLOEXEC sets the close-on-exec flag on the new descriptor"),
    fault!(Seccomp, "dup3-ignores-unknown-flags", "fds", "dup3(flags & ~O_CLOEXEC)", &["fds"],
        "dup(2) EINVAL: \"(dup3()) flags contain an invalid value\" (here: the invalid bits are dropped and the call succeeds)"),
    fault!(Seccomp, "fcntl-setfl-drops-o-append", "fds", "fcntl(cmd == F_SETFL, arg & O_APPEND)", &["fds"],
        "fcntl(2) F_SETFL may change O_APPEND; open(2) O_APPEND: every write goes to the end"),
    fault!(Seccomp, "fcntl-dupfd-ignores-the-minimum", "fds", "fcntl(cmd == F_DUPFD, arg != 0)", &["fds"],
        "fcntl(2) F_DUPFD: \"the lowest-numbered available file descriptor greater than or equal to arg\""),
    // pipes
    fault!(Seccomp, "pipe2-ignores-o-cloexec", "pipes", "pipe2(flags & O_CLOEXEC)", &["pipes"],
        "pipe2(2) O_CLOEXEC: \"Set the close-on-exec (FD_CLOEXEC) flag on the two new file descriptors\""),
    fault!(Seccomp, "pipe2-ignores-o-nonblock", "pipes", "pipe2(flags & O_NONBLOCK)", &["pipes"],
        "pipe(2) O_NONBLOCK: \"Set the O_NONBLOCK file status flag on the open file descriptions referred to by the new file descriptors\""),
    fault!(Seccomp, "pipe2-ignores-o-direct", "pipes", "pipe2(flags & O_DIRECT)", &["pipes"],
        "pipe(2) O_DIRECT: \"Create a pipe that performs I/O in \\\"packet\\\" mode. Each write(2) to the pipe is dealt with as a separate packet\""),
    fault!(Seccomp, "pipe2-ignores-unknown-flags", "pipes", "pipe2(flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))", &["pipes"],
        "pipe(2) EINVAL: \"(pipe2()) Invalid value in flags\" (here: the invalid bits are dropped and the call succeeds)"),
    fault!(Preload, "pipe-returns-the-ends-swapped", "pipes", "pipe", &["pipes"],
        "pipe(2): \"pipefd[0] refers to the read end of the pipe. pipefd[1] refers to the write end\""),
    fault!(Preload, "pipe-read-returns-eof-while-a-writer-is-open", "pipes", "read", &["pipes", "fifos"],
        "pipe(7): a read from an empty pipe blocks; it returns 0 (end of file) only when every write end is closed"),
    fault!(Preload, "pipe-small-nonblocking-write-is-partial", "pipes", "write", &["pipes", "nonblocking_io"],
        "pipe(7), O_NONBLOCK with n <= PIPE_BUF: \"If there is room to write n bytes to the pipe, then write(2) succeeds immediately, writing all n bytes; otherwise write(2) fails, with errno set to EAGAIN\""),
    fault!(Preload, "pipe-write-without-readers-raises-no-sigpipe", "pipes", "write", &["pipes", "fifos"],
        "pipe(7): \"If all file descriptors referring to the read end of a pipe have been closed, then a write(2) will cause a SIGPIPE signal to be generated\""),
    fault!(Seccomp, "fcntl-setpipe-sz-does-not-round-up", "pipes", "fcntl(cmd == F_SETPIPE_SZ)", &["pipes"],
        "fcntl(2) F_SETPIPE_SZ: the kernel may use a larger capacity (a power-of-two number of pages) and returns the actual size"),
    // fifos
    fault!(Preload, "fifo-open-wronly-nonblock-without-reader-succeeds", "fifos", "open", &["fifos"],
        "fifo(7): \"A process can open a FIFO in nonblocking mode ... opening for write-only will fail with ENXIO unless the other end has already been opened\""),
    fault!(Preload, "fifo-open-rdonly-does-not-wait-for-a-writer", "fifos", "open", &["fifos"],
        "fifo(7): \"Normally, opening the FIFO blocks until the other end is opened also\""),
    fault!(Seccomp, "mkfifo-ignores-the-umask", "fifos", "mknodat(S_ISFIFO(mode)); mknod(S_ISFIFO(mode))", &["fifos"],
        "mkfifo(3): \"It is modified by the process's umask in the usual way: the permissions of the created file are (mode & ~umask)\""),
    // nonblocking_io
    fault!(Preload, "nonblocking-read-returns-0-instead-of-eagain", "nonblocking_io", "read", &["nonblocking_io", "pipes"],
        "read(2) EAGAIN: \"The file descriptor fd refers to a file other than a socket and has been marked nonblocking (O_NONBLOCK), and the read would block\" (not 0, which is end of file)"),
    fault!(Seccomp, "accept4-ignores-sock-nonblock", "nonblocking_io", "accept4(flags & SOCK_NONBLOCK)", &["nonblocking_io"],
        "accept(2): accept4 SOCK_NONBLOCK \"Set the O_NONBLOCK file status flag on the open file description referred to by the new file descriptor\""),
    fault!(Preload, "nonblocking-tcp-connect-completes-synchronously", "nonblocking_io", "connect", &["nonblocking_io", "inet_sockets"],
        "connect(2) EINPROGRESS: \"The socket is nonblocking and the connection cannot be completed immediately\""),
    fault!(Seccomp, "msg-dontwait-sets-o-nonblock-on-the-socket", "nonblocking_io", "recvfrom(flags & MSG_DONTWAIT); recvmsg(flags & MSG_DONTWAIT)", &["nonblocking_io"],
        "recv(2) MSG_DONTWAIT: \"Enables nonblocking operation ... This provides similar behavior to setting the O_NONBLOCK flag ... but differs in that MSG_DONTWAIT is a per-call option\""),
    // eventfd
    fault!(Seccomp, "eventfd-ignores-efd-semaphore", "eventfd", "eventfd2(flags & EFD_SEMAPHORE)", &["eventfd"],
        "eventfd(2) EFD_SEMAPHORE: \"If EFD_SEMAPHORE was specified and the eventfd counter has a nonzero value, then a read(2) returns 8 bytes containing the value 1, and the counter's value is decremented by 1\""),
    fault!(Seccomp, "eventfd2-ignores-efd-cloexec", "eventfd", "eventfd2(flags & EFD_CLOEXEC)", &["eventfd"],
        "eventfd(2) EFD_CLOEXEC: \"Set the close-on-exec (FD_CLOEXEC) flag on the new file descriptor\""),
    fault!(Seccomp, "eventfd2-ignores-efd-nonblock", "eventfd", "eventfd2(flags & EFD_NONBLOCK)", &["eventfd"],
        "eventfd(2) EFD_NONBLOCK: \"Set the O_NONBLOCK file status flag on the open file description (see open(2)) referred to by the new file descriptor\""),
    fault!(Seccomp, "eventfd2-ignores-unknown-flags", "eventfd", "eventfd2(flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))", &["eventfd"],
        "eventfd(2) EINVAL: \"An unsupported value was specified in flags\" (here: the unsupported bits are dropped and the call succeeds)"),
    fault!(Preload, "eventfd-read-does-not-reset-the-counter", "eventfd", "read", &["eventfd"],
        "eventfd(2): \"If EFD_SEMAPHORE was not specified and the eventfd counter has a nonzero value, then a read(2) returns 8 bytes containing that value, and the counter's value is reset to zero\""),
    fault!(Preload, "eventfd-write-of-all-ones-succeeds", "eventfd", "write", &["eventfd"],
        "eventfd(2): \"An EINVAL error is returned if ... an attempt is made to write the value 0xffffffffffffffff\""),
    // posix_sem
    fault!(Preload, "sem-trywait-on-zero-succeeds", "posix_sem", "sem_trywait", &["posix_sem"],
        "sem_wait(3): sem_trywait: \"If the decrement cannot be immediately performed, then call returns an error (errno set to EAGAIN)\""),
    fault!(Preload, "sem-post-at-max-does-not-fail-eoverflow", "posix_sem", "sem_post", &["posix_sem"],
        "sem_post(3) EOVERFLOW: \"The maximum allowable value for a semaphore would be exceeded\""),
    fault!(Preload, "sem-open-ignores-o-excl", "posix_sem", "sem_open", &["posix_sem"],
        "sem_open(3): \"If both O_CREAT and O_EXCL are specified in oflag, then an error is returned if a semaphore with the given name already exists\" (EEXIST)"),
    // posix_shm
    fault!(Preload, "shm-open-ignores-o-trunc", "posix_shm", "shm_open", &["posix_shm"],
        "shm_open(3) O_TRUNC: \"If the shared memory object already exists, truncate it to zero bytes\""),
    fault!(Preload, "shm-open-descriptor-is-not-close-on-exec", "posix_shm", "shm_open", &["posix_shm"],
        "shm_open(3): \"The FD_CLOEXEC flag (see fcntl(2)) is set for the file descriptor\""),
    fault!(Preload, "shm-unlink-of-a-missing-name-succeeds", "posix_shm", "shm_unlink", &["posix_shm"],
        "shm_open(3) ENOENT: \"An attempt was made to shm_unlink() a name that does not exist\""),
    // posix_mq
    fault!(Seccomp, "mq-timedreceive-ignores-its-deadline", "posix_mq", "mq_timedreceive(abs_timeout != NULL)", &["posix_mq"],
        "mq_receive(3): abs_timeout \"specifies how long the call will block if the queue is empty\"; ETIMEDOUT when it expires"),
    fault!(Seccomp, "mq-send-ignores-the-priority", "posix_mq", "mq_timedsend(msg_prio != 0)", &["posix_mq"],
        "mq_send(3): \"Messages are placed on the queue in decreasing order of priority\"; mq_receive(3): \"the oldest of the messages with the highest priority\""),
    fault!(Seccomp, "mq-getattr-reports-no-messages", "posix_mq", "mq_getsetattr(newattr == NULL, oldattr != NULL)", &["posix_mq"],
        "mq_getattr(3): \"The mq_curmsgs field returns the number of messages currently held in the queue\""),
    fault!(Seccomp, "mq-notify-allows-a-second-registration", "posix_mq", "mq_notify(sevp != NULL)", &["posix_mq"],
        "mq_notify(3): \"Only one process can be registered to receive notification from a message queue\"; EBUSY"),
    // signal_io
    fault!(Preload, "sigio-is-never-delivered", "signal_io", "sigtimedwait", &["signal_io"],
        "fcntl(2) F_SETOWN/O_ASYNC: with an owner and O_ASYNC, \"a SIGIO signal is sent whenever input or output becomes possible on that file descriptor\" (here: it never arrives)"),
    fault!(Preload, "sigio-siginfo-names-the-wrong-fd", "signal_io", "sigtimedwait", &["signal_io"],
        "fcntl(2) F_SETSIG: \"the handler ... the file descriptor that generated the signal is in si_fd\""),
    fault!(Seccomp, "fcntl-setown-is-ignored", "signal_io", "fcntl(cmd == F_SETOWN)", &["signal_io"],
        "fcntl(2) F_SETOWN: \"Set the process ID or process group ID that will receive SIGIO and SIGURG signals for events on the file descriptor fd\" (here: it succeeds and changes nothing)"),
    fault!(Seccomp, "fcntl-getown-reports-the-wrong-owner", "signal_io", "fcntl(cmd == F_GETOWN)", &["signal_io"],
        "fcntl(2) F_GETOWN: \"Process IDs are returned as positive values; process group IDs are returned as negative values\" (here: the sign is flipped, a process reads back as the process group of that number)"),
    fault!(Seccomp, "fcntl-setsig-is-ignored", "signal_io", "fcntl(cmd == F_SETSIG)", &["signal_io"],
        "fcntl(2) F_SETSIG: \"Set the signal sent when input or output becomes possible to the value given in arg\" (here: it succeeds and changes nothing)"),
    // poll_select
    fault!(Seccomp, "select-ignores-exceptfds", "poll_select", "pselect6(exceptfds != NULL); select(exceptfds != NULL)", &["poll_select"],
        "select(2): exceptfds \"will be watched for exceptional conditions\" (TCP urgent data)"),
    fault!(Seccomp, "select-does-not-write-back-the-timeout", "poll_select", "pselect6(timeout != NULL); select(timeout != NULL)", &["poll_select"],
        "select(2): \"On Linux, select() modifies timeout to reflect the amount of time not slept\""),
    fault!(Preload, "poll-drops-pollhup-on-sockets", "poll_select", "poll", &["poll_select"],
        "poll(2) POLLHUP: \"Hang up (only returned in revents; ignored in events)\" — reported for a socket whose peer closed or that is unconnected"),
    fault!(Preload, "poll-reports-pollnval-for-a-negative-fd", "poll_select", "poll", &["poll_select"],
        "poll(2): \"If this field is negative, then the corresponding events field is ignored and the revents field returns zero\""),
    fault!(Seccomp, "ppoll-ignores-its-sigmask", "poll_select", "ppoll(sigmask != NULL)", &["poll_select"],
        "ppoll(2): the sigmask replaces the caller's signal mask for the duration of the call"),
    // epoll
    fault!(Preload, "epoll-ignores-epolloneshot", "epoll", "epoll_ctl", &["epoll"],
        "epoll_ctl(2) EPOLLONESHOT: \"after an event notification ... the file descriptor is disabled in the interest list\""),
    fault!(Preload, "epoll-ctl-mod-does-not-re-arm-a-oneshot", "epoll", "epoll_ctl", &["epoll"],
        "epoll_ctl(2) EPOLLONESHOT: \"The user must call epoll_ctl() with EPOLL_CTL_MOD to rearm the file descriptor with a new event mask\""),
    fault!(Preload, "epoll-ignores-epollet", "epoll", "epoll_ctl", &["epoll", "eventfd"],
        "epoll(7): \"The edge-triggered mode delivers events only when changes occur on the monitored file descriptor\""),
    // inet_sockets
    fault!(Seccomp, "recv-loses-msg-peek", "inet_sockets", "recvfrom(flags & MSG_PEEK); recvmsg(flags & MSG_PEEK)", &["inet_sockets", "unix_sockets", "ancillary"],
        "recv(2) MSG_PEEK: \"return data from the beginning of the receive queue without removing that data from the queue\""),
    fault!(Preload, "recvmsg-clears-msg-trunc", "inet_sockets", "recvmsg", &["inet_sockets", "unix_sockets"],
        "recvmsg(2) msg_flags MSG_TRUNC: \"indicates that the trailing portion of a datagram was discarded because the datagram was larger than the buffer supplied\""),
    fault!(Seccomp, "so-reuseaddr-is-ignored", "inet_sockets", "setsockopt(level == SOL_SOCKET, optname == SO_REUSEADDR)", &["inet_sockets"],
        "socket(7) SO_REUSEADDR / ip(7): a socket may bind a port left in TIME_WAIT when SO_REUSEADDR is set"),
    fault!(Seccomp, "shutdown-shut-wr-is-ignored", "inet_sockets", "shutdown(how == SHUT_WR)", &["inet_sockets", "unix_sockets", "poll_select"],
        "shutdown(2): \"If how is SHUT_WR, further transmissions will be disallowed\" (the peer reads end of file)"),
    // unix_sockets
    fault!(Preload, "unix-bind-replaces-a-leftover-socket-file", "unix_sockets", "bind", &["unix_sockets"],
        "unix(7) / bind(2) EADDRINUSE: binding to a pathname that exists (a leftover socket file) fails; the file must be unlinked first"),
    // ancillary
    fault!(Seccomp, "recvmsg-ignores-msg-cmsg-cloexec", "ancillary", "recvmsg(flags & MSG_CMSG_CLOEXEC)", &["ancillary"],
        "recvmsg(2) MSG_CMSG_CLOEXEC: \"Set the close-on-exec flag for the file descriptor received via a UNIX domain file descriptor using the SCM_RIGHTS operation\""),
    fault!(Seccomp, "so-passcred-is-ignored", "ancillary", "setsockopt(level == SOL_SOCKET, optname == SO_PASSCRED)", &["ancillary"],
        "unix(7) SO_PASSCRED: \"Enabling this socket option causes receipt of the credentials of the sending process in an SCM_CREDENTIALS ancillary message in each subsequently received message\""),
    // pty
    fault!(Seccomp, "tcsetattr-tcsaflush-keeps-unread-input", "pty", "ioctl(request == TCSETSF)", &["pty"],
        "termios(3) TCSAFLUSH: \"the change occurs after all output written to the object referred by fd has been transmitted, and all input that has been received but not read will be discarded\""),
    fault!(Preload, "grantpt-accepts-a-non-master", "pty", "grantpt", &["pty"],
        "grantpt(3) EINVAL: \"The fd argument is valid but not associated with a master pseudoterminal\""),
    // file_locks
    fault!(Seccomp, "flock-lock-nb-conflict-fails-eacces", "file_locks", "flock(operation & LOCK_NB)", &["file_locks"],
        "flock(2) EWOULDBLOCK: \"The file is locked and the LOCK_NB flag was selected\" (a wrong errno: EACCES)"),
    fault!(Seccomp, "fcntl-getlk-reports-pid-0", "file_locks", "fcntl(cmd == F_GETLK)", &["file_locks"],
        "fcntl(2) F_GETLK: \"returns details about one of these locks in the l_type, l_whence, l_start, and l_len fields of lock. ... places the PID of the holding process in l_pid\""),
    fault!(Seccomp, "ofd-setlk-takes-a-process-lock", "file_locks", "fcntl(cmd == F_OFD_SETLK); fcntl(cmd == F_OFD_SETLKW)", &["file_locks"],
        "fcntl(2) open file description locks: \"conflicting OFD locks ... acquired through different open file descriptions\" conflict, even in one process"),
    // cross_memory
    fault!(Seccomp, "process-vm-readv-ignores-flags", "cross_memory", "process_vm_readv(flags != 0)", &["cross_memory"],
        "process_vm_readv(2): \"The flags argument is currently unused and must be set to 0\"; EINVAL \"The sum of the iov_len values ... or flags is not 0\""),
    fault!(Seccomp, "process-vm-readv-fills-only-the-first-local-iovec", "cross_memory", "process_vm_readv(liovcnt > 1)", &["cross_memory"],
        "process_vm_readv(2): \"Data is transferred ... local_iov[0] ... then local_iov[1]\" — the local iovecs are filled in array order"),
    // shared_mappings
    fault!(Seccomp, "mmap-shared-file-mapping-is-private", "shared_mappings", "mmap(flags & (MAP_TYPE | MAP_ANONYMOUS) == MAP_SHARED, fd != -1)", &["shared_mappings", "posix_shm"],
        "mmap(2) MAP_SHARED: \"Updates to the mapping are visible to other processes mapping the same region, and ... are carried through to the underlying file\""),
    fault!(Seccomp, "memfd-create-ignores-mfd-cloexec", "shared_mappings", "memfd_create(flags & MFD_CLOEXEC)", &["shared_mappings"],
        "memfd_create(2) MFD_CLOEXEC: \"Set the close-on-exec (FD_CLOEXEC) flag on the new file descriptor\""),
    fault!(Seccomp, "msync-accepts-invalid-flags", "shared_mappings", "msync(flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)); msync(flags & (MS_SYNC | MS_ASYNC) == MS_SYNC | MS_ASYNC)", &["shared_mappings"],
        "msync(2) EINVAL: \"flags has some other bits set, or both MS_SYNC and MS_ASYNC are set in flags\""),
];

/// The fault called `name`.
pub fn find(name: &str) -> Option<&'static Fault> {
    FAULTS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{CStr, CString};

    fn shim_symbol(name: &str) -> String {
        let path = CString::new(SHIM).unwrap();
        // SAFETY: dlopen/dlsym of our own shim; the functions return static strings.
        unsafe {
            let h = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            assert!(!h.is_null(), "dlopen {SHIM}");
            let sym = CString::new(name).unwrap();
            let f = libc::dlsym(h, sym.as_ptr());
            assert!(!f.is_null(), "{name} missing from the shim");
            let f: extern "C" fn() -> *const libc::c_char = std::mem::transmute(f);
            CStr::from_ptr(f()).to_string_lossy().into_owned()
        }
    }

    #[test]
    fn the_catalogue_and_the_shim_name_the_same_faults() {
        let shim: Vec<String> = shim_symbol("ipcspec_faults_catalogue").lines().map(|l| l.split('\t').next().unwrap().to_string()).collect();
        let ours: Vec<String> = FAULTS.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(shim, ours);
    }

    /// The library's catalogue ("name<TAB>injector<TAB>rules") against [`FAULTS`]: every
    /// fault is injected the way the catalogue says, and a seccomp fault's `functions` is
    /// exactly what its filter traps.
    #[test]
    fn the_catalogue_and_the_shim_agree_on_injectors_and_trapped_calls() {
        let shim = shim_symbol("ipcspec_faults_catalogue");
        let lines: Vec<&str> = shim.lines().collect();
        assert_eq!(lines.len(), FAULTS.len());
        for (line, f) in lines.iter().zip(FAULTS) {
            let mut parts = line.split('\t');
            let (name, injector, rules) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap_or(""));
            assert_eq!(name, f.name);
            assert_eq!(Injector::parse(injector), Some(f.injector), "{name}");
            match f.injector {
                Injector::Seccomp => assert_eq!(rules, f.functions, "{name}: what the filter traps"),
                Injector::Preload => assert_eq!(rules, "", "{name}: a preload fault with seccomp rules"),
            }
        }
    }

    #[test]
    fn the_probe_has_a_case_for_every_seccomp_fault() {
        // The probe's usage error names no case; a known case runs (and prints one line).
        for f in FAULTS.iter().filter(|f| f.injector == Injector::Seccomp) {
            let out = std::process::Command::new(PROBE).arg(f.name).output().expect("running the probe");
            assert!(out.status.success(), "{}: {:?} {}", f.name, out.status, String::from_utf8_lossy(&out.stderr));
            assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1, "{}", f.name);
        }
    }

    #[test]
    fn there_are_at_least_forty_distinct_faults_over_every_mechanism() {
        let mut names: Vec<&str> = FAULTS.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FAULTS.len(), "duplicate fault names");
        assert!(FAULTS.len() >= 40, "{} faults", FAULTS.len());
        for m in [
            "fds", "pipes", "fifos", "nonblocking_io", "eventfd", "posix_sem", "posix_shm", "posix_mq", "signal_io",
            "poll_select", "epoll", "inet_sockets", "unix_sockets", "ancillary", "pty", "file_locks", "cross_memory",
            "shared_mappings",
        ] {
            assert!(FAULTS.iter().any(|f| f.mechanism == m), "no fault for {m}");
        }
        for f in FAULTS {
            assert_ne!(f.name, PASSTHROUGH);
            assert!(!f.suites.is_empty() && !f.breaks.is_empty(), "{}", f.name);
            assert!(f.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{}", f.name);
        }
    }

    #[test]
    fn without_a_fault_the_shim_is_not_active() {
        // dlopen runs the constructor in this process, whose environment selects no fault.
        assert_eq!(std::env::var_os(FAULT_ENV), None);
        assert_eq!(shim_symbol("ipcspec_faults_active"), "");
    }
}
