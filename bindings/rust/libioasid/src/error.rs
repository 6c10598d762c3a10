//! Errors: the negative errno every libioasid call returns, with the
//! message the library recorded for the calling thread.

use std::ffi::CStr;
use std::fmt;
use std::os::raw::{c_char, c_int};

use libioasid_sys as sys;

/// A failed libioasid call: the errno (positive, e.g. `libc::EEXIST`) and
/// the library's message, which names the bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    errno: i32,
    message: String,
}

/// The result of every fallible call of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with a message of our own (the crate's checks before a call).
    pub(crate) fn new(errno: i32, message: impl Into<String>) -> Error {
        Error {
            errno,
            message: message.into(),
        }
    }

    /// The errno, positive (`libc::ENOENT`, ...).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The symbolic name of the errno ("EEXIST").
    pub fn name(&self) -> &'static str {
        // SAFETY: ioasid_strerrno() returns a static string, never NULL.
        unsafe { static_str(sys::ioasid_strerrno(self.errno)) }
    }

    /// The library's message for the failed call ("" if it left none).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.name())
        } else {
            write!(f, "{}: {}", self.name(), self.message)
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::new(std::io::Error::from_raw_os_error(e.errno).kind(), e.to_string())
    }
}

/// A string the library keeps for as long as the process runs (names,
/// version); "" for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that is never freed.
pub(crate) unsafe fn static_str(p: *const c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    CStr::from_ptr(p).to_str().unwrap_or("?")
}

/// Copy a NUL-terminated string the library owns (only until the thread's
/// next call) into a `String`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for this call.
pub(crate) unsafe fn owned_str(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    CStr::from_ptr(p).to_string_lossy().into_owned()
}

/// The result of a call that takes no context: its message is the thread's
/// last one (ioasid_last_errmsg()).
pub(crate) fn check_global(rc: c_int) -> Result<()> {
    if rc >= 0 {
        return Ok(());
    }
    // SAFETY: ioasid_last_errmsg() never returns NULL; the string is the
    // calling thread's, valid until its next call, and copied at once.
    let message = unsafe { owned_str(sys::ioasid_last_errmsg()) };
    Err(Error { errno: -rc, message })
}

/// The result of a call on `ctx`: its message is the one this thread's
/// last failed call on `ctx` left (ioasid_ctx_errmsg()).
pub(crate) fn check_ctx(ctx: *const sys::ioasid_ctx, rc: c_int) -> Result<()> {
    if rc >= 0 {
        return Ok(());
    }
    // SAFETY: ctx is a live context (callers hold a &Context); the message
    // is copied before this thread makes another call.
    let message = unsafe { owned_str(sys::ioasid_ctx_errmsg(ctx)) };
    Err(Error { errno: -rc, message })
}
