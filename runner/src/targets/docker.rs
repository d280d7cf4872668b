//! `docker:<mode>`: the whole plan inside one container per mode, on the host kernel.
//!
//! The container runs the same bundle as a VM (runner/src/bundle.rs), baked into an image
//! `ipcspec-bundle:<content hash>` built from docker/Dockerfile (`FROM scratch` by default,
//! any base with `--docker-base`), and the same guest executor
//! (`/ipcspec/ipcspec guest --plan - --results -`, as the container's PID 1): the plan goes in
//! on standard input, the framed result stream comes back on standard output, and
//! [`crate::targets::vm::columns_from`] turns it into columns, so every planned test gets
//! exactly one cell and a container that dies makes the rest CRASH with the reason.
//!
//! Modes ([`Mode`]) are `docker run` flags ([`run_args`]) and the variables the `containers`
//! suite reads (docs/suites/containers.md): `default`, `ipc-host`, `nonroot` (uid/gid 65534
//! only: its root column is its nobody column), `privileged` (on a daemon that cannot grant
//! every capability, an explicit approximation, stated in the column: [`PrivilegedAs`]),
//! `shm-small`.
//!
//! Nothing is left behind: containers run with `--rm` and carry labels (role, owner, mode);
//! the owner (boot id, pid and start time of the runner) lets a later run remove containers
//! of a runner that is gone ([`is_stale`]); SIGINT/SIGTERM/SIGHUP remove this run's
//! containers before the runner exits ([`install_interrupt_cleanup`]); a host-side deadline
//! removes a container that stops answering. Older `ipcspec-bundle` images are removed once
//! the current one exists ([`stale_images`]). No volume is created.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bundle::{Bundle, GUEST_DIRS};
use crate::frame::{Decoder, Record};
use crate::kernels::KernelImage;
use crate::model::{ColumnRun, User};
use crate::progress::Progress;
use crate::qemu::{self, Accel, VmOutput};
use crate::targets::vm::VmOptions;
use crate::targets::{Inject, Plan, TargetSpec};

/// The docker CLI.
pub const DOCKER: &str = "docker";
/// Repository of the bundle images: `ipcspec-bundle:<hash of the bundle and Dockerfile>`.
pub const IMAGE_REPO: &str = "ipcspec-bundle";
/// Label on everything the runner creates: `bundle` (images) or `run` (containers).
pub const LABEL_ROLE: &str = "org.ipcspec.role";
pub const ROLE_BUNDLE: &str = "bundle";
pub const ROLE_RUN: &str = "run";
/// Label on containers: the runner that owns them (`<boot id>:<pid>:<start time>`).
pub const LABEL_OWNER: &str = "org.ipcspec.owner";
/// Label on containers: the mode.
pub const LABEL_MODE: &str = "org.ipcspec.mode";
/// Label on images: the content key (also the tag).
pub const LABEL_KEY: &str = "org.ipcspec.bundle-key";
/// The Dockerfile (docker/Dockerfile, compiled in so the runner never builds another one).
pub const DOCKERFILE: &str = include_str!("../../../docker/Dockerfile");
/// The base image when neither --docker-base nor IPCSPEC_DOCKER_BASE names one.
pub const DEFAULT_BASE: &str = "scratch";
/// The --shm-size of `shm-small`: 4 MiB.
pub const SHM_SMALL_BYTES: u64 = 4 << 20;
/// Where the executor keeps test output inside the container (on the /tmp tmpfs).
pub const WORK_DIR: &str = "/tmp/.ipcspec-executor";
/// The variables of the `containers` suite (docs/suites/containers.md).
pub const MODE_VAR: &str = "IPCSPEC_CONTAINER_MODE";
pub const SHM_SIZE_VAR: &str = "IPCSPEC_SHM_SIZE";
pub const PRIVILEGED_MISSING_CAPS_VAR: &str = "IPCSPEC_PRIVILEGED_MISSING_CAPS";
pub const HOST_IPC_NS_VAR: &str = "IPCSPEC_HOST_IPC_NS";

/// A container mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Docker's defaults: default seccomp profile and capabilities, a private IPC namespace,
    /// a 64 MiB /dev/shm.
    Default,
    /// `--ipc=host`: the host's IPC namespace (and its /dev/shm).
    IpcHost,
    /// `--user 65534:65534`: no root at all.
    NonRoot,
    /// `--privileged`.
    Privileged,
    /// `--shm-size 4m`.
    ShmSmall,
}

impl Mode {
    pub const ALL: [Mode; 5] = [Mode::Default, Mode::IpcHost, Mode::NonRoot, Mode::Privileged, Mode::ShmSmall];

    pub fn parse(s: &str) -> Result<Mode, String> {
        Mode::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            format!("unknown docker mode {s:?}. Modes: {}", Mode::ALL.map(|m| format!("docker:{}", m.name())).join(", "))
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Default => "default",
            Mode::IpcHost => "ipc-host",
            Mode::NonRoot => "nonroot",
            Mode::Privileged => "privileged",
            Mode::ShmSmall => "shm-small",
        }
    }

    /// False for `nonroot`: the container has no root, only uid/gid 65534.
    pub fn allows_root(self) -> bool {
        self != Mode::NonRoot
    }

    /// The mode's own `docker run` flags (privileged: the real flag; see [`PrivilegedAs`]).
    pub fn flags(self, privileged: &PrivilegedAs) -> Vec<String> {
        let v: Vec<&str> = match self {
            Mode::Default => vec![],
            Mode::IpcHost => vec!["--ipc=host"],
            Mode::NonRoot => vec!["--user", "65534:65534"],
            Mode::ShmSmall => return vec!["--shm-size".into(), SHM_SMALL_BYTES.to_string()],
            Mode::Privileged => return privileged.flags(),
        };
        v.into_iter().map(String::from).collect()
    }
}

/// How `privileged` is given to docker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivilegedAs {
    /// `--privileged`.
    Full,
    /// The daemon cannot grant these capabilities (its own bounding set lacks them, so
    /// `--privileged` fails with "unable to apply caps"): everything `--privileged` does for
    /// the tests except those capabilities, host devices and a writable /sys.
    Approximated { missing: Vec<String> },
}

