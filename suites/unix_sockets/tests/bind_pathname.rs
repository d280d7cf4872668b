//! Binding to a filesystem pathname (unix(7), "Pathname sockets", "Pathname socket ownership
//! and permissions", NOTES): the socket file, its mode and owner, the name staying in use
//! until unlinked, and the path errors of bind(2).

use std::os::unix::fs::{FileTypeExt, MetadataExt};

use fixtures::privilege::{NOBODY, drop_to_nobody};
use fixtures::{Scratch, assert_errno, run_in_child};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::*;

/// unix(7): "a UNIX domain socket can be bound to a null-terminated filesystem pathname using
/// bind(2)", and NOTES: "Binding to a socket with a filename creates a socket in the
/// filesystem". Asserted: the path exists afterwards and lstat says S_IFSOCK.
#[rstest]
#[parallel]
fn bind_creates_a_socket_file(#[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType) {
    let s = Scratch::new();
    let path = s.join("sock");
    assert!(!path.exists());
    let fd = socket(ty, 0);
    assert_eq!(bind(&fd, &UnixAddr::pathname(&path)), Ok(()));
    let meta = std::fs::symlink_metadata(&path).expect("the socket file exists");
    assert!(meta.file_type().is_socket(), "mode {:o} is not a socket", meta.mode());
    assert_eq!(meta.mode() & libc::S_IFMT, libc::S_IFSOCK);
}

/// unix(7), "Pathname socket ownership and permissions": "The socket file has all
/// permissions enabled, other than those that are turned off by the process umask(2)."
/// The umask is set in a child (it is per process).
#[rstest]
#[serial]
#[case::umask_000(0o000, 0o777)]
#[case::umask_022(0o022, 0o755)]
#[case::umask_077(0o077, 0o700)]
#[case::umask_721(0o721, 0o056)]
fn socket_file_mode_is_0777_minus_the_umask(
    #[case] umask: u32,
    #[case] expected: u32,
    #[values(SockType::Stream, SockType::Dgram)] ty: SockType,
) {
    let s = Scratch::new();
    let path = s.join("sock");
    run_in_child("bind under a umask", || {
        set_umask(umask);
        let fd = socket(ty, 0);
        assert_eq!(bind(&fd, &UnixAddr::pathname(&path)), Ok(()));
        assert_eq!(lstat_mode(&path) & 0o7777, expected, "umask {umask:03o}");
    })
    .expect_success();
}

/// unix(7): "When creating a new socket, the owner and group of the socket file are set
/// according to the usual rules": a process running as nobody creates a file owned by
/// nobody/nogroup (checked in a child that drops to uid 65534 when run as root).
#[test]
#[serial]
fn socket_file_is_owned_by_the_binding_user() {
    let s = Scratch::new();
    s.open_to_all();
    let path = s.join("sock");
    run_in_child("bind as nobody", || {
        drop_to_nobody();
        let fd = socket(SockType::Stream, 0);
        assert_eq!(bind(&fd, &UnixAddr::pathname(&path)), Ok(()));
    })
    .expect_success();
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (NOBODY, NOBODY));
}

/// unix(7), ERRORS: "EADDRINUSE ... the filesystem socket object already exists", and NOTES:
/// the file "must be deleted by the caller when it is no longer needed (using unlink(2))".
/// Closing the bound socket does not remove the file, so a new bind to the path fails.
#[rstest]
#[parallel]
fn bind_to_a_leftover_socket_file_fails_eaddrinuse(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let s = Scratch::new();
    let addr = UnixAddr::pathname(&s.join("sock"));
    let first = socket(ty, 0);
    assert_eq!(bind(&first, &addr), Ok(()));
    drop(first);
    assert!(s.join("sock").exists(), "close(2) must not remove the socket file");
    let second = socket(ty, 0);
    assert_errno!(bind(&second, &addr), Errno::EADDRINUSE);
}

