//! fcntl(2), "Leases": F_SETLEASE / F_GETLEASE, who may take a lease, and what a conflicting
//! open does.
//!
//! Variants: every test reports `enabled` (fs/leases-enable is 1: the claim was checked) or
//! the lacking `disabled` (it is 0: F_SETLEASE fails EINVAL, which is asserted, and the test
//! passes; see [`leases_variant`]).

use file_locks::leases::{get_lease, lease_file, leases_variant, set_lease};
use file_locks::locks::open_file;
use fixtures::io::open_cloexec;
use fixtures::signals::SignalCatcher;
use fixtures::sync::channel;
use fixtures::{Scratch, assert_errno, isolated, spawn};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use rstest::rstest;

/// fcntl(2): "F_RDLCK Take out a read lease"; F_GETLEASE "Indicates what type of lease is
/// associated with the file descriptor fd by returning either F_RDLCK, F_WRLCK, or F_UNLCK";
/// "F_UNLCK Remove our lease from the file."
#[test]
fn a_read_lease_is_reported_by_f_getlease_until_removed() {
    let Some((_s, path)) = lease_file() else { return };
    let fd = open_file(&path, libc::O_RDONLY);
    assert_eq!(get_lease(&fd), Ok(libc::F_UNLCK));
    assert_eq!(set_lease(&fd, libc::F_RDLCK), Ok(()));
    assert_eq!(get_lease(&fd), Ok(libc::F_RDLCK));
    assert_eq!(set_lease(&fd, libc::F_UNLCK), Ok(()));
    assert_eq!(get_lease(&fd), Ok(libc::F_UNLCK));
}

/// fcntl(2): "A read lease can be placed only on a file descriptor that is opened read-only."
/// Linux refuses a read lease with EAGAIN while the file is open for writing — through the
/// descriptor itself or another one (fs/locks.c, check_conflicting_open: "if (arg ==
/// F_RDLCK) return inode_is_open_for_write(inode) ? -EAGAIN : 0").
#[rstest]
#[case::descriptor_opened_read_write(true)]
#[case::another_descriptor_open_for_writing(false)]
fn a_read_lease_on_a_file_open_for_writing_fails_eagain(#[case] own_rw: bool) {
    let Some((_s, path)) = lease_file() else { return };
    let fd = open_file(&path, if own_rw { libc::O_RDWR } else { libc::O_RDONLY });
    let _writer = (!own_rw).then(|| open_file(&path, libc::O_WRONLY));
    assert_errno!(set_lease(&fd, libc::F_RDLCK), Errno::EAGAIN);
}

/// fcntl(2): "A write lease may be placed on a file only if there are no other open file
/// descriptors for the file." With a second read-only descriptor open the request fails
/// (EAGAIN, fs/locks.c check_conflicting_open); once it is closed the write lease is granted.
#[test]
fn a_write_lease_needs_the_only_open_descriptor() {
    let Some((_s, path)) = lease_file() else { return };
    // Isolated: a copy of `other` inherited by a neighbour's child would keep it open.
    isolated(|| {
        let fd = open_file(&path, libc::O_RDONLY);
        let other = open_file(&path, libc::O_RDONLY);
        assert_errno!(set_lease(&fd, libc::F_WRLCK), Errno::EAGAIN);
        drop(other);
        assert_eq!(set_lease(&fd, libc::F_WRLCK), Ok(()));
        assert_eq!(get_lease(&fd), Ok(libc::F_WRLCK));
    });
}

/// fcntl(2): "An unprivileged process may take out a lease only on a file whose UID (owner)
/// matches the filesystem UID of the process. A process with the CAP_LEASE capability may take
/// out leases on arbitrary files." An unprivileged process gets EACCES for a file it can read
/// but does not own (fs/locks.c, vfs_setlease).
#[test]
fn a_lease_on_another_users_file_fails_eacces() {
    if !leases_variant() {
        return;
    }
    let s = Scratch::new();
    let own = s.file("mine", b"x");
    // A file owned by someone else: ours when we can switch to nobody, else the test binary
    // (installed by another user); skip when neither is available.
    // variant: none — root or not only picks which file belongs to another user; EACCES is
    // asserted for an unprivileged taker either way.
    let path = if fixtures::privilege::can_switch_user() {
        std::fs::set_permissions(&own, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        s.open_to_all();
        own
    } else {
        let exe = std::fs::canonicalize("/proc/self/exe").unwrap();
        let meta = std::fs::metadata(&exe).unwrap();
        if std::os::unix::fs::MetadataExt::uid(&meta) == nix::unistd::geteuid().as_raw() {
            fixtures::skip!("no readable file owned by another user (cannot switch users, own the test binary)");
        }
        exe
    };
    fixtures::run_in_child("unprivileged lease taker", || {
        fixtures::privilege::drop_to_nobody();
        let fd = open_file(&path, libc::O_RDONLY);
        assert_errno!(set_lease(&fd, libc::F_RDLCK), Errno::EACCES);
    })
    .expect_success();
}

/// fcntl(2): "When a process (the "lease breaker") performs an open(2) or truncate(2) that
/// conflicts with a lease ... the kernel notifies the lease holder by sending it a signal
/// (SIGIO by default)"; "If the lease breaker specifies the O_NONBLOCK flag when calling
/// open(2), then the call immediately fails with the error EWOULDBLOCK, but the other steps
/// still occur"; "Once a lease break has been initiated, F_GETLEASE returns the target lease
/// type (either F_RDLCK or F_UNLCK ...)". A write open breaks a read lease to F_UNLCK; once the
/// holder removed it, the open succeeds.
#[test]
fn opening_for_write_breaks_a_read_lease() {
    let Some((_s, path)) = lease_file() else { return };
    let (ready, wait_ready) = channel();
    let (released, wait_released) = channel();
    let holder = spawn("lease holder", || {
        let catcher = SignalCatcher::new(&[Signal::SIGIO]);
        let fd = open_file(&path, libc::O_RDONLY);
        set_lease(&fd, libc::F_RDLCK).unwrap();
        ready.notify();
        assert_eq!(catcher.wait().signo, libc::SIGIO);
        assert_eq!(get_lease(&fd), Ok(libc::F_UNLCK), "the break's target type");
        set_lease(&fd, libc::F_UNLCK).unwrap();
        released.notify();
    });
    wait_ready.wait();
    assert_errno!(open_cloexec(&path, libc::O_WRONLY | libc::O_NONBLOCK), Errno::EWOULDBLOCK);
    wait_released.wait();
    assert!(open_cloexec(&path, libc::O_WRONLY | libc::O_NONBLOCK).is_ok(), "the open still conflicts after the lease was removed");
    holder.expect_success();
}
