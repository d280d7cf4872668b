//! Nothing stays behind, whatever kills a test or the runner (issue 19).
//!
//! Every command that runs tests starts with [`start`]:
//! - it reaps what runners that are gone left ([`reap`]: every sweeper of [`SWEEPERS`], in
//!   order — a runner killed with SIGKILL ran none of its own clean-up);
//! - it marks itself: `IPCSPEC_RUNNER=<boot id>:<pid>:<start time>` in its environment, which
//!   every process it starts inherits (cargo, nextest, the tests and their children, QEMU,
//!   stress-ng, container clients), and a temporary directory of its own,
//!   `$TMPDIR/.ipcspec-run-<pid>-<start>/` (with an `owner` file), as `TMPDIR` for everything
//!   it starts (scratch directories of tests, the self-check's and the leak checker's files);
//! - SIGINT, SIGTERM and SIGHUP run [`finish`] before the runner exits (through the interrupt
//!   actions of runner/src/container/cleanup.rs), and so does the normal end ([`Run`]'s
//!   `Drop`): its own processes killed, the journal restored, its IPC objects and its
//!   temporary directory removed.
//!
//! A runner killed with SIGKILL runs nothing; the next one reaps it: its processes carry a
//! label whose owner is gone, its temporary directory an `owner` file whose owner is gone.
//! `ipcspec restore` reaps on demand.
//!
//! **Registering leftovers.** A target that leaves something a SIGKILL would orphan adds a
//! [`Sweeper`] to [`SWEEPERS`] (one line), which finds what a runner that is gone left and
//! removes it — or names it in a way one of the sweepers here already understands: a
//! process started by the runner is covered by the environment label; a container labelled
//! `org.ipcspec.owner=<label>` by the docker containers' sweeper; an OCI runtime's run
//! directory under /run/ipcspec/oci with its `owner` file by the OCI sandboxes' one.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ipcspec_protocol::journal::{self, Owner};

use crate::leaks;

/// Finds what runners that are gone left, and removes it.
pub struct Sweeper {
    /// What it sweeps, for people (`processes`, `docker containers`, ...).
    pub name: &'static str,
    /// Returns what it did (for the terminal); nothing when there was nothing.
    pub sweep: fn() -> Vec<String>,
}

/// Every sweeper, in the order they run: processes first (a killed process releases its
/// objects and no longer changes anything), then containers and sandboxes, then the journal
/// (values the processes changed), then objects and files.
pub static SWEEPERS: &[Sweeper] = &[
    Sweeper { name: "processes", sweep: processes },
    Sweeper { name: "docker containers", sweep: docker_containers },
    Sweeper { name: "OCI sandboxes", sweep: oci_runs },
    // Values changed by tests (or runners) that are gone, put back (ipcspec_protocol::journal).
    Sweeper { name: "journal", sweep: || journal::restore().lines() },
    Sweeper { name: "IPC objects", sweep: ipc_objects },
    Sweeper { name: "temporary directories", sweep: run_temp_dirs },
    Sweeper { name: "kernel downloads", sweep: kernel_fetches },
];

/// Run every sweeper: what runners and tests that are gone left. Returns what was done.
pub fn reap() -> Vec<String> {
    SWEEPERS.iter().flat_map(|s| (s.sweep)()).collect()
}

/// One note saying what was removed (`say` of the items), or none when nothing was.
fn note_of<T>(items: &[T], say: impl FnOnce(&[T]) -> String) -> Vec<String> {
    if items.is_empty() { vec![] } else { vec![say(items)] }
}

/// The prefix of a run's temporary directory (hidden: never taken for a test's scratch
/// directory `ipcspec-*`).
pub const RUN_DIR_PREFIX: &str = ".ipcspec-run-";

/// This runner's label (`<boot id>:<pid>:<start time>`).
pub fn my_label() -> String {
    Owner::me().label()
}

/// Processes whose environment carries `IPCSPEC_RUNNER=<label>`: (pid, label).
pub fn labelled_processes() -> Vec<(u32, String)> {
    let want = format!("{}=", ipcspec_protocol::env::RUNNER);
    let Ok(rd) = fs::read_dir("/proc") else { return Vec::new() };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(env) = fs::read(format!("/proc/{pid}/environ")) else { continue };
        if let Some(label) = env.split(|&b| b == 0).find_map(|kv| std::str::from_utf8(kv).ok()?.strip_prefix(want.as_str())) {
            out.push((pid, label.to_string()));
        }
    }
    out
}

