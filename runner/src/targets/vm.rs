//! `vm:<kernel>`: one QEMU boot per kernel runs the whole plan, as root and then as nobody,
//! and its result stream becomes one column per user.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::bundle::{self, Bundle};
use crate::frame::Record;
use crate::guest::GuestPlan;
use crate::kernels::KernelImage;
use crate::model::{ColumnRun, Outcome, RunStatus, TestId, TestResult, Timings, User};
use crate::progress::Progress;
use crate::qemu::{self, Accel, VmOutput, VmRequest};
use crate::targets::{Inject, Plan, column_name};

/// How VMs are run.
#[derive(Clone, Debug)]
pub struct VmOptions {
    pub accel: Accel,
    pub memory_mb: u32,
    pub cpus: u32,
    pub time_scale: f64,
    /// Per-test deadline before scaling.
    pub test_timeout: Duration,
    /// Tests at once inside the guest.
    pub parallel: usize,
    pub extra_append: Option<String>,
    pub inject: Inject,
    /// Run each binary's tests in one process (only what does not pass there runs alone).
    pub batch: bool,
    /// The test binaries as a disk image (None: they are in the initramfs).
    pub disk: Option<PathBuf>,
}

/// Write the initramfs for one VM: the cached bundle archive plus a small archive with the
/// guest plan and, when there is one, the kernel's config (at [`GUEST_KERNEL_CONFIG`], named
/// to the tests by IPCSPEC_KERNEL_CONFIG: Debian's kernels have no /proc/config.gz, and
/// some claims depend on a config option, e.g. CONFIG_PROC_MEM_*). Returns its path.
pub fn initrd_for(
    base_cpio: &Path,
    bundle: &Bundle,
    plan: &Plan,
    users: &[User],
    opts: &VmOptions,
    kernel_config: Option<&Path>,
    path: &Path,
) -> Result<PathBuf> {
    let mut gp = guest_plan(bundle, plan, users, opts);
    let config = match kernel_config {
        Some(c) => {
            let data = fs::read(c).with_context(|| format!("reading the kernel config {}", c.display()))?;
            gp.env.push(("IPCSPEC_KERNEL_CONFIG".into(), GUEST_KERNEL_CONFIG.to_string()));
            Some(data)
        }
        None => None,
    };
    write_initrd(base_cpio, &gp, config.as_deref(), path)
}

/// Where the kernel's config is in the guest.
pub const GUEST_KERNEL_CONFIG: &str = "/ipcspec/kernel-config";

/// The bundle's archive plus a small one holding `gp` (and one with the kernel config).
pub fn write_initrd(base_cpio: &Path, gp: &GuestPlan, kernel_config: Option<&[u8]>, path: &Path) -> Result<PathBuf> {
    let plan_cpio = bundle::small_cpio(bundle::GUEST_PLAN, &serde_json::to_vec(&gp)?)?;
    let mut data = fs::read(base_cpio).with_context(|| format!("reading {}", base_cpio.display()))?;
    data.extend_from_slice(&plan_cpio);
    if let Some(c) = kernel_config {
        data.extend_from_slice(&bundle::small_cpio(GUEST_KERNEL_CONFIG, c)?);
    }
    fs::write(path, data).with_context(|| format!("writing {}", path.display()))?;
    Ok(path.to_path_buf())
}

/// The plan as the guest sees it: `plan`'s tests, with the binaries' paths inside the guest.
pub fn guest_plan(bundle: &Bundle, plan: &Plan, users: &[User], opts: &VmOptions) -> GuestPlan {
    let binaries = plan
        .binaries
        .iter()
        .map(|b| {
            let path = bundle
                .guest_plan
                .binaries
                .iter()
                .find(|g| g.id == b.id)
                .map(|g| g.path.clone())
                .unwrap_or_else(|| b.path.clone());
            crate::targets::PlannedBinary { path, ..b.clone() }
        })
        .collect();
    GuestPlan {
        plan: Plan { binaries },
        users: users.to_vec(),
        parallel: opts.parallel.max(1),
        timeout_ms: (opts.test_timeout.as_secs_f64() * opts.time_scale * 1000.0) as u64,
        time_scale: opts.time_scale,
        results: "/dev/ttyS1".into(),
        heartbeat_ms: 2000,
        work_dir: "/run/ipcspec".into(),
        inject: opts.inject.clone(),
        batch: opts.batch,
        limits: crate::guest::host_limits(),
        disk: opts.disk.as_ref().map(|_| crate::bundle::GUEST_DISK_DEVICE.to_string()),
        env: Vec::new(),
    }
}

