//! `vm:<kernel>`: one QEMU boot per kernel runs the whole plan, as root and then as nobody,
//! and its result stream becomes one column per user.
//!
//! check: QEMU is installed, the accelerator, the kernel fetched (or the bzImage given by
//! path validated). prepare: the bundle's base initramfs and its disk image of test binaries
//! (once for every VM of the run), then this VM's initramfs with its guest plan and kernel
//! config. run: boot and turn the stream into columns ([`VmMachine::run`]).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::guest_run;
use crate::kernels::{self, KernelImage, KernelRef};
use crate::model::{ColumnRun, Phases, User};
use crate::qemu;
use crate::target::{Ctx, Job, PrepareInput, Target, TargetKind, TargetSpec, Traits};
use crate::vm_column::VmMachine;

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
        Box::new(Vm { spec: spec.clone(), vm: VmMachine::new(kref) })
    }
}

pub struct Vm {
    spec: TargetSpec,
    vm: VmMachine,
}

impl Target for Vm {
    fn spec(&self) -> &TargetSpec {
        &self.spec
    }

    fn traits(&self) -> Traits {
        Traits { on_host_kernel: false, length_rank: 0, needs_bundle: true }
    }

    /// A kernel path is the user's input: refuse one that is no kernel before anything runs.
    fn validate(&self) -> Result<()> {
        if let KernelRef::Path(p) = &self.vm.kref {
            kernels::from_path(p)?;
        }
        Ok(())
    }

    fn check(&mut self, ctx: &Ctx, _users: &[User], phases: &mut Phases) -> Result<()> {
        self.vm.check(ctx, &self.spec, phases)
    }

    fn prepare(&mut self, ctx: &Ctx, input: &PrepareInput, phases: &mut Phases) -> Result<()> {
        let t = Instant::now();
        let b = input.bundle.context("a VM needs the bundle")?;
        let base = self.vm.pack(ctx, b, phases)?;
        let mut gp = guest_run::guest_plan(b, input.plan, input.users, &self.vm.executor(ctx));
        gp.results = "/dev/ttyS1".into();
        // A VM differs from the host in its kernel, not in its limits.
        gp.limits = crate::guest::host_limits();
        gp.disk = self.vm.guest_disk();
        let config = self.vm.kernel.as_ref().and_then(KernelImage::config_file);
        let path = VmMachine::initrd_path(ctx, &self.spec);
        self.vm.set_initrd(qemu::write_initrd(&base, &gp, config.as_deref(), &path)?);
        phases.bundle_ms += t.elapsed().as_millis() as u64;
        Ok(())
    }

    fn run(&self, ctx: &Ctx, job: &Job) -> Result<Vec<ColumnRun>> {
        let kernel = self.vm.kernel()?;
        self.vm.run(ctx, &self.spec, job, kernel.source.clone(), kernel.config_notes.clone())
    }

    fn kernel(&self) -> (Option<String>, Option<String>) {
        self.vm.release_and_source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest_run::GuestOutput;

    #[test]
    fn names() {
        let p = |s: &str| crate::target::parsed(&KIND, s);
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
