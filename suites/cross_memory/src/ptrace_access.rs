//! Who may access whose memory: ptrace(2), "Ptrace access mode checking" — Yama's
//! ptrace_scope, the "dumpable" attribute (prctl(2), PR_SET_DUMPABLE) and the uid of a
//! process.

use fixtures::facility::Availability;
use nix::errno::Errno;
use nix::unistd::Pid;

/// /proc/sys/kernel/yama/ptrace_scope, or None when Yama is not built in.
pub fn yama_scope() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").ok().and_then(|s| s.trim().parse().ok())
}

/// Gate: this process may read its own (dumpable, same-uid) children. Yama's ptrace_scope
/// 2 allows that only with CAP_SYS_PTRACE, and 3 never; 0, 1 (children are descendants)
/// and no Yama at all allow it. Tests state it with `needs!(available(child_access()))`: a
/// refusal is this environment denying the access (variant `blocked`).
pub fn child_access() -> Availability {
    // variant: none here — the answer is reported by needs!(available(..)) (present/blocked).
    let gate = match yama_scope() {
        Some(3) => Err("Yama ptrace_scope is 3: no process may attach to another".to_string()),
        Some(2) if !fixtures::gate::has_cap(fixtures::gate::Cap::SYS_PTRACE) => {
            Err("Yama ptrace_scope is 2: attaching needs CAP_SYS_PTRACE".to_string())
        }
        _ => Ok(()),
    };
    Availability::blocked_unless(gate, "ptrace access to this process's own children is allowed here")
}

/// Report the Yama ptrace_scope a test's expected outcome was chosen by, as the variant
/// `no-yama` (Yama not active: only the classic ptrace rules), `yama-0` (no additional
/// restrictions), `yama-1` (descendants and named tracers only), `yama-2` (CAP_SYS_PTRACE
/// only) or `yama-3` (no attaching). Returns the scope.
pub fn report_yama_scope() -> Option<u32> {
    let scope = yama_scope();
    let why = format!("/proc/sys/kernel/yama/ptrace_scope is {scope:?}");
    match scope {
        None => fixtures::variant::observed("no-yama", "Yama is not active here (no /proc/sys/kernel/yama/ptrace_scope)"),
        Some(0) => fixtures::variant::observed("yama-0", &why),
        Some(1) => fixtures::variant::observed("yama-1", &why),
        Some(2) => fixtures::variant::observed("yama-2", &why),
        Some(3) => fixtures::variant::observed("yama-3", &why),
        Some(n) => panic!("Yama ptrace_scope {n} is not one of the documented values 0..=3"),
    }
    scope
}

/// prctl(PR_SET_DUMPABLE, v) in the calling process.
pub fn set_dumpable(v: libc::c_ulong) {
    // SAFETY: plain prctl.
    let r = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, v, 0, 0, 0) };
    assert_eq!(r, 0, "prctl(PR_SET_DUMPABLE, {v}): {}", Errno::last());
}

/// prctl(PR_GET_DUMPABLE).
pub fn dumpable() -> libc::c_int {
    // SAFETY: plain prctl.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }
}

/// The real uid of process `pid` (from /proc/<pid>/status), if it exists.
pub fn uid_of(pid: Pid) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

