//! The journal of changes to global state: written by the harness *before* a test changes
//! something outside its own processes (a /proc/sys value), read by whoever restores it — the
//! test's own guard when it ends, the next test that changes global state, nextest's setup
//! script (`ipcspec-restore`, this crate's binary), and the runner (at its start, after every
//! target, at its end, and `ipcspec restore`). A killed test never runs its guard's `Drop`;
//! its entry stays, and its owner is gone, so the next restorer puts the value back.
//!
//! Defined once, here, because both sides use it: the format of an entry, where entries are
//! ([`dir`], [`dirs`]), how an entry's owner is known to be gone ([`Owner`]), and the restore
//! itself ([`restore`]). Only the standard library: the setup script builds this crate alone.
//!
//! An entry is a small text file `<nanoseconds>-<pid>-<n>.entry` in the journal directory:
//!
//! ```text
//! ipcspec-journal 1
//! kind sysctl
//! path /proc/sys/fs/pipe-max-size
//! saved 1048576
//! ns -
//! owner <boot id>:<pid>:<start time in ticks>
//! what pipes::global_pipe_max_size::cap_sys_resource_may_exceed_pipe_max_size
//! ```
//!
//! `ns` is `<kind>:<inode>` for a value that belongs to a namespace (`ipc` for fs/mqueue and
//! the System V limits, `net` for net/*, ...): it is restored only from that namespace.
//! Values are escaped (`\\`, `\n`, `\t`, `\r`). An entry is written to a temporary file,
//! fsync'ed and renamed into place, and the directory fsync'ed, before the change is made.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The journal of root: a tmpfs, so that a reboot (which resets every value) empties it too.
pub const DIR_ROOT: &str = "/run/ipcspec/journal";
/// Under `$XDG_RUNTIME_DIR`: the journal of another user.
pub const DIR_RUNTIME_SUBDIR: &str = "ipcspec/journal";
/// The last resort, followed by the uid: where /run cannot be written (a read-only root).
pub const DIR_FALLBACK_PREFIX: &str = "/tmp/.ipcspec-journal-";
/// The first line of every entry.
pub const HEADER: &str = "ipcspec-journal 1";
/// The name of an entry ends so.
pub const ENTRY_SUFFIX: &str = ".entry";
/// A temporary file being written starts so (`.tmp-<pid>-<start>-<n>`).
pub const TMP_PREFIX: &str = ".tmp-";
/// The only kind there is: `saved` is written back to the file `path`.
pub const KIND_SYSCTL: &str = "sysctl";

fn euid() -> u32 {
    // The owner of /proc/self is the effective uid, without libc.
    fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(u32::MAX)
}

/// Where this process writes its entries: `$IPCSPEC_JOURNAL_DIR` if set, else
/// [`DIR_ROOT`] for root, else `$XDG_RUNTIME_DIR/ipcspec/journal`, else
/// `/tmp/.ipcspec-journal-<uid>`.
pub fn dir() -> PathBuf {
    dirs()[0].clone()
}

/// Every place an entry of this user may be, the one written first: what a restorer reads.
pub fn dirs() -> Vec<PathBuf> {
    let uid = euid();
    let mut out: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os(crate::env::JOURNAL_DIR).filter(|d| !d.is_empty()) {
        out.push(PathBuf::from(d));
    }
    if uid == 0 {
        out.push(PathBuf::from(DIR_ROOT));
    }
    if let Some(x) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        out.push(Path::new(&x).join(DIR_RUNTIME_SUBDIR));
    }
    out.push(PathBuf::from(format!("{DIR_FALLBACK_PREFIX}{uid}")));
    let mut seen = Vec::new();
    out.retain(|d| {
        let new = !seen.contains(d);
        seen.push(d.clone());
        new
    });
    out
}

/// A directory this user may trust: owned by it, not writable by group or others.
fn trusted(dir: &Path) -> bool {
    match fs::symlink_metadata(dir) {
        Ok(m) => m.is_dir() && m.uid() == euid() && m.mode() & 0o022 == 0,
        Err(_) => false,
    }
}

