//! `vm:<kernel>+<mode>`: a container mode inside a kernel's VM (issue 21) — the suites in a
//! container set up exactly as `docker run` sets up that mode (the mode's OCI configuration,
//! [`crate::container::oci`]), started by an OCI runtime (crun from Debian, fetched with its
//! libraries: [`crate::runtimes::crun`]) inside a QEMU VM of that kernel.
//!
//! The VM boots as for `vm:<kernel>` (same initramfs and test-binary disk, the kernel's
//! config), plus crun and its libraries; its init (runner/src/guest.rs) makes the container's
//! root (a tmpfs with the bundle's directories bound in), writes the configuration and runs
//! `crun --cgroup-manager=disabled run --no-pivot --bundle /run/ipcspec-oci ipcspec` (no
//! pivot_root: the VM's root is the initramfs, which cannot be pivoted away; no cgroups: the
//! VM has no cgroup manager); the guest executor is the container's process and its result
//! stream goes straight to the VM's result port. Everything else — deadlines, never losing a
//! result, the columns — is the VM's.
//!
//! Where docker and this disagree on the host's kernel (`vm:<host-like kernel>+default` and
//! `docker:default`), that is a finding (docs/findings.md).

use std::time::Instant;

use anyhow::{Context, Result};

use crate::bundle::GUEST_EXECUTOR;
use crate::container::modes::{Mode, PrivilegedAs, mode_env};
use crate::container::oci::{self, seccomp::kernel_version};
use crate::container::run as docker_run;
use crate::guest::GuestContainer;
use crate::kernels::{self, KernelImage, KernelRef};
use crate::model::{ColumnRun, Phases, User};
use crate::qemu;
use crate::runtimes::{self, Runtime};
use crate::target::{Ctx, Job, PrepareInput, Target, TargetKind, TargetSpec, Traits};
use crate::util::file_stem;
use crate::vm_column::VmMachine;

pub struct Kind;
pub static KIND: Kind = Kind;

/// Where the init keeps the container's bundle in the VM.
pub const GUEST_BUNDLE: &str = "/run/ipcspec-oci";
/// The directories of the VM's root the container gets (what the bundle image has).
pub const BINDS: [&str; 5] = ["ipcspec", "lib", "lib64", "etc", "usr"];

/// `6.1+default` -> (kernel, mode). Pure.
pub fn split(arg: &str) -> Option<(&str, &str)> {
    arg.rsplit_once('+')
}

impl TargetKind for Kind {
    fn name(&self) -> &'static str {
        "vm-container"
    }

    fn usage(&self) -> String {
        format!("vm:<kernel>+<mode> (a mode of docker:<mode> in a VM: {})", Mode::ALL.map(|m| m.name()).join(", "))
    }

    fn parse(&self, s: &str) -> Option<Result<TargetSpec, String>> {
        let arg = s.strip_prefix("vm:")?;
        let (k, m) = split(arg)?;
        // Not ours unless it names a mode or a Debian kernel (a bzImage path may hold a `+`).
        if Mode::parse(m).is_err() && kernels::known(k).is_none() {
            return None;
        }
        let kernel = match KernelRef::parse(k) {
            Ok(KernelRef::Debian(n)) => n,
            Ok(KernelRef::Path(_)) => return Some(Err(format!("{s:?}: a container mode runs in one of the Debian kernels ({})", kernels::known_kernels_text()))),
            Err(e) => return Some(Err(format!("{s:?}: {e}"))),
        };
        Some(match Mode::parse(m) {
            Ok(mode) => Ok(TargetSpec::new("vm-container", format!("vm:{kernel}+{}", mode.name()))),
            Err(_) => Err(format!("{s:?}: unknown container mode {m:?}. Modes: {}", Mode::ALL.map(|m| m.name()).join(", "))),
        })
    }

    fn allows_root(&self, spec: &TargetSpec) -> bool {
        split(spec.arg()).and_then(|(_, m)| Mode::parse(m).ok()).is_none_or(Mode::allows_root)
    }

    fn create(&self, spec: &TargetSpec) -> Box<dyn Target> {
        let (k, m) = split(spec.arg()).unwrap_or_else(|| unreachable!("parsed by this kind"));
        Box::new(VmContainer {
            spec: spec.clone(),
            vm: VmMachine::new(KernelRef::Debian(k.to_string())),
            mode: Mode::parse(m).unwrap_or(Mode::Default),
            runtime: None,
        })
    }
}

