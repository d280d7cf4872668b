//! getaddrinfo(3), getnameinfo(3) and gai_strerror(3).
//!
//! No lookup here may reach a DNS server: host names are only looked up where
//! /etc/nsswitch.conf sends them to /etc/hosts first and the name is there, or inside a
//! child with private network and mount namespaces whose /etc/hosts and nsswitch.conf are
//! ours (and whose network has nothing but loopback).

use std::ffi::{CStr, CString};

use fixtures::{Scratch, require, run_in_child, skip};
use inet_sockets::*;
use rstest::rstest;

#[derive(Debug, Clone, PartialEq)]
struct Info {
    family: i32,
    socktype: i32,
    protocol: i32,
    addr: SockAddr,
}

fn hints(family: i32, socktype: i32, protocol: i32, flags: i32) -> libc::addrinfo {
    // SAFETY: addrinfo is plain data; zero means "unspecified" for every field.
    let mut h: libc::addrinfo = unsafe { std::mem::zeroed() };
    h.ai_family = family;
    h.ai_socktype = socktype;
    h.ai_protocol = protocol;
    h.ai_flags = flags;
    h
}

/// getaddrinfo; Ok(results in order) or Err(EAI_* code).
fn gai(node: Option<&str>, service: Option<&str>, h: &libc::addrinfo) -> Result<Vec<Info>, i32> {
    let node = node.map(|n| CString::new(n).unwrap());
    let service = service.map(|s| CString::new(s).unwrap());
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid strings (or null), hints, and result pointer.
    let r = unsafe {
        libc::getaddrinfo(
            node.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            service.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            h,
            &mut res,
        )
    };
    if r != 0 {
        return Err(r);
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: walking the list getaddrinfo returned.
        let ai = unsafe { &*p };
        out.push(Info {
            family: ai.ai_family,
            socktype: ai.ai_socktype,
            protocol: ai.ai_protocol,
            addr: unsafe { SockAddr::from_raw(ai.ai_addr, ai.ai_addrlen) },
        });
        p = ai.ai_next;
    }
    // SAFETY: freeing the list getaddrinfo returned.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

/// getnameinfo with buffers of the given sizes (0 = not requested); Ok((host, serv)) or
/// Err(EAI_* code).
fn gni(addr: &SockAddr, hostlen: usize, servlen: usize, flags: i32) -> Result<(String, String), i32> {
    let mut host = vec![0 as libc::c_char; hostlen.max(1)];
    let mut serv = vec![0 as libc::c_char; servlen.max(1)];
    // SAFETY: buffers of the stated sizes (null when 0) and a valid address.
    let r = unsafe {
        libc::getnameinfo(
            addr.as_ptr(),
            addr.len(),
            if hostlen > 0 { host.as_mut_ptr() } else { std::ptr::null_mut() },
            hostlen as libc::socklen_t,
            if servlen > 0 { serv.as_mut_ptr() } else { std::ptr::null_mut() },
            servlen as libc::socklen_t,
            flags,
        )
    };
    if r != 0 {
        return Err(r);
    }
    // SAFETY: getnameinfo NUL-terminates what it fills.
    let s = |b: &[libc::c_char]| unsafe { CStr::from_ptr(b.as_ptr()) }.to_string_lossy().into_owned();
    Ok((if hostlen > 0 { s(&host) } else { String::new() }, if servlen > 0 { s(&serv) } else { String::new() }))
}

fn gai_name(code: i32) -> String {
    // SAFETY: gai_strerror returns a static string.
    unsafe { CStr::from_ptr(libc::gai_strerror(code)) }.to_string_lossy().into_owned()
}

/// Lines of /etc/services, for gating on the entries a test relies on.
fn services_has(name: &str, port_proto: &str) -> bool {
    std::fs::read_to_string("/etc/services")
        .map(|t| {
            t.lines().any(|l| {
                let f: Vec<&str> = l.split('#').next().unwrap_or("").split_whitespace().collect();
                f.len() >= 2 && f[0] == name && f[1] == port_proto
            })
        })
        .unwrap_or(false)
}

const NUMERIC: i32 = libc::AI_NUMERICHOST | libc::AI_NUMERICSERV;

/// getaddrinfo(3): with numeric host and service strings it returns the address and port
/// themselves; "ai_socktype ... ai_protocol" of the result follow the hints (IPPROTO_TCP
/// for SOCK_STREAM, IPPROTO_UDP for SOCK_DGRAM).
#[rstest]
#[case::v4_tcp("127.0.0.1", "8080", libc::SOCK_STREAM, SockAddr::v4([127, 0, 0, 1], 8080), libc::IPPROTO_TCP)]
#[case::v4_udp("192.0.2.9", "53", libc::SOCK_DGRAM, SockAddr::v4([192, 0, 2, 9], 53), libc::IPPROTO_UDP)]
#[case::v6_tcp("::1", "443", libc::SOCK_STREAM, SockAddr::v6(V6_LOOPBACK, 443), libc::IPPROTO_TCP)]
#[case::v6_mapped("::ffff:1.2.3.4", "9", libc::SOCK_DGRAM, SockAddr::v6(v4_mapped([1, 2, 3, 4]), 9), libc::IPPROTO_UDP)]
fn getaddrinfo_converts_numeric_host_and_service(
    #[case] node: &str,
    #[case] service: &str,
    #[case] socktype: i32,
    #[case] expected: SockAddr,
    #[case] protocol: i32,
) {
    let r = gai(Some(node), Some(service), &hints(libc::AF_UNSPEC, socktype, 0, NUMERIC)).unwrap();
    assert_eq!(r, vec![Info { family: expected.family(), socktype, protocol, addr: expected }]);
}

/// getaddrinfo(3): "If the AI_PASSIVE flag is specified in hints.ai_flags, and node is NULL,
/// then the returned socket addresses will be suitable for bind(2)ing a socket that will
/// accept(2) connections. The returned socket address will contain the "wildcard address"
/// (INADDR_ANY for IPv4 addresses, IN6ADDR_ANY_INIT for IPv6 address)."
#[rstest]
fn getaddrinfo_passive_with_null_node_gives_the_wildcard(#[values(Family::V4, Family::V6)] fam: Family) {
    let r = gai(None, Some("5000"), &hints(fam.af(), libc::SOCK_STREAM, 0, libc::AI_PASSIVE)).unwrap();
    assert_eq!(r.iter().map(|i| i.addr).collect::<Vec<_>>(), vec![fam.any(5000)]);
}

/// getaddrinfo(3): "If the AI_PASSIVE flag is not set in hints.ai_flags, then the returned
/// socket addresses will be suitable for use with connect(2) ... If node is NULL, then the
/// network address will be set to the loopback interface address (INADDR_LOOPBACK for IPv4
/// addresses, IN6ADDR_LOOPBACK_INIT for IPv6 address)".
#[rstest]
fn getaddrinfo_active_with_null_node_gives_loopback(#[values(Family::V4, Family::V6)] fam: Family) {
    let r = gai(None, Some("5000"), &hints(fam.af(), libc::SOCK_STREAM, 0, 0)).unwrap();
    assert_eq!(r.iter().map(|i| i.addr).collect::<Vec<_>>(), vec![fam.loopback(5000)]);
}

/// getaddrinfo(3), ai_socktype: "Specifying 0 in this field indicates that socket addresses
/// of any type can be returned": a numeric host and service without a socket type give
/// one result for SOCK_STREAM (IPPROTO_TCP) and one for SOCK_DGRAM (IPPROTO_UDP), each with
/// the same address.
#[test]
fn getaddrinfo_without_socktype_returns_stream_and_datagram_results() {
    let r = gai(Some("127.0.0.1"), Some("7"), &hints(libc::AF_INET, 0, 0, NUMERIC)).unwrap();
    let stream: Vec<_> = r.iter().filter(|i| i.socktype == libc::SOCK_STREAM).collect();
    let dgram: Vec<_> = r.iter().filter(|i| i.socktype == libc::SOCK_DGRAM).collect();
    assert_eq!(stream.len(), 1, "{r:?}");
    assert_eq!(dgram.len(), 1, "{r:?}");
    assert_eq!(stream[0].protocol, libc::IPPROTO_TCP);
    assert_eq!(dgram[0].protocol, libc::IPPROTO_UDP);
    assert!(r.iter().all(|i| i.addr == SockAddr::v4([127, 0, 0, 1], 7)), "{r:?}");
}

/// inet_pton(3), NOTES: "For an interface that handles both IPv6 addresses, and IPv4
/// addresses in numbers-and-dots notation, see getaddrinfo(3)": with AI_NUMERICHOST,
/// getaddrinfo accepts the inet_aton(3) form "1.2.3" (1.2.0.3) that inet_pton refuses.
#[test]
fn getaddrinfo_numeric_host_accepts_numbers_and_dots_notation() {
    let r = gai(Some("1.2.3"), Some("1"), &hints(libc::AF_INET, libc::SOCK_STREAM, 0, NUMERIC)).unwrap();
    assert_eq!(r.iter().map(|i| i.addr).collect::<Vec<_>>(), vec![SockAddr::v4([1, 2, 0, 3], 1)]);
}

/// getaddrinfo(3): "If hints.ai_flags contains the AI_NUMERICHOST flag, then node must be a
/// numerical network address"; "AI_NUMERICSERV ... service must point to a string
/// containing a numeric port number"; ERRORS: "EAI_NONAME The node or service is not known;
/// or both node and service are NULL; or AI_NUMERICSERV was specified in hints.ai_flags and
/// service was not a numeric port-number string." No lookup happens in any case.
#[rstest]
#[case::name_with_numerichost(Some("localhost"), Some("80"), libc::AI_NUMERICHOST)]
#[case::service_name_with_numericserv(Some("127.0.0.1"), Some("http"), libc::AI_NUMERICSERV)]
#[case::both_null(None, None, 0)]
fn getaddrinfo_fails_eai_noname(#[case] node: Option<&str>, #[case] service: Option<&str>, #[case] flags: i32) {
    assert_eq!(gai(node, service, &hints(libc::AF_UNSPEC, libc::SOCK_STREAM, 0, flags)), Err(libc::EAI_NONAME));
}

/// getaddrinfo(3), ERRORS: "EAI_SERVICE The requested service is not available for the
/// requested socket type. ... the error could occur if service was not NULL, and
/// hints.ai_socktype was SOCK_RAW (a socket type that does not support the concept of
/// services)."
#[test]
fn getaddrinfo_with_a_service_for_sock_raw_fails_eai_service() {
    assert_eq!(gai(Some("127.0.0.1"), Some("80"), &hints(libc::AF_INET, libc::SOCK_RAW, 0, NUMERIC)), Err(libc::EAI_SERVICE));
}

/// getaddrinfo(3), EAI_SERVICE: "For example, this error could occur if service was "shell"
/// (a service available only on stream sockets), and ... hints.ai_socktype was
/// SOCK_DGRAM". Checked with "tftp", which /etc/services lists for UDP only, asked for
/// SOCK_STREAM; the same name for SOCK_DGRAM gives port 69 (gated on /etc/services having
/// exactly that).
#[test]
fn getaddrinfo_service_of_another_socket_type_fails_eai_service() {
    if !services_has("tftp", "69/udp") || services_has("tftp", "69/tcp") {
        skip!("/etc/services does not list tftp as 69/udp only");
    }
    let h = |t| hints(libc::AF_INET, t, 0, libc::AI_NUMERICHOST);
    assert_eq!(gai(Some("127.0.0.1"), Some("tftp"), &h(libc::SOCK_STREAM)), Err(libc::EAI_SERVICE));
    let udp = gai(Some("127.0.0.1"), Some("tftp"), &h(libc::SOCK_DGRAM)).unwrap();
    assert_eq!(udp.iter().map(|i| i.addr.port()).collect::<Vec<_>>(), vec![69]);
}

/// getaddrinfo(3): service "sets the port in each returned address structure ... If this
/// argument is a service name (see services(5)), it is translated to the corresponding port
/// number". Gated on /etc/services listing http as 80/tcp.
#[test]
fn getaddrinfo_translates_a_service_name_from_etc_services() {
    if !services_has("http", "80/tcp") {
        skip!("/etc/services has no \"http 80/tcp\" entry");
    }
    let r = gai(Some("127.0.0.1"), Some("http"), &hints(libc::AF_INET, libc::SOCK_STREAM, 0, libc::AI_NUMERICHOST)).unwrap();
    assert_eq!(r.iter().map(|i| i.addr).collect::<Vec<_>>(), vec![SockAddr::v4([127, 0, 0, 1], 80)]);
}

/// getaddrinfo(3), ERRORS: "EAI_SOCKTYPE The requested socket type is not supported. This
/// could occur, for example, if hints.ai_socktype and hints.ai_protocol are inconsistent
/// (e.g., SOCK_DGRAM and IPPROTO_TCP, respectively)."
#[test]
fn getaddrinfo_with_inconsistent_socktype_and_protocol_fails_eai_socktype() {
    let h = hints(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_TCP, NUMERIC);
    assert_eq!(gai(Some("127.0.0.1"), Some("80"), &h), Err(libc::EAI_SOCKTYPE));
}

/// getaddrinfo(3), ERRORS: "EAI_FAMILY The requested address family is not supported."
#[test]
fn getaddrinfo_with_an_unknown_family_fails_eai_family() {
    let h = hints(12345, libc::SOCK_STREAM, 0, NUMERIC);
    assert_eq!(gai(Some("127.0.0.1"), Some("80"), &h), Err(libc::EAI_FAMILY));
}

/// getaddrinfo(3): "The gai_strerror() function translates these error codes to a human
/// readable string, suitable for error reporting." Each code has its own non-empty text.
#[test]
fn gai_strerror_gives_each_error_code_its_own_text() {
    let codes = [
        libc::EAI_AGAIN,
        libc::EAI_BADFLAGS,
        libc::EAI_FAIL,
        libc::EAI_FAMILY,
        libc::EAI_MEMORY,
        libc::EAI_NONAME,
        libc::EAI_SERVICE,
        libc::EAI_SOCKTYPE,
        libc::EAI_SYSTEM,
        libc::EAI_OVERFLOW,
    ];
    let texts: Vec<String> = codes.iter().map(|&c| gai_name(c)).collect();
    for (c, t) in codes.iter().zip(&texts) {
        assert!(!t.is_empty(), "gai_strerror({c}) is empty");
    }
    let mut unique = texts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), texts.len(), "two codes share a text: {texts:?}");
}

