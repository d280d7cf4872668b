//! TIOCSTI ("Insert the given byte in the input queue", TIOCSTI(2const) of man-pages 6.20)
//! and the switch that disables it: /proc/sys/dev/tty/legacy_tiocsti (6.2, default from
//! CONFIG_LEGACY_TIOCSTI; Debian builds leave that option unset since its 6.3.2 packages, so
//! the switch is off on Debian's 6.12 and 7.2 kernels). The tests read the switch (one also
//! turns it off for a moment, restored by a guard), so they live in a global_ file, which
//! nextest runs one test at a time.
//!
//! TIOCSTI needs the terminal to be the caller's controlling terminal ("EPERM ... not the
//! caller's controlling terminal, and the caller lacks CAP_SYS_ADMIN" on every kernel):
//! each test injects into a pty slave its child took as controlling terminal (setsid +
//! TIOCSCTTY). The slave is in raw mode, so an injected byte is readable on it at once.

use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;

use fixtures::caps::drop_effective;
use fixtures::facility::pty;
use fixtures::gate::Cap;
use fixtures::poll::{revents_now, wait_for_events};
use fixtures::sysctl::{self, SysctlGuard};
use fixtures::{kernel_at_least, kernel_version, needs, run_in_child, sys, variant};
use nix::errno::Errno;
use pty::pair::Pty;
use pty::session::take_controlling_terminal;
use serial_test::serial;

const LEGACY_TIOCSTI: &str = "dev/tty/legacy_tiocsti";

/// ioctl(fd, TIOCSTI, &byte).
fn tiocsti(fd: impl AsFd, byte: u8) -> Result<(), Errno> {
    // SAFETY: TIOCSTI reads one char through the pointer.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), libc::TIOCSTI, &byte as *const u8) }).map(drop)
}

/// In a child holding the slave as its controlling terminal: TIOCSTI of `byte` must give
/// `expected`; on success the byte is readable on the slave, on failure nothing is.
#[track_caller]
fn assert_tiocsti(p: &Pty, byte: u8, expected: Result<(), Errno>) {
    assert_eq!(tiocsti(p.s(), byte), expected, "TIOCSTI of {:?}", byte as char);
    if expected.is_ok() {
        wait_for_events(p.s(), libc::POLLIN, "the injected byte");
        assert_eq!(fixtures::io::read_exact(p.s(), 1), [byte], "the injected byte on the slave");
    } else {
        assert_eq!(revents_now(p.s(), libc::POLLIN), 0, "a refused TIOCSTI queued input");
    }
}

/// The switch's value here: None where the file does not exist.
fn legacy_tiocsti() -> Option<String> {
    Path::new(&format!("/proc/sys/{LEGACY_TIOCSTI}")).exists().then(|| sysctl::read(LEGACY_TIOCSTI))
}

/// The kernel's CONFIG_LEGACY_TIOCSTI, for the variants' why.
fn config_note() -> String {
    match fixtures::gate::kernel_config() {
        Ok(c) => format!("CONFIG_LEGACY_TIOCSTI={} in {}", c.get("CONFIG_LEGACY_TIOCSTI").unwrap_or("(none)"), c.source),
        Err(_) => "kernel config not readable".to_string(),
    }
}

