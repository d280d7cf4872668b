//! The guest executor: runs a plan of tests inside a VM (as PID 1, the initramfs's /init) or a
//! container, and streams one framed result record per test as it finishes.
//!
//! - As PID 1 it is also the init: mounts proc, sysfs, devtmpfs, devpts (ptmxmode=0666),
//!   tmpfs on /tmp, /run and /dev/shm, mqueue on /dev/mqueue; brings up `lo`; forks the
//!   executor and reaps every orphan until the executor is done; then reboots (QEMU runs with
//!   -no-reboot, so the VM ends).
//! - Every test runs in its own process: `bin --exact NAME --nocapture --test-threads=1`, in a
//!   process group of its own, stdout/stderr to files, with a deadline after which the group
//!   and every descendant are killed (TIMEOUT). First all tests as root, then as uid/gid 65534.
//!   Up to `parallel` at once, except tests of global_* binaries, which run one at a time
//!   after the others.
//! - Records go to the results sink (the VM's second serial port) as they happen: `hello`,
//!   `started`, `result`, `heartbeat`, `done`. Whatever was written before a crash is kept.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::classify::{Exit, classify};
use crate::frame::{Record, encode};
use crate::model::User;
use crate::plan::{Inject, Plan};

/// argv[1] that makes the executor hang forever (the test-only "hung test" fault).
pub const HANG_ARG: &str = "__ipcspec-hang";

/// The body of the hung-test fault: never return.
pub fn hang_forever() -> ! {
    // A batch's hang: the test it hangs in, announced as libtest's JSON format does.
    if let Some(test) = std::env::args().nth(2) {
        println!("{}", serde_json::json!({ "type": "test", "event": "started", "name": test }));
    }
    loop {
        // SAFETY: pause(2) has no preconditions.
        unsafe { libc::pause() };
    }
}

/// Everything the executor needs, written by the host into the guest (/ipcspec/plan.json).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GuestPlan {
    pub plan: Plan,
    pub users: Vec<User>,
    pub parallel: usize,
    /// Per-test deadline (already scaled).
    pub timeout_ms: u64,
    /// Exported to the tests as IPCSPEC_TIME_SCALE.
    pub time_scale: f64,
    /// Where records go: `/dev/ttyS1` in a VM; a file or `/dev/stdout` elsewhere.
    pub results: String,
    pub heartbeat_ms: u64,
    /// Where test output is kept while a test runs.
    pub work_dir: String,
    #[serde(default)]
    pub inject: Inject,
    /// Run the tests of a binary in one process (libtest JSON) and only what does not pass
    /// there alone; false: every test in its own process.
    #[serde(default)]
    pub batch: bool,
    /// Resource limits to apply before running tests: (NOFILE|MEMLOCK|..., soft, hard).
    #[serde(default)]
    pub limits: Vec<(String, u64, u64)>,
    /// A block device with the test binaries (ext4) to mount read-only at /ipcspec/bin.
    #[serde(default)]
    pub disk: Option<String>,
    /// Extra environment of every test process (a container target announces its mode
    /// here: IPCSPEC_CONTAINER_MODE, ...). The executor clears the rest of its environment.
    #[serde(default)]
    pub env: Vec<(String, String)>,
    /// A VM that runs the plan inside a container (`vm:<kernel>+<mode>`): its init starts
    /// the OCI runtime, and the executor runs as the container's process. None: here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<GuestContainer>,
}

/// A container inside a VM: the OCI runtime (crun, in the initramfs), its command line and
/// the mode's OCI configuration (runner/src/container/oci). The VM's init makes the
/// container's root — a tmpfs with the bundle's directories bound in — sets the
/// configuration's root to it, and starts `<runtime> <args> <id>` with the plan on standard
/// input and the result port as standard output.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GuestContainer {
    /// The runtime binary in the guest.
    pub runtime: String,
    /// Its arguments before the container's id (`--cgroup-manager=disabled run --no-pivot
    /// --bundle <dir>`); the bundle directory is `bundle`.
    pub args: Vec<String>,
    /// The bundle directory (its config.json and rootfs/ are made by the init).
    pub bundle: String,
    pub id: String,
    /// The OCI configuration (`root.path` is set by the init).
    pub config: serde_json::Value,
    /// Directories of the VM's root bound (recursively) into the container's root: the
    /// bundle's (`ipcspec`, `lib`, `lib64`, `etc`, `usr`).
    pub binds: Vec<String>,
    /// Tell the tests the VM's own IPC namespace (IPCSPEC_HOST_IPC_NS): the "host" of a
    /// container in a VM is the VM.
    #[serde(default)]
    pub host_ipc_ns: bool,
}

/// The executor's version string.
pub fn executor_version() -> String {
    format!("ipcspec {}", env!("CARGO_PKG_VERSION"))
}

/// True when this process should act as the VM's init.
pub fn is_vm_init() -> bool {
    std::process::id() == 1 && std::env::args().next().is_some_and(|a| a.ends_with("init"))
}

