//! open(2) of a FIFO. fifo(7): "The FIFO must be opened on both ends (reading and writing)
//! before data can be passed. Normally, opening the FIFO blocks until the other end is opened
//! also. A process can open a FIFO in nonblocking mode. In this case, opening for read-only
//! succeeds even if no one has opened on the write side yet and opening for write-only fails
//! with ENXIO (no such device or address) unless the other end has already been opened. Under
//! Linux, opening a FIFO for read and write will succeed both in blocking and nonblocking
//! mode. POSIX leaves this behavior undefined."
//!
//! A call that must block is made in a child and proven blocked with `assert_blocked_in` (the
//! kernel shows it asleep in open(2)); a call
//! the test process makes that must not block is bounded (`TempFifo::open_now`).

use fifos::TempFifo;
use fixtures::io::{fionread, getfl, read_once, read_to_eof, set_nonblocking, write_once};
use fixtures::names::ModeGuard;
use fixtures::privilege::drop_to_nobody;
use fixtures::{Agent, Forked, assert_errno, isolated, run_in_child, spawn};
use nix::errno::Errno;
use rstest::rstest;

/// A child that opens `fifo` O_RDONLY, blocking, and then reads `expect` up to end of file,
/// returned once the kernel shows it blocked in that open(2) (no writer yet).
#[track_caller]
fn reader_blocked_in_open(fifo: &TempFifo, expect: &'static [u8]) -> Forked {
    let mut reader = spawn("reader blocked in open(2) O_RDONLY", || {
        let fd = fixtures::io::open_cloexec(fifo.path(), libc::O_RDONLY).expect("the blocked open must succeed once released");
        assert_eq!(read_to_eof(&fd), expect);
    });
    reader.assert_blocked_in(fixtures::blocked::calls::OPEN, "open(2) O_RDONLY of a FIFO without writers");
    reader
}

/// fifo(7): "Normally, opening the FIFO blocks until the other end is opened also"; open(2),
/// "FIFOs": "Opening the read or write end of a FIFO blocks until the other end is also
/// opened". Asserted: open(O_RDONLY) blocks while there is no writer; the writer's open
/// releases it, the open returns a descriptor, and data then flows.
#[test]
fn open_rdonly_blocks_until_a_writer_opens() {
    let fifo = TempFifo::new();
    let reader = reader_blocked_in_open(&fifo, b"hello");
    let w = fifo.open_now(libc::O_WRONLY).expect("a waiting reader is a reader: O_WRONLY must not block");
    assert_eq!(write_once(&w, b"hello"), Ok(5));
    drop(w);
    reader.expect_success();
}

/// fifo(7) and open(2), "FIFOs", the other direction. Asserted: open(O_WRONLY) blocks while
/// there is no reader; the reader's open releases it and the written data arrives.
#[test]
fn open_wronly_blocks_until_a_reader_opens() {
    let fifo = TempFifo::new();
    let mut writer = spawn("writer opening O_WRONLY", || {
        let fd = fixtures::io::open_cloexec(fifo.path(), libc::O_WRONLY).expect("the blocked open must succeed once released");
        assert_eq!(write_once(&fd, b"hello"), Ok(5));
    });
    writer.assert_blocked_in(fixtures::blocked::calls::OPEN, "open(2) O_WRONLY of a FIFO without readers");
    let r = fifo.open_now(libc::O_RDONLY).expect("a waiting writer is a writer: O_RDONLY must not block");
    assert_eq!(read_to_eof(&r), b"hello");
    writer.expect_success();
}

/// fifo(7): "opening for read-only succeeds even if no one has opened on the write side yet";
/// POSIX.1-2024 open(): "An open() for reading-only shall return without delay". Asserted:
/// the open returns at once with a read-only, nonblocking descriptor.
#[test]
fn open_rdonly_nonblock_succeeds_without_a_writer() {
    let fifo = TempFifo::new();
    let fd = fifo.open_now(libc::O_RDONLY | libc::O_NONBLOCK).expect("O_RDONLY|O_NONBLOCK");
    let fl = getfl(&fd).unwrap();
    assert_eq!(fl & (libc::O_ACCMODE | libc::O_NONBLOCK), libc::O_RDONLY | libc::O_NONBLOCK);
}

