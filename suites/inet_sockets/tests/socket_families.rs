//! Which address families and protocols socket(2) offers, where that changed since Linux 5.10:
//! DECnet is gone (6.1), and SMC (Shared Memory Communications) can be asked for as a
//! protocol of AF_INET (IPPROTO_SMC). socket(2), ERRORS: "EAFNOSUPPORT The implementation does
//! not support the specified address family"; "EPROTONOSUPPORT The protocol type or the
//! specified protocol is not supported within this domain". Whether a family or protocol
//! exists also depends on the kernel's configuration and, for a module, on whether it can be
//! loaded — the VMs carry no modules — so each test names the configuration in its variant.

use fixtures::net::{getsockopt_int, socket};
use fixtures::{kernel_at_least, kernel_version, variant};
use nix::errno::Errno;

/// include/linux/socket.h: AF_DECnet (no longer in the uapi headers of 6.1+).
const AF_DECNET: libc::c_int = 12;
/// include/uapi/linux/in.h: IPPROTO_SMC.
const IPPROTO_SMC: libc::c_int = 256;

/// `name`'s value in the kernel's configuration, for the variants' why.
fn config_of(name: &str) -> String {
    match fixtures::gate::kernel_config() {
        Ok(c) => format!("{name}={} ({})", c.get(name).unwrap_or("(not in the config)"), c.source),
        Err(_) => format!("{name} unknown (kernel config not readable)"),
    }
}

/// address_families(7) of man-pages 6.20, AF_DECnet: "Support was removed in Linux 6.1."
/// Since then socket(AF_DECnet, SOCK_SEQPACKET, 0) fails
/// EAFNOSUPPORT on every kernel (variant `removed`, lacking). Before 6.1 it depends on
/// CONFIG_DECNET: built in, the socket is created (variant `present`); not configured (Debian's
/// 5.10) or a module that cannot be loaded, EAFNOSUPPORT too (variant `not-built`, lacking).
///
/// Kernel change: 6.1 — AF_DECnet removed: socket(AF_DECnet) fails EAFNOSUPPORT on every kernel.
#[test]
fn af_decnet_sockets_fail_eafnosupport_since_6_1() {
    let r = socket(AF_DECNET, libc::SOCK_SEQPACKET, 0);
    let v = kernel_version();
    if kernel_at_least(6, 1) {
        variant::lacking("removed", format_args!("DECnet was removed in 6.1; kernel {v}"));
        assert_eq!(r.err(), Some(Errno::EAFNOSUPPORT));
        return;
    }
    match r {
        Ok(_) => variant::present(format_args!("DECnet sockets before 6.1 ({}); kernel {v}", config_of("CONFIG_DECNET"))),
        Err(Errno::EAFNOSUPPORT) => variant::lacking(
            "not-built",
            format_args!("DECnet not available before its removal ({}); kernel {v}", config_of("CONFIG_DECNET")),
        ),
        Err(e) => panic!("socket(AF_DECnet) on kernel {v}: {e}"),
    }
}

/// socket(2), ERRORS: "EPROTONOSUPPORT The protocol type or the specified protocol is not
/// supported within this domain". IPPROTO_SMC (include/uapi/linux/in.h, "Shared Memory
/// Communications"; "net/smc: Introduce
/// IPPROTO_SMC", 6.11, version not verified): socket(AF_INET, SOCK_STREAM, IPPROTO_SMC)
/// creates an SMC socket that reads back SO_PROTOCOL 256 — where SMC is built in or its module
/// can be loaded (variant `present`). Otherwise, and on every kernel before 6.11, inet_create
/// finds no such protocol: EPROTONOSUPPORT (variant `absent`, with CONFIG_SMC in the why:
/// Debian builds it as a module up to 6.12, which the VMs cannot load, and not at all in 7.2).
///
/// Kernel change: 6.11 — socket(AF_INET, SOCK_STREAM, IPPROTO_SMC) creates an SMC socket where CONFIG_SMC is available (EPROTONOSUPPORT before; version not verified).
#[test]
fn an_ipproto_smc_socket_needs_smc_in_the_kernel() {
    let r = socket(libc::AF_INET, libc::SOCK_STREAM, IPPROTO_SMC);
    let v = kernel_version();
    match r {
        Ok(s) => {
            assert!(kernel_at_least(6, 11), "an IPPROTO_SMC socket on kernel {v}, before IPPROTO_SMC");
            variant::present(format_args!("IPPROTO_SMC: 6.11 ({}); kernel {v}", config_of("CONFIG_SMC")));
            assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_PROTOCOL), Ok(IPPROTO_SMC));
        }
        Err(Errno::EPROTONOSUPPORT) => {
            if kernel_at_least(6, 11) {
                variant::absent(format_args!("no SMC in this kernel or no loadable module ({}); kernel {v}", config_of("CONFIG_SMC")));
            } else {
                variant::absent(format_args!("IPPROTO_SMC came with 6.11; kernel {v}"));
            }
        }
        Err(e) => panic!("socket(AF_INET, SOCK_STREAM, IPPROTO_SMC) on kernel {v}: {e}"),
    }
}