/// PID 1 of a VM: set the system up, run the plan, reboot. Never returns.
pub fn vm_init_main() -> ! {
    let mut notes = mount_all();
    if let Err(e) = loopback_up() {
        notes.push(format!("bringing up lo failed: {e}"));
    }
    let _ = set_hostname("ipcspec-vm");
    let plan = fs::read(crate::bundle::GUEST_PLAN)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice::<GuestPlan>(&b).map_err(|e| e.to_string()));
    match plan {
        Ok(gp) => {
            if let Some(dev) = &gp.disk
                && let Err(e) = mount_disk(dev, crate::bundle::GUEST_BIN_DIR, gp.time_scale) {
                    notes.push(format!("cannot mount the test binaries from {dev}: {e}"));
                }
            match &gp.container {
                Some(c) => run_in_container(&gp, c, notes),
                None => {
                    supervise(|| execute(&gp, notes));
                }
            }
        }
        Err(e) => {
            // Say why on both ports, then stop.
            let rec = encode(&Record::Note { message: format!("guest: cannot read the plan: {e}") });
            for p in ["/dev/ttyS1", "/dev/console"] {
                if let Ok(mut f) = fs::OpenOptions::new().write(true).open(p) {
                    let _ = f.write_all(&rec);
                }
            }
        }
    }
    power_off()
}

/// Run `work` in a child while this process (PID 1) reaps every process that ends; return
/// when the child has exited.
pub fn supervise(work: impl FnOnce() -> i32) -> i32 {
    // SAFETY: fork in a single-threaded process (PID 1 has no other threads).
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = work();
        // SAFETY: leave the child without running PID 1's destructors.
        unsafe { libc::_exit(code) };
    }
    if pid < 0 {
        return work();
    }
    loop {
        let mut status = 0;
        // SAFETY: plain waitpid.
        let r = unsafe { libc::waitpid(-1, &mut status, 0) };
        if r == pid {
            return if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 };
        }
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD) {
            return 0;
        }
    }
}

/// PID 1 of a VM whose plan runs in a container: make the container's root, write its
/// configuration, start the runtime with the plan (for the executor inside) on standard input
/// and the result port as standard output, reap every orphan until the runtime ends. What
/// goes wrong before the executor starts is said in a note on the result port, and the
/// runtime's own messages go to the console.
fn run_in_container(gp: &GuestPlan, c: &GuestContainer, mut notes: Vec<String>) {
    use nix::mount::{MsFlags, mount};
    let mut sink = match Sink::open(&gp.results) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ipcspec init: cannot open the results sink {}: {e}", gp.results);
            return;
        }
    };
    let bundle = Path::new(&c.bundle);
    let rootfs = bundle.join("rootfs");
    let _ = fs::create_dir_all(&rootfs);
    // Its own tmpfs, with the bundle's directories bound in: the container sees what a
    // docker container of the bundle image sees, and nothing of the VM's /run or /dev.
    if let Err(e) = mount(Some("tmpfs"), &rootfs, Some("tmpfs"), MsFlags::MS_NOSUID | MsFlags::MS_NODEV, Some("mode=0755")) {
        notes.push(format!("mounting a tmpfs on {} failed: {e}", rootfs.display()));
    }
    for (d, mode) in crate::bundle::GUEST_DIRS {
        let p = rootfs.join(d);
        let _ = fs::create_dir_all(&p);
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(&p, fs::Permissions::from_mode(*mode));
    }
    for b in &c.binds {
        let src = Path::new("/").join(b);
        if !src.exists() {
            continue;
        }
        let dst = rootfs.join(b);
        let _ = fs::create_dir_all(&dst);
        if let Err(e) = mount(Some(&src), &dst, None::<&str>, MsFlags::MS_BIND | MsFlags::MS_REC, None::<&str>) {
            notes.push(format!("binding {} into the container failed: {e}", src.display()));
        }
    }
    // crun resolves a `cgroup` mount against the VM's cgroup hierarchy.
    let _ = mount(Some("cgroup2"), "/sys/fs/cgroup", Some("cgroup2"), MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC, None::<&str>);
    let mut config = c.config.clone();
    config["root"]["path"] = serde_json::Value::String(rootfs.display().to_string());
    let mut inner = gp.clone();
    inner.container = None;
    inner.results = "-".into();
    inner.disk = None;
    if c.host_ipc_ns
        && let Ok(ns) = fs::read_link("/proc/self/ns/ipc")
    {
        let ns = ns.to_string_lossy().into_owned();
        inner.env.push((ipcspec_protocol::env::HOST_IPC_NS.to_string(), ns.clone()));
        if let Some(env) = config["process"]["env"].as_array_mut() {
            env.push(serde_json::Value::String(format!("{}={ns}", ipcspec_protocol::env::HOST_IPC_NS)));
        }
    }
    if let Err(e) = fs::write(bundle.join("config.json"), serde_json::to_vec_pretty(&config).unwrap_or_default()) {
        notes.push(format!("writing the container's config.json failed: {e}"));
    }
    for n in notes {
        sink.send(&Record::Note { message: n });
    }
    let Ok(plan) = serde_json::to_vec(&inner) else { return };
    let out = match fs::OpenOptions::new().write(true).custom_flags(libc::O_NOCTTY).open(&gp.results) {
        Ok(f) => f,
        Err(e) => {
            sink.send(&Record::Note { message: format!("cannot open {} for the container: {e}", gp.results) });
            return;
        }
    };
    let console = fs::OpenOptions::new().write(true).open("/dev/console").map(Stdio::from).unwrap_or_else(|_| Stdio::null());
    let started = Instant::now();
    let child = Command::new(&c.runtime).args(&c.args).arg(&c.id).stdin(Stdio::piped()).stdout(out).stderr(console).spawn();
    let mut child = match child {
        Ok(ch) => ch,
        Err(e) => {
            sink.send(&Record::Note { message: format!("cannot start the container runtime {}: {e}", c.runtime) });
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(&plan);
    }
    let pid = child.id() as i32;
    // PID 1: reap everything until the runtime itself ends.
    let status = loop {
        let mut st = 0;
        // SAFETY: plain waitpid.
        let r = unsafe { libc::waitpid(-1, &mut st, 0) };
        if r == pid {
            break st;
        }
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD) {
            break 0;
        }
    };
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) };
    if code != 0 {
        sink.send(&Record::Note {
            message: format!("the container runtime {} exited with status {code} after {} ms (its messages are on the console)", c.runtime, started.elapsed().as_millis()),
        });
    }
}

