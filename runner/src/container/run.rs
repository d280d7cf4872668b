//! Running the guest executor in a docker container: `docker run` with the plan on standard
//! input and the framed result stream on standard output ([`run_args`]; a
//! [`ContainerSpec`] is a [`client::Launch`], run by [`client::run`] with a container's
//! deadlines); every docker target (whatever its mode or runtime) runs its plan through here.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::bundle::{Bundle, GUEST_EXECUTOR};
use crate::container::cli::{DOCKER, LABEL_MODE, LABEL_OWNER, LABEL_ROLE, ROLE_RUN};
use crate::container::client;
use crate::frame::Record;
use crate::guest::GuestPlan;
use crate::guest_run::{self, Deadlines, ExecutorSettings};
use crate::model::User;
use crate::plan::{Inject, Plan};

/// Where the executor keeps test output inside the container (on the /tmp tmpfs).
pub const WORK_DIR: &str = "/tmp/.ipcspec-executor";

/// One container to start.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// The mode's name, for the label.
    pub mode: String,
    pub owner: String,
    /// `--runtime` (None: the daemon's default, runc).
    pub runtime: Option<String>,
    /// The mode's own flags (`--ipc=host`, ...).
    pub flags: Vec<String>,
    /// Variables for the tests, also named on the command line (`-e`): the mode's.
    pub env: Vec<(String, String)>,
}

/// `docker run ...` for a container: removed when it ends (`--rm`), labelled, the plan on
/// standard input (`-i`), signals not forwarded (the runner stops it with `docker rm -f`),
/// /tmp a tmpfs as in the VMs (never the storage driver's filesystem), the runtime, the
/// mode's flags and variables. Pure.
pub fn run_args(spec: &ContainerSpec) -> Vec<String> {
    let mut a: Vec<String> = ["run", "--rm", "-i", "--sig-proxy=false", "--name", &spec.name]
        .into_iter()
        .map(String::from)
        .collect();
    for (k, v) in [(LABEL_ROLE, ROLE_RUN), (LABEL_OWNER, spec.owner.as_str()), (LABEL_MODE, spec.mode.as_str())] {
        a.push("--label".into());
        a.push(format!("{k}={v}"));
    }
    if let Some(r) = &spec.runtime {
        a.push(format!("--runtime={r}"));
    }
    a.push("--tmpfs".into());
    a.push("/tmp:rw,nosuid,nodev,exec,mode=1777".into());
    a.extend(spec.flags.iter().cloned());
    for (k, v) in &spec.env {
        a.push("-e".into());
        a.push(format!("{k}={v}"));
    }
    a.push("--entrypoint".into());
    a.push(GUEST_EXECUTOR.into());
    a.push(spec.image.clone());
    a.extend(["guest", "--plan", "-", "--results", "-"].map(String::from));
    a
}

/// The plan as the executor in a container sees it: the bundle's paths, the mode's
/// variables, the runtime's own limits (none carried over from the host: a mode's limits
/// are part of what it is), output kept on the /tmp tmpfs, results on standard output.
pub fn guest_plan(bundle: &Bundle, plan: &Plan, users: &[User], s: &ExecutorSettings, env: Vec<(String, String)>) -> GuestPlan {
    let mut gp = guest_run::guest_plan(bundle, plan, users, s);
    gp.work_dir = WORK_DIR.into();
    gp.env = env;
    // The kernel-crash fault would reach the host's kernel from a privileged container: in a
    // container the test hangs instead, and the runner kills the container when it starts
    // (see [`kill_at`]).
    gp.inject = Inject { panic_before: None, ..s.inject.clone() };
    if let Some(id) = &s.inject.panic_before {
        gp.inject.hang.push(format!("{id}/root"));
    }
    gp
}

/// The test-only "dying container" fault: when this record comes, the container is killed.
pub fn kill_at(inject: &Inject, r: &Record) -> Option<String> {
    match r {
        Record::Started { id, user: User::Root } if inject.panic_before.as_deref() == Some(id.as_str()) => {
            Some(format!("the container was killed (test-only fault: docker kill when {id} started)"))
        }
        _ => None,
    }
}

