//! Builds the shim (src/faults.c) as a shared object in OUT_DIR with the C compiler the `cc`
//! crate finds; the library exposes its path as `ipcspec_faults::SHIM`.
//!
//! The shim is C, not a Rust cdylib: fcntl(2), open(2), ioctl(2), sem_open(3) and mq_open(3)
//! are variadic, and stable Rust cannot define a C-variadic function; and a cdylib would bring
//! Rust's std (allocator, TLS destructors, panics) into every process under test, where the
//! shim runs inside forked children of multi-threaded processes.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let src = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR")).join("src/faults.c");
    println!("cargo:rerun-if-changed={}", src.display());
    let so = out.join("libipcspec_faults.so");
    let compiler = cc::Build::new().opt_level(2).pic(true).warnings(true).cargo_metadata(false).get_compiler();
    let mut cmd: Command = compiler.to_command();
    cmd.args(["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-nonnull-compare", "-std=gnu11"])
        .arg("-o")
        .arg(&so)
        .arg(&src)
        .args(["-ldl", "-lpthread"]);
    let shown = format!("{} {}", cmd.get_program().to_string_lossy(), cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "));
    let status = cmd.status().unwrap_or_else(|e| panic!("running the C compiler ({shown}): {e}"));
    if !status.success() {
        panic!("compiling {} failed ({status}): {shown}", src.display());
    }
    println!("cargo:rustc-env=IPCSPEC_FAULTS_SHIM={}", so.display());
}
