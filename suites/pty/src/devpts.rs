//! The devpts mount options that decide a new slave's owner, group and mode (mount(8),
//! "Mount options for devpts"), read from /proc/self/mountinfo.

/// The options of one devpts instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevptsOptions {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// `mode=`; devpts uses 0600 when it is absent.
    pub mode: u32,
    /// `ptmxmode=`; devpts uses 0000 when it is absent.
    pub ptmxmode: u32,
}

/// The options of the devpts instance with device number `dev` (st_dev of a slave), read
/// from /proc/self/mountinfo (the super options, after the " - " separator).
pub fn devpts_options(dev: libc::dev_t) -> DevptsOptions {
    let want = format!("{}:{}", libc::major(dev), libc::minor(dev));
    let info = fixtures::procfs::read_seq_file("/proc/self/mountinfo");
    let line = info
        .lines()
        .filter(|l| l.split_whitespace().nth(2) == Some(want.as_str()))
        .find(|l| l.split(" - ").nth(1).is_some_and(|t| t.starts_with("devpts ")))
        .unwrap_or_else(|| panic!("no devpts mount with device {want} in /proc/self/mountinfo"));
    let supers = line.split(" - ").nth(1).unwrap().split_whitespace().nth(2).unwrap_or("");
    let mut o = DevptsOptions { uid: None, gid: None, mode: 0o600, ptmxmode: 0 };
    for opt in supers.split(',') {
        match opt.split_once('=') {
            Some(("uid", v)) => o.uid = v.parse().ok(),
            Some(("gid", v)) => o.gid = v.parse().ok(),
            Some(("mode", v)) => o.mode = u32::from_str_radix(v, 8).expect("octal mode"),
            Some(("ptmxmode", v)) => o.ptmxmode = u32::from_str_radix(v, 8).expect("octal ptmxmode"),
            _ => {}
        }
    }
    o
}
