//! Which conditions raise the signal, and with which si_code: output becoming possible,
//! hangups, incoming connections, TCP urgent data (SIGURG).

use std::os::fd::AsRawFd;

use fixtures::kinds::Kind;
use fixtures::net::{self, SockAddr};
use fixtures::signals::{SignalCatcher, rt};
use fixtures::uapi::{POLL_HUP, POLL_IN, POLL_OUT, POLL_PRI};
use fixtures::run_in_child;
use nix::sys::socket::{Shutdown, shutdown};
use nix::unistd::getpid;
use fixtures::cases::pipe_kinds;
use rstest::rstest;
use rstest_reuse::apply;
use signal_io::{with_pair_catching, queued, enable_signal_io, expected, set_owner, summary};

/// fcntl(2): "a SIGIO signal is sent whenever input or output becomes possible". The write
/// end of a full pipe (or a UNIX stream socket that refused a write) gets POLL_OUT, with
/// si_band POLLOUT|POLLWRNORM|POLLWRBAND, once the reader makes room — and nothing while it
/// was being filled.
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::fifo(Kind::Fifo)]
#[case::unix_stream(Kind::UnixStream)]
fn draining_a_full_channel_signals_the_writer_poll_out(#[case] kind: Kind) {
    let sig = rt(1);
    with_pair_catching(kind, &[sig], |p, c| {
        enable_signal_io(p.tx(), sig);
        p.fill();
        assert_eq!(c.take_pending(), None, "filling signals nothing");
        p.drain();
        let got = queued(c);
        assert!(!got.is_empty(), "no POLL_OUT after draining");
        assert!(
            got.iter().all(|g| *g == expected(sig, POLL_OUT, p.tx())),
            "{got:?}"
        );
    });
}

/// fcntl(2), F_SETOWN: "a SIGIO signal is sent whenever input or output becomes possible on
/// the file descriptor"; sigaction(2): "POLL_IN Data input available." fs/pipe.c,
/// pipe_release: when the last writer of a pipe or FIFO closes, readers get POLL_IN (end of
/// file is input: a read no longer blocks; there is no POLL_HUP for pipes).
#[apply(pipe_kinds)]
#[rstest]
fn the_last_writer_closing_a_pipe_signals_poll_in(#[case] kind: Kind) {
    let sig = rt(1);
    with_pair_catching(kind, &[sig], |p, c| {
        enable_signal_io(p.rx(), sig);
        p.close_tx();
        let got = queued(c);
        assert_eq!(got, vec![expected(sig, POLL_IN, p.rx())]);
    });
}

/// sigaction(2): "POLL_HUP Device disconnected." A UNIX stream socket whose peer closes
/// gets POLL_HUP with si_band POLLHUP|POLLERR (net/unix/af_unix.c, unix_release_sock:
/// sk_wake_async(..., POLL_HUP); fs/fcntl.c band_table) — while the peer's
/// shutdown(SHUT_WR) alone is just input (POLL_IN: end of file is readable).
#[test]
fn a_unix_stream_peer_closing_signals_poll_hup() {
    let sig = rt(1);
    with_pair_catching(Kind::UnixStream, &[sig], |p, c| {
        enable_signal_io(p.rx(), sig);
        shutdown(p.tx().as_raw_fd(), Shutdown::Write).unwrap();
        assert_eq!(
            queued(c),
            vec![expected(sig, POLL_IN, p.rx())]
        );
        p.close_tx();
        assert_eq!(
            queued(c),
            vec![expected(sig, POLL_HUP, p.rx())]
        );
    });
}

/// accept(2): "In order to be notified of incoming connections on a socket ...
/// Alternatively, you can set the socket to deliver SIGIO when activity occurs on a
/// socket": a listening socket with an owner and O_ASYNC gets POLL_IN for the connection.
#[rstest]
#[case::tcp(true)]
#[case::unix_stream(false)]
fn a_new_connection_signals_the_listening_socket(#[case] tcp: bool) {
    run_in_child("listener", || {
        let sig = rt(1);
        let c = SignalCatcher::new(&[sig]);
        if tcp {
            let (l, addr) = net::loopback_listener();
            enable_signal_io(&l, sig);
            let _client = net::connect_to(&addr);
            // The final ACK reaches the listener asynchronously: a bounded wait.
            assert_eq!(summary(&c.wait()), expected(sig, POLL_IN, &l));
        } else {
            let (l, addr) = net::listener(&SockAddr::unique_abstract("sigio-listener"), 4, 0);
            enable_signal_io(&l, sig);
            let _client = net::connect_to(&addr);
            assert_eq!(
                queued(&c),
                vec![expected(sig, POLL_IN, &l)]
            );
        }
    })
    .expect_success();
}

/// fcntl(2), F_SETOWN: "If the file descriptor fd refers to a socket, F_SETOWN also
/// selects the recipient of SIGURG signals that are delivered when out-of-band data arrives
/// on that socket." No O_ASYNC is needed for SIGURG (net/core/sock.c, sk_send_sigurg calls
/// send_sigurg directly); it comes as a plain kernel signal (SI_KERNEL).
#[test]
fn tcp_urgent_data_sends_sigurg_to_the_owner_without_o_async() {
    with_pair_catching(Kind::Tcp, &[libc::SIGURG, libc::SIGIO], |p, c| {
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        p.send_urgent(b'!');
        let got: Vec<_> = c.drain().iter().map(|i| (i.signo, i.code)).collect();
        assert_eq!(got, vec![(libc::SIGURG, libc::SI_KERNEL)]);
    });
}

/// fcntl(2), F_SETOWN: "If the file descriptor fd refers to a socket, F_SETOWN also selects
/// the recipient of SIGURG signals that are delivered when out-of-band data arrives on that
/// socket"; tcp(7): the kernel sends SIGURG "to the process or process group that has been
/// set as the socket "owner"". Without an owner nobody receives SIGURG (fs/fcntl.c,
/// send_sigurg: no f_owner.pid).
#[test]
fn no_sigurg_without_an_owner() {
    with_pair_catching(Kind::Tcp, &[libc::SIGURG], |p, c| {
        p.send_urgent(b'!');
        assert_eq!(c.take_pending(), None);
    });
}

/// fcntl(2): "SIGURG is sent in any situation where select(2) would report the socket as
/// having an 'exceptional condition'", and with O_ASYNC and F_SETSIG the same event is
/// also queued as the F_SETSIG signal with si_code POLL_PRI and si_band POLLPRI|POLLRDBAND
/// (fs/fcntl.c, kill_fasync_rcu: SIGURG-band events go to owners "which have ... set a
/// queued signum").
#[test]
fn urgent_data_with_f_setsig_also_queues_poll_pri() {
    run_in_child("owner with F_SETSIG", || {
        let sig = rt(1);
        let c = SignalCatcher::new(&[libc::SIGURG]);
        let q = SignalCatcher::new(&[sig]);
        let p = Kind::Tcp.pair();
        enable_signal_io(p.rx(), sig);
        p.send_urgent(b'!');
        assert_eq!(
            c.drain().iter().map(|i| i.signo).collect::<Vec<_>>(),
            vec![libc::SIGURG]
        );
        let queued = queued(&q);
        assert!(
            queued.contains(&expected(sig, POLL_PRI, p.rx())),
            "{queued:?}"
        );
    })
    .expect_success();
}
