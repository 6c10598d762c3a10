//! Contexts: one backend instance that owns every object made in it.

use std::ffi::{CStr, CString};
use std::mem;
use std::os::raw::c_char;
use std::ptr::{self, NonNull};

use libioasid_sys as sys;

use crate::error::{check_ctx, check_global, static_str, Error, Result};

/// Which backend a context runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The in-process simulated IOMMU.
    Sim,
    /// Linux iommufd (/dev/iommu).
    Iommufd,
    /// Legacy VFIO type-1 containers.
    Vfio,
}

/// A context (`struct ioasid_ctx`); closed, with every object left in it,
/// when dropped.
///
/// `Context` is `Send` and `Sync`: the library's threading contract (ctx.h,
/// docs/design.md "Threading") lets every call on a context be made from
/// any thread, concurrently with any other call on it, and excludes only
/// ioasid_ctx_close() racing another call, which `Drop` cannot do (it needs
/// the context owned, so no handle borrows it any more). The error message
/// of a call is the calling thread's, read right after the call, so threads
/// never see each other's messages.
#[derive(Debug)]
pub struct Context {
    raw: NonNull<sys::ioasid_ctx>,
}

// SAFETY: see the type's documentation: the C library locks every call on
// a context, and only close (Drop, with exclusive ownership) may not race.
unsafe impl Send for Context {}
unsafe impl Sync for Context {}

/// Options of [`Context::open_with`] (`struct ioasid_ctx_opts`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ContextOptions {
    /// Pinned-memory limit in bytes; 0 = RLIMIT_MEMLOCK, `u64::MAX` = none.
    pub pinned_limit: u64,
    /// Do not exempt CAP_IPC_LOCK holders from pinned-page accounting.
    pub no_cap_ipc_lock_exempt: bool,
}

/// A device the backend offers (`struct ioasid_dev_entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    /// What [`Context::bind`] takes.
    pub name: String,
    /// PCI address, "" if none.
    pub bdf: String,
    /// IOMMU type ("vtd", "smmuv3", "amd", ...).
    pub iommu: String,
    /// Bound driver ("vfio-pci"; "sim" on the sim).
    pub driver: String,
    /// IOMMU group or VFIO cdev path, "" if none.
    pub group: String,
    /// The device's id when bound in this context.
    pub bound: Option<u32>,
}

fn c_field(f: &[c_char]) -> String {
    let bytes: Vec<u8> = f.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl DeviceEntry {
    fn from_raw(e: &sys::ioasid_dev_entry) -> DeviceEntry {
        DeviceEntry {
            name: c_field(&e.name),
            bdf: c_field(&e.bdf),
            iommu: c_field(&e.iommu),
            driver: c_field(&e.driver),
            group: c_field(&e.group),
            bound: if e.bound == 0 { None } else { Some(e.bound) },
        }
    }
}

/// Pinned-page accounting of a context (`struct ioasid_pinned_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedInfo {
    /// Pages this context pins now.
    pub pinned_pages: u64,
    /// The limit its next pin is held to; `u64::MAX` = none.
    pub limit_pages: u64,
    /// The unit of the counts, in bytes.
    pub page_size: u64,
    /// Whether the CAP_IPC_LOCK exemption is in force.
    pub exempt: bool,
    /// The account charged (IOASID_RLIMIT_MODE_*).
    pub rlimit_mode: u32,
    /// That account's total over every context of the process.
    pub account_pages: u64,
}

/// Read a list the library fills with the kernel's two-call protocol
/// (`inout_num`: capacity in, total out; -EMSGSIZE when short).
pub(crate) fn read_list<T: Copy>(
    mut call: impl FnMut(*mut T, *mut u32) -> std::os::raw::c_int,
    check: impl Fn(std::os::raw::c_int) -> Result<()>,
) -> Result<Vec<T>> {
    let mut out: Vec<T> = Vec::new();
    loop {
        let cap = out.capacity() as u32;
        let mut num = cap;
        let rc = call(out.as_mut_ptr(), &mut num);
        if rc == -libc::EMSGSIZE && num > cap {
            out.reserve_exact(num as usize);
            continue;
        }
        check(rc)?;
        // SAFETY: the library wrote min(num, cap) entries.
        unsafe { out.set_len(num.min(cap) as usize) };
        if num <= cap {
            return Ok(out);
        }
        out.clear();
        out.reserve_exact(num as usize);
    }
}

impl Context {
    /// Open a context from a backend spec: "sim", "sim:PROFILE",
    /// "iommufd", "iommufd:PATH", "vfio" or "auto".
    pub fn open(spec: &str) -> Result<Context> {
        Context::open_with(spec, &ContextOptions::default())
    }

