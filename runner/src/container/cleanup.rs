//! Nothing left behind: who owns a container (the label [`Owner`]: boot id, pid and start
//! time of the runner), which containers are stale ([`is_stale`]: their runner is gone),
//! removing them ([`sweep`]), and SIGINT/SIGTERM/SIGHUP removing this run's containers
//! before the runner exits ([`install_interrupt_cleanup`]; [`stop_here_if_interrupted`]
//! and [`ClientGuard`] are how a running container target takes part).

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::time::Duration;

use crate::container::cli::{LABEL_OWNER, LABEL_ROLE, ROLE_RUN, docker};

/// The runner that owns a container: a label value `<boot id>:<pid>:<start time in ticks>`,
/// the owner of the journal's entries (protocol/src/journal.rs).
pub use ipcspec_protocol::journal::{Owner, boot_id, process_start};

/// Whether a container labelled `owner` may be removed by a runner on boot `my_boot`: its
/// owner is gone (no process with that pid and start time on this boot). A container of
/// another boot (a daemon shared with another machine, or a reboot) is removed only once it
/// is not running; one without a readable owner is left alone. Pure (`alive` gives a pid's
/// start time).
pub fn is_stale(owner: &str, running: bool, my_boot: &str, alive: impl Fn(u32) -> Option<u64>) -> bool {
    let Some(o) = Owner::parse(owner) else { return false };
    if o.boot != my_boot {
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

/// Set when SIGINT/SIGTERM/SIGHUP arrived: a container target stops where it is (it must not
/// report a removed container as a result) and waits for the process to exit.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Container clients (`docker run`, `runsc run`) started and not yet reaped.
static CLIENTS: AtomicUsize = AtomicUsize::new(0);

/// Never return: the signal thread is removing the containers and will end the process.
pub fn stop_here_if_interrupted() {
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

/// What an interrupt must undo, registered by the container targets ([`on_interrupt`]):
/// each returns notes for the terminal.
type Action = Box<dyn Fn() -> Vec<String> + Send + Sync>;
static ACTIONS: std::sync::Mutex<Vec<Action>> = std::sync::Mutex::new(Vec::new());

/// Run `action` when SIGINT, SIGTERM or SIGHUP arrives (before the runner exits), and make
/// sure the handler is installed. Docker targets remove their containers
/// ([`install_interrupt_cleanup`]); OCI runtimes started by the runner delete their
/// sandboxes (runner/src/container/oci_run.rs).
pub fn on_interrupt(action: impl Fn() -> Vec<String> + Send + Sync + 'static) {
    ACTIONS.lock().unwrap_or_else(|e| e.into_inner()).push(Box::new(action));
    install_handler();
}

fn run_actions() {
    let actions = ACTIONS.lock().unwrap_or_else(|e| e.into_inner());
    for a in actions.iter() {
        for n in a() {
            eprintln!("ipcspec: {n}");
        }
    }
}

/// Handle SIGINT, SIGTERM and SIGHUP: remove this run's docker containers (and run every
/// other registered action), then exit with 128 + the signal (no report is written for an
/// interrupted run, as before).
pub fn install_interrupt_cleanup(owner: String) {
    on_interrupt(move || sweep(Some(&owner)));
}

/// The handler, on a thread of its own: stop the container targets where they are, run the
/// registered actions, then exit with 128 + the signal.
///
/// A handler that writes to a pipe, not a blocked mask and sigwait: a blocked mask is
/// inherited by every process the runner starts (std's Command does not reset it), so
/// cargo, nextest and the tests would run with SIGTERM blocked — and the kernel never drops
/// a blocked signal, which changed what a test of init's signal rules saw. A handled signal
/// is reset to its default by execve(2), so children start as they would without us.
fn install_handler() {
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
            run_actions();
            // A client that was in flight may create its container just after: once more.
            if CLIENTS.load(Ordering::SeqCst) > 0 {
                std::thread::sleep(Duration::from_millis(700));
                run_actions();
            }
            std::process::exit(128 + sig);
        });
    });
}

/// A container client (`docker run`, `runsc run`) that is alive: counted from before it
/// exists until it is reaped, so that an interrupt waits for one in flight and removes its
/// container too.
pub struct ClientGuard(());

impl ClientGuard {
    pub fn new() -> ClientGuard {
        CLIENTS.fetch_add(1, Ordering::SeqCst);
        ClientGuard(())
    }
}

impl Default for ClientGuard {
    fn default() -> Self {
        ClientGuard::new()
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        CLIENTS.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_and_staleness() {
        let me = Owner { boot: "0b1d-77".into(), pid: 4242, start: 99 };
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
        assert_eq!(ipcspec_protocol::journal::stat_start_time(stat), Some(123456));
        assert_eq!(ipcspec_protocol::journal::stat_start_time("garbage"), None);
        assert!(process_start(std::process::id()).is_some());
        assert_eq!(Owner::parse(&Owner::me().label()).map(|o| o.pid), Some(std::process::id()));
    }

    #[test]
    fn ps_listing() {
        let ps = "abc\trunning\tb:1:2\ndef\texited\t\n\n";
        assert_eq!(parse_ps(ps), vec![("abc".into(), true, "b:1:2".into()), ("def".into(), false, String::new())]);
    }
}
