//! Capability sets and the seccomp mode of the calling process, from /proc/self/status,
//! and dropping one capability from the effective set (capset(2)).

/// A field of /proc/self/status ("CapEff", "CapPrm", "CapBnd", "Seccomp", "Uid"...).
pub fn status_field(name: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(|v| v.trim().to_string()))
}

/// A capability set of /proc/self/status ("CapEff", "CapPrm", "CapBnd") as a bit mask.
#[track_caller]
pub fn cap_set(name: &str) -> u64 {
    let v = status_field(name).unwrap_or_else(|| panic!("/proc/self/status has no {name}"));
    u64::from_str_radix(&v, 16).unwrap_or_else(|_| panic!("{name} is not hex: {v:?}"))
}

/// The seccomp mode (0 none, 1 strict, 2 filter), if the kernel reports it.
pub fn seccomp_mode() -> Option<u32> {
    status_field("Seccomp")?.parse().ok()
}

/// The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap).
#[track_caller]
pub fn cap_last_cap() -> u32 {
    fixtures::sysctl::read_u64("kernel/cap_last_cap") as u32
}

/// capabilities(7) names by number, as /proc/self/status's bits count them.
pub const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
];

/// The names of the capabilities in `mask` (a number for one this table does not know).
pub fn cap_names(mask: u64) -> Vec<String> {
    (0..64u32)
        .filter(|&c| mask & (1u64 << c) != 0)
        .map(|c| CAP_NAMES.get(c as usize).map_or_else(|| format!("capability {c}"), |n| n.to_string()))
        .collect()
}

/// The bit of a capability named as docker names it (`SYS_RESOURCE`) or as capabilities(7)
/// does (`CAP_SYS_RESOURCE`).
pub fn cap_bit(name: &str) -> Option<u64> {
    let full = if name.starts_with("CAP_") { name.to_string() } else { format!("CAP_{name}") };
    CAP_NAMES.iter().position(|n| *n == full).map(|i| 1u64 << i)
}

/// Capabilities 0 through `last`, as a mask.
pub fn caps_through(last: u32) -> u64 {
    if last >= 63 { u64::MAX } else { (1u64 << (last + 1)) - 1 }
}

/// Every capability this kernel knows, as a mask.
pub fn all_caps() -> u64 {
    caps_through(cap_last_cap())
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// In a child: remove capability number `cap` from the effective set (it stays permitted).
#[track_caller]
pub fn drop_effective(cap: u32) {
    let mut hdr = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget/capset with a v3 header and two data words, as capget(2) describes.
    unsafe {
        assert_eq!(libc::syscall(libc::SYS_capget, &mut hdr as *mut CapHeader, data.as_mut_ptr()), 0, "capget");
        data[(cap / 32) as usize].effective &= !(1u32 << (cap % 32));
        assert_eq!(libc::syscall(libc::SYS_capset, &mut hdr as *mut CapHeader, data.as_ptr()), 0, "capset");
    }
    assert_eq!(cap_set("CapEff") & (1u64 << cap), 0, "capability {cap} is still effective");
}
