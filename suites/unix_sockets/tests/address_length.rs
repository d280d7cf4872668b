//! sun_path and the addrlen argument (unix(7), "Address format", "Pathname sockets", BUGS):
//! what the kernel does with names that are too long, unterminated, truncated by addrlen or
//! carry an early NUL, and how it reports them back.

use fixtures::net::SockType;
use std::os::fd::OwnedFd;

use fixtures::net::{bind, connect};
use fixtures::{Scratch, assert_errno};
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::parallel;
use unix_sockets::addr::{Call, FAMILY_LEN, SOCKADDR_UN_LEN, SUN_PATH_LEN, UnixAddr, UnixAddrExt, getsockname, try_getsockname};
use unix_sockets::calls::socket;
use unix_sockets::cases::address_calls;
use unix_sockets::AddrKind;
use unix_sockets::pairs::named_socket;
use libc::socklen_t;

fn call(c: Call, addr: &UnixAddr) -> Result<(), Errno> {
    let fd = socket(SockType::Stream, 0);
    match c {
        Call::Bind => bind(&fd, addr),
        Call::Connect => connect(&fd, addr),
    }
}

/// A path in `s` that is exactly `len` bytes long.
fn path_of_len(s: &Scratch, len: usize) -> Vec<u8> {
    let dir = s.path().as_os_str().as_encoded_bytes().to_vec();
    let mut p = dir;
    p.push(b'/');
    assert!(p.len() < len, "scratch path too long for a {len}-byte name");
    while p.len() < len {
        p.push(b'a' + (p.len() % 26) as u8);
    }
    p
}

/// A stream socket bound (asserted) to an unterminated 108-byte path — addrlen
/// sizeof(struct sockaddr_un), no room for a NUL — in a scratch directory of its own, with
/// the path.
#[track_caller]
fn bound_to_a_108_byte_path() -> (OwnedFd, Vec<u8>, Scratch) {
    let s = Scratch::new();
    let p = path_of_len(&s, SUN_PATH_LEN);
    let fd = socket(SockType::Stream, 0);
    assert_eq!(bind(&fd, &UnixAddr::raw(&p, SOCKADDR_UN_LEN)), Ok(()));
    (fd, p, s)
}

/// unix(7), ERRORS: "EINVAL Invalid argument passed." An addrlen that cannot even hold
/// sun_family is rejected by bind(2) and connect(2) alike.
#[apply(address_calls)]
#[rstest]
#[parallel]
fn addrlen_shorter_than_sun_family_fails_einval(#[case] c: Call, #[values(0, 1)] len: socklen_t) {
    assert_errno!(call(c, &UnixAddr::raw(b"\0x", len)), Errno::EINVAL, "addrlen {len}");
}

/// Linux differs from bind(2), which lists "ENAMETOOLONG addr is too long" for the UNIX
/// domain: an address longer than sizeof(struct sockaddr_un) is rejected with EINVAL
/// (net/unix/af_unix.c, unix_validate_addr()), before any path is looked at. See
/// docs/findings.md.
#[apply(address_calls)]
#[rstest]
#[parallel]
fn addrlen_beyond_sockaddr_un_fails_einval_not_enametoolong(
    #[case] c: Call,
    #[values(
        /// sockaddr_un_plus_one
        SOCKADDR_UN_LEN + 1,
        /// sockaddr_storage
        128
    )]
    len: socklen_t,
) {
    let s = Scratch::new();
    let mut p = path_of_len(&s, 108);
    p.push(0);
    assert_errno!(call(c, &UnixAddr::raw(&p, len)), Errno::EINVAL, "addrlen {len}");
    assert_eq!(std::fs::read_dir(s.path()).unwrap().count(), 0, "nothing may be created");
}

/// unix(7), ERRORS: "EINVAL ... A common cause is that the value AF_UNIX was not specified
/// in the sun_type field of passed addresses".
#[apply(address_calls)]
#[rstest]
#[parallel]
fn a_foreign_address_family_fails_einval(
    #[case] c: Call,
    #[values(
        /// af_inet
        libc::AF_INET as u16,
        /// ffff
        0xffff
    )]
    family: u16,
) {
    let addr = UnixAddr::raw_family(family, b"\0ipcspec-family", 2 + 15);
    assert_errno!(call(c, &addr), Errno::EINVAL, "family {family}");
}

/// unix(7), BUGS: "if 108 non-null bytes are supplied when a socket is bound" Linux accepts
/// them (it "appends a null terminator if none is supplied"): the file gets the whole
/// 108-byte name.
#[test]
#[parallel]
fn a_108_byte_unterminated_path_binds() {
    let (_fd, p, _s) = bound_to_a_108_byte_path();
    let path = std::path::Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&p));
    assert!(path.exists(), "the socket file has all 108 bytes of the name");
}