/// TIOCSTI(2const): "Since Linux 6.2, this operation may require the CAP_SYS_ADMIN
/// capability (if the dev.tty.legacy_tiocsti sysctl variable is set to false)", listing
/// "EPERM Insufficient permission" as the error — the kernel answers EIO for it
/// (drivers/tty/tty_io.c tiocsti: "if (!tty_legacy_tiocsti && !capable(CAP_SYS_ADMIN))
/// return -EIO;", commit 83efeeeb3d04, "tty: Allow TIOCSTI to be disabled", 6.2; EPERM is
/// the answer for a terminal that is not the caller's controlling one; docs/findings.md). A process without CAP_SYS_ADMIN injects a byte
/// into its own controlling terminal: with legacy_tiocsti 1 it arrives (variant `allowed`);
/// with 0 TIOCSTI fails EIO and nothing is queued (variant `disabled`, lacking); before 6.2
/// the switch does not exist and TIOCSTI always works on one's controlling terminal (variant
/// `absent`). The switch exists exactly from 6.2 on (asserted; no backport is known).
///
/// Kernel change: 6.2, commit 83efeeeb3d04 — dev.tty.legacy_tiocsti = 0 makes TIOCSTI fail EIO for callers without CAP_SYS_ADMIN.
#[test]
#[serial(legacy_tiocsti)]
fn tiocsti_on_ones_controlling_terminal_follows_dev_tty_legacy_tiocsti() {
    needs!(available(pty()));
    let v = kernel_version();
    let knob = legacy_tiocsti();
    assert_eq!(knob.is_some(), kernel_at_least(6, 2), "/proc/sys/{LEGACY_TIOCSTI} on kernel {v}");
    let expected = match knob.as_deref() {
        None => {
            variant::absent(format_args!(
                "no dev.tty.legacy_tiocsti before 6.2: TIOCSTI always works on one's controlling terminal; kernel {v}"
            ));
            Ok(())
        }
        Some("1") => {
            variant::observed("allowed", format_args!("dev.tty.legacy_tiocsti is 1 ({}); kernel {v}", config_note()));
            Ok(())
        }
        Some("0") => {
            variant::lacking("disabled", format_args!("dev.tty.legacy_tiocsti is 0 ({}); kernel {v}", config_note()));
            Err(Errno::EIO)
        }
        Some(other) => panic!("/proc/sys/{LEGACY_TIOCSTI} holds {other:?}"),
    };
    let p = Pty::raw();
    run_in_child("controlling process without CAP_SYS_ADMIN", || {
        take_controlling_terminal(p.s());
        drop_effective(Cap::SYS_ADMIN);
        assert_tiocsti(&p, b'q', expected);
    })
    .expect_success();
}

/// TIOCSTI(2const): the switch does not apply to a caller with CAP_SYS_ADMIN since commit
/// 690c8b804ad2 (6.5; stable 6.4.y): with
/// legacy_tiocsti 0 (set for the test where it is 1, restored by a guard) a root process with
/// CAP_SYS_ADMIN injects into its controlling terminal (variant `exempt`), and the same
/// process without CAP_SYS_ADMIN gets EIO. On 6.2–6.4 without the fix root gets EIO too
/// (variant `not-exempt`, lacking); before 6.2 there is no switch (variant `absent`). Root
/// only.
///
/// Kernel change: 6.5, commit 690c8b804ad2 — TIOCSTI works for CAP_SYS_ADMIN even with dev.tty.legacy_tiocsti = 0.
#[test]
#[serial(legacy_tiocsti)]
fn tiocsti_with_cap_sys_admin_ignores_legacy_tiocsti() {
    needs!(available(pty()), cap(SYS_ADMIN));
    let v = kernel_version();
    let p = Pty::raw();
    let Some(value) = legacy_tiocsti() else {
        assert!(!kernel_at_least(6, 2), "no /proc/sys/{LEGACY_TIOCSTI} on kernel {v}");
        variant::absent(format_args!("no dev.tty.legacy_tiocsti before 6.2; kernel {v}"));
        run_in_child("controlling process", || {
            take_controlling_terminal(p.s());
            assert_tiocsti(&p, b'r', Ok(()));
        })
        .expect_success();
        return;
    };
    let _restore = match value.as_str() {
        "0" => None,
        _ => {
            // variant: none — turning the switch off is set-up: the claim is about 0.
            needs!(gate(sysctl::writable(LEGACY_TIOCSTI)));
            let guard = SysctlGuard::save(LEGACY_TIOCSTI);
            sysctl::write(LEGACY_TIOCSTI, "0").expect("turn dev.tty.legacy_tiocsti off");
            Some(guard)
        }
    };
    let exempt = kernel_at_least(6, 5);
    if exempt {
        variant::observed("exempt", format_args!("CAP_SYS_ADMIN passes dev.tty.legacy_tiocsti = 0 since 6.5; kernel {v}"));
    } else {
        variant::lacking("not-exempt", format_args!("6.2–6.4: dev.tty.legacy_tiocsti = 0 stops CAP_SYS_ADMIN too; kernel {v}"));
    }
    run_in_child("controlling process with CAP_SYS_ADMIN", || {
        take_controlling_terminal(p.s());
        assert_tiocsti(&p, b's', if exempt { Ok(()) } else { Err(Errno::EIO) });
        drop_effective(Cap::SYS_ADMIN);
        assert_tiocsti(&p, b't', Err(Errno::EIO));
    })
    .expect_success();
}