/// POSIX.1-2024 read(): "When attempting to read from an empty pipe or FIFO: If no process has
/// the pipe open for writing, read() shall return 0 to indicate end-of-file." This holds for
/// a reader that never saw a writer, too (pipe(7) speaks only of writers that "have been
/// closed"). Asserted: a nonblocking read returns 0, not EAGAIN; after clearing O_NONBLOCK a
/// read still returns 0 at once instead of waiting for a writer.
#[test]
fn a_reader_that_never_saw_a_writer_reads_eof() {
    isolated(|| {
        let fifo = TempFifo::new();
        let fd = fifo.open_now(libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(read_once(&fd, &mut buf), Ok(0));
        set_nonblocking(&fd, false);
        let r = fixtures::within("a blocking read of a FIFO without writers", || read_once(&fd, &mut buf));
        assert_eq!(r, Ok(0));
    });
}

/// fifo(7): "opening for write-only fails with ENXIO (no such device or address) unless the
/// other end has already been opened"; open(2), ERRORS: "ENXIO O_NONBLOCK | O_WRONLY is set,
/// the named file is a FIFO, and no process has the FIFO open for reading." Asserted for a new
/// FIFO and for one whose only reader has closed again.
#[test]
fn open_wronly_nonblock_without_a_reader_fails_enxio() {
    isolated(|| {
        let fifo = TempFifo::new();
        assert_errno!(fixtures::io::open_cloexec(fifo.path(), libc::O_WRONLY | libc::O_NONBLOCK), Errno::ENXIO, "new FIFO");
        let r = fifo.open_now(libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
        drop(r);
        assert_errno!(fixtures::io::open_cloexec(fifo.path(), libc::O_WRONLY | libc::O_NONBLOCK), Errno::ENXIO, "after the reader closed");
    });
}

/// fifo(7): write-only nonblocking open fails "unless the other end has already been opened".
/// Asserted: with a reader open (itself opened O_NONBLOCK), O_WRONLY|O_NONBLOCK succeeds and
/// the reader receives what is written.
#[test]
fn open_wronly_nonblock_succeeds_when_a_reader_is_open() {
    let fifo = TempFifo::new();
    let r = fifo.open_now(libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
    let w = fifo.open_now(libc::O_WRONLY | libc::O_NONBLOCK).expect("a reader is open");
    assert_eq!(write_once(&w, b"hi"), Ok(2));
    let mut buf = [0u8; 8];
    assert_eq!(read_once(&r, &mut buf), Ok(2));
}

/// fifo(7): "the other end has already been opened" includes a reader that is still blocked
/// in its own open(2) (it counts as a reader from the moment it waits: fs/pipe.c, fifo_open()).
/// Asserted: O_WRONLY|O_NONBLOCK succeeds while a reader waits in open, and that releases the
/// reader, which then reads the data.
#[test]
fn open_wronly_nonblock_succeeds_while_a_reader_waits_in_open() {
    let fifo = TempFifo::new();
    let reader = reader_blocked_in_open(&fifo, b"hi");
    let w = fifo.open_now(libc::O_WRONLY | libc::O_NONBLOCK).expect("a reader waiting in open(2) is a reader");
    assert_eq!(write_once(&w, b"hi"), Ok(2));
    drop(w);
    reader.expect_success();
}

/// fifo(7): "Under Linux, opening a FIFO for read and write will succeed both in blocking and
/// nonblocking mode. POSIX leaves this behavior undefined. This can be used to open a FIFO for
/// writing while there are no readers available." Asserted: O_RDWR opens at once with nobody
/// else on the FIFO, and the one descriptor can write and read back its own data.
#[rstest]
#[case::blocking(0)]
#[case::nonblocking(libc::O_NONBLOCK)]
fn open_rdwr_does_not_block(#[case] extra: libc::c_int) {
    let fifo = TempFifo::new();
    let fd = fifo.open_now(libc::O_RDWR | extra).expect("O_RDWR must open at once");
    assert_eq!(write_once(&fd, b"self"), Ok(4));
    let mut buf = [0u8; 8];
    assert_eq!(read_once(&fd, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"self");
}

/// fifo(7): an O_RDWR open "can be used to open a FIFO for writing while there are no readers
/// available" — it is a reader and a writer for everyone else. Asserted: with only an O_RDWR
/// descriptor open, a blocking O_RDONLY open and an O_WRONLY|O_NONBLOCK open both return at
/// once.
#[test]
fn an_rdwr_descriptor_counts_as_a_reader_and_a_writer() {
    let fifo = TempFifo::new();
    let _both = fifo.open_now(libc::O_RDWR).unwrap();
    fifo.open_now(libc::O_RDONLY).expect("O_RDONLY with an O_RDWR writer present");
    fifo.open_now(libc::O_WRONLY | libc::O_NONBLOCK).expect("O_WRONLY|O_NONBLOCK with an O_RDWR reader present");
}

/// pipe(7): "A FIFO ... has a name within the filesystem ... Any process may open a FIFO,
/// assuming the file permissions allow it." Asserted: a process that inherited no descriptor
/// of the FIFO (forked before anything was opened) reaches it by its path, and its open
/// rendezvouses with the test's open.
#[test]
fn unrelated_processes_meet_through_the_path() {
    let fifo = TempFifo::new();
    let writer = spawn("writer knowing only the path", || {
        let fd = fixtures::io::open_cloexec(fifo.path(), libc::O_WRONLY).expect("open by path");
        assert_eq!(write_once(&fd, b"from afar"), Ok(9));
    });
    let r = fixtures::within("open(2) O_RDONLY until the writer arrives", || fixtures::io::open_cloexec(fifo.path(), libc::O_RDONLY)).unwrap();
    assert_eq!(read_to_eof(&r), b"from afar");
    writer.expect_success();
}

/// pipe(7): "Any process may open a FIFO, assuming the file permissions allow it"; open(2),
/// EACCES: "The requested access to the file is not allowed". The check is made before the
/// FIFO rules (no ENXIO, no blocking). Asserted in a child without privileges (nobody when run
/// as root): read access needs r, write access needs w, O_RDWR with both bits succeeds.
#[rstest]
#[case::reading_without_read_permission(0o222, libc::O_RDONLY | libc::O_NONBLOCK, Some(Errno::EACCES))]
#[case::writing_without_write_permission(0o444, libc::O_WRONLY | libc::O_NONBLOCK, Some(Errno::EACCES))]
#[case::read_write_without_write_permission(0o444, libc::O_RDWR, Some(Errno::EACCES))]
#[case::read_write_with_both_permissions(0o666, libc::O_RDWR, None)]
fn open_checks_the_fifo_permissions(#[case] mode: u32, #[case] flags: libc::c_int, #[case] expected: Option<Errno>) {
    let fifo = TempFifo::new();
    fifo.dir().open_to_all();
    let _mode = ModeGuard::set(fifo.path(), mode, 0o600);
    run_in_child("unprivileged opener", || {
        drop_to_nobody();
        match expected {
            Some(e) => assert_errno!(fifo.open_now(flags), e),
            None => drop(fifo.open_now(flags).expect("permitted open")),
        }
    })
    .expect_success();
}

/// open(2): permissions are checked when the file is opened ("The requested access to the file
/// is not allowed" is an error of open, not of read/write). Asserted in an unprivileged child:
/// a write end opened while the FIFO was 0666 keeps working after chmod 000, while a new open
/// by the same process now fails with EACCES.
#[test]
fn fifo_permissions_are_checked_only_at_open_time() {
    let fifo = TempFifo::new();
    fifo.dir().open_to_all();
    let open_mode = ModeGuard::set(fifo.path(), 0o666, 0o600);
    let r = fifo.open_now(libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
    let writer = Agent::<(), ()>::spawn("unprivileged writer", |serve| {
        drop_to_nobody();
        let w = fifo.open_now(libc::O_WRONLY).expect("open while permitted");
        serve.ready(());
        serve.wait_release();
        assert_eq!(write_once(&w, b"x"), Ok(1), "an open descriptor survives chmod 000");
        assert_errno!(fifo.open_now(libc::O_WRONLY | libc::O_NONBLOCK), Errno::EACCES);
    });
    writer.ready::<()>();
    let _revoked_mode = ModeGuard::set(fifo.path(), 0o000, 0o600);
    writer.expect_success();
    drop(open_mode);
    let mut buf = [0u8; 4];
    assert_eq!(read_once(&r, &mut buf), Ok(1));
}

/// open(2), O_TRUNC: "If the file is a FIFO or terminal device file, the O_TRUNC flag is
/// ignored." Asserted: opening the FIFO with O_WRONLY|O_TRUNC while 4 bytes are buffered
/// leaves them there.
#[test]
fn o_trunc_is_ignored_on_a_fifo() {
    let fifo = TempFifo::new();
    let rw = fifo.open_now(libc::O_RDWR).unwrap();
    assert_eq!(write_once(&rw, b"keep"), Ok(4));
    let t = fifo.open_now(libc::O_WRONLY | libc::O_TRUNC).expect("O_WRONLY|O_TRUNC with a reader present");
    assert_eq!(fionread(&rw), Ok(4));
    drop(t);
    let mut buf = [0u8; 8];
    assert_eq!(read_once(&rw, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"keep");
}
