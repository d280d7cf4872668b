//! ipcspec's fault-injection shim and its catalogue of faults.
//!
//! The shim (src/faults.c, built by build.rs into [`SHIM`]) is an LD_PRELOAD library. With
//! `IPCSPEC_FAULT=<name>` in the environment of a test process it breaks exactly one
//! documented IPC semantic in the libc calls that process makes; with no fault selected it is
//! a transparent pass-through. `ipcspec selfcheck` runs, once per fault, the suites that claim
//! the broken semantic and reports whether they caught it (docs/trust.md).
//!
//! [`FAULTS`] says, per fault, what it breaks, where the claim is written and which suites
//! must catch it. Its names and the shim's are compared by a test.

/// The shared object to preload (an absolute path in this build's OUT_DIR).
pub const SHIM: &str = env!("IPCSPEC_FAULTS_SHIM");

/// The environment variable that selects the fault.
pub const FAULT_ENV: &str = "IPCSPEC_FAULT";

/// When set, each process appends "<fault> <pid> <function>" here the first time the fault
/// fires in it (so a MISSED fault can be told apart from a fault no test reached).
pub const LOG_ENV: &str = "IPCSPEC_FAULT_LOG";

/// One named fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What IPCSPEC_FAULT selects.
    pub name: &'static str,
    /// The mechanism (a docs/ section), for grouping the report.
    pub mechanism: &'static str,
    /// The libc function(s) it changes.
    pub functions: &'static str,
    /// The documented semantic it breaks, with its source.
    pub breaks: &'static str,
    /// The suites whose claims it breaks: selfcheck runs these, and the tests that catch the
    /// fault must be in them.
    pub suites: &'static [&'static str],
}

macro_rules! fault {
    ($name:literal, $mech:literal, $fns:literal, $suites:expr, $breaks:literal) => {
        Fault { name: $name, mechanism: $mech, functions: $fns, breaks: $breaks, suites: $suites }
    };
}

