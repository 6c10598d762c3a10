//! Hardware page tables: paging HWPTs over an address space, nested
//! stage-1 HWPTs over a nest parent, dirty tracking.

use std::mem;
use std::os::raw::c_void;
use std::ptr;

use libioasid_sys as sys;

use crate::ctx::Context;
use crate::dev::Device;
use crate::error::Result;
use crate::fault::FaultQueue;
use crate::ioas::Ioas;

/// Allocation flags of an HWPT (IOASID_HWPT_*).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HwptFlags {
    /// May carry nested stage-1 HWPTs.
    pub nest_parent: bool,
    /// Dirty tracking can be switched on.
    pub dirty_tracking: bool,
    /// May be attached to PASIDs.
    pub pasid: bool,
}

impl HwptFlags {
    fn bits(self) -> u32 {
        let mut f = 0;
        if self.nest_parent {
            f |= sys::IOASID_HWPT_NEST_PARENT;
        }
        if self.dirty_tracking {
            f |= sys::IOASID_HWPT_DIRTY_TRACKING;
        }
        if self.pasid {
            f |= sys::IOASID_HWPT_PASID;
        }
        f
    }
}

/// VT-d stage-1 table of a nested HWPT (`struct ioasid_hwpt_vtd_s1`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VtdS1 {
    /// IOASID_VTD_S1_* bits.
    pub flags: u64,
    /// The stage-1 root, a guest-physical address (parent IOVA).
    pub pgtbl_addr: u64,
    /// 48 (4-level) or 57 (5-level).
    pub addr_width: u32,
}

/// A hardware page table, destroyed when dropped. It borrows what it was
/// made over (the IOAS or the nest parent) and its fault queue.
#[derive(Debug)]
pub struct Hwpt<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) id: u32,
}

fn alloc<'a>(
    ctx: &'a Context,
    dev: &Device<'_>,
    pt: u32,
    flags: u32,
    kind: u32,
    data: Option<&sys::ioasid_hwpt_vtd_s1>,
    queue: Option<&FaultQueue<'_>>,
) -> Result<Hwpt<'a>> {
    // SAFETY: all-zero is the documented default.
    let mut o: sys::ioasid_hwpt_opts = unsafe { mem::zeroed() };
    o.sz = mem::size_of::<sys::ioasid_hwpt_opts>();
    o.flags = flags;
    o.type_ = kind;
    if let Some(d) = data {
        o.data = (d as *const sys::ioasid_hwpt_vtd_s1).cast::<c_void>();
        o.data_len = mem::size_of::<sys::ioasid_hwpt_vtd_s1>() as u32;
    } else {
        o.data = ptr::null();
    }
    if let Some(q) = queue {
        o.flags |= sys::IOASID_HWPT_FAULT_ID_VALID;
        o.fault_queue = q.id;
    }
    ctx.same(dev.ctx, "the device")?;
    if let Some(q) = queue {
        ctx.same(q.ctx, "the fault queue")?;
    }
    let mut id = 0;
    // SAFETY: valid options (data outlives the call) and out-pointer.
    ctx.check(unsafe { sys::ioasid_hwpt_alloc(ctx.as_raw(), dev.id, pt, &o, &mut id) })?;
    Ok(Hwpt { ctx, id })
}

impl<'c> Ioas<'c> {
    /// A paging HWPT over this address space, in `dev`'s IOMMU's format,
    /// reporting I/O page faults to `queue` if given.
    pub fn hwpt_alloc<'a>(
        &'a self,
        dev: &Device<'_>,
        flags: HwptFlags,
        queue: Option<&'a FaultQueue<'_>>,
    ) -> Result<Hwpt<'a>> {
        alloc(
            self.ctx,
            dev,
            self.id,
            flags.bits(),
            sys::IOASID_HWPT_PAGING,
            None,
            queue,
        )
    }
}

impl<'p> Hwpt<'p> {
    /// A nested VT-d stage-1 HWPT over this nest parent.
    pub fn nested_vtd_alloc<'a>(
        &'a self,
        dev: &Device<'_>,
        s1: VtdS1,
        pasid: bool,
        queue: Option<&'a FaultQueue<'_>>,
    ) -> Result<Hwpt<'a>> {
        // SAFETY: all-zero is a valid POD value.
        let mut d: sys::ioasid_hwpt_vtd_s1 = unsafe { mem::zeroed() };
        d.flags = s1.flags;
        d.pgtbl_addr = s1.pgtbl_addr;
        d.addr_width = s1.addr_width;
        let flags = if pasid { sys::IOASID_HWPT_PASID } else { 0 };
        alloc(
            self.ctx,
            dev,
            self.id,
            flags,
            sys::IOASID_HWPT_NESTED_VTD_S1,
            Some(&d),
            queue,
        )
    }

    /// Start (clearing stale dirty state) or stop dirty tracking.
    pub fn set_dirty_tracking(&self, enable: bool) -> Result<()> {
        // SAFETY: live context.
        self.ctx
            .check(unsafe { sys::ioasid_hwpt_set_dirty_tracking(self.ctx.as_raw(), self.id, enable) })
    }

    /// The dirty bits of `[iova, iova + length)`, one per `page_size`
    /// bytes, read and (unless `keep`) cleared.
    pub fn dirty_bitmap(&self, iova: u64, length: u64, page_size: u64, keep: bool) -> Result<Vec<u64>> {
        let bits = length.checked_div(page_size).unwrap_or(0);
        let mut map = vec![0u64; ((bits + 63) / 64).max(1) as usize];
        let flags = if keep { sys::IOASID_DIRTY_NO_CLEAR } else { 0 };
        // SAFETY: `map` holds length / page_size bits (the library checks
        // the arguments before it writes).
        self.ctx.check(unsafe {
            sys::ioasid_hwpt_get_dirty_bitmap(
                self.ctx.as_raw(),
                self.id,
                iova,
                length,
                page_size,
                map.as_mut_ptr(),
                flags,
            )
        })?;
        Ok(map)
    }
}

object_handle!(Hwpt, destroy, sys::ioasid_hwpt_destroy, "HWPT");
