//! Text forms of addresses: inet_pton(3), inet_ntop(3) and the older inet_aton(3).

use std::ffi::{CStr, CString};

use fixtures::assert_errno;
use inet_sockets::{inet_aton, inet_ntop, inet_pton};
use nix::errno::Errno;
use rstest::rstest;

/// inet_pton(af, text) -> (return value, the 16-byte destination; only the first 4 bytes
/// are written for AF_INET).
fn pton(af: libc::c_int, text: &str) -> (libc::c_int, [u8; 16]) {
    let c = CString::new(text).unwrap();
    let mut dst = [0xaau8; 16];
    // SAFETY: a 16-byte destination is large enough for both families.
    let r = unsafe { inet_pton(af, c.as_ptr(), dst.as_mut_ptr().cast()) };
    (r, dst)
}

/// inet_ntop into a buffer of `size` bytes.
fn ntop(af: libc::c_int, src: &[u8], size: usize) -> Result<String, Errno> {
    let mut buf = vec![0 as libc::c_char; size.max(1)];
    // SAFETY: src holds an in_addr/in6_addr; buf has `size` bytes.
    let p = unsafe { inet_ntop(af, src.as_ptr().cast(), buf.as_mut_ptr(), size as libc::socklen_t) };
    if p.is_null() {
        return Err(Errno::last());
    }
    assert_eq!(p, buf.as_ptr(), "inet_ntop must return dst");
    // SAFETY: inet_ntop wrote a NUL-terminated string into buf.
    Ok(unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string())
}

/// inet_pton(3), AF_INET: src is "dotted-decimal format, "ddd.ddd.ddd.ddd", where ddd is a
/// decimal number of up to three digits in the range 0 to 255"; "dst is written in network
/// byte order"; returns 1 on success.
#[rstest]
#[case::loopback("127.0.0.1", [127, 0, 0, 1])]
#[case::wildcard("0.0.0.0", [0, 0, 0, 0])]
#[case::broadcast("255.255.255.255", [255, 255, 255, 255])]
#[case::test_net("192.0.2.33", [192, 0, 2, 33])]
fn inet_pton_converts_dotted_decimal_to_network_order(#[case] text: &str, #[case] bytes: [u8; 4]) {
    let (r, dst) = pton(libc::AF_INET, text);
    assert_eq!(r, 1, "inet_pton(AF_INET, {text:?})");
    assert_eq!(&dst[..4], &bytes);
    assert_eq!(&dst[4..], &[0xaa; 12], "inet_pton wrote past sizeof(struct in_addr)");
}

/// inet_pton(3): "0 is returned if src does not contain a character string representing a
/// valid network address in the specified address family", and NOTES: inet_pton "accepts
/// only IPv4 addresses in dotted-decimal notation, whereas inet_aton(3) ... allow the more
/// general numbers-and-dots notation (hexadecimal and octal number formats, and formats
/// that don't require all four bytes to be explicitly written)". A leading zero (which
/// inet_aton reads as octal) is refused too.
#[rstest]
#[case::three_parts("1.2.3")]
#[case::five_parts("1.2.3.4.5")]
#[case::over_255("256.1.1.1")]
#[case::leading_zero("01.2.3.4")]
#[case::leading_zero_last("1.2.3.04")]
#[case::hex("0x7f.0.0.1")]
#[case::trailing_space("1.2.3.4 ")]
#[case::leading_space(" 1.2.3.4")]
#[case::empty("")]
#[case::ipv6_text("::1")]
fn inet_pton_rejects_non_dotted_decimal_ipv4_with_0(#[case] text: &str) {
    assert_eq!(pton(libc::AF_INET, text).0, 0, "inet_pton(AF_INET, {text:?})");
}

/// inet(3), inet_aton(): "a.b.c: Parts a and b specify the first two bytes of the binary
/// address. Part c is interpreted as a 16-bit value"; "a.b: ... Part b is interpreted as a
/// 24-bit value"; "a: The value a is interpreted as a 32-bit value"; "a part that begins
/// with 0 is interpreted in octal, ... 0x in hexadecimal". These are exactly the forms
/// inet_pton rejects.
#[rstest]
#[case::three_parts("1.2.3", [1, 2, 0, 3])]
#[case::two_parts("127.1", [127, 0, 0, 1])]
#[case::one_part("2130706433", [127, 0, 0, 1])]
#[case::octal("010.1.1.1", [8, 1, 1, 1])]
#[case::hex("0x7f.1", [127, 0, 0, 1])]
fn inet_aton_accepts_numbers_and_dots_forms_inet_pton_rejects(#[case] text: &str, #[case] bytes: [u8; 4]) {
    let c = CString::new(text).unwrap();
    let mut a = libc::in_addr { s_addr: 0 };
    // SAFETY: valid string and out-parameter.
    assert_eq!(unsafe { inet_aton(c.as_ptr(), &mut a) }, 1, "inet_aton({text:?})");
    assert_eq!(a.s_addr.to_ne_bytes(), bytes, "inet_aton({text:?})");
    assert_eq!(pton(libc::AF_INET, text).0, 0, "inet_pton(AF_INET, {text:?}) must refuse it");
}

