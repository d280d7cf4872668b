//! End to end: a `script(1)`-like relay runs a program on the slave as its controlling
//! terminal and talks to it through the master, until the master reads EIO.
//!
//! The program is the test binary re-executed as a fixtures probe (fixtures::exec), so no
//! host program is needed. Each test runs inside [`isolated`] so that no other process holds
//! a copy of the slave (the relay's EIO depends on the last slave descriptor closing).

use std::os::fd::AsRawFd;

use fixtures::exec::exec_probe;
use fixtures::{require, spawn};
use fixtures::isolated;
use nix::errno::Errno;
use pty::*;

/// In the child: become a session leader with the slave as controlling terminal and as
/// stdin/stdout/stderr (login_tty(3)), closing every other copy of the pair, then exec.
fn exec_on_the_slave(master: libc::c_int, slave: libc::c_int, probe: &[&str]) -> ! {
    // SAFETY: dup2/close on descriptors this child owns.
    unsafe { libc::close(master) };
    take_controlling_terminal(slave);
    for target in 0..3 {
        assert_eq!(unsafe { libc::dup2(slave, target) }, target);
    }
    unsafe { libc::close(slave) };
    exec_probe(probe)
}

/// pty(7): "anything that is written to the slave end of the pseudoterminal can be read by
/// the process that is connected to the master end"; termios(3) ONLCR maps each "\n" the
/// program writes to "\r\n"; once the program exited (the last slave descriptor closed) the
/// master's read fails with EIO (see hangup.rs). All 100 lines arrive, in order.
#[test]
fn relay_reads_a_programs_output_with_crlf_then_eio() {
    require!(ptmx_available());
    isolated(|| {
        let Pty { master, slave, .. } = Pty::open();
        let (m, s) = (master.as_raw_fd(), slave.as_raw_fd());
        let child = spawn("program on the slave", || exec_on_the_slave(m, s, &["emit", "100"]));
        drop(slave);
        let (output, end) = read_to_end(m);
        let expected: String = (1..=100).map(|i| format!("{i}\r\n")).collect();
        assert_eq!(String::from_utf8_lossy(&output), expected);
        assert_eq!(end, Err(Errno::EIO));
        child.expect_success();
    });
}

/// Input typed on the master reaches the program as a canonical line, is echoed, and the
/// program's copy comes back (ECHO then the program's output, both with "\r\n"); VEOF at the
/// start of a line makes the program's read(2) return 0 (termios(3), VEOF), so `cat` exits
/// and the master reads EIO.
#[test]
fn relay_feeds_a_program_lines_and_end_of_file() {
    require!(ptmx_available());
    isolated(|| {
        let Pty { master, slave, .. } = Pty::open();
        let (m, s) = (master.as_raw_fd(), slave.as_raw_fd());
        let child = spawn("cat on the slave", || exec_on_the_slave(m, s, &["cat"]));
        drop(slave);
        write_all(m, b"hello\n\x04");
        let (output, end) = read_to_end(m);
        assert_eq!(String::from_utf8_lossy(&output), "hello\r\nhello\r\n");
        assert_eq!(end, Err(Errno::EIO));
        child.expect_success();
    });
}
