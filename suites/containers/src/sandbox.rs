//! Creating and joining namespaces in forked children, and skipping cleanly where that is
//! not allowed.
//!
//! A test states that it needs namespaces with `needs!(available(namespaces()))` (variant
//! `present`, or SKIP with `blocked` / `absent`); [`sandbox`] then runs its body in a forked
//! child that may create them: directly when the suite runs as root with CAP_SYS_ADMIN, or
//! after entering a new user namespace (mapping the caller's uid to 0) where unprivileged
//! user namespaces are available. What is possible here is probed once per test process, in
//! a throw-away child ([`fixtures::ns::access`]).
//!
//! Inside the sandbox, any descendant that finds something it needs refused (a mount
//! blocked by an LSM, a read-only /proc/sys) skips with the fixtures' macros
//! (`fixtures::skip_blocked!`, `skip_absent!`, `skip!`): the reason travels up through the
//! children (`expect_success` of a skipped child skips its parent too) and the test reports
//! SKIP with it instead of failing. The namespace and mount system calls are
//! [`fixtures::ns`]'s; the helpers here add the suite's policy (a refused mount is a skip).

use std::path::{Path, PathBuf};

use fixtures::{Agent, Outcome, Scratch};
use fixtures::facility::Availability;
use fixtures::ns::{Access, diagnose};
use nix::errno::Errno;

/// The namespaces the suite creates below the sandbox; probed together.
pub const PROBED: libc::c_int = libc::CLONE_NEWIPC | libc::CLONE_NEWNS | libc::CLONE_NEWNET | libc::CLONE_NEWPID;

/// How this test process can create the suite's namespaces ([`fixtures::ns::access`] of
/// [`PROBED`]), or why not.
pub fn access() -> Result<Access, Availability> {
    fixtures::ns::access(PROBED)
}

/// Whether the suite's namespaces can be created here (a probe for `needs!(available(..))`):
/// `present`, with how (directly, or through a user namespace); else why not, as `blocked`
/// (user namespaces or unshare denied here) or `absent` (a kernel without a namespace type).
pub fn namespaces() -> Availability {
    match access() {
        Ok(Access::Direct) => Availability::Present("namespaces are created directly (CAP_SYS_ADMIN)".into()),
        Ok(Access::UserNs) => Availability::Present("namespaces are created inside a new user namespace".into()),
        Err(why) => why,
    }
}

/// Gate: the namespaces are created directly, by a process with CAP_SYS_ADMIN in the
/// initial user namespace (claims that need real ids outside any user namespace).
pub fn direct_namespaces() -> Result<(), String> {
    match access() {
        Ok(Access::Direct) => Ok(()),
        Ok(Access::UserNs) => Err("needs namespaces made directly (root with CAP_SYS_ADMIN); here they are made through a user namespace".into()),
        Err(why) => Err(why.why().to_string()),
    }
}

/// In a child: enter a new user namespace (see [`fixtures::ns::enter_user_ns`]); skips
/// with the variant `blocked` where user namespaces cannot be created from here.
pub fn enter_user_ns(map: Option<(u32, u32)>) {
    if let Err((step, e)) = fixtures::ns::enter_user_ns(map) {
        fixtures::skip_blocked!("{step} failed with {e:?}{}", diagnose());
    }
}

/// Run `body` as a test in a forked child that may create namespaces (see the module
/// documentation); the test has checked [`namespaces`] first (`needs!`). Reports SKIP where
/// a descendant skipped; panics with the child's failure otherwise.
#[track_caller]
pub fn sandbox<F: FnOnce()>(what: &str, body: F) {
    let access = access().unwrap_or_else(|why| {
        panic!("{what}: no namespaces here ({}); the test must state needs!(available(namespaces())) first", why.why())
    });
    let mut child = fixtures::spawn(what, || {
        // variant: none — Direct or through a user namespace, the tests assert the same
        // outcomes (ids are compared with the process's own, whatever they are).
        if access == Access::UserNs {
            enter_user_ns(Some((0, 0)));
        }
        body();
    });
    // Every step inside the body is bounded by its own deadline (DEFAULT_DEADLINE each):
    // the sandbox waits longer than one of them, so a stuck step fails with its own name
    // instead of the sandbox being killed first with the same deadline.
    match child.join_within(3 * fixtures::DEFAULT_DEADLINE) {
        Outcome::Exited(0) => {}
        Outcome::Skipped(reason) => fixtures::gate::report_skip(&reason),
        other => panic!("{what}: {other}"),
    }
}

/// In a child: unshare `flags` (`libc::CLONE_NEW*`). With CLONE_NEWNS every mount is then
/// made private recursively (`mount --make-rprivate /`), so nothing mounted here
/// propagates out.
#[track_caller]
pub fn enter(flags: libc::c_int) {
    if let Err(e) = fixtures::ns::unshare_exact(flags) {
        panic!("unshare({flags:#x}) failed with {e:?}{}", diagnose());
    }
    if flags & libc::CLONE_NEWNS != 0
        && let Err(e) = fixtures::ns::make_mounts_private()
    {
        panic!("mount --make-rprivate / failed with {e:?}");
    }
}

/// A refused mount is an environment limit (an LSM policy, a missing capability), not a
/// wrong claim: skip with the reason and the variant `blocked`. Anything else is a failure.
#[track_caller]
fn mount_or_skip(what: &str, r: Result<(), Errno>) {
    match r {
        Ok(()) => {}
        Err(e @ (Errno::EPERM | Errno::EACCES)) => fixtures::skip_blocked!("{what} refused with {e:?} here{}", diagnose()),
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

/// Empty directories `names` in a fresh scratch directory (mount points); the `Scratch`
/// removes them when dropped.
pub fn mount_points<const N: usize>(names: [&str; N]) -> (Scratch, [PathBuf; N]) {
    let s = Scratch::new();
    let dirs = names.map(|n| s.join(n));
    for d in &dirs {
        std::fs::create_dir(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
    }
    (s, dirs)
}

/// A scratch directory holding the host side of a volume, `volume/data` (holding `data`),
/// and the empty directories `a` and `b` that become two containers' roots:
/// (scratch, volume, root a, root b).
pub fn volume_and_two_roots(data: &[u8]) -> (Scratch, PathBuf, PathBuf, PathBuf) {
    let (s, [volume, root_a, root_b]) = mount_points(["volume", "a", "b"]);
    std::fs::write(volume.join("data"), data).unwrap();
    (s, volume, root_a, root_b)
}

/// In a child: become a container whose root `root` is a private tmpfs with the shared
/// `volume` bind-mounted at `root`/vol (as `docker run -v` does); returns the path of the
/// volume's data file inside.
pub fn become_container(root: &Path, volume: &Path) -> PathBuf {
    enter(libc::CLONE_NEWNS);
    mount_tmpfs(root, "mode=0755");
    let vol = root.join("vol");
    std::fs::create_dir(&vol).unwrap();
    bind_mount(volume, &vol);
    vol.join("data")
}

/// Fork a process that runs `setup` (entering namespaces, mounting, creating objects) and
/// then keeps what it set up, and the value `setup` returned (an open descriptor, a lock),
/// until released; returned once `setup` is done. The test's `expect_success` releases it
/// and checks how it ended (a skip in `setup` skips the test).
#[track_caller]
pub fn holding<T>(what: &str, setup: impl FnOnce() -> T) -> Agent<(), ()> {
    let holder = Agent::<(), ()>::spawn(what, |serve| {
        let held = setup();
        serve.ready(());
        serve.wait_release();
        drop(held);
    });
    holder.ready::<()>();
    holder
}