/// Every fault, grouped by mechanism.
pub static FAULTS: &[Fault] = &[
    // descriptors
    fault!("dup2-fails-ebusy-on-open-target", "fds", "dup2", &["fds"],
        "dup2(2): \"If the file descriptor newfd was previously open, it is closed before being reused\" (here: it fails EBUSY instead)"),
    fault!("dup-skips-the-lowest-free-fd", "fds", "dup", &["fds"],
        "dup(2): \"The new file descriptor number is guaranteed to be the lowest-numbered file descriptor that was unused\""),
    fault!("dup3-ignores-o-cloexec", "fds", "dup3", &["fds"],
        "dup3(2): O_CLOEXEC sets the close-on-exec flag on the new descriptor"),
    fault!("fcntl-setfl-drops-o-append", "fds", "fcntl(F_SETFL)", &["fds"],
        "fcntl(2) F_SETFL may change O_APPEND; open(2) O_APPEND: every write goes to the end"),
    fault!("fcntl-dupfd-ignores-the-minimum", "fds", "fcntl(F_DUPFD)", &["fds"],
        "fcntl(2) F_DUPFD: \"the lowest-numbered available file descriptor greater than or equal to arg\""),
    // pipes and FIFOs
    fault!("pipe2-ignores-o-cloexec", "pipes", "pipe2", &["pipes"],
        "pipe2(2) O_CLOEXEC: \"Set the close-on-exec (FD_CLOEXEC) flag on the two new file descriptors\""),
    fault!("pipe-returns-the-ends-swapped", "pipes", "pipe", &["pipes"],
        "pipe(2): \"pipefd[0] refers to the read end of the pipe. pipefd[1] refers to the write end\""),
    fault!("pipe-read-returns-eof-while-a-writer-is-open", "pipes", "read", &["pipes", "fifos"],
        "pipe(7): a read from an empty pipe blocks; it returns 0 (end of file) only when every write end is closed"),
    fault!("pipe-small-nonblocking-write-is-partial", "pipes", "write", &["pipes", "nonblocking_io"],
        "pipe(7), O_NONBLOCK with n <= PIPE_BUF: \"If there is room to write n bytes to the pipe, then write(2) succeeds immediately, writing all n bytes; otherwise write(2) fails, with errno set to EAGAIN\""),
    fault!("pipe-write-without-readers-raises-no-sigpipe", "pipes", "write", &["pipes", "fifos"],
        "pipe(7): \"If all file descriptors referring to the read end of a pipe have been closed, then a write(2) will cause a SIGPIPE signal to be generated\""),
    fault!("fcntl-setpipe-sz-does-not-round-up", "pipes", "fcntl(F_SETPIPE_SZ)", &["pipes"],
        "fcntl(2) F_SETPIPE_SZ: the kernel may use a larger capacity (a power-of-two number of pages) and returns the actual size"),
    fault!("fifo-open-wronly-nonblock-without-reader-succeeds", "fifos", "open", &["fifos"],
        "fifo(7): \"A process can open a FIFO in nonblocking mode ... opening for write-only will fail with ENXIO unless the other end has already been opened\""),
    fault!("fifo-open-rdonly-does-not-wait-for-a-writer", "fifos", "open", &["fifos"],
        "fifo(7): \"Normally, opening the FIFO blocks until the other end is opened also\""),
    fault!("mkfifo-ignores-the-umask", "fifos", "mkfifo, mkfifoat", &["fifos"],
        "mkfifo(3): \"It is modified by the process's umask in the usual way: the permissions of the created file are (mode & ~umask)\""),
    // nonblocking I/O
    fault!("nonblocking-read-returns-0-instead-of-eagain", "nonblocking_io", "read", &["nonblocking_io", "pipes"],
        "read(2) EAGAIN: \"The file descriptor fd refers to a file other than a socket and has been marked nonblocking (O_NONBLOCK), and the read would block\" (not 0, which is end of file)"),
    fault!("accept4-ignores-sock-nonblock", "nonblocking_io", "accept4", &["nonblocking_io"],
        "accept(2): accept4 SOCK_NONBLOCK \"Set the O_NONBLOCK file status flag on the open file description referred to by the new file descriptor\""),
    fault!("nonblocking-tcp-connect-completes-synchronously", "nonblocking_io", "connect", &["nonblocking_io", "inet_sockets"],
        "connect(2) EINPROGRESS: \"The socket is nonblocking and the connection cannot be completed immediately\""),
    fault!("msg-dontwait-sets-o-nonblock-on-the-socket", "nonblocking_io", "recv, recvfrom, recvmsg", &["nonblocking_io"],
        "recv(2) MSG_DONTWAIT: \"Enables nonblocking operation ... This provides similar behavior to setting the O_NONBLOCK flag ... but differs in that MSG_DONTWAIT is a per-call option\""),
    // eventfd
    fault!("eventfd-ignores-efd-semaphore", "eventfd", "eventfd", &["eventfd"],
        "eventfd(2) EFD_SEMAPHORE: \"If EFD_SEMAPHORE was specified and the eventfd counter has a nonzero value, then a read(2) returns 8 bytes containing the value 1, and the counter's value is decremented by 1\""),
    fault!("eventfd-read-does-not-reset-the-counter", "eventfd", "read", &["eventfd"],
        "eventfd(2): \"If EFD_SEMAPHORE was not specified and the eventfd counter has a nonzero value, then a read(2) returns 8 bytes containing that value, and the counter's value is reset to zero\""),
    fault!("eventfd-write-of-all-ones-succeeds", "eventfd", "write", &["eventfd"],
        "eventfd(2): \"An EINVAL error is returned if ... an attempt is made to write the value 0xffffffffffffffff\""),
    // POSIX semaphores
    fault!("sem-trywait-on-zero-succeeds", "posix_sem", "sem_trywait", &["posix_sem"],
        "sem_wait(3): sem_trywait: \"If the decrement cannot be immediately performed, then call returns an error (errno set to EAGAIN)\""),
    fault!("sem-post-at-max-does-not-fail-eoverflow", "posix_sem", "sem_post", &["posix_sem"],
        "sem_post(3) EOVERFLOW: \"The maximum allowable value for a semaphore would be exceeded\""),
    fault!("sem-timedwait-checks-the-deadline-before-decrementing", "posix_sem", "sem_timedwait", &["posix_sem"],
        "sem_wait(3): \"If the timeout has already expired by the time of the call, and the semaphore could not be locked immediately, then sem_timedwait() fails\" (only then)"),
    fault!("sem-open-ignores-o-excl", "posix_sem", "sem_open", &["posix_sem"],
        "sem_open(3): \"If both O_CREAT and O_EXCL are specified in oflag, then an error is returned if a semaphore with the given name already exists\" (EEXIST)"),
    // POSIX shared memory
    fault!("shm-open-ignores-o-trunc", "posix_shm", "shm_open", &["posix_shm"],
        "shm_open(3) O_TRUNC: \"If the shared memory object already exists, truncate it to zero bytes\""),
    fault!("shm-open-descriptor-is-not-close-on-exec", "posix_shm", "shm_open", &["posix_shm"],
        "shm_open(3): \"The FD_CLOEXEC flag (see fcntl(2)) is set for the file descriptor\""),
    fault!("shm-unlink-of-a-missing-name-succeeds", "posix_shm", "shm_unlink", &["posix_shm"],
        "shm_open(3) ENOENT: \"An attempt was made to shm_unlink() a name that does not exist\""),
    // POSIX message queues
    fault!("mq-timedreceive-ignores-its-deadline", "posix_mq", "mq_timedreceive", &["posix_mq"],
        "mq_receive(3): abs_timeout \"specifies how long the call will block if the queue is empty\"; ETIMEDOUT when it expires"),
    fault!("mq-send-ignores-the-priority", "posix_mq", "mq_send, mq_timedsend", &["posix_mq"],
        "mq_send(3): \"Messages are placed on the queue in decreasing order of priority\"; mq_receive(3): \"the oldest of the messages with the highest priority\""),
    fault!("mq-getattr-reports-no-messages", "posix_mq", "mq_getattr", &["posix_mq"],
        "mq_getattr(3): \"The mq_curmsgs field returns the number of messages currently held in the queue\""),
    fault!("mq-notify-allows-a-second-registration", "posix_mq", "mq_notify", &["posix_mq"],
        "mq_notify(3): \"Only one process can be registered to receive notification from a message queue\"; EBUSY"),
    // signal-driven I/O
    fault!("sigio-is-never-delivered", "signal_io", "sigtimedwait", &["signal_io"],
        "fcntl(2) F_SETOWN/O_ASYNC: with an owner and O_ASYNC, \"a SIGIO signal is sent whenever input or output becomes possible on that file descriptor\" (here: it never arrives)"),
    fault!("sigio-siginfo-names-the-wrong-fd", "signal_io", "sigtimedwait", &["signal_io"],
        "fcntl(2) F_SETSIG: \"the handler ... the file descriptor that generated the signal is in si_fd\""),
    // poll and select
    fault!("select-ignores-exceptfds", "poll_select", "select", &["poll_select"],
        "select(2): exceptfds \"will be watched for exceptional conditions\" (TCP urgent data)"),
    fault!("select-does-not-write-back-the-timeout", "poll_select", "select", &["poll_select"],
        "select(2): \"On Linux, select() modifies timeout to reflect the amount of time not slept\""),
    fault!("poll-drops-pollhup-on-sockets", "poll_select", "poll", &["poll_select"],
        "poll(2) POLLHUP: \"Hang up (only returned in revents; ignored in events)\" — reported for a socket whose peer closed or that is unconnected"),
    fault!("poll-reports-pollnval-for-a-negative-fd", "poll_select", "poll", &["poll_select"],
        "poll(2): \"If this field is negative, then the corresponding events field is ignored and the revents field returns zero\""),
    fault!("ppoll-ignores-its-sigmask", "poll_select", "ppoll", &["poll_select"],
        "ppoll(2): the sigmask replaces the caller's signal mask for the duration of the call"),
    // epoll
    fault!("epoll-ignores-epolloneshot", "epoll", "epoll_ctl", &["epoll"],
        "epoll_ctl(2) EPOLLONESHOT: \"after an event notification ... the file descriptor is disabled in the interest list\""),
    fault!("epoll-ctl-mod-does-not-re-arm-a-oneshot", "epoll", "epoll_ctl", &["epoll"],
        "epoll_ctl(2) EPOLLONESHOT: \"The user must call epoll_ctl() with EPOLL_CTL_MOD to rearm the file descriptor with a new event mask\""),
    fault!("epoll-ignores-epollet", "epoll", "epoll_ctl", &["epoll", "eventfd"],
        "epoll(7): \"The edge-triggered mode delivers events only when changes occur on the monitored file descriptor\""),
    // sockets
    fault!("recv-loses-msg-peek", "inet_sockets", "recv, recvfrom, recvmsg", &["inet_sockets", "unix_sockets", "ancillary"],
        "recv(2) MSG_PEEK: \"return data from the beginning of the receive queue without removing that data from the queue\""),
    fault!("recvmsg-clears-msg-trunc", "inet_sockets", "recvmsg", &["inet_sockets", "unix_sockets"],
        "recvmsg(2) msg_flags MSG_TRUNC: \"indicates that the trailing portion of a datagram was discarded because the datagram was larger than the buffer supplied\""),
    fault!("so-reuseaddr-is-ignored", "inet_sockets", "setsockopt(SO_REUSEADDR)", &["inet_sockets"],
        "socket(7) SO_REUSEADDR / ip(7): a socket may bind a port left in TIME_WAIT when SO_REUSEADDR is set"),
    fault!("shutdown-shut-wr-is-ignored", "inet_sockets", "shutdown(SHUT_WR)", &["inet_sockets", "unix_sockets", "poll_select"],
        "shutdown(2): \"If how is SHUT_WR, further transmissions will be disallowed\" (the peer reads end of file)"),
    fault!("inet-pton-accepts-numbers-and-dots", "inet_sockets", "inet_pton", &["inet_sockets"],
        "inet_pton(3): AF_INET src is \"in dotted-decimal format, ddd.ddd.ddd.ddd\"; \"inet_pton() does not recognize these formats\" (the numbers-and-dots forms of inet_aton)"),
    fault!("unix-bind-replaces-a-leftover-socket-file", "unix_sockets", "bind", &["unix_sockets"],
        "unix(7) / bind(2) EADDRINUSE: binding to a pathname that exists (a leftover socket file) fails; the file must be unlinked first"),
    // ancillary data
    fault!("recvmsg-ignores-msg-cmsg-cloexec", "ancillary", "recvmsg", &["ancillary"],
        "recvmsg(2) MSG_CMSG_CLOEXEC: \"Set the close-on-exec flag for the file descriptor received via a UNIX domain file descriptor using the SCM_RIGHTS operation\""),
    fault!("so-passcred-is-ignored", "ancillary", "setsockopt(SO_PASSCRED)", &["ancillary"],
        "unix(7) SO_PASSCRED: \"Enabling this socket option causes receipt of the credentials of the sending process in an SCM_CREDENTIALS ancillary message in each subsequently received message\""),
    // pty
    fault!("tcsetattr-tcsaflush-keeps-unread-input", "pty", "tcsetattr", &["pty"],
        "termios(3) TCSAFLUSH: \"the change occurs after all output written to the object referred by fd has been transmitted, and all input that has been received but not read will be discarded\""),
    fault!("grantpt-accepts-a-non-master", "pty", "grantpt", &["pty"],
        "grantpt(3) EINVAL: \"The fd argument is valid but not associated with a master pseudoterminal\""),
    // locks
    fault!("flock-lock-nb-conflict-fails-eacces", "file_locks", "flock", &["file_locks"],
        "flock(2) EWOULDBLOCK: \"The file is locked and the LOCK_NB flag was selected\" (a wrong errno: EACCES)"),
    fault!("fcntl-getlk-reports-pid-0", "file_locks", "fcntl(F_GETLK)", &["file_locks"],
        "fcntl(2) F_GETLK: \"returns details about one of these locks in the l_type, l_whence, l_start, and l_len fields of lock. ... places the PID of the holding process in l_pid\""),
    fault!("ofd-setlk-takes-a-process-lock", "file_locks", "fcntl(F_OFD_SETLK)", &["file_locks"],
        "fcntl(2) open file description locks: \"conflicting OFD locks ... acquired through different open file descriptions\" conflict, even in one process"),
    // cross memory
    fault!("process-vm-readv-ignores-flags", "cross_memory", "process_vm_readv", &["cross_memory"],
        "process_vm_readv(2): \"The flags argument is currently unused and must be set to 0\"; EINVAL \"The sum of the iov_len values ... or flags is not 0\""),
    fault!("process-vm-readv-fills-only-the-first-local-iovec", "cross_memory", "process_vm_readv", &["cross_memory"],
        "process_vm_readv(2): \"Data is transferred ... local_iov[0] ... then local_iov[1]\" — the local iovecs are filled in array order"),
    // shared mappings
    fault!("mmap-shared-file-mapping-is-private", "shared_mappings", "mmap", &["shared_mappings", "posix_shm"],
        "mmap(2) MAP_SHARED: \"Updates to the mapping are visible to other processes mapping the same region, and ... are carried through to the underlying file\""),
    fault!("memfd-create-ignores-mfd-cloexec", "shared_mappings", "memfd_create", &["shared_mappings"],
        "memfd_create(2) MFD_CLOEXEC: \"Set the close-on-exec (FD_CLOEXEC) flag on the new file descriptor\""),
    fault!("msync-accepts-invalid-flags", "shared_mappings", "msync", &["shared_mappings"],
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
        let shim: Vec<String> = shim_symbol("ipcspec_faults_known").lines().map(str::to_string).collect();
        let ours: Vec<String> = FAULTS.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(shim, ours);
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