fn power_off() -> ! {
    // SAFETY: sync and reboot are plain system calls; QEMU's -no-reboot turns the reboot into
    // an exit.
    unsafe {
        libc::sync();
        libc::reboot(libc::LINUX_REBOOT_CMD_RESTART);
    }
    // Exiting PID 1 panics the kernel, which (panic=-1) reboots: the VM ends either way.
    std::process::exit(0)
}

fn mount_all() -> Vec<String> {
    use nix::mount::{MsFlags, mount};
    let mut notes = Vec::new();
    let mut m = |src: &str, target: &str, fstype: &str, flags: MsFlags, data: Option<&str>, mode: u32| {
        let _ = fs::create_dir_all(target);
        if let Err(e) = mount(Some(src), target, Some(fstype), flags, data)
            && e != nix::errno::Errno::EBUSY {
                notes.push(format!("mounting {fstype} on {target} failed: {e}"));
            }
        if mode != 0 {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(target, fs::Permissions::from_mode(mode));
        }
    };
    let nosuid = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    m("proc", "/proc", "proc", nosuid | MsFlags::MS_NOEXEC, None, 0);
    m("sysfs", "/sys", "sysfs", nosuid | MsFlags::MS_NOEXEC, None, 0);
    m("devtmpfs", "/dev", "devtmpfs", MsFlags::MS_NOSUID, Some("mode=0755"), 0);
    m("devpts", "/dev/pts", "devpts", MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC, Some("gid=5,mode=0620,ptmxmode=0666"), 0);
    m("tmpfs", "/dev/shm", "tmpfs", nosuid, Some("mode=1777"), 0o1777);
    m("mqueue", "/dev/mqueue", "mqueue", nosuid | MsFlags::MS_NOEXEC, None, 0);
    m("tmpfs", "/tmp", "tmpfs", nosuid, Some("mode=1777"), 0o1777);
    m("tmpfs", "/run", "tmpfs", nosuid, Some("mode=0755"), 0);
    for (link, target) in [("/dev/fd", "/proc/self/fd"), ("/dev/stdin", "/proc/self/fd/0"), ("/dev/stdout", "/proc/self/fd/1"), ("/dev/stderr", "/proc/self/fd/2")] {
        let _ = std::os::unix::fs::symlink(target, link);
    }
    if !Path::new("/dev/ptmx").exists() {
        let _ = std::os::unix::fs::symlink("pts/ptmx", "/dev/ptmx");
    }
    notes
}

