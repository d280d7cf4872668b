//! `gvisor`, `gvisor:<release>`: the whole plan in one gVisor sandbox per release — a second
//! implementation of Linux IPC (pipes, sockets, epoll, eventfd, mqueues, ptys and locks in
//! user space) — started as a container runtime would start it.
//!
//! Releases are Debian's `runsc` packages ([`crate::runtimes::RUNSC_RELEASES`]: `2022` from
//! bookworm, `2024` from trixie; `gvisor` is the newest), fetched and cached by the runner.
//! The sandbox gets the OCI configuration of docker's `default` mode
//! ([`crate::container::oci`]: docker's namespaces, mounts — /dev/shm a 64 MiB tmpfs,
//! /dev/mqueue, /dev/pts, /sys read-only, /tmp a tmpfs — capabilities, user, limits; the
//! seccomp profile is in it, and runsc ignores it as it does under docker), its root is the bundle
//! staged by hard links under an in-memory overlay (`--overlay2=root:memory`: nothing is
//! written to it), and the network is the sandbox's own loopback (`--network=none`: runsc
//! gives a sandbox without a network namespace path only its loopback interface). The guest
//! executor is the container's process with the plan on standard input and the result
//! stream on standard output, as in a docker target ([`crate::container::oci_run`]).
//!
//! check: root, the release fetched. prepare: the root filesystem staged and this run's
//! directory (once for every gVisor target). run: the sandbox. finish: the run's directory
//! and root filesystem removed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::bundle::{self, Bundle, GUEST_EXECUTOR};
use crate::container::cleanup::Owner;
use crate::container::client;
use crate::container::modes::{Mode, PrivilegedAs, mode_env};
use crate::container::oci::{self, seccomp::kernel_version};
use crate::container::oci_run::{self, OciContainer, RunDir};
use crate::container::run as docker_run;
use crate::guest_run::{self, ColumnInfo};
use crate::model::{ColumnRun, Phases, User};
use crate::runtimes::{self, RunscRelease, Runtime};
use crate::target::{Ctx, Job, PrepareInput, Shared, Target, TargetKind, TargetSpec, Traits};
use crate::util::{clock_nanos, file_stem, with_suffix};

pub struct Kind;
pub static KIND: Kind = Kind;

/// The mode whose OCI configuration the sandbox gets.
pub const MODE: Mode = Mode::Default;

/// runsc's flags before `run` (besides `--root`). Not `--oci-seccomp`: runsc ignores the
/// configuration's seccomp section by default, as it does under docker, and with
/// `--oci-seccomp` (both releases) a rule's `errnoRet` is not honoured — docker's clone3
/// rule answers EPERM instead of ENOSYS, so glibc never falls back to clone and no thread
/// can be created (docs/runner.md, "gvisor"). `--net-raw`: without it runsc removes
/// CAP_NET_RAW, one of docker's default capabilities, from the container.
pub const RUNSC_FLAGS: [&str; 3] = ["--network=none", "--overlay2=root:memory", "--net-raw"];

impl TargetKind for Kind {
    fn name(&self) -> &'static str {
        "gvisor"
    }

    fn usage(&self) -> String {
        format!("gvisor[:<release>] ({}; gvisor is the newest)", runtimes::runsc_releases_text())
    }

    fn parse(&self, s: &str) -> Option<Result<TargetSpec, String>> {
        let arg = if s == "gvisor" { "" } else { s.strip_prefix("gvisor:")? };
        Some(match runtimes::runsc_release(arg) {
            Some(r) if !(arg.is_empty() && s != "gvisor") => Ok(TargetSpec::new("gvisor", format!("gvisor:{}", r.name))),
            _ => Err(format!("{s:?}: unknown gVisor release {arg:?}. Releases: {}", runtimes::runsc_releases_text())),
        })
    }

    fn create(&self, spec: &TargetSpec) -> Box<dyn Target> {
        let release = *runtimes::runsc_release(spec.arg()).unwrap_or_else(|| unreachable!("parsed by this kind"));
        Box::new(Gvisor { spec: spec.clone(), release, runtime: None, prepared: None, time_scale: 1.0 })
    }

    fn finish(&self, shared: &Shared) -> Vec<String> {
        match shared.get::<Staged>() {
            Some(s) => match &s.0 {
                Ok((rd, _)) => oci_run::finish(rd).into_iter().map(|n| format!("gvisor: {n}")).collect(),
                Err(_) => vec![],
            },
            None => vec![],
        }
    }
}

