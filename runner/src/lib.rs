//! ipcspec's runner: runs the suites on targets and reports which IPC semantics hold where.
//!
//! How it fits together (each module small, named for what it does):
//!
//! - [`model`]: test ids, outcomes, users, column runs — the vocabulary.
//! - [`discover`]: the suites (workspace packages under suites/), building their test
//!   binaries once, listing their tests.
//! - [`targets`]: where tests run — [`targets::host`] (cargo-nextest on this machine, read
//!   back from JUnit by [`nextest_junit`]), [`targets::vm`] (a QEMU VM per kernel) and
//!   [`targets::docker`] (a container per mode on the host kernel).
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
//! - [`catalog`]: every test's claim and source from its doc comment.
//! - [`claims`] + [`verify`]: a user's claims file and the verdict per claim and target.
//! - [`leaks`]: what a run left on the machine (IPC objects, scratch files, processes, locks,
//!   /proc/sys values), checked before and after every host run.
//! - [`selfcheck`] + [`soak`]: does the suite catch broken implementations (the fault shim,
//!   runner/faults/), and does it pass run after run under load (docs/trust.md).
//! - [`cli`]: the command line.
pub mod bundle;
pub mod catalog;
pub mod claims;
pub mod classify;
pub mod cli;
pub mod cpio;
pub mod discover;
pub mod execute;
pub mod frame;
pub mod guest;
pub mod kernels;
pub mod leaks;
pub mod model;
pub mod nextest_junit;
pub mod progress;
pub mod qemu;
pub mod report;
pub mod selfcheck;
pub mod soak;
pub mod targets;
pub mod util;
pub mod verify;