/// getnameinfo(3): "NI_NUMERICHOST If set, then the numeric form of the hostname is
/// returned"; "NI_NUMERICSERV If set, then the numeric form of the service address is
/// returned."
#[rstest]
#[case::v4(SockAddr::v4([127, 0, 0, 1], 8080), "127.0.0.1")]
#[case::v6(SockAddr::v6(V6_LOOPBACK, 8080), "::1")]
#[case::v6_mapped(SockAddr::v6(v4_mapped([192, 0, 2, 1]), 8080), "::ffff:192.0.2.1")]
fn getnameinfo_numeric_flags_give_numeric_host_and_service(#[case] addr: SockAddr, #[case] host: &str) {
    let r = gni(&addr, 64, 16, libc::NI_NUMERICHOST | libc::NI_NUMERICSERV);
    assert_eq!(r, Ok((host.to_string(), "8080".to_string())));
}

/// getnameinfo(3): "NI_DGRAM If set, then the service is datagram (UDP) based rather than
/// stream (TCP) based. This is required for the few ports (512–514) that have different
/// services for UDP and TCP." Port 514 is "shell" for TCP and "syslog" for UDP (gated on
/// /etc/services saying so).
#[test]
fn getnameinfo_ni_dgram_selects_the_udp_service_name() {
    if !services_has("shell", "514/tcp") || !services_has("syslog", "514/udp") {
        skip!("/etc/services does not list shell 514/tcp and syslog 514/udp");
    }
    let a = SockAddr::v4([127, 0, 0, 1], 514);
    assert_eq!(gni(&a, 0, 32, libc::NI_NUMERICHOST).map(|r| r.1).as_deref(), Ok("shell"));
    assert_eq!(gni(&a, 0, 32, libc::NI_NUMERICHOST | libc::NI_DGRAM).map(|r| r.1).as_deref(), Ok("syslog"));
}

