//! RLIMIT_NOFILE: "a value one greater than the maximum file descriptor number that can be
//! opened by this process. Attempts (open(2), pipe(2), dup(2), etc.) to exceed this limit
//! yield the error EMFILE." (getrlimit(2)). The limit is lowered in a forked child only.

use std::os::fd::{AsFd, RawFd};

use fds::{TempFile, close, dup, dup2, fcntl, vacate};
use fixtures::io::{raw_fd, read_once};
use fixtures::limits::set_nofile_soft_limit;
use fixtures::procfs::fd_is_open;
use fixtures::{assert_errno, run_in_child, sys};
use nix::errno::Errno;

const LIMIT: RawFd = 32;

/// Fill every free fd below `LIMIT` with duplicates of `fd`, then check that all numbers
/// below the limit are taken. Returns how many were made.
fn fill_table(fd: impl AsFd) -> usize {
    let fd = fd.as_fd();
    let mut made = 0;
    loop {
        match dup(fd) {
            Ok(n) => {
                assert!(n < LIMIT, "dup returned {n}, at or above the soft limit {LIMIT}");
                made += 1;
            }
            Err(Errno::EMFILE) => break,
            Err(e) => panic!("dup while filling the table: {e}"),
        }
        assert!(made <= LIMIT as usize, "more than {LIMIT} fds below a limit of {LIMIT}");
    }
    for n in 0..LIMIT {
        assert!(fd_is_open(raw_fd(n)), "EMFILE was reported although fd {n} < {LIMIT} was free");
    }
    made
}

/// How a new descriptor is made: each documents EMFILE for a full table.
#[derive(Debug, Clone, Copy)]
enum Maker {
    Dup,
    FDupfd,
    Open,
    Pipe,
    Socket,
    Eventfd,
}

fn make(how: Maker, fd: impl AsFd, path: &std::ffi::CStr) -> Result<libc::c_int, Errno> {
    // SAFETY: plain system calls with valid arguments; results are closed by process exit.
    unsafe {
        match how {
            Maker::Dup => dup(fd),
            Maker::FDupfd => fcntl(fd, libc::F_DUPFD, 0),
            Maker::Open => sys(libc::open(path.as_ptr(), libc::O_RDONLY)),
            Maker::Pipe => {
                let mut p = [0; 2];
                sys(libc::pipe(p.as_mut_ptr()))
            }
            Maker::Socket => sys(libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0)),
            Maker::Eventfd => sys(libc::eventfd(0, 0)),
        }
    }
}

/// dup(2) "EMFILE The per-process limit on the number of open file descriptors has been
/// reached"; fcntl(2) "EMFILE cmd is F_DUPFD and the per-process limit ... has been
/// reached"; likewise open(2), pipe(2), socket(2) and eventfd(2) list EMFILE. With every fd
/// below the soft limit in use, each of them fails with EMFILE and makes nothing.
#[rstest::rstest]
#[case::dup(Maker::Dup)]
#[case::f_dupfd(Maker::FDupfd)]
#[case::open(Maker::Open)]
#[case::pipe(Maker::Pipe)]
#[case::socket(Maker::Socket)]
#[case::eventfd(Maker::Eventfd)]
fn every_fd_making_call_fails_emfile_at_rlimit_nofile(#[case] how: Maker) {
    let f = TempFile::new(b"");
    let cpath = std::ffi::CString::new(f.path().to_str().unwrap()).unwrap();
    run_in_child("full fd table", || {
        set_nofile_soft_limit(LIMIT as u64);
        fill_table(&f);
        assert_errno!(make(how, &f, &cpath), Errno::EMFILE, "{how:?} with a full table");
        assert!(!fd_is_open(raw_fd(LIMIT)), "an fd at the limit was made");
        // One free slot is enough again.
        close(LIMIT - 1).unwrap();
        if matches!(how, Maker::Pipe) {
            // A pipe needs two numbers: with one free it still fails.
            assert_errno!(make(how, &f, &cpath), Errno::EMFILE, "pipe with one free fd");
        } else {
            assert_eq!(make(how, &f, &cpath), Ok(LIMIT - 1), "{how:?} with one free fd");
        }
    })
    .expect_success();
}

/// getrlimit(2): the limit bounds the numbers that can be *opened*; lowering it does not
/// close descriptors that are already open above it, and they stay usable.
#[test]
fn fds_above_a_lowered_rlimit_nofile_stay_open_and_usable() {
    let f = TempFile::new(b"xyz");
    run_in_child("lowered limit", || {
        vacate([200]);
        let high = dup2(&f, 200).unwrap();
        set_nofile_soft_limit(LIMIT as u64);
        assert!(fd_is_open(raw_fd(high)));
        let mut buf = [0u8; 3];
        assert_eq!(read_once(raw_fd(high), &mut buf), Ok(3));
        assert_eq!(&buf, b"xyz");
        // But nothing new can be made at that number.
        close(high).unwrap();
        assert_errno!(dup2(&f, 200), Errno::EBADF);
    })
    .expect_success();
}
