//! The seccomp faults' control programs: each fault changes behaviour, on every path to the
//! kernel, and nothing else does.
//!
//! `ipcspec_faults::PROBE <fault>` (runner/faults/src/probe.c) makes the system calls a fault's
//! filter traps, through libc and as raw syscall(2)s, and prints one line saying what the
//! kernel did. For every seccomp fault the line must be the documented one without the
//! library, with the library and no fault, and with the passthrough filter (every seccomp
//! rule trapped, every call made unchanged); and the documented faulty one with the fault.
//! Then: the fault leaves the other faults' controls alone (its filter traps only its calls),
//! and the situations the handler must survive — exec (the library re-preloaded; a raw
//! execve that drops it dies of SIGSYS, the documented limit), every signal blocked, a
//! handler with a full sa_mask, threads, fork, vfork, a program's own SIGSYS handler.

use std::process::{Command, Output};

use ipcspec_faults::{FAULT_ENV, FAULTS, Injector, LOG_ENV, PASSTHROUGH, PROBE, SHIM};

#[derive(Clone, Copy, Debug)]
enum Setup<'a> {
    /// No library.
    Plain,
    /// The library preloaded, no fault.
    Shim,
    /// The library with IPCSPEC_FAULT=passthrough.
    Passthrough,
    /// The library with this fault.
    Fault(&'a str),
}

impl Setup<'_> {
    /// `cmd`'s environment for this setup (nothing of the test's own preload, fault or log
    /// leaks in).
    fn apply(self, cmd: &mut Command) -> &mut Command {
        cmd.env_remove("LD_PRELOAD").env_remove(FAULT_ENV).env_remove(LOG_ENV);
        match self {
            Setup::Plain => cmd,
            Setup::Shim => cmd.env("LD_PRELOAD", SHIM),
            Setup::Passthrough => cmd.env("LD_PRELOAD", SHIM).env(FAULT_ENV, PASSTHROUGH),
            Setup::Fault(f) => cmd.env("LD_PRELOAD", SHIM).env(FAULT_ENV, f),
        }
    }
}

fn run(args: &[&str], setup: Setup) -> Output {
    setup.apply(Command::new(PROBE).args(args)).output().unwrap_or_else(|e| panic!("running {PROBE}: {e}"))
}

/// The probe's line, which must come from a clean exit.
fn line(args: &[&str], setup: Setup) -> String {
    let out = run(args, setup);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "probe {args:?} under {setup:?}: {:?}\n{stderr}", out.status);
    assert!(!stderr.contains("ipcspec-faults:"), "probe {args:?} under {setup:?}: the library complained: {stderr}");
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

fn seccomp_fault(name: &str) {
    let f = ipcspec_faults::find(name).unwrap_or_else(|| panic!("{name} is not in the catalogue"));
    assert_eq!(f.injector, Injector::Seccomp, "{name}");
}

fn control(fault: &str, without: &str, with: &str) {
    seccomp_fault(fault);
    assert_ne!(without, with, "{fault}: a control must tell the fault apart");
    for setup in [Setup::Plain, Setup::Shim, Setup::Passthrough] {
        assert_eq!(line(&[fault], setup), without, "{fault} under {setup:?}");
    }
    assert_eq!(line(&[fault], Setup::Fault(fault)), with, "{fault} under the fault");
}

macro_rules! controls {
    ($($test:ident: $fault:literal => $without:literal, $with:literal;)*) => {
        /// The faults with a control, in the order below.
        const CONTROLS: &[(&str, &str)] = &[$(($fault, $without)),*];
        $(
            #[test]
            fn $test() {
                control($fault, $without, $with)
            }
        )*
        /// Narrowness, one test per fault (they run side by side): [`narrow`].
        mod other_controls_unchanged {
            $(
                #[test]
                fn $test() {
                    super::narrow($fault)
                }
            )*
        }
    };
}

