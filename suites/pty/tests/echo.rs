//! Echo: what the slave's line discipline sends back to the master for typed input.
//! termios(3), c_lflag ECHO, ECHOE, ECHOCTL, ECHONL.
//!
//! "Nothing else was echoed" is proven by ordering, not by waiting: the echo of typed input
//! is produced while the input is processed, before the line becomes readable on the slave;
//! a marker the slave writes after reading the line is therefore the next thing the master
//! sees.

use fixtures::facility::pty;
use fixtures::needs;
use pty::pair::Pty;
use pty::termios::update_termios;

/// termios(3): "ECHO Echo input characters." Typed input comes back on the master; the
/// newline is echoed through output processing (ONLCR) as CR NL.
#[test]
fn echo_sends_typed_input_back_to_the_master() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_wait_for_echo(b"hi\n", b"hi\r\n");
    p.expect_reads(&[b"hi\n"]);
    p.assert_master_sees_marker_next();
}

/// termios(3), ECHO: with ECHO cleared nothing typed comes back on the master.
#[test]
fn without_echo_typed_input_is_not_echoed() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_lflag &= !libc::ECHO);
    p.assert_typed_line_is_not_echoed(b"secret\n");
}

/// termios(3): "ECHOE If ICANON is also set, the ERASE character erases the preceding input
/// character". Linux erases it on the display with backspace, space, backspace
/// (drivers/tty/n_tty.c, eraser: "\b \b").
#[test]
fn echoe_erases_the_character_on_the_display() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_wait_for_echo(b"ab\x7f", b"ab\x08 \x08");
    p.type_and_wait_for_echo(b"\n", b"\r\n");
    p.expect_reads(&[b"a\n"]);
}

/// termios(3): "ECHOCTL (not in POSIX) If ECHO is also set, terminal special characters other
/// than TAB, NL, START, and STOP are echoed as ^X, where X is the character with ASCII code
/// 0x40 greater than the special character." The character itself is read unchanged.
#[test]
fn echoctl_echoes_control_characters_in_caret_notation() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_wait_for_echo(b"\x01\n", b"^A\r\n");
    p.expect_reads(&[b"\x01\n"]);
}

/// termios(3): "ECHONL If ICANON is also set, echo the NL character even if ECHO is not set."
/// Only the newline comes back (through ONLCR as CR NL), not the other characters.
#[test]
fn echonl_echoes_only_the_newline_without_echo() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_lflag = (t.c_lflag & !libc::ECHO) | libc::ECHONL);
    p.type_and_wait_for_echo(b"ab\n", b"\r\n");
    p.expect_reads(&[b"ab\n"]);
    p.assert_master_sees_marker_next();
}
