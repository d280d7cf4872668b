//! Creating and joining namespaces in forked children, and skipping cleanly where that is
//! not allowed.
//!
//! [`sandbox`] runs a test body in a forked child that may create namespaces: directly
//! when the suite runs as root with CAP_SYS_ADMIN, or after entering a new user namespace
//! (mapping the caller's uid to 0) where unprivileged user namespaces are available. What
//! is possible here is probed once per test process, in a throw-away child.
//!
//! Inside the sandbox, any descendant that finds something it needs refused (a mount
//! blocked by an LSM, a read-only /proc/sys) calls [`skip_in_child`]: the reason travels
//! up through a pipe and the test reports SKIP with it instead of failing.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use fixtures::gate::{Cap, has_cap, report_skip};
use fixtures::sync::{Notifier, Waiter, channel};
use fixtures::{Forked, Outcome};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::unistd::Pid;

/// Exit status of a child that skipped (its reason is in the sandbox's skip pipe).
pub const SKIP_EXIT: i32 = 77;

/// The namespaces the suite creates below the sandbox; probed together.
pub const PROBED: CloneFlags = CloneFlags::CLONE_NEWIPC
    .union(CloneFlags::CLONE_NEWNS)
    .union(CloneFlags::CLONE_NEWNET)
    .union(CloneFlags::CLONE_NEWPID);

/// The write end of the current sandbox's skip pipe (-1 outside a sandbox).
static SKIP_FD: AtomicI32 = AtomicI32::new(-1);

/// How this test process can create namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Root with CAP_SYS_ADMIN: namespaces are created directly, as a runtime does.
    Direct,
    /// Through a new user namespace in which the caller is root.
    UserNs,
}

/// How namespaces can be created here, or why they cannot (probed once, in a child).
pub fn access() -> Result<Access, String> {
    static ACCESS: OnceLock<Result<Access, String>> = OnceLock::new();
    ACCESS.get_or_init(probe).clone()
}

fn probe() -> Result<Access, String> {
    let direct = if has_cap(Cap::SYS_ADMIN) {
        match probe_in_child(false) {
            Ok(()) => return Ok(Access::Direct),
            Err(e) => e,
        }
    } else {
        format!("no CAP_SYS_ADMIN (euid {})", nix::unistd::geteuid())
    };
    match probe_in_child(true) {
        Ok(()) => Ok(Access::UserNs),
        Err(userns) => Err(format!("cannot create namespaces: {direct}; and through a user namespace: {userns}")),
    }
}

/// Steps of the probe, reported by the child as `step << 16 | errno`.
const STEP_USERNS: u64 = 1;
const STEP_MAPS: u64 = 2;
const STEP_NAMESPACES: u64 = 3;

fn probe_in_child(via_userns: bool) -> Result<(), String> {
    let (tx, rx) = channel();
    let mut child = fixtures::spawn("namespace probe", || {
        let code = |step: u64, e: Errno| (step << 16) | e as u64;
        if let Some(Err((step, e))) = via_userns.then(|| unshare_user_ns(Some((0, 0)))) {
            tx.send_u64(code(if step == UserNsStep::Unshare { STEP_USERNS } else { STEP_MAPS }, e));
            return;
        }
        match nix::sched::unshare(PROBED) {
            Ok(()) => tx.send_u64(0),
            Err(e) => tx.send_u64(code(STEP_NAMESPACES, e)),
        }
    });
    child.join().expect_success();
    let v = rx.recv_u64();
    if v == 0 {
        return Ok(());
    }
    let e = Errno::from_raw((v & 0xffff) as i32);
    let what = match v >> 16 {
        STEP_USERNS => "unshare(CLONE_NEWUSER)",
        STEP_MAPS => "writing /proc/self/uid_map or gid_map",
        _ => "unshare(CLONE_NEWIPC|CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWPID)",
    };
    Err(format!("{what} failed with {e:?}{}", diagnose()))
}