/// getnameinfo(3): "at least one of hostname or service name must be requested";
/// EAI_NONAME: "... or neither hostname nor service name were requested." glibc returns
/// EAI_NONAME for that only together with NI_NAMEREQD; without it the call succeeds and
/// fills nothing (inet/getnameinfo.c). Asserted as glibc behaves; see the suite's Findings.
#[test]
fn getnameinfo_requesting_neither_host_nor_service_fails_eai_noname_only_with_ni_namereqd() {
    let a = SockAddr::v4([127, 0, 0, 1], 80);
    assert_eq!(gni(&a, 0, 0, libc::NI_NAMEREQD), Err(libc::EAI_NONAME));
    assert_eq!(gni(&a, 0, 0, libc::NI_NUMERICHOST), Ok((String::new(), String::new())));
}

/// getnameinfo(3), ERRORS: "EAI_OVERFLOW The buffer pointed to by host or serv was too
/// small." One byte short (the NUL does not fit) fails; exactly enough succeeds.
#[test]
fn getnameinfo_with_a_too_small_buffer_fails_eai_overflow() {
    let a = SockAddr::v4([127, 0, 0, 1], 12345);
    let f = libc::NI_NUMERICHOST | libc::NI_NUMERICSERV;
    assert_eq!(gni(&a, 9, 0, f), Err(libc::EAI_OVERFLOW), "host \"127.0.0.1\" in 9 bytes");
    assert_eq!(gni(&a, 10, 0, f).map(|r| r.0).as_deref(), Ok("127.0.0.1"));
    assert_eq!(gni(&a, 0, 5, f), Err(libc::EAI_OVERFLOW), "service \"12345\" in 5 bytes");
    assert_eq!(gni(&a, 0, 6, f).map(|r| r.1).as_deref(), Ok("12345"));
}

