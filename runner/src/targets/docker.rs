//! `docker:<mode>`: the whole plan inside one container per mode, on the host kernel.
//!
//! The container runs the same bundle as a VM (runner/src/bundle.rs), baked into the bundle
//! image ([`crate::container::image`]), and the same guest executor as its PID 1
//! ([`crate::container::run`]): every planned test gets exactly one cell, and a container
//! that dies makes the rest CRASH with the reason. Modes are the flags and variables of
//! [`crate::container::modes`]; nothing is left behind ([`crate::container::cleanup`]).
//!
//! check: the daemon (once per run). prepare: the image (once per run). run: `privileged`
//! probed, then the container.

use std::fs;

use anyhow::{Result, bail};

use crate::container::daemon::{self, Daemon};
use crate::container::image::{self, Image};
use crate::container::modes::{Mode, PrivilegedAs, mode_env, privileged_as};
use crate::container::client;
use crate::container::run::{self, ContainerSpec};
use crate::guest_run::{self, ColumnInfo};
use crate::model::{ColumnRun, Phases, User};
use crate::target::{Ctx, Job, PrepareInput, Shared, Target, TargetKind, TargetSpec, Traits};
use crate::util::{clock_nanos, file_stem, human_ms, with_suffix};

pub struct Kind;
pub static KIND: Kind = Kind;

impl TargetKind for Kind {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn usage(&self) -> String {
        "docker:<mode>".into()
    }

    fn parse(&self, s: &str) -> Option<Result<TargetSpec, String>> {
        let mode = s.strip_prefix("docker:")?;
        Some(Mode::parse(mode).map(|m| TargetSpec::new("docker", format!("docker:{}", m.name()))).map_err(|e| format!("{s:?}: {e}")))
    }

    fn allows_root(&self, spec: &TargetSpec) -> bool {
        Mode::parse(spec.arg()).map_or(true, Mode::allows_root)
    }

    fn create(&self, spec: &TargetSpec) -> Box<dyn Target> {
        Box::new(Docker { spec: spec.clone(), mode: Mode::parse(spec.arg()).unwrap_or(Mode::Default), daemon: None, image: None, bundle: None })
    }

    fn finish(&self, shared: &Shared) -> Vec<String> {
        image::release_hold();
        daemon::finish(shared).into_iter().map(|n| format!("docker: {n}")).collect()
    }
}

pub struct Docker {
    spec: TargetSpec,
    mode: Mode,
    daemon: Option<Daemon>,
    /// The image, or why there is none (then every cell is CRASH with it).
    image: Option<Result<Image, String>>,
    bundle: Option<crate::bundle::Bundle>,
}

impl Target for Docker {
    fn spec(&self) -> &TargetSpec {
        &self.spec
    }

    fn traits(&self) -> Traits {
        Traits { on_host_kernel: true, length_rank: 1, needs_bundle: true }
    }

    fn check(&mut self, ctx: &Ctx, _users: &[User], _phases: &mut Phases) -> Result<()> {
        self.daemon = Some(daemon::shared(ctx.shared, ctx.progress)?);
        Ok(())
    }

    fn prepare(&mut self, ctx: &Ctx, input: &PrepareInput, phases: &mut Phases) -> Result<()> {
        let Some(b) = input.bundle else { bail!("a container needs the bundle") };
        let base = &ctx.settings.docker_base;
        let r = image::shared(ctx.shared, || {
            ctx.progress.say(&format!("docker: making sure the bundle image exists (base {base})"));
            let r = image::ensure_image(b, &ctx.workspace.target_dir.join("ipcspec/docker"), base, ctx.log_dir);
            match &r {
                Ok(img) => {
                    let how = if img.built { "built" } else { "cached" };
                    ctx.progress.say(&format!("docker: image {} {how} in {}", img.tag, human_ms(img.ms)));
                    for n in &img.notes {
                        ctx.progress.say(&format!("docker: {n}"));
                    }
                }
                Err(e) => ctx.progress.say(&format!("docker: {e:#}")),
            }
            r
        });
        if let Ok(img) = &r {
            phases.docker_image = Some(img.tag.clone());
            phases.docker_image_built = Some(img.built);
            phases.docker_image_ms = Some(img.ms);
        }
        self.image = Some(r.map_err(|e| format!("the bundle image could not be built: {e}")));
        self.bundle = Some(b.clone());
        Ok(())
    }