impl PrivilegedAs {
    pub fn flags(&self) -> Vec<String> {
        match self {
            PrivilegedAs::Full => vec!["--privileged".into()],
            PrivilegedAs::Approximated { missing } => {
                let mut v: Vec<String> = vec!["--cap-add".into(), "ALL".into()];
                for c in missing {
                    v.push("--cap-drop".into());
                    v.push(c.clone());
                }
                for o in ["seccomp=unconfined", "apparmor=unconfined", "label=disable", "systempaths=unconfined"] {
                    v.push("--security-opt".into());
                    v.push(o.into());
                }
                v
            }
        }
    }

    /// What the tests are told: in an approximation, the capabilities it could not give
    /// (`IPCSPEC_PRIVILEGED_MISSING_CAPS=SYS_RESOURCE,...`), so that the containers suite
    /// asserts exactly the rest.
    pub fn env(&self) -> Vec<(String, String)> {
        match self {
            PrivilegedAs::Full => Vec::new(),
            PrivilegedAs::Approximated { missing } => vec![(PRIVILEGED_MISSING_CAPS_VAR.to_string(), missing.join(","))],
        }
    }

    /// What the column says about it (empty for the real thing).
    pub fn note(&self) -> Option<String> {
        match self {
            PrivilegedAs::Full => None,
            PrivilegedAs::Approximated { missing } => Some(format!(
                "MODE APPROXIMATED: `docker run --privileged` cannot start on this daemon (runc: \"unable to apply caps\": the daemon's \
                 bounding set lacks CAP_{m}), so this column ran `{}`: every capability docker knows except CAP_{m}, no seccomp, \
                 no AppArmor/SELinux confinement, /proc/sys and the rest of /proc writable and unmasked. Unlike --privileged: no \
                 CAP_{m}, the host's devices are not in /dev, /sys stays read-only",
                self.flags().join(" "),
                m = missing.join(", CAP_")
            )),
        }
    }
}

/// capabilities(7) names, by number.
pub const CAP_NAMES: [&str; 41] = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
];

/// The capabilities up to `last_cap` that are not in `bounding` (a CapBnd mask), by name.
pub fn missing_caps(bounding: u64, last_cap: u32) -> Vec<String> {
    (0..=last_cap.min(63))
        .filter(|&c| bounding & (1u64 << c) == 0)
        .map(|c| CAP_NAMES.get(c as usize).map(|n| n.to_string()).unwrap_or_else(|| format!("{c}")))
        .collect()
}

/// False for a docker target whose mode has no root (`docker:nonroot`); true otherwise.
pub fn allows_root(target: &TargetSpec) -> bool {
    match target {
        TargetSpec::Docker(m) => Mode::parse(m).map_or(true, Mode::allows_root),
        _ => true,
    }
}

/// The variables the `containers` suite reads in a docker target.
pub fn mode_env(mode: Mode, host_ipc_ns: Option<&str>) -> Vec<(String, String)> {
    let mut v = vec![(MODE_VAR.to_string(), mode.name().to_string())];
    if mode == Mode::ShmSmall {
        v.push((SHM_SIZE_VAR.to_string(), SHM_SMALL_BYTES.to_string()));
    }
    if let Some(ns) = host_ipc_ns {
        v.push((HOST_IPC_NS_VAR.to_string(), ns.to_string()));
    }
    v
}

/// One container to start.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub mode: Mode,
    pub owner: String,
    pub host_ipc_ns: Option<String>,
    pub privileged: PrivilegedAs,
}

/// `docker run ...` for a container: removed when it ends (`--rm`), labelled, the plan on
/// standard input (`-i`), signals not forwarded (the runner stops it with `docker rm -f`),
/// /tmp a tmpfs as in the VMs (never the storage driver's filesystem), the mode's flags and
/// variables. Pure.
pub fn run_args(spec: &ContainerSpec) -> Vec<String> {
    let mut a: Vec<String> = ["run", "--rm", "-i", "--sig-proxy=false", "--name", &spec.name]
        .into_iter()
        .map(String::from)
        .collect();
    for (k, v) in [(LABEL_ROLE, ROLE_RUN), (LABEL_OWNER, spec.owner.as_str()), (LABEL_MODE, spec.mode.name())] {
        a.push("--label".into());
        a.push(format!("{k}={v}"));
    }
    a.push("--tmpfs".into());
    a.push("/tmp:rw,nosuid,nodev,exec,mode=1777".into());
    a.extend(spec.mode.flags(&spec.privileged));
    for (k, v) in mode_env(spec.mode, spec.host_ipc_ns.as_deref()).into_iter().chain(spec.privileged.env()) {
        a.push("-e".into());
        a.push(format!("{k}={v}"));
    }
    a.push("--entrypoint".into());
    a.push(crate::bundle::GUEST_EXECUTOR.into());
    a.push(spec.image.clone());
    a.extend(["guest", "--plan", "-", "--results", "-"].map(String::from));
    a
}

/// The runner that owns a container: a label value `<boot id>:<pid>:<start time in ticks>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub boot_id: String,
    pub pid: u32,
    pub start: u64,
}

impl Owner {
    /// This process.
    pub fn me() -> Owner {
        let pid = std::process::id();
        Owner { boot_id: boot_id(), pid, start: process_start(pid).unwrap_or(0) }
    }

    pub fn label(&self) -> String {
        format!("{}:{}:{}", self.boot_id, self.pid, self.start)
    }

    pub fn parse(s: &str) -> Option<Owner> {
        let mut p = s.trim().rsplitn(3, ':');
        let start = p.next()?.parse().ok()?;
        let pid = p.next()?.parse().ok()?;
        let boot_id = p.next()?.to_string();
        (!boot_id.is_empty()).then_some(Owner { boot_id, pid, start })
    }
}

fn boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_string()).unwrap_or_else(|_| "unknown-boot".into())
}

/// A process's start time (clock ticks after boot, /proc/<pid>/stat field 22), if it exists.
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_start_time(&stat)
}

/// Field 22 of a /proc/<pid>/stat line (comm may hold spaces and parentheses). Pure.
pub fn stat_start_time(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether a container labelled `owner` may be removed by a runner on boot `my_boot`: its
/// owner is gone (no process with that pid and start time on this boot). A container of
/// another boot (a daemon shared with another machine, or a reboot) is removed only once it
/// is not running; one without a readable owner is left alone. Pure (`alive` gives a pid's
/// start time).
pub fn is_stale(owner: &str, running: bool, my_boot: &str, alive: impl Fn(u32) -> Option<u64>) -> bool {
    let Some(o) = Owner::parse(owner) else { return false };
    if o.boot_id != my_boot {
        return !running;
    }
    alive(o.pid) != Some(o.start)
}

/// `docker ps -a --format '{{.ID}}\t{{.State}}\t{{.Label "org.ipcspec.owner"}}'` as
/// (id, running, owner). Pure.
pub fn parse_ps(listing: &str) -> Vec<(String, bool, String)> {
    listing
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let id = f.next()?.trim();
            let state = f.next()?.trim();
            let owner = f.next().unwrap_or("").trim();
            (!id.is_empty()).then(|| (id.to_string(), state == "running", owner.to_string()))
        })
        .collect()
}

