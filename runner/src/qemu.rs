//! Booting a kernel in QEMU with the bundle as its initramfs, and collecting the result
//! stream it writes to its second serial port (followed by [`crate::guest_run::follow`]).
//! Shared by every target that boots a VM.
//!
//! - ttyS0 (the kernel console) goes to `<log>.console.log`; ttyS1 (results) to
//!   `<log>.results.bin`, a host file, so whatever the guest wrote before it died is kept.
//! - KVM when /dev/kvm can be opened, otherwise TCG (`-cpu max`).
//! - Deadlines on the host side: no first record within the boot deadline, no byte for
//!   longer than a test's deadline plus a margin (the VM stopped answering), or the whole
//!   run past a budget proportional to the number of tests: QEMU is killed, and every test
//!   not yet reported becomes CRASH with the reason.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use ipcspec_protocol::env;

use crate::bundle;
use crate::frame::Record;
use crate::guest::GuestPlan;
use crate::guest_run::{self, Deadlines, GuestOutput, GuestProcess, Stall};
use crate::util::{console_tail, with_suffix};

pub const QEMU: &str = "qemu-system-x86_64";

/// Hardware acceleration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    /// KVM if /dev/kvm can be opened read-write and the CPU has virtualisation extensions
    /// (vmx/svm in /proc/cpuinfo), else TCG. The second check matters inside a VM without
    /// nested virtualisation: /dev/kvm opens there, but a guest never runs (seen here, in a
    /// Firecracker VM).
    pub fn detect() -> Accel {
        let dev = fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").is_ok();
        let ext = fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| cpu_has_virtualisation(&c));
        if dev && ext { Accel::Kvm } else { Accel::Tcg }
    }

    pub fn parse(s: &str) -> Result<Option<Accel>, String> {
        match s {
            "auto" => Ok(None),
            "kvm" => Ok(Some(Accel::Kvm)),
            "tcg" => Ok(Some(Accel::Tcg)),
            _ => Err(format!("unknown accelerator {s:?} (auto, kvm or tcg)")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }

    /// The default IPCSPEC_TIME_SCALE for guests on this accelerator.
    pub fn default_time_scale(self) -> f64 {
        match self {
            Accel::Kvm => 1.0,
            Accel::Tcg => 2.0,
        }
    }
}

/// True when a "flags" line of /proc/cpuinfo has vmx (Intel) or svm (AMD).
pub fn cpu_has_virtualisation(cpuinfo: &str) -> bool {
    cpuinfo
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"))
}

/// Check that QEMU is installed.
pub fn check_installed() -> Result<()> {
    if crate::util::on_path(QEMU) {
        Ok(())
    } else {
        bail!("{QEMU} is not installed: install it with `apt-get install qemu-system-x86` (Debian/Ubuntu)")
    }
}

/// One VM boot.
#[derive(Clone, Debug)]
pub struct VmRequest {
    pub vmlinuz: PathBuf,
    pub initrd: PathBuf,
    pub accel: Accel,
    pub memory_mb: u32,
    pub cpus: u32,
    /// Appended to the kernel command line (tests use it to break the boot on purpose).
    pub extra_append: Option<String>,
    /// A raw disk image attached read-only as an NVMe namespace (/dev/nvme0n1).
    pub disk: Option<PathBuf>,
    /// Files: `<log_stem>.console.log`, `.results.bin`, `.qemu.log`.
    pub log_stem: PathBuf,
    pub boot_deadline: Duration,
    /// No byte on the result port for this long: the VM stopped answering.
    pub silence_deadline: Duration,
    pub total_deadline: Duration,
}

impl VmRequest {
    pub fn console_log(&self) -> PathBuf {
        with_suffix(&self.log_stem, ".console.log")
    }

    pub fn results_file(&self) -> PathBuf {
        with_suffix(&self.log_stem, ".results.bin")
    }

    pub fn args(&self) -> Vec<String> {
        // tsc=reliable: no clocksource watchdog on the TSC. Under TCG on a loaded host its
        // read-back checks fail, the kernel marks the TSC unstable and flips the sched_clock
        // static key, and that code patching (int3 first) once killed a 7.2 guest: "Oops:
        // int3" in sched_clock_cpu from clocksource_watchdog_work (docs/findings.md). TCG's TSC
        // follows the host's clock, so it is as good a clocksource as the emulated HPET.
        let mut append = "console=ttyS0 quiet panic=-1 rdinit=/init tsc=reliable".to_string();
        if let Some(x) = &self.extra_append {
            append.push(' ');
            append.push_str(x);
        }
        let (accel, cpu) = match self.accel {
            Accel::Kvm => ("kvm", "host"),
            Accel::Tcg => ("tcg", "max"),
        };
        let mut a: Vec<String> = vec![
            "-accel".into(),
            accel.into(),
            "-cpu".into(),
            cpu.into(),
            "-m".into(),
            self.memory_mb.to_string(),
            "-smp".into(),
            self.cpus.to_string(),
            "-nodefaults".into(),
            "-display".into(),
            "none".into(),
            "-monitor".into(),
            "none".into(),
            "-no-reboot".into(),
            "-kernel".into(),
            self.vmlinuz.display().to_string(),
            "-initrd".into(),
            self.initrd.display().to_string(),
            "-append".into(),
            append,
        ];
        if let Some(d) = &self.disk {
            a.push("-drive".into());
            a.push(format!("file={},if=none,id=bundle,format=raw,readonly=on", d.display()));
            a.push("-device".into());
            a.push("nvme,drive=bundle,serial=ipcspec".into());
        }
        a.push("-serial".into());
        a.push(format!("file:{}", self.console_log().display()));
        a.push("-serial".into());
        a.push(format!("file:{}", self.results_file().display()));
        a
    }
}

/// Where the kernel's config is in the guest (named to the tests by IPCSPEC_KERNEL_CONFIG:
/// Debian's kernels have no /proc/config.gz, and some claims depend on a config option,
/// e.g. CONFIG_PROC_MEM_*).
pub const GUEST_KERNEL_CONFIG: &str = "/ipcspec/kernel-config";

/// A VM's initramfs: the bundle's archive, a small archive holding the guest plan `gp` and,
/// when there is one, one with the kernel's config (`gp` then names it to the tests).
/// Returns its path.
pub fn write_initrd(base_cpio: &Path, gp: &GuestPlan, kernel_config: Option<&Path>, path: &Path) -> Result<PathBuf> {
    let mut gp = gp.clone();
    let config = match kernel_config {
        Some(c) => {
            let data = fs::read(c).with_context(|| format!("reading the kernel config {}", c.display()))?;
            gp.env.push((env::KERNEL_CONFIG.into(), GUEST_KERNEL_CONFIG.to_string()));
            Some(data)
        }
        None => None,
    };
    let mut data = fs::read(base_cpio).with_context(|| format!("reading {}", base_cpio.display()))?;
    data.extend_from_slice(&bundle::small_cpio(bundle::GUEST_PLAN, &serde_json::to_vec(&gp)?)?);
    if let Some(c) = config {
        data.extend_from_slice(&bundle::small_cpio(GUEST_KERNEL_CONFIG, &c)?);
    }
    fs::write(path, data).with_context(|| format!("writing {}", path.display()))?;
    Ok(path.to_path_buf())
}

/// The bundle packed for VMs: its base initramfs and the disk image with the test binaries
/// (None without mke2fs: the binaries are then in the initramfs), and the size of both.
/// Every VM target of a run shares one (`ctx.shared.once(|| Packed(pack(...)))`).
pub struct Packed(pub Result<(PathBuf, Option<PathBuf>, u64), String>);

/// Pack `b` for VMs beside it (`bundle.cpio`, `bin.ext4`); `say` is told what is missing.
pub fn pack(b: &bundle::Bundle, say: &dyn Fn(&str)) -> Result<(PathBuf, Option<PathBuf>, u64)> {
    let dir = b.root.parent().context("the bundle has no directory")?;
    let (base, disk_path) = (dir.join("bundle.cpio"), dir.join("bin.ext4"));
    let disk = bundle::write_disk_image(b, &disk_path)?;
    if disk.is_none() {
        say("mke2fs (e2fsprogs) is not installed: the test binaries go into the initramfs (slower boots)");
    }
    let size = bundle::write_initramfs(b, &base, disk.is_none())? + disk.unwrap_or(0);
    Ok((base, disk.map(|_| disk_path), size))
}

/// A small cpio with `files` (path in the guest, content, mode), to append to an initramfs.
pub fn files_cpio(files: &[(String, Vec<u8>, u32)]) -> Result<Vec<u8>> {
    let mut w = crate::cpio::CpioWriter::new(Vec::new());
    let mut dirs: Vec<String> = Vec::new();
    for (p, _, _) in files {
        let mut d = std::path::Path::new(p.trim_start_matches('/')).parent();
        let mut chain = Vec::new();
        while let Some(x) = d.filter(|x| !x.as_os_str().is_empty()) {
            chain.push(x.to_string_lossy().into_owned());
            d = x.parent();
        }
        for x in chain.into_iter().rev() {
            if !dirs.contains(&x) {
                w.dir(&x, 0o755)?;
                dirs.push(x);
            }
        }
    }
    for (p, data, mode) in files {
        w.file(p.trim_start_matches('/'), *mode, data)?;
    }
    Ok(w.finish()?)
}

/// The host-side deadlines of a VM running `planned` test runs, `parallel` at once: no first
/// record within 60 s × scale (boot), no byte for a test's deadline + 30 s, and a budget
/// proportional to the work (boot, plus a generous 1.5 s × scale per test run, plus room for
/// a few tests that hang until their deadline).
pub fn deadlines(planned: usize, parallel: usize, test_deadline: Duration, time_scale: f64) -> Deadlines {
    let per_test = Duration::from_millis(1500).mul_f64(time_scale);
    let boot = Duration::from_secs(60).mul_f64(time_scale);
    let total = boot + per_test * (planned as u32) / (parallel.max(1) as u32) + test_deadline * 3;
    Deadlines { boot, silence: test_deadline + Duration::from_secs(30), total }
}

/// QEMU as a [`GuestProcess`]: killed at a deadline.
struct Qemu(std::process::Child);

impl GuestProcess for Qemu {
    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.0.try_wait()
    }

    fn stop(&mut self) -> std::io::Result<ExitStatus> {
        let _ = self.0.kill();
        self.0.wait()
    }

    fn describe(&self, stall: Stall) -> String {
        match stall {
            Stall::NoStart(d) => format!("the VM did not start the executor within {} s", d.as_secs()),
            Stall::Silent(d) => format!("the VM stopped answering (nothing on the result port for {} s)", d.as_secs()),
            Stall::PastDeadline(d) => format!("the VM ran past its deadline of {} s", d.as_secs()),
            Stall::NoExit => "the VM did not power off after its last result".to_string(),
        }
    }
}