/// Create `dir` (mode 0700) if needed and check it can be trusted.
fn prepare(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        fs::create_dir_all(dir)?;
        fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    }
    if trusted(dir) {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::PermissionDenied, format!("{} is not a directory of uid {} alone", dir.display(), euid())))
    }
}

/// The boot id (/proc/sys/kernel/random/boot_id).
pub fn boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_string()).unwrap_or_else(|_| "unknown-boot".into())
}

/// A process's start time (clock ticks after boot, field 22 of /proc/<pid>/stat).
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_start_time(&stat)
}

/// Field 22 of a /proc/<pid>/stat line (comm may hold spaces and parentheses). Pure.
pub fn stat_start_time(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Who made an entry: `<boot id>:<pid>:<start time>`. The runner's container cleanup labels
/// its containers with the same type. Gone once no process with that pid and start time exists on this boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub boot: String,
    pub pid: u32,
    pub start: u64,
}

impl Owner {
    /// This process.
    pub fn me() -> Owner {
        let pid = std::process::id();
        Owner { boot: boot_id(), pid, start: process_start(pid).unwrap_or(0) }
    }

    pub fn label(&self) -> String {
        format!("{}:{}:{}", self.boot, self.pid, self.start)
    }

    pub fn parse(s: &str) -> Option<Owner> {
        let mut p = s.trim().rsplitn(3, ':');
        let start = p.next()?.parse().ok()?;
        let pid = p.next()?.parse().ok()?;
        let boot = p.next()?.to_string();
        (!boot.is_empty()).then_some(Owner { boot, pid, start })
    }

    /// The process is still there (same boot, same pid with the same start time).
    pub fn is_alive(&self) -> bool {
        self.boot == boot_id() && process_start(self.pid) == Some(self.start)
    }
}

/// The namespace a /proc/sys value belongs to (`ipc`, `net`, `uts`, `user`, `pid`), or None
/// for a value of the whole machine (fs/pipe-max-size).
pub fn namespace_of(path: &Path) -> Option<&'static str> {
    let rel = path.strip_prefix("/proc/sys").ok()?.to_str()?;
    let ipc = [
        "kernel/msgmax",
        "kernel/msgmnb",
        "kernel/msgmni",
        "kernel/msg_next_id",
        "kernel/sem",
        "kernel/sem_next_id",
        "kernel/shmmax",
        "kernel/shmall",
        "kernel/shmmni",
        "kernel/shm_rmid_forced",
        "kernel/shm_next_id",
        "kernel/auto_msgmni",
    ];
    if rel.starts_with("fs/mqueue/") || ipc.contains(&rel) {
        Some("ipc")
    } else if rel.starts_with("net/") {
        Some("net")
    } else if rel == "kernel/hostname" || rel == "kernel/domainname" {
        Some("uts")
    } else if rel.starts_with("user/") {
        Some("user")
    } else if rel == "kernel/ns_last_pid" || rel == "vm/memfd_noexec" {
        Some("pid")
    } else {
        None
    }
}

/// The inode of this process's namespace of `kind` (/proc/self/ns/<kind>).
pub fn ns_inode(kind: &str) -> Option<u64> {
    fs::metadata(format!("/proc/self/ns/{kind}")).ok().map(|m| m.ino())
}

/// `ns` of an entry for `path`, as this process sees it: `-`, or `<kind>:<inode>`.
fn ns_field(path: &Path) -> String {
    match namespace_of(path) {
        None => "-".into(),
        Some(k) => format!("{k}:{}", ns_inode(k).unwrap_or(0)),
    }
}

/// `\\`, `\n`, `\t`, `\r` as escapes, so that a value is one line.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            c => o.push(c),
        }
    }
    o
}

/// The inverse of [`escape`]; None for a dangling or unknown escape.
pub fn unescape(s: &str) -> Option<String> {
    let mut o = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            o.push(c);
            continue;
        }
        o.push(match it.next()? {
            '\\' => '\\',
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(o)
}

/// One entry: `saved` is to be written back to `path` once `owner` is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: String,
    pub path: PathBuf,
    pub saved: String,
    /// `-` or `<kind>:<inode>`.
    pub ns: String,
    pub owner: Owner,
    /// The test (or program) that made the change, for people.
    pub what: String,
}

