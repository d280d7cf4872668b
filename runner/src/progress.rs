//! Progress on the terminal (stderr) while targets run: one status line redrawn in place on
//! a terminal, or a line every few seconds per target in a log (CI).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shared by the threads that run targets.
pub struct Progress {
    state: Mutex<State>,
    tty: bool,
    quiet: bool,
}

struct State {
    active: BTreeMap<String, (String, usize, usize)>, // target -> (phase, done, planned)
    last_log: BTreeMap<String, Instant>,
    drawn: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress {
            state: Mutex::new(State { active: BTreeMap::new(), last_log: BTreeMap::new(), drawn: false }),
            tty: std::io::stderr().is_terminal(),
            quiet,
        }
    }

    /// A message on its own line (keeps the status line below it).
    pub fn say(&self, msg: &str) {
        if self.quiet {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        if self.tty && st.drawn {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(err, "{msg}");
        st.drawn = false;
        if self.tty {
            Self::draw(&st, &mut err);
            st.drawn = !st.active.is_empty();
        }
    }

    /// A target's state: `phase` ("booting", "running"), `done` of `planned` runs.
    pub fn update(&self, target: &str, phase: &str, done: usize, planned: usize) {
        if self.quiet {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.active.insert(target.to_string(), (phase.to_string(), done, planned));
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K");
            Self::draw(&st, &mut err);
            st.drawn = true;
        } else {
            let due = st.last_log.get(target).is_none_or(|t| t.elapsed() >= Duration::from_secs(15));
            if due {
                let _ = writeln!(err, "  [{target}] {phase} {done}/{planned}");
                st.last_log.insert(target.to_string(), Instant::now());
            }
        }
    }

    /// The target is finished: drop it from the status line.
    pub fn finish(&self, target: &str) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.active.remove(target);
        if self.tty && !self.quiet {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            Self::draw(&st, &mut err);
            st.drawn = !st.active.is_empty();
        }
    }

    fn draw(st: &State, err: &mut impl Write) {
        let parts: Vec<String> = st
            .active
            .iter()
            .map(|(t, (phase, done, planned))| format!("[{t}] {phase} {done}/{planned}"))
            .collect();
        if !parts.is_empty() {
            let _ = write!(err, "  {}", parts.join("  "));
            let _ = err.flush();
        }
    }
}
