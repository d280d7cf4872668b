//! Builds the shim (src/faults.c) as a shared object in OUT_DIR with the C compiler the `cc`
//! crate finds, and the seccomp faults' control program (src/probe.c) next to it; the library
//! exposes their paths as `ipcspec_faults::SHIM` and `ipcspec_faults::PROBE`.
//!
//! The shim is C, not a Rust cdylib: fcntl(2), open(2), ioctl(2), sem_open(3) and mq_open(3)
//! are variadic, and stable Rust cannot define a C-variadic function; and a cdylib would bring
//! Rust's std (allocator, TLS destructors, panics) into every process under test, where the
//! shim runs inside forked children of multi-threaded processes. Its seccomp injector runs
//! in a SIGSYS handler that must be async-signal-safe and edits the interrupted registers
//! (ucontext), which C says directly.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let src = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR")).join("src");
    let compiler = cc::Build::new().opt_level(2).pic(true).warnings(true).cargo_metadata(false).get_compiler();
    let warnings = ["-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-nonnull-compare", "-std=gnu11"];

    let so = out.join("libipcspec_faults.so");
    let mut shim: Command = compiler.to_command();
    shim.args(["-shared", "-fPIC"])
        .args(warnings)
        // The variables' names come from the protocol crate, like everywhere else.
        .arg(format!("-DIPCSPEC_FAULT_ENV=\"{}\"", ipcspec_protocol::env::FAULT))
        .arg(format!("-DIPCSPEC_FAULT_LOG_ENV=\"{}\"", ipcspec_protocol::env::FAULT_LOG))
        .arg("-o")
        .arg(&so)
        .arg(src.join("faults.c"))
        .args(["-ldl", "-lpthread"]);
    compile(shim, &src.join("faults.c"));

    let probe = out.join("ipcspec-fault-probe");
    let mut cmd: Command = compiler.to_command();
    cmd.args(warnings).arg("-o").arg(&probe).arg(src.join("probe.c")).args(["-lpthread", "-lrt"]);
    compile(cmd, &src.join("probe.c"));

    println!("cargo:rustc-env=IPCSPEC_FAULTS_SHIM={}", so.display());
    println!("cargo:rustc-env=IPCSPEC_FAULTS_PROBE={}", probe.display());
}

fn compile(mut cmd: Command, src: &std::path::Path) {
    println!("cargo:rerun-if-changed={}", src.display());
    let shown = format!("{} {}", cmd.get_program().to_string_lossy(), cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "));
    let status = cmd.status().unwrap_or_else(|e| panic!("running the C compiler ({shown}): {e}"));
    if !status.success() {
        panic!("compiling {} failed ({status}): {shown}", src.display());
    }
}