/// The host-side deadlines of a container running `planned` test runs, `parallel` at once
/// (at the host's speed: nothing is scaled): no first record within 60 s, no byte for a
/// test's deadline + 30 s, and 60 s + 1.5 s per test run / parallel + 3 test deadlines.
pub fn deadlines(planned: usize, parallel: usize, test_deadline: Duration) -> Deadlines {
    let total = Duration::from_secs(60) + Duration::from_millis(1500) * (planned as u32) / (parallel.max(1) as u32) + test_deadline * 3;
    Deadlines { boot: Duration::from_secs(60), silence: test_deadline + Duration::from_secs(30), total }
}

/// A container is run by the docker client ([`client::run`]): `docker run` with the plan on
/// standard input and the stream on standard output; a deadline stops it with `docker rm
/// -f`. Its files: `<stem>.results.bin` (the stream), `<stem>.docker.log` (docker's
/// messages).
impl client::Launch for ContainerSpec {
    const LOG_SUFFIX: &'static str = ".docker.log";
    const WHAT: &'static str = "the container";
    const END_REASON: fn(Option<i32>, &str) -> String = end_reason;

    fn start(&self, _stem: &Path, log: fs::File) -> Result<(Child, client::Stop)> {
        let mut cmd = Command::new(DOCKER);
        cmd.args(run_args(self));
        let child = client::spawn(cmd, log).with_context(|| format!("starting {DOCKER}"))?;
        let name = self.name.clone();
        let stop: client::Stop = Box::new(move |child| {
            let _ = Command::new(DOCKER).args(["rm", "-f", "-v", &name]).stdin(Stdio::null()).output();
            child.wait()
        });
        Ok((child, stop))
    }
}

/// Why a container ended before its last record, from the docker client's exit status and
/// the first line of its messages. Pure.
pub fn end_reason(status: Option<i32>, log_tail: &str) -> String {
    let why = match status {
        Some(125) => "docker could not create or start the container (exit status 125)".to_string(),
        Some(c @ (126 | 127)) => format!("the executor could not be run in the container (exit status {c})"),
        Some(137) => "the container was killed (SIGKILL; exit status 137)".to_string(),
        Some(c) => format!("the container exited with status {c} before reporting this test"),
        None => "the docker client was killed by a signal".to_string(),
    };
    let first = log_tail.lines().find(|l| !l.trim().is_empty()).map(|l| format!(": {}", l.trim())).unwrap_or_default();
    format!("{why}{first}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "ipcspec-x-1-2".into(),
            image: "ipcspec-bundle:0123456789abcdef".into(),
            mode: "default".into(),
            owner: "b00t:42:777".into(),
            runtime: None,
            flags: vec![],
            env: vec![(ipcspec_protocol::env::CONTAINER_MODE.into(), "default".into())],
        }
    }

    #[test]
    fn run_arguments() {
        let a = run_args(&spec()).join(" ");
        assert!(a.starts_with("run --rm -i --sig-proxy=false --name ipcspec-x-1-2 "), "{a}");
        assert!(a.contains("--label org.ipcspec.role=run --label org.ipcspec.owner=b00t:42:777 --label org.ipcspec.mode=default"), "{a}");
        assert!(a.contains("--tmpfs /tmp:rw,nosuid,nodev,exec,mode=1777"), "{a}");
        assert!(a.ends_with("-e IPCSPEC_CONTAINER_MODE=default --entrypoint /ipcspec/ipcspec ipcspec-bundle:0123456789abcdef guest --plan - --results -"), "{a}");
        assert!(!a.contains("--runtime"), "{a}");
        let mut s = spec();
        s.runtime = Some("runsc".into());
        assert!(run_args(&s).join(" ").contains("--label org.ipcspec.mode=default --runtime=runsc --tmpfs"));
    }

    #[test]
    fn why_a_container_ended() {
        assert_eq!(end_reason(Some(137), ""), "the container was killed (SIGKILL; exit status 137)");
        assert_eq!(
            end_reason(Some(125), "
docker: Error response from daemon: x
"),
            "docker could not create or start the container (exit status 125): docker: Error response from daemon: x"
        );
        assert_eq!(end_reason(Some(3), ""), "the container exited with status 3 before reporting this test");
        assert_eq!(end_reason(None, ""), "the docker client was killed by a signal");
    }

    #[test]
    fn deadlines_grow_with_the_plan() {
        let d = deadlines(100, 4, Duration::from_secs(30));
        assert_eq!((d.boot.as_secs(), d.silence.as_secs(), d.total.as_millis()), (60, 60, 60_000 + 37_500 + 90_000));
    }
}
