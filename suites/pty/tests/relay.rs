//! End to end: a `script(1)`-like relay runs a program on the slave as its controlling
//! terminal and talks to it through the master, until the master reads EIO.
//!
//! The program is the test binary re-executed as a fixtures probe (fixtures::exec), so no
//! host program is needed. Each test runs inside [`isolated`] so that no other process holds
//! a copy of the slave (the relay's EIO depends on the last slave descriptor closing).

use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::exec::exec_probe;
use fixtures::facility::pty;
use fixtures::io::write_all;
use fixtures::{isolated, needs, spawn};
use nix::errno::Errno;
use pty::pair::Pty;
use pty::reads::read_to_end;
use pty::session::take_controlling_terminal;

/// A new pair, and a child running `probe` on its slave: a session leader with the slave as
/// controlling terminal and as stdin/stdout/stderr (login_tty(3)), every other copy of the
/// pair closed before the exec. The test keeps only the master (its slave is closed here).
fn program_on_the_slave(probe: &[&str]) -> (OwnedFd, fixtures::Forked) {
    let Pty { master, slave, .. } = Pty::open();
    let (m, s) = (master.as_raw_fd(), slave.as_raw_fd());
    let child = spawn("program on the slave", || {
        // SAFETY: dup2/close on descriptors this child owns (fd numbers: 0, 1, 2 are the claim).
        unsafe { libc::close(m) };
        take_controlling_terminal(fixtures::io::raw_fd(s));
        for target in 0..3 {
            assert_eq!(unsafe { libc::dup2(s, target) }, target);
        }
        unsafe { libc::close(s) };
        exec_probe(probe)
    });
    drop(slave);
    (master, child)
}

/// pty(7): "anything that is written to the slave end of the pseudoterminal can be read by
/// the process that is connected to the master end"; termios(3) ONLCR maps each "\n" the
/// program writes to "\r\n"; once the program exited (the last slave descriptor closed) the
/// master's read fails with EIO (see hangup.rs). All 100 lines arrive, in order.
#[test]
fn relay_reads_a_programs_output_with_crlf_then_eio() {
    needs!(available(pty()));
    isolated(|| {
        let (master, child) = program_on_the_slave(&["emit", "100"]);
        let (output, end) = read_to_end(&master);
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
    needs!(available(pty()));
    isolated(|| {
        let (master, child) = program_on_the_slave(&["cat"]);
        write_all(&master, b"hello\n\x04");
        let (output, end) = read_to_end(&master);
        assert_eq!(String::from_utf8_lossy(&output), "hello\r\nhello\r\n");
        assert_eq!(end, Err(Errno::EIO));
        child.expect_success();
    });
}