/// inet_pton(3), AF_INET6: "A series of contiguous zero values in the preferred format can
/// be abbreviated to ::. Only one instance of :: can occur in an address. For example, the
/// loopback address 0:0:0:0:0:0:0:1 can be abbreviated as ::1. The wildcard address ...
/// can be written as ::." Hex digits may be of either case.
#[rstest]
#[case::wildcard("::", [0; 16])]
#[case::loopback("::1", inet_sockets::V6_LOOPBACK)]
#[case::loopback_full("0:0:0:0:0:0:0:1", inet_sockets::V6_LOOPBACK)]
#[case::trailing("2001:db8::", [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]
#[case::middle("2001:DB8::FF:1", [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 1])]
#[case::full("1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8])]
fn inet_pton_ipv6_accepts_preferred_and_compressed_forms(#[case] text: &str, #[case] bytes: [u8; 16]) {
    let (r, dst) = pton(libc::AF_INET6, text);
    assert_eq!(r, 1, "inet_pton(AF_INET6, {text:?})");
    assert_eq!(dst, bytes, "inet_pton(AF_INET6, {text:?})");
}

/// inet_pton(3): the alternate form "x:x:x:x:x:x:d.d.d.d ... An example of such an address
/// is ::FFFF:204.152.189.116" expresses an IPv4-mapped IPv6 address; BUGS: "AF_INET6 does
/// not recognize IPv4 addresses. An explicit IPv4-mapped IPv6 address must be supplied".
#[test]
fn inet_pton_ipv6_accepts_the_ipv4_mapped_form_but_not_bare_ipv4() {
    let (r, dst) = pton(libc::AF_INET6, "::ffff:1.2.3.4");
    assert_eq!(r, 1);
    assert_eq!(dst, inet_sockets::v4_mapped([1, 2, 3, 4]));
    let (r, dst) = pton(libc::AF_INET6, "::FFFF:204.152.189.116");
    assert_eq!(r, 1);
    assert_eq!(dst, inet_sockets::v4_mapped([204, 152, 189, 116]));
    assert_eq!(pton(libc::AF_INET6, "1.2.3.4").0, 0, "a bare IPv4 address is not AF_INET6 text");
}

/// inet_pton(3): "Only one instance of :: can occur in an address"; each x is "up to 4 hex
/// digits"; the preferred form has eight of them. Anything else returns 0.
#[rstest]
#[case::two_double_colons("1::2::3")]
#[case::triple_colon(":::")]
#[case::nine_groups("1:2:3:4:5:6:7:8:9")]
#[case::five_digit_group("12345::")]
#[case::non_hex("::g")]
#[case::seven_groups("1:2:3:4:5:6:7")]
#[case::empty("")]
fn inet_pton_ipv6_rejects_malformed_text_with_0(#[case] text: &str) {
    assert_eq!(pton(libc::AF_INET6, text).0, 0, "inet_pton(AF_INET6, {text:?})");
}

/// inet_pton(3): "If af does not contain a valid address family, -1 is returned and errno
/// is set to EAFNOSUPPORT"; inet_ntop(3), ERRORS: "EAFNOSUPPORT af was not a valid address
/// family."
#[test]
fn inet_pton_and_inet_ntop_with_unknown_family_fail_eafnosupport() {
    let mut dst = [0u8; 16];
    // SAFETY: a valid string and a 16-byte destination.
    let r = fixtures::sys(unsafe { inet_pton(libc::AF_UNIX, c"127.0.0.1".as_ptr(), dst.as_mut_ptr().cast()) });
    assert_errno!(r, Errno::EAFNOSUPPORT);
    assert_errno!(ntop(libc::AF_UNIX, &[127, 0, 0, 1], 64), Errno::EAFNOSUPPORT);
}

/// inet_ntop(3): AF_INET gives "the dotted-decimal format, "ddd.ddd.ddd.ddd""; AF_INET6
/// gives "the most appropriate IPv6 network address format": the longest run of zero
/// groups is compressed to "::" (RFC 5952 §4.2.3, the leftmost on a tie, never a single
/// group §4.2.2), hex digits are lower case (§4.3), and an IPv4-mapped address is printed
/// with its IPv4 part in dotted decimal (§5).
#[rstest]
#[case::v4(libc::AF_INET, &[192, 0, 2, 1][..], "192.0.2.1")]
#[case::v4_zero(libc::AF_INET, &[0, 0, 0, 0][..], "0.0.0.0")]
#[case::wildcard(libc::AF_INET6, &[0u8; 16][..], "::")]
#[case::loopback(libc::AF_INET6, &inet_sockets::V6_LOOPBACK[..], "::1")]
#[case::longest_run(libc::AF_INET6, &[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1][..], "2001:db8::1:0:0:1")]
#[case::leftmost_tie(libc::AF_INET6, &[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xab, 0xcd][..], "2001:db8::1:0:0:abcd")]
#[case::single_zero_group(libc::AF_INET6, &[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1][..], "2001:db8:0:1:1:1:1:1")]
#[case::mapped(libc::AF_INET6, &inet_sockets::v4_mapped([1, 2, 3, 4])[..], "::ffff:1.2.3.4")]
fn inet_ntop_prints_the_canonical_text_form(#[case] af: libc::c_int, #[case] src: &[u8], #[case] text: &str) {
    assert_eq!(ntop(af, src, 64).as_deref(), Ok(text));
}

/// inet_ntop(3), ERRORS: "ENOSPC The converted address string would exceed the size given
/// by size." The size counts the terminating NUL: one byte less than the text plus NUL
/// fails, exactly enough succeeds.
#[rstest]
#[case::v4(libc::AF_INET, &[255, 255, 255, 255][..], "255.255.255.255")]
#[case::v6(libc::AF_INET6, &[0x20, 1, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78][..], "2001:db8:1234:5678:9abc:def0:1234:5678")]
fn inet_ntop_into_a_too_small_buffer_fails_enospc(#[case] af: libc::c_int, #[case] src: &[u8], #[case] text: &str) {
    assert_errno!(ntop(af, src, text.len()), Errno::ENOSPC, "inet_ntop with {} bytes for {text:?}", text.len());
    assert_eq!(ntop(af, src, text.len() + 1).as_deref(), Ok(text));
}
