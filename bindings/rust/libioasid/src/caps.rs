//! Device information: the capability chain of caps.h, parsed by the
//! library (which treats every buffer as untrusted).

use std::mem;
use std::os::raw::c_void;

use libioasid_sys as sys;

use crate::error::{check_global, static_str, Result};
use crate::ioas::IovaRange;

/// Feature bits of the FEATURES capability (caps.h IOASID_FEAT_*; the
/// header spells them with UINT64_C, which bindgen does not evaluate).
pub mod feature {
    /// Nested stage-1 HWPTs.
    pub const NESTING: u64 = 1 << 0;
    /// Dirty tracking.
    pub const DIRTY_TRACKING: u64 = 1 << 1;
    /// PCIe page requests.
    pub const PRI: u64 = 1 << 2;
    /// ATS.
    pub const ATS: u64 = 1 << 3;
    /// PASIDs.
    pub const PASID: u64 = 1 << 4;
    /// Execute requests with PASID.
    pub const PASID_EXEC: u64 = 1 << 5;
    /// Privileged requests with PASID.
    pub const PASID_PRIV: u64 = 1 << 6;
    /// Table walks snoop caches.
    pub const COHERENT: u64 = 1 << 7;
    /// Stall-model faults.
    pub const STALL: u64 = 1 << 8;
    /// Pass-through domain.
    pub const IDENTITY: u64 = 1 << 9;
}

/// The header of one capability, where it lies in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapHeader {
    /// IOASID_CAP_* id (possibly one this crate does not know).
    pub id: u16,
    /// Layout version.
    pub version: u16,
    /// Offset in the chain.
    pub offset: u32,
    /// Bytes, header included.
    pub size: u32,
    /// IOASID_CAP_SRC_*.
    pub source: u32,
}

impl CapHeader {
    /// The id's name ("page_sizes"), or "" for one the library does not
    /// know.
    pub fn name(&self) -> &'static str {
        // SAFETY: a static string or NULL.
        unsafe { static_str(sys::ioasid_cap_id_name(self.id)) }
    }
}

/// A reserved region of the RESV_REGIONS capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResvRegion {
    /// First IOVA.
    pub start: u64,
    /// Last IOVA (inclusive).
    pub last: u64,
    /// IOASID_RESV_* (an unknown type counts as RESERVED).
    pub kind: u32,
}

/// A capability chain (what [`crate::Device::info`] returns), owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    buf: Vec<u8>,
}

impl DeviceInfo {
    /// Take a chain from elsewhere (a file, another process), checked whole
    /// first.
    pub fn from_bytes(buf: Vec<u8>) -> Result<DeviceInfo> {
        // SAFETY: `buf` has `len` readable bytes.
        check_global(unsafe { sys::ioasid_caps_validate(buf.as_ptr().cast(), buf.len(), 0) })?;
        Ok(DeviceInfo { buf })
    }

    /// A chain the library produced; every accessor still checks what it
    /// reads.
    pub(crate) fn from_bytes_unchecked(buf: Vec<u8>) -> DeviceInfo {
        DeviceInfo { buf }
    }

