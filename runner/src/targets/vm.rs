//! `vm:<kernel>`: one QEMU boot per kernel runs the whole plan, as root and then as nobody,
//! and its result stream becomes one column per user.
//!
//! check: QEMU is installed, the accelerator, the kernel fetched (or the bzImage given by
//! path validated). prepare: the bundle's base initramfs and its disk image of test binaries
//! (once for every VM of the run), then this VM's initramfs with its guest plan and kernel
//! config. run: boot ([`crate::qemu::run`]) and turn the stream into columns
//! ([`crate::guest_run::columns_from`]).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::bundle;
use crate::guest_run::{self, ColumnInfo, ExecutorSettings};
use crate::kernels::{self, KernelImage, KernelRef};
use crate::model::{ColumnRun, Phases, User};
use crate::qemu::{self, Accel};
use crate::target::{Ctx, Job, PrepareInput, Target, TargetKind, TargetSpec};
use crate::util::file_stem;

pub struct Kind;
pub static KIND: Kind = Kind;

impl TargetKind for Kind {
    fn name(&self) -> &'static str {
        "vm"
    }

    fn usage(&self) -> String {
        format!("vm:<kernel> ({}), vm:/path/to/bzImage", kernels::known_kernels_text())
    }

    fn parse(&self, s: &str) -> Option<Result<TargetSpec, String>> {
        let k = s.strip_prefix("vm:")?;
        Some(match KernelRef::parse(k) {
            Ok(kref) => Ok(TargetSpec::new("vm", format!("vm:{}", kref.name()))),
            Err(e) => Err(format!("{s:?}: {e}; or give a path to a bzImage (vm:/path/to/vmlinuz)")),
        })
    }

    fn create(&self, spec: &TargetSpec) -> Box<dyn Target> {
        let kref = KernelRef::parse(spec.arg()).unwrap_or_else(|_| KernelRef::Path(PathBuf::from(spec.arg())));
        Box::new(Vm { spec: spec.clone(), kref, kernel: None, accel: Accel::Tcg, time_scale: 1.0, initrd: None, disk: None })
    }
}

pub struct Vm {
    spec: TargetSpec,
    kref: KernelRef,
    /// Known after `check`.
    kernel: Option<KernelImage>,
    accel: Accel,
    time_scale: f64,
    /// Known after `prepare`.
    initrd: Option<PathBuf>,
    disk: Option<PathBuf>,
}

impl Vm {
    fn executor(&self, ctx: &Ctx) -> ExecutorSettings {
        ExecutorSettings {
            parallel: ctx.settings.guest_parallel,
            timeout: ctx.settings.test_timeout.mul_f64(self.time_scale),
            time_scale: self.time_scale,
            batch: ctx.settings.guest_batch,
            inject: ctx.settings.inject.clone(),
        }
    }
}

impl Target for Vm {
    fn spec(&self) -> &TargetSpec {
        &self.spec
    }

    fn on_host_kernel(&self) -> bool {
        false
    }

    fn length_rank(&self) -> u8 {
        0
    }

    fn needs_bundle(&self) -> bool {
        true
    }

    /// A kernel path is the user's input: refuse one that is no kernel before anything runs.
    fn validate(&self) -> Result<()> {
        if let KernelRef::Path(p) = &self.kref {
            kernels::from_path(p)?;
        }
        Ok(())
    }

    fn check(&mut self, ctx: &Ctx, _users: &[User], phases: &mut Phases) -> Result<()> {
        qemu::check_installed()?;
        self.accel = ctx.settings.accel.unwrap_or_else(Accel::detect);
        self.time_scale = ctx.settings.time_scale.unwrap_or(self.accel.default_time_scale());
        let t = Instant::now();
        ctx.progress.say(&format!("kernel for {}: resolving", self.spec));
        let img = kernels::resolve(&self.kref, &ctx.settings.cache_dir, ctx.settings.refresh_kernels)?;
        ctx.progress.say(&format!("kernel for {}: {} ({})", self.spec, img.release, img.source));
        self.kernel = Some(img);
        phases.kernels_ms += t.elapsed().as_millis() as u64;
        phases.accel = Some(self.accel.name().into());
        phases.time_scale = Some(self.time_scale);
        Ok(())
    }

