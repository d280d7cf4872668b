//! mq_open(3), mq_close(3), mq_unlink(3): creating, naming, opening and removing queues.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::io::{fd_flags, owned};
use fixtures::privilege::{answer_as_nobody, drop_to_nobody, mode_for_other_user};
use fixtures::{IpcName, assert_errno, needs, run_in_child, spawn, sys, sys_size};
use nix::errno::Errno;
use nix::sys::stat::{Mode, fchmod, fstat};
use posix_mq::queue::{MSGSIZE, Mq, attr, create, mq_open, mq_unlink, new_queue, new_shared_queue, open};
use rstest::rstest;

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// The mq_open system call itself, without the C library's wrapper (mq_open(3), "C
/// library/kernel differences").
fn mq_open_syscall(name: &CStr, oflag: libc::c_int, mode: u32, attr: &libc::mq_attr) -> Result<OwnedFd, Errno> {
    // SAFETY: a valid C string and mq_attr; the kernel validates the rest.
    let r = unsafe { libc::syscall(libc::SYS_mq_open, name.as_ptr(), oflag, mode as libc::mode_t, attr as *const libc::mq_attr) };
    sys_size(r as libc::ssize_t).map(|fd| owned(fd as libc::c_int))
}

/// mq_open(3): O_CREAT: "Create the message queue if it does not exist"; ERRORS: "ENOENT
/// The O_CREAT flag was not specified in oflag, and no queue with this name exists."
#[test]
fn o_creat_creates_and_open_without_it_finds_the_queue() {
    let name = IpcName::mq("create");
    assert_errno!(mq_open(name.as_cstr(), libc::O_RDWR, 0, None), Errno::ENOENT);
    let q = create(&name, 4);
    q.send(b"x", 0).unwrap();
    let again = open(name.as_cstr(), libc::O_RDONLY);
    assert_eq!(again.receive().unwrap().0, b"x", "both descriptors refer to one queue");
}

/// mq_open(3), O_EXCL: "If O_CREAT was specified in oflag, and a queue with the given name
/// already exists, then fail with the error EEXIST."
#[test]
fn o_creat_o_excl_of_an_existing_queue_fails_eexist() {
    let (name, _q) = new_queue("excl", 4);
    assert_errno!(
        mq_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(4, 64))),
        Errno::EEXIST
    );
}

/// POSIX.1-2024 mq_open(): without O_EXCL "O_CREAT ... has no effect" on an existing queue
/// (except as noted under O_EXCL): the attr argument of the second open is ignored, the
/// queue keeps its mq_maxmsg and mq_msgsize, and its messages.
#[test]
fn o_creat_of_an_existing_queue_ignores_the_new_attributes() {
    let (name, q) = new_queue("reopen", 3);
    q.send(b"kept", 1).unwrap();
    let again = mq_open(name.as_cstr(), libc::O_CREAT | libc::O_RDWR, 0o600, Some(&attr(7, 128))).unwrap();
    let a = again.getattr();
    assert_eq!((a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs), (3, MSGSIZE as _, 1));
}

/// mq_open(3), "C library/kernel differences": "The library function performs the check that
/// the name starts with a slash (/), giving the EINVAL error if it does not. The kernel system
/// call expects name to contain no preceding slash, so the C library function passes name
/// without the preceding slash (i.e., name+1) to the system call." Asserted: the library's
/// mq_open("NAME") fails with EINVAL, and the system call given the same "NAME" creates the
/// queue that the library's mq_open("/NAME") opens (a message sent through one descriptor is
/// received through the other).
#[test]
fn a_name_without_a_leading_slash_fails_einval() {
    let name = IpcName::mq("noslash");
    let bare = cstr(name.bare());
    assert_errno!(mq_open(&bare, libc::O_CREAT | libc::O_RDWR, 0o600, Some(&attr(4, 64))), Errno::EINVAL);
    let by_kernel = mq_open_syscall(&bare, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, &attr(4, 64))
        .map(Mq::from)
        .expect("the mq_open system call with the name without a slash");
    open(name.as_cstr(), libc::O_WRONLY).send(b"through /NAME", 3).unwrap();
    assert_eq!(by_kernel.receive().unwrap(), (b"through /NAME".to_vec(), 3), "the same queue");
}

/// mq_open(3), ERRORS: "ENOENT name was just "/" followed by no other characters."
#[test]
fn a_name_of_only_a_slash_fails_enoent() {
    assert_errno!(mq_open(c"/", libc::O_CREAT | libc::O_RDWR, 0o600, Some(&attr(4, 64))), Errno::ENOENT);
}

/// mq_open(3), ERRORS: "EACCES name contained more than one slash."
#[test]
fn a_name_with_a_second_slash_fails_eacces() {
    let name = format!("/{}/x", fixtures::names::unique("slash"));
    assert_errno!(mq_open(&cstr(&name), libc::O_CREAT | libc::O_RDWR, 0o600, Some(&attr(4, 64))), Errno::EACCES);
}

