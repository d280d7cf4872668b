//! Noncanonical mode (ICANON off): the four MIN/TIME cases of termios(3), "Canonical and
//! noncanonical mode", and O_NONBLOCK.
//!
//! ECHO stays on in most tests: echo works without ICANON, and reading the echo back on the
//! master proves the line discipline has processed the input (a barrier, not a sleep).

use std::time::{Duration, Instant};

use fixtures::facility::pty;
use fixtures::io::{read_exact, set_nonblocking, write_all};
use fixtures::deadline::within;
use fixtures::{assert_errno, needs, spawn};
use nix::errno::Errno;
use pty::pair::Pty;
use pty::reads::read_up_to;
use pty::termios::update_termios;
use rstest::rstest;

/// A pair whose slave is noncanonical with the given MIN and TIME; ECHO as requested.
fn noncanonical(vmin: u8, vtime: u8, echo: bool) -> Pty {
    let p = Pty::open();
    update_termios(p.s(), |t| {
        t.c_lflag &= !libc::ICANON;
        if !echo {
            t.c_lflag &= !libc::ECHO;
        }
        t.c_cc[libc::VMIN] = vmin;
        t.c_cc[libc::VTIME] = vtime;
    });
    p
}

/// A read(2) with MIN == 0 and TIME == 0 returns at once (termios(3), "polling read"), so
/// it is bounded: a target where it blocks (gVisor) fails naming the read instead of hanging.
fn polling_read(p: &Pty, max: usize) -> Result<Vec<u8>, Errno> {
    within("in a polling read(2) (VMIN=0, VTIME=0), which returns at once", || read_up_to(p.s(), max))
}

/// termios(3), "MIN == 0, TIME == 0 (polling read)": "If no data is available, read(2)
/// returns 0."
#[test]
fn polling_read_without_data_returns_zero_at_once() {
    needs!(available(pty()));
    let p = noncanonical(0, 0, true);
    assert_eq!(polling_read(&p, 64), Ok(vec![]));
}

/// termios(3), polling read: "If data is available, read(2) returns immediately, with the
/// lesser of the number of bytes available, or the number of bytes requested." Noncanonical
/// input needs no delimiter: "input is available immediately".
#[test]
fn polling_read_returns_the_lesser_of_available_and_requested() {
    needs!(available(pty()));
    let p = noncanonical(0, 0, true);
    p.type_and_wait_for_echo(b"abcdef", b"abcdef");
    assert_eq!(polling_read(&p, 4), Ok(b"abcd".to_vec()));
    assert_eq!(polling_read(&p, 64), Ok(b"ef".to_vec()));
    assert_eq!(polling_read(&p, 64), Ok(vec![]));
}

/// termios(3): "In noncanonical mode ... no input processing is performed, and line editing
/// is disabled": ERASE and KILL characters are read as data.
#[test]
fn noncanonical_input_is_not_line_edited() {
    needs!(available(pty()));
    let p = noncanonical(0, 0, false);
    write_all(p.m(), b"a\x7f\x15b");
    assert_eq!(read_exact(p.s(), 4), b"a\x7f\x15b");
}

/// termios(3), "MIN > 0, TIME == 0 (blocking read)": "read(2) blocks until MIN bytes are
/// available, and returns up to the number of bytes requested." With 3 of MIN=5 bytes
/// available the reader stays blocked (bounded proof); two more bytes release it with all 5.
#[test]
fn blocking_read_waits_for_min_bytes() {
    needs!(available(pty()));
    let p = noncanonical(5, 0, true);
    p.type_and_wait_for_echo(b"abc", b"abc");
    let mut reader = spawn("reader", || {
        assert_eq!(read_up_to(p.s(), 64), Ok(b"abcde".to_vec()));
    });
    reader.assert_blocked_in(fixtures::blocked::calls::READ, "read(2) with 3 of VMIN=5 bytes");
    write_all(p.m(), b"de");
    reader.expect_success();
}