/// `docker images --format '{{.Repository}}:{{.Tag}}\t{{.ID}}'` of the bundle images: the
/// references to remove to keep only `keep` (an untagged image by its id). Pure.
pub fn stale_images(listing: &str, keep: &str) -> Vec<String> {
    let mut out = Vec::new();
    for l in listing.lines() {
        let mut f = l.split('\t');
        let (Some(r), Some(id)) = (f.next().map(str::trim), f.next().map(str::trim)) else { continue };
        if r == keep || id.is_empty() {
            continue;
        }
        let target = if r.contains("<none>") { id.to_string() } else { r.to_string() };
        if !out.contains(&target) {
            out.push(target);
        }
    }
    out
}

/// The image's key from the bundle's files — (relative path, length, fingerprint: a
/// checksum of small files, the mtime of large ones) — the Dockerfile and the base image:
/// 16 hex digits (FNV-1a, 64 bits). Pure.
pub fn image_key(manifest: &[(String, u64, u64)], dockerfile: &str, base: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: &[u8]| {
        for &x in b {
            h ^= x as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(dockerfile.as_bytes());
    eat(b"\0base\0");
    eat(base.as_bytes());
    for (rel, len, fp) in manifest {
        eat(format!("\0{rel}\0{len}\0{fp:x}\n").as_bytes());
    }
    format!("{h:016x}")
}

fn manifest(root: &Path, files: &[String]) -> Result<Vec<(String, u64, u64)>> {
    let mut m = Vec::with_capacity(files.len());
    for f in files {
        let p = root.join(f);
        let md = fs::metadata(&p).with_context(|| format!("{} is missing", p.display()))?;
        let fp = if md.len() <= 1 << 20 {
            crc32fast::hash(&fs::read(&p)?) as u64
        } else {
            md.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos() as u64)
        };
        m.push((f.clone(), md.len(), fp));
    }
    Ok(m)
}

/// `docker` with arguments; its output, or an error with its message.
fn docker(args: &[&str]) -> Result<String> {
    let o = Command::new(DOCKER).args(args).stdin(Stdio::null()).output().with_context(|| format!("running {DOCKER}"))?;
    if !o.status.success() {
        bail!("docker {}: {}", args.first().copied().unwrap_or(""), String::from_utf8_lossy(&o.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// What the runner knows about the docker daemon it uses.
#[derive(Clone, Debug)]
pub struct Docker {
    pub server_version: String,
    pub owner: Owner,
    /// `readlink /proc/self/ns/ipc` of the runner: the host's IPC namespace.
    pub host_ipc_ns: Option<String>,
    pub host_release: String,
}

/// Check the docker CLI and daemon, remove containers of runners that are gone, and make
/// SIGINT/SIGTERM/SIGHUP remove this run's containers. Call before any other thread starts.
pub fn preflight(progress: &Progress) -> Result<Docker> {
    if !crate::util::on_path(DOCKER) {
        bail!("docker targets need the docker CLI and a running daemon: install docker (Debian: `apt-get install docker.io`)");
    }
    let server_version = docker(&["version", "--format", "{{.Server.Version}}"])
        .map(|s| s.trim().to_string())
        .map_err(|e| anyhow::anyhow!("the docker daemon cannot be reached ({e:#}); start it (e.g. `dockerd &` or `systemctl start docker`)"))?;
    let owner = Owner::me();
    install_interrupt_cleanup(owner.label());
    for n in sweep(None) {
        progress.say(&n);
    }
    let host_ipc_ns = fs::read_link("/proc/self/ns/ipc").ok().map(|p| p.to_string_lossy().into_owned());
    Ok(Docker { server_version, owner, host_ipc_ns, host_release: crate::targets::host::host_release() })
}

/// Remove ipcspec containers: those of `owner` (this run), or (None) those whose runner is
/// gone. Returns what it did, for the log.
pub fn sweep(owner: Option<&str>) -> Vec<String> {
    let filter = format!("label={LABEL_ROLE}={ROLE_RUN}");
    let fmt = format!("{{{{.ID}}}}\t{{{{.State}}}}\t{{{{.Label \"{LABEL_OWNER}\"}}}}");
    let listing = match docker(&["ps", "-a", "--no-trunc", "--filter", &filter, "--format", &fmt]) {
        Ok(l) => l,
        Err(e) => return vec![format!("note: cannot list ipcspec containers: {e:#}")],
    };
    let me = boot_id();
    let victims: Vec<String> = parse_ps(&listing)
        .into_iter()
        .filter(|(_, running, o)| match owner {
            Some(mine) => o == mine,
            None => is_stale(o, *running, &me, process_start),
        })
        .map(|(id, _, _)| id)
        .collect();
    if victims.is_empty() {
        return vec![];
    }
    let mut args = vec!["rm", "-f", "-v"];
    args.extend(victims.iter().map(String::as_str));
    match docker(&args) {
        Ok(_) => vec![format!("removed {} ipcspec container(s) left by {}", victims.len(), if owner.is_some() { "this run" } else { "runners that are gone" })],
        Err(e) => vec![format!("note: could not remove ipcspec containers {}: {e:#}", victims.join(" "))],
    }
}

/// Set when SIGINT/SIGTERM/SIGHUP arrived: a docker target stops where it is (it must not
/// report a removed container as a result) and waits for the process to exit.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// `docker run` clients started and not yet reaped.
static CLIENTS: AtomicUsize = AtomicUsize::new(0);

/// Never return: the signal thread is removing the containers and will end the process.
fn stop_here_if_interrupted() {
    while INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::park();
    }
}

/// The write end of the pipe the signal handler reports to (-1 until installed).
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

/// The handler: write the signal's number to the pipe (write(2) is async-signal-safe).
extern "C" fn report_signal(sig: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    let byte = sig as u8;
    // SAFETY: write of one byte from a local to a descriptor we own.
    unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
}

/// Handle SIGINT, SIGTERM and SIGHUP on a thread of their own: stop the docker targets where
/// they are, remove this run's containers, then exit with 128 + the signal (no report is
/// written for an interrupted run, as before).
///
/// A handler that writes to a pipe, not a blocked mask and sigwait: a blocked mask is
/// inherited by every process the runner starts (std's Command does not reset it), so
/// cargo, nextest and the tests would run with SIGTERM blocked — and the kernel never drops
/// a blocked signal, which changed what a test of init's signal rules saw. A handled signal
/// is reset to its default by execve(2), so children start as they would without us.
pub fn install_interrupt_cleanup(owner: String) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let mut fds = [-1; 2];
        // SAFETY: pipe2 into a local array.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return;
        }
        SIGNAL_PIPE.store(fds[1], Ordering::SeqCst);
        let read_end = fds[0];
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: a zeroed sigaction with a handler that only calls write(2).
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = report_signal as *const () as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(s, &sa, std::ptr::null_mut());
            }
        }
        let _ = std::thread::Builder::new().name("ipcspec-signals".into()).spawn(move || {
            let mut byte = 0u8;
            // SAFETY: read of one byte into a local from the pipe's read end.
            while unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) } != 1 {}
            let sig = i32::from(byte);
            INTERRUPTED.store(true, Ordering::SeqCst);
            eprintln!("\nipcspec: interrupted (signal {sig}): removing this run's containers");
            for n in sweep(Some(&owner)) {
                eprintln!("ipcspec: {n}");
            }
            // A `docker run` that was in flight may create its container just after: once more.
            if CLIENTS.load(Ordering::SeqCst) > 0 {
                std::thread::sleep(Duration::from_millis(700));
                for n in sweep(Some(&owner)) {
                    eprintln!("ipcspec: {n}");
                }
            }
            std::process::exit(128 + sig);
        });
    });
}

