//! /proc/self/fd and /proc/self/fdinfo (proc(5)): the descriptor table as the kernel sees
//! it. Claims about which numbers are listed run in a forked child.

use std::os::fd::{AsFd, AsRawFd, IntoRawFd};

use fds::{TempFile, close, dup, dup2, fcntl, fdinfo_flags, fdinfo_pos, seek_to, vacate};
use fixtures::io::{open, raw_fd, read_once, setfl};
use fixtures::procfs::{fd_is_open, fd_target, open_fds};
use fixtures::{Scratch, run_in_child, variant};

/// proc(5), /proc/pid/fd/: "This is a subdirectory containing one entry for each file
/// which the process has open, named by its file descriptor". An fd appears when opened
/// and disappears when closed, and every listed entry is an open fd.
#[test]
fn proc_self_fd_lists_exactly_the_open_fds() {
    let s = Scratch::new();
    let path = s.file("f", b"");
    run_in_child("fd listing", || {
        let fd = open(&path, libc::O_RDONLY).unwrap().into_raw_fd();
        let listed = open_fds();
        let open: Vec<i32> = (0..4096).filter(|n| fd_is_open(raw_fd(*n))).collect();
        for n in &open {
            assert!(listed.contains(n), "open fd {n} is not listed in {listed:?}");
        }
        // The only listed number that is not open afterwards is the directory fd the
        // listing itself used.
        let stale: Vec<&i32> = listed.iter().filter(|n| !open.contains(n)).collect();
        assert!(stale.len() <= 1, "closed fds listed: {stale:?}");
        assert!(listed.contains(&fd), "new fd {fd} is not listed");
        // Closed: no longer listed (a high number, so that the listing's own directory fd
        // cannot take it).
        vacate([700]);
        let high = dup2(raw_fd(fd), 700).unwrap();
        assert!(open_fds().contains(&high));
        close(high).unwrap();
        assert!(!open_fds().contains(&high), "closed fd {high} is still listed");
        close(fd).unwrap();
    })
    .expect_success();
}

/// proc(5), /proc/pid/fd/: "each entry is a symbolic link to the actual file"; for pipes
/// and sockets "type:[inode]" — both ends of one pipe name the same inode.
#[test]
fn proc_self_fd_links_name_the_file_or_the_pipe_inode() {
    let f = TempFile::open(b"", libc::O_RDONLY | libc::O_CLOEXEC);
    assert_eq!(fd_target(&f), f.path().canonicalize().unwrap().to_string_lossy());
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let ino = nix::sys::stat::fstat(&rx).unwrap().st_ino;
    assert_eq!(fd_target(&rx), format!("pipe:[{ino}]"));
    assert_eq!(fd_target(&tx), format!("pipe:[{ino}]"));
}

/// proc(5), fdinfo "pos: This is a decimal number showing the file offset." It follows
/// reads and lseek, and a duplicate shows the same (shared) offset.
#[test]
fn fdinfo_pos_is_the_current_file_offset() {
    let f = TempFile::open(&[7u8; 5000], libc::O_RDONLY | libc::O_CLOEXEC);
    assert_eq!(fdinfo_pos(&f), 0);
    let mut buf = [0u8; 123];
    assert_eq!(read_once(&f, &mut buf), Ok(123));
    assert_eq!(fdinfo_pos(&f), 123);
    seek_to(&f, 4321);
    assert_eq!(fdinfo_pos(&f), 4321);
    let d = dup(&f).unwrap();
    assert_eq!(fdinfo_pos(raw_fd(d)), 4321, "a duplicate shows another offset");
    close(d).unwrap();
}

