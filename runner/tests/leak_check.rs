//! The leak checker (runner/src/leaks.rs) catches what a run leaves behind: objects are
//! planted between two snapshots, and each must be reported with its kind and, where the
//! object says, its creator or its test; once removed, nothing planted is reported.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ipcspec::leaks::{self, Leak, Places};

fn planted<'a>(leaks: &'a [Leak], tag: &str) -> Vec<&'a Leak> {
    leaks.iter().filter(|l| l.object.name.contains(tag) || l.object.detail.contains(tag)).collect()
}

#[test]
fn planted_leaks_of_every_kind_are_reported_and_removed_ones_are_not() {
    let pid = std::process::id();
    let tag = format!("planted{pid}");
    // A private /proc/sys copy: changing a real value would disturb other runs on the machine.
    let fake_sys = tempfile::tempdir().unwrap();
    fs::create_dir_all(fake_sys.path().join("fs/mqueue")).unwrap();
    fs::write(fake_sys.path().join("fs/mqueue/msg_max"), "10\n").unwrap();
    let places = Places { proc_sys: fake_sys.path().to_path_buf(), ..Places::default() };
    let before = leaks::snapshot(&places);

    // POSIX shm and a named semaphore, as the fixtures name them (the creator's pid first).
    let shm = PathBuf::from(format!("/dev/shm/ipcspec-{pid}-00000000-0-{tag}"));
    let sem = PathBuf::from(format!("/dev/shm/sem.ipcspec-{pid}-00000000-1-{tag}"));
    fs::write(&shm, b"x").unwrap();
    fs::write(&sem, b"x").unwrap();
    // A message queue (listed through /dev/mqueue, or a private mount of the mqueue fs).
    let mq_name = std::ffi::CString::new(format!("/ipcspec-{pid}-00000000-2-{tag}")).unwrap();
    struct Unlink(std::ffi::CString);
    impl Drop for Unlink {
        fn drop(&mut self) {
            // SAFETY: a valid name.
            unsafe { libc::mq_unlink(self.0.as_ptr()) };
        }
    }
    let _mq_guard = Unlink(mq_name.clone());
    // SAFETY: a valid name; the attributes are the defaults.
    let mqd = unsafe { libc::mq_open(mq_name.as_ptr(), libc::O_CREAT | libc::O_RDWR, 0o600, std::ptr::null::<libc::mq_attr>()) };
    assert!(mqd >= 0, "mq_open: {}", std::io::Error::last_os_error());
    // SAFETY: our descriptor.
    unsafe { libc::mq_close(mqd) };
    // A scratch directory holding a FIFO, and a socket file at the top of the temp dir.
    let scratch = std::env::temp_dir().join(format!("ipcspec-{tag}"));
    fs::create_dir_all(&scratch).unwrap();
    nix::unistd::mkfifo(&scratch.join("fifo"), nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let sock = std::env::temp_dir().join(format!("ipcspec-{tag}.sock"));
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    // A process of a "test" that outlived it, holding a lock on a scratch file.
    let lockfile = scratch.join("locked");
    fs::write(&lockfile, b"").unwrap();
    let mut child = Command::new("flock")
        .args(["-x", "-F"])
        .arg(&lockfile)
        .args(["sleep", "60"])
        .env("NEXTEST_BINARY_ID", "planted::bin")
        .env("NEXTEST_TEST_NAME", &tag)
        .env("NEXTEST_RUN_ID", "planted-run")
        .stdin(Stdio::null())
        .spawn()
        .expect("flock(1) from util-linux");
    // The child takes the lock asynchronously: wait (bounded) until /proc/locks shows it.
    let start = Instant::now();
    let ino = {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(&lockfile).unwrap().ino()
    };
    while !fs::read_to_string("/proc/locks").unwrap().lines().any(|l| l.contains(&format!(":{ino} "))) {
        assert!(start.elapsed() < Duration::from_secs(10), "flock(1) never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A /proc/sys value that was not restored.
    fs::write(fake_sys.path().join("fs/mqueue/msg_max"), "11\n").unwrap();

    let after = leaks::snapshot(&places);
    let found = leaks::diff(&before, &after);
    let mine = planted(&found, &tag);
    let kinds = |k: &str| mine.iter().filter(|l| l.object.kind == k).count();
    assert_eq!(kinds("shm"), 1, "{found:#?}");
    assert_eq!(kinds("sem"), 1, "{found:#?}");
    assert_eq!(kinds("scratch"), 1, "{found:#?}");
    assert_eq!(kinds("socket"), 1, "{found:#?}");
    if after.notes.is_empty() {
        assert_eq!(kinds("mq"), 1, "{found:#?}");
    } else {
        println!("{} message queues not checked here: {:?}", ipcspec_protocol::SKIP_MARKER, after.notes);
    }
    for l in mine.iter().filter(|l| matches!(l.object.kind, "shm" | "sem" | "mq")) {
        assert_eq!(l.object.pid, Some(pid as i32), "the creator's pid comes from the name: {l:?}");
    }
    let procs: Vec<&Leak> = found.iter().filter(|l| l.object.kind == "process" && l.object.pid == Some(child.id() as i32)).collect();
    assert_eq!(procs.len(), 1, "{found:#?}");
    assert_eq!(procs[0].object.test.as_deref(), Some(format!("planted::bin::{tag}").as_str()));
    assert!(procs[0].describe().contains(&format!("left by planted::bin::{tag}")), "{}", procs[0].describe());
    assert!(found.iter().any(|l| l.object.kind == "lock" && l.object.name.contains(&lockfile.display().to_string())), "{found:#?}");
    assert!(
        found.iter().any(|l| l.object.kind == "sysctl" && l.object.name.ends_with("fs/mqueue/msg_max") && l.object.detail == "was 10, now 11"),
        "{found:#?}"
    );
    // Another run's process (other NEXTEST_RUN_ID) is not this run's leak.
    let other_run = leaks::Ours { uid: None, run_id: Some("another-run".into()) };
    assert!(!other_run.owns(&procs[0].object));

    // Clean up; then nothing planted is reported any more.
    child.kill().unwrap();
    child.wait().unwrap();
    drop(_listener);
    for l in &mine {
        leaks::remove(&l.object);
    }
    // Also where the queue could not be listed (no root, no /dev/mqueue): never leave it.
    // SAFETY: a valid name.
    unsafe { libc::mq_unlink(mq_name.as_ptr()) };
    let _ = fs::remove_file(&sock);
    fs::write(fake_sys.path().join("fs/mqueue/msg_max"), "10\n").unwrap();
    let (left, _) = leaks::settle(&before, &places, Duration::from_secs(3), &leaks::Ours::default());
    let left_mine: Vec<&Leak> = left.iter().filter(|l| l.object.name.contains(&tag) || l.object.pid == Some(child.id() as i32) || l.object.kind == "sysctl").collect();
    assert!(left_mine.is_empty(), "{left_mine:#?}");
}
