//! Data between master and slave, and the termios processing applied on the way: output
//! post-processing on what the slave writes, input mapping on what the master writes.

use std::os::fd::{AsFd, AsRawFd};

use fixtures::facility::pty;
use fixtures::io::{read_exact, write_all};
use fixtures::{needs, sys};
use pty::pair::Pty;
use pty::termios::{get_termios, tcsetattr, update_termios};
use rstest::rstest;

/// Ask a pty slave for CS7|PARENB (a pty never carries that out) together with clearing ECHO
/// (carried out), through `set`; then check that the slave kept CS8 without parity and that
/// ECHO is cleared.
fn ask_cs7_with_parity_and_no_echo(slave: impl AsFd, set: impl FnOnce(&libc::termios) -> Result<i32, nix::errno::Errno>) {
    let slave = slave.as_fd();
    let mut t = get_termios(slave);
    t.c_cflag = (t.c_cflag & !libc::CSIZE) | libc::CS7 | libc::PARENB;
    t.c_lflag &= !libc::ECHO;
    assert_eq!(set(&t), Ok(0), "setting the attributes");
    let got = get_termios(slave);
    assert_eq!(got.c_cflag & (libc::CSIZE | libc::PARENB), libc::CS8, "CS8 without PARENB kept");
    assert_eq!(got.c_lflag & libc::ECHO, 0, "the ECHO change was not carried out");
}

/// pts(4): "Data written to the slave is presented on the master file descriptor as input.
/// Data written to the master is presented to the slave as input." With the slave in raw
/// mode (cfmakeraw: "all special processing of terminal input and output characters is
/// disabled") all 256 byte values cross unchanged, in order, in both directions.
#[rstest]
#[case::master_to_slave(true)]
#[case::slave_to_master(false)]
fn all_byte_values_cross_unchanged_in_raw_mode(#[case] master_writes: bool) {
    needs!(available(pty()));
    let p = Pty::raw();
    let data: Vec<u8> = (0..=255u8).collect();
    let (from, to) = if master_writes { (p.m(), p.s()) } else { (p.s(), p.m()) };
    write_all(from, &data);
    assert_eq!(read_exact(to, data.len()), data);
}

/// termios(3): "OPOST Enable implementation-defined output processing", "ONLCR (XSI) Map NL
/// to CR-NL on output", "OCRNL Map CR to NL on output". What the slave writes reaches the
/// master after this processing; without OPOST nothing is mapped.
#[rstest]
#[case::opost_onlcr(libc::OPOST | libc::ONLCR, b"a\nb\n", b"a\r\nb\r\n")]
#[case::onlcr_without_opost(libc::ONLCR, b"a\nb\n", b"a\nb\n")]
#[case::opost_without_onlcr(libc::OPOST, b"a\nb\n", b"a\nb\n")]
#[case::opost_ocrnl(libc::OPOST | libc::OCRNL, b"a\rb\r", b"a\nb\n")]
fn output_processing_maps_what_the_slave_writes(
    #[case] oflag: libc::tcflag_t,
    #[case] written: &[u8],
    #[case] expected: &[u8],
) {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_oflag = oflag);
    write_all(p.s(), written);
    assert_eq!(read_exact(p.m(), expected.len()), expected);
    // Nothing more than the mapped bytes: the next thing on the master is a marker.
    p.assert_master_sees_marker_next();
}

/// termios(3): "ICRNL Translate carriage return to newline on input (unless IGNCR is set)",
/// "IGNCR Ignore carriage return on input". The slave (canonical, ECHO off) reads the line
/// the master wrote after this mapping.
#[rstest]
#[case::icrnl(libc::ICRNL, b"ab\r", b"ab\n")]
#[case::igncr(libc::IGNCR | libc::ICRNL, b"a\rb\n", b"ab\n")]
#[case::no_mapping(0, b"a\rb\n", b"a\rb\n")]
fn input_mapping_applies_to_what_the_master_writes(
    #[case] iflag: libc::tcflag_t,
    #[case] written: &[u8],
    #[case] expected: &[u8],
) {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| {
        t.c_iflag = iflag;
        t.c_lflag &= !libc::ECHO;
    });
    p.type_and_expect_reads(written, &[expected]);
}