/// This run's directory and the staged root filesystem, once for every gVisor target.
struct Staged(Result<(RunDir, PathBuf), String>);

fn stage(b: &Bundle, ctx: &Ctx) -> Result<(RunDir, PathBuf)> {
    let me = Owner::me();
    let rootfs = ctx.workspace.target_dir.join("ipcspec/oci").join(format!("rootfs-{}-{}", me.pid, me.start));
    let _ = std::fs::remove_dir_all(&rootfs);
    let (rd, notes) = oci_run::run_dir(std::path::Path::new(oci_run::RUNS_DIR), Some(&rootfs))?;
    for n in notes {
        ctx.progress.say(&format!("gvisor: {n}"));
    }
    bundle::stage(b, &rootfs).with_context(|| format!("staging the root filesystem in {}", rootfs.display()))?;
    Ok((rd, rootfs))
}

pub struct Gvisor {
    spec: TargetSpec,
    release: RunscRelease,
    /// Known after `check`.
    runtime: Option<Runtime>,
    /// Known after `prepare`: the run's directory, the root filesystem, the bundle.
    prepared: Option<(RunDir, PathBuf, Bundle)>,
    time_scale: f64,
}

impl Target for Gvisor {
    fn spec(&self) -> &TargetSpec {
        &self.spec
    }

    /// gVisor's own kernel: nothing the tests use (limits per user, sysctls, pids) is shared
    /// with the host's.
    fn traits(&self) -> Traits {
        Traits { on_host_kernel: false, length_rank: 1, needs_bundle: true }
    }