/// Boot `kernel` with `initrd` and turn what comes back into one column per user.
#[allow(clippy::too_many_arguments)]
pub fn run(
    target: &str,
    kernel: &KernelImage,
    initrd: &Path,
    plan: &Plan,
    users: &[User],
    opts: &VmOptions,
    log_dir: &Path,
    progress: &Progress,
) -> Result<Vec<ColumnRun>> {
    let planned = plan.len() * users.len();
    let test_deadline = opts.test_timeout.mul_f64(opts.time_scale);
    let slots = opts.parallel.max(1) as u32;
    // A budget proportional to the work: boot, plus a generous per-test share, plus room
    // for a couple of tests that hang until their deadline.
    let per_test = Duration::from_millis(1500).mul_f64(opts.time_scale);
    let boot = Duration::from_secs(60).mul_f64(opts.time_scale);
    let total = boot + per_test * (planned as u32) / slots + test_deadline * 3;
    let req = VmRequest {
        vmlinuz: kernel.vmlinuz.clone(),
        initrd: initrd.to_path_buf(),
        accel: opts.accel,
        memory_mb: opts.memory_mb,
        cpus: opts.cpus,
        extra_append: opts.extra_append.clone(),
        disk: opts.disk.clone(),
        log_stem: log_dir.join(crate::util::file_stem(target)),
        boot_deadline: boot,
        silence_deadline: test_deadline + Duration::from_secs(30),
        total_deadline: total,
    };
    progress.update(target, "booting", 0, planned);
    let mut done = 0usize;
    let out = qemu::run(&req, |r| match r {
        Record::Result { .. } => {
            done += 1;
            progress.update(target, "running", done, planned);
        }
        Record::Hello { .. } => progress.update(target, "running", done, planned),
        _ => {}
    })?;
    progress.finish(target);
    Ok(columns_from(target, kernel, plan, users, &out))
}

