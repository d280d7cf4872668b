//! `ipcspec`: see the library's module map (runner/src/lib.rs) and docs/runner.md.

use clap::Parser;

fn main() {
    // Inside a VM the runner is the initramfs's /init.
    if ipcspec::guest::is_vm_init() {
        ipcspec::guest::vm_init_main();
    }
    if std::env::args().nth(1).as_deref() == Some(ipcspec::guest::HANG_ARG) {
        ipcspec::guest::hang_forever();
    }
    let cli = ipcspec::cli::Cli::parse();
    let code = match ipcspec::cli::main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ipcspec: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