    fn run(&self, ctx: &Ctx, job: &Job) -> Result<Vec<ColumnRun>> {
        let target = self.spec.name();
        let (Some(d), Some(b)) = (&self.daemon, &self.bundle) else { bail!("docker is not available") };
        let mut image = match &self.image {
            Some(Ok(img)) => img.tag.clone(),
            Some(Err(e)) => bail!("{e}"),
            None => bail!("docker is not available"),
        };
        // A runner without hold tags (an older build, beside this one) may have removed it as
        // stale while the VMs of this run were running: build it again.
        if crate::container::cli::docker(&["image", "inspect", "--format", "{{.Id}}", &image]).is_err() {
            ctx.progress.say(&format!("docker: the bundle image {image} is gone (removed by another runner): building it again"));
            let _lock = crate::util::FileLock::acquire(&ctx.workspace.target_dir.join("ipcspec/.bundle.lock"))?;
            let img = image::ensure_image(b, &ctx.workspace.target_dir.join("ipcspec/docker"), &ctx.settings.docker_base, ctx.log_dir)?;
            image = img.tag;
        }
        let stem = ctx.log_dir.join(file_stem(target));
        let planned = job.plan.len() * job.users.len();
        let mut line = ctx.progress.stream(target, "starting", planned);
        let privileged = if self.mode == Mode::Privileged {
            match privileged_as(&image, &d.owner.label()) {
                Ok(p) => p,
                Err(e) => bail!("docker:privileged cannot start on this daemon, so this mode did not run: {e}"),
            }
        } else {
            PrivilegedAs::Full
        };
        let mut notes = Vec::new();
        if let Some(n) = privileged.note() {
            ctx.progress.say(&format!("{target}: {n}"));
            notes.push(n);
        }
        let spec = container_spec(self.mode, &privileged, &image, &d.owner.label(), d.host_ipc_ns.as_deref());
        let s = ctx.settings;
        // Containers run at the host's speed: nothing is scaled.
        let exec = s.executor(1.0);
        let gp = run::guest_plan(b, job.plan, job.users, &exec, spec.env.clone());
        let plan_json = serde_json::to_vec(&gp)?;
        let _ = fs::write(with_suffix(&stem, ".plan.json"), &plan_json);
        let _ = fs::write(with_suffix(&stem, ".docker-args"), format!("docker {}\n", run::run_args(&spec).join(" ")));
        notes.push(format!(
            "docker {} on the host kernel, image {image}, mode flags: {} (the whole command: logs/{}.docker-args)",
            d.server_version,
            if spec.flags.is_empty() { "none".to_string() } else { spec.flags.join(" ") },
            file_stem(target)
        ));
        let deadlines = run::deadlines(planned, s.guest_parallel, s.test_timeout).with_hangs(job.expected_hangs, s.test_timeout);
        let out = client::run(&spec, &plan_json, &stem, &deadlines, |r, stop| {
            line.record(r);
            if let Some(why) = run::kill_at(&s.inject, r) {
                *stop = Some(why);
            }
        })?;
        line.finish();
        let info = ColumnInfo {
            target: target.to_string(),
            kind: "docker".into(),
            release: d.host_release.clone(),
            source: format!("the host's kernel, in a container (docker {}, image {image})", d.server_version),
            notes,
        };
        let ended = out.killed_because.clone().unwrap_or_else(|| "the container ended before reporting this test".into());
        Ok(guest_run::columns_from(&info, job.plan, job.users, &out, &ended))
    }

    fn kernel(&self) -> (Option<String>, Option<String>) {
        (Some(crate::util::host_release()), None)
    }
}