pub struct VmContainer {
    spec: TargetSpec,
    vm: VmMachine,
    mode: Mode,
    /// crun, known after `check`.
    runtime: Option<Runtime>,
}

impl VmContainer {
    /// Where its tests run: the kernel's source, in a container of this mode (run by crun,
    /// once fetched).
    fn source(&self, kernel: &KernelImage) -> String {
        match &self.runtime {
            Some(rt) => format!("{}, in a container (mode {}, {})", kernel.source, self.mode.name(), rt.describe()),
            None => format!("{}, in a container (mode {})", kernel.source, self.mode.name()),
        }
    }

    /// The container: crun's command line and the mode's configuration for this kernel.
    fn container(&self, kernel: &KernelImage) -> Result<GuestContainer> {
        let config = oci::config(
            self.mode,
            &oci::Options {
                args: [GUEST_EXECUTOR, "guest", "--plan", "-", "--results", "-"].map(String::from).to_vec(),
                // IPCSPEC_HOST_IPC_NS is the VM's, added by its init.
                env: mode_env(self.mode, None),
                hostname: format!("ipcspec-{}", self.mode.name()),
                root: "rootfs".into(),
                // docker's containers inherit the daemon's limits, which are the host's here.
                rlimits: crate::guest::host_limits(),
                // The profile's minKernel rules, on the kernel docker would run on: the VM's.
                kernel: kernel_version(&kernel.release).unwrap_or((0, 0)),
                // A VM's root has every capability: a real --privileged.
                privileged: PrivilegedAs::Full,
                // The container is in a network namespace of its own, as under docker's
                // bridge: IPv6 off, as docker leaves it.
                docker_network: true,
            },
        )
        .map_err(anyhow::Error::msg)?;
        Ok(GuestContainer {
            runtime: runtimes::GUEST_CRUN.into(),
            args: ["--cgroup-manager=disabled", "run", "--no-pivot", "--bundle", GUEST_BUNDLE].map(String::from).to_vec(),
            bundle: GUEST_BUNDLE.into(),
            id: "ipcspec".into(),
            config: serde_json::to_value(&config)?,
            binds: BINDS.map(String::from).to_vec(),
            host_ipc_ns: true,
        })
    }
}

impl Target for VmContainer {
    fn spec(&self) -> &TargetSpec {
        &self.spec
    }

    fn traits(&self) -> Traits {
        Traits { on_host_kernel: false, length_rank: 0, needs_bundle: true }
    }

    fn check(&mut self, ctx: &Ctx, _users: &[User], phases: &mut Phases) -> Result<()> {
        self.vm.check(ctx, &self.spec, phases)?;
        // crun is fetched like a kernel: its time counts as the kernels'.
        let t = Instant::now();
        let rt = runtimes::crun(&ctx.settings.cache_dir, ctx.settings.refresh_kernels)?;
        ctx.progress.say(&format!("runtime for {}: {}", self.spec, rt.describe()));
        self.runtime = Some(rt);
        phases.kernels_ms += t.elapsed().as_millis() as u64;
        Ok(())
    }

    fn prepare(&mut self, ctx: &Ctx, input: &PrepareInput, phases: &mut Phases) -> Result<()> {
        let t = Instant::now();
        let b = input.bundle.context("a VM needs the bundle")?;
        let kernel = self.vm.kernel()?.clone();
        let rt = self.runtime.as_ref().context("crun was not fetched")?;
        for lib in &rt.meta.from_bundle {
            let rel = lib.trim_start_matches('/');
            if !b.files.iter().any(|f| f == rel) {
                anyhow::bail!("crun needs {lib}, which the bundle does not carry (the host's C library is not the one crun {} was built for)", rt.meta.version);
            }
        }
        let base = self.vm.pack(ctx, b, phases)?;
        let mut gp = docker_run::guest_plan(b, input.plan, input.users, &self.vm.executor(ctx), mode_env(self.mode, None));
        gp.results = "/dev/ttyS1".into();
        gp.disk = self.vm.guest_disk();
        gp.container = Some(self.container(&kernel)?);
        let config = kernel.config_file();
        let path = VmMachine::initrd_path(ctx, &self.spec);
        qemu::write_initrd(&base, &gp, config.as_deref(), &path)?;
        // crun and its libraries.
        let mut files = Vec::new();
        for (rel, guest) in &rt.meta.files {
            let data = std::fs::read(rt.dir.join(rel)).with_context(|| format!("reading {}", rt.dir.join(rel).display()))?;
            files.push((guest.clone(), data, 0o755));
        }
        let mut data = std::fs::read(&path)?;
        data.extend_from_slice(&qemu::files_cpio(&files)?);
        std::fs::write(&path, data)?;
        let _ = std::fs::write(ctx.log_dir.join(format!("{}.config.json", file_stem(self.spec.name()))), serde_json::to_vec_pretty(&gp.container.as_ref().map(|c| &c.config))?);
        self.vm.set_initrd(path);
        phases.bundle_ms += t.elapsed().as_millis() as u64;
        Ok(())
    }