/// unix(7), NOTES: the file must be removed "using unlink(2)": after unlinking it the path
/// can be bound again, even while the first socket is still open ("the socket can be
/// unlinked at any time").
#[rstest]
#[parallel]
fn bind_succeeds_again_after_unlink(#[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType) {
    let s = Scratch::new();
    let path = s.join("sock");
    let addr = UnixAddr::pathname(&path);
    let first = socket(ty, 0);
    assert_eq!(bind(&first, &addr), Ok(()));
    std::fs::remove_file(&path).unwrap();
    let second = socket(ty, 0);
    assert_eq!(bind(&second, &addr), Ok(()));
    drop(first);
}

/// unix(7), ERRORS: "EADDRINUSE The specified local address is already in use or the
/// filesystem socket object already exists." Any existing directory entry occupies the
/// name, whatever its type — even a dangling symbolic link, which bind(2) does not follow.
#[rstest]
#[parallel]
#[case::regular_file("file")]
#[case::directory("dir")]
#[case::fifo("fifo")]
#[case::dangling_symlink("dangling")]
fn bind_over_an_existing_entry_fails_eaddrinuse(#[case] what: &str) {
    let s = Scratch::new();
    let path = s.join("entry");
    match what {
        "file" => drop(s.file("entry", b"data")),
        "dir" => std::fs::create_dir(&path).unwrap(),
        "fifo" => drop(s.fifo("entry", 0o600)),
        _ => std::os::unix::fs::symlink(s.join("nowhere"), &path).unwrap(),
    }
    let fd = socket(SockType::Stream, 0);
    assert_errno!(bind(&fd, &UnixAddr::pathname(&path)), Errno::EADDRINUSE);
    assert!(!s.join("nowhere").exists(), "bind must not create the symlink's target");
}

/// bind(2), ERRORS (UNIX domain): "ENOENT A component in the directory prefix of the socket
/// pathname does not exist."
#[test]
#[parallel]
fn bind_below_a_missing_directory_fails_enoent() {
    let s = Scratch::new();
    let fd = socket(SockType::Stream, 0);
    assert_errno!(bind(&fd, &UnixAddr::pathname(&s.join("missing/sock"))), Errno::ENOENT);
}

/// bind(2), ERRORS (UNIX domain): "ENOTDIR A component of the path prefix is not a
/// directory."
#[test]
#[parallel]
fn bind_below_a_regular_file_fails_enotdir() {
    let s = Scratch::new();
    s.file("plain", b"");
    let fd = socket(SockType::Stream, 0);
    assert_errno!(bind(&fd, &UnixAddr::pathname(&s.join("plain/sock"))), Errno::ENOTDIR);
}

/// bind(2), ERRORS (UNIX domain): "ELOOP Too many symbolic links were encountered in
/// resolving addr."
#[test]
#[parallel]
fn bind_through_a_symlink_loop_fails_eloop() {
    let s = Scratch::new();
    std::os::unix::fs::symlink("loop", s.join("loop")).unwrap();
    let fd = socket(SockType::Stream, 0);
    assert_errno!(bind(&fd, &UnixAddr::pathname(&s.join("loop/sock"))), Errno::ELOOP);
}

/// unix(7), "Pathname socket ownership and permissions": "Creation of a new socket fails if
/// the process does not have write and search (execute) permission on the directory in
/// which the socket is created." Checked as nobody (a child drops privileges when run as
/// root) in a directory of mode 0555, and that nothing was created.
#[test]
#[serial]
fn bind_in_a_directory_without_write_permission_fails_eacces() {
    let s = Scratch::new();
    s.open_to_all();
    let dir = s.join("ro");
    std::fs::create_dir(&dir).unwrap();
    let _mode = ModeGuard::set(&dir, 0o555, 0o777);
    let path = dir.join("sock");
    run_in_child("bind as nobody", || {
        drop_to_nobody();
        let fd = socket(SockType::Stream, 0);
        assert_errno!(bind(&fd, &UnixAddr::pathname(&path)), Errno::EACCES);
    })
    .expect_success();
    assert!(!path.exists());
}

