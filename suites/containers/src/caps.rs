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

/// Every capability this kernel knows, as a mask.
pub fn all_caps() -> u64 {
    let last = cap_last_cap();
    if last >= 63 { u64::MAX } else { (1u64 << (last + 1)) - 1 }
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
