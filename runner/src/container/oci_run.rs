//! Running the guest executor under an OCI runtime the runner starts itself (runsc for
//! gVisor), as a container runtime would: a bundle directory with the mode's `config.json`
//! ([`crate::container::oci`]), `<runtime> --root <state> <flags> run --bundle <dir> <id>`
//! with the plan on standard input and the framed result stream on standard output (an
//! [`OciContainer`] is a [`client::Launch`], run by [`client::run`] with a container's
//! deadlines).
//!
//! Nothing is left behind:
//! - each run of the runner keeps its runtime state, bundles and staged root filesystem in
//!   a directory of its own, `/run/ipcspec/oci/<pid>-<start time>/` (the runtime's `--root`
//!   is `state/` there: runsc's socket paths must stay short), labelled with its owner
//!   ([`crate::container::cleanup::Owner`]) and the runtime binary that made its sandboxes;
//! - a container is deleted (`delete --force`) when it ends, when a deadline passes (after
//!   `kill <id> KILL`) and on SIGINT/SIGTERM/SIGHUP (an interrupt action), and its bundle
//!   removed; the run's directory and root filesystem go when the run ends ([`finish`]);
//! - a run directory whose owner is gone (a runner killed with SIGKILL) is reaped by the
//!   next run ([`reap_stale`]): its sandboxes deleted, its files removed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::container::cleanup::{Owner, boot_id, is_stale, on_interrupt, process_start};
use crate::container::client;
use crate::container::oci::Spec;
use crate::util::with_suffix;

/// Where the runs' directories are.
pub const RUNS_DIR: &str = "/run/ipcspec/oci";

/// One run's directory: the state of each runtime it uses (`state-<tag>/`, the runtime's
/// `--root`), its containers' bundles, the runtimes (`runtimes`: `<tag>\t<binary>` lines)
/// and where its root filesystem was staged (`rootfs`).
#[derive(Clone, Debug)]
pub struct RunDir {
    pub dir: PathBuf,
}

impl RunDir {
    /// The `--root` of the runtime registered as `tag`.
    pub fn state(&self, tag: &str) -> PathBuf {
        self.dir.join(format!("state-{tag}"))
    }

    /// Note that containers of `runtime` will run here (so that a later run can delete them
    /// if this one is killed).
    pub fn register_runtime(&self, tag: &str, runtime: &Path) -> Result<()> {
        fs::create_dir_all(self.state(tag))?;
        let mut f = fs::OpenOptions::new().create(true).append(true).open(self.dir.join("runtimes"))?;
        writeln!(f, "{tag}\t{}", runtime.display())?;
        Ok(())
    }

    /// The runtimes registered: (tag, binary).
    pub fn runtimes(&self) -> Vec<(String, PathBuf)> {
        runtimes_of(&self.dir)
    }
}

fn runtimes_of(dir: &Path) -> Vec<(String, PathBuf)> {
    fs::read_to_string(dir.join("runtimes"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(t, p)| (t.to_string(), PathBuf::from(p))))
        .collect()
}

/// Containers of this run that may be alive: (runtime, state dir, id).
static LIVE: Mutex<Vec<(PathBuf, PathBuf, String)>> = Mutex::new(Vec::new());

/// This run's directory under `base` (`<pid>-<start time>`), with its owner label and the
/// root filesystem it will remove; stale directories of runs that are gone are reaped
/// first, and an interrupt deletes this run's containers and removes the directory.
pub fn run_dir(base: &Path, rootfs: Option<&Path>) -> Result<(RunDir, Vec<String>)> {
    let notes = reap_stale(base);
    let me = Owner::me();
    let dir = base.join(format!("{}-{}", me.pid, me.start));
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    if let Some(r) = rootfs {
        fs::write(dir.join("rootfs"), r.as_os_str().as_encoded_bytes())?;
    }
    fs::write(dir.join("owner"), me.label())?;
    let rd = RunDir { dir: dir.clone() };
    on_interrupt(move || {
        delete_live();
        remove_run_dir(&dir);
        vec![format!("deleted this run's sandboxes and {}", dir.display())]
    });
    Ok((rd, notes))
}

/// Delete every container of this run that may still be alive.
fn delete_live() {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for (rt, state, id) in live {
        let _ = runtime_cmd(&rt, &state, &["kill", &id, "KILL"]).output();
        let _ = runtime_cmd(&rt, &state, &["delete", "--force", &id]).output();
    }
}

