//! Booting a kernel in QEMU with the bundle as its initramfs, and collecting the result
//! stream it writes to its second serial port.
//!
//! - ttyS0 (the kernel console) goes to `<log>.console.log`; ttyS1 (results) to
//!   `<log>.results.bin`, a host file, so whatever the guest wrote before it died is kept.
//! - KVM when /dev/kvm can be opened, otherwise TCG (`-cpu max`).
//! - Deadlines on the host side: no first record within the boot deadline, no byte for
//!   longer than a test's deadline plus a margin (the VM stopped answering), or the whole
//!   run past a budget proportional to the number of tests: QEMU is killed, and every test
//!   not yet reported becomes CRASH with the reason.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::frame::{Decoder, Diagnostic, Record};

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

/// What came back from one boot.
#[derive(Debug, Default)]
pub struct VmOutput {
    pub records: Vec<Record>,
    pub diagnostics: Vec<Diagnostic>,
    pub truncated: bool,
    /// Why the VM ended before its `done` record, when the host had to stop it.
    pub killed_because: Option<String>,
    pub qemu_status: Option<i32>,
    pub console_tail: String,
    pub boot_ms: Option<u64>,
    pub tests_ms: Option<u64>,
    pub teardown_ms: Option<u64>,
    pub total_ms: u64,
}

impl VmRequest {
    pub fn console_log(&self) -> PathBuf {
        with_suffix(&self.log_stem, ".console.log")
    }

    pub fn results_file(&self) -> PathBuf {
        with_suffix(&self.log_stem, ".results.bin")
    }

    pub fn args(&self) -> Vec<String> {
        let mut append = "console=ttyS0 quiet panic=-1 rdinit=/init".to_string();
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

/// Boot, stream, stop. `on_record` sees every record as it arrives (for progress).
pub fn run(req: &VmRequest, mut on_record: impl FnMut(&Record)) -> Result<VmOutput> {
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
    let mut child = cmd
        .args(req.args())
        .stdin(Stdio::null())
        .stdout(qemu_log.try_clone()?)
        .stderr(qemu_log)
        .spawn()
        .with_context(|| format!("starting {QEMU}"))?;
    let mut file = fs::File::open(&results_path)?;
    let mut dec = Decoder::default();
    let mut out = VmOutput::default();
    let mut last_byte = Instant::now();
    let mut hello_at: Option<Instant> = None;
    let mut done_at: Option<Instant> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let mut drain = |dec: &mut Decoder, out: &mut VmOutput, file: &mut fs::File, hello_at: &mut Option<Instant>, done_at: &mut Option<Instant>| -> bool {
        let mut got = false;
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
            got = true;
            dec.feed(&buf[..n]);
        }
        for r in dec.take_records() {
            match &r {
                Record::Hello { .. } if hello_at.is_none() => *hello_at = Some(Instant::now()),
                Record::Done { .. } => *done_at = Some(Instant::now()),
                _ => {}
            }
            on_record(&r);
            out.records.push(r);
        }
        got
    };
    loop {
        let exited = child.try_wait()?;
        if drain(&mut dec, &mut out, &mut file, &mut hello_at, &mut done_at) {
            last_byte = Instant::now();
        }
        if let Some(st) = exited {
            out.qemu_status = st.code();
            break;
        }
        let reason = if hello_at.is_none() && start.elapsed() > req.boot_deadline {
            Some(format!("the VM did not start the executor within {} s", req.boot_deadline.as_secs()))
        } else if hello_at.is_some() && done_at.is_none() && last_byte.elapsed() > req.silence_deadline {
            Some(format!("the VM stopped answering (nothing on the result port for {} s)", req.silence_deadline.as_secs()))
        } else if start.elapsed() > req.total_deadline {
            Some(format!("the VM ran past its deadline of {} s", req.total_deadline.as_secs()))
        } else if done_at.is_some_and(|t| t.elapsed() > Duration::from_secs(20)) {
            Some("the VM did not power off after its last result".to_string())
        } else {
            None
        };
        if let Some(r) = reason {
            let _ = child.kill();
            let st = child.wait()?;
            out.qemu_status = st.code();
            drain(&mut dec, &mut out, &mut file, &mut hello_at, &mut done_at);
            if done_at.is_none() {
                out.killed_because = Some(r);
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let end = Instant::now();
    let fin = dec.finish();
    out.records.extend(fin.records);
    out.diagnostics = fin.diagnostics;
    out.truncated = fin.truncated;
    out.console_tail = console_tail(&fs::read(req.console_log()).unwrap_or_default(), 40);
    out.boot_ms = hello_at.map(|h| (h - start).as_millis() as u64);
    out.tests_ms = match (hello_at, done_at) {
        (Some(h), Some(d)) => Some((d - h).as_millis() as u64),
        _ => None,
    };
    out.teardown_ms = done_at.map(|d| (end - d).as_millis() as u64);
    out.total_ms = (end - start).as_millis() as u64;
    Ok(out)
}

/// `stem` + `suffix` (a stem like `vm-6.1` has no real extension to replace).
pub fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The last `n` lines of the console, printable only.
pub fn console_tail(bytes: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.chars().filter(|c| !c.is_control() || *c == '\t').collect::<String>())
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
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
    fn console_tail_drops_control_bytes() {
        let t = console_tail(b"a\r\n\x1b[0mb\n\n\xffc\n", 2);
        assert_eq!(t, "[0mb\n\u{fffd}c");
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
        assert!(a.contains("-no-reboot") && a.contains("panic=-1") && a.contains("init=/nothing"), "{a}");
        assert!(a.contains("-accel tcg -cpu max"), "{a}");
    }
}