/// Wait for `dev` to appear (the NVMe controller is probed asynchronously) and mount it
/// read-only (ext4) at `dir`.
fn mount_disk(dev: &str, dir: &str, scale: f64) -> Result<(), String> {
    use nix::mount::{MsFlags, mount};
    let deadline = Instant::now() + Duration::from_secs(10).mul_f64(scale.max(1.0));
    while !Path::new(dev).exists() {
        if Instant::now() > deadline {
            return Err(format!("{dev} did not appear"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = fs::create_dir_all(dir);
    mount(Some(dev), dir, Some("ext4"), MsFlags::MS_RDONLY | MsFlags::MS_NODEV | MsFlags::MS_NOSUID, Some("noload"))
        .map_err(|e| e.to_string())
}

fn set_hostname(name: &str) -> std::io::Result<()> {
    // SAFETY: pointer and length of a live buffer.
    let r = unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) };
    if r == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

/// `ip link set lo up`, with two ioctls.
fn loopback_up() -> std::io::Result<()> {
    // SAFETY: a socket we close below; ifreq is plain data initialised to zero.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            ifr.ifr_name[i] = *b as libc::c_char;
        }
        let mut r = libc::ioctl(s, libc::SIOCGIFFLAGS as _, &mut ifr);
        if r == 0 {
            ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            r = libc::ioctl(s, libc::SIOCSIFFLAGS as _, &ifr);
        }
        let err = std::io::Error::last_os_error();
        libc::close(s);
        if r == 0 { Ok(()) } else { Err(err) }
    }
}

/// Where records go.
struct Sink {
    out: Box<dyn Write>,
}

impl Sink {
    fn open(path: &str) -> std::io::Result<Sink> {
        if path == "-" || path == "/dev/stdout" {
            return Ok(Sink { out: Box::new(std::io::stdout()) });
        }
        let f = fs::OpenOptions::new()
            
            .create(!path.starts_with("/dev/"))
            .append(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)?;
        make_raw_if_tty(&f);
        Ok(Sink { out: Box::new(f) })
    }

    fn send(&mut self, r: &Record) {
        let _ = self.out.write_all(&encode(r));
        let _ = self.out.flush();
    }
}

fn make_raw_if_tty(f: &fs::File) {
    use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
    if let Ok(mut t) = tcgetattr(f) {
        cfmakeraw(&mut t);
        let _ = tcsetattr(f, SetArg::TCSANOW, &t);
    }
}

/// What one process runs: one test (`bin --exact NAME`), or a batch of tests of one binary
/// in one process (`bin --exact A B C`, libtest's JSON events), which is several times faster
/// on slow targets. A test that does not pass or skip in a batch is run again alone, and
/// that result counts: batches only speed up the tests that pass.
struct Work {
    binary: PathBuf,
    binary_id: String,
    user: User,
    tests: Vec<String>,
    batch: bool,
}

struct Running {
    work: Work,
    child: Child,
    started: Instant,
    out: PathBuf,
    err: PathBuf,
    /// Batch: bytes of stdout consumed, the partial line, the test running now and when it
    /// started, a SKIP reason seen for it, and the tests finished.
    consumed: u64,
    partial: Vec<u8>,
    current: Option<(String, Instant)>,
    skip: Option<String>,
    variants: Vec<crate::model::Variant>,
    /// What the running test wrote straight to fd 1 (markers, raw writes) so far.
    output: String,
    finished: Vec<String>,
    retry: Vec<String>,
    /// What each test that failed in the batch wrote there.
    batch_output: std::collections::BTreeMap<String, String>,
}

/// Run the plan; returns the process exit code (0 when every test passed or skipped).
pub fn execute(gp: &GuestPlan, notes: Vec<String>) -> i32 {
    let mut sink = match Sink::open(&gp.results) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ipcspec guest: cannot open the results sink {}: {e}", gp.results);
            return 2;
        }
    };
    let started = Instant::now();
    let planned = gp.plan.len() * gp.users.len();
    sink.send(&Record::Hello {
        executor: executor_version(),
        kernel_release: nix::sys::utsname::uname().map(|u| u.release().to_string_lossy().into_owned()).unwrap_or_default(),
        time_scale: gp.time_scale,
        parallel: gp.parallel.max(1),
        planned,
    });
    for n in notes {
        sink.send(&Record::Note { message: n });
    }
    for n in apply_limits(&gp.limits) {
        sink.send(&Record::Note { message: n });
    }
    let _ = fs::create_dir_all(&gp.work_dir);
    let mut ex = Executor {
        gp,
        sink,
        done: 0,
        bad: 0,
        seq: 0,
        last_beat: Instant::now(),
        batch_only_failures: Vec::new(),
        retried: std::collections::BTreeMap::new(),
    };
    for &user in &gp.users {
        let mut parallel_work = Vec::new();
        let mut serial_work = Vec::new();
        for b in &gp.plan.binaries {
            let hung = |t: &String| Inject::names(&gp.inject.hang, &b.id, t, user);
            let mut singles: Vec<Work> = Vec::new();
            let mut batch: Vec<String> = Vec::new();
            for t in &b.tests {
                if gp.batch && !hung(t) && gp.inject.panic_before.as_deref() != Some(format!("{}::{t}", b.id).as_str()) {
                    batch.push(t.clone());
                } else {
                    singles.push(Work { binary: b.path.clone(), binary_id: b.id.clone(), user, tests: vec![t.clone()], batch: false });
                }
            }
            let mut works = singles;
            if !batch.is_empty() {
                works.push(Work { binary: b.path.clone(), binary_id: b.id.clone(), user, tests: batch, batch: true });
            }
            if b.serial { serial_work.extend(works) } else { parallel_work.extend(works) }
        }
        ex.run_all(parallel_work, gp.parallel.max(1));
        ex.run_all(serial_work, 1);
    }
    if !ex.batch_only_failures.is_empty() {
        let list = std::mem::take(&mut ex.batch_only_failures);
        ex.sink.send(&Record::Note {
            message: format!(
                "{} tests did not pass when run with others of their binary in one process (they failed or hung there) but passed alone (not safe under plain `cargo test`): {}",
                list.len(),
                list.join(", ")
            ),
        });
    }
    let results = ex.done;
    let bad = ex.bad;
    ex.sink.send(&Record::Done { results, duration_ms: started.elapsed().as_millis() as u64 });
    if bad > 0 { 1 } else { 0 }
}