/// The settings that usually explain a refused namespace, as " (a, b)".
pub fn diagnose() -> String {
    let mut notes = Vec::new();
    let read = |p: &str| std::fs::read_to_string(p).ok().map(|s| s.trim().to_string());
    if let Some(mode) = crate::caps::seccomp_mode().filter(|m| *m != 0) {
        notes.push(format!("seccomp mode {mode} is active (a container's default profile refuses unshare with EPERM)"));
    }
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        notes.push("kernel.unprivileged_userns_clone=0".to_string());
    }
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        notes.push("user.max_user_namespaces=0".to_string());
    }
    if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        notes.push("kernel.apparmor_restrict_unprivileged_userns=1".to_string());
    }
    if nix::unistd::geteuid().is_root() && !has_cap(Cap::SYS_ADMIN) {
        notes.push("root without CAP_SYS_ADMIN".to_string());
    }
    if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) }
}

/// Which step of entering a user namespace failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserNsStep {
    Unshare,
    Maps,
}

/// Enter a new user namespace. With `map = Some((uid, gid))` the caller's own euid/egid
/// (as they were before the call) are mapped to `uid`/`gid` inside, after denying
/// setgroups(2) as an unprivileged writer of gid_map must (user_namespaces(7)); with `None`
/// nothing is mapped and every id shows as the overflow id inside.
pub fn unshare_user_ns(map: Option<(u32, u32)>) -> Result<(), (UserNsStep, Errno)> {
    // After unshare the caller's own ids read as the overflow id: take them first.
    let (uid, gid) = (nix::unistd::geteuid().as_raw(), nix::unistd::getegid().as_raw());
    nix::sched::unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| (UserNsStep::Unshare, e))?;
    let Some((inside_uid, inside_gid)) = map else { return Ok(()) };
    let write = |p: &str, s: String| {
        std::fs::write(p, s).map_err(|e| (UserNsStep::Maps, Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))))
    };
    write("/proc/self/uid_map", format!("{inside_uid} {uid} 1\n"))?;
    match write("/proc/self/setgroups", "deny".to_string()) {
        Ok(()) | Err((_, Errno::ENOENT)) => {}
        Err(e) => return Err(e),
    }
    write("/proc/self/gid_map", format!("{inside_gid} {gid} 1\n"))
}

/// In a child: enter a new user namespace (see [`unshare_user_ns`]); skips (through the
/// sandbox) where user namespaces cannot be created from here.
pub fn enter_user_ns(map: Option<(u32, u32)>) {
    if let Err((step, e)) = unshare_user_ns(map) {
        let what = match step {
            UserNsStep::Unshare => "unshare(CLONE_NEWUSER)",
            UserNsStep::Maps => "writing the id maps of a new user namespace",
        };
        skip_in_child(&format!("{what} failed with {e:?}{}", diagnose()));
    }
}

/// Run `body` as a test in a forked child that may create namespaces (see the module
/// documentation). Reports SKIP (and returns) where namespaces cannot be created here or
/// where a descendant called [`skip_in_child`]; panics with the child's failure otherwise.
#[track_caller]
pub fn sandbox<F: FnOnce()>(what: &str, body: F) {
    let access = match access() {
        Ok(a) => a,
        Err(reason) => {
            report_skip(&reason);
            return;
        }
    };
    let (skip_rx, skip_tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2 for skip reasons");
    let skip_fd = skip_tx.as_raw_fd();
    let mut child = fixtures::spawn(what, || {
        SKIP_FD.store(skip_fd, Ordering::SeqCst);
        if access == Access::UserNs {
            enter_user_ns(Some((0, 0)));
        }
        body();
    });
    drop(skip_tx);
    // Every step inside the body is bounded by its own deadline (DEFAULT_DEADLINE each):
    // the sandbox waits longer than one of them, so a stuck step fails with its own name
    // instead of the sandbox being killed first with the same deadline.
    let outcome = child.join_within(3 * fixtures::DEFAULT_DEADLINE);
    match outcome {
        Outcome::Exited(0) => {}
        Outcome::Exited(SKIP_EXIT) => {
            let reason = read_available(&skip_rx);
            report_skip(if reason.is_empty() { "a child skipped without a reason" } else { &reason });
        }
        other => panic!("{what}: {other}"),
    }
}

fn read_available(fd: &OwnedFd) -> String {
    // SAFETY: fcntl on our own fd; nonblocking because a killed grandchild may have held
    // the write end.
    unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    while let Ok(n @ 1..) = nix::unistd::read(fd, &mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).trim().to_string()
}

/// In a descendant of [`sandbox`]: give up this test as SKIP with `reason` (exits at once).
pub fn skip_in_child(reason: &str) -> ! {
    let fd = SKIP_FD.load(Ordering::SeqCst);
    if fd < 0 {
        panic!("skip_in_child outside a sandbox: {reason}");
    }
    let line = format!("{reason}\n");
    // SAFETY: writing our own buffer to the inherited pipe.
    unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) };
    fixtures::child::exit_now(SKIP_EXIT)
}

