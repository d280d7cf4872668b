//! From how a test process ended (and what it printed) to an [`Outcome`].
//!
//! One rule set for every target: the guest executor applies it to the processes it runs,
//! and the host target applies it to nextest's JUnit records, so that the same test ending
//! the same way gets the same cell everywhere.
//!
//! - exit 0 with a line starting with the SKIP marker on stdout: SKIP(reason);
//! - exit 0 otherwise: PASS (but a libtest run that ran no test at all is a CRASH: the
//!   test the runner asked for does not exist in that binary);
//! - a non-zero exit: FAIL with the panic message (libtest exits 101 on a failed test);
//! - SIGABRT after the fixtures' "ipcspec: STUCK:" line: FAIL naming the stuck step (the
//!   fixtures abort on purpose when a call that should return does not);
//! - any other signal: CRASH naming the signal;
//! - killed by the deadline: TIMEOUT.

use crate::model::{Outcome, Variant};

pub use ipcspec_protocol::{LACKING_TAG, SKIP_MARKER, STUCK_MARKER, VARIANT_MARKER};

/// Longest message kept in a cell; the full output is in the logs.
pub const MAX_MESSAGE: usize = 1500;

/// How a test process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Killed by the runner after this many milliseconds.
    TimedOut(u64),
}

/// The outcome of a test process that ended with `exit` after printing `stdout`/`stderr`.
pub fn classify(exit: Exit, stdout: &str, stderr: &str) -> Outcome {
    match exit {
        Exit::TimedOut(ms) => {
            let mut message = format!("no result after {:.1} s; killed", ms as f64 / 1000.0);
            if let Some(s) = stuck_line(stderr) {
                message.push_str(&format!(" ({s})"));
            }
            Outcome::Timeout { message }
        }
        Exit::Code(0) => {
            if let Some(reason) = skip_reason(stdout) {
                Outcome::Skip { reason }
            } else if ran_no_test(stdout) {
                Outcome::Crash { reason: "the test binary ran no test of that name".into() }
            } else {
                Outcome::Pass
            }
        }
        Exit::Code(code) => {
            let message = panic_message(stderr)
                .or_else(|| panic_message(stdout))
                .or_else(|| stuck_line(stderr))
                .unwrap_or_else(|| {
                    let tail = tail_lines(stderr, 8);
                    if tail.is_empty() {
                        format!("exit code {code}")
                    } else {
                        format!("exit code {code}: {tail}")
                    }
                });
            Outcome::Fail { message: clip(&message) }
        }
        Exit::Signal(sig) => {
            if let Some(s) = stuck_line(stderr) {
                return Outcome::Fail { message: clip(&s) };
            }
            let mut reason = format!("killed by signal {sig} ({})", signal_name(sig));
            if let Some(p) = panic_message(stderr) {
                reason.push_str(&format!(" after: {p}"));
            } else {
                let tail = tail_lines(stderr, 5);
                if !tail.is_empty() {
                    reason.push_str(&format!(": {tail}"));
                }
            }
            Outcome::Crash { reason: clip(&reason) }
        }
    }
}

/// The reason of the first SKIP marker line in `stdout`.
pub fn skip_reason(stdout: &str) -> Option<String> {
    stdout.lines().find_map(|l| {
        let l = l.trim_start_matches('\r');
        l.strip_prefix(SKIP_MARKER).map(|r| {
            let r = r.trim();
            if r.is_empty() { "(no reason given)".to_string() } else { clip(r) }
        })
    })
}

/// One `IPCSPEC-VARIANT: <name>[ [lacking]]: <detail>` line, or `None` for any other line
/// (a malformed name is not a variant: the fixtures refuse to write one).
pub fn variant_line(line: &str) -> Option<Variant> {
    let rest = line.trim_start_matches('\r').strip_prefix(VARIANT_MARKER)?.trim_start();
    let (head, detail) = rest.split_once(':').unwrap_or((rest, ""));
    let head = head.trim();
    let (name, lacking) = match head.strip_suffix(LACKING_TAG) {
        Some(n) => (n.trim_end(), true),
        None => (head, false),
    };
    if !ipcspec_protocol::is_variant_name(name) {
        return None;
    }
    Some(Variant { name: name.to_string(), lacking, detail: clip(detail.trim()) })
}

/// Combine the variants a test reported (in order): distinct names joined with `+`,
/// lacking if any part is, the details joined with "; ".
pub fn combine(vs: Vec<Variant>) -> Option<Variant> {
    let mut out: Option<Variant> = None;
    for v in vs {
        match &mut out {
            None => out = Some(v),
            Some(o) => {
                if o.parts().any(|p| p == v.name) {
                    continue;
                }
                o.name = format!("{}+{}", o.name, v.name);
                o.lacking |= v.lacking;
                if !v.detail.is_empty() {
                    o.detail = clip(&if o.detail.is_empty() { v.detail } else { format!("{}; {}", o.detail, v.detail) });
                }
            }
        }
    }
    out
}

/// The variant a test reported on its stdout, if any.
pub fn variant_of(stdout: &str) -> Option<Variant> {
    combine(stdout.lines().filter_map(variant_line).collect())
}

fn ran_no_test(stdout: &str) -> bool {
    stdout.lines().any(|l| l.trim() == "running 0 tests")
}