    /// Open a context with options.
    pub fn open_with(spec: &str, opts: &ContextOptions) -> Result<Context> {
        let spec = CString::new(spec).map_err(|_| Error::new(libc::EINVAL, "backend spec contains a NUL byte"))?;
        // SAFETY: an all-zero ioasid_ctx_opts is its documented default.
        let mut o: sys::ioasid_ctx_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of::<sys::ioasid_ctx_opts>();
        o.pinned_limit = opts.pinned_limit;
        if opts.no_cap_ipc_lock_exempt {
            o.flags |= sys::IOASID_CTX_NO_CAP_IPC_LOCK_EXEMPT;
        }
        let mut raw = ptr::null_mut();
        // SAFETY: valid string, options and out-pointer for the call.
        check_global(unsafe { sys::ioasid_ctx_open(spec.as_ptr(), &o, &mut raw) })?;
        let raw = NonNull::new(raw).expect("ioasid_ctx_open() returned 0 and no context");
        Ok(Context { raw })
    }

    /// The raw context, for calls this crate does not wrap. It stays owned
    /// by `self`: do not close it.
    pub fn as_raw(&self) -> *mut sys::ioasid_ctx {
        self.raw.as_ptr()
    }

    /// Ids name objects of one context: an object of another context
    /// handed to a call on this one would name something else (a copy of
    /// another area, an attach to another address space), so it is refused.
    pub(crate) fn same(&self, other: &Context, what: &str) -> Result<()> {
        if ptr::eq(self, other) {
            return Ok(());
        }
        Err(Error::new(
            libc::EINVAL,
            format!("{} belongs to another context than the call's", what),
        ))
    }

    /// Turn a C return value into a `Result` with this context's message.
    pub(crate) fn check(&self, rc: std::os::raw::c_int) -> Result<()> {
        check_ctx(self.raw.as_ptr(), rc)
    }

    /// The backend this context runs on.
    pub fn backend(&self) -> Backend {
        // SAFETY: live context.
        match unsafe { sys::ioasid_ctx_backend(self.raw.as_ptr()) } {
            sys::IOASID_BACKEND_IOMMUFD => Backend::Iommufd,
            sys::IOASID_BACKEND_VFIO => Backend::Vfio,
            _ => Backend::Sim,
        }
    }

    /// The backend's name ("sim", "iommufd", "vfio").
    pub fn backend_name(&self) -> &str {
        // SAFETY: a string the context keeps until it is closed, which
        // cannot happen while `self` is borrowed.
        unsafe { CStr::from_ptr(sys::ioasid_ctx_backend_name(self.raw.as_ptr())) }
            .to_str()
            .unwrap_or("?")
    }

    /// Why this backend was chosen.
    pub fn backend_reason(&self) -> String {
        // SAFETY: never NULL; copied at once.
        unsafe { crate::error::owned_str(sys::ioasid_ctx_backend_reason(self.raw.as_ptr())) }
    }

    /// Pinned-page accounting.
    pub fn pinned(&self) -> Result<PinnedInfo> {
        // SAFETY: POD out-struct filled by the call.
        let mut i: sys::ioasid_pinned_info = unsafe { mem::zeroed() };
        self.check(unsafe { sys::ioasid_ctx_pinned(self.raw.as_ptr(), &mut i) })?;
        Ok(PinnedInfo {
            pinned_pages: i.pinned_pages,
            limit_pages: i.limit_pages,
            page_size: i.page_size,
            exempt: i.exempt != 0,
            rlimit_mode: i.rlimit_mode,
            account_pages: i.account_pages,
        })
    }

    /// Override the pinned-memory limit (0 = RLIMIT_MEMLOCK, `u64::MAX` =
    /// none).
    pub fn set_pinned_limit(&self, bytes: u64) -> Result<()> {
        // SAFETY: live context.
        self.check(unsafe { sys::ioasid_ctx_set_pinned_limit(self.raw.as_ptr(), bytes) })
    }

    /// The devices this context's backend offers.
    pub fn devices(&self) -> Result<Vec<DeviceEntry>> {
        let raw = read_list(
            // SAFETY: `p` has room for `*n` entries.
            |p, n| unsafe { sys::ioasid_dev_list(self.raw.as_ptr(), p, n) },
            |rc| self.check(rc),
        )?;
        Ok(raw.iter().map(DeviceEntry::from_raw).collect())
    }
}

/// The PCI devices behind an IOMMU on this host, without a context.
pub fn host_devices() -> Result<Vec<DeviceEntry>> {
    let raw = read_list(
        // SAFETY: `p` has room for `*n` entries.
        |p, n| unsafe { sys::ioasid_host_devices(p, n) },
        check_global,
    )?;
    Ok(raw.iter().map(DeviceEntry::from_raw).collect())
}

/// The library's version ("0.1.0").
pub fn version() -> &'static str {
    // SAFETY: a static string.
    unsafe { static_str(sys::ioasid_version()) }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: we own the context and nothing borrows it any more (every
        // handle holds a borrow of it); close cannot fail.
        unsafe { sys::ioasid_ctx_close(self.raw.as_ptr()) }
    }
}