    fn check(&mut self, ctx: &Ctx, _users: &[User], phases: &mut Phases) -> Result<()> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            bail!("gvisor targets need root: runsc creates the sandbox's namespaces and mounts");
        }
        let t = Instant::now();
        ctx.progress.say(&format!("runsc for {}: resolving (Debian {})", self.spec, self.release.suite));
        let rt = runtimes::runsc(&self.release, &ctx.settings.cache_dir, ctx.settings.refresh_kernels)?;
        ctx.progress.say(&format!("runsc for {}: {} ({})", self.spec, rt.describe(), runtimes::runsc_version(&rt.binary).unwrap_or_default()));
        self.runtime = Some(rt);
        self.time_scale = ctx.settings.time_scale.unwrap_or(1.0);
        phases.kernels_ms += t.elapsed().as_millis() as u64;
        Ok(())
    }

    fn prepare(&mut self, ctx: &Ctx, input: &PrepareInput, _phases: &mut Phases) -> Result<()> {
        let b = input.bundle.context("a sandbox needs the bundle")?;
        let staged = ctx.shared.once(|| Staged(stage(b, ctx).map_err(|e| format!("{e:#}"))));
        let (rd, rootfs) = staged.0.clone().map_err(anyhow::Error::msg)?;
        let rt = self.runtime.as_ref().context("runsc was not resolved")?;
        rd.register_runtime(self.release.name, &rt.binary)?;
        self.prepared = Some((rd, rootfs, b.clone()));
        Ok(())
    }

    fn run(&self, ctx: &Ctx, job: &Job) -> Result<Vec<ColumnRun>> {
        let target = self.spec.name();
        let rt = self.runtime.as_ref().context("runsc was not resolved")?;
        let (rd, rootfs, b) = self.prepared.as_ref().context("the sandbox was not prepared")?;
        let stem = ctx.log_dir.join(file_stem(target));
        let planned = job.plan.len() * job.users.len();
        let mut line = ctx.progress.stream(target, "starting", planned);
        let host_ipc_ns = std::fs::read_link("/proc/self/ns/ipc").ok().map(|p| p.to_string_lossy().into_owned());
        let env = mode_env(MODE, host_ipc_ns.as_deref());
        let me = Owner::me();
        let id = format!("ipcspec-gvisor-{}-{}-{}", self.release.name, me.pid, clock_nanos());
        let config = oci::config(
            MODE,
            &oci::Options {
                args: [GUEST_EXECUTOR, "guest", "--plan", "-", "--results", "-"].map(String::from).to_vec(),
                env: env.clone(),
                hostname: "ipcspec-gvisor".into(),
                root: rootfs.display().to_string(),
                rlimits: crate::guest::host_limits(),
                // docker evaluates the profile's minKernel rules on its own host's kernel.
                kernel: kernel_version(&crate::util::host_release()).unwrap_or((0, 0)),
                privileged: PrivilegedAs::Full,
                // gVisor's own netstack with only its loopback (--network=none): IPv6 stays on,
                // so the IPv6 half of inet_sockets runs there.
                docker_network: false,
            },
        )
        .map_err(anyhow::Error::msg)?;
        let c = OciContainer {
            run: rd.clone(),
            runtime: rt.binary.clone(),
            tag: self.release.name.to_string(),
            id,
            flags: RUNSC_FLAGS.map(String::from).to_vec(),
            config,
        };
        let exec = ctx.settings.executor(self.time_scale);
        let gp = docker_run::guest_plan(b, job.plan, job.users, &exec, env);
        let plan_json = serde_json::to_vec(&gp)?;
        let _ = std::fs::write(with_suffix(&stem, ".plan.json"), &plan_json);
        let s = ctx.settings;
        // The sandbox runs the tests slower than the host (every system call goes through
        // gVisor's platform): the VMs' per-test budget.
        let deadlines = crate::qemu::deadlines(planned, s.guest_parallel, exec.timeout, self.time_scale.max(1.0)).with_hangs(job.expected_hangs, exec.timeout);
        let out = client::run(&c, &plan_json, &stem, &deadlines, |r, stop| {
            line.record(r);
            if let Some(why) = docker_run::kill_at(&s.inject, r) {
                *stop = Some(why);
            }
        })?;
        line.finish();
        let version = runtimes::runsc_version(&rt.binary).unwrap_or_default();
        let info = ColumnInfo {
            target: target.to_string(),
            kind: "gvisor".into(),
            release: "gVisor".into(),
            source: format!("gVisor: {} ({version}), in a sandbox with docker's default mode", rt.describe()),
            notes: vec![format!(
                "{version} ({}), runsc {} (the whole command: logs/{}.runtime-args; the OCI configuration: logs/{}.config.json)",
                rt.describe(),
                RUNSC_FLAGS.join(" "),
                file_stem(target),
                file_stem(target)
            )],
        };
        let ended = out.killed_because.clone().unwrap_or_else(|| "the sandbox ended before reporting this test".into());
        Ok(guest_run::columns_from(&info, job.plan, job.users, &out, &ended))
    }

    fn kernel(&self) -> (Option<String>, Option<String>) {
        (None, self.runtime.as_ref().map(|r| format!("gVisor: {}", r.describe())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let p = |s: &str| crate::target::parsed(&KIND, s);
        assert_eq!(p("gvisor"), Some(Ok("gvisor:2024".into())));
        assert_eq!(p("gvisor:2022"), Some(Ok("gvisor:2022".into())));
        assert_eq!(p("gvisor:bookworm"), Some(Ok("gvisor:2022".into())));
        assert_eq!(p("gvisor:trixie"), Some(Ok("gvisor:2024".into())));
        for bad in ["gvisor:", "gvisor:2019", "gvisor:x y"] {
            let e = p(bad).unwrap().unwrap_err();
            assert!(e.contains("2022 (bookworm)"), "{e}");
        }
        assert_eq!(p("gvisorx"), None);
        assert_eq!(p("docker:default"), None);
        let spec = KIND.parse("gvisor:2022").unwrap().unwrap();
        assert_eq!(KIND.create(&spec).spec(), &spec);
    }
}