/// This process and its ancestors: never killed, whatever their label says.
fn me_and_ancestors() -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    let mut pid = std::process::id();
    while pid > 1 && out.insert(pid) {
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { break };
        pid = stat.rfind(')').and_then(|r| stat[r + 1..].split_whitespace().nth(1)).and_then(|p| p.parse().ok()).unwrap_or(0);
    }
    out
}

/// SIGKILL every process labelled with a label `doomed` accepts, until none is left (their
/// children, labelled too, may be forked meanwhile) or 5 s pass. Returns the pids killed.
fn kill_labelled(doomed: impl Fn(&str) -> bool) -> Vec<u32> {
    let spare = me_and_ancestors();
    let mut killed: Vec<u32> = Vec::new();
    let start = Instant::now();
    loop {
        let victims: Vec<u32> = labelled_processes().into_iter().filter(|(p, l)| !spare.contains(p) && doomed(l)).map(|(p, _)| p).collect();
        if victims.is_empty() || start.elapsed() > Duration::from_secs(5) {
            return killed;
        }
        for p in victims {
            // SAFETY: kill(2) of a pid we just read; at worst it is gone already.
            unsafe { libc::kill(p as libc::pid_t, libc::SIGKILL) };
            if !killed.contains(&p) {
                killed.push(p);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Processes started by runners that are gone (their `IPCSPEC_RUNNER` names a dead owner):
/// nextest and the tests under it, QEMU, stress-ng, container clients.
fn processes() -> Vec<String> {
    let killed = kill_labelled(|l| Owner::parse(l).is_some_and(|o| !o.is_alive()));
    note_of(&killed, |k| format!("killed {} processes left by runners that are gone (pids {})", k.len(), list(k)))
}

fn list(pids: &[u32]) -> String {
    let mut s: Vec<String> = pids.iter().take(12).map(u32::to_string).collect();
    if pids.len() > 12 {
        s.push("...".into());
    }
    s.join(" ")
}

/// Docker containers labelled with an owner that is gone (runner/src/container/cleanup.rs),
/// where docker is installed.
fn docker_containers() -> Vec<String> {
    if !crate::util::on_path(crate::container::cli::DOCKER) {
        return vec![];
    }
    // A daemon that cannot be reached has nothing of ours to remove: no note.
    let mut notes: Vec<String> =
        crate::container::cleanup::sweep(None).into_iter().filter(|n| !n.starts_with("note: cannot list")).collect();
    // The tag that holds a run's bundle image (`ipcspec-bundle-hold:<pid>-<start>`,
    // runner/src/container/image.rs) of a runner that is gone: untagged (the image stays
    // cached; the next docker run prunes what is stale).
    let hold = crate::container::image::HOLD_REPO;
    if let Ok(tags) = crate::container::cli::docker(&["images", hold, "--format", "{{.Repository}}:{{.Tag}}"]) {
        for t in tags.lines().map(str::trim).filter(|t| t.starts_with(&format!("{hold}:"))) {
            let holder = t.rsplit(':').next().and_then(|h| h.split_once('-'));
            let alive = holder.is_some_and(|(pid, start)| {
                pid.parse::<u32>().ok().and_then(journal::process_start).zip(start.parse::<u64>().ok()).is_some_and(|(a, b)| a == b)
            });
            if !alive && crate::container::cli::docker(&["rmi", t]).is_ok() {
                notes.push(format!("untagged {t}, held by a runner that is gone"));
            }
        }
    }
    notes
}

/// Run directories of OCI runtimes (gVisor's runsc) under /run/ipcspec/oci whose runner is
/// gone: their sandboxes deleted, their files removed (runner/src/container/oci_run.rs).
fn oci_runs() -> Vec<String> {
    let base = Path::new(crate::container::oci_run::RUNS_DIR);
    if !base.is_dir() {
        return vec![];
    }
    crate::container::oci_run::reap_stale(base)
}

/// POSIX shared memory, semaphores and message queues named `ipcspec-<pid>-...` whose
/// creator is gone and which no process has open or mapped.
fn ipc_objects() -> Vec<String> {
    let removed = remove_orphaned_ipc(&|_| false);
    note_of(&removed, |r| format!("removed {} IPC objects of processes that are gone: {}", r.len(), r.join(", ")))
}

/// Seconds since the epoch at which process `pid` started, if it exists.
fn started_at(pid: u32) -> Option<f64> {
    let ticks = journal::process_start(pid)? as f64;
    let btime: f64 = fs::read_to_string("/proc/stat").ok()?.lines().find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(btime + ticks / hz)
}

/// Every pid that names a live process of this IPC namespace, as the process knows itself:
/// this namespace's pids, and the pids inside their own pid namespace of processes that share
/// it from another one (a container started with `--ipc=host`, whose objects are named with
/// its pids). A process whose IPC namespace cannot be read counts.
#[derive(Default)]
struct LivePids {
    /// Pids of this pid namespace.
    here: BTreeSet<i32>,
    /// Pids inside other pid namespaces, of processes in this IPC namespace.
    elsewhere: BTreeSet<i32>,
}

fn pids_sharing_ipc() -> LivePids {
    let mine = fs::read_link("/proc/self/ns/ipc").ok();
    let mut out = LivePids::default();
    let Ok(rd) = fs::read_dir("/proc") else { return out };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        out.here.insert(pid);
        let theirs = fs::read_link(format!("/proc/{pid}/ns/ipc")).ok();
        if theirs.is_some() && theirs != mine {
            continue;
        }
        let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else { continue };
        let nspids: Vec<i32> = status
            .lines()
            .find_map(|l| l.strip_prefix("NSpid:"))
            .map(|l| l.split_whitespace().filter_map(|p| p.parse().ok()).collect())
            .unwrap_or_default();
        if nspids.len() > 1 {
            out.elsewhere.insert(nspids[nspids.len() - 1]);
        }
    }
    out
}

/// The creator (by the pid in its name) is gone: no process of this IPC namespace is known
/// by that pid, or the one that is started after the object was made (the pid was reused).
fn creator_gone(o: &leaks::Object, alive: &LivePids) -> bool {
    let Some(pid) = o.pid.filter(|p| *p > 0) else { return false };
    if alive.elsewhere.contains(&pid) {
        return false;
    }
    if !alive.here.contains(&pid) {
        return true;
    }
    match started_at(pid as u32) {
        None => false,
        Some(t) => o.ctime.is_some_and(|c| t > c + 1.0),
    }
}

/// Every path any process has open (/proc/*/fd) or mapped (/proc/*/maps).
fn open_anywhere() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(rd) = fs::read_dir("/proc") else { return out };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) {
            for f in fds.flatten() {
                if let Ok(t) = fs::read_link(f.path()) {
                    out.insert(t.to_string_lossy().trim_end_matches(" (deleted)").to_string());
                }
            }
        }
        if let Ok(maps) = fs::read_to_string(format!("/proc/{pid}/maps")) {
            for l in maps.lines() {
                if let Some(i) = l.find('/') {
                    out.insert(l[i..].trim_end_matches(" (deleted)").to_string());
                }
            }
        }
    }
    out
}

