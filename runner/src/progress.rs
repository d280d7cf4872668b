//! Progress on stderr while a run builds and its targets run (indicatif).
//!
//! On a terminal: a line per running target (`[vm:6.1] running ####---- 1234/5270`), a
//! spinner while the suites build (crates compiled so far and the last one), messages
//! printed above them. In a log (CI, no terminal): a line per target every 15 s and one for
//! the build every 15 s, so the log shows the run moving without flooding it.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::frame::Record;

/// Shared by the threads that run targets.
pub struct Progress {
    multi: MultiProgress,
    state: Mutex<State>,
    tty: bool,
    quiet: bool,
}

#[derive(Default)]
struct State {
    bars: BTreeMap<String, ProgressBar>,
    build: Option<ProgressBar>,
    last_log: BTreeMap<String, Instant>,
}

/// How often a log (not a terminal) gets a line per target.
const LOG_EVERY: Duration = Duration::from_secs(15);

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let target = if tty && !quiet { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        Progress { multi: MultiProgress::with_draw_target(target), state: Mutex::new(State::default()), tty, quiet }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A message on its own line (above the bars).
    pub fn say(&self, msg: &str) {
        if self.quiet {
            return;
        }
        if self.tty {
            let _ = self.multi.println(msg);
        } else {
            eprintln!("{msg}");
        }
    }

    /// The build: `n` artifacts compiled so far, the last one `name`.
    pub fn build(&self, n: usize, name: &str) {
        if self.quiet {
            return;
        }
        let mut st = self.state();
        if self.tty {
            let bar = st.build.get_or_insert_with(|| {
                let b = self.multi.add(ProgressBar::new_spinner());
                b.set_style(ProgressStyle::with_template("  {spinner} building: {pos} crates compiled, {msg} ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_spinner()));
                b.enable_steady_tick(Duration::from_millis(200));
                b
            });
            bar.set_position(n as u64);
            bar.set_message(name.to_string());
        } else if Self::due(&mut st, "build") {
            eprintln!("  [build] {n} crates compiled, now {name}");
        }
    }

    /// The build is over: its spinner goes.
    pub fn build_done(&self) {
        if let Some(b) = self.state().build.take() {
            b.finish_and_clear();
            self.multi.remove(&b);
        }
    }

    /// A target's state: `phase` ("booting", "running"), `done` of `planned` runs.
    pub fn update(&self, target: &str, phase: &str, done: usize, planned: usize) {
        if self.quiet {
            return;
        }
        let mut st = self.state();
        if self.tty {
            let bar = st.bars.entry(target.to_string()).or_insert_with(|| {
                let b = self.multi.add(ProgressBar::new(planned as u64));
                b.set_style(
                    ProgressStyle::with_template("  [{prefix}] {msg:<18} {wide_bar} {pos}/{len} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("#>-"),
                );
                b.set_prefix(target.to_string());
                // Redrawn while nothing is reported (a VM booting): the time keeps moving.
                b.enable_steady_tick(Duration::from_millis(500));
                b
            });
            bar.set_length(planned as u64);
            bar.set_position(done as u64);
            bar.set_message(phase.to_string());
        } else if Self::due(&mut st, target) {
            eprintln!("  [{target}] {phase} {done}/{planned}");
        }
    }

    /// A target's line for a guest's result stream (every target that runs the guest
    /// executor counts the same way): `phase` ("booting", "starting") until the first
    /// record, then "running" with one more done per result. Feed it with
    /// [`StreamLine::record`].
    pub fn stream<'a>(&'a self, target: &'a str, phase: &str, planned: usize) -> StreamLine<'a> {
        self.update(target, phase, 0, planned);
        StreamLine { progress: self, target, planned, done: 0 }
    }

    /// The target is finished: its line goes.
    pub fn finish(&self, target: &str) {
        if let Some(b) = self.state().bars.remove(target) {
            b.finish_and_clear();
            self.multi.remove(&b);
        }
    }

    /// A log line for `key` is due (the first one, then every [`LOG_EVERY`]).
    fn due(st: &mut State, key: &str) -> bool {
        let due = st.last_log.get(key).is_none_or(|t| t.elapsed() >= LOG_EVERY);
        if due {
            st.last_log.insert(key.to_string(), Instant::now());
        }
        due
    }
}

/// A target's progress line fed from its guest's result stream ([`Progress::stream`]).
pub struct StreamLine<'a> {
    progress: &'a Progress,
    target: &'a str,
    planned: usize,
    done: usize,
}

impl StreamLine<'_> {
    /// One record of the stream: the hello starts "running", each result is one more done.
    pub fn record(&mut self, r: &Record) {
        match r {
            Record::Result { .. } => {
                self.done += 1;
                self.progress.update(self.target, "running", self.done, self.planned);
            }
            Record::Hello { .. } => self.progress.update(self.target, "running", self.done, self.planned),
            _ => {}
        }
    }

    /// The stream ended: the line goes.
    pub fn finish(self) {
        self.progress.finish(self.target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_without_a_terminal_never_panics() {
        let p = Progress::new(false);
        p.build(1, "fixtures");
        p.build_done();
        p.update("vm:6.1", "booting", 0, 10);
        p.update("vm:6.1", "running", 5, 10);
        p.say("a message");
        p.finish("vm:6.1");
        p.finish("never started");
        let q = Progress::new(true);
        q.update("host", "running", 1, 2);
        q.finish("host");
    }
}