/// termios(3): "By default, ICANON is set", and the c_cc list gives each character's initial
/// value: VINTR 003, VQUIT 034, VERASE 0177, VKILL 025, VEOF 004, VSTART 021, VSTOP 023,
/// VSUSP 032, VLNEXT 026, VWERASE 027, VREPRINT 022. A new slave has these and ISIG, ICANON,
/// ECHO, IEXTEN, ICRNL, IXON, OPOST|ONLCR (the kernel's tty_std_termios).
#[test]
fn a_new_slave_has_the_default_termios() {
    needs!(available(pty()));
    let p = Pty::open();
    let t = get_termios(p.s());
    let cc = |i: usize| t.c_cc[i];
    assert_eq!(
        [cc(libc::VINTR), cc(libc::VQUIT), cc(libc::VERASE), cc(libc::VKILL), cc(libc::VEOF), cc(libc::VSTART)],
        [0o003, 0o034, 0o177, 0o025, 0o004, 0o021]
    );
    assert_eq!(
        [cc(libc::VSTOP), cc(libc::VSUSP), cc(libc::VLNEXT), cc(libc::VWERASE), cc(libc::VREPRINT)],
        [0o023, 0o032, 0o026, 0o027, 0o022]
    );
    let lflags = libc::ISIG | libc::ICANON | libc::ECHO | libc::IEXTEN;
    assert_eq!(t.c_lflag & lflags, lflags, "c_lflag {:#o}", t.c_lflag);
    assert_eq!(t.c_iflag & (libc::ICRNL | libc::IXON), libc::ICRNL | libc::IXON, "c_iflag {:#o}", t.c_iflag);
    assert_eq!(t.c_oflag & (libc::OPOST | libc::ONLCR), libc::OPOST | libc::ONLCR, "c_oflag {:#o}", t.c_oflag);
}

/// pts(4): "the slave provides processes with an interface that is identical to that of a
/// real terminal"; ioctl_tty(2), TCGETS/TCSETS: equivalent to tcgetattr(3)/tcsetattr(3).
/// The termios ioctls on a master operate on the slave's termios (drivers/tty/tty_ioctl.c,
/// tty_mode_ioctl: "if (tty->driver->type == TTY_DRIVER_TYPE_PTY && tty->driver->subtype ==
/// PTY_TYPE_MASTER) real_tty = tty->link"): a terminal emulator configures the line
/// discipline through its master fd. Clearing ECHO through the master is seen on the slave
/// and takes effect on the slave's input.
#[test]
fn termios_set_through_the_master_is_the_slaves() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.m(), |t| t.c_lflag &= !libc::ECHO);
    assert_eq!(get_termios(p.s()).c_lflag & libc::ECHO, 0, "slave still has ECHO");
    // ECHO was cleared through the master: the line must not be echoed.
    p.assert_typed_line_is_not_echoed(b"quiet\n");
}

/// A pty slave always keeps CS8|CREAD and never PARENB (drivers/tty/pty.c,
/// pty_set_termios: "c_cflag &= ~(CSIZE | PARENB); c_cflag |= (CS8 | CREAD)"). The kernel's
/// TCSETS (ioctl_tty(2): "Equivalent to tcsetattr(fd, TCSANOW, argp)") succeeds, carries out
/// the other changes (ECHO cleared) and silently keeps CS8 without parity.
#[test]
fn tcsets_succeeds_but_the_pty_keeps_cs8_without_parity() {
    needs!(available(pty()));
    let p = Pty::open();
    // SAFETY: the kernel reads the (prefix-compatible) struct termios.
    ask_cs7_with_parity_and_no_echo(p.s(), |t| sys(unsafe { libc::ioctl(p.s().as_raw_fd(), libc::TCSETS, t) }));
}

/// termios(3), RETURN VALUE: "tcsetattr() returns success if any of the requested changes
/// could be successfully carried out. Therefore, when making multiple changes it may be
/// necessary to follow this call with a further call to tcgetattr() to check that all changes
/// have been performed successfully." Asking a pty slave for CS7|PARENB (never carried out)
/// together with clearing ECHO (carried out) returns 0; tcgetattr shows ECHO cleared and CS8
/// kept.
#[test]
fn tcsetattr_succeeds_when_only_some_changes_are_carried_out() {
    needs!(available(pty()));
    let p = Pty::open();
    ask_cs7_with_parity_and_no_echo(p.s(), |t| tcsetattr(p.s(), libc::TCSANOW, t).map(|()| 0));
}