/// Remove POSIX IPC objects `ipcspec-*` whose creator is gone (or `also(pid)`: processes
/// this runner just killed) and which nobody has open; returns their names.
fn remove_orphaned_ipc(also: &dyn Fn(i32) -> bool) -> Vec<String> {
    let snap = leaks::snapshot(&leaks::Places::default());
    let alive = pids_sharing_ipc();
    let candidates: Vec<&leaks::Object> = snap
        .objects
        .values()
        .filter(|o| matches!(o.kind, "shm" | "sem" | "mq") && (creator_gone(o, &alive) || o.pid.is_some_and(also)))
        .collect();
    if candidates.is_empty() {
        return vec![];
    }
    let open = open_anywhere();
    let mut removed = Vec::new();
    for o in candidates {
        let bare = Path::new(&o.name).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let in_use = open.contains(&o.name) || open.iter().any(|p| p.ends_with(&format!("/{bare}")));
        if !in_use && leaks::remove(o) {
            removed.push(o.name.clone());
        }
    }
    removed
}

/// Temporary directories of runs whose runner is gone (`$TMPDIR/.ipcspec-run-*`: the tests'
/// scratch directories, the self-check's files), under the temporary directory the runner
/// was started with.
fn run_temp_dirs() -> Vec<String> {
    let removed = sweep_run_dirs_in(&base_tmp());
    note_of(&removed, |r| format!("removed temporary directories of runs that are gone: {}", r.join(", ")))
}