/// The container of a mode: a name unique by pid and time, the mode's flags (privileged as
/// it can be had on this daemon) and variables.
pub fn container_spec(mode: Mode, privileged: &PrivilegedAs, image: &str, owner: &str, host_ipc_ns: Option<&str>) -> ContainerSpec {
    let mut env = mode_env(mode, host_ipc_ns);
    env.extend(privileged.env());
    ContainerSpec {
        name: format!("ipcspec-{}-{}-{:x}", mode.name(), std::process::id(), clock_nanos()),
        image: image.to_string(),
        mode: mode.name().to_string(),
        owner: owner.to_string(),
        runtime: None,
        flags: mode.flags(privileged),
        env,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use ipcspec_protocol::env;

    use super::*;
    use crate::bundle::Bundle;
    use crate::container::modes::{missing_caps, unknown_capability};
    use crate::frame::Record;
    use crate::guest_run::ExecutorSettings;
    use crate::model::User;
    use crate::plan::{Inject, Plan, PlannedBinary};

    fn args(mode: Mode, privileged: &PrivilegedAs, ns: Option<&str>) -> String {
        run::run_args(&container_spec(mode, privileged, "ipcspec-bundle:0123456789abcdef", "b00t:42:777", ns)).join(" ")
    }

    #[test]
    fn modes_parse_and_name() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.name()), Ok(m));
        }
        let e = Mode::parse("rootless").unwrap_err();
        assert!(e.contains("docker:default") && e.contains("docker:shm-small"), "{e}");
        assert!(Mode::parse("").is_err() && Mode::parse("Default").is_err());
        assert!(!Mode::NonRoot.allows_root() && Mode::Privileged.allows_root());
        assert_eq!(KIND.parse("docker:privileged").map(|r| r.map(|t| t.to_string())), Some(Ok("docker:privileged".into())));
        let e = KIND.parse("docker:nope").unwrap().unwrap_err();
        assert!(e.contains("unknown docker mode"), "{e}");
        assert_eq!(KIND.parse("vm:6.1"), None);
    }

    #[test]
    fn run_arguments_per_mode() {
        let full = PrivilegedAs::Full;
        let ns = Some("ipc:[4026531839]");
        let a = args(Mode::Default, &full, ns);
        assert!(a.starts_with("run --rm -i --sig-proxy=false --name ipcspec-default-"), "{a}");
        assert!(a.contains("--label org.ipcspec.role=run --label org.ipcspec.owner=b00t:42:777 --label org.ipcspec.mode=default"), "{a}");
        assert!(a.contains("--tmpfs /tmp:rw,nosuid,nodev,exec,mode=1777"), "{a}");
        assert!(a.contains("-e IPCSPEC_CONTAINER_MODE=default -e IPCSPEC_HOST_IPC_NS=ipc:[4026531839]"), "{a}");
        assert!(a.ends_with("--entrypoint /ipcspec/ipcspec ipcspec-bundle:0123456789abcdef guest --plan - --results -"), "{a}");
        for flag in ["--ipc", "--user", "--privileged", "--shm-size", "--cap-add", "-v", "--volume", "--mount", "--runtime"] {
            assert!(!a.split(' ').any(|w| w == flag || w.starts_with(&format!("{flag}="))), "default has {flag}: {a}");
        }
        assert!(args(Mode::IpcHost, &full, ns).contains("--ipc=host"));
        let n = args(Mode::NonRoot, &full, ns);
        assert!(n.contains("--user 65534:65534") && n.contains("IPCSPEC_CONTAINER_MODE=nonroot"), "{n}");
        let s = args(Mode::ShmSmall, &full, ns);
        assert!(s.contains("--shm-size 4194304") && s.contains("-e IPCSPEC_SHM_SIZE=4194304"), "{s}");
        assert!(!a.contains("IPCSPEC_SHM_SIZE"), "{a}");
        let p = args(Mode::Privileged, &full, ns);
        assert!(p.contains(" --privileged ") && !p.contains("--cap-add"), "{p}");
        let approx = PrivilegedAs::Approximated { missing: vec!["SYS_RESOURCE".into()] };
        let p = args(Mode::Privileged, &approx, ns);
        assert!(!p.contains("--privileged"), "{p}");
        assert!(
            p.contains("--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt label=disable --security-opt systempaths=unconfined"),
            "{p}"
        );
        assert!(p.contains("-e IPCSPEC_PRIVILEGED_MISSING_CAPS=SYS_RESOURCE"), "{p}");
        let note = approx.note().unwrap();
        assert!(note.starts_with("MODE APPROXIMATED") && note.contains("CAP_SYS_RESOURCE"), "{note}");
        assert_eq!(PrivilegedAs::Full.note(), None);
        // Without the host namespace, the variable is not invented.
        assert!(!args(Mode::Default, &full, None).contains("IPCSPEC_HOST_IPC_NS"));
    }

    #[test]
    fn capabilities_missing_from_a_bounding_set() {
        assert_eq!(missing_caps(0x1fffeffffff, 40), vec!["SYS_RESOURCE".to_string()]);
        assert_eq!(missing_caps(0x1ffffffffff, 40), Vec::<String>::new());
        assert_eq!(missing_caps(0x3fffffffff, 40), vec!["PERFMON", "BPF", "CHECKPOINT_RESTORE"]);
        assert_eq!(missing_caps(u64::MAX >> 1, 63).len(), 1);
        assert_eq!(unknown_capability(r#"docker: Error response from daemon: invalid CapAdd: unknown capability: "CAP_PERFMON"."#).as_deref(), Some("PERFMON"));
        assert_eq!(unknown_capability("unable to apply caps"), None);
    }

    #[test]
    fn the_guest_plan_carries_the_mode_and_no_kernel_crash() {
        let plan = Plan { binaries: vec![PlannedBinary { id: "fds::dup".into(), path: "/host/fds-dup".into(), serial: false, tests: vec!["a".into()] }] };
        let bundle = Bundle {
            root: "/b".into(),
            files: vec![],
            guest_plan: Plan { binaries: vec![PlannedBinary { id: "fds::dup".into(), path: "/ipcspec/bin/fds--dup".into(), serial: false, tests: vec![] }] },
            bytes: 0,
        };
        let exec = ExecutorSettings {
            parallel: 4,
            timeout: Duration::from_secs(30),
            time_scale: 1.0,
            batch: true,
            inject: Inject { panic_before: Some("fds::dup::a".into()), ..Inject::default() },
        };
        let spec = container_spec(Mode::ShmSmall, &PrivilegedAs::Full, "img", "o", Some("ipc:[1]"));
        let gp = run::guest_plan(&bundle, &plan, &[User::Root, User::Nobody], &exec, spec.env.clone());
        assert_eq!(gp.plan.binaries[0].path, PathBuf::from("/ipcspec/bin/fds--dup"));
        assert_eq!(gp.results, "-");
        assert_eq!(gp.work_dir, run::WORK_DIR);
        assert_eq!(gp.timeout_ms, 30_000);
        assert!(gp.limits.is_empty() && gp.disk.is_none());
        assert_eq!(gp.inject.panic_before, None);
        assert_eq!(gp.inject.hang, vec!["fds::dup::a/root".to_string()]);
        assert!(gp.env.contains(&(env::CONTAINER_MODE.into(), "shm-small".into())));
        assert!(gp.env.contains(&(env::SHM_SIZE.into(), "4194304".into())));
        assert!(gp.env.contains(&(env::HOST_IPC_NS.into(), "ipc:[1]".into())));
        let started = Record::Started { id: "fds::dup::a".into(), user: User::Root };
        assert!(run::kill_at(&exec.inject, &started).is_some_and(|w| w.contains("test-only fault")));
        assert_eq!(run::kill_at(&exec.inject, &Record::Started { id: "fds::dup::a".into(), user: User::Nobody }), None);
    }
}
