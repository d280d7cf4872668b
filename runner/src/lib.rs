//! ipcspec's runner: runs the suites on targets and reports which IPC semantics hold where.
//!
//! How it fits together (each module small, named for what it does):
//!
//! - [`model`]: test ids, outcomes, users, column runs — the vocabulary.
//! - [`discover`]: the suites (workspace packages under suites/), building their test
//!   binaries once, listing their tests.
//! - [`targets`]: where tests run — [`targets::host`] (cargo-nextest on this machine, read
//!   back from JUnit by [`nextest_junit`]), [`targets::vm`] (a QEMU VM per kernel),
//!   [`targets::docker`] (a container per mode on the host kernel), [`targets::gvisor`] (a
//!   gVisor sandbox per release) and [`targets::vm_container`] (a container mode inside a
//!   kernel's VM), on [`container`] (docker, the modes as OCI configurations, OCI runtimes
//!   started by the runner) and [`runtimes`] (runsc and crun from Debian).
//! - [`expectations`]: tests a target is known to fail (`docs/expectations/<kind>.toml`) become
//!   EXPECTED DEVIATION cells; a deviation that no longer happens is a failure.
//! - [`kernels`]: fetching and caching Debian's cloud kernels; validating a given bzImage.
//! - [`bundle`] + [`cpio`]: the test binaries, their libraries and /etc packed as the guest's
//!   root filesystem (an initramfs for VMs; the content of the docker targets' image).
//! - [`qemu`]: booting a VM with deadlines and reading its result port.
//! - [`guest`]: the executor inside the guest (PID 1 of the VM or container; it mounts only
//!   in a VM): runs each test in its own process with a deadline, as root and as nobody,
//!   streams records.
//! - [`frame`]: the framed, checksummed result stream between guest and host.
//! - [`classify`]: how a test process ended -> PASS / FAIL / SKIP / TIMEOUT / CRASH (one rule
//!   set for every target).
//! - [`execute`]: one run over targets — preflight, build, list, bundle, run, collect.
//! - [`report`]: terminal, Markdown, JSON, JUnit and HTML from one results document.
//! - [`catalog`]: every test's claim and source from its doc comment; [`branches`]: which
//!   tests branch on the environment and which variants they report; [`generated`]: the doc
//!   pages made from it ([`kernel_changes`], [`mechanisms`]: the mechanisms × properties
//!   table of docs/mechanisms.md), written and checked by `ipcspec catalog`;
//!   [`catalog_cache`]: a run's catalog kept for the next run on an unchanged tree.
//! - [`bench`]: `ipcspec bench`, what each mechanism costs (measured by bench/).
//! - [`claims`] + [`verify`]: a user's claims files and the verdict per claim and target;
//!   [`claims_readme`]: the generated page of the claims library, docs/claims/README.md.
//! - [`leaks`]: what a run left on the machine (IPC objects, scratch files, processes, locks,
//!   /proc/sys values), checked before and after every host run.
//! - [`leftovers`] + [`restore`]: nothing stays behind, whatever kills a test or the runner:
//!   what runners that are gone left is reaped at every start (and by `ipcspec restore`), the
//!   journal of changes to global state restored after every target.
//! - [`selfcheck`] + [`soak`]: does the suite catch broken implementations (the fault shim,
//!   runner/faults/), and does it pass run after run under load (docs/trust.md).
//! - [`cli`]: the command line.
pub mod bench;
pub mod branches;
pub mod bundle;
pub mod catalog;
pub mod catalog_cache;
pub mod claims;
pub mod claims_readme;
pub mod classify;
pub mod cli;
pub mod container;
pub mod cpio;
pub mod discover;
pub mod execute;
pub mod expectations;
pub mod frame;
pub mod generated;
pub mod guest;
pub mod guest_run;
pub mod kernel_changes;
pub mod kernels;
pub mod leaks;
pub mod leftovers;
pub mod mechanisms;
pub mod model;
pub mod nextest;
pub mod nextest_junit;
pub mod plan;
pub mod progress;
pub mod qemu;
pub mod report;
pub mod restore;
pub mod runtimes;
pub mod selfcheck;
pub mod soak;
pub mod target;
pub mod targets;
pub mod util;
pub mod verify;
pub mod vm_column;
