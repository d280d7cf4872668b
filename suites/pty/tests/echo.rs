//! Echo: what the slave's line discipline sends back to the master for typed input.
//! termios(3), c_lflag ECHO, ECHOE, ECHOCTL, ECHONL.
//!
//! "Nothing else was echoed" is proven by ordering, not by waiting: the echo of typed input
//! is produced while the input is processed, before the line becomes readable on the slave;
//! a marker the slave writes after reading the line is therefore the next thing the master
//! sees.

use fixtures::facility::pty;
use fixtures::io::{read_exact, write_all};
use fixtures::needs;
use pty::pair::Pty;
use pty::reads::read_available;
use pty::termios::update_termios;

/// After the slave read its line, a marker written by the slave must be the next byte on the
/// master.
fn assert_master_sees_marker_next(p: &Pty) {
    update_termios(p.s(), |t| t.c_oflag = 0);
    write_all(p.s(), b"#");
    assert_eq!(read_exact(p.m(), 1), b"#", "unexpected echo before the marker");
}

/// termios(3): "ECHO Echo input characters." Typed input comes back on the master; the
/// newline is echoed through output processing (ONLCR) as CR NL.
#[test]
fn echo_sends_typed_input_back_to_the_master() {
    needs!(available(pty()));
    let p = Pty::open();
    write_all(p.m(), b"hi\n");
    assert_eq!(read_exact(p.m(), 4), b"hi\r\n");
    assert_eq!(read_available(p.s(), 64), b"hi\n");
    assert_master_sees_marker_next(&p);
}

/// termios(3), ECHO: with ECHO cleared nothing typed comes back on the master.
#[test]
fn without_echo_typed_input_is_not_echoed() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_lflag &= !libc::ECHO);
    write_all(p.m(), b"secret\n");
    assert_eq!(read_available(p.s(), 64), b"secret\n");
    assert_master_sees_marker_next(&p);
}

/// termios(3): "ECHOE If ICANON is also set, the ERASE character erases the preceding input
/// character". Linux erases it on the display with backspace, space, backspace
/// (drivers/tty/n_tty.c, eraser: "\b \b").
#[test]
fn echoe_erases_the_character_on_the_display() {
    needs!(available(pty()));
    let p = Pty::open();
    write_all(p.m(), b"ab\x7f");
    assert_eq!(read_exact(p.m(), 5), b"ab\x08 \x08");
    write_all(p.m(), b"\n");
    assert_eq!(read_exact(p.m(), 2), b"\r\n");
    assert_eq!(read_available(p.s(), 64), b"a\n");
}

/// termios(3): "ECHOCTL (not in POSIX) If ECHO is also set, terminal special characters other
/// than TAB, NL, START, and STOP are echoed as ^X, where X is the character with ASCII code
/// 0x40 greater than the special character." The character itself is read unchanged.
#[test]
fn echoctl_echoes_control_characters_in_caret_notation() {
    needs!(available(pty()));
    let p = Pty::open();
    write_all(p.m(), b"\x01\n");
    assert_eq!(read_exact(p.m(), 4), b"^A\r\n");
    assert_eq!(read_available(p.s(), 64), b"\x01\n");
}

/// termios(3): "ECHONL If ICANON is also set, echo the NL character even if ECHO is not set."
/// Only the newline comes back (through ONLCR as CR NL), not the other characters.
#[test]
fn echonl_echoes_only_the_newline_without_echo() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_lflag = (t.c_lflag & !libc::ECHO) | libc::ECHONL);
    write_all(p.m(), b"ab\n");
    assert_eq!(read_exact(p.m(), 2), b"\r\n");
    assert_eq!(read_available(p.s(), 64), b"ab\n");
    assert_master_sees_marker_next(&p);
}