    fn prepare(&mut self, ctx: &Ctx, input: &PrepareInput, phases: &mut Phases) -> Result<()> {
        let t = Instant::now();
        let b = input.bundle.context("a VM needs the bundle")?;
        let packed = ctx.shared.once(|| qemu::Packed(qemu::pack(b, &|m| ctx.progress.say(m)).map_err(|e| format!("{e:#}"))));
        let (base, disk, size) = packed.0.clone().map_err(anyhow::Error::msg)?;
        phases.initramfs_bytes = Some(size);
        let mut gp = guest_run::guest_plan(b, input.plan, input.users, &self.executor(ctx));
        gp.results = "/dev/ttyS1".into();
        // A VM differs from the host in its kernel, not in its limits.
        gp.limits = crate::guest::host_limits();
        gp.disk = disk.as_ref().map(|_| bundle::GUEST_DISK_DEVICE.to_string());
        let config = self.kernel.as_ref().and_then(KernelImage::config_file);
        let path = ctx.log_dir.join(format!("{}.initrd.cpio", file_stem(self.spec.name())));
        self.initrd = Some(qemu::write_initrd(&base, &gp, config.as_deref(), &path)?);
        self.disk = disk;
        phases.bundle_ms += t.elapsed().as_millis() as u64;
        Ok(())
    }

    fn run(&self, ctx: &Ctx, job: &Job) -> Result<Vec<ColumnRun>> {
        let target = self.spec.name();
        let kernel = self.kernel.as_ref().context("the kernel was not resolved")?;
        let initrd = self.initrd.as_ref().context("the initramfs was not written")?;
        let planned = job.plan.len() * job.users.len();
        let out = crate::vm_column::run_column(ctx, target, crate::vm_column::Machine { vmlinuz: &kernel.vmlinuz, initrd, disk: self.disk.clone(), accel: self.accel, time_scale: self.time_scale }, planned)?;
        let info = ColumnInfo {
            target: target.to_string(),
            kind: "vm".into(),
            release: kernel.release.clone(),
            source: kernel.source.clone(),
            notes: kernel.config_notes.clone(),
        };
        Ok(guest_run::columns_from(&info, job.plan, job.users, &out, &qemu::end_reason(&out)))
    }

    fn kernel(&self) -> (Option<String>, Option<String>) {
        KernelImage::release_and_source(self.kernel.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest_run::GuestOutput;

    #[test]
    fn names() {
        let p = |s: &str| KIND.parse(s).map(|r| r.map(|t| t.to_string()));
        assert_eq!(p("host"), None);
        assert_eq!(p("vm:trixie"), Some(Ok("vm:6.12".into())));
        assert_eq!(p("vm:./bzImage"), Some(Ok("vm:./bzImage".into())));
        let e = p("vm:").unwrap().unwrap_err();
        assert!(e.contains("name a kernel") && e.contains("bullseye"), "{e}");
        let spec = KIND.parse("vm:/k/vmlinuz").unwrap().unwrap();
        assert!(KIND.create(&spec).validate().is_err(), "a path that is no kernel is refused");
    }

    #[test]
    fn why_a_vm_ended() {
        let mut out = GuestOutput { console_tail: "[ 3.0] Kernel panic - not syncing: sysrq triggered crash".into(), exit_status: Some(0), ..Default::default() };
        assert_eq!(qemu::end_reason(&out), "the kernel crashed (Kernel panic - not syncing: sysrq triggered crash)");
        out.killed_because = Some("the VM stopped answering".into());
        assert_eq!(qemu::end_reason(&out), "the VM stopped answering");
        let out = GuestOutput { exit_status: Some(1), ..Default::default() };
        assert_eq!(qemu::end_reason(&out), "the VM ended (qemu exit status 1) before reporting this test");
        // The panic line scrolled out of the tail behind a long call trace.
        let out = GuestOutput { crash: Some("Kernel panic - not syncing: Oops".into()), console_tail: "[ 3.0]  ? do_syscall_64+0x69/0x90".into(), ..Default::default() };
        assert_eq!(qemu::end_reason(&out), "the kernel crashed (Kernel panic - not syncing: Oops)");
    }
}