/// bind(2), ERRORS (UNIX domain): "EACCES Search permission is denied on a component of the
/// path prefix." A directory of mode 0666 is writable but not searchable; checked as nobody.
#[test]
#[serial]
fn bind_below_a_directory_without_search_permission_fails_eacces() {
    let s = Scratch::new();
    s.open_to_all();
    let dir = s.join("noexec");
    std::fs::create_dir(&dir).unwrap();
    let _mode = ModeGuard::set(&dir, 0o666, 0o777);
    let path = dir.join("sock");
    run_in_child("bind as nobody", || {
        drop_to_nobody();
        let fd = socket(SockType::Dgram, 0);
        assert_errno!(bind(&fd, &UnixAddr::pathname(&path)), Errno::EACCES);
    })
    .expect_success();
}

/// bind(2), ERRORS: "EINVAL The socket is already bound to an address." A second bind of a
/// bound socket to a fresh name fails, whichever kind of name the first bind gave it, and
/// the socket keeps its first name. No socket file is left at the refused path since commit
/// c0c3b8d380a8 ("unix_bind_bsd(): unlink if we fail after successful mknod", 5.14); older
/// kernels (5.10) create the file before they find the socket bound and leave it there, so
/// there the test asserts that a socket file exists.
#[rstest]
#[parallel]
fn binding_a_bound_socket_again_fails_einval(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
    #[values(AddrKind::Pathname, AddrKind::Abstract, AddrKind::Autobind)] first: AddrKind,
    #[values(AddrKind::Pathname, AddrKind::Abstract)] second: AddrKind,
) {
    let s = Scratch::new();
    let (fd, name) = bound_socket(ty, 0, first, &s, "first");
    let again = match second {
        AddrKind::Pathname => UnixAddr::pathname(&s.join("second")),
        _ => UnixAddr::unique_abstract("second"),
    };
    assert_errno!(bind(&fd, &again), Errno::EINVAL);
    assert_eq!(getsockname(&fd), name);
    let left = std::fs::symlink_metadata(s.join("second"));
    if second == AddrKind::Pathname && !fixtures::kernel_at_least(5, 14) {
        use std::os::unix::fs::FileTypeExt;
        assert!(left.expect("before 5.14 the refused bind leaves its file").file_type().is_socket());
    } else {
        assert!(left.is_err(), "the refused bind left {:?}", s.join("second"));
    }
}

/// unix(7), NOTES: "the socket can be unlinked at any time and will be finally removed from
/// the filesystem when the last reference to it is closed." After unlink, a new connect(2)
/// by name fails with ENOENT (unix(7), ERRORS: "The pathname in the remote address specified
/// to connect(2) did not exist"), while the established connection keeps working and an
/// already queued connection can still be accepted.
#[rstest]
#[parallel]
fn unlinking_the_file_refuses_new_connections_but_keeps_existing_ones(
    #[values(SockType::Stream, SockType::Seqpacket)] ty: SockType,
) {
    let s = Scratch::new();
    let (l, name) = listener(ty, AddrKind::Pathname, &s, 4);
    let early = socket(ty, 0);
    assert_eq!(connect(&early, &name), Ok(()));
    std::fs::remove_file(s.join("listener")).unwrap();
    let late = socket(ty, 0);
    assert_errno!(connect(&late, &name), Errno::ENOENT);
    let served = accept(&l).expect("the queued connection survives the unlink");
    assert_eq!(send(&early, b"still", 0), Ok(5));
    assert_eq!(recv_vec(&served, 16, libc::MSG_DONTWAIT).as_deref(), Ok(&b"still"[..]));
}

