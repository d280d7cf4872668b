//! What every VM target (`vm:` and `vm:<kernel>+<mode>`) shares, its machine ([`VmMachine`]):
//! the accelerator, the time scale and the kernel settled in `check`, the bundle packed once
//! for every VM of the run, the initramfs and disk `prepare` leaves, and one VM column from
//! start to end (the QEMU request from the run's settings, the deadlines, and the target's
//! progress line fed from the result stream). Apart from qemu.rs because
//! it needs the orchestrator's context ([`Ctx`]), which itself names qemu's accelerator.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::bundle::Bundle;
use crate::guest_run::{self, ColumnInfo, ExecutorSettings};
use crate::kernels::{self, KernelImage, KernelRef};
use crate::model::{ColumnRun, Phases};
use crate::qemu::{self, Accel};
use crate::target::{Ctx, Job, TargetSpec};
use crate::util::file_stem;

/// A VM target's machine: what it boots and how fast it is expected to go. A target keeps
/// one and adds only what its guest does differently (a container in the VM).
pub struct VmMachine {
    pub kref: KernelRef,
    /// Known after [`VmMachine::check`].
    pub kernel: Option<KernelImage>,
    pub accel: Accel,
    pub time_scale: f64,
    /// Known after `prepare` ([`VmMachine::set_initrd`]).
    initrd: Option<PathBuf>,
    disk: Option<PathBuf>,
}

impl VmMachine {
    pub fn new(kref: KernelRef) -> VmMachine {
        VmMachine { kref, kernel: None, accel: Accel::Tcg, time_scale: 1.0, initrd: None, disk: None }
    }

    /// `check`: QEMU installed, the accelerator and time scale from the settings (or
    /// detected), the kernel resolved (fetched once into the cache); the time spent on the
    /// kernel goes to `phases`.
    pub fn check(&mut self, ctx: &Ctx, spec: &TargetSpec, phases: &mut Phases) -> Result<()> {
        qemu::check_installed()?;
        self.accel = ctx.settings.accel.unwrap_or_else(Accel::detect);
        self.time_scale = ctx.settings.time_scale.unwrap_or(self.accel.default_time_scale());
        let t = Instant::now();
        ctx.progress.say(&format!("kernel for {spec}: resolving"));
        let img = kernels::resolve(&self.kref, &ctx.settings.cache_dir, ctx.settings.refresh_kernels)?;
        ctx.progress.say(&format!("kernel for {spec}: {} ({})", img.release, img.source));
        self.kernel = Some(img);
        phases.kernels_ms += t.elapsed().as_millis() as u64;
        phases.accel = Some(self.accel.name().into());
        phases.time_scale = Some(self.time_scale);
        Ok(())
    }

    pub fn kernel(&self) -> Result<&KernelImage> {
        self.kernel.as_ref().context("the kernel was not resolved")
    }

    /// The resolved kernel's release and where it came from (both None before `check`).
    pub fn release_and_source(&self) -> (Option<String>, Option<String>) {
        self.kernel.as_ref().map_or((None, None), |k| (Some(k.release.clone()), Some(k.source.clone())))
    }

    /// The executor's settings at this machine's time scale.
    pub fn executor(&self, ctx: &Ctx) -> ExecutorSettings {
        ctx.settings.executor(self.time_scale)
    }

    /// The bundle packed for VMs (once for every VM of the run): its base initramfs and the
    /// disk with the test binaries (None: they are in the initramfs). Keeps the disk for the
    /// boot and notes the size in `phases`.
    pub fn pack(&mut self, ctx: &Ctx, b: &Bundle, phases: &mut Phases) -> Result<PathBuf> {
        let packed = ctx.shared.once(|| qemu::Packed(qemu::pack(b, &|m| ctx.progress.say(m)).map_err(|e| format!("{e:#}"))));
        let (base, disk, size) = packed.0.clone().map_err(anyhow::Error::msg)?;
        phases.initramfs_bytes = Some(size);
        self.disk = disk;
        Ok(base)
    }

    /// The guest's name for the disk of test binaries, when there is one.
    pub fn guest_disk(&self) -> Option<String> {
        self.disk.as_ref().map(|_| crate::bundle::GUEST_DISK_DEVICE.to_string())
    }

    /// Where this target's initramfs goes: `<logs>/<target>.initrd.cpio`.
    pub fn initrd_path(ctx: &Ctx, spec: &TargetSpec) -> PathBuf {
        ctx.log_dir.join(format!("{}.initrd.cpio", file_stem(spec.name())))
    }

    pub fn set_initrd(&mut self, path: PathBuf) {
        self.initrd = Some(path);
    }

    /// One VM boot from start to end: the request from the run's settings and this machine,
    /// the deadlines scaled for the job's results, the target's progress line kept up to date
    /// from the result stream, and the stream turned into the job's columns (the kernel's
    /// release; `source` and `notes` as the target describes its guest).
    pub fn run(&self, ctx: &Ctx, spec: &TargetSpec, job: &Job, source: String, notes: Vec<String>) -> Result<Vec<ColumnRun>> {
        let target = spec.name();
        let planned = job.plan.len() * job.users.len();
        let kernel = self.kernel()?;
        let initrd = self.initrd.as_ref().context("the initramfs was not written")?;
        let s = ctx.settings;
        let test_deadline = s.test_timeout.mul_f64(self.time_scale);
        let d = qemu::deadlines(planned, s.guest_parallel, test_deadline, self.time_scale).with_hangs(job.expected_hangs, test_deadline);
        let req = qemu::VmRequest {
            vmlinuz: kernel.vmlinuz.clone(),
            initrd: initrd.clone(),
            accel: self.accel,
            memory_mb: s.vm_memory_mb,
            cpus: s.vm_cpus,
            extra_append: s.extra_append.clone(),
            disk: self.disk.clone(),
            log_stem: ctx.log_dir.join(file_stem(target)),
            boot_deadline: d.boot,
            silence_deadline: d.silence,
            total_deadline: d.total,
        };
        let mut line = ctx.progress.stream(target, "booting", planned);
        let out = qemu::run(&req, |r| line.record(r))?;
        line.finish();
        let info = ColumnInfo { target: target.to_string(), kind: spec.kind().to_string(), release: kernel.release.clone(), source, notes };
        Ok(guest_run::columns_from(&info, job.plan, job.users, &out, &qemu::end_reason(&out)))
    }
}