/// Apply the host's resource limits (so that a VM differs from the host in its kernel, not in
/// its limits). Returns notes for limits that could not be set.
fn apply_limits(limits: &[(String, u64, u64)]) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, soft, hard) in limits {
        let Some(res) = resource_by_name(name) else { continue };
        let lim = libc::rlimit { rlim_cur: *soft, rlim_max: *hard };
        // SAFETY: setrlimit with a valid struct.
        if unsafe { libc::setrlimit(res, &lim) } != 0 {
            notes.push(format!("could not set {name} to {soft}/{hard}: {}", std::io::Error::last_os_error()));
        }
    }
    notes
}

fn resource_by_name(name: &str) -> Option<libc::__rlimit_resource_t> {
    Some(match name {
        "NOFILE" => libc::RLIMIT_NOFILE,
        "MEMLOCK" => libc::RLIMIT_MEMLOCK,
        "MSGQUEUE" => libc::RLIMIT_MSGQUEUE,
        "STACK" => libc::RLIMIT_STACK,
        "NPROC" => libc::RLIMIT_NPROC,
        "SIGPENDING" => libc::RLIMIT_SIGPENDING,
        "CORE" => libc::RLIMIT_CORE,
        _ => return None,
    })
}

/// The limits worth carrying from the host into a guest: (name, soft, hard).
pub fn host_limits() -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    for name in ["NOFILE", "MEMLOCK", "MSGQUEUE", "STACK", "CORE"] {
        let Some(res) = resource_by_name(name) else { continue };
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit into a valid struct.
        if unsafe { libc::getrlimit(res, &mut lim) } == 0 {
            out.push((name.to_string(), lim.rlim_cur, lim.rlim_max));
        }
    }
    out
}

struct Executor<'a> {
    gp: &'a GuestPlan,
    sink: Sink,
    done: usize,
    bad: usize,
    seq: u64,
    last_beat: Instant,
    batch_only_failures: Vec<String>,
    /// Tests (id/user) that a batch handed back to run alone, with what they wrote in the
    /// batch: kept in the alone run's log, so that a test that fails only beside others
    /// (a flake's best evidence) can be read afterwards.
    retried: std::collections::BTreeMap<String, String>,
}

