//! A shell pipeline `producer | consumer`, built the way a shell builds it: pipe(2), fork(2)
//! twice, dup2(2) of the ends onto stdin/stdout, execve(2). The programs are the test binary's
//! own probes (`emit N` writes the lines 1..N, `sum` adds the lines of its stdin), so this
//! works in VMs and scratch containers.
//!
//! pipe(2), EXAMPLES and pipe(7): "An application that uses pipe(2) and fork(2) should use
//! suitable close(2) calls to close unnecessary duplicate file descriptors; this ensures that
//! end-of-file and SIGPIPE/EPIPE are delivered when appropriate." Here the ends are
//! close-on-exec, so each probe keeps only the end dup2'ed onto its stdin or stdout.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::exec::exec_probe;
use fixtures::io::read_to_eof;
use fixtures::{Forked, isolated, spawn};
use nix::sys::signal::Signal;

fn cloexec_pipe() -> (OwnedFd, OwnedFd) {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2")
}

/// In a child: put `stdin`/`stdout` (if given) on fds 0/1 and exec the probe.
fn run_probe(what: &str, stdin: Option<&OwnedFd>, stdout: Option<&OwnedFd>, probe: &'static [&'static str]) -> Forked {
    let (i, o) = (stdin.map(|f| f.as_raw_fd()), stdout.map(|f| f.as_raw_fd()));
    spawn(what, move || {
        unsafe {
            if let Some(fd) = i {
                assert_eq!(libc::dup2(fd, 0), 0, "dup2 onto stdin");
            }
            if let Some(fd) = o {
                assert_eq!(libc::dup2(fd, 1), 1, "dup2 onto stdout");
            }
        }
        exec_probe(probe)
    })
}

/// `emit <n> | sum`, started: (producer, consumer, the pipe between them as (read end, write
/// end), the consumer's stdout pipe as (read end, write end)). The parent still holds every
/// end; which it closes when is the caller's claim.
fn emit_into_sum(producer: &'static [&'static str]) -> (Forked, Forked, (OwnedFd, OwnedFd), (OwnedFd, OwnedFd)) {
    let (rx, tx) = cloexec_pipe();
    let (out_rx, out_tx) = cloexec_pipe();
    let p = run_probe(&format!("producer: {}", producer.join(" ")), None, Some(&tx), producer);
    let c = run_probe("consumer: sum", Some(&rx), Some(&out_tx), &["sum"]);
    (p, c, (rx, tx), (out_rx, out_tx))
}

/// pipe(2), DESCRIPTION and EXAMPLES: data written to the write end by one process is read
/// from the read end by another; the consumer sees end-of-file when the producer (the only
/// writer left) exits. Asserted: `emit 100 | sum` prints exactly "5050\n" and both exit 0.
#[test]
fn emit_piped_into_sum_prints_the_sum() {
    isolated(|| {
        let (producer, consumer, (rx, tx), (out_rx, out_tx)) = emit_into_sum(&["emit", "100"]);
        drop((rx, tx, out_tx)); // the parent must not hold ends the children wait on
        assert_eq!(read_to_eof(out_rx.as_fd()), b"5050\n");
        producer.expect_success();
        consumer.expect_success();
    });
}

/// pipe(7): end-of-file only when "all file descriptors referring to the write end of a pipe
/// have been closed" — a forgotten write end in the shell (here the parent) keeps the
/// consumer waiting after the producer is done. Asserted: the consumer is blocked in read(2)
/// although the producer has exited, and finishes with the right sum once the parent closes
/// its write end.
#[test]
fn the_consumer_waits_while_any_write_end_is_open() {
    isolated(|| {
        let (producer, mut consumer, (rx, tx), (out_rx, out_tx)) = emit_into_sum(&["emit", "10"]);
        drop((rx, out_tx));
        producer.expect_success();
        consumer.assert_blocked_in(fixtures::blocked::calls::READ, "sum reading stdin while the parent still holds a write end");
        drop(tx);
        assert_eq!(read_to_eof(out_rx.as_fd()), b"55\n");
        consumer.expect_success();
    });
}

/// pipe(7): a write with no read end left raises SIGPIPE; signal(7): its default action is
/// "Term". This is what stops `producer | head`: the producer is killed when the consumer
/// exits without reading. Asserted: `emit 100000` (far more than the capacity) with SIGPIPE
/// at SIG_DFL, piped into a consumer that exits at once, is killed by SIGPIPE.
#[test]
fn the_producer_is_killed_by_sigpipe_when_the_consumer_exits_early() {
    isolated(|| {
        let (rx, tx) = cloexec_pipe();
        let consumer = run_probe("consumer: exit 0", Some(&rx), None, &["exit", "0"]);
        let tx_raw = tx.as_raw_fd();
        let producer = spawn("producer: emit 100000 with SIGPIPE at SIG_DFL", move || {
            // The disposition SIG_DFL survives execve(2); the Rust default (ignored) would too.
            fixtures::signals::set_default(Signal::SIGPIPE);
            assert_eq!(unsafe { libc::dup2(tx_raw, 1) }, 1);
            exec_probe(&["emit", "100000"])
        });
        drop((rx, tx));
        consumer.expect_success();
        producer.expect_signal(Signal::SIGPIPE);
    });
}