/// getnameinfo(3), ERRORS: "EAI_FAMILY The address family was not recognized, or the
/// address length was invalid for the specified family."
#[rstest]
#[case::short_length(SockAddr::v4([127, 0, 0, 1], 80), 4)]
#[case::unspec_family(SockAddr::unspec(), std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t)]
fn getnameinfo_with_a_bad_family_or_length_fails_eai_family(#[case] mut addr: SockAddr, #[case] len: libc::socklen_t) {
    *addr.len_mut() = len;
    assert_eq!(gni(&addr, 64, 16, libc::NI_NUMERICHOST | libc::NI_NUMERICSERV), Err(libc::EAI_FAMILY));
}

/// getaddrinfo(3): a host name is looked up through the sources nsswitch.conf(5) names for
/// "hosts" — here hosts(5), /etc/hosts. "localhost" must resolve to the loopback addresses /etc/hosts
/// gives it. Gated: /etc/nsswitch.conf must consult "files" first for hosts and /etc/hosts
/// must name localhost, so that no DNS server is asked.
#[test]
fn getaddrinfo_resolves_localhost_from_etc_hosts() {
    let nss = std::fs::read_to_string("/etc/nsswitch.conf").unwrap_or_default();
    let files_first = nss
        .lines()
        .find_map(|l| l.trim().strip_prefix("hosts:"))
        .map(|srcs| srcs.split_whitespace().next() == Some("files"))
        .unwrap_or(false);
    if !files_first {
        skip!("/etc/nsswitch.conf does not look up hosts in files first: a lookup could reach DNS");
    }
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let listed: Vec<[u8; 4]> = hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() >= 2 && f[1..].contains(&"localhost"))
        .filter_map(|f| f[0].parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets()))
        .collect();
    if listed.is_empty() {
        skip!("/etc/hosts gives localhost no IPv4 address");
    }
    let r = gai(Some("localhost"), Some("80"), &hints(libc::AF_INET, libc::SOCK_STREAM, 0, libc::AI_NUMERICSERV)).unwrap();
    assert!(!r.is_empty());
    for i in &r {
        let ip: [u8; 4] = i.addr.ip().try_into().unwrap();
        assert!(listed.contains(&ip), "localhost resolved to {:?}, /etc/hosts lists {listed:?}", i.addr);
        assert_eq!(ip[0], 127, "localhost must be a loopback address");
    }
}