impl Entry {
    pub fn render(&self) -> String {
        format!(
            "{HEADER}\nkind {}\npath {}\nsaved {}\nns {}\nowner {}\nwhat {}\n",
            self.kind,
            escape(&self.path.to_string_lossy()),
            escape(&self.saved),
            self.ns,
            self.owner.label(),
            escape(&self.what)
        )
    }

    /// Parse an entry's text; Err says what is wrong.
    pub fn parse(text: &str) -> Result<Entry, String> {
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(format!("not an ipcspec journal entry (first line is not {HEADER:?})"));
        }
        let mut field = |name: &str| -> Result<String, String> {
            let l = lines.next().ok_or_else(|| format!("no {name} line"))?;
            let v = l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')).ok_or_else(|| format!("expected {name}, got {l:?}"))?;
            unescape(v).ok_or_else(|| format!("bad escape in {name}"))
        };
        let kind = field("kind")?;
        let path = PathBuf::from(field("path")?);
        let saved = field("saved")?;
        let ns = field("ns")?;
        let owner = field("owner")?;
        let owner = Owner::parse(&owner).ok_or_else(|| format!("bad owner {owner:?}"))?;
        let what = field("what")?;
        if !path.is_absolute() {
            return Err(format!("path {} is not absolute", path.display()));
        }
        Ok(Entry { kind, path, saved, ns, owner, what })
    }
}

/// An entry on disk; the guard that made it removes it after its restore ([`Recorded::remove`]).
#[derive(Debug)]
pub struct Recorded {
    pub file: PathBuf,
}

impl Recorded {
    /// Remove the entry (the change was undone).
    pub fn remove(self) -> io::Result<()> {
        fs::remove_file(&self.file)?;
        sync_dir(self.file.parent().unwrap_or(Path::new("/")));
        Ok(())
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Record durably, in [`dir`] (or, when it cannot be made, the next of [`dirs`]), that
/// `path` held `saved` before this process changes it. Call *before* the change.
pub fn record(path: &Path, saved: &str, what: &str) -> io::Result<Recorded> {
    record_in(&dirs(), path, saved, what)
}

/// [`record`] in the first of `dirs` that can be written.
pub fn record_in(dirs: &[PathBuf], path: &Path, saved: &str, what: &str) -> io::Result<Recorded> {
    let entry = Entry {
        kind: KIND_SYSCTL.into(),
        path: path.to_path_buf(),
        saved: saved.to_string(),
        ns: ns_field(path),
        owner: Owner::me(),
        what: what.to_string(),
    };
    let mut last = None;
    for d in dirs {
        match write_entry(d, &entry) {
            Ok(r) => return Ok(r),
            Err(e) => last = Some(io::Error::new(e.kind(), format!("{}: {e}", d.display()))),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no journal directory")))
}

fn write_entry(dir: &Path, entry: &Entry) -> io::Result<Recorded> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    prepare(dir)?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let o = &entry.owner;
    let tmp = dir.join(format!("{TMP_PREFIX}{}-{}-{n}", o.pid, o.start));
    let file = dir.join(format!("{nanos:020}-{}-{n:06}{ENTRY_SUFFIX}", o.pid));
    let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    let written = f.write_all(entry.render().as_bytes()).and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, &file)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir);
    Ok(Recorded { file })
}

/// Every entry in `dir`, oldest first, with its file; unreadable entries as Err(file, why).
pub fn entries(dir: &Path) -> Vec<Result<(PathBuf, Entry), (PathBuf, String)>> {
    let Ok(rd) = fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(ENTRY_SUFFIX)))
        .collect();
    files.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    files
        .into_iter()
        .map(|p| match fs::read_to_string(&p) {
            Ok(t) => Entry::parse(&t).map(|e| (p.clone(), e)).map_err(|why| (p, why)),
            Err(e) => Err((p, e.to_string())),
        })
        .collect()
}