    fn run(&self, ctx: &Ctx, job: &Job) -> Result<Vec<ColumnRun>> {
        let target = self.spec.name();
        let kernel = self.vm.kernel()?;
        let rt = self.runtime.as_ref().context("crun was not fetched")?;
        let mut notes = kernel.config_notes.clone();
        notes.push(format!(
            "docker's {} mode as an OCI configuration (logs/{}.config.json), run by {} in the VM",
            self.mode.name(),
            file_stem(target),
            rt.describe()
        ));
        self.vm.run(ctx, &self.spec, job, self.source(kernel), notes)
    }

    /// The kernel's release, and a source that says the tests ran in a container, as the
    /// columns of a run say it — also when the target failed before it ran.
    fn kernel(&self) -> (Option<String>, Option<String>) {
        (self.vm.kernel.as_ref().map(|k| k.release.clone()), self.vm.kernel.as_ref().map(|k| self.source(k)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let p = |s: &str| crate::target::parsed(&KIND, s);
        assert_eq!(p("vm:6.1"), None, "a plain kernel is the vm kind's");
        assert_eq!(p("vm:bookworm+default"), Some(Ok("vm:6.1+default".into())));
        assert_eq!(p("vm:7.2+nonroot"), Some(Ok("vm:7.2+nonroot".into())));
        assert!(p("vm:7.2+rootless").unwrap().unwrap_err().contains("unknown container mode"));
        assert!(p("vm:4.19+default").unwrap().unwrap_err().contains("unknown kernel"));
        assert!(p("vm:/boot/vmlinuz+default").unwrap().unwrap_err().contains("Debian kernels"));
        assert_eq!(p("docker:default"), None);
        assert_eq!(p("vm:/boot/vmlinuz-6.1+deb12"), None, "a path with a `+` is the vm kind's");
        let nonroot = KIND.parse("vm:6.1+nonroot").unwrap().unwrap();
        assert!(!KIND.allows_root(&nonroot));
        assert!(KIND.allows_root(&KIND.parse("vm:6.1+default").unwrap().unwrap()));
        assert_eq!(KIND.create(&nonroot).spec(), &nonroot);
    }

    #[test]
    fn the_container_is_the_modes_configuration_for_the_vms_kernel() {
        let spec = KIND.parse("vm:5.10+shm-small").unwrap().unwrap();
        let t = VmContainer { spec, vm: VmMachine::new(KernelRef::Debian("5.10".into())), mode: Mode::ShmSmall, runtime: None };
        let k = KernelImage { name: "5.10".into(), vmlinuz: "/k".into(), release: "5.10.0-35-cloud-amd64".into(), source: "x".into(), config_notes: vec![] };
        assert_eq!(t.source(&k), "x, in a container (mode shm-small)");
        let c = t.container(&k).unwrap();
        assert_eq!(c.runtime, "/ipcspec/oci/crun");
        assert_eq!(c.args.join(" "), "--cgroup-manager=disabled run --no-pivot --bundle /run/ipcspec-oci");
        let cfg: oci::Spec = serde_json::from_value(c.config).unwrap();
        assert_eq!(cfg.mount("/dev/shm").unwrap().options.last().unwrap(), "size=4194304");
        assert!(cfg.process.env.contains(&"IPCSPEC_CONTAINER_MODE=shm-small".to_string()));
        assert_eq!(cfg.linux.sysctl.get("net.ipv6.conf.all.disable_ipv6").map(String::as_str), Some("1"));
        assert_eq!(cfg.process.args[0], GUEST_EXECUTOR);
        assert!(c.host_ipc_ns && c.binds.contains(&"ipcspec".to_string()));
    }
}