/// unix(7), NOTES (close-behind semantics): the path name is only a way to find the socket.
/// Once a new socket is bound to the unlinked path, connect(2) reaches the new socket and
/// the old one, still open, receives nothing.
#[rstest]
#[parallel]
fn a_new_socket_on_the_unlinked_path_receives_the_new_connections(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let s = Scratch::new();
    let path = s.join("sock");
    let addr = UnixAddr::pathname(&path);
    let old = socket(ty, libc::SOCK_NONBLOCK);
    let new = socket(ty, libc::SOCK_NONBLOCK);
    assert_eq!(bind(&old, &addr), Ok(()));
    std::fs::remove_file(&path).unwrap();
    assert_eq!(bind(&new, &addr), Ok(()));
    let client = socket(ty, 0);
    if ty.connection_oriented() {
        listen(&old, 4).unwrap();
        listen(&new, 4).unwrap();
        assert_eq!(connect(&client, &addr), Ok(()));
        assert!(accept(&new).is_ok(), "the new socket got the connection");
        assert_errno!(accept(&old), Errno::EAGAIN);
    } else {
        assert_eq!(sendto(&client, b"hi", 0, &addr), Ok(2));
        assert_eq!(recv_vec(&new, 8, 0).as_deref(), Ok(&b"hi"[..]));
        assert_errno!(recv_vec(&old, 8, 0), Errno::EAGAIN);
    }
}

/// connect(2) resolves the pathname like any other (path_resolution(7)): a symbolic link to
/// the socket file, a hard link to it, or the file renamed all reach the same socket — the
/// socket is found through the inode, not the name. getsockname(2) keeps reporting the
/// name given to bind(2).
#[rstest]
#[parallel]
#[case::symlink("symlink")]
#[case::hard_link("hardlink")]
#[case::rename("rename")]
fn connect_reaches_the_socket_through_any_name_of_its_inode(#[case] how: &str) {
    let s = Scratch::new();
    let (l, bound_name) = listener(SockType::Stream, AddrKind::Pathname, &s, 4);
    let other = s.join("other");
    match how {
        "symlink" => std::os::unix::fs::symlink(s.join("listener"), &other).unwrap(),
        "hardlink" => std::fs::hard_link(s.join("listener"), &other).unwrap(),
        _ => std::fs::rename(s.join("listener"), &other).unwrap(),
    }
    let c = socket(SockType::Stream, 0);
    assert_eq!(connect(&c, &UnixAddr::pathname(&other)), Ok(()));
    assert!(accept(&l).is_ok());
    assert_eq!(getsockname(&l), bound_name, "getsockname reports the name of the bind");
}

/// unix(7), ERRORS: "ECONNREFUSED ... This error can also occur if the target pathname is
/// not a socket." connect(2) and sendto(2) to a regular file, a FIFO or a directory.
#[rstest]
#[parallel]
#[case::regular_file("file")]
#[case::fifo("fifo")]
#[case::directory("dir")]
fn connecting_to_a_path_that_is_not_a_socket_fails_econnrefused(
    #[case] what: &str,
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let s = Scratch::new();
    let path = s.join("target");
    match what {
        "file" => drop(s.file("target", b"")),
        "fifo" => drop(s.fifo("target", 0o600)),
        _ => std::fs::create_dir(&path).unwrap(),
    }
    let addr = UnixAddr::pathname(&path);
    let fd = socket(ty, 0);
    assert_errno!(connect(&fd, &addr), Errno::ECONNREFUSED);
    if ty == SockType::Dgram {
        assert_errno!(sendto(&fd, b"x", 0, &addr), Errno::ECONNREFUSED);
    }
}

/// unix(7), ERRORS: "ENOENT The pathname in the remote address specified to connect(2) did
/// not exist." (sendto(2) of a datagram likewise.)
#[rstest]
#[parallel]
fn connecting_to_a_missing_path_fails_enoent(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let s = Scratch::new();
    let addr = UnixAddr::pathname(&s.join("missing"));
    let fd = socket(ty, 0);
    assert_errno!(connect(&fd, &addr), Errno::ENOENT);
    if ty == SockType::Dgram {
        assert_errno!(sendto(&fd, b"x", 0, &addr), Errno::ENOENT);
    }
}