impl Executor<'_> {
    fn run_all(&mut self, work: Vec<Work>, slots: usize) {
        let mut queue: std::collections::VecDeque<Work> = work.into();
        let mut running: Vec<Running> = Vec::new();
        let timeout = Duration::from_millis(self.gp.timeout_ms.max(1));
        loop {
            while running.len() < slots {
                let Some(w) = queue.pop_front() else { break };
                if !w.batch {
                    let id = format!("{}::{}", w.binary_id, w.tests[0]);
                    if self.gp.inject.panic_before.as_deref() == Some(id.as_str()) && w.user == User::Root {
                        self.sink.send(&Record::Started { id, user: w.user });
                        crash_kernel();
                    }
                }
                match self.spawn(w) {
                    Ok(r) => running.push(r),
                    Err((w, e)) => {
                        for t in &w.tests {
                            self.report(&w, t, crate::model::Outcome::Crash { reason: e.clone() }, None, 0, "");
                        }
                    }
                }
            }
            if running.is_empty() {
                break;
            }
            let mut i = 0;
            let mut progressed = false;
            while i < running.len() {
                if running[i].work.batch && self.pump_batch(&mut running[i]) {
                    progressed = true;
                }
                let r = &mut running[i];
                let since = match &r.current {
                    Some((_, t)) if r.work.batch => *t,
                    _ => r.started,
                };
                let exit = match r.child.try_wait() {
                    Ok(Some(st)) => Some(match st.code() {
                        Some(c) => Exit::Code(c),
                        None => Exit::Signal(st.signal().unwrap_or(0)),
                    }),
                    Ok(None) if since.elapsed() >= timeout => {
                        kill_tree(r.child.id() as i32);
                        let _ = r.child.wait();
                        Some(Exit::TimedOut(since.elapsed().as_millis() as u64))
                    }
                    Ok(None) => None,
                    Err(_) => Some(Exit::Signal(0)),
                };
                if let Some(exit) = exit {
                    let mut r = running.swap_remove(i);
                    if r.work.batch {
                        self.pump_batch(&mut r);
                        for w in self.finish_batch(r, exit) {
                            queue.push_front(w);
                        }
                    } else {
                        self.finish_single(r, exit);
                    }
                    progressed = true;
                } else {
                    i += 1;
                }
            }
            if self.last_beat.elapsed() >= Duration::from_millis(self.gp.heartbeat_ms.max(100)) {
                self.sink.send(&Record::Heartbeat { done: self.done });
                self.last_beat = Instant::now();
            }
            if !progressed {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }

    fn spawn(&mut self, work: Work) -> Result<Running, (Work, String)> {
        self.seq += 1;
        let out = Path::new(&self.gp.work_dir).join(format!("{}.out", self.seq));
        let err = Path::new(&self.gp.work_dir).join(format!("{}.err", self.seq));
        let files = fs::File::create(&out).and_then(|o| fs::File::create(&err).map(|e| (o, e)));
        let (o, e) = match files {
            Ok(f) => f,
            Err(e) => return Err((work, format!("cannot create output files in {}: {e}", self.gp.work_dir))),
        };
        let user = work.user;
        let hang = !work.batch && Inject::names(&self.gp.inject.hang, &work.binary_id, &work.tests[0], user);
        let hang_in_batch = if work.batch {
            work.tests.iter().find(|t| Inject::names(&self.gp.inject.hang_in_batch, &work.binary_id, t, user))
        } else {
            None
        };
        let mut cmd = if hang || hang_in_batch.is_some() {
            // Test-only fault: run the executor itself in a mode that never ends, instead of
            // the test (in a batch: after announcing the test as libtest would).
            let mut c = Command::new(std::env::current_exe().unwrap_or_else(|_| PathBuf::from(crate::bundle::GUEST_EXECUTOR)));
            c.arg(HANG_ARG);
            c.args(hang_in_batch);
            c
        } else if work.batch {
            let mut c = Command::new(&work.binary);
            // --show-output: a passing test's captured output comes in its "ok" event (for
            // its log), as a failing one's does anyway.
            c.args(["--test-threads=1", "-Z", "unstable-options", "--format", "json", "--show-output", "--exact"]);
            c.args(&work.tests);
            c
        } else {
            let mut c = Command::new(&work.binary);
            c.args(["--exact", &work.tests[0], "--nocapture", "--test-threads=1"]);
            c
        };
        cmd.env_clear();
        cmd.envs(self.gp.env.iter().map(|(k, v)| (k, v)));
        if work.batch {
            // libtest's JSON format is unstable: it needs this at run time.
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        cmd.env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", if user == User::Root { "/root" } else { "/tmp" })
            .env(ipcspec_protocol::env::TIME_SCALE, format!("{}", self.gp.time_scale))
            .env("RUST_BACKTRACE", "0")
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(o)
            .stderr(e)
            .process_group(0);
        let nobody = user == User::Nobody;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let id = User::NOBODY_ID;
                // Already uid/gid 65534 (a container started with --user 65534:65534): nothing
                // to change, and no privilege to change it with.
                let already = libc::getuid() == id && libc::geteuid() == id && libc::getgid() == id && libc::getegid() == id;
                if nobody
                    && !already
                    && (libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(id) != 0 || libc::setuid(id) != 0)
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        if !work.batch {
            self.sink.send(&Record::Started { id: format!("{}::{}", work.binary_id, work.tests[0]), user });
        }
        match cmd.spawn() {
            Ok(child) => Ok(Running {
                work,
                child,
                started: Instant::now(),
                out,
                err,
                consumed: 0,
                partial: Vec::new(),
                current: None,
                skip: None,
                variants: Vec::new(),
                output: String::new(),
                finished: Vec::new(),
                retry: Vec::new(),
                batch_output: std::collections::BTreeMap::new(),
            }),
            Err(e) => {
                let _ = fs::remove_file(&out);
                let _ = fs::remove_file(&err);
                let msg = format!("cannot start {}: {e}", work.binary.display());
                Err((work, msg))
            }
        }
    }

    /// Read a batch's new stdout and act on libtest's events. True if anything happened.
    fn pump_batch(&mut self, r: &mut Running) -> bool {
        let Ok(mut f) = fs::File::open(&r.out) else { return false };
        use std::io::{Seek, SeekFrom};
        if f.seek(SeekFrom::Start(r.consumed)).is_err() {
            return false;
        }
        let mut buf = Vec::new();
        let _ = f.take(4 << 20).read_to_end(&mut buf);
        if buf.is_empty() {
            return false;
        }
        r.consumed += buf.len() as u64;
        r.partial.extend_from_slice(&buf);
        let mut any = false;
        while let Some(nl) = r.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = r.partial.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line);
            let raw = line.trim_end_matches(['\n', '\r']);
            let line = line.trim();
            any = true;
            let event = batch_event(line);
            if r.current.is_some() && matches!(event, BatchEvent::Skip(_) | BatchEvent::Variant(_) | BatchEvent::Other) && r.output.len() < 1 << 20 {
                r.output.push_str(raw);
                r.output.push('\n');
            }
            match event {
                BatchEvent::Started(name) => {
                    self.sink.send(&Record::Started { id: format!("{}::{name}", r.work.binary_id), user: r.work.user });
                    r.current = Some((name, Instant::now()));
                    r.skip = None;
                    r.variants.clear();
                    r.output.clear();
                }
                BatchEvent::Skip(reason) => r.skip = Some(reason),
                BatchEvent::Variant(v) => r.variants.push(v),
                BatchEvent::Ok(name, captured) => {
                    let ms = r.current.as_ref().map(|(_, t)| t.elapsed().as_millis() as u64).unwrap_or(0);
                    let outcome = match r.skip.take() {
                        Some(reason) => crate::model::Outcome::Skip { reason },
                        None => crate::model::Outcome::Pass,
                    };
                    r.current = None;
                    let variant = crate::classify::combine(std::mem::take(&mut r.variants));
                    let w = Work { tests: vec![], ..r.work.shallow() };
                    let output = std::mem::take(&mut r.output) + &captured;
                    self.report(&w, &name, outcome, variant, ms, &output);
                    r.finished.push(name);
                }
                BatchEvent::Failed(name, captured) => {
                    r.current = None;
                    r.skip = None;
                    r.variants.clear();
                    let output = std::mem::take(&mut r.output) + &captured;
                    r.batch_output.insert(name.clone(), output);
                    r.finished.push(name.clone());
                    r.retry.push(name);
                }
                BatchEvent::Other => {}
            }
        }
        any
    }

    /// A batch process ended: requeue what it did not finish. The test it was in when it died
    /// (a crash, or its deadline passed) and the tests that failed in it run again alone, and
    /// that result counts: a batch is only the fast way to run a binary's tests, and what goes
    /// wrong only beside the others of its process (a hang included) is named in a note, not
    /// taken for the test's result.
    fn finish_batch(&mut self, mut r: Running, exit: Exit) -> Vec<Work> {
        let _ = fs::remove_file(&r.out);
        let err_text = read_capped(&r.err);
        let _ = fs::remove_file(&r.err);
        let mut again = Vec::new();
        let mut retry = r.retry.clone();
        let current = r.current.as_ref().map(|(n, _)| n.clone());
        if let Some(cur) = &current {
            if let Exit::TimedOut(ms) = exit {
                let said = format!("(timed out after {ms} ms in the batch)\n{}", labelled_output(&r.output, &err_text));
                r.batch_output.insert(cur.clone(), said);
            }
            retry.push(cur.clone());
        }
        let done: std::collections::BTreeSet<&String> = r.finished.iter().chain(current.iter()).collect();
        let rest: Vec<String> = r.work.tests.iter().filter(|t| !done.contains(t)).cloned().collect();
        if !rest.is_empty() {
            // A batch that ran nothing at all (the binary cannot start, or rejects the
            // options) falls back to one process per test.
            let progressed = !r.finished.is_empty() || current.is_some();
            if progressed {
                again.push(Work { tests: rest, batch: true, ..r.work.shallow() });
            } else {
                for t in rest {
                    again.push(Work { tests: vec![t], batch: false, ..r.work.shallow() });
                }
            }
        }
        for t in retry {
            again.push(Work { tests: vec![t], batch: false, ..r.work.shallow() });
        }
        for w in &again {
            if !w.batch {
                let said = r.batch_output.get(&w.tests[0]).cloned().unwrap_or_default();
                self.retried.insert(format!("{}::{}/{}", w.binary_id, w.tests[0], w.user.name()), said);
            }
        }
        again
    }

    fn finish_single(&mut self, r: Running, exit: Exit) {
        let ms = r.started.elapsed().as_millis() as u64;
        let out = read_capped(&r.out);
        let err = read_capped(&r.err);
        let _ = fs::remove_file(&r.out);
        let _ = fs::remove_file(&r.err);
        let outcome = classify(exit, &out, &err);
        let variant = crate::classify::variant_of(&out);
        let key = format!("{}::{}/{}", r.work.binary_id, r.work.tests[0], r.work.user.name());
        let mut output = labelled_output(&out, &err);
        if let Some(said) = self.retried.remove(&key) {
            if !outcome.kind().is_bad() {
                self.batch_only_failures.push(format!("{}::{} ({})", r.work.binary_id, r.work.tests[0], r.work.user.name()));
            }
            if !said.trim().is_empty() {
                output.push_str("\n--- before this run: the test did not pass beside the other tests of its binary, in one process; it wrote ---\n");
                output.push_str(&said);
            }
        }
        let test = r.work.tests[0].clone();
        self.report(&r.work, &test, outcome, variant, ms, &output);
    }

    fn report(&mut self, w: &Work, test: &str, outcome: crate::model::Outcome, variant: Option<crate::model::Variant>, ms: u64, output: &str) {
        self.done += 1;
        if outcome.kind().is_bad() {
            self.bad += 1;
        }
        let output = crate::frame::cap_output(output);
        self.sink.send(&Record::Result { id: format!("{}::{test}", w.binary_id), user: w.user, outcome, variant, duration_ms: ms, output });
    }
}

