//! Canonical mode (ICANON) on the slave: input is made available line by line, with line
//! editing. termios(3), "Canonical and noncanonical mode" and the c_cc descriptions.
//!
//! Synchronisation: input written to the master is processed asynchronously (pty(7): "there
//! may be a small processing delay"). With ECHO on, the echo of a byte reaches the master
//! only after the line discipline has processed that byte, so reading the echo back is the
//! barrier that makes "nothing is readable yet" a deterministic check (a nonblocking read).

use fixtures::facility::pty;
use fixtures::io::{set_nonblocking, write_all};
use fixtures::{assert_errno, needs};
use nix::errno::Errno;
use pty::ioctls::ioctl_get_int;
use pty::pair::Pty;
use pty::reads::{read_available, read_up_to};
use pty::termios::{POSIX_VDISABLE, get_termios, tcsetattr, update_termios};
use rstest::rstest;

/// termios(3): in canonical mode "Input is made available line by line. An input line is
/// available when one of the line delimiters is typed". After "abc" was processed a
/// nonblocking read finds nothing (EAGAIN); after "\n" the read returns "abc\n", delimiter
/// included.
#[test]
fn canonical_read_waits_for_the_newline() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_wait_for_echo(b"abc", b"abc");
    set_nonblocking(p.s(), true);
    assert_errno!(read_up_to(p.s(), 64), Errno::EAGAIN);
    p.type_and_wait_for_echo(b"\n", b"\r\n");
    assert_eq!(read_up_to(p.s(), 64), Ok(b"abc\n".to_vec()));
}

/// termios(3): "A read(2) returns at most one line of input". Two complete lines are
/// buffered; each read returns one.
#[test]
fn canonical_read_returns_at_most_one_line() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_echo_and_expect_reads(b"one\ntwo\n", b"one\r\ntwo\r\n", &[b"one\n", b"two\n"]);
}

/// termios(3): "if the read(2) requested fewer bytes than are available in the current line
/// of input, then only as many bytes as requested are read, and the remaining characters
/// will be available for a future read(2)."
#[test]
fn short_canonical_read_leaves_the_rest_of_the_line() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_wait_for_echo(b"abcdef\n", b"abcdef\r\n");
    assert_eq!(read_up_to(p.s(), 3), Ok(b"abc".to_vec()));
    assert_eq!(read_up_to(p.s(), 64), Ok(b"def\n".to_vec()));
}

/// termios(3), VEOF: "this character causes the pending tty buffer to be sent to the waiting
/// user program without waiting for end-of-line" and it is "not passed as input".
#[test]
fn veof_mid_line_delivers_the_line_without_the_eof_character() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_expect_reads(b"abc\x04", &[b"abc"]);
}

/// termios(3), VEOF: "If it is the first character of the line, the read(2) in the user
/// program returns 0, which signifies end-of-file." The end of file is not sticky: the next
/// line is read normally.
#[test]
fn veof_at_the_start_of_a_line_reads_zero_bytes() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_expect_reads(b"\x04", &[b""]);
    p.type_and_expect_reads(b"more\n", &[b"more\n"]);
}

/// termios(3), VEOL: "Additional end-of-line character (EOL). Recognized when ICANON is
/// set"; "Except in the case of EOF, the line delimiter is included in the buffer returned by
/// read(2)."
#[test]
fn veol_ends_a_line_and_is_included_in_it() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_cc[libc::VEOL] = b';');
    p.type_echo_and_expect_reads(b"ab;cd\n", b"ab;cd\r\n", &[b"ab;", b"cd\n"]);
}

/// termios(3), VERASE: "This erases the previous not-yet-erased character ... Recognized when
/// ICANON is set, and then not passed as input."
#[test]
fn verase_erases_the_previous_character() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_expect_reads(b"abx\x7fc\n", &[b"abc\n"]);
}

/// termios(3), VERASE: "does not erase past EOF or beginning-of-line". An erase right after a
/// newline leaves the previous (complete) line intact.
#[test]
fn verase_does_not_erase_past_the_beginning_of_the_line() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_expect_reads(b"ab\n\x7f\x7fc\n", &[b"ab\n", b"c\n"]);
}