/// Remove the run directories under `base` whose owner is gone; returns them.
pub fn sweep_run_dirs_in(base: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(base) else { return vec![] };
    let mut removed = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(RUN_DIR_PREFIX) {
            continue;
        }
        // The owner: its file, or (a runner killed before it wrote it) the pid and start time
        // in the name, on this boot.
        let owner = Owner::parse(&fs::read_to_string(e.path().join("owner")).unwrap_or_default()).or_else(|| {
            let (pid, start) = name[RUN_DIR_PREFIX.len()..].split_once('-')?;
            Some(Owner { boot: journal::boot_id(), pid: pid.parse().ok()?, start: start.parse().ok()? })
        });
        // Not ours (no owner to be read), or an owner that is alive: left alone.
        if owner.is_none_or(|o| o.is_alive()) {
            continue;
        }
        if fs::remove_dir_all(e.path()).is_ok() {
            removed.push(e.path().display().to_string());
        }
    }
    removed.sort();
    removed
}

/// The temporary directory the runner was started with (before [`start`] gave its
/// children one of their own).
pub fn base_tmp() -> PathBuf {
    std::env::var_os(BASE_TMP_ENV).map(PathBuf::from).unwrap_or_else(std::env::temp_dir)
}

/// Where [`start`] keeps the temporary directory it was started with.
const BASE_TMP_ENV: &str = "IPCSPEC_BASE_TMPDIR";

/// Kernel downloads a killed runner left in the cache (`kernels/.fetch-<name>-<pid>`).
fn kernel_fetches() -> Vec<String> {
    let dir = crate::kernels::cache_dir(None).join("kernels");
    let Ok(rd) = fs::read_dir(&dir) else { return vec![] };
    let mut removed = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(".fetch-").and_then(|r| r.rsplit('-').next()).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if journal::process_start(pid).is_none() && fs::remove_dir_all(e.path()).is_ok() {
            removed.push(e.path().display().to_string());
        }
    }
    note_of(&removed, |r| format!("removed unfinished kernel downloads: {}", r.join(", ")))
}

/// A run of a command that runs tests: its label, its temporary directory. [`finish`] runs
/// when it drops.
pub struct Run {
    label: String,
    tmp: Option<PathBuf>,
    finished: bool,
}

impl Run {
    /// The run's temporary directory (`TMPDIR` of everything it starts).
    pub fn tmp(&self) -> Option<&Path> {
        self.tmp.as_deref()
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

/// The start of a command that runs tests: label this run's processes and give them a
/// temporary directory of their own, make SIGINT/SIGTERM/SIGHUP clean up before the runner
/// exits, and reap what runners that are gone left (what was done on stderr).
///
/// Call first thing, while the process has one thread: it sets environment variables.
pub fn start() -> Run {
    let me = Owner::me();
    let label = me.label();
    let base = std::env::temp_dir();
    let dir = base.join(format!("{RUN_DIR_PREFIX}{}-{}", me.pid, me.start));
    let tmp = fs::create_dir_all(&dir)
        .and_then(|()| fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o1777)))
        .and_then(|()| fs::write(dir.join("owner"), &label))
        .map(|()| dir.clone())
        .map_err(|e| eprintln!("ipcspec: note: no temporary directory of its own for this run ({}: {e})", dir.display()))
        .ok();
    // SAFETY: called at the start of the command, before any thread is started (the
    // contract of this function); nothing reads the environment concurrently.
    unsafe {
        std::env::set_var(ipcspec_protocol::env::RUNNER, &label);
        if let Some(t) = &tmp {
            std::env::set_var(BASE_TMP_ENV, &base);
            std::env::set_var("TMPDIR", t);
        }
    }
    let (l, t) = (label.clone(), tmp.clone());
    crate::container::cleanup::on_interrupt(move || finish_run(&l, t.as_deref()));
    for n in reap() {
        eprintln!("ipcspec: {n}");
    }
    Run { label, tmp, finished: false }
}

/// The end of a run (also on SIGINT/SIGTERM/SIGHUP): kill what this run started and left
/// running, restore the journal, remove the IPC objects of the killed processes and the
/// run's temporary directory. Returns what it did.
pub fn finish(run: &mut Run) -> Vec<String> {
    if run.finished {
        return vec![];
    }
    run.finished = true;
    finish_run(&run.label, run.tmp.as_deref())
}