/// The bundle image for this run.
#[derive(Clone, Debug)]
pub struct Image {
    pub tag: String,
    /// Built now (false: it was cached).
    pub built: bool,
    pub ms: u64,
    /// Images removed because they were stale.
    pub notes: Vec<String>,
}

/// Make sure `ipcspec-bundle:<key>` exists for `bundle` (build it from a staged copy of
/// exactly the bundle's files when it does not), then remove older bundle images. Call
/// while holding the bundle lock (the staging reads the bundle directory).
pub fn ensure_image(bundle: &Bundle, work: &Path, base: &str, log_dir: &Path) -> Result<Image> {
    let t0 = Instant::now();
    let key = image_key(&manifest(&bundle.root, &bundle.files)?, DOCKERFILE, base);
    let tag = format!("{IMAGE_REPO}:{key}");
    let mut built = false;
    if docker(&["image", "inspect", "--format", "{{.Id}}", &tag]).is_err() {
        fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
        remove_stale_contexts(work);
        let ctx = work.join(format!("ctx-{}", std::process::id()));
        let _ = fs::remove_dir_all(&ctx);
        let staged = stage(bundle, &ctx);
        let dockerfile = work.join("Dockerfile");
        fs::write(&dockerfile, DOCKERFILE)?;
        let log_path = log_dir.join("docker-image.build.log");
        let result = staged.and_then(|()| {
            let log = fs::File::create(&log_path)?;
            let st = Command::new(DOCKER)
                .args(["build", "--force-rm", "--build-arg"])
                .arg(format!("BASE={base}"))
                .args(["--label", &format!("{LABEL_ROLE}={ROLE_BUNDLE}"), "--label", &format!("{LABEL_KEY}={key}"), "-t", &tag, "-f"])
                .arg(&dockerfile)
                .arg(&ctx)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .status()
                .context("running docker build")?;
            if !st.success() {
                let text = fs::read_to_string(&log_path).unwrap_or_default();
                bail!("docker build of {tag} (BASE={base}) failed: {} (log: {})", build_error(&text), log_path.display());
            }
            Ok(())
        });
        let _ = fs::remove_dir_all(&ctx);
        result?;
        built = true;
    }
    let notes = prune_images(&tag);
    Ok(Image { tag, built, ms: t0.elapsed().as_millis() as u64, notes })
}

/// The lines of a failed `docker build`'s output that say why: its last lines, without the
/// CLI's notice that the legacy builder is deprecated. Pure.
pub fn build_error(log: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    let mut in_notice = false;
    for l in log.lines() {
        let t = l.trim();
        if t.starts_with("DEPRECATED:") {
            in_notice = true;
            continue;
        }
        if in_notice && (l.starts_with(' ') || l.starts_with('\t')) {
            continue;
        }
        in_notice = false;
        if !t.is_empty() {
            lines.push(t);
        }
    }
    let from = lines.len().saturating_sub(3);
    let tail = lines[from..].join(" / ");
    if tail.is_empty() { "no output".to_string() } else { tail }
}