/// getnameinfo(3): "NI_NAMEREQD If set, then an error is returned if the hostname cannot be
/// determined"; EAI_NONAME: "NI_NAMEREQD is set and the host's name cannot be located".
/// getaddrinfo(3): EAI_NONAME "The node or service is not known". Checked in a child whose
/// private namespaces give it an /etc/hosts of its own ("hosts: files" only, no network):
/// a listed address gets its name (and the name its address), an unlisted one fails with
/// NI_NAMEREQD and is returned in numeric form without it (NI_NUMERICHOST: "When not set,
/// this will still happen in case the node's name cannot be determined").
#[test]
fn host_names_come_from_the_hosts_file_and_unknown_ones_fail_eai_noname() {
    require!(netns::resolver_available());
    let s = Scratch::new();
    let hosts = s.file("hosts", b"127.0.0.1 localhost\n192.0.2.7 ipcspec-named-host\n");
    let nss = s.file("nsswitch.conf", b"hosts: files\nservices: files\n");
    run_in_child("private resolver", || {
        netns::enter_with_resolver(&hosts, &nss);
        let named = SockAddr::v4([192, 0, 2, 7], 0);
        assert_eq!(gni(&named, 256, 0, libc::NI_NAMEREQD).map(|r| r.0).as_deref(), Ok("ipcspec-named-host"));
        let unnamed = SockAddr::v4([192, 0, 2, 1], 0);
        assert_eq!(gni(&unnamed, 256, 0, libc::NI_NAMEREQD), Err(libc::EAI_NONAME), "NI_NAMEREQD for 192.0.2.1");
        assert_eq!(
            gni(&unnamed, 256, 0, 0).map(|r| r.0).as_deref(),
            Ok("192.0.2.1"),
            "without NI_NAMEREQD the numeric form is returned"
        );
        let h = hints(libc::AF_INET, libc::SOCK_STREAM, 0, 0);
        let r = gai(Some("ipcspec-named-host"), None, &h).unwrap();
        assert_eq!(r.iter().map(|i| i.addr.ip()).collect::<Vec<_>>(), vec![vec![192, 0, 2, 7]]);
        assert_eq!(gai(Some("no-such-host.invalid"), None, &h), Err(libc::EAI_NONAME));
    })
    .expect_success();
}
