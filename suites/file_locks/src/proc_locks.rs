//! proc(5), "/proc/locks": one line per lock or lease, read for one file.

use std::os::fd::AsFd;

/// The identity /proc/locks uses for a file: "major:minor:inode" (proc(5)), with major and
/// minor in hexadecimal, two digits at least.
pub fn proc_locks_id(fd: impl AsFd) -> String {
    let st = nix::sys::stat::fstat(fd).expect("fstat");
    format!("{:02x}:{:02x}:{}", libc::major(st.st_dev), libc::minor(st.st_dev), st.st_ino)
}

/// One line of /proc/locks, split into its fields (proc(5), "/proc/locks").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcLock {
    /// The line starts "N: ->": a blocked request waiting for the lock above it.
    pub blocked: bool,
    /// FLOCK, POSIX, OFDLCK, LEASE, ...
    pub class: String,
    /// ADVISORY / MANDATORY (ACTIVE / BREAKING / BREAKER for leases).
    pub mode: String,
    /// READ / WRITE (UNLCK for a lease being broken to nothing).
    pub access: String,
    pub pid: i64,
    pub id: String,
    pub start: String,
    pub end: String,
}

/// The /proc/locks lines for the file `id` (see [`proc_locks_id`]). One read(2) returns at
/// most a page of the walk; when other processes hold more locks than fit in a page, the
/// next read resumes at a position that their changes may have shifted, so the record of
/// `id` can be skipped or repeated in one pass (seen in the VMs, where other test processes
/// run alongside). The lines are therefore taken from whole passes until two passes in a
/// row agree (bounded by the default deadline).
#[track_caller]
pub fn proc_locks_for(id: &str) -> Vec<ProcLock> {
    let deadline = std::time::Instant::now() + fixtures::scaled(fixtures::DEFAULT_DEADLINE);
    let mut last = proc_locks_pass(id);
    loop {
        let next = proc_locks_pass(id);
        if next == last {
            return next;
        }
        assert!(std::time::Instant::now() < deadline, "/proc/locks never gave the same lines for {id} twice in a row");
        last = next;
    }
}

fn proc_locks_pass(id: &str) -> Vec<ProcLock> {
    let text = fixtures::procfs::read_seq_file("/proc/locks");
    text.lines()
        .filter_map(|line| {
            let mut f: Vec<&str> = line.split_whitespace().collect();
            if f.is_empty() {
                return None;
            }
            f.remove(0); // "N:"
            let blocked = f.first() == Some(&"->");
            if blocked {
                f.remove(0);
            }
            if f.len() < 7 || f[4] != id {
                return None;
            }
            Some(ProcLock {
                blocked,
                class: f[0].to_string(),
                mode: f[1].to_string(),
                access: f[2].to_string(),
                pid: f[3].parse().unwrap_or(i64::MIN),
                id: f[4].to_string(),
                start: f[5].to_string(),
                end: f[6].to_string(),
            })
        })
        .collect()
}
