//! The sigevent of mq_notify(3), laid out as glibc's: the libc crate does not expose the
//! SIGEV_THREAD members.

/// glibc's struct sigevent on 64-bit Linux (64 bytes), with the SIGEV_THREAD members.
#[repr(C)]
pub struct SigEvent {
    pub value: usize,
    pub signo: libc::c_int,
    pub notify: libc::c_int,
    pub function: Option<extern "C" fn(libc::sigval)>,
    pub attribute: *mut libc::pthread_attr_t,
    _pad: [libc::c_int; 8],
}

const _: () = assert!(std::mem::size_of::<SigEvent>() == std::mem::size_of::<libc::sigevent>());

impl SigEvent {
    fn new(notify: libc::c_int) -> SigEvent {
        SigEvent { value: 0, signo: 0, notify, function: None, attribute: std::ptr::null_mut(), _pad: [0; 8] }
    }

    /// SIGEV_SIGNAL with `sig` and sigev_value.sival_int = `value`.
    pub fn signal(sig: nix::sys::signal::Signal, value: usize) -> SigEvent {
        let mut e = SigEvent::new(libc::SIGEV_SIGNAL);
        e.signo = sig as libc::c_int;
        e.value = value;
        e
    }

    /// SIGEV_NONE.
    pub fn none() -> SigEvent {
        SigEvent::new(libc::SIGEV_NONE)
    }

    /// SIGEV_THREAD calling `f` with sigev_value = `value`.
    pub fn thread(f: extern "C" fn(libc::sigval), value: usize) -> SigEvent {
        let mut e = SigEvent::new(libc::SIGEV_THREAD);
        e.function = Some(f);
        e.value = value;
        e
    }

    /// Any sigev_notify value (for EINVAL claims).
    pub fn raw(notify: libc::c_int, signo: libc::c_int) -> SigEvent {
        let mut e = SigEvent::new(notify);
        e.signo = signo;
        e
    }
}