// fault => what the kernel does, what the faulty kernel does ("libc=" through glibc's
// function, "raw=" through syscall(2); other keys name the call).
controls! {
    dup2_fails_ebusy_on_open_target: "dup2-fails-ebusy-on-open-target" => "libc=ok raw=ok", "libc=EBUSY raw=EBUSY";
    dup_skips_the_lowest_free_fd: "dup-skips-the-lowest-free-fd" => "libc=lowest raw=lowest", "libc=higher raw=higher";
    dup3_ignores_o_cloexec: "dup3-ignores-o-cloexec" => "libc=cloexec raw=cloexec", "libc=- raw=-";
    dup3_ignores_unknown_flags: "dup3-ignores-unknown-flags" => "libc=EINVAL raw=EINVAL", "libc=ok raw=ok";
    fcntl_setfl_drops_o_append: "fcntl-setfl-drops-o-append" => "libc=append raw=append", "libc=- raw=-";
    fcntl_dupfd_ignores_the_minimum: "fcntl-dupfd-ignores-the-minimum" => "libc=>=min raw=>=min", "libc=<min raw=<min";
    pipe2_ignores_o_cloexec: "pipe2-ignores-o-cloexec" => "libc=cloexec,cloexec raw=cloexec,cloexec", "libc=-,- raw=-,-";
    pipe2_ignores_o_nonblock: "pipe2-ignores-o-nonblock" => "libc=nonblock,nonblock raw=nonblock,nonblock", "libc=-,- raw=-,-";
    // F_GETFL shows O_DIRECT on the write end (fs/pipe.c keeps it in the write side's f_flags).
    pipe2_ignores_o_direct: "pipe2-ignores-o-direct" => "libc=-,direct raw=-,direct", "libc=-,- raw=-,-";
    pipe2_ignores_unknown_flags: "pipe2-ignores-unknown-flags" => "libc=EINVAL raw=EINVAL", "libc=ok raw=ok";
    // 4097 and 12289 bytes round up to 2 and 4 pages (a power of two).
    fcntl_setpipe_sz_does_not_round_up: "fcntl-setpipe-sz-does-not-round-up" => "libc=8192 raw=16384", "libc=4097 raw=12289";
    mkfifo_ignores_the_umask: "mkfifo-ignores-the-umask" => "libc=644 raw=644", "libc=666 raw=666";
    accept4_ignores_sock_nonblock: "accept4-ignores-sock-nonblock" => "libc=nonblock raw=nonblock", "libc=- raw=-";
    msg_dontwait_sets_o_nonblock_on_the_socket: "msg-dontwait-sets-o-nonblock-on-the-socket" =>
        "recv=EAGAIN,- recvfrom=EAGAIN,- recvmsg=EAGAIN,-", "recv=EAGAIN,nonblock recvfrom=EAGAIN,nonblock recvmsg=EAGAIN,nonblock";
    eventfd_ignores_efd_semaphore: "eventfd-ignores-efd-semaphore" => "libc=1 raw=1", "libc=3 raw=3";
    eventfd2_ignores_efd_cloexec: "eventfd2-ignores-efd-cloexec" => "libc=cloexec raw=cloexec", "libc=- raw=-";
    eventfd2_ignores_efd_nonblock: "eventfd2-ignores-efd-nonblock" => "libc=nonblock raw=nonblock", "libc=- raw=-";
    eventfd2_ignores_unknown_flags: "eventfd2-ignores-unknown-flags" => "libc=EINVAL raw=EINVAL", "libc=ok raw=ok";
    // Under the fault the receive blocks until the probe's 0.3 s interval timer interrupts it.
    mq_timedreceive_ignores_its_deadline: "mq-timedreceive-ignores-its-deadline" => "libc=ETIMEDOUT raw=ETIMEDOUT", "libc=EINTR raw=EINTR";
    mq_send_ignores_the_priority: "mq-send-ignores-the-priority" => "libc=b raw=b", "libc=a raw=a";
    mq_getattr_reports_no_messages: "mq-getattr-reports-no-messages" => "libc=1 raw=1", "libc=0 raw=0";
    mq_notify_allows_a_second_registration: "mq-notify-allows-a-second-registration" => "libc=EBUSY raw=EBUSY", "libc=ok raw=ok";
    fcntl_setown_is_ignored: "fcntl-setown-is-ignored" => "libc=self raw=self", "libc=0 raw=0";
    // glibc's fcntl(F_GETOWN) asks the kernel for F_GETOWN_EX, which the fault leaves alone:
    // only the raw call (as signal_io makes it) reads the wrong owner.
    fcntl_getown_reports_the_wrong_owner: "fcntl-getown-reports-the-wrong-owner" => "raw=self libc=self", "raw=-self libc=self";
    fcntl_setsig_is_ignored: "fcntl-setsig-is-ignored" => "libc=40 raw=41", "libc=0 raw=0";
    // glibc's select(2) is the pselect6 system call; raw= is pselect6 itself.
    select_ignores_exceptfds: "select-ignores-exceptfds" => "libc=except raw=except", "libc=- raw=-";
    // A 10 ms timeout on no descriptor: the kernel writes back the time not slept, 0.
    select_does_not_write_back_the_timeout: "select-does-not-write-back-the-timeout" => "libc=0us raw=0ns", "libc=10000us raw=10000000ns";
    ppoll_ignores_its_sigmask: "ppoll-ignores-its-sigmask" => "libc=EINTR raw=EINTR", "libc=ok raw=ok";
    recv_loses_msg_peek: "recv-loses-msg-peek" => "recv=kept recvmsg=kept", "recv=lost recvmsg=lost";
    so_reuseaddr_is_ignored: "so-reuseaddr-is-ignored" => "libc=1 raw=1", "libc=0 raw=0";
    shutdown_shut_wr_is_ignored: "shutdown-shut-wr-is-ignored" => "libc=eof raw=eof", "libc=EAGAIN raw=EAGAIN";
    recvmsg_ignores_msg_cmsg_cloexec: "recvmsg-ignores-msg-cmsg-cloexec" => "libc=cloexec raw=cloexec", "libc=- raw=-";
    so_passcred_is_ignored: "so-passcred-is-ignored" => "libc=1 raw=1", "libc=0 raw=0";
    tcsetattr_tcsaflush_keeps_unread_input: "tcsetattr-tcsaflush-keeps-unread-input" => "libc=flushed raw=flushed", "libc=kept raw=kept";
    flock_lock_nb_conflict_fails_eacces: "flock-lock-nb-conflict-fails-eacces" => "libc=EAGAIN raw=EAGAIN", "libc=EACCES raw=EACCES";
    fcntl_getlk_reports_pid_0: "fcntl-getlk-reports-pid-0" => "libc=holder raw=holder", "libc=0 raw=0";
    // setlk through glibc, setlkw raw; read back with F_OFD_GETLK from another description.
    ofd_setlk_takes_a_process_lock: "ofd-setlk-takes-a-process-lock" => "setlk=ofd setlkw=ofd", "setlk=posix setlkw=posix";
    process_vm_readv_ignores_flags: "process-vm-readv-ignores-flags" => "libc=EINVAL raw=EINVAL", "libc=read raw=read";
    process_vm_readv_fills_only_the_first_local_iovec: "process-vm-readv-fills-only-the-first-local-iovec" =>
        "libc=8:efgh raw=8:efgh", "libc=4:---- raw=4:----";
    mmap_shared_file_mapping_is_private: "mmap-shared-file-mapping-is-private" => "libc=shared raw=shared", "libc=private raw=private";
    memfd_create_ignores_mfd_cloexec: "memfd-create-ignores-mfd-cloexec" => "libc=cloexec raw=cloexec", "libc=- raw=-";
    msync_accepts_invalid_flags: "msync-accepts-invalid-flags" => "libc=EINVAL raw=EINVAL", "libc=ok raw=ok";
}