/// Boot, stream, stop. `on_record` sees every record as it arrives (for progress).
pub fn run(req: &VmRequest, mut on_record: impl FnMut(&Record)) -> Result<GuestOutput> {
    let start = Instant::now();
    if let Some(d) = req.log_stem.parent() {
        fs::create_dir_all(d)?;
    }
    let results_path = req.results_file();
    fs::write(&results_path, b"").with_context(|| format!("creating {}", results_path.display()))?;
    fs::write(req.console_log(), b"")?;
    let qemu_log = fs::File::create(with_suffix(&req.log_stem, ".qemu.log"))?;
    let mut cmd = Command::new(QEMU);
    // SAFETY: prctl is async-signal-safe. QEMU dies with the runner (no orphaned VMs when
    // the runner is interrupted).
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let child = cmd
        .args(req.args())
        .stdin(Stdio::null())
        .stdout(qemu_log.try_clone()?)
        .stderr(qemu_log)
        .spawn()
        .with_context(|| format!("starting {QEMU}"))?;
    let mut file = fs::File::open(&results_path)?;
    let deadlines = Deadlines { boot: req.boot_deadline, silence: req.silence_deadline, total: req.total_deadline };
    let mut out = guest_run::follow(&mut Qemu(child), &mut file, start, &deadlines, |r, _| on_record(r))?;
    let console = fs::read(req.console_log()).unwrap_or_default();
    out.console_tail = console_tail(&console, 40);
    out.crash = crash_cause(&String::from_utf8_lossy(&console));
    Ok(out)
}