fn runtime_cmd(runtime: &Path, state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(runtime);
    c.arg("--root").arg(state).args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// Remove a run's directory and the root filesystem it names.
fn remove_run_dir(dir: &Path) {
    if let Ok(r) = fs::read(dir.join("rootfs")) {
        let p = PathBuf::from(String::from_utf8_lossy(&r).into_owned());
        let _ = fs::remove_dir_all(p);
    }
    let _ = fs::remove_dir_all(dir);
}

/// Run directories under `base` whose runner is gone: their containers deleted (with the
/// runtime that made them), their files removed. Returns what it did.
pub fn reap_stale(base: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(base) else { return vec![] };
    let boot = boot_id();
    let mut notes = Vec::new();
    for e in rd.flatten() {
        let dir = e.path();
        let owner = fs::read_to_string(dir.join("owner")).unwrap_or_default();
        // A directory without an owner yet is being made (or is not ours): left alone.
        if owner.is_empty() || !is_stale(&owner, false, &boot, process_start) {
            continue;
        }
        let mut ids = Vec::new();
        for (tag, rt) in runtimes_of(&dir) {
            if !rt.is_file() {
                continue;
            }
            let state = dir.join(format!("state-{tag}"));
            for id in list(&rt, &state) {
                let _ = runtime_cmd(&rt, &state, &["kill", &id, "KILL"]).output();
                let _ = runtime_cmd(&rt, &state, &["delete", "--force", &id]).output();
                ids.push(id);
            }
        }
        remove_run_dir(&dir);
        notes.push(format!(
            "removed {} left by a runner that is gone{}",
            dir.display(),
            if ids.is_empty() { String::new() } else { format!(" (deleted its sandboxes {})", ids.join(", ")) }
        ));
    }
    notes
}

/// The ids of the containers a runtime lists in `state`.
fn list(runtime: &Path, state: &Path) -> Vec<String> {
    let o = Command::new(runtime).arg("--root").arg(state).args(["list", "-quiet"]).stdin(Stdio::null()).output();
    o.map(|o| String::from_utf8_lossy(&o.stdout).lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect())
        .unwrap_or_default()
}

/// The end of a run: containers still listed deleted, the directory and root filesystem
/// removed. Returns notes.
pub fn finish(rd: &RunDir) -> Vec<String> {
    let mut notes = Vec::new();
    for (tag, rt) in rd.runtimes() {
        let state = rd.state(&tag);
        for id in list(&rt, &state) {
            let _ = runtime_cmd(&rt, &state, &["delete", "--force", &id]).output();
            notes.push(format!("deleted the sandbox {id}, still listed at the end"));
        }
    }
    remove_run_dir(&rd.dir);
    notes
}

/// One container to run.
#[derive(Clone, Debug)]
pub struct OciContainer {
    pub run: RunDir,
    /// The runtime (registered in `run` as `tag`).
    pub runtime: PathBuf,
    pub tag: String,
    pub id: String,
    /// The runtime's flags before the subcommand (runsc: `--network=sandbox`, ...).
    pub flags: Vec<String>,
    pub config: Spec,
}

impl OciContainer {
    pub fn bundle(&self) -> PathBuf {
        self.run.dir.join(&self.id)
    }

    pub fn state(&self) -> PathBuf {
        self.run.state(&self.tag)
    }

    /// The whole command line, for the log.
    pub fn command_line(&self) -> Vec<String> {
        let mut a = vec![self.runtime.display().to_string(), "--root".into(), self.state().display().to_string()];
        a.extend(self.flags.iter().cloned());
        a.extend(["run".to_string(), "--bundle".into(), self.bundle().display().to_string(), self.id.clone()]);
        a
    }
}

/// Stop a container's runtime client when a deadline passes: `kill <id> KILL`, up to 5 s
/// for the client to end, then `delete --force` and SIGKILL to the client's process group
/// (it leads one: nothing of it survives).
fn stop(c: &OciContainer, child: &mut Child) -> std::io::Result<ExitStatus> {
    let _ = runtime_cmd(&c.runtime, &c.state(), &["kill", &c.id, "KILL"]).output();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        if let Some(st) = child.try_wait()? {
            return Ok(st);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    delete(c);
    // SAFETY: kill(2) of a process group we created.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    child.wait()
}

fn delete(c: &OciContainer) {
    let _ = runtime_cmd(&c.runtime, &c.state(), &["delete", "--force", &c.id]).output();
}

/// A sandbox is run by its OCI runtime ([`client::run`]): a bundle directory with the mode's
/// `config.json`, then `<runtime> run`; a deadline stops it with `kill` and `delete`, and
/// when it ends it is deleted and its bundle removed. Its files: `<stem>.results.bin` (the
/// stream), `<stem>.runtime.log` (the runtime's messages), `<stem>.config.json`,
/// `<stem>.runtime-args`.
impl client::Launch for OciContainer {
    const LOG_SUFFIX: &'static str = ".runtime.log";
    const WHAT: &'static str = "the sandbox";
    const END_REASON: fn(Option<i32>, &str) -> String = end_reason;

    fn start(&self, stem: &Path, log: fs::File) -> Result<(Child, client::Stop)> {
        let bundle = self.bundle();
        let _ = fs::remove_dir_all(&bundle);
        fs::create_dir_all(&bundle).with_context(|| format!("creating {}", bundle.display()))?;
        let config = self.config.to_json();
        fs::write(bundle.join("config.json"), &config)?;
        let _ = fs::write(with_suffix(stem, ".config.json"), &config);
        let args = self.command_line();
        let _ = fs::write(with_suffix(stem, ".runtime-args"), format!("{}\n", args.join(" ")));
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).push((self.runtime.clone(), self.state(), self.id.clone()));
        let mut cmd = Command::new(&self.runtime);
        cmd.args(&args[1..]);
        let child = client::spawn(cmd, log).with_context(|| format!("starting {}", self.runtime.display()))?;
        let stopped = self.clone();
        Ok((child, Box::new(move |child| stop(&stopped, child))))
    }

    fn finish(&self) {
        delete(self);
        forget_live(&self.id);
        let _ = fs::remove_dir_all(self.bundle());
    }
}

fn forget_live(id: &str) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|(_, _, i)| i != id);
}

