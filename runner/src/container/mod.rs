//! What every container target shares (`docker:<mode>`, `gvisor`, `vm:<kernel>+<mode>`): the
//! docker CLI and labels ([`cli`]), the daemon's preflight ([`daemon`]), the bundle image
//! ([`image`]), the modes and their flags ([`modes`]), the modes as OCI runtime
//! configurations with docker's seccomp profile ([`oci`]), leaving nothing behind
//! ([`cleanup`]), running the guest executor in a docker container ([`run`]) and under an
//! OCI runtime started by the runner itself ([`oci_run`]), both through a client process
//! started and followed the same way ([`client`]).

pub mod cleanup;
pub mod cli;
pub mod client;
pub mod daemon;
pub mod image;
pub mod modes;
pub mod oci;
pub mod oci_run;
pub mod run;