fn finish_run(label: &str, tmp: Option<&Path>) -> Vec<String> {
    let mut notes = Vec::new();
    let killed = kill_labelled(|l| l == label);
    if !killed.is_empty() {
        notes.push(format!("killed {} processes this run left running (pids {})", killed.len(), list(&killed)));
    }
    notes.extend(journal::restore().lines());
    let killed_i32: Vec<i32> = killed.iter().map(|&p| p as i32).collect();
    let removed = remove_orphaned_ipc(&|p| killed_i32.contains(&p));
    if !removed.is_empty() {
        notes.push(format!("removed {} IPC objects left by this run: {}", removed.len(), removed.join(", ")));
    }
    if let Some(t) = tmp {
        let _ = fs::remove_dir_all(t);
    }
    notes
}

impl Drop for Run {
    fn drop(&mut self) {
        for n in finish(self) {
            eprintln!("ipcspec: {n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sweeper_has_a_name_and_runs() {
        let names: Vec<&str> = SWEEPERS.iter().map(|s| s.name).collect();
        assert_eq!(names[0], "processes", "processes go first");
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{names:?}");
    }

    #[test]
    fn labelled_processes_are_found_and_the_gone_owners_ones_killed() {
        // A child labelled with a runner that is gone (a reaped pid).
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let dead = Owner { boot: journal::boot_id(), pid: gone.id(), start: 1 };
        gone.wait().unwrap();
        let mut alive = std::process::Command::new("sleep").arg("30").env(ipcspec_protocol::env::RUNNER, my_label()).spawn().unwrap();
        // Every `ipcspec` the other tests run sweeps at its start and kills such an orphan
        // too: where one got there first (the orphan died by SIGKILL, and not in this sweep),
        // the scenario is set up again, so that this sweep is the one seen to work.
        for attempt in 1.. {
            let mut orphan = std::process::Command::new("sleep").arg("30").env(ipcspec_protocol::env::RUNNER, dead.label()).spawn().unwrap();
            let found = labelled_processes().iter().any(|(p, l)| *p == orphan.id() && *l == dead.label());
            let notes = processes();
            let killed_here = notes.iter().any(|n| n.contains(&orphan.id().to_string()));
            let st = orphan.wait().unwrap();
            assert_eq!(std::os::unix::process::ExitStatusExt::signal(&st), Some(libc::SIGKILL), "the orphan was not killed: {notes:?}");
            if found && killed_here {
                break;
            }
            assert!(attempt < 20, "another sweep killed the orphan first {attempt} times in a row: {notes:?}");
        }
        assert_eq!(alive.try_wait().unwrap(), None, "a process of a live runner is left alone");
        let _ = alive.kill();
        let _ = alive.wait();
    }

    #[test]
    fn a_temporary_directory_of_a_gone_run_is_removed_and_a_live_ones_kept() {
        let base = std::env::temp_dir().join(format!("ipcspec-leftovers-test-{}", std::process::id()));
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let dead = Owner { boot: journal::boot_id(), pid: gone.id(), start: 1 };
        gone.wait().unwrap();
        let (d1, d2) = (base.join(format!("{RUN_DIR_PREFIX}1-1")), base.join(format!("{RUN_DIR_PREFIX}2-2")));
        for (d, o) in [(&d1, dead.label()), (&d2, my_label())] {
            fs::create_dir_all(d.join("ipcspec-scratch")).unwrap();
            fs::write(d.join("owner"), o).unwrap();
        }
        // Killed before it wrote its owner file: the name says who it was.
        let me = Owner::me();
        let d3 = base.join(format!("{RUN_DIR_PREFIX}{}-1", dead.pid));
        let d4 = base.join(format!("{RUN_DIR_PREFIX}{}-{}", me.pid, me.start));
        let d5 = base.join(format!("{RUN_DIR_PREFIX}not-ours"));
        for d in [&d3, &d4, &d5] {
            fs::create_dir_all(d).unwrap();
        }
        assert_eq!(fs::read_dir(&base).unwrap().count(), 5);
        let removed = sweep_run_dirs_in(&base);
        assert_eq!(removed, vec![d1.display().to_string(), d3.display().to_string()]);
        assert!(!d1.exists() && d2.exists() && !d3.exists() && d4.exists() && d5.exists());
        fs::remove_dir_all(&base).unwrap();
    }
}