/// Every readable entry of every trusted directory of `dirs`, oldest first.
pub fn all_entries(dirs: &[PathBuf]) -> Vec<(PathBuf, Entry)> {
    let mut all: Vec<(PathBuf, Entry)> = dirs.iter().filter(|d| trusted(d)).flat_map(|d| entries(d)).filter_map(Result::ok).collect();
    all.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
    all
}

/// The value `path` had before any change still journalled in `dirs` (the oldest entry's).
pub fn original_value(dirs: &[PathBuf], path: &Path) -> Option<String> {
    all_entries(dirs).into_iter().find(|(_, e)| e.path == path).map(|(_, e)| e.saved)
}

/// A live process other than this one has an entry for `path` in `dirs`: it is changing it.
pub fn changed_by_another(dirs: &[PathBuf], path: &Path) -> bool {
    let me = Owner::me();
    all_entries(dirs).iter().any(|(_, e)| e.path == path && e.owner != me && e.owner.is_alive())
}

/// What a restore did: one line per entry, for people.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Values written back (`<path>: <now> -> <saved> (left by <what>)`).
    pub restored: Vec<String>,
    /// Entries whose value was already back, removed.
    pub cleared: Vec<String>,
    /// Entries removed without writing: another boot (a reboot reset the value) or another
    /// namespace (gone with its processes).
    pub dropped: Vec<String>,
    /// Entries of processes that are alive (their guard restores them), kept.
    pub kept: Vec<String>,
    /// What failed (the entry is kept, so that a later restore tries again).
    pub errors: Vec<String>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.restored.is_empty() && self.cleared.is_empty() && self.dropped.is_empty() && self.errors.is_empty()
    }

    /// Every line worth telling a person (kept entries are not news).
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.restored.iter().map(|l| format!("restored {l}")).collect();
        out.extend(self.cleared.iter().map(|l| format!("journal entry cleared (value already back): {l}")));
        out.extend(self.dropped.iter().map(|l| format!("journal entry dropped: {l}")));
        out.extend(self.errors.iter().map(|l| format!("could not restore: {l}")));
        out
    }
}