/// Hard links (copies across file systems) of exactly the bundle's files, and the root
/// directories a guest needs.
fn stage(bundle: &Bundle, ctx: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for (d, mode) in GUEST_DIRS {
        let p = ctx.join(d);
        fs::create_dir_all(&p)?;
        fs::set_permissions(&p, fs::Permissions::from_mode(*mode))?;
    }
    for f in &bundle.files {
        let (src, dest) = (bundle.root.join(f), ctx.join(f));
        if let Some(d) = dest.parent() {
            fs::create_dir_all(d)?;
        }
        if fs::hard_link(&src, &dest).is_err() {
            fs::copy(&src, &dest).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

/// Build contexts (`ctx-<pid>`) of runners that are gone (interrupted during a build).
fn remove_stale_contexts(work: &Path) {
    let Ok(rd) = fs::read_dir(work) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("ctx-").and_then(|p| p.parse::<u32>().ok())
            && pid != std::process::id()
            && process_start(pid).is_none()
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Remove every bundle image but `keep` (images still used by a container stay).
pub fn prune_images(keep: &str) -> Vec<String> {
    let filter = format!("label={LABEL_ROLE}={ROLE_BUNDLE}");
    let Ok(listing) = docker(&["images", "--filter", &filter, "--format", "{{.Repository}}:{{.Tag}}\t{{.ID}}"]) else {
        return vec![];
    };
    let mut notes = Vec::new();
    for r in stale_images(&listing, keep) {
        match docker(&["rmi", &r]) {
            Ok(_) => notes.push(format!("removed the stale bundle image {r}")),
            Err(e) => notes.push(format!("note: could not remove the stale bundle image {r}: {e:#}")),
        }
    }
    notes
}

/// Whether `--privileged` starts on this daemon; if it cannot apply the capabilities, the
/// approximation ([`PrivilegedAs::Approximated`]) if that starts. Err: neither starts.
pub fn privileged_as(image: &str, owner: &str) -> Result<PrivilegedAs, String> {
    let probe = |p: &PrivilegedAs| -> Result<(), String> {
        let mut args: Vec<String> = ["run", "--rm", "--label"].map(String::from).to_vec();
        args.push(format!("{LABEL_ROLE}={ROLE_RUN}"));
        args.push("--label".into());
        args.push(format!("{LABEL_OWNER}={owner}"));
        args.extend(p.flags());
        args.extend(["--entrypoint", crate::bundle::GUEST_EXECUTOR, image, "--version"].map(String::from));
        let o = Command::new(DOCKER).args(&args).stdin(Stdio::null()).output().map_err(|e| format!("running docker: {e}"))?;
        if o.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&o.stderr).trim().to_string())
        }
    };
    let err = match probe(&PrivilegedAs::Full) {
        Ok(()) => return Ok(PrivilegedAs::Full),
        Err(e) => e,
    };
    if !err.contains("unable to apply caps") {
        return Err(format!("`docker run --privileged` fails: {err}"));
    }
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bnd = status.lines().find_map(|l| l.strip_prefix("CapBnd:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok());
    let last = fs::read_to_string("/proc/sys/kernel/cap_last_cap").ok().and_then(|s| s.trim().parse::<u32>().ok());
    let mut missing = match (bnd, last) {
        (Some(b), Some(l)) => missing_caps(b, l),
        _ => vec![],
    };
    if missing.is_empty() {
        return Err(format!("`docker run --privileged` fails ({err}) though this process has every capability"));
    }
    // Capabilities docker does not know cannot be dropped (nor are they in its "ALL").
    for _ in 0..missing.len() + 1 {
        let p = PrivilegedAs::Approximated { missing: missing.clone() };
        match probe(&p) {
            Ok(()) => return Ok(p),
            Err(e) => match unknown_capability(&e) {
                Some(c) if missing.contains(&c) => missing.retain(|m| *m != c),
                _ => return Err(format!("`docker run --privileged` fails ({err}), and so does `{}`: {e}", p.flags().join(" "))),
            },
        }
        if missing.is_empty() {
            break;
        }
    }
    Err(format!("`docker run --privileged` fails: {err}"))
}

/// `invalid CapDrop: unknown capability: "CAP_PERFMON"` -> `PERFMON`. Pure.
pub fn unknown_capability(msg: &str) -> Option<String> {
    let at = msg.find("unknown capability: \"")? + "unknown capability: \"".len();
    let rest = &msg[at..];
    let name = &rest[..rest.find('"')?];
    Some(name.trim_start_matches("CAP_").to_string())
}

/// How containers run tests.
#[derive(Clone, Debug)]
pub struct DockerOptions {
    /// Per-test deadline (containers run at the host's speed: no time scale).
    pub test_timeout: Duration,
    /// Tests at once inside the container.
    pub parallel: usize,
    pub batch: bool,
    /// `hang`: as in VMs. `panic_before`: the runner kills the container (`docker kill`)
    /// when that test starts as root — a container that dies.
    pub inject: Inject,
}

/// Run `plan` in a container of `mode` as `users`, and turn its result stream into columns.
#[allow(clippy::too_many_arguments)]
pub fn run(
    target: &str,
    mode: Mode,
    d: &Docker,
    image: &str,
    bundle: &Bundle,
    plan: &Plan,
    users: &[User],
    opts: &DockerOptions,
    log_dir: &Path,
    progress: &Progress,
) -> Result<Vec<ColumnRun>> {
    let stem = log_dir.join(crate::util::file_stem(target));
    progress.update(target, "starting", 0, plan.len() * users.len());
    let privileged = if mode == Mode::Privileged {
        match privileged_as(image, &d.owner.label()) {
            Ok(p) => p,
            Err(e) => bail!("docker:privileged cannot start on this daemon, so this mode did not run: {e}"),
        }
    } else {
        PrivilegedAs::Full
    };
    let mut notes = Vec::new();
    if let Some(n) = privileged.note() {
        progress.say(&format!("{target}: {n}"));
        notes.push(n);
    }
    let spec = ContainerSpec {
        name: format!("ipcspec-{}-{}-{:x}", mode.name(), std::process::id(), nanos()),
        image: image.to_string(),
        mode,
        owner: d.owner.label(),
        host_ipc_ns: d.host_ipc_ns.clone(),
        privileged,
    };
    let mut gp = guest_plan(bundle, plan, users, opts, mode, d.host_ipc_ns.as_deref());
    gp.env.extend(spec.privileged.env());
    let plan_json = serde_json::to_vec(&gp)?;
    let args = run_args(&spec);
    let _ = fs::write(qemu::with_suffix(&stem, ".plan.json"), &plan_json);
    let _ = fs::write(qemu::with_suffix(&stem, ".docker-args"), format!("docker {}\n", args.join(" ")));
    let flags = spec.mode.flags(&spec.privileged);
    notes.push(format!(
        "docker {} on the host kernel, image {image}, mode flags: {} (the whole command: logs/{}.docker-args)",
        d.server_version,
        if flags.is_empty() { "none".to_string() } else { flags.join(" ") },
        crate::util::file_stem(target)
    ));

    let planned = plan.len() * users.len();
    let test_deadline = opts.test_timeout;
    let budget = Duration::from_secs(60)
        + Duration::from_millis(1500) * (planned as u32) / (opts.parallel.max(1) as u32)
        + test_deadline * 3;
    let kill_at = opts.inject.panic_before.clone();
    let mut done = 0usize;
    let out = run_container(&spec, &args, &plan_json, &stem, test_deadline + Duration::from_secs(30), budget, |r, kill| match r {
        Record::Result { .. } => {
            done += 1;
            progress.update(target, "running", done, planned);
        }
        Record::Hello { .. } => progress.update(target, "running", done, planned),
        Record::Started { id, user: User::Root } if kill_at.as_deref() == Some(id.as_str()) => {
            *kill = Some(format!("the container was killed (test-only fault: docker kill when {id} started)"));
        }
        _ => {}
    })?;
    progress.finish(target);
    let host = KernelImage {
        name: target.to_string(),
        vmlinuz: PathBuf::new(),
        release: d.host_release.clone(),
        source: format!("the host's kernel, in a container (docker {}, image {image})", d.server_version),
        config_notes: notes,
    };
    let mut cols = crate::targets::vm::columns_from(target, &host, plan, users, &out);
    for c in &mut cols {
        c.kind = "docker".into();
    }
    Ok(cols)
}

fn nanos() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
}

/// The plan as the executor in the container sees it: the bundle's paths, the mode's
/// variables, docker's own limits (none carried over from the host: a mode's limits are
/// part of what it is), output kept on the /tmp tmpfs, results on standard output.
pub fn guest_plan(bundle: &Bundle, plan: &Plan, users: &[User], opts: &DockerOptions, mode: Mode, host_ipc_ns: Option<&str>) -> crate::guest::GuestPlan {
    let vm = VmOptions {
        accel: Accel::Tcg,
        memory_mb: 0,
        cpus: 0,
        time_scale: 1.0,
        test_timeout: opts.test_timeout,
        parallel: opts.parallel,
        extra_append: None,
        inject: Inject::default(),
        batch: opts.batch,
        disk: None,
    };
    let mut gp = crate::targets::vm::guest_plan(bundle, plan, users, &vm);
    gp.results = "-".into();
    gp.work_dir = WORK_DIR.into();
    gp.limits = Vec::new();
    gp.disk = None;
    gp.env = mode_env(mode, host_ipc_ns);
    // The kernel-crash fault would reach the host's kernel from a privileged container: in a
    // container the test hangs instead, and the runner kills the container when it starts.
    gp.inject = Inject { hang: opts.inject.hang.clone(), panic_before: None };
    if let Some(id) = &opts.inject.panic_before {
        gp.inject.hang.push(format!("{id}/root"));
    }
    gp
}

/// Start the container, hand it the plan, read its stream until it ends or a deadline
/// passes (then `docker rm -f`). `on_record` may ask for the container to be killed.
fn run_container(
    spec: &ContainerSpec,
    args: &[String],
    plan_json: &[u8],
    stem: &Path,
    silence: Duration,
    total: Duration,
    mut on_record: impl FnMut(&Record, &mut Option<String>),
) -> Result<VmOutput> {
    let start = Instant::now();
    if let Some(d) = stem.parent() {
        fs::create_dir_all(d)?;
    }
    let results_path = qemu::with_suffix(stem, ".results.bin");
    let log_path = qemu::with_suffix(stem, ".docker.log");
    let log = fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    // Counted before it exists, so an interrupt now waits for it and removes its container.
    struct Client;
    impl Drop for Client {
        fn drop(&mut self) {
            CLIENTS.fetch_sub(1, Ordering::SeqCst);
        }
    }
    CLIENTS.fetch_add(1, Ordering::SeqCst);
    let _client = Client;
    stop_here_if_interrupted();
    let mut cmd = Command::new(DOCKER);
    // SAFETY: prctl is async-signal-safe. The client dies with the runner; the container is
    // removed by the runner (deadline, signal) or by the next run (stale owner).
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    {
        use std::os::unix::process::CommandExt;
        // Its own process group: a Ctrl-C on the terminal reaches the runner, which removes
        // the container, not the client.
        cmd.process_group(0);
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {DOCKER}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A container that does not start closes its end: the write error is not the story.
        let _ = stdin.write_all(plan_json);
    }
    let mut stdout = child.stdout.take().context("docker's standard output")?;
    let copy_to = results_path.clone();
    let copier = std::thread::spawn(move || -> std::io::Result<()> {
        let mut f = fs::File::create(&copy_to)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = stdout.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            f.write_all(&buf[..n])?;
            f.flush()?;
        }
    });
    // The copier creates the file; wait for it briefly.
    let mut file = loop {
        match fs::File::open(&results_path) {
            Ok(f) => break f,
            Err(_) if start.elapsed() < Duration::from_secs(5) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e).with_context(|| format!("opening {}", results_path.display())),
        }
    };
    let mut dec = Decoder::default();
    let mut out = VmOutput::default();
    let (mut hello_at, mut done_at): (Option<Instant>, Option<Instant>) = (None, None);
    let mut last_byte = Instant::now();
    let mut kill: Option<String> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let boot = Duration::from_secs(60);
    let mut drain = |dec: &mut Decoder, out: &mut VmOutput, file: &mut fs::File, hello_at: &mut Option<Instant>, done_at: &mut Option<Instant>, kill: &mut Option<String>| -> bool {
        let mut got = false;
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
            got = true;
            dec.feed(&buf[..n]);
        }
        for r in dec.take_records() {
            match &r {
                Record::Hello { .. } if hello_at.is_none() => *hello_at = Some(Instant::now()),
                Record::Done { .. } => *done_at = Some(Instant::now()),
                _ => {}
            }
            on_record(&r, kill);
            out.records.push(r);
        }
        got
    };
    let status = loop {
        stop_here_if_interrupted();
        let exited = child.try_wait()?;
        if drain(&mut dec, &mut out, &mut file, &mut hello_at, &mut done_at, &mut kill) {
            last_byte = Instant::now();
        }
        if let Some(st) = exited {
            break st;
        }
        let reason = if let Some(k) = kill.take() {
            Some(k)
        } else if hello_at.is_none() && start.elapsed() > boot {
            Some(format!("the container did not start the executor within {} s", boot.as_secs()))
        } else if hello_at.is_some() && done_at.is_none() && last_byte.elapsed() > silence {
            Some(format!("the container stopped answering (no result for {} s)", silence.as_secs()))
        } else if start.elapsed() > total {
            Some(format!("the container ran past its deadline of {} s", total.as_secs()))
        } else if done_at.is_some_and(|t| t.elapsed() > Duration::from_secs(20)) {
            Some("the container did not exit after its last result".to_string())
        } else {
            None
        };
        if let Some(r) = reason {
            let _ = Command::new(DOCKER).args(["rm", "-f", "-v", &spec.name]).stdin(Stdio::null()).output();
            let st = child.wait()?;
            if done_at.is_none() {
                out.killed_because = Some(r);
            }
            break st;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    stop_here_if_interrupted();
    let _ = copier.join();
    drain(&mut dec, &mut out, &mut file, &mut hello_at, &mut done_at, &mut kill);
    let end = Instant::now();
    let fin = dec.finish();
    out.records.extend(fin.records);
    out.diagnostics = fin.diagnostics;
    out.truncated = fin.truncated;
    out.qemu_status = status.code();
    out.console_tail = qemu::console_tail(&fs::read(&log_path).unwrap_or_default(), 40);
    if done_at.is_none() && out.killed_because.is_none() {
        let why = match status.code() {
            Some(125) => "docker could not create or start the container (exit status 125)".to_string(),
            Some(126) | Some(127) => format!("the executor could not be run in the container (exit status {})", status.code().unwrap_or(0)),
            Some(137) => "the container was killed (SIGKILL; exit status 137)".to_string(),
            Some(c) => format!("the container exited with status {c} before reporting this test"),
            None => "the docker client was killed by a signal".to_string(),
        };
        let first = out.console_tail.lines().find(|l| !l.trim().is_empty()).map(|l| format!(": {}", l.trim())).unwrap_or_default();
        out.killed_because = Some(format!("{why}{first}"));
    }
    out.boot_ms = hello_at.map(|h| (h - start).as_millis() as u64);
    out.tests_ms = match (hello_at, done_at) {
        (Some(h), Some(d)) => Some((d - h).as_millis() as u64),
        _ => None,
    };
    out.teardown_ms = done_at.map(|d| (end - d).as_millis() as u64);
    out.total_ms = (end - start).as_millis() as u64;
    Ok(out)
}

/// The end of a run: this run's containers (there should be none: `--rm`) and those of
/// runners that are gone are removed.
pub fn finish(d: &Docker) -> Vec<String> {
    let mut n = sweep(Some(&d.owner.label()));
    n.extend(sweep(None));
    n
}

/// Docker targets of a run, in order, with their modes.
pub fn modes_of(groups: &[(TargetSpec, Vec<User>)]) -> BTreeMap<String, Mode> {
    groups
        .iter()
        .filter_map(|(t, _)| match t {
            TargetSpec::Docker(m) => Mode::parse(m).ok().map(|mode| (t.to_string(), mode)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::Column;

    fn spec(mode: Mode) -> ContainerSpec {
        ContainerSpec {
            name: "ipcspec-x-1-2".into(),
            image: "ipcspec-bundle:0123456789abcdef".into(),
            mode,
            owner: "b00t:42:777".into(),
            host_ipc_ns: Some("ipc:[4026531839]".into()),
            privileged: PrivilegedAs::Full,
        }
    }

    #[test]
    fn modes_parse_and_name() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.name()), Ok(m));
        }
        let e = Mode::parse("rootless").unwrap_err();
        assert!(e.contains("docker:default") && e.contains("docker:shm-small"), "{e}");
        assert!(Mode::parse("").is_err() && Mode::parse("Default").is_err());
        assert!(!Mode::NonRoot.allows_root() && Mode::Privileged.allows_root());
        assert_eq!(TargetSpec::parse("docker:privileged"), Ok(TargetSpec::Docker("privileged".into())));
        let e = TargetSpec::parse("docker:nope").unwrap_err();
        assert!(e.contains("unknown docker mode"), "{e}");
    }

    #[test]
    fn run_arguments_per_mode() {
        let a = run_args(&spec(Mode::Default)).join(" ");
        assert!(a.starts_with("run --rm -i --sig-proxy=false --name ipcspec-x-1-2 "), "{a}");
        assert!(a.contains("--label org.ipcspec.role=run --label org.ipcspec.owner=b00t:42:777 --label org.ipcspec.mode=default"), "{a}");
        assert!(a.contains("--tmpfs /tmp:rw,nosuid,nodev,exec,mode=1777"), "{a}");
        assert!(a.contains("-e IPCSPEC_CONTAINER_MODE=default -e IPCSPEC_HOST_IPC_NS=ipc:[4026531839]"), "{a}");
        assert!(a.ends_with("--entrypoint /ipcspec/ipcspec ipcspec-bundle:0123456789abcdef guest --plan - --results -"), "{a}");
        for flag in ["--ipc", "--user", "--privileged", "--shm-size", "--cap-add", "-v", "--volume", "--mount"] {
            assert!(!a.split(' ').any(|w| w == flag || w.starts_with(&format!("{flag}="))), "default has {flag}: {a}");
        }
        assert!(run_args(&spec(Mode::IpcHost)).contains(&"--ipc=host".to_string()));
        let n = run_args(&spec(Mode::NonRoot)).join(" ");
        assert!(n.contains("--user 65534:65534") && n.contains("IPCSPEC_CONTAINER_MODE=nonroot"), "{n}");
        let s = run_args(&spec(Mode::ShmSmall)).join(" ");
        assert!(s.contains("--shm-size 4194304") && s.contains("-e IPCSPEC_SHM_SIZE=4194304"), "{s}");
        assert!(!a.contains("IPCSPEC_SHM_SIZE"), "{a}");
        let p = run_args(&spec(Mode::Privileged)).join(" ");
        assert!(p.contains(" --privileged ") && !p.contains("--cap-add"), "{p}");
        let mut approx = spec(Mode::Privileged);
        approx.privileged = PrivilegedAs::Approximated { missing: vec!["SYS_RESOURCE".into()] };
        let p = run_args(&approx).join(" ");
        assert!(!p.contains("--privileged"), "{p}");
        assert!(
            p.contains("--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt label=disable --security-opt systempaths=unconfined"),
            "{p}"
        );
        let note = approx.privileged.note().unwrap();
        assert!(note.starts_with("MODE APPROXIMATED") && note.contains("CAP_SYS_RESOURCE"), "{note}");
        assert_eq!(PrivilegedAs::Full.note(), None);
        // Without the host namespace, the variable is not invented.
        let mut s = spec(Mode::Default);
        s.host_ipc_ns = None;
        assert!(!run_args(&s).join(" ").contains("IPCSPEC_HOST_IPC_NS"));
    }

    #[test]
    fn capabilities_missing_from_a_bounding_set() {
        assert_eq!(missing_caps(0x1fffeffffff, 40), vec!["SYS_RESOURCE".to_string()]);
        assert_eq!(missing_caps(0x1ffffffffff, 40), Vec::<String>::new());
        assert_eq!(missing_caps(0x3fffffffff, 40), vec!["PERFMON", "BPF", "CHECKPOINT_RESTORE"]);
        assert_eq!(missing_caps(u64::MAX >> 1, 63).len(), 1);
        assert_eq!(unknown_capability(r#"docker: Error response from daemon: invalid CapAdd: unknown capability: "CAP_PERFMON"."#).as_deref(), Some("PERFMON"));
        assert_eq!(unknown_capability("unable to apply caps"), None);
    }

    #[test]
    fn nonroot_columns_are_nobody() {
        let cols = crate::targets::parse_columns("host,docker:nonroot,docker:default", &[User::Root, User::Nobody]).unwrap();
        let names: Vec<String> = cols.iter().map(Column::name).collect();
        assert_eq!(names, ["host", "host/nobody", "docker:nonroot/nobody", "docker:default", "docker:default/nobody"]);
        assert_eq!(Column::parse("docker:nonroot", User::Root).unwrap().name(), "docker:nonroot/nobody");
        assert_eq!(crate::targets::parse_columns("docker:nonroot", &[User::Root]).unwrap().len(), 1);
        let e = Column::parse("docker:nonroot/root", User::Root).unwrap_err();
        assert!(e.contains("has no root"), "{e}");
        assert_eq!(Column::parse("docker:default/root", User::Nobody).unwrap().name(), "docker:default");
    }

    #[test]
    fn owners_and_staleness() {
        let me = Owner { boot_id: "0b1d-77".into(), pid: 4242, start: 99 };
        assert_eq!(Owner::parse(&me.label()), Some(me.clone()));
        assert_eq!(Owner::parse("garbage"), None);
        assert_eq!(Owner::parse(""), None);
        assert_eq!(Owner::parse(":1:2"), None);
        let alive = |pid: u32| (pid == 4242).then_some(99);
        // The owner is alive: leave it, running or not.
        assert!(!is_stale(&me.label(), true, "0b1d-77", alive));
        assert!(!is_stale(&me.label(), false, "0b1d-77", alive));
        // The pid was reused by another process (other start time), or is gone: stale.
        assert!(is_stale("0b1d-77:4242:98", true, "0b1d-77", alive));
        assert!(is_stale("0b1d-77:5000:1", true, "0b1d-77", alive));
        // Another boot: only once it stopped.
        assert!(!is_stale("other-boot:4242:99", true, "0b1d-77", alive));
        assert!(is_stale("other-boot:4242:99", false, "0b1d-77", alive));
        // Unreadable owner: never touched.
        assert!(!is_stale("", false, "0b1d-77", alive));
        let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10";
        assert_eq!(stat_start_time(stat), Some(123456));
        assert_eq!(stat_start_time("garbage"), None);
        assert!(process_start(std::process::id()).is_some());
        assert_eq!(Owner::parse(&Owner::me().label()).map(|o| o.pid), Some(std::process::id()));
    }

    #[test]
    fn ps_listing_and_stale_images() {
        let ps = "abc\trunning\tb:1:2\ndef\texited\t\n\n";
        assert_eq!(parse_ps(ps), vec![("abc".into(), true, "b:1:2".into()), ("def".into(), false, String::new())]);
        let imgs = "ipcspec-bundle:aaaa\tsha256:1\nipcspec-bundle:bbbb\tsha256:2\n<none>:<none>\tsha256:3\nipcspec-bundle:aaaa\tsha256:1\n";
        assert_eq!(stale_images(imgs, "ipcspec-bundle:aaaa"), vec!["ipcspec-bundle:bbbb", "sha256:3"]);
        assert!(stale_images("", "x").is_empty());
    }

    #[test]
    fn build_errors_skip_the_deprecation_notice() {
        let log = "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            Install the buildx component to build images with BuildKit:\n            https://docs.docker.com/go/buildx/\n\nSending build context to Docker daemon  225.9MB\nStep 1/6 : ARG BASE=scratch\nStep 2/6 : FROM ${BASE}\nError response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host\n";
        let e = build_error(log);
        assert!(e.starts_with("Step 1/6") && e.ends_with("no such host"), "{e}");
        assert!(!e.contains("DEPRECATED") && !e.contains("buildx"), "{e}");
        assert_eq!(build_error(""), "no output");
    }

    #[test]
    fn image_keys_follow_content() {
        let m = vec![("ipcspec/ipcspec".to_string(), 10, 1), ("etc/passwd".to_string(), 3, 7)];
        let k = image_key(&m, DOCKERFILE, "scratch");
        assert_eq!(k.len(), 16);
        assert_eq!(k, image_key(&m, DOCKERFILE, "scratch"));
        assert_ne!(k, image_key(&m, DOCKERFILE, "debian:bookworm-slim"));
        assert_ne!(k, image_key(&m, "FROM scratch", "scratch"));
        let mut m2 = m.clone();
        m2[1].2 = 8;
        assert_ne!(k, image_key(&m2, DOCKERFILE, "scratch"));
        assert!(DOCKERFILE.contains("ARG BASE=scratch") && DOCKERFILE.contains("FROM ${BASE}"));
    }

    #[test]
    fn the_guest_plan_carries_the_mode_and_no_kernel_crash() {
        let plan = Plan {
            binaries: vec![crate::targets::PlannedBinary { id: "fds::dup".into(), path: "/host/fds-dup".into(), serial: false, tests: vec!["a".into()] }],
        };
        let bundle = Bundle {
            root: "/b".into(),
            files: vec![],
            guest_plan: Plan {
                binaries: vec![crate::targets::PlannedBinary { id: "fds::dup".into(), path: "/ipcspec/bin/fds--dup".into(), serial: false, tests: vec![] }],
            },
            bytes: 0,
        };
        let opts = DockerOptions {
            test_timeout: Duration::from_secs(30),
            parallel: 4,
            batch: true,
            inject: Inject { hang: vec![], panic_before: Some("fds::dup::a".into()) },
        };
        let gp = guest_plan(&bundle, &plan, &[User::Root, User::Nobody], &opts, Mode::ShmSmall, Some("ipc:[1]"));
        assert_eq!(gp.plan.binaries[0].path, PathBuf::from("/ipcspec/bin/fds--dup"));
        assert_eq!(gp.results, "-");
        assert_eq!(gp.timeout_ms, 30_000);
        assert!(gp.limits.is_empty() && gp.disk.is_none());
        assert_eq!(gp.inject.panic_before, None);
        assert_eq!(gp.inject.hang, vec!["fds::dup::a/root".to_string()]);
        assert!(gp.env.contains(&(MODE_VAR.into(), "shm-small".into())));
        assert!(gp.env.contains(&(SHM_SIZE_VAR.into(), "4194304".into())));
        assert!(gp.env.contains(&(HOST_IPC_NS_VAR.into(), "ipc:[1]".into())));
    }
}
