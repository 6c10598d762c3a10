//! I/O address spaces: IOVA ranges, mappings, copies and their records.

use std::mem;

use libioasid_sys as sys;

use crate::ctx::{read_list, Context};
use crate::error::Result;

/// What the device may do with mapped memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perm {
    /// The device may read.
    pub read: bool,
    /// The device may write.
    pub write: bool,
}

impl Perm {
    /// Read only.
    pub const R: Perm = Perm {
        read: true,
        write: false,
    };
    /// Write only.
    pub const W: Perm = Perm {
        read: false,
        write: true,
    };
    /// Read and write.
    pub const RW: Perm = Perm {
        read: true,
        write: true,
    };

    pub(crate) fn flags(self) -> u32 {
        let mut f = 0;
        if self.read {
            f |= sys::IOASID_MAP_READ;
        }
        if self.write {
            f |= sys::IOASID_MAP_WRITE;
        }
        f
    }

    fn from_flags(f: u32) -> Perm {
        Perm {
            read: f & sys::IOASID_MAP_READ != 0,
            write: f & sys::IOASID_MAP_WRITE != 0,
        }
    }
}

/// An inclusive IOVA range (`struct ioasid_iova_range`, same layout).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IovaRange {
    /// First IOVA.
    pub start: u64,
    /// Last IOVA (inclusive).
    pub last: u64,
}

const _: () = assert!(mem::size_of::<IovaRange>() == mem::size_of::<sys::ioasid_iova_range>());

impl IovaRange {
    /// Whether `iova` lies in the range.
    pub fn contains(&self, iova: u64) -> bool {
        self.start <= iova && iova <= self.last
    }
}

/// The usable IOVA ranges of an address space and its alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsableRanges {
    /// Sorted, non-overlapping.
    pub ranges: Vec<IovaRange>,
    /// The IOVA and length alignment.
    pub alignment: u64,
}

/// One area of an address space (`struct ioasid_mapping`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    /// First IOVA.
    pub iova: u64,
    /// Bytes.
    pub length: u64,
    /// The process address backing `iova`.
    pub uva: u64,
    /// The device's permissions.
    pub perm: Perm,
}

impl Mapping {
    fn from_raw(m: &sys::ioasid_mapping) -> Mapping {
        Mapping {
            iova: m.iova,
            length: m.length,
            uva: m.uva,
            perm: Perm::from_flags(m.flags),
        }
    }

    /// The last IOVA of the area.
    pub fn last(&self) -> u64 {
        self.iova + (self.length - 1)
    }
}

/// Counters of an address space (`struct ioasid_ioas_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoasStats {
    /// Areas mapped.
    pub nr_areas: u64,
    /// Bytes mapped.
    pub mapped_bytes: u64,
    /// Reserved regions (devices' and the caller's).
    pub nr_reserved: u64,
    /// Entries of the allowed list.
    pub nr_allowed: u64,
    /// IOVA alignment.
    pub alignment: u64,
    /// (device, PASID) attachments.
    pub nr_attached: u32,
}

/// An I/O address space, destroyed (with its mappings) when dropped.
///
/// It borrows its [`Context`] (or the [`crate::Set`] it is charged to), and
/// everything that must go before it (mappings made through
/// [`Ioas::map`], attachments, HWPTs over it) borrows it, so the borrow
/// checker orders the destruction as the library requires.
#[derive(Debug)]
pub struct Ioas<'c> {
    pub(crate) ctx: &'c Context,
    pub(crate) id: u32,
}

fn iova_arg(iova: Option<u64>, flags: u32) -> (u64, u32) {
    match iova {
        Some(i) => (i, flags | sys::IOASID_MAP_FIXED_IOVA),
        None => (0, flags),
    }
}