fn normalise(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Put back what the journal says for every entry whose owner is gone, newest first, and
/// remove those entries. An entry of a live process is kept, and so is every older entry of
/// the same path (restoring it under the live process would undo that one's change; it
/// comes back once that process is gone). Temporary files of processes that are gone are
/// removed.
pub fn restore() -> Report {
    restore_in(&dirs())
}

/// [`restore`] from the entries in `dirs`.
pub fn restore_in(dirs: &[PathBuf]) -> Report {
    let mut r = Report::default();
    let boot = boot_id();
    let mut live_paths: Vec<PathBuf> = Vec::new();
    let mut all: Vec<(PathBuf, Entry)> = Vec::new();
    for d in dirs {
        if !trusted(d) {
            continue;
        }
        remove_stale_tmp(d);
        for e in entries(d) {
            match e {
                Ok(x) => all.push(x),
                Err((p, why)) => r.errors.push(format!("{}: {why} (left in place)", p.display())),
            }
        }
    }
    all.sort_by(|a, b| b.0.file_name().cmp(&a.0.file_name()));
    for (file, e) in all {
        let what = format!("{} (left by {}, pid {})", e.path.display(), e.what, e.owner.pid);
        if e.owner.is_alive() {
            live_paths.push(e.path.clone());
            r.kept.push(what);
            continue;
        }
        if live_paths.contains(&e.path) {
            r.kept.push(format!("{what}: waits for the live process that changed it since"));
            continue;
        }
        if e.owner.boot != boot {
            remove_entry(&file);
            r.dropped.push(format!("{what}: made before a reboot, which reset the value"));
            continue;
        }
        if e.kind != KIND_SYSCTL {
            r.errors.push(format!("{}: unknown kind {:?} (left in place)", file.display(), e.kind));
            continue;
        }
        if e.ns != "-" && e.ns != ns_field(&e.path) {
            remove_entry(&file);
            r.dropped.push(format!(
                "{what}: changed in another {} namespace ({}), which went with its processes",
                e.ns.split(':').next().unwrap_or("?"),
                e.ns
            ));
            continue;
        }
        let now = match fs::read_to_string(&e.path) {
            Ok(v) => v.trim().to_string(),
            Err(err) => {
                r.errors.push(format!("{what}: reading it: {err}"));
                continue;
            }
        };
        if normalise(&now) == normalise(&e.saved) {
            remove_entry(&file);
            r.cleared.push(what);
            continue;
        }
        match fs::write(&e.path, &e.saved) {
            Ok(()) => {
                remove_entry(&file);
                r.restored.push(format!(
                    "{}: {} -> {} (left by {}, pid {})",
                    e.path.display(),
                    escape(&now),
                    escape(&e.saved),
                    e.what,
                    e.owner.pid
                ));
            }
            Err(err) => r.errors.push(format!("{what}: writing {:?}: {err}", e.saved)),
        }
    }
    r
}

fn remove_entry(file: &Path) {
    if fs::remove_file(file).is_ok() {
        sync_dir(file.parent().unwrap_or(Path::new("/")));
    }
}

/// `.tmp-<pid>-<start>-<n>` files whose writer is gone (killed between create and rename).
fn remove_stale_tmp(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let boot = boot_id();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TMP_PREFIX) else { continue };
        let mut f = rest.split('-');
        let (Some(pid), Some(start)) = (f.next().and_then(|p| p.parse().ok()), f.next().and_then(|s| s.parse().ok())) else { continue };
        if !(Owner { boot: boot.clone(), pid, start }).is_alive() {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let e = Entry {
            kind: KIND_SYSCTL.into(),
            path: "/proc/sys/kernel/sem".into(),
            saved: "32000\t1024000000\t500\t32000".into(),
            ns: "ipc:4026531839".into(),
            owner: Owner { boot: "b00t-1d".into(), pid: 42, start: 7 },
            what: "a::b\\c\nd".into(),
        };
        assert_eq!(Entry::parse(&e.render()), Ok(e.clone()));
        assert!(e.render().lines().count() == 7, "{}", e.render());
        assert!(Entry::parse("garbage").is_err());
        assert!(Entry::parse(&e.render().replace("owner b00t-1d:42:7", "owner x")).is_err());
        assert!(Entry::parse(&e.render().replace("path /proc", "path proc")).is_err());
        assert_eq!(unescape("a\\q"), None);
        assert_eq!(unescape("a\\"), None);
    }

    #[test]
    fn namespaces_of_values() {
        assert_eq!(namespace_of(Path::new("/proc/sys/fs/pipe-max-size")), None);
        assert_eq!(namespace_of(Path::new("/proc/sys/fs/mqueue/msg_max")), Some("ipc"));
        assert_eq!(namespace_of(Path::new("/proc/sys/kernel/sem")), Some("ipc"));
        assert_eq!(namespace_of(Path::new("/proc/sys/net/core/somaxconn")), Some("net"));
        assert_eq!(namespace_of(Path::new("/tmp/x")), None);
    }

    #[test]
    fn owners() {
        let me = Owner::me();
        assert!(me.is_alive());
        assert_eq!(Owner::parse(&me.label()), Some(me.clone()));
        assert!(!Owner { start: me.start + 1, ..me.clone() }.is_alive());
        assert!(!Owner { boot: "another".into(), ..me }.is_alive());
        assert_eq!(Owner::parse("nonsense"), None);
    }

    /// A pid that no longer exists (a child that was reaped).
    fn dead_owner() -> Owner {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        Owner { boot: boot_id(), pid, start: 0 }
    }

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(".ipcspec-journal-test-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    /// A scratch directory with a journal directory in it that can be trusted.
    fn scratch_journal(tag: &str) -> (PathBuf, PathBuf) {
        let d = scratch(tag);
        let jdir = d.join("journal");
        prepare(&jdir).unwrap();
        (d, jdir)
    }

    fn plant(dir: &Path, n: u32, value: &Path, saved: &str, owner: Owner) {
        let e =
            Entry { kind: KIND_SYSCTL.into(), path: value.into(), saved: saved.into(), ns: "-".into(), owner, what: format!("test {n}") };
        fs::write(dir.join(format!("{n:020}-1-000000{ENTRY_SUFFIX}")), e.render()).unwrap();
    }

    #[test]
    fn a_restore_puts_back_what_dead_owners_changed_newest_first() {
        let d = scratch("order");
        let jdir = d.join("journal");
        let value = d.join("value");
        fs::write(&value, "changed twice\n").unwrap();
        // The first change saved "original", the second (nested) saved "changed once".
        let r = record_in(std::slice::from_ref(&jdir), &value, "original", "first").unwrap();
        assert_eq!(fs::metadata(&jdir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(entries(&jdir).len(), 1);
        r.remove().unwrap();
        assert!(entries(&jdir).is_empty());
        plant(&jdir, 1, &value, "original", dead_owner());
        plant(&jdir, 2, &value, "changed once", dead_owner());
        let report = restore_in(std::slice::from_ref(&jdir));
        assert_eq!(fs::read_to_string(&value).unwrap(), "original");
        assert_eq!(report.restored.len(), 2, "{report:?}");
        assert!(report.restored[0].contains("-> changed once") && report.restored[1].contains("-> original"), "{report:?}");
        assert!(entries(&jdir).is_empty(), "every entry removed");
        assert!(restore_in(std::slice::from_ref(&jdir)).is_empty());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn entries_of_live_processes_are_kept_and_so_are_older_ones_of_the_same_value() {
        let (d, jdir) = scratch_journal("live");
        let (a, b) = (d.join("a"), d.join("b"));
        fs::write(&a, "a-now").unwrap();
        fs::write(&b, "b-now").unwrap();
        plant(&jdir, 1, &a, "a-before-dead", dead_owner());
        plant(&jdir, 2, &a, "a-before-live", Owner::me());
        plant(&jdir, 3, &b, "b-before", dead_owner());
        let report = restore_in(std::slice::from_ref(&jdir));
        assert_eq!(fs::read_to_string(&a).unwrap(), "a-now", "nothing restored under a live process");
        assert_eq!(fs::read_to_string(&b).unwrap(), "b-before");
        assert_eq!((report.kept.len(), report.restored.len()), (2, 1), "{report:?}");
        assert_eq!(entries(&jdir).len(), 2);
        assert_eq!(original_value(std::slice::from_ref(&jdir), &a).as_deref(), Some("a-before-dead"));
        assert!(!changed_by_another(std::slice::from_ref(&jdir), &a), "the live entry is this process's own");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn entries_of_another_boot_or_namespace_are_dropped_and_untrusted_dirs_ignored() {
        let (d, jdir) = scratch_journal("drop");
        let v = d.join("v");
        fs::write(&v, "now").unwrap();
        plant(&jdir, 1, &v, "before", Owner { boot: "another-boot".into(), ..dead_owner() });
        let mut e = Entry {
            kind: KIND_SYSCTL.into(),
            path: "/proc/sys/fs/mqueue/msg_max".into(),
            saved: "1".into(),
            ns: "ipc:1".into(),
            owner: dead_owner(),
            what: "t".into(),
        };
        fs::write(jdir.join(format!("{:020}-1-000000{ENTRY_SUFFIX}", 2)), e.render()).unwrap();
        let report = restore_in(std::slice::from_ref(&jdir));
        assert_eq!(report.dropped.len(), 2, "{report:?}");
        assert_eq!(fs::read_to_string(&v).unwrap(), "now");
        assert!(entries(&jdir).is_empty());
        // A directory others may write is never read.
        fs::set_permissions(&jdir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        e.path = v.clone();
        e.ns = "-".into();
        fs::write(jdir.join(format!("{:020}-1-000000{ENTRY_SUFFIX}", 3)), e.render()).unwrap();
        assert!(restore_in(std::slice::from_ref(&jdir)).is_empty());
        assert_eq!(fs::read_to_string(&v).unwrap(), "now");
        assert!(record_in(std::slice::from_ref(&jdir), &v, "x", "t").is_err(), "no entry in an untrusted directory");
        fs::remove_dir_all(&d).unwrap();
    }
}