/// termios(3), VKILL: "This erases the input since the last EOF or beginning-of-line.
/// Recognized when ICANON is set, and then not passed as input."
#[test]
fn vkill_erases_the_whole_line() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_expect_reads(b"garbage\x15good\n", &[b"good\n"]);
}

/// termios(3), VWERASE: "Word erase (WERASE). Recognized when ICANON and IEXTEN are set, and
/// then not passed as input." Without IEXTEN the character is ordinary data.
#[rstest]
#[case::with_iexten(true, b"one two \x17three\n", b"one three\n")]
#[case::without_iexten(false, b"one two \x17three\n", b"one two \x17three\n")]
fn vwerase_erases_the_previous_word_only_with_iexten(#[case] iexten: bool, #[case] typed: &[u8], #[case] line: &[u8]) {
    needs!(available(pty()));
    let p = Pty::open();
    if !iexten {
        update_termios(p.s(), |t| t.c_lflag &= !libc::IEXTEN);
    }
    p.type_and_expect_reads(typed, &[line]);
}

/// termios(3), VLNEXT: "Literal next (LNEXT). Quotes the next input character, depriving it
/// of a possible special meaning. Recognized when IEXTEN is set, and then not passed as
/// input." A quoted ERASE and a quoted KILL are read as data.
#[test]
fn vlnext_quotes_the_next_special_character() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_expect_reads(b"a\x16\x7fb\x16\x15\n", &[b"a\x7fb\x15\n"]);
}

/// termios(3): "An individual terminal special character can be disabled by setting the
/// value of the corresponding c_cc element to _POSIX_VDISABLE" (0 on Linux). With VERASE
/// disabled, DEL is ordinary data.
#[test]
fn a_disabled_special_character_is_ordinary_data() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_cc[libc::VERASE] = POSIX_VDISABLE);
    p.type_and_expect_reads(b"ab\x7f\n", &[b"ab\x7f\n"]);
}

/// termios(3): "The maximum line length is 4096 chars (including the terminating newline
/// character); lines longer than 4096 chars are truncated. After 4095 characters ... any
/// input data after 4095 characters up to (but not including) any terminating newline is
/// discarded." A 5000-character line reads as 4095 characters plus the newline.
#[test]
fn lines_longer_than_4095_characters_are_truncated() {
    needs!(available(pty()));
    let p = Pty::open();
    update_termios(p.s(), |t| t.c_lflag &= !libc::ECHO);
    let mut line = vec![b'x'; 5000];
    line.push(b'\n');
    write_all(p.m(), &line);
    let got = read_available(p.s(), 8192);
    assert_eq!(got.len(), 4096, "line length");
    assert!(got[..4095].iter().all(|&b| b == b'x'));
    assert_eq!(got[4095], b'\n');
}

/// termios(3), TCSAFLUSH: "the change occurs after all output ... has been transmitted, and
/// all input that has been received but not read will be discarded before the change is
/// made."
#[test]
fn tcsaflush_discards_received_unread_input() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_wait_for_echo(b"stale\n", b"stale\r\n");
    assert_eq!(tcsetattr(p.s(), libc::TCSAFLUSH, &get_termios(p.s())), Ok(()));
    set_nonblocking(p.s(), true);
    assert_errno!(read_up_to(p.s(), 64), Errno::EAGAIN);
}

/// ioctl_tty(2), FIONREAD: "Get the number of bytes in the input buffer." In canonical mode
/// Linux counts only what a read(2) could return, i.e. complete lines (drivers/tty/n_tty.c,
/// n_tty_ioctl TIOCINQ: inq_canon()): an unfinished line counts 0.
#[test]
fn fionread_counts_only_complete_lines_in_canonical_mode() {
    needs!(available(pty()));
    let p = Pty::open();
    p.type_and_wait_for_echo(b"ab", b"ab");
    assert_eq!(ioctl_get_int(p.s(), libc::FIONREAD), Ok(0));
    p.type_and_wait_for_echo(b"c\nde", b"c\r\nde");
    assert_eq!(ioctl_get_int(p.s(), libc::FIONREAD), Ok(4));
}
