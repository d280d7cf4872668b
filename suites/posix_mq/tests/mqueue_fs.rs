//! mq_overview(7), "Mounting the message queue filesystem": the queues of the IPC
//! namespace as files. Each test mounts the filesystem in a child that has a private mount
//! namespace (unshare(CLONE_NEWNS)), so nothing stays mounted; it needs root
//! (`needs!(root)`; CAP_SYS_ADMIN) and skips where the mount is refused (`require!` of the
//! mount's result).

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use fixtures::ns::with_mount;
use fixtures::privilege::drop_to_nobody;
use fixtures::{Outcome, Scratch, assert_errno, needs, require, spawn};
use nix::errno::Errno;
use nix::sys::stat::{Mode, fchmod};
use nix::sys::signal::Signal;
use posix_mq::queue::{mq_open, new_queue};
use posix_mq::queue_file::{QueueFile, read_queue_file};
use posix_mq::sigevent::SigEvent;
use rstest::rstest;

/// Run `f` with the mqueue filesystem mounted on a scratch directory, in a child with a
/// private mount namespace. `Err(reason)` when the mount is refused here (the test SKIPs:
/// nothing about the claim was observed).
fn in_mqueue_fs(f: impl FnOnce(&std::path::Path)) -> Result<(), String> {
    let dir = Scratch::new();
    with_mount("mqueue", "mqueue", dir.path(), f)
}

/// mq_overview(7): "After the filesystem has been mounted, the message queues on the
/// system can be viewed and manipulated using the commands usually used for files"; "The
/// sticky bit is automatically enabled on the mount directory". The queue is listed as a
/// regular file with its mode and owner.
#[test]
fn queues_are_files_in_a_sticky_mqueue_directory() {
    needs!(root);
    let (name, q) = new_queue("listed", 2);
    fchmod(&q, Mode::from_bits_truncate(0o640)).unwrap();
    // variant: none — the file's owner is compared with the creator's (this process's) euid.
    let uid = nix::unistd::geteuid().as_raw();
    require!(in_mqueue_fs(|dir| {
        let root = std::fs::metadata(dir).unwrap();
        assert_eq!(root.mode() & 0o7777, 0o1777, "the mount directory is sticky and world-writable");
        let names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().any(|n| n == name.bare()), "{} not in {names:?}", name.bare());
        let meta = std::fs::metadata(dir.join(name.bare())).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.mode() & 0o777, 0o640);
        assert_eq!(meta.uid(), uid);
    }));
}

/// mq_overview(7): "The contents of each file in the directory consist of a single line
/// containing information about the queue ... QSIZE Number of bytes of data in all messages
/// in the queue" (user data only since Linux 4.2, BUGS). With no registration, NOTIFY,
/// SIGNO and NOTIFY_PID are 0.
#[test]
fn the_queue_file_shows_qsize_as_the_bytes_of_queued_messages() {
    needs!(root);
    let (name, q) = new_queue("qsize", 4);
    for m in [&b"abc"[..], b"de", b"", b"fghij"] {
        q.send(m, 0).unwrap();
    }
    require!(in_mqueue_fs(|dir| {
        let text = std::fs::read_to_string(dir.join(name.bare())).unwrap();
        assert!(text.starts_with("QSIZE:") && text.ends_with('\n') && text.lines().count() == 1, "{text:?}");
        assert_eq!(QueueFile::parse(&text), QueueFile { qsize: 10, notify: 0, signo: 0, notify_pid: 0 });
        q.receive().unwrap(); // "abc" (all priority 0: FIFO)
        assert_eq!(read_queue_file(dir, &name).qsize, 7);
    }));
}

/// mq_overview(7): "NOTIFY_PID If this is nonzero, then the process with this PID has used
/// mq_notify(3) to register ...; NOTIFY Notification method: 0 is SIGEV_SIGNAL; 1 is
/// SIGEV_NONE; and 2 is SIGEV_THREAD. SIGNO Signal number to be used for SIGEV_SIGNAL."
/// mq_notify(NULL) clears them again.
#[rstest]
#[case::sigev_signal("signal", 0, libc::SIGUSR2)]
#[case::sigev_none("none", 1, 0)]
#[case::sigev_thread("thread", 2, 0)]
fn the_queue_file_shows_the_notification_registration(#[case] how: &str, #[case] notify: i32, #[case] signo: i32) {
    needs!(root);
    extern "C" fn ignore(_: libc::sigval) {}
    let (name, _q) = new_queue("notify", 2);
    require!(in_mqueue_fs(|dir| {
        let q = posix_mq::queue::open(name.as_cstr(), libc::O_RDONLY);
        let ev = match how {
            "signal" => SigEvent::signal(Signal::SIGUSR2, 0),
            "none" => SigEvent::none(),
            _ => SigEvent::thread(ignore, 0),
        };
        q.notify(Some(&ev)).unwrap();
        let pid = nix::unistd::getpid().as_raw();
        assert_eq!(read_queue_file(dir, &name), QueueFile { qsize: 0, notify, signo, notify_pid: pid });
        q.notify(None).unwrap();
        assert_eq!(read_queue_file(dir, &name), QueueFile { qsize: 0, notify: 0, signo: 0, notify_pid: 0 });
    }));
}

/// mq_overview(7): queues "can be viewed and manipulated using the commands usually used
/// for files (e.g., ls(1) and rm(1))": removing the file is mq_unlink(3) — the name is
/// gone, an open descriptor keeps working.
#[test]
fn removing_the_file_unlinks_the_queue() {
    needs!(root);
    let (name, q) = new_queue("rm", 2);
    require!(in_mqueue_fs(|dir| std::fs::remove_file(dir.join(name.bare())).unwrap()));
    assert_errno!(mq_open(name.as_cstr(), libc::O_RDWR, 0, None), Errno::ENOENT);
    q.send(b"still", 0).unwrap();
    assert_eq!(q.receive().unwrap().0, b"still");
}

/// mq_overview(7): permissions of a queue are those of its file: chmod(2) on the file
/// decides whether another user may open the queue.
#[test]
fn chmod_of_the_file_changes_who_may_open_the_queue() {
    // Root to mount the filesystem, and a child that becomes another user.
    needs!(root, cap(SETUID), cap(SETGID));
    let (name, _q) = new_queue("chmod", 2);
    let try_open = || {
        let n = name.as_cstr().to_owned();
        spawn("another user", move || {
            drop_to_nobody();
            match mq_open(&n, libc::O_RDWR, 0, None) {
                Ok(_) => fixtures::child::exit_now(0),
                Err(Errno::EACCES) => fixtures::child::exit_now(13),
                Err(e) => panic!("{e}"),
            }
        })
        .join()
    };
    assert_eq!(try_open(), Outcome::Exited(13), "mode 0600 keeps another user out");
    require!(in_mqueue_fs(|dir| {
        std::fs::set_permissions(dir.join(name.bare()), std::fs::Permissions::from_mode(0o666)).unwrap();
    }));
    assert_eq!(try_open(), Outcome::Exited(0), "after chmod 0666 another user may open it");
}