/// proc(5), fdinfo "flags: This is an octal number that displays the file access mode and
/// file status flags (see open(2)). If the close-on-exec file descriptor flag is set, then
/// flags will also include the value O_CLOEXEC." (current setting, since Linux 3.1).
#[test]
fn fdinfo_flags_show_access_mode_status_flags_and_current_close_on_exec() {
    let f = TempFile::open(b"", libc::O_WRONLY);
    let fl = fdinfo_flags(&f);
    assert_eq!(fl & libc::O_ACCMODE, libc::O_WRONLY, "flags {fl:#o}");
    assert_eq!(fl & (libc::O_APPEND | libc::O_NONBLOCK | libc::O_CLOEXEC), 0, "flags {fl:#o}");
    setfl(&f, libc::O_APPEND | libc::O_NONBLOCK).unwrap();
    fcntl(&f, libc::F_SETFD, libc::FD_CLOEXEC).unwrap();
    let fl = fdinfo_flags(&f);
    let want = libc::O_APPEND | libc::O_NONBLOCK | libc::O_CLOEXEC;
    assert_eq!(fl & want, want, "flags {fl:#o} after F_SETFL/F_SETFD");
    fcntl(&f, libc::F_SETFD, 0).unwrap();
    assert_eq!(fdinfo_flags(&f) & libc::O_CLOEXEC, 0, "O_CLOEXEC still shown after clearing FD_CLOEXEC");
}

/// proc(5), /proc/pid/fd/: opening an entry opens the file it links to — a *new* open
/// file description (open(2): "Each open() of a file creates a new open file
/// description"), so its offset is independent of the original's.
#[test]
fn opening_a_proc_self_fd_entry_makes_a_new_open_file_description() {
    let f = TempFile::open(b"0123456789", libc::O_RDONLY | libc::O_CLOEXEC);
    seek_to(&f, 6);
    let link = std::path::PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd()));
    let again = open(&link, libc::O_RDONLY | libc::O_CLOEXEC).unwrap();
    assert_eq!(fdinfo_pos(&again), 0);
    let mut buf = [0u8; 3];
    assert_eq!(read_once(&again, &mut buf), Ok(3));
    assert_eq!(&buf, b"012");
    assert_eq!(fdinfo_pos(&f), 6, "reading the reopened file moved the original's offset");
}

/// proc_pid_fdinfo(5): "ino: This field, present since Linux 5.14, is the decimal inode
/// number of the file" — for a regular file and a pipe it is fstat(2)'s st_ino. Before 5.14
/// the line is not there (variant `absent`).
///
/// Kernel change: 5.14, commit 3845f256a8b5 — /proc/<pid>/fdinfo shows the inode number (ino:).
#[test]
fn fdinfo_ino_is_the_inode_number_since_5_14() {
    let f = TempFile::open(b"", libc::O_RDONLY | libc::O_CLOEXEC);
    let (rx, _tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let has = variant::since(5, 14, "the fdinfo ino: field");
    for fd in [f.as_fd(), rx.as_fd()] {
        let info = fixtures::procfs::fdinfo(fd);
        if has {
            let ino = nix::sys::stat::fstat(fd).unwrap().st_ino;
            assert_eq!(info.get("ino").map(String::as_str), Some(ino.to_string().as_str()), "{info:?}");
        } else {
            assert!(!info.contains_key("ino"), "{info:?}");
        }
    }
}

/// The fdinfo of a pidfd (pidfd_open(2), Linux 5.3) names its process: "Pid:" is the pid —
/// also while the process is a zombie — and becomes -1, as does "NSpid:", once the process
/// has been reaped (kernel/fork.c, later fs/pidfs.c, pidfd_show_fdinfo(): -1 when the pid has
/// no task; no man page describes these lines). The same on every kernel here (5.10 included).
#[test]
fn a_pidfd_fdinfo_pid_is_minus_1_once_the_process_is_reaped() {
    let mut child = fixtures::spawn("exits at once", || fixtures::child::exit_now(0));
    let pid = child.pid().as_raw();
    // SAFETY: pidfd_open with a pid and no flags; the descriptor is owned below.
    let pidfd = fixtures::sys(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int)
        .map(fixtures::io::owned)
        .expect("pidfd_open");
    let field = |name: &str| fixtures::procfs::fdinfo(&pidfd).get(name).cloned();
    // A zombie: exited, not yet waited for (waitid WNOWAIT leaves it so).
    fixtures::child::await_child_state(child.pid(), libc::WEXITED, "the child's exit");
    assert_eq!(field("Pid"), Some(pid.to_string()), "a zombie still has its pid");
    child.join().expect_success();
    assert_eq!(field("Pid").as_deref(), Some("-1"), "reaped");
    assert_eq!(field("NSpid").as_deref(), Some("-1"), "reaped");
}