/// mq_overview(7): a name is "up to NAME_MAX (i.e., 255) characters" after the slash;
/// mq_open(3), ERRORS: "ENAMETOOLONG name was too long." (also for mq_unlink(3)).
#[rstest]
#[case::name_max(255, None)]
#[case::one_more(256, Some(Errno::ENAMETOOLONG))]
fn names_up_to_name_max_characters_are_accepted(#[case] len: usize, #[case] err: Option<Errno>) {
    let base = fixtures::names::unique("len");
    let name = cstr(&format!("/{base}{}", "x".repeat(len - base.len())));
    let r = mq_open(&name, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600, Some(&attr(1, 16)));
    let u = mq_unlink(&name);
    match err {
        None => {
            assert!(r.is_ok(), "{len} characters: {r:?}");
            assert_eq!(u, Ok(()));
        }
        Some(e) => {
            assert_errno!(r, e, "mq_open of a name of {len} characters");
            assert_errno!(u, e, "mq_unlink of a name of {len} characters");
        }
    }
}

/// mq_overview(7): "The close-on-exec flag (see open(2)) is automatically set on the file
/// descriptor returned by mq_open(2)."
#[test]
fn the_descriptor_is_close_on_exec() {
    let (_name, q) = new_queue("cloexec", 1);
    assert_eq!(fd_flags(&q), libc::FD_CLOEXEC);
}

/// mq_open(3), O_CREAT: "The owner (user ID) of the message queue is set to the effective
/// user ID of the calling process. The group ownership (group ID) is set to the effective
/// group ID"; "The permissions settings are masked against the process umask." Read with
/// fstat(2) on the descriptor (it is a file descriptor on Linux), in a child that became
/// nobody when run as root.
#[rstest]
#[case::umask_077(0o077, 0o666, 0o600)]
#[case::umask_022(0o022, 0o666, 0o644)]
#[case::umask_0(0o000, 0o620, 0o620)]
fn owner_and_mode_come_from_the_creator_and_its_umask(#[case] umask: u32, #[case] mode: u32, #[case] expected: u32) {
    let name = IpcName::mq("umask");
    run_in_child("creator", || {
        // variant: none — the creator is nobody in both runs (dropped from root, or already);
        // the owner is compared with its own effective ids.
        drop_to_nobody();
        // SAFETY: umask in this child only.
        unsafe { libc::umask(umask as libc::mode_t) };
        let q = mq_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, mode, Some(&attr(1, 16))).unwrap();
        let st = fstat(&q).unwrap();
        assert_eq!(st.st_mode & 0o777, expected, "mode {mode:o} with umask {umask:o}");
        assert_eq!(st.st_uid, nix::unistd::geteuid().as_raw());
        assert_eq!(st.st_gid, nix::unistd::getegid().as_raw());
    })
    .expect_success();
}

/// mq_open(3), ERRORS: "EACCES The queue exists, but the caller does not have permission to
/// open it in the specified mode": O_RDONLY needs read, O_WRONLY write, O_RDWR both.
#[rstest]
#[case::none_rdonly(0, libc::O_RDONLY, false)]
#[case::read_rdonly(4, libc::O_RDONLY, true)]
#[case::read_wronly(4, libc::O_WRONLY, false)]
#[case::write_wronly(2, libc::O_WRONLY, true)]
#[case::write_rdwr(2, libc::O_RDWR, false)]
#[case::read_write_rdwr(6, libc::O_RDWR, true)]
fn another_user_is_checked_against_the_permission_bits(
    #[case] others: u32,
    #[case] oflag: libc::c_int,
    #[case] allowed: bool,
) {
    // variant: none — as root the child becomes nobody and meets the "other" bits, as an
    // unprivileged user it meets the owner bits set to the same digit: one outcome.
    needs!(other_user);
    let (name, q) = new_queue("perm", 1);
    // fchmod of the queue's descriptor sets the mode independent of the umask.
    fchmod(&q, Mode::from_bits_truncate(mode_for_other_user(others))).unwrap();
    let n = name.as_cstr().to_owned();
    let expected = if allowed { Ok(()) } else { Err(Errno::EACCES) };
    assert_eq!(answer_as_nobody("another user", move || mq_open(&n, oflag, 0, None).map(drop)), expected);
}

/// mq_unlink(3): "EACCES The caller does not have permission to unlink this message
/// queue." The mqueue root is sticky (mq_overview(7): "The sticky bit is automatically
/// enabled on the mount directory"), so another user may not remove a queue it does not
/// own (the kernel says EPERM, glibc reports EACCES); the queue survives.
#[test]
fn another_user_cannot_unlink_the_queue() {
    // Two distinct users: the owner (root) and a child that becomes nobody.
    needs!(cap(SETUID), cap(SETGID));
    let (name, _q) = new_shared_queue("unlinkperm", 1);
    run_in_child("another user", || {
        drop_to_nobody();
        assert_errno!(mq_unlink(name.as_cstr()), Errno::EACCES);
    })
    .expect_success();
    assert!(mq_open(name.as_cstr(), libc::O_RDONLY, 0, None).is_ok(), "the queue must survive");
}