    /// The raw chain.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The capabilities in chain order. An item is an error when the chain
    /// is malformed there; iteration ends after it.
    pub fn caps(&self) -> Caps<'_> {
        Caps {
            info: self,
            at: None,
            done: false,
        }
    }

    fn get<T>(&self, id: u32) -> Result<T> {
        // SAFETY: a POD capability struct, zero-filled past what the chain
        // holds (the library copies min(size, outsz) and zeroes the rest).
        let mut out: T = unsafe { mem::zeroed() };
        check_global(unsafe {
            sys::ioasid_caps_get(
                self.buf.as_ptr().cast(),
                self.buf.len(),
                0,
                id as u16,
                (&mut out as *mut T).cast::<c_void>(),
                mem::size_of::<T>(),
                std::ptr::null_mut(),
            )
        })?;
        Ok(out)
    }

    fn get_array<T: Copy>(&self, id: u32) -> Result<Vec<T>> {
        let mut count = 0;
        // SAFETY: asking the count: NULL with max 0.
        check_global(unsafe {
            sys::ioasid_caps_get_array(
                self.buf.as_ptr().cast(),
                self.buf.len(),
                0,
                id as u16,
                std::ptr::null_mut(),
                0,
                &mut count,
            )
        })?;
        let mut out: Vec<T> = Vec::with_capacity(count as usize);
        let mut got = 0;
        // SAFETY: `out` has room for `count` entries of the id's struct.
        check_global(unsafe {
            sys::ioasid_caps_get_array(
                self.buf.as_ptr().cast(),
                self.buf.len(),
                0,
                id as u16,
                out.as_mut_ptr().cast(),
                count,
                &mut got,
            )
        })?;
        // SAFETY: min(got, count) entries were written.
        unsafe { out.set_len(got.min(count) as usize) };
        Ok(out)
    }

    /// Supported IOMMU page sizes: bit n set = 2^n bytes.
    pub fn page_sizes(&self) -> Result<u64> {
        Ok(self
            .get::<sys::ioasid_cap_page_sizes>(sys::IOASID_CAP_PAGE_SIZES)?
            .bitmap)
    }

    /// (input, output) address widths in bits.
    pub fn addr_width(&self) -> Result<(u32, u32)> {
        let c = self.get::<sys::ioasid_cap_addr_width>(sys::IOASID_CAP_ADDR_WIDTH)?;
        Ok((c.input_bits, c.output_bits))
    }

    /// PASID width in bits (0: none).
    pub fn pasid_width(&self) -> Result<u32> {
        Ok(self.get::<sys::ioasid_cap_pasid>(sys::IOASID_CAP_PASID)?.width)
    }

    /// (features, known) bits; see [`feature`].
    pub fn features(&self) -> Result<(u64, u64)> {
        let c = self.get::<sys::ioasid_cap_features>(sys::IOASID_CAP_FEATURES)?;
        Ok((c.features, c.known))
    }

    /// The device's usable IOVA ranges.
    pub fn iova_ranges(&self) -> Result<Vec<IovaRange>> {
        let raw = self.get_array::<sys::ioasid_cap_iova_range>(sys::IOASID_CAP_IOVA_RANGES)?;
        Ok(raw
            .iter()
            .map(|r| IovaRange {
                start: r.start,
                last: r.last,
            })
            .collect())
    }

    /// The device's reserved regions.
    pub fn resv_regions(&self) -> Result<Vec<ResvRegion>> {
        let raw = self.get_array::<sys::ioasid_cap_resv_region>(sys::IOASID_CAP_RESV_REGIONS)?;
        Ok(raw
            .iter()
            .map(|r| ResvRegion {
                start: r.start,
                last: r.last,
                kind: r.type_,
            })
            .collect())
    }
}

/// Iterator over the capabilities of a chain ([`DeviceInfo::caps`]).
#[derive(Debug)]
pub struct Caps<'a> {
    info: &'a DeviceInfo,
    at: Option<u32>,
    done: bool,
}

impl Iterator for Caps<'_> {
    type Item = Result<CapHeader>;

    fn next(&mut self) -> Option<Result<CapHeader>> {
        if self.done {
            return None;
        }
        let b = &self.info.buf;
        let mut off = 0;
        // SAFETY: POD header filled by the call.
        let mut h: sys::ioasid_cap_header = unsafe { mem::zeroed() };
        // SAFETY: `b` has `len` readable bytes.
        let rc = unsafe {
            match self.at {
                None => sys::ioasid_caps_first(b.as_ptr().cast(), b.len(), 0, &mut off, &mut h),
                Some(at) => sys::ioasid_caps_next(b.as_ptr().cast(), b.len(), 0, at, &mut off, &mut h),
            }
        };
        if rc == -libc::ENOENT {
            self.done = true;
            return None;
        }
        if let Err(e) = check_global(rc) {
            self.done = true;
            return Some(Err(e));
        }
        self.at = Some(off);
        Some(Ok(CapHeader {
            id: h.id,
            version: h.version,
            offset: off,
            size: h.size,
            source: h.source,
        }))
    }
}