impl Work {
    fn shallow(&self) -> Work {
        Work { binary: self.binary.clone(), binary_id: self.binary_id.clone(), user: self.user, tests: Vec::new(), batch: self.batch }
    }
}

/// One line of a batch's stdout.
#[derive(Debug, PartialEq)]
enum BatchEvent {
    Started(String),
    /// The test passed; what it wrote, as libtest captured it (`--show-output`).
    Ok(String, String),
    /// The test did not pass; what it wrote (libtest's `stdout` of the event).
    Failed(String, String),
    Skip(String),
    Variant(crate::model::Variant),
    Other,
}

/// libtest JSON events (`{"type":"test","event":"started","name":"x"}`), and the SKIP marker
/// a test writes straight to fd 1 between its "started" and "ok".
fn batch_event(line: &str) -> BatchEvent {
    if let Some(r) = crate::classify::skip_reason(line) {
        return BatchEvent::Skip(r);
    }
    if let Some(v) = crate::classify::variant_line(line) {
        return BatchEvent::Variant(v);
    }
    if !line.starts_with('{') {
        return BatchEvent::Other;
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return BatchEvent::Other };
    if v.get("type").and_then(|t| t.as_str()) != Some("test") {
        return BatchEvent::Other;
    }
    let name = v.get("name").and_then(|n| n.as_str()).unwrap_or("").to_string();
    match v.get("event").and_then(|e| e.as_str()) {
        Some("started") => BatchEvent::Started(name),
        Some("ok") => BatchEvent::Ok(name, v.get("stdout").and_then(|o| o.as_str()).unwrap_or("").to_string()),
        // Failed, timed out (libtest's own), ignored: run alone for the real verdict.
        Some(_) => BatchEvent::Failed(name, v.get("stdout").and_then(|o| o.as_str()).unwrap_or("").to_string()),
        None => BatchEvent::Other,
    }
}