/// mq_unlink(3): "removes the specified message queue name. The message queue name is
/// removed immediately. The queue itself is destroyed once any other processes that have
/// the queue open close their descriptors referring to the queue." A child holding the
/// queue still exchanges messages with the parent after the unlink.
#[test]
fn unlink_removes_the_name_but_open_descriptors_keep_working() {
    let (name, q) = new_queue("unlink", 4);
    let n = name.as_cstr().to_owned();
    let (opened, wait_opened) = fixtures::sync::channel();
    let (go, wait_go) = fixtures::sync::channel();
    let mut child = spawn("holder", move || {
        let h = open(&n, libc::O_RDWR);
        opened.notify();
        wait_go.wait();
        assert_eq!(h.receive().unwrap().0, b"after unlink");
        h.send(b"reply", 0).unwrap();
    });
    wait_opened.wait();
    assert_eq!(mq_unlink(name.as_cstr()), Ok(()));
    assert_errno!(mq_open(name.as_cstr(), libc::O_RDWR, 0, None), Errno::ENOENT);
    q.send(b"after unlink", 0).unwrap();
    go.notify();
    child.join().expect_success();
    assert_eq!(q.receive().unwrap().0, b"reply");
}

/// mq_unlink(3), ERRORS: "ENOENT There is no message queue with the given name." After an
/// unlink, O_CREAT makes a new, empty queue.
#[test]
fn unlink_of_a_missing_name_fails_enoent_and_the_name_can_be_reused() {
    let name = IpcName::mq("gone");
    assert_errno!(mq_unlink(name.as_cstr()), Errno::ENOENT);
    let old = create(&name, 2);
    old.send(b"old", 0).unwrap();
    mq_unlink(name.as_cstr()).unwrap();
    assert_errno!(mq_unlink(name.as_cstr()), Errno::ENOENT);
    let new = create(&name, 2);
    assert_eq!(new.curmsgs(), 0, "a new queue, not the old one");
    assert_eq!(old.curmsgs(), 1);
}

/// mq_overview(7): "After a fork(2), a child inherits copies of its parent's message queue
/// descriptors, and these descriptors refer to the same open message queue descriptions
/// ... Corresponding message queue descriptors in the two processes share the flags
/// (mq_flags)". The child sets O_NONBLOCK; the parent's descriptor sees it. A second
/// mq_open of the same queue is a separate description and does not.
#[test]
fn a_forked_child_shares_the_open_queue_description_and_its_flags() {
    let (name, q) = new_queue("fork", 2);
    let separate = open(name.as_cstr(), libc::O_RDWR);
    let fd = q.as_raw_fd();
    spawn("child", move || {
        let mut a = attr(0, 0);
        a.mq_flags = libc::O_NONBLOCK as _;
        // SAFETY: the inherited descriptor.
        assert_eq!(unsafe { libc::mq_setattr(fd, &a, std::ptr::null_mut()) }, 0);
        // SAFETY: as above.
        assert_eq!(unsafe { libc::mq_send(fd, b"c".as_ptr().cast(), 1, 0) }, 0);
    })
    .expect_success();
    assert_eq!(q.getattr().mq_flags, libc::O_NONBLOCK as _, "the flag is shared with the child");
    assert_eq!(separate.getattr().mq_flags, 0, "another description keeps its own flags");
    assert_eq!(q.receive().unwrap().0, b"c");
    assert_errno!(q.receive(), Errno::EAGAIN);
}

/// mq_close(3): "closes the message queue descriptor mqdes"; mq_overview(7): on Linux it
/// is close(2) of the file descriptor: afterwards the descriptor is invalid (EBADF).
#[test]
fn a_closed_descriptor_is_invalid() {
    let (_name, q) = new_queue("close", 1);
    let raw = q.as_raw_fd();
    run_in_child("single-threaded closer", move || {
        // SAFETY: closing the inherited descriptor, then using its number.
        assert_eq!(unsafe { libc::mq_close(raw) }, 0);
        let mut a = attr(0, 0);
        assert_errno!(sys(unsafe { libc::mq_getattr(raw, &mut a) }), Errno::EBADF);
        assert_errno!(sys(unsafe { libc::mq_close(raw) }), Errno::EBADF);
    })
    .expect_success();
}

/// mq_overview(7): "On Linux, a message queue descriptor is actually a file descriptor":
/// dup(2) of it is another descriptor for the same queue, usable with mq_send(3).
#[test]
fn a_queue_descriptor_is_a_file_descriptor_that_dup_copies() {
    let (_name, q) = new_queue("dup", 2);
    // SAFETY: dup of our descriptor; the copy is closed below.
    let d = unsafe { libc::dup(q.as_raw_fd()) };
    assert!(d >= 0);
    assert_eq!(unsafe { libc::mq_send(d, b"via dup".as_ptr().cast(), 7, 3) }, 0);
    unsafe { libc::close(d) };
    assert_eq!(q.receive().unwrap(), (b"via dup".to_vec(), 3));
}