/// Joining children inside a sandbox: success, or propagate a skip, or fail naming it.
pub trait Settle {
    /// Join; return on exit 0, pass a skip up, panic on anything else.
    fn settle(self);
}

impl Settle for Forked {
    #[track_caller]
    fn settle(mut self) {
        let what = self.what().to_string();
        settle_outcome(&what, self.join());
    }
}

/// [`Settle::settle`] for an outcome already obtained.
#[track_caller]
pub fn settle_outcome(what: &str, outcome: Outcome) {
    match outcome {
        Outcome::Exited(0) => {}
        Outcome::Exited(SKIP_EXIT) if SKIP_FD.load(Ordering::SeqCst) >= 0 => fixtures::child::exit_now(SKIP_EXIT),
        other => panic!("child '{what}' {other}"),
    }
}

/// In a child: unshare `flags`. With CLONE_NEWNS every mount is then made private
/// recursively (`mount --make-rprivate /`), so nothing mounted here propagates out.
#[track_caller]
pub fn enter(flags: CloneFlags) {
    if let Err(e) = nix::sched::unshare(flags) {
        panic!("unshare({flags:?}) failed with {e:?}{}", diagnose());
    }
    if flags.contains(CloneFlags::CLONE_NEWNS) {
        make_mounts_private();
    }
}

/// `mount --make-rprivate /` in the caller's (new) mount namespace
/// ([`fixtures::ns::make_mounts_private`]).
#[track_caller]
pub fn make_mounts_private() {
    if let Err(e) = fixtures::ns::make_mounts_private() {
        panic!("mount --make-rprivate / failed with {e:?}");
    }
}

/// A refused mount is an environment limit (an LSM policy, a missing capability), not a
/// wrong claim: skip with the reason. Anything else is a failure.
#[track_caller]
fn mount_or_skip(what: &str, r: Result<(), Errno>) {
    match r {
        Ok(()) => {}
        Err(e @ (Errno::EPERM | Errno::EACCES)) => skip_in_child(&format!("{what} refused with {e:?} here{}", diagnose())),
        Err(e) => panic!("{what} failed with {e:?}"),
    }
}

/// Mount a tmpfs with `options` (e.g. "size=65536,mode=1777") on `target`.
#[track_caller]
pub fn mount_tmpfs(target: &Path, options: &str) {
    mount_or_skip(
        &format!("mount -t tmpfs -o {options} on {}", target.display()),
        fixtures::ns::mount_fs("tmpfs", "tmpfs", target, Some(options)),
    );
}

/// Mount the mqueue filesystem of the caller's IPC namespace on `target`.
#[track_caller]
pub fn mount_mqueue(target: &Path) {
    mount_or_skip(&format!("mount -t mqueue on {}", target.display()), fixtures::ns::mount_fs("mqueue", "mqueue", target, None));
}

/// Bind-mount `src` (file or directory) on `target`.
#[track_caller]
pub fn bind_mount(src: &Path, target: &Path) {
    mount_or_skip(
        &format!("bind mount of {} on {}", src.display(), target.display()),
        fixtures::ns::bind_mount(src, target),
    );
}

/// Open /proc/<pid>/ns/<kind> ("ipc", "mnt", "net", "pid", "user").
#[track_caller]
pub fn ns_file(pid: Pid, kind: &str) -> OwnedFd {
    let p = format!("/proc/{pid}/ns/{kind}");
    OwnedFd::from(std::fs::File::open(&p).unwrap_or_else(|e| panic!("open {p}: {e}")))
}