/// Why a VM ended before its last record: the host's deadline, else the kernel's panic line
/// on its console, else QEMU's exit status.
pub fn end_reason(out: &GuestOutput) -> String {
    out.killed_because
        .clone()
        .or_else(|| out.crash.clone().or_else(|| crash_cause(&out.console_tail)).map(|c| format!("the kernel crashed ({c})")))
        .unwrap_or_else(|| match out.exit_status {
            Some(s) => format!("the VM ended (qemu exit status {s}) before reporting this test"),
            None => "the VM ended before reporting this test".to_string(),
        })
}

/// Why a kernel died, from its console: the panic line, or an oops.
pub fn crash_cause(console: &str) -> Option<String> {
    for key in ["Kernel panic - not syncing:", "BUG:", "Oops:", "general protection fault"] {
        if let Some(l) = console.lines().find(|l| l.contains(key)) {
            let at = l.find(key).unwrap_or(0);
            return Some(l[at..].trim().to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtualisation_flags() {
        assert!(cpu_has_virtualisation("flags\t\t: fpu vme vmx sse\n"));
        assert!(!cpu_has_virtualisation("flags\t\t: fpu vme hypervisor\nmodel name: vmx\n"));
    }

    #[test]
    fn finds_the_panic_line() {
        let c = "[    1.0] foo\n[    2.1] Kernel panic - not syncing: sysrq triggered crash\n[    2.2] CPU: 0 PID: 1\n";
        assert_eq!(crash_cause(c).as_deref(), Some("Kernel panic - not syncing: sysrq triggered crash"));
        assert_eq!(crash_cause("all fine"), None);
    }

    #[test]
    fn command_line_has_two_serial_ports_and_no_reboot() {
        let r = VmRequest {
            vmlinuz: "/k".into(),
            initrd: "/i".into(),
            accel: Accel::Tcg,
            memory_mb: 1536,
            cpus: 2,
            extra_append: Some("init=/nothing".into()),
            disk: None,
            log_stem: "/tmp/x/vm-6.1".into(),
            boot_deadline: Duration::from_secs(1),
            silence_deadline: Duration::from_secs(1),
            total_deadline: Duration::from_secs(1),
        };
        let a = r.args().join(" ");
        assert!(a.contains("-serial file:/tmp/x/vm-6.1.console.log -serial file:/tmp/x/vm-6.1.results.bin"), "{a}");
        assert!(a.contains("-no-reboot") && a.contains("panic=-1") && a.contains("tsc=reliable") && a.contains("init=/nothing"), "{a}");
        assert!(a.contains("-accel tcg -cpu max"), "{a}");
    }
}