#[test]
fn every_seccomp_fault_has_a_control() {
    let seccomp: Vec<&str> = FAULTS.iter().filter(|f| f.injector == Injector::Seccomp).map(|f| f.name).collect();
    let controlled: Vec<&str> = CONTROLS.iter().map(|(f, _)| *f).collect();
    assert_eq!(controlled, seccomp, "one control per seccomp fault, in catalogue order");
}

/// Controls that read their result back through another fault's call: the F_SETOWN control
/// reads the owner with F_GETOWN, the F_GETOWN control sets it with F_SETOWN.
const READS_BACK_THROUGH: &[(&str, &str)] = &[
    ("fcntl-setown-is-ignored", "fcntl-getown-reports-the-wrong-owner"),
    ("fcntl-getown-reports-the-wrong-owner", "fcntl-setown-is-ignored"),
];

/// Narrowness: under seccomp fault `fault`, every other fault's control prints what the
/// kernel does — the filter traps only the calls of its own fault (the probes share harmless
/// calls such as pipe2(O_CLOEXEC) for synchronisation, whose faults they do not look at).
fn narrow(fault: &str) {
    let mut wrong = Vec::new();
    for (other, without) in CONTROLS.iter().filter(|(o, _)| *o != fault && !READS_BACK_THROUGH.contains(&(*o, fault))) {
        let got = line(&[other], Setup::Fault(fault));
        if got != *without {
            wrong.push(format!("under {fault}: {other} printed {got:?}, not {without:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

const F: &str = "fcntl-setown-is-ignored";
const WITHOUT: &str = "libc=self raw=self";
const WITH: &str = "libc=0 raw=0";

/// The probe's `mode` of F's control prints the kernel's answer without the library and the
/// faulty one under F: the fault reaches calls made that way.
fn the_fault_reaches(mode: &str) {
    assert_eq!(line(&[mode, F], Setup::Plain), WITHOUT, "{mode}");
    assert_eq!(line(&[mode, F], Setup::Fault(F)), WITH, "{mode}");
}

/// A program exec'd with an empty environment (libc's execve: the library puts LD_PRELOAD and
/// IPCSPEC_FAULT back) has the handler again and still the fault.
#[test]
fn an_execd_program_keeps_the_library_and_the_fault() {
    the_fault_reaches("exec");
}

/// The documented limit: a program exec'd by a raw execve(2) without LD_PRELOAD inherits the
/// filter but not the handler, and its first trapped call kills it with SIGSYS.
#[test]
fn a_raw_execve_that_drops_the_library_dies_of_sigsys_at_a_trapped_call() {
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(line(&["raw-exec", F], Setup::Plain), WITHOUT);
    let out = run(&["raw-exec", F], Setup::Fault(F));
    assert_eq!(out.status.signal(), Some(libc::SIGSYS), "{:?}", out.status);
    assert_eq!(line(&["raw-exec", F], Setup::Fault("pipe-returns-the-ends-swapped")), WITHOUT, "a preload fault installs no filter");
}

/// SIGSYS is never blocked by the program (sigprocmask and pthread_sigmask with every signal):
/// a trapped call with a blocked SIGSYS would kill the thread.
#[test]
fn a_program_that_blocks_every_signal_still_gets_the_fault() {
    the_fault_reaches("blocked");
}

/// Inside a signal handler whose sa_mask is full.
#[test]
fn a_handler_with_a_full_sa_mask_still_gets_the_fault() {
    the_fault_reaches("handlers");
}

#[test]
fn threads_forked_children_and_vforked_children_get_the_fault() {
    the_fault_reaches("thread");
    the_fault_reaches("fork");
    assert_eq!(line(&["vfork"], Setup::Plain), "child=ok owner=self");
    assert_eq!(line(&["vfork"], Setup::Fault(F)), "child=ok owner=0");
}

/// A program's own SIGSYS action is installed as far as it can tell (sigaction reads it back,
/// a SIGSYS it raises reaches it), and the fault's handler stays underneath.
#[test]
fn a_programs_own_sigsys_handler_runs_and_the_fault_stays() {
    assert_eq!(line(&["own-sigsys", F], Setup::Plain), format!("own-handler=ran {WITHOUT}"));
    assert_eq!(line(&["own-sigsys", F], Setup::Passthrough), format!("own-handler=ran {WITHOUT}"));
    assert_eq!(line(&["own-sigsys", F], Setup::Fault(F)), format!("own-handler=ran {WITH}"));
}

/// Run the probe under `setup` with the library's log to `log`: the log.
fn logged(args: &[&str], setup: Setup, log: &std::path::Path) -> String {
    let out = setup.apply(Command::new(PROBE).args(args)).env(LOG_ENV, log).output().unwrap();
    assert!(out.status.success());
    std::fs::read_to_string(log).unwrap()
}

/// The log says which process the fault fired in and through which call; the passthrough
/// filter logs the first call it trapped.
#[test]
fn the_log_names_the_fault_the_process_and_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("fired.log");
    let text = logged(&["fork", F], Setup::Fault(F), &log);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one process (the forked child) made the calls: {text}");
    let parts: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!((parts[0], parts[2]), (F, "fcntl(F_SETOWN)"), "{text}");
    assert!(parts[1].parse::<u32>().is_ok(), "{text}");

    let log2 = dir.path().join("passthrough.log");
    let text = logged(&["dup3-ignores-o-cloexec"], Setup::Passthrough, &log2);
    assert!(text.starts_with(&format!("{PASSTHROUGH} ")), "{text}");
    assert!(text.trim_end().ends_with(" dup3"), "the first call the passthrough filter trapped: {text}");
}

/// Without a fault (or with a preload fault) the library installs no filter: the process's
/// seccomp mode stays 0. With a seccomp fault or passthrough it is 2 (a filter).
#[test]
fn only_a_seccomp_fault_or_passthrough_installs_a_filter() {
    let mode = |setup: Setup| -> String {
        let out = setup.apply(Command::new("grep").args(["^Seccomp:", "/proc/self/status"])).output().unwrap();
        String::from_utf8_lossy(&out.stdout).split_whitespace().nth(1).unwrap_or("?").to_string()
    };
    let base = mode(Setup::Plain);
    assert_eq!(mode(Setup::Shim), base);
    assert_eq!(mode(Setup::Fault("pipe-returns-the-ends-swapped")), base);
    assert_eq!(mode(Setup::Fault(F)), "2");
    assert_eq!(mode(Setup::Passthrough), "2");
}
