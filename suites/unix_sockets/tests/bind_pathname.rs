//! Binding to a filesystem pathname (unix(7), "Pathname sockets", "Pathname socket ownership
//! and permissions", NOTES): the socket file, its mode and owner, the name staying in use
//! until unlinked, and the path errors of bind(2).

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use fixtures::names::ModeGuard;
use fixtures::net::{bind, connect, listen, send};
use fixtures::privilege::{NOBODY, drop_to_nobody};
use fixtures::gate::kernel_version;
use fixtures::{Scratch, assert_errno, run_in_child, variant};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::addr::{UnixAddr, UnixAddrExt, getsockname};
use unix_sockets::calls::{accept, recv_vec, set_umask, socket};
use unix_sockets::cases::{each_socket_type, types_and_named_kinds};
use unix_sockets::AddrKind;
use unix_sockets::pairs::{named_listener, named_socket};
use rstest_reuse::apply;

/// unix(7): "a UNIX domain socket can be bound to a null-terminated filesystem pathname using
/// bind(2)", and NOTES: "Binding to a socket with a filename creates a socket in the
/// filesystem". Asserted: the path exists afterwards and lstat says S_IFSOCK.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn bind_creates_a_socket_file(#[case] ty: SockType) {
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
    #[values(
        /// stream
        SockType::Stream,
        /// dgram
        SockType::Dgram
    )]
    ty: SockType,
) {
    let s = Scratch::new();
    let path = s.join("sock");
    run_in_child("bind under a umask", || {
        set_umask(umask);
        let fd = socket(ty, 0);
        assert_eq!(bind(&fd, &UnixAddr::pathname(&path)), Ok(()));
        let mode = std::fs::symlink_metadata(&path).unwrap().mode();
        assert_eq!(mode & 0o7777, expected, "umask {umask:03o}");
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
#[apply(socket_types)]
#[rstest]
#[parallel]
fn bind_to_a_leftover_socket_file_fails_eaddrinuse(#[case] ty: SockType) {
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
#[apply(socket_types)]
#[rstest]
#[parallel]
fn bind_succeeds_again_after_unlink(#[case] ty: SockType) {
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

/// In a directory of mode `dir_mode` (in a scratch directory open to all), a child running
/// as nobody (it drops privileges when the suite runs as root) binds a new socket of `ty`
/// to `sock` and gets EACCES; nothing is created.
fn bind_as_nobody_fails_eacces(ty: SockType, dir_mode: u32) {
    let s = Scratch::new();
    s.open_to_all();
    let dir = s.join("d");
    std::fs::create_dir(&dir).unwrap();
    let mode = ModeGuard::set(&dir, dir_mode, 0o777);
    let path = dir.join("sock");
    run_in_child("bind as nobody", || {
        drop_to_nobody();
        let fd = socket(ty, 0);
        assert_errno!(bind(&fd, &UnixAddr::pathname(&path)), Errno::EACCES);
    })
    .expect_success();
    drop(mode); // searchable again: the check below must see the directory's contents
    assert!(!path.exists());
}

/// unix(7), "Pathname socket ownership and permissions": "Creation of a new socket fails if
/// the process does not have write and search (execute) permission on the directory in
/// which the socket is created." Checked as nobody (a child drops privileges when run as
/// root) in a directory of mode 0555, and that nothing was created.
#[test]
#[serial]
fn bind_in_a_directory_without_write_permission_fails_eacces() {
    bind_as_nobody_fails_eacces(SockType::Stream, 0o555);
}

/// bind(2), ERRORS (UNIX domain): "EACCES Search permission is denied on a component of the
/// path prefix." A directory of mode 0666 is writable but not searchable; checked as nobody,
/// and that nothing was created.
#[test]
#[serial]
fn bind_below_a_directory_without_search_permission_fails_eacces() {
    bind_as_nobody_fails_eacces(SockType::Dgram, 0o666);
}

/// bind(2), ERRORS: "EINVAL The socket is already bound to an address." A second bind of a
/// bound socket to a fresh name fails, whichever kind of name the first bind gave it, and
/// the socket keeps its first name. No socket file is left at the refused path since commit
/// c0c3b8d380a8 ("unix_bind_bsd(): unlink if we fail after successful mknod", 5.14); older
/// kernels (5.10) differ from bind(2), which says nothing of a file made by a failed call:
/// they create the file before they find the socket bound and leave it there, so there the
/// test asserts that a socket file exists (docs/findings.md). The pathname cases report which:
/// `no-file` or `leaves-file`.
///
/// Kernel change: 5.14, commit c0c3b8d380a8 — a bind(2) refused after the socket file was made unlinks the file instead of leaving it.
#[apply(types_and_named_kinds)]
#[rstest]
#[parallel]
fn binding_a_bound_socket_again_fails_einval(
    #[case] ty: SockType,
    #[case] kind: AddrKind,
    #[values(
        /// pathname
        AddrKind::Pathname,
        /// abstract_name
        AddrKind::Abstract
    )]
    second: AddrKind,
) {
    let (fd, name, s) = named_socket(ty, 0, kind, "first");
    let again = match second {
        AddrKind::Pathname => UnixAddr::pathname(&s.join("second")),
        _ => UnixAddr::unique_abstract("second"),
    };
    assert_errno!(bind(&fd, &again), Errno::EINVAL);
    assert_eq!(getsockname(&fd), name);
    let left = std::fs::symlink_metadata(s.join("second"));
    if second != AddrKind::Pathname {
        assert!(left.is_err(), "the refused bind left {:?}", s.join("second"));
    } else if fixtures::kernel_at_least(5, 14) {
        variant::observed("no-file", format_args!("commit c0c3b8d380a8 (5.14) unlinks the file of a refused bind; kernel {}", kernel_version()));
        assert!(left.is_err(), "the refused bind left {:?}", s.join("second"));
    } else {
        variant::observed("leaves-file", format_args!("before commit c0c3b8d380a8 (5.14) a refused bind leaves its socket file; kernel {}", kernel_version()));
        assert!(left.expect("before 5.14 the refused bind leaves its file").file_type().is_socket());
    }
}

/// unix(7), NOTES: "the socket can be unlinked at any time and will be finally removed from
/// the filesystem when the last reference to it is closed." After unlink, a new connect(2)
/// by name fails with ENOENT (unix(7), ERRORS: "The pathname in the remote address specified
/// to connect(2) did not exist"), while the established connection keeps working and an
/// already queued connection can still be accepted.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn unlinking_the_file_refuses_new_connections_but_keeps_existing_ones(#[case] ty: SockType) {
    let (l, name, s) = named_listener(ty, AddrKind::Pathname, 4);
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
#[apply(socket_types)]
#[rstest]
#[parallel]
fn a_new_socket_on_the_unlinked_path_receives_the_new_connections(#[case] ty: SockType) {
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
        assert_eq!(fixtures::net::send_to(&client, b"hi", 0, &addr), Ok(2));
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
    let (l, bound_name, s) = named_listener(SockType::Stream, AddrKind::Pathname, 4);
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
#[apply(each_socket_type)]
#[rstest]
#[parallel]
#[case::regular_file("file")]
#[case::fifo("fifo")]
#[case::directory("dir")]
fn connecting_to_a_path_that_is_not_a_socket_fails_econnrefused(#[case] what: &str, ty: SockType) {
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
        assert_errno!(fixtures::net::send_to(&fd, b"x", 0, &addr), Errno::ECONNREFUSED);
    }
}

/// unix(7), ERRORS: "ENOENT The pathname in the remote address specified to connect(2) did
/// not exist." (sendto(2) of a datagram likewise.)
#[apply(socket_types)]
#[rstest]
#[parallel]
fn connecting_to_a_missing_path_fails_enoent(#[case] ty: SockType) {
    let s = Scratch::new();
    let addr = UnixAddr::pathname(&s.join("missing"));
    let fd = socket(ty, 0);
    assert_errno!(connect(&fd, &addr), Errno::ENOENT);
    if ty == SockType::Dgram {
        assert_errno!(fixtures::net::send_to(&fd, b"x", 0, &addr), Errno::ENOENT);
    }
}
