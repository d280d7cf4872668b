//! Suite `pty`: UNIX 98 pseudoterminals and the terminal semantics a pty slave provides.
//!
//! Covered (one topic per file in `tests/`):
//! - `pair.rs`: opening a master on /dev/ptmx, grantpt/unlockpt/ptsname, the slave lock
//!   (TIOCSPTLCK/TIOCGPTLCK), TIOCGPTN, TIOCGPTPEER, the slave's device number, owner and
//!   mode (devpts mount options), exclusive mode (TIOCEXCL).
//! - `data_flow.rs`: bytes both ways, output post-processing (OPOST/ONLCR), input mapping
//!   (ICRNL), termios through the master, default control characters.
//! - `canonical.rs`: line buffering, VEOF, VEOL, VERASE, VKILL, VWERASE, VLNEXT, the 4095-byte
//!   line limit, TCSAFLUSH, FIONREAD.
//! - `echo.rs`: ECHO, ECHOE, ECHOCTL, ECHONL as seen on the master.
//! - `noncanonical.rs`: the four MIN/TIME cases, O_NONBLOCK.
//! - `signals.rs`: ISIG characters (VINTR/VQUIT/VSUSP) signalling the foreground process
//!   group, NOFLSH, SIGWINCH on TIOCSWINSZ, TIOCGWINSZ.
//! - `sessions.rs`: controlling terminals (setsid, TIOCSCTTY, O_NOCTTY, /dev/tty), foreground
//!   process groups (TIOCGPGRP/TIOCSPGRP/tcsetpgrp), TIOCGSID, TIOCNOTTY (by the leader and
//!   by another member of the session).
//! - `job_control.rs`: SIGTTIN/SIGTTOU for background process groups, TOSTOP, EIO cases.
//! - `hangup.rs`: closing either side: EIO on the master, SIGHUP to the session leader,
//!   hung-up slave descriptors.
//! - `packet_mode.rs`: TIOCPKT data and control packets, POLLPRI.
//! - `flow_control.rs`: IXON STOP/START, IXANY.
//! - `relay.rs`: a `script`-like relay of an exec'd program through a pty, end to end.
//! - `global_tiocsti.rs`: TIOCSTI and the dev.tty.legacy_tiocsti switch (6.2; EIO when
//!   off), its CAP_SYS_ADMIN exemption (6.5); a global_ file, run one test at a time.
//! - `global_pty_max.rs`: kernel.pty.max bounds the pairs in use: ENOSPC past it (runs alone: one
//!   limit for the machine).
//!
//! Sources: pty(7), pts(4), posix_openpt(3), grantpt(3), unlockpt(3), ptsname(3), termios(3),
//! tcgetpgrp(3), ioctl_tty(2) (tty_ioctl(4) in older man-pages), TIOCSTI(2const) of
//! man-pages 6.20, tty(4), setsid(2),
//! credentials(7), open(2), mount(8) "Mount options for devpts", POSIX.1-2017 XBD chapter 11
//! "General Terminal Interface", and the kernel sources (drivers/tty/pty.c, tty_jobctrl.c,
//! n_tty.c) for Linux specifics.
//!
//! Every test states its prerequisites first: `needs!(available(facility::pty()))` (a usable
//! /dev/ptmx; containers may lack it) reports `present`, or skips with the lacking variant
//! `absent` (a kernel without UNIX 98 ptys) or `blocked` (no usable /dev/ptmx or /dev/pts
//! here); tests that open /dev/tty add `available(dev_tty())`.
//! Tests whose claims depend on every copy of a descriptor being closed (hangup, EIO, SIGHUP)
//! run entirely inside a forked child (`fixtures::isolated`): under plain `cargo test` a child forked
//! by a neighbouring test thread would otherwise inherit our pty descriptors and keep the
//! other side open.
//!
//! The helpers, one module per concern: [`pair`] (opening a master and its slave),
//! [`termios`] (attributes and window size), [`ioctls`] (the int-valued tty ioctls and the
//! packet-mode bits), [`session`] (controlling terminals, /dev/tty), [`reads`] (bounded
//! reads of what the line discipline made available), [`devpts`] (the devpts mount options
//! that decide a slave's owner and mode) and [`cases`] (the suite's named parameter sets).
//! Process groups and sessions use nix's calls (`nix::unistd::{setsid, setpgid, tcgetpgrp,
//! tcsetpgrp}`, `nix::sys::termios::tcgetsid`): glibc's tcgetpgrp and tcgetsid are the
//! TIOCGPGRP and TIOCGSID ioctls, which also answer on a master.

pub mod cases;
pub mod devpts;
pub mod ioctls;
pub mod pair;
pub mod reads;
pub mod session;
pub mod termios;