/// A test's stdout and stderr as one text for its log: each under a heading when both have
/// something, else whichever has.
fn labelled_output(out: &str, err: &str) -> String {
    match (out.trim().is_empty(), err.trim().is_empty()) {
        (true, true) => String::new(),
        (false, true) => out.to_string(),
        (true, false) => err.to_string(),
        (false, false) => format!("{}{}--- stderr ---\n{err}", out, if out.ends_with('\n') { "" } else { "\n" }),
    }
}

fn read_capped(p: &Path) -> String {
    let mut buf = Vec::new();
    if let Ok(f) = fs::File::open(p) {
        let _ = f.take(1 << 20).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Kill `pid`'s process group and every descendant (they may have left the group).
pub fn kill_tree(pid: i32) {
    let mut victims = vec![pid];
    let table = process_table();
    let mut i = 0;
    while i < victims.len() {
        let p = victims[i];
        victims.extend(table.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    // SAFETY: kill(2) on pids we found; -pid is the test's process group.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        for v in victims {
            libc::kill(v, libc::SIGKILL);
        }
    }
}

/// (pid, ppid) of every process, from /proc.
fn process_table() -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir("/proc") else { return out };
    for e in rd.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else { continue };
        // "pid (comm) S ppid ..." — comm may hold spaces and parentheses: split at the last ')'.
        if let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..])
            && let Some(ppid) = after.split_whitespace().nth(1).and_then(|s| s.parse::<i32>().ok()) {
                out.push((pid, ppid));
            }
    }
    out
}

/// Test-only: crash the kernel now (sysrq 'c').
fn crash_kernel() {
    if let Ok(mut f) = fs::OpenOptions::new().write(true).open("/proc/sysrq-trigger") {
        let _ = f.write_all(b"c");
    }
    // If the kernel survived (no sysrq), stop answering so the host sees a dead VM.
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// `ipcspec guest --plan FILE`: run a plan outside a VM (a container, or by hand). As PID 1
/// (a container without an init) it reaps orphans while the executor runs. It mounts
/// nothing: a container runtime provides /proc, /dev, /dev/shm, /dev/mqueue and /dev/pts.
/// `--plan -` reads the plan from standard input (how the docker target hands it over).
pub fn guest_command(plan_path: &Path, results: Option<&str>) -> anyhow::Result<i32> {
    use anyhow::Context;
    let bytes = if plan_path == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b).context("reading the plan from standard input")?;
        b
    } else {
        fs::read(plan_path).with_context(|| format!("reading the plan {}", plan_path.display()))?
    };
    let mut gp: GuestPlan = serde_json::from_slice(&bytes).with_context(|| format!("parsing the plan {}", plan_path.display()))?;
    if let Some(r) = results {
        gp.results = r.to_string();
    }
    if std::process::id() == 1 {
        Ok(supervise(|| execute(&gp, Vec::new())))
    } else {
        Ok(execute(&gp, Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_events() {
        assert_eq!(batch_event(r#"{ "type": "test", "event": "started", "name": "a::b" }"#), BatchEvent::Started("a::b".into()));
        assert_eq!(batch_event(r#"{ "type": "test", "name": "a", "event": "ok" }"#), BatchEvent::Ok("a".into(), String::new()));
        assert_eq!(
            batch_event(r#"{ "type": "test", "name": "a", "event": "ok", "stdout": "said\n" }"#),
            BatchEvent::Ok("a".into(), "said\n".into())
        );
        assert_eq!(labelled_output("", " \n"), "");
        assert_eq!(labelled_output("o\n", "e\n"), "o\n--- stderr ---\ne\n");
        assert_eq!(labelled_output("", "e"), "e");
        assert_eq!(batch_event(r#"{ "type": "test", "name": "a", "event": "failed", "stdout": "x" }"#), BatchEvent::Failed("a".into(), "x".into()));
        assert_eq!(batch_event("IPCSPEC-SKIP: requires root"), BatchEvent::Skip("requires root".into()));
        assert_eq!(
            batch_event("IPCSPEC-VARIANT: absent [lacking]: ENOSYS"),
            BatchEvent::Variant(crate::model::Variant { name: "absent".into(), lacking: true, detail: "ENOSYS".into() })
        );
        assert_eq!(batch_event(r#"{ "type": "suite", "event": "ok" }"#), BatchEvent::Other);
        assert_eq!(batch_event("{ garbage"), BatchEvent::Other);
        assert_eq!(batch_event(""), BatchEvent::Other);
    }
}