impl<'c> Ioas<'c> {
    /// The context it lives in.
    pub fn context(&self) -> &'c Context {
        self.ctx
    }

    /// Map `len` bytes of process memory at `va`, at `iova` or (with
    /// `None`) where the library finds room; returns the IOVA used.
    ///
    /// # Safety
    /// The device may read and write the memory (as `perm` allows) at any
    /// time until the area is unmapped or the address space destroyed: the
    /// memory must stay mapped in the process and must not be reused for
    /// anything the device must not see or that Rust assumes unchanged
    /// (no `&`/`&mut` references to it may rely on its contents). Prefer
    /// [`Ioas::map`], which keeps a [`crate::DmaBuffer`] alive for the
    /// mapping's life.
    pub unsafe fn map_raw(&self, va: *mut u8, len: u64, perm: Perm, iova: Option<u64>) -> Result<u64> {
        let (mut io, flags) = iova_arg(iova, perm.flags());
        self.ctx.check(sys::ioasid_ioas_map(
            self.ctx.as_raw(),
            self.id,
            va.cast(),
            len,
            flags,
            &mut io,
        ))?;
        Ok(io)
    }

    /// Map memory that is mapped at `src_iova` in `src` into this address
    /// space too (pinned once); returns the IOVA used.
    ///
    /// # Safety
    /// The new area refers to the source's memory: the same obligation as
    /// [`Ioas::map_raw`] holds for it, independently of the source area.
    /// [`crate::Mapped::copy_to`] is the safe form.
    pub unsafe fn copy_raw(
        &self,
        src: &Ioas<'_>,
        src_iova: u64,
        len: u64,
        perm: Perm,
        iova: Option<u64>,
    ) -> Result<u64> {
        self.ctx.same(src.ctx, "the source address space")?;
        let (mut io, flags) = iova_arg(iova, perm.flags());
        self.ctx.check(sys::ioasid_ioas_copy(
            self.ctx.as_raw(),
            self.id,
            src.id,
            src_iova,
            len,
            flags,
            &mut io,
        ))?;
        Ok(io)
    }

    /// Remove the areas inside `[iova, iova + len)`; returns the bytes
    /// removed. Safe: removing a mapping never exposes memory (a
    /// [`crate::Mapped`] whose area is gone just has nothing left to unmap).
    pub fn unmap(&self, iova: u64, len: u64) -> Result<u64> {
        let mut done = 0;
        // SAFETY: live context; plain values.
        self.ctx
            .check(unsafe { sys::ioasid_ioas_unmap(self.ctx.as_raw(), self.id, iova, len, &mut done) })?;
        Ok(done)
    }

    /// The usable IOVA ranges and the alignment.
    pub fn iova_ranges(&self) -> Result<UsableRanges> {
        let mut alignment = 0;
        let raw = read_list(
            // SAFETY: `p` has room for `*n` ranges.
            |p: *mut sys::ioasid_iova_range, n| unsafe {
                sys::ioasid_ioas_iova_ranges(self.ctx.as_raw(), self.id, p, n, &mut alignment)
            },
            |rc| self.ctx.check(rc),
        )?;
        let ranges = raw
            .iter()
            .map(|r| IovaRange {
                start: r.start,
                last: r.last,
            })
            .collect();
        Ok(UsableRanges { ranges, alignment })
    }

    /// Replace the list of IOVA ranges that must stay usable (empty: clear).
    pub fn allow_iovas(&self, ranges: &[IovaRange]) -> Result<()> {
        // SAFETY: IovaRange has the layout of ioasid_iova_range.
        self.ctx.check(unsafe {
            sys::ioasid_ioas_allow_iovas(self.ctx.as_raw(), self.id, ranges.as_ptr().cast(), ranges.len() as u32)
        })
    }

    /// Reserve `range` for the caller's own use.
    pub fn reserve(&self, range: IovaRange) -> Result<()> {
        // SAFETY: plain values.
        self.ctx
            .check(unsafe { sys::ioasid_ioas_reserve(self.ctx.as_raw(), self.id, range.start, range.last) })
    }

    /// Drop a reservation made with [`Ioas::reserve`].
    pub fn unreserve(&self, range: IovaRange) -> Result<()> {
        // SAFETY: plain values.
        self.ctx
            .check(unsafe { sys::ioasid_ioas_unreserve(self.ctx.as_raw(), self.id, range.start, range.last) })
    }

    /// Use huge pages (the default) or only base pages for new mappings.
    pub fn set_huge_pages(&self, on: bool) -> Result<()> {
        // SAFETY: plain values.
        self.ctx.check(unsafe {
            sys::ioasid_ioas_set_option(self.ctx.as_raw(), self.id, sys::IOASID_IOAS_OPT_HUGE_PAGES, on as u64)
        })
    }

    /// The area that contains `iova`.
    pub fn lookup(&self, iova: u64) -> Result<Mapping> {
        // SAFETY: POD out-struct filled by the call.
        let mut m: sys::ioasid_mapping = unsafe { mem::zeroed() };
        self.ctx
            .check(unsafe { sys::ioasid_ioas_lookup(self.ctx.as_raw(), self.id, iova, &mut m) })?;
        Ok(Mapping::from_raw(&m))
    }

    /// The areas in IOVA order, read from the library a batch at a time.
    pub fn mappings(&self) -> Mappings<'_, 'c> {
        Mappings {
            ioas: self,
            from: Some(0),
            batch: Vec::new(),
            pos: 0,
        }
    }

    /// The counters.
    pub fn stats(&self) -> Result<IoasStats> {
        // SAFETY: POD out-struct filled by the call.
        let mut s: sys::ioasid_ioas_stats = unsafe { mem::zeroed() };
        self.ctx
            .check(unsafe { sys::ioasid_ioas_stats(self.ctx.as_raw(), self.id, &mut s) })?;
        Ok(IoasStats {
            nr_areas: s.nr_areas,
            mapped_bytes: s.mapped_bytes,
            nr_reserved: s.nr_reserved,
            nr_allowed: s.nr_allowed,
            alignment: s.alignment,
            nr_attached: s.nr_attached,
        })
    }
}