/// termios(3), "MIN == 0, TIME > 0 (read with timeout)": "If the timer expires without any
/// input becoming available, read(2) returns 0." TIME=1 is a tenth of a second: the read
/// returns 0 no sooner than that (minus one clock tick of rounding).
#[test]
fn timed_read_without_data_returns_zero_after_time_deciseconds() {
    needs!(available(pty()));
    let p = noncanonical(0, 1, true);
    let start = Instant::now();
    let got = within("in read(2) with VMIN=0, VTIME=1 (returns 0 after a tenth of a second)", || read_up_to(p.s(), 64));
    assert_eq!(got, Ok(vec![]));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(80), "read returned after {took:?}, before VTIME=1 (100 ms)");
}

/// termios(3), read with timeout: "If data is already available at the time of the call to
/// read(2), the call behaves as though the data was received immediately after the call":
/// with TIME=100 (10 s) and data waiting, the read returns the data at once.
#[test]
fn timed_read_with_data_available_returns_at_once() {
    needs!(available(pty()));
    let p = noncanonical(0, 100, true);
    p.type_and_wait_for_echo(b"xy", b"xy");
    let start = Instant::now();
    assert_eq!(read_up_to(p.s(), 64), Ok(b"xy".to_vec()));
    assert!(start.elapsed() < Duration::from_secs(5), "read waited for the timer: {:?}", start.elapsed());
}

/// termios(3), "MIN > 0, TIME > 0 (read with interbyte timeout)": read(2) returns when "The
/// interbyte timer expires", so with 2 of MIN=5 bytes it returns those 2 after TIME.
#[test]
fn interbyte_timer_returns_fewer_than_min_bytes() {
    needs!(available(pty()));
    let p = noncanonical(5, 1, true);
    p.type_and_wait_for_echo(b"ab", b"ab");
    assert_eq!(read_up_to(p.s(), 64), Ok(b"ab".to_vec()));
}

/// termios(3), interbyte timeout: "Because the timer is started only after the initial byte
/// becomes available, at least one byte will be read." With no input the reader stays
/// blocked well past TIME=1 (bounded proof: 3 x TIME), and the first byte releases it.
#[test]
fn interbyte_timer_does_not_start_before_the_first_byte() {
    needs!(available(pty()));
    let p = noncanonical(5, 1, false);
    let mut reader = spawn("reader", || {
        assert_eq!(read_up_to(p.s(), 64), Ok(b"z".to_vec()));
    });
    reader.wait_until_sleeping();
    assert!(reader.still_running_after(Duration::from_millis(300)), "read returned without any input");
    write_all(p.m(), b"z");
    reader.expect_success();
}

/// termios(3): "If O_NONBLOCK is set, a read(2) in noncanonical mode may return immediately,
/// regardless of the setting of MIN or TIME. Furthermore, if no data is available, POSIX
/// permits a read(2) in noncanonical mode to return either 0, or -1 with errno set to
/// EAGAIN." Linux: EAGAIN when MIN > 0 or TIME > 0, but 0 for the MIN=0/TIME=0 polling read
/// (drivers/tty/n_tty.c, n_tty_read: the "!timeout" check comes before the O_NONBLOCK one).
#[rstest]
#[case::vmin_1(1, 0, Err(Errno::EAGAIN))]
#[case::vtime_1(0, 1, Err(Errno::EAGAIN))]
#[case::polling(0, 0, Ok(vec![]))]
fn nonblocking_noncanonical_read_without_data(#[case] vmin: u8, #[case] vtime: u8, #[case] expected: Result<Vec<u8>, Errno>) {
    needs!(available(pty()));
    let p = noncanonical(vmin, vtime, true);
    set_nonblocking(p.s(), true);
    match expected {
        Err(e) => assert_errno!(read_up_to(p.s(), 64), e),
        Ok(v) => assert_eq!(read_up_to(p.s(), 64), Ok(v)),
    }
}