/// Turn a VM's output into columns: every planned (test, user) gets exactly one result; those
/// the VM never reported are CRASH with the reason the VM ended. Pure.
pub fn columns_from(target: &str, kernel: &KernelImage, plan: &Plan, users: &[User], out: &VmOutput) -> Vec<ColumnRun> {
    let mut release = None;
    let mut notes: Vec<String> = kernel.config_notes.clone();
    let mut got: BTreeMap<(String, User), (Outcome, u64)> = BTreeMap::new();
    let mut running: BTreeSet<(String, User)> = BTreeSet::new();
    let mut done_seen = false;
    let mut extra = Vec::new();
    for r in &out.records {
        match r {
            Record::Hello { kernel_release, .. } => release = Some(kernel_release.clone()),
            Record::Started { id, user } => {
                running.insert((id.clone(), *user));
            }
            Record::Result { id, user, outcome, duration_ms } => {
                running.remove(&(id.clone(), *user));
                if let std::collections::btree_map::Entry::Vacant(e) = got.entry((id.clone(), *user)) {
                    e.insert((outcome.clone(), *duration_ms));
                } else {
                    extra.push(format!("duplicate result for {id} as {}: the first one is kept", user.name()));
                }
            }
            Record::Note { message } => notes.push(format!("guest: {message}")),
            Record::Done { .. } => done_seen = true,
            Record::Heartbeat { .. } => {}
        }
    }
    notes.extend(extra);
    for d in &out.diagnostics {
        notes.push(format!("result stream, byte {}: {}", d.offset, d.message));
    }
    let cause = if done_seen {
        None
    } else {
        let why = out
            .killed_because
            .clone()
            .or_else(|| qemu::crash_cause(&out.console_tail).map(|c| format!("the kernel crashed ({c})")))
            .unwrap_or_else(|| match out.qemu_status {
                Some(s) => format!("the VM ended (qemu exit status {s}) before reporting this test"),
                None => "the VM ended before reporting this test".to_string(),
            });
        Some(if release.is_none() { format!("the guest executor never started: {why}") } else { why })
    };
    let planned: BTreeSet<TestId> = plan.ids().into_iter().collect();
    for (id, u) in got.keys() {
        if TestId::parse(id).map_or(true, |t| !planned.contains(&t)) || !users.contains(u) {
            notes.push(format!("the guest reported a test that was not planned: {id} as {}", u.name()));
        }
    }
    let mut cols = Vec::new();
    for &user in users {
        let mut results = Vec::new();
        for id in plan.ids() {
            let key = (id.as_str().to_string(), user);
            let (outcome, duration_ms) = match got.get(&key) {
                Some((o, ms)) => (o.clone(), Some(*ms)),
                None => {
                    let base = cause.clone().unwrap_or_else(|| "the guest finished without reporting this test".into());
                    let reason = if running.contains(&key) { format!("{base} — while this test was running") } else { base };
                    (Outcome::Crash { reason }, None)
                }
            };
            results.push(TestResult { id, outcome, duration_ms });
        }
        let complete = results.iter().all(|r| got.contains_key(&(r.id.as_str().to_string(), user)));
        let mut diagnostics = notes.clone();
        if cause.is_some() && !out.console_tail.is_empty() {
            let tail: Vec<&str> = out.console_tail.lines().collect();
            let from = tail.len().saturating_sub(15);
            diagnostics.push(format!("last console lines:\n{}", tail[from..].join("\n")));
        }
        cols.push(ColumnRun {
            column: column_name(target, user),
            target: target.to_string(),
            kind: "vm".into(),
            user,
            kernel_release: release.clone().or_else(|| Some(kernel.release.clone())),
            kernel_source: Some(kernel.source.clone()),
            status: if complete && cause.is_none() {
                RunStatus::Complete
            } else {
                RunStatus::Incomplete { reason: cause.clone().unwrap_or_else(|| "some tests were not reported".into()) }
            },
            timings: Timings { boot_ms: out.boot_ms, tests_ms: out.tests_ms, teardown_ms: out.teardown_ms, total_ms: out.total_ms },
            results,
            diagnostics,
        });
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::PlannedBinary;

    fn kernel() -> KernelImage {
        KernelImage {
            name: "6.1".into(),
            vmlinuz: "/k".into(),
            release: "6.1.0-56-cloud-amd64".into(),
            source: "linux-image-6.1.0-56-cloud-amd64".into(),
            config_notes: vec![],
        }
    }

    fn plan() -> Plan {
        Plan {
            binaries: vec![PlannedBinary {
                id: "fds::dup".into(),
                path: "/b".into(),
                serial: false,
                tests: vec!["a".into(), "b".into(), "c".into()],
            }],
        }
    }

    fn result(id: &str, user: User, outcome: Outcome) -> Record {
        Record::Result { id: id.into(), user, outcome, duration_ms: 1 }
    }

    #[test]
    fn a_crash_part_way_keeps_what_was_reported() {
        let out = VmOutput {
            records: vec![
                Record::Hello { executor: "x".into(), kernel_release: "6.1.0-56-cloud-amd64".into(), time_scale: 1.0, parallel: 1, planned: 6 },
                Record::Started { id: "fds::dup::a".into(), user: User::Root },
                result("fds::dup::a", User::Root, Outcome::Pass),
                Record::Started { id: "fds::dup::b".into(), user: User::Root },
            ],
            console_tail: "[ 3.0] Kernel panic - not syncing: sysrq triggered crash".into(),
            qemu_status: Some(0),
            ..Default::default()
        };
        let cols = columns_from("vm:6.1", &kernel(), &plan(), &[User::Root, User::Nobody], &out);
        assert_eq!(cols.len(), 2);
        assert_eq!(cols[0].column, "vm:6.1");
        assert_eq!(cols[1].column, "vm:6.1/nobody");
        assert_eq!(cols[0].results[0].outcome, Outcome::Pass);
        match &cols[0].results[1].outcome {
            Outcome::Crash { reason } => {
                assert!(reason.contains("sysrq triggered crash") && reason.contains("while this test was running"), "{reason}")
            }
            o => panic!("{o:?}"),
        }
        assert!(matches!(cols[0].results[2].outcome, Outcome::Crash { .. }));
        assert!(cols[1].results.iter().all(|r| matches!(r.outcome, Outcome::Crash { .. })));
        assert!(matches!(cols[0].status, RunStatus::Incomplete { .. }));
    }

    #[test]
    fn a_vm_that_never_booted_crashes_every_cell() {
        let out = VmOutput { killed_because: Some("the VM did not start the executor within 60 s".into()), ..Default::default() };
        let cols = columns_from("vm:6.1", &kernel(), &plan(), &[User::Root], &out);
        assert_eq!(cols[0].results.len(), 3);
        for r in &cols[0].results {
            match &r.outcome {
                Outcome::Crash { reason } => assert!(reason.contains("never started"), "{reason}"),
                o => panic!("{o:?}"),
            }
        }
        assert_eq!(cols[0].kernel_release.as_deref(), Some("6.1.0-56-cloud-amd64"));
    }

    #[test]
    fn a_complete_run() {
        let mut records = vec![Record::Hello { executor: "x".into(), kernel_release: "6.1.0-56".into(), time_scale: 1.0, parallel: 1, planned: 3 }];
        for t in ["a", "b", "c"] {
            records.push(result(&format!("fds::dup::{t}"), User::Root, Outcome::Pass));
        }
        records.push(result("fds::dup::zzz", User::Root, Outcome::Pass));
        records.push(Record::Done { results: 3, duration_ms: 5 });
        let out = VmOutput { records, ..Default::default() };
        let cols = columns_from("vm:6.1", &kernel(), &plan(), &[User::Root], &out);
        assert_eq!(cols[0].status, RunStatus::Complete);
        assert_eq!(cols[0].counts().pass, 3);
        assert!(cols[0].diagnostics.iter().any(|d| d.contains("not planned")));
    }
}
