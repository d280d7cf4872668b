//! Global state around every target run, and `ipcspec restore`.
//!
//! The tests journal each change they make before they make it (fixtures/src/journal.rs);
//! after every target the runner restores whatever the journal says of tests that are gone
//! ([`TargetJournal::finish`]). A target on the host kernel runs code the runner cannot see
//! into — a privileged container writes the host's fs/pipe-max-size with its own journal
//! inside the container, gone with it; a test may write a value without the harness — so the
//! runner also journals, before such a target runs, every /proc/sys value the suites touch
//! ([`crate::leaks::SYSCTLS`]) as its own entries, and after it puts back any that differ.
//! Killed with SIGKILL, the runner leaves those entries to the next restore.

use std::fs;
use std::path::PathBuf;

use ipcspec_protocol::journal::{self, Recorded};

/// The runner's own journal entries for one target run.
pub struct TargetJournal {
    target: String,
    entries: Vec<(PathBuf, String, Recorded)>,
}

fn read(path: &std::path::Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|v| v.trim().to_string())
}

/// Before `target` runs: on the host kernel and as root, journal every /proc/sys value the
/// suites touch (the value before any change still journalled, else the current one).
pub fn before_target(target: &str, on_host_kernel: bool) -> TargetJournal {
    let mut j = TargetJournal { target: target.to_string(), entries: Vec::new() };
    if !on_host_kernel || !nix::unistd::geteuid().is_root() {
        return j;
    }
    let dirs = journal::dirs();
    for name in crate::leaks::SYSCTLS {
        let path = PathBuf::from(format!("/proc/sys/{name}"));
        let Some(now) = read(&path) else { continue };
        let saved = journal::original_value(&dirs, &path).unwrap_or(now);
        match journal::record(&path, &saved, &format!("ipcspec runner (target {target})")) {
            Ok(r) => j.entries.push((path, saved, r)),
            Err(e) => {
                eprintln!(
                    "ipcspec: note: cannot journal {} before {target} ({e}); it is checked after the run all the same",
                    path.display()
                );
                break;
            }
        }
    }
    j
}

impl TargetJournal {
    /// After the target: restore what tests that are gone left in the journal, then put back
    /// every value the runner journalled that differs now (unless a live process of another
    /// run is changing it), and remove the runner's entries. Returns what was done, for the
    /// column's diagnostics.
    pub fn finish(self) -> Vec<String> {
        let mut notes = journal::restore().lines();
        let dirs = journal::dirs();
        for (path, saved, rec) in self.entries {
            let now = read(&path);
            if now.as_deref().map(normalise) != Some(normalise(&saved)) && !journal::changed_by_another(&dirs, &path) {
                match fs::write(&path, &saved) {
                    Ok(()) => notes.push(format!(
                        "restored {}: {} -> {} (changed during {} and not put back by any test)",
                        path.display(),
                        now.unwrap_or_default(),
                        saved,
                        self.target
                    )),
                    Err(e) => {
                        notes.push(format!(
                            "could not restore {} to {saved} after {}: {e} (left in the journal)",
                            path.display(),
                            self.target
                        ));
                        continue;
                    }
                }
            }
            let _ = rec.remove();
        }
        notes
    }
}

fn normalise(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `ipcspec restore`: reap what runners and tests that are gone left (every sweeper of
/// [`crate::leftovers::SWEEPERS`]: processes, containers, sandboxes, the journal, IPC objects,
/// temporary directories). Prints what it did; exit status 0, or 1 when something could not
/// be restored.
pub fn command(quiet: bool) -> i32 {
    let notes = crate::leftovers::reap();
    let failed = notes.iter().any(|n| n.starts_with("could not restore"));
    if notes.is_empty() {
        if !quiet {
            println!("nothing to restore: no journal entry or leftover of a runner or test that is gone");
        }
    } else {
        for n in &notes {
            println!("{n}");
        }
    }
    let kept = journal::all_entries(&journal::dirs()).len();
    if kept > 0 && !quiet {
        println!("{kept} journal entries belong to processes still running (their guards restore them)");
    }
    if failed { 1 } else { 0 }
}