/// The inode number that identifies the namespace /proc/<pid>/ns/<kind> refers to
/// (namespaces(7): same namespace, same device and inode). `pid` may be "self".
#[track_caller]
pub fn ns_inode(pid: &str, kind: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let p = format!("/proc/{pid}/ns/{kind}");
    std::fs::metadata(&p).unwrap_or_else(|e| panic!("stat {p}: {e}")).ino()
}

/// setns(2) into the namespace behind `fd`.
pub fn setns(fd: impl AsFd, nstype: CloneFlags) -> Result<(), Errno> {
    nix::sched::setns(fd, nstype)
}

/// In a child: join the `kind` namespace of process `pid` (setns(2) on its ns file).
#[track_caller]
pub fn join_ns(pid: Pid, kind: &str, nstype: CloneFlags) {
    let fd = ns_file(pid, kind);
    if let Err(e) = setns(&fd, nstype) {
        panic!("setns into /proc/{pid}/ns/{kind} failed with {e:?}");
    }
}

/// The classic two-step handshake with a child that sets something up and must then stay
/// alive until the test is done with it: the child calls [`Pause::ready_and_wait`], the
/// test calls [`Pause::wait_ready`], does its checks, then [`Pause::release`].
pub struct Pause {
    ready_tx: Notifier,
    ready_rx: Waiter,
    go_tx: Notifier,
    go_rx: Waiter,
}

impl Pause {
    pub fn new() -> Pause {
        let (ready_tx, ready_rx) = channel();
        let (go_tx, go_rx) = channel();
        Pause { ready_tx, ready_rx, go_tx, go_rx }
    }

    /// In the child: announce "ready" and wait (bounded) until released.
    #[track_caller]
    pub fn ready_and_wait(&self) {
        self.ready_tx.notify();
        self.go_rx.wait();
    }

    /// In the child: announce "ready" with a value (a pid, an id) and wait until released.
    #[track_caller]
    pub fn ready_with_and_wait(&self, v: u64) {
        self.ready_tx.send_u64(v);
        self.go_rx.wait();
    }

    /// Wait (bounded) for the "ready" of `child`. If the child ends first, its outcome is
    /// settled: a skip is passed up, a failure reported with the child's own message.
    #[track_caller]
    pub fn wait_ready(&self, child: &mut Forked) {
        wait_from(&self.ready_rx, 1, child);
    }

    /// Wait (bounded) for the "ready" of `child` carrying a value (see [`Pause::wait_ready`]).
    #[track_caller]
    pub fn wait_ready_value(&self, child: &mut Forked) -> u64 {
        u64::from_ne_bytes(wait_from(&self.ready_rx, 8, child).try_into().unwrap())
    }

    /// Wait (bounded) for a "ready" from a process that is not our child (a sibling).
    #[track_caller]
    pub fn wait_ready_from_sibling(&self) {
        self.ready_rx.wait();
    }

    /// Let the child go on.
    pub fn release(&self) {
        self.go_tx.notify();
    }
}

impl Default for Pause {
    fn default() -> Self {
        Pause::new()
    }
}

/// Receive `n` bytes sent by `child` on `rx`, bounded by the default deadline. If the child
/// ends without sending them (it skipped, failed, or finished early), its outcome is
/// settled instead: a skip is passed up and a failure shows the child's own message.
#[track_caller]
pub fn wait_from(rx: &Waiter, n: usize, child: &mut Forked) -> Vec<u8> {
    let slice = std::time::Duration::from_millis(10);
    let deadline = std::time::Instant::now() + fixtures::scaled(fixtures::DEFAULT_DEADLINE);
    loop {
        match rx.recv_within(n, slice) {
            Ok(v) => return v,
            Err(0) => {}
            Err(got) => panic!("child '{}' sent {got} of {n} bytes", child.what()),
        }
        if let Some(outcome) = child.try_join_within(std::time::Duration::ZERO) {
            let what = child.what().to_string();
            settle_outcome(&what, outcome);
            panic!("child '{what}' exited with status 0 before sending what the test waits for");
        }
        if std::time::Instant::now() > deadline {
            panic!("child '{}' did not send {n} bytes within {:?}", child.what(), fixtures::scaled(fixtures::DEFAULT_DEADLINE));
        }
    }
}

pub use fixtures::io::owned;
