//! The client process of a container — the docker client, or the OCI runtime the runner
//! starts itself — as every container target runs it: dying with the runner, in a process
//! group of its own, the plan on its standard input and its standard output (the framed
//! result stream) copied to the results file as it comes, followed as a [`GuestProcess`]
//! that only the way it is stopped and the words for its deadlines tell apart.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::container::cleanup::{ClientGuard, stop_here_if_interrupted};
use crate::frame::Record;
use crate::guest_run::{self, Deadlines, GuestOutput, GuestProcess, Stall};
use crate::util::{console_tail, with_suffix};

/// A container that a client process runs: how it is started and removed, and what tells
/// its client apart (the docker client, or an OCI runtime the runner starts itself).
pub trait Launch {
    /// The suffix of the client's messages' file (`.docker.log`).
    const LOG_SUFFIX: &'static str;
    /// "the container", "the sandbox": the words for its deadlines.
    const WHAT: &'static str;
    /// Why it ended before its last record, from the client's exit status and messages.
    const END_REASON: fn(Option<i32>, &str) -> String;
    /// Make what the container needs beside `stem` and start its client ([`spawn`]) with
    /// its messages to `log`; returns the client and how to stop it.
    fn start(&self, stem: &Path, log: fs::File) -> Result<(Child, Stop)>;
    /// Once the client ended or could not be started or followed: remove what is left.
    fn finish(&self) {}
}

/// Run one guest in container `c`: the client's files made ([`files`]), the client counted
/// before it exists (so that an interrupt from now on waits for it and removes its
/// container), started, handed the plan, and its stream followed until it ends or a
/// deadline passes.
pub fn run<C: Launch>(
    c: &C,
    plan_json: &[u8],
    stem: &Path,
    deadlines: &Deadlines,
    on_record: impl FnMut(&Record, &mut Option<String>),
) -> Result<GuestOutput> {
    let started = Instant::now();
    let (results_path, log_path, log) = files(stem, C::LOG_SUFFIX)?;
    let _client = ClientGuard::new();
    stop_here_if_interrupted();
    let out = c.start(stem, log).and_then(|(child, stop)| {
        let (mut guest, mut file) = Client::follow(child, plan_json, &results_path, C::WHAT, stop)?;
        guest_run::follow(&mut guest, &mut file, started, deadlines, on_record)
    });
    c.finish();
    let mut out = out?;
    explain_end(&mut out, &log_path, C::END_REASON);
    Ok(out)
}

/// A client's files beside `stem` (its directory made): where its stream goes
/// (`<stem>.results.bin`), and its messages (`<stem><log_suffix>`, created).
pub fn files(stem: &Path, log_suffix: &str) -> Result<(PathBuf, PathBuf, fs::File)> {
    if let Some(d) = stem.parent() {
        fs::create_dir_all(d)?;
    }
    let log_path = with_suffix(stem, log_suffix);
    let log = fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    Ok((with_suffix(stem, ".results.bin"), log_path, log))
}

/// Start `cmd` (its arguments given) with the plan and the stream piped and its messages to
/// `log`. It gets SIGKILL when the runner dies (the container is then removed by the next
/// run, as a stale owner's) and a process group of its own, so that a Ctrl-C on the terminal
/// reaches the runner, which removes the container, not the client.
pub fn spawn(mut cmd: Command, log: fs::File) -> io::Result<Child> {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.process_group(0);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(log).spawn()
}

/// How a client's container is stopped when a deadline passes; returns the client reaped.
pub type Stop = Box<dyn FnMut(&mut Child) -> io::Result<ExitStatus>>;

/// A started client as a [`GuestProcess`], with the thread that copies its stream.
pub struct Client {
    child: Child,
    copier: Option<JoinHandle<io::Result<()>>>,
    /// "the container", "the sandbox": the words for its deadlines.
    what: &'static str,
    stop: Stop,
}

impl Client {
    /// Hand the client the plan and copy its standard output to `results_path` (made empty
    /// first) by a thread. Returns the client and the results file open for reading.
    pub fn follow(mut child: Child, plan_json: &[u8], results_path: &Path, what: &'static str, stop: Stop) -> Result<(Client, fs::File)> {
        if let Some(mut stdin) = child.stdin.take() {
            // A container that does not start closes its end: the write error is not the story.
            let _ = stdin.write_all(plan_json);
        }
        let mut stdout = child.stdout.take().context("the client's standard output")?;
        fs::write(results_path, b"").with_context(|| format!("creating {}", results_path.display()))?;
        let copy_to = results_path.to_path_buf();
        let copier = std::thread::spawn(move || -> io::Result<()> {
            let mut f = fs::OpenOptions::new().append(true).open(&copy_to)?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = stdout.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                f.write_all(&buf[..n])?;
                f.flush()?;
            }
        });
        let file = fs::File::open(results_path).with_context(|| format!("opening {}", results_path.display()))?;
        Ok((Client { child, copier: Some(copier), what, stop }, file))
    }
}

impl GuestProcess for Client {
    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    fn stop(&mut self) -> io::Result<ExitStatus> {
        (self.stop)(&mut self.child)
    }

    fn tick(&mut self) {
        stop_here_if_interrupted();
    }

    fn ended(&mut self) {
        stop_here_if_interrupted();
        if let Some(c) = self.copier.take() {
            let _ = c.join();
        }
    }

    fn describe(&self, stall: Stall) -> String {
        stall.describe_exiting(self.what)
    }
}

/// Once a client ended: the end of its messages (`log_path`) as the output's console tail
/// and, when the stream stopped short without a deadline to blame, the reason `end_reason`
/// reads from its exit status and those messages.
pub fn explain_end(out: &mut GuestOutput, log_path: &Path, end_reason: fn(Option<i32>, &str) -> String) {
    out.console_tail = console_tail(&fs::read(log_path).unwrap_or_default(), 40);
    if !out.finished() && out.killed_because.is_none() {
        out.killed_because = Some(end_reason(out.exit_status, &out.console_tail));
    }
}
