//! One VM column from start to end, what every VM target (`vm:` and `vm:<kernel>+<mode>`)
//! shares once its kernel and initramfs are ready: the QEMU request from the run's settings,
//! the deadlines, and the target's progress line fed from the result stream. Apart from
//! qemu.rs because it needs the orchestrator's context ([`Ctx`]), which itself names qemu's
//! accelerator.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::frame::Record;
use crate::guest_run::GuestOutput;
use crate::qemu::{self, Accel};
use crate::target::Ctx;

/// The machine a VM target boots: its kernel, initramfs and disk, the accelerator and the time
/// scale of its deadlines.
pub struct Machine<'a> {
    pub vmlinuz: &'a Path,
    pub initrd: &'a Path,
    pub disk: Option<PathBuf>,
    pub accel: Accel,
    pub time_scale: f64,
}

/// One VM column from start to end, as every VM target runs it (`vm:` and
/// `vm:<kernel>+<mode>`): the request from the run's settings and the target's accelerator
/// and time scale, the deadlines scaled for `planned` results, and the target's progress line
/// kept up to date from the result stream.
pub fn run_column(ctx: &Ctx, target: &str, m: Machine, planned: usize) -> Result<GuestOutput> {
    let Machine { vmlinuz, initrd, disk, accel, time_scale } = m;
    let s = ctx.settings;
    let d = qemu::deadlines(planned, s.guest_parallel, s.test_timeout.mul_f64(time_scale), time_scale);
    let req = qemu::VmRequest {
        vmlinuz: vmlinuz.to_path_buf(),
        initrd: initrd.to_path_buf(),
        accel,
        memory_mb: s.vm_memory_mb,
        cpus: s.vm_cpus,
        extra_append: s.extra_append.clone(),
        disk,
        log_stem: ctx.log_dir.join(crate::util::file_stem(target)),
        boot_deadline: d.boot,
        silence_deadline: d.silence,
        total_deadline: d.total,
    };
    ctx.progress.update(target, "booting", 0, planned);
    let mut done = 0usize;
    let out = qemu::run(&req, |r| match r {
        Record::Result { .. } => {
            done += 1;
            ctx.progress.update(target, "running", done, planned);
        }
        Record::Hello { .. } => ctx.progress.update(target, "running", done, planned),
        _ => {}
    })?;
    ctx.progress.finish(target);
    Ok(out)
}