fn stuck_line(stderr: &str) -> Option<String> {
    stderr
        .lines()
        .find(|l| l.contains(STUCK_MARKER))
        .map(|l| l.trim().trim_start_matches("ipcspec: ").to_string())
}

/// The first panic message, without the backtrace: "panicked at src:line:col:\nmessage".
pub fn panic_message(text: &str) -> Option<String> {
    let start = text.find("panicked at ")?;
    let from = &text[start..];
    let mut out = Vec::new();
    for (i, line) in from.lines().enumerate() {
        let t = line.trim_start();
        if i > 0
            && (t.starts_with("stack backtrace:")
                || t.starts_with("note: run with `RUST_BACKTRACE")
                || t.starts_with("note: Some details are omitted")
                || t.starts_with("test ") && t.ends_with("FAILED")
                || t.starts_with("failures:")
                || t.starts_with("thread '") && t.contains("panicked at"))
        {
            break;
        }
        out.push(line);
        if out.len() >= 40 {
            break;
        }
    }
    let msg = out.join("\n").trim().to_string();
    if msg.is_empty() { None } else { Some(clip(&msg)) }
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let from = lines.len().saturating_sub(n);
    clip(&lines[from..].join("\n"))
}

/// Cut `s` to [`MAX_MESSAGE`] characters (on a char boundary), marking the cut.
pub fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        return s.to_string();
    }
    let cut: String = s.chars().take(MAX_MESSAGE).collect();
    format!("{cut} [...]")
}

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        16 => "SIGSTKFLT",
        17 => "SIGCHLD",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        26 => "SIGVTALRM",
        27 => "SIGPROF",
        29 => "SIGIO",
        31 => "SIGSYS",
        _ => "signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_skip_and_empty_run() {
        assert_eq!(classify(Exit::Code(0), "running 1 test\ntest x ... ok\n", ""), Outcome::Pass);
        assert_eq!(
            classify(Exit::Code(0), "running 1 test\n\nIPCSPEC-SKIP: requires root\ntest x ... ok", ""),
            Outcome::Skip { reason: "requires root".into() }
        );
        assert!(matches!(classify(Exit::Code(0), "running 0 tests\n", ""), Outcome::Crash { .. }));
    }

    #[test]
    fn failure_keeps_the_assertion_without_backtrace() {
        let err = "\nthread 'fails' (17885) panicked at tests/t.rs:2:22:\nassertion `left == right` failed: expected one got two\n  left: 1\n right: 2\nstack backtrace:\n   0: x\n";
        let o = classify(Exit::Code(101), "", err);
        assert_eq!(
            o,
            Outcome::Fail {
                message: "panicked at tests/t.rs:2:22:\nassertion `left == right` failed: expected one got two\n  left: 1\n right: 2".into()
            }
        );
    }

    #[test]
    fn stuck_abort_is_a_failure_other_signals_crash() {
        let o = classify(Exit::Signal(6), "", "ipcspec: STUCK: still reading the FIFO after 10s; aborting the test\n");
        assert_eq!(o, Outcome::Fail { message: "STUCK: still reading the FIFO after 10s; aborting the test".into() });
        let o = classify(Exit::Signal(11), "", "");
        assert_eq!(o, Outcome::Crash { reason: "killed by signal 11 (SIGSEGV)".into() });
        assert!(matches!(classify(Exit::TimedOut(30_000), "", ""), Outcome::Timeout { .. }));
        assert_eq!(classify(Exit::Code(3), "", ""), Outcome::Fail { message: "exit code 3".into() });
    }

    #[test]
    fn variants_are_read_and_combined() {
        assert_eq!(variant_of("running 1 test\ntest x ... ok\n"), None);
        let out = "running 1 test\n\nIPCSPEC-VARIANT: absent [lacking]: ENOSYS: added in 5.11\ntest x ... ok\n";
        assert_eq!(
            variant_of(out),
            Some(Variant { name: "absent".into(), lacking: true, detail: "ENOSYS: added in 5.11".into() })
        );
        let two = "IPCSPEC-VARIANT: present: has it\nIPCSPEC-VARIANT: eloop: loops\nIPCSPEC-VARIANT: present: again\n";
        let v = variant_of(two).unwrap();
        assert_eq!((v.name.as_str(), v.lacking, v.detail.as_str()), ("present+eloop", false, "has it; loops"));
        assert_eq!(v.parts().collect::<Vec<_>>(), ["present", "eloop"]);
        let mixed = "IPCSPEC-VARIANT: present: x\nIPCSPEC-VARIANT: blocked [lacking]: seccomp\n";
        assert!(variant_of(mixed).unwrap().lacking);
        // Malformed lines are not variants; a line without detail is.
        assert_eq!(variant_line("IPCSPEC-VARIANT: Not A Name: x"), None);
        assert_eq!(variant_line("IPCSPEC-VARIANT: "), None);
        assert_eq!(variant_line("IPCSPEC-VARIANT: eloop").unwrap().detail, "");
        assert_eq!(variant_line("  IPCSPEC-VARIANT: eloop: x"), None, "a marker starts its line");
    }

    #[test]
    fn clip_is_char_safe() {
        let s = "é".repeat(MAX_MESSAGE + 10);
        let c = clip(&s);
        assert!(c.ends_with("[...]"));
    }
}