/// Why a sandbox ended before its last record, from the runtime's exit status and its
/// last message. Pure.
pub fn end_reason(status: Option<i32>, log_tail: &str) -> String {
    let why = match status {
        Some(128..=255) => format!("the sandbox was killed (exit status {})", status.unwrap_or(0)),
        Some(c) => format!("the sandbox exited with status {c} before reporting this test"),
        None => "the runtime's client was killed by a signal".to_string(),
    };
    let last = log_tail.lines().rev().find(|l| !l.trim().is_empty()).map(|l| format!(": {}", l.trim())).unwrap_or_default();
    format!("{why}{last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn why_a_sandbox_ended() {
        assert_eq!(end_reason(Some(137), ""), "the sandbox was killed (exit status 137)");
        assert_eq!(
            end_reason(Some(1), "running container: x\ncreating container: cannot mount /dev/mqueue\n"),
            "the sandbox exited with status 1 before reporting this test: creating container: cannot mount /dev/mqueue"
        );
        assert_eq!(end_reason(None, ""), "the runtime's client was killed by a signal");
    }

    #[test]
    fn stale_run_directories_are_reaped_and_live_ones_kept() {
        let base = tempfile::tempdir().unwrap();
        let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap().trim().to_string();
        // A runner that is gone (pid 0x7fffffff does not exist), with a root filesystem.
        let gone = base.path().join("gone");
        let rootfs = base.path().join("rootfs-gone");
        fs::create_dir_all(gone.join("state")).unwrap();
        fs::create_dir_all(rootfs.join("ipcspec")).unwrap();
        fs::write(gone.join("owner"), format!("{boot}:2147483647:1")).unwrap();
        fs::write(gone.join("runtimes"), "2022\t/nonexistent/runsc\n").unwrap();
        fs::write(gone.join("rootfs"), rootfs.as_os_str().as_encoded_bytes()).unwrap();
        // This process's own directory, and one still being made (no owner yet).
        let mine = base.path().join("mine");
        fs::create_dir_all(&mine).unwrap();
        fs::write(mine.join("owner"), Owner::me().label()).unwrap();
        fs::create_dir_all(base.path().join("new")).unwrap();
        let notes = reap_stale(base.path());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(!gone.exists() && !rootfs.exists());
        assert!(mine.exists() && base.path().join("new").exists());
    }
}
