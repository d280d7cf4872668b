//! Pidfds handed out at creation: clone(2) with CLONE_PIDFD, and the clone3(2) flags that
//! tie a child's life to its pidfd.

use std::os::fd::AsRawFd;

use fixtures::io::fd_flags;
use fixtures::memory::Mapping;
use fixtures::poll::{revents, wait_for_events};
use fixtures::procfs::status_field_in;
use fixtures::{assert_errno, needs, run_in_child, variant};
use nix::errno::Errno;
use pidfd::calls::{Waited, fdinfo_pid, pidfds_usable, waitid};
use pidfd::held::Held;
use pidfd::info::{PIDFD_INFO_EXIT, SIZE_VER1, get_info};
use pidfd::needs_pidfd_open;

/// clone(2), CLONE_PIDFD (since Linux 5.2): "If this flag is specified, a PID file
/// descriptor referring to the child process is allocated and placed at a specified location
/// in the parent's memory. The close-on-exec flag is set on this new file descriptor";
/// pidfd_open(2), NOTES: the descriptor is readable once the process "terminates and becomes
/// a zombie". Asserted with the raw clone(CLONE_PIDFD|SIGCHLD): FD_CLOEXEC set; not readable
/// while the child runs (bounded wait); readable after it exits; waitid(P_PIDFD) on it reaps
/// the child with its status. Variant as for pidfd_open(2): `present`; `absent` (no pidfds:
/// ENOSYS from pidfd_open, a kernel before 5.3, where CLONE_PIDFD is not accepted either);
/// `blocked` (a seccomp filter; SKIP). (Go's os.StartProcess asks for this pidfd.)
#[test]
fn clone_pidfd_gives_a_cloexec_pidfd_of_the_child() {
    needs_pidfd_open!();
    let (mut child, fd) = Held::clone_pidfd(4).expect("clone(CLONE_PIDFD|SIGCHLD)");
    assert_eq!(fd_flags(&fd) & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    assert_eq!(fdinfo_pid(&fd), i64::from(child.pid()));
    // A pidfd's readiness is computed when it is polled (the task's exit state), and the
    // child is held alive: a poll that does not wait is the whole proof.
    assert_eq!(revents(&fd, libc::POLLIN, 0), 0, "readable while the child runs");
    child.release();
    wait_for_events(&fd, libc::POLLIN, "the clone pidfd to become readable");
    assert_eq!(waitid(&fd, libc::WEXITED), Ok(Some(Waited { pid: child.pid(), code: libc::CLD_EXITED, status: 4 })));
}

extern "C" fn thread_waits_on_fd(arg: *mut libc::c_void) -> libc::c_int {
    let mut b = 0u8;
    // SAFETY: a read into a local byte from the descriptor passed as the argument; this raw
    // thread shares the creator's TLS, so it makes no other call.
    unsafe { libc::read(arg as usize as libc::c_int, (&mut b as *mut u8).cast(), 1) };
    0
}

/// clone(2), ERRORS: "EINVAL (before Linux 6.9) Both CLONE_THREAD and CLONE_PIDFD were
/// specified in flags." Since 6.9 the combination gives a pidfd of the new thread (a thread
/// pidfd, as pidfd_open(2) with PIDFD_THREAD): its fdinfo "Pid:" is the new thread's id, it
/// is not readable while the thread runs (bounded wait) and becomes readable when the thread
/// exits, while the process (a child of the test, where the thread is made) goes on. Before
/// 6.9 (variant `absent`): EINVAL.
///
/// Kernel change: 6.9 — clone(2) accepts CLONE_PIDFD together with CLONE_THREAD.
#[test]
fn clone_pidfd_with_clone_thread_gives_a_pidfd_of_the_thread() {
    needs!(gate(pidfds_usable()));
    run_in_child("creator of a raw thread", || {
        let stack = Mapping::anonymous(256 * 1024, false);
        let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let mut pidfd: libc::c_int = -1;
        let flags = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_FILES
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM
            | libc::CLONE_PIDFD;
        // SAFETY: a new thread on its own stack (the top of the mapping) that only reads one
        // byte from `rx` and returns; glibc's clone(3) then ends it with exit(2).
        let tid = unsafe {
            libc::clone(
                thread_waits_on_fd,
                stack.as_ptr().wrapping_add(stack.len()).cast(),
                flags,
                rx.as_raw_fd() as usize as *mut libc::c_void,
                &mut pidfd as *mut libc::c_int,
            )
        };
        if !variant::since(6, 9, "CLONE_PIDFD with CLONE_THREAD") {
            assert_eq!((tid, Errno::last()), (-1, Errno::EINVAL), "CLONE_THREAD|CLONE_PIDFD before 6.9");
            return;
        }
        assert!(tid > 0, "clone(CLONE_THREAD|CLONE_PIDFD): {}", Errno::last());
        let fd = fixtures::io::owned(pidfd);
        assert_eq!(fdinfo_pid(&fd), i64::from(tid));
        assert_ne!(tid, nix::unistd::getpid().as_raw(), "a new thread, not the process");
        // Computed when polled, and the thread is held alive: a poll that does not wait suffices.
        assert_eq!(revents(&fd, libc::POLLIN, 0), 0, "readable while the thread runs");
        nix::unistd::write(&tx, b"x").unwrap();
        wait_for_events(&fd, libc::POLLIN, "the thread pidfd to become readable");
        drop(stack); // the thread has exited: its stack is no longer used
    })
    .expect_success();
}

/// clone3(2), CLONE_AUTOREAP (commit "clone: add CLONE_AUTOREAP", 5bf5f6362167 in the vfs
/// tree): "makes a child process auto-reap on exit without ever becoming a zombie ... No
/// exit signal is delivered so exit_signal must be zero"; with CLONE_PIDFD "the parent [can]
/// monitor the child's exit via poll() and retrieve exit status via PIDFD_GET_INFO" (the
/// series' cover letter, v5, 2026-02-26). Asserted: the pidfd reports POLLHUP (pidfd_open(2):
/// "When the task is reaped, these interfaces produce a hangup event") without anybody
/// waiting, waitid(P_PIDFD) then fails ECHILD, and PIDFD_GET_INFO with PIDFD_INFO_EXIT gives
/// the exit status 7 as a wait status (0x700). Before (variant `absent`) the flag is an
/// unknown clone3 bit: EINVAL ("Invalid flags").
///
/// Kernel change: 7.1 — clone3(2) CLONE_AUTOREAP: a child that is reaped by the kernel on exit.
#[test]
fn clone3_autoreap_child_is_reaped_without_waiting() {
    needs!(gate(pidfds_usable()));
    let r = Held::clone3(libc::CLONE_PIDFD as u64 | CLONE_AUTOREAP, 0, 7);
    // docker's default profile answers every clone3 with ENOSYS (so that libc falls back to clone).
    fixtures::skip_if_filtered!("clone3", (5, 3), &r);
    if !variant::since(7, 1, "CLONE_AUTOREAP") {
        assert_errno!(r.map(drop), Errno::EINVAL, "clone3(CLONE_AUTOREAP) before 7.1");
        return;
    }
    let (mut child, fd) = r.expect("clone3(CLONE_PIDFD|CLONE_AUTOREAP)");
    let fd = fd.expect("CLONE_PIDFD stored a pidfd");
    child.release();
    let hup = revents(&fd, 0, fixtures::deadline::poll_ms(fixtures::DEFAULT_DEADLINE));
    assert_eq!(hup & libc::POLLHUP, libc::POLLHUP, "the autoreaped child was released (revents {hup:#x})");
    assert_errno!(waitid(&fd, libc::WEXITED | libc::WNOHANG), Errno::ECHILD);
    let info = get_info(&fd, PIDFD_INFO_EXIT, SIZE_VER1).expect("PIDFD_GET_INFO of the reaped child");
    assert_eq!((info.mask & PIDFD_INFO_EXIT, info.exit_code), (PIDFD_INFO_EXIT, 7 << 8));
}

/// clone3(2), CLONE_PIDFD_AUTOKILL and CLONE_NNP (commits "pidfd: add CLONE_PIDFD_AUTOKILL",
/// 288c8ebbbaa2, and "clone: add CLONE_NNP", c5bbfc58db1a, in the vfs tree): "When the last
/// reference to the struct file created by clone3() is closed the kernel sends SIGKILL to the
/// child. A pidfd obtained via pidfd_open() for the same process does not keep the child
/// alive"; it "requires both CLONE_PIDFD and CLONE_AUTOREAP", and an unprivileged caller may
/// use it together with CLONE_NNP, which "sets no_new_privs on the child at clone time" (the
/// series' cover letter, v5). Asserted: the child has NoNewPrivs 1 in /proc/<pid>/status;
/// closing the clone pidfd (another pidfd_open(2) descriptor stays open) kills it: that other
/// pidfd reports POLLHUP (reaped, nobody waited) and PIDFD_GET_INFO gives the wait status of
/// SIGKILL. Before (variant `absent`): EINVAL (unknown clone3 flags).
///
/// Kernel change: 7.1 — clone3(2) CLONE_PIDFD_AUTOKILL and CLONE_NNP: a child killed when its clone pidfd is closed.
#[test]
fn clone3_pidfd_autokill_kills_the_child_when_its_pidfd_is_closed() {
    needs!(gate(pidfds_usable()));
    let flags = libc::CLONE_PIDFD as u64 | CLONE_AUTOREAP | CLONE_NNP | CLONE_PIDFD_AUTOKILL;
    let r = Held::clone3(flags, 0, 0);
    fixtures::skip_if_filtered!("clone3", (5, 3), &r);
    if !variant::since(7, 1, "CLONE_PIDFD_AUTOKILL") {
        assert_errno!(r.map(drop), Errno::EINVAL, "clone3(CLONE_PIDFD_AUTOKILL|CLONE_NNP) before 7.1");
        return;
    }
    let (child, fd) = r.expect("clone3(CLONE_PIDFD|CLONE_AUTOREAP|CLONE_NNP|CLONE_PIDFD_AUTOKILL)");
    let fd = fd.expect("CLONE_PIDFD stored a pidfd");
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.pid())).unwrap();
    assert_eq!(status_field_in(&status, "NoNewPrivs").as_deref(), Some("1"));
    let other = child.own_pidfd().expect("a pidfd_open(2) descriptor of the child");
    // Computed when polled: a poll that does not wait shows whether the child is alive now.
    assert_eq!(revents(other, libc::POLLIN, 0), 0, "alive while its clone pidfd is open");
    drop(fd);
    let hup = revents(other, 0, fixtures::deadline::poll_ms(fixtures::DEFAULT_DEADLINE));
    assert_eq!(hup & libc::POLLHUP, libc::POLLHUP, "the child was killed and reaped (revents {hup:#x})");
    let info = get_info(other, PIDFD_INFO_EXIT, SIZE_VER1).expect("PIDFD_GET_INFO of the killed child");
    assert_eq!((info.mask & PIDFD_INFO_EXIT, info.exit_code), (PIDFD_INFO_EXIT, libc::SIGKILL));
}

/// <linux/sched.h> (7.2): clone3-only flags.
const CLONE_AUTOREAP: u64 = 1 << 34;
const CLONE_NNP: u64 = 1 << 35;
const CLONE_PIDFD_AUTOKILL: u64 = 1 << 36;