/// unix(7), BUGS: for a 108-byte name "the addition of the null terminator takes the length
/// of the pathname beyond sizeof(sun_path). Consequently, when retrieving the socket address
/// ... if the input addrlen argument for the retrieving call is specified as sizeof(struct
/// sockaddr_un), then the returned address structure won't have a null terminator in
/// sun_path." Asserted: addrlen comes back as 111 (greater than the 110 supplied) and the
/// 108 bytes fill sun_path; the man page's workaround (a zeroed buffer one byte larger)
/// leaves a terminator just after it.
#[test]
#[parallel]
fn getsockname_of_a_108_byte_path_reports_addrlen_111() {
    let (fd, p, _s) = bound_to_a_108_byte_path();
    let got = getsockname(&fd);
    assert_eq!(got.len(), SOCKADDR_UN_LEN + 1);
    assert_eq!(&got.buffer()[2..2 + SUN_PATH_LEN], &p[..]);
    assert!(!got.buffer()[2..2 + SUN_PATH_LEN].contains(&0), "no terminator inside sun_path");
    assert_eq!(got.buffer()[2 + SUN_PATH_LEN], 0, "the zeroed extra byte terminates the string");
}

/// unix(7), BUGS: "Linux is one of the implementations that appends a null terminator if
/// none is supplied in sun_path ... when the socket address is retrieved, it will be one
/// byte longer than that supplied when the socket was bound."
#[rstest]
#[parallel]
#[case::stream(SockType::Stream)]
#[case::dgram(SockType::Dgram)]
fn an_unterminated_name_comes_back_one_byte_longer(#[case] ty: SockType) {
    let s = Scratch::new();
    let p = s.join("sock").into_os_string().into_encoded_bytes();
    let supplied = FAMILY_LEN + p.len() as socklen_t;
    let fd = socket(ty, 0);
    assert_eq!(bind(&fd, &UnixAddr::raw(&p, supplied)), Ok(()));
    let got = getsockname(&fd);
    assert_eq!(got.len(), supplied + 1);
    assert_eq!(&got.path_bytes()[..p.len()], &p[..]);
    assert_eq!(got.path_bytes()[p.len()], 0);
}

/// unix(7), "Pathname sockets": addrlen "should have a value of at least offsetof(struct
/// sockaddr_un, sun_path)+strlen(addr.sun_path)+1"; when it is shorter, the kernel reads
/// only addrlen bytes (BUGS: "the addrlen argument is used to determine the length of
/// sun_path"), so the name is cut: the file created is the prefix.
#[test]
#[parallel]
fn an_addrlen_shorter_than_the_string_truncates_the_name() {
    let s = Scratch::new();
    let mut p = s.join("abcdef").into_os_string().into_encoded_bytes();
    p.push(0);
    let cut = p.len() - 1 - 3; // drop "def" and the NUL
    let fd = socket(SockType::Stream, 0);
    assert_eq!(bind(&fd, &UnixAddr::raw(&p, FAMILY_LEN + cut as socklen_t)), Ok(()));
    assert!(s.join("abc").exists(), "the truncated name was created");
    assert!(!s.join("abcdef").exists(), "the full name was not");
    let got = getsockname(&fd);
    assert_eq!(got.len(), FAMILY_LEN + cut as socklen_t + 1);
    assert_eq!(&got.path_bytes()[..cut], &p[..cut]);
}

/// unix(7), "Address format": a pathname socket is bound to "a null-terminated filesystem
/// pathname" and its returned length is "offsetof(struct sockaddr_un, sun_path) +
/// strlen(sun_path) + 1": a pathname ends at its first NUL even if addrlen covers bytes after
/// it (unlike an abstract name, where NULs have "no special significance").
#[test]
#[parallel]
fn a_pathname_ends_at_its_first_nul() {
    let s = Scratch::new();
    let mut p = s.join("a").into_os_string().into_encoded_bytes();
    let short = p.len();
    p.extend_from_slice(b"\0b\0");
    let fd = socket(SockType::Dgram, 0);
    assert_eq!(bind(&fd, &UnixAddr::raw(&p, FAMILY_LEN + p.len() as socklen_t)), Ok(()));
    assert!(s.join("a").exists());
    let got = getsockname(&fd);
    assert_eq!(got.len(), FAMILY_LEN + short as socklen_t + 1);
    assert_eq!(&got.path_bytes()[..short], &p[..short]);
}

/// getsockname(2): "The returned address is truncated if the buffer provided is too small;
/// in this case, addrlen will return a value greater than was supplied to the call."
/// unix(7): "if the output value exceeds the input value, then there is no guarantee that a
/// null terminator is present in sun_path."
#[rstest]
#[parallel]
#[case::pathname(AddrKind::Pathname)]
#[case::abstract_name(AddrKind::Abstract)]
fn a_short_addrlen_truncates_the_returned_name_and_reports_the_full_length(#[case] kind: AddrKind) {
    let (fd, full, _s) = named_socket(SockType::Stream, 0, kind, "a-rather-long-socket-name");
    let inlen: socklen_t = 8;
    let got = try_getsockname(&fd, inlen).unwrap();
    assert_eq!(got.len(), full.len(), "addrlen reports the real length");
    assert!(got.len() > inlen);
    assert_eq!(&got.buffer()[..inlen as usize], &full.bytes()[..inlen as usize]);
    assert!(got.buffer()[inlen as usize..].iter().all(|&b| b == 0), "nothing written past the supplied length");
}