object_handle!(Ioas, destroy, sys::ioasid_ioas_destroy, "address space");

/// Iterator over the areas of an address space ([`Ioas::mappings`]).
#[derive(Debug)]
pub struct Mappings<'a, 'c> {
    ioas: &'a Ioas<'c>,
    from: Option<u64>,
    batch: Vec<sys::ioasid_mapping>,
    pos: usize,
}

const MAPPINGS_BATCH: u32 = 64;

impl Iterator for Mappings<'_, '_> {
    type Item = Result<Mapping>;

    fn next(&mut self) -> Option<Result<Mapping>> {
        if self.pos == self.batch.len() {
            let from = self.from?;
            self.batch.clear();
            self.batch.reserve_exact(MAPPINGS_BATCH as usize);
            self.pos = 0;
            let mut n = MAPPINGS_BATCH;
            let ctx = self.ioas.ctx;
            // SAFETY: the batch has room for `n` entries.
            let rc =
                unsafe { sys::ioasid_ioas_mappings(ctx.as_raw(), self.ioas.id, from, self.batch.as_mut_ptr(), &mut n) };
            if let Err(e) = ctx.check(rc) {
                self.from = None;
                return Some(Err(e));
            }
            // SAFETY: the library wrote `n` <= capacity entries.
            unsafe { self.batch.set_len(n.min(MAPPINGS_BATCH) as usize) };
            self.from = match self.batch.last() {
                Some(m) if n == MAPPINGS_BATCH => (m.iova + (m.length - 1)).checked_add(1),
                _ => None,
            };
            if self.batch.is_empty() {
                return None;
            }
        }
        self.pos += 1;
        Some(Ok(Mapping::from_raw(&self.batch[self.pos - 1])))
    }
}
