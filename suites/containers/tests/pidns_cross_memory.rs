//! process_vm_readv(2) and PID namespaces: the pid argument is a pid of the caller's own PID
//! namespace (pid_namespaces(7): "a process ... can see (e.g., send signals with kill(2),
//! set nice values with setpriority(2), etc.) only processes contained in its own PID
//! namespace and in descendants of that namespace").

use containers::pidns::spawn_init;
use containers::sandbox::{namespaces, sandbox};
use fixtures::{Agent, assert_errno, needs, sys_size};
use nix::errno::Errno;

/// One process_vm_readv(2) of `len` bytes at `addr` in process `pid`.
fn vm_read(pid: libc::pid_t, addr: usize, len: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; len];
    let local = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: len };
    let remote = libc::iovec { iov_base: addr as *mut libc::c_void, iov_len: len };
    // SAFETY: one local iovec over our buffer; the kernel checks the remote one.
    let n = sys_size(unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) })?;
    buf.truncate(n);
    Ok(buf)
}

/// A leaked buffer holding `text`, and its address.
fn leaked(text: &[u8]) -> usize {
    Box::leak(text.to_vec().into_boxed_slice()).as_ptr() as usize
}

/// process_vm_readv(2): "pid ... the process whose memory is read"; ERRORS "ESRCH No process
/// with ID pid exists" — resolved in the caller's PID namespace (pid_namespaces(7)). Asserted:
/// PID 1 of a new PID namespace reads its own bytes through pid 1, while the outer pid of a
/// process outside its namespace (which has no pid there) fails ESRCH; from outside, the
/// same init's memory is read through its outer pid.
#[test]
fn process_vm_readv_resolves_pids_in_the_callers_pid_namespace() {
    needs!(available(namespaces()));
    let own = leaked(b"probe");
    match vm_read(std::process::id() as libc::pid_t, own, 5) {
        Ok(b) => assert_eq!(b, b"probe"),
        Err(e @ (Errno::EPERM | Errno::ENOSYS)) => {
            fixtures::skip_blocked!("process_vm_readv(2) of the caller's own memory is refused here ({e:?}): a seccomp filter");
        }
        Err(e) => panic!("process_vm_readv of self: {e:?}"),
    }
    sandbox("process_vm_readv across PID namespaces", || {
        let outside = Agent::<(), ()>::spawn("process outside", |serve| {
            serve.ready(leaked(b"outside"));
            serve.wait_release();
        });
        let out_addr: usize = outside.ready();
        let out_pid = outside.pid().as_raw();
        let (init, init_pid) = spawn_init("init of a new PID namespace", |serve| {
            assert_eq!(std::process::id(), 1, "the first process of the new namespace");
            let mine = leaked(b"inside!");
            assert_eq!(vm_read(1, mine, 7), Ok(b"inside!".to_vec()), "its own memory through pid 1");
            assert_errno!(vm_read(out_pid, out_addr, 7), Errno::ESRCH, "outer pid {out_pid} of a process outside the namespace");
            serve.ready(mine);
            serve.wait_release();
        });
        let in_addr: usize = init.ready();
        assert_eq!(vm_read(init_pid.as_raw(), in_addr, 7), Ok(b"inside!".to_vec()), "the init through its outer pid");
        assert_eq!(vm_read(out_pid, out_addr, 7), Ok(b"outside".to_vec()), "the outside process from outside");
        init.expect_success();
        outside.expect_success();
    });
}
