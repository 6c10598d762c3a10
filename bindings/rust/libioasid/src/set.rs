//! IOASID sets (one owner's quotas) and the PASIDs they hold.

use std::mem;

use libioasid_sys as sys;

use crate::ctx::Context;
use crate::error::Result;
use crate::ioas::Ioas;

/// Options of [`Context::set_alloc`] (`struct ioasid_set_opts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// The owner's token (e.g. a VM id); informative.
    pub owner: u64,
    /// PASID quota; 0 = no PASIDs.
    pub max_pasids: u32,
    /// Address-space quota; 0 = none.
    pub max_ioas: u32,
}

/// Quotas and usage of a set (`struct ioasid_set_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetInfo {
    /// The owner's token.
    pub owner: u64,
    /// PASID quota.
    pub max_pasids: u32,
    /// PASIDs held.
    pub nr_pasids: u32,
    /// Address-space quota.
    pub max_ioas: u32,
    /// Address spaces charged.
    pub nr_ioas: u32,
    /// Width of the context's PASID space.
    pub pasid_width: u32,
}

/// A set, destroyed when dropped; its PASIDs, address spaces and fault
/// queues borrow it.
#[derive(Debug)]
pub struct Set<'c> {
    pub(crate) ctx: &'c Context,
    pub(crate) id: u32,
}

/// A PASID held by a set, freed when dropped.
#[derive(Debug)]
pub struct Pasid<'s> {
    pub(crate) ctx: &'s Context,
    pub(crate) set: u32,
    pub(crate) pasid: u32,
}

impl Context {
    /// Create a set.
    pub fn set_alloc(&self, opts: &SetOptions) -> Result<Set<'_>> {
        // SAFETY: all-zero is the documented default.
        let mut o: sys::ioasid_set_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of::<sys::ioasid_set_opts>();
        o.owner = opts.owner;
        o.max_pasids = opts.max_pasids;
        o.max_ioas = opts.max_ioas;
        let mut id = 0;
        // SAFETY: valid options and out-pointer.
        self.check(unsafe { sys::ioasid_set_alloc(self.as_raw(), &o, &mut id) })?;
        Ok(Set { ctx: self, id })
    }
}

impl<'c> Set<'c> {
    /// Allocate the lowest free PASID in `[min, max]`.
    pub fn pasid_alloc(&self, min: u32, max: u32) -> Result<Pasid<'_>> {
        let mut p = 0;
        // SAFETY: valid out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_pasid_alloc(self.ctx.as_raw(), self.id, min, max, &mut p) })?;
        Ok(Pasid {
            ctx: self.ctx,
            set: self.id,
            pasid: p,
        })
    }

    /// Create an address space charged to this set.
    pub fn ioas_alloc(&self) -> Result<Ioas<'_>> {
        let mut id = 0;
        // SAFETY: valid out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_set_ioas_alloc(self.ctx.as_raw(), self.id, &mut id) })?;
        Ok(Ioas { ctx: self.ctx, id })
    }

    /// Quotas and usage.
    pub fn info(&self) -> Result<SetInfo> {
        // SAFETY: POD out-struct filled by the call.
        let mut i: sys::ioasid_set_info = unsafe { mem::zeroed() };
        self.ctx
            .check(unsafe { sys::ioasid_set_info(self.ctx.as_raw(), self.id, &mut i) })?;
        Ok(SetInfo {
            owner: i.owner,
            max_pasids: i.max_pasids,
            nr_pasids: i.nr_pasids,
            max_ioas: i.max_ioas,
            nr_ioas: i.nr_ioas,
            pasid_width: i.pasid_width,
        })
    }

    /// The PASIDs the set holds, ascending.
    pub fn pasids(&self) -> Result<Vec<u32>> {
        let mut all = Vec::new();
        let mut from = 0u32;
        loop {
            let mut batch = [0u32; 64];
            let mut n = batch.len() as u32;
            // SAFETY: `batch` holds `n` entries.
            self.ctx.check(unsafe {
                sys::ioasid_set_pasids(self.ctx.as_raw(), self.id, from, batch.as_mut_ptr(), &mut n)
            })?;
            all.extend_from_slice(&batch[..n as usize]);
            match batch[..n as usize].last() {
                Some(&last) if n as usize == batch.len() => from = last + 1,
                _ => return Ok(all),
            }
        }
    }
}

object_handle!(Set, destroy, sys::ioasid_set_destroy, "set");

impl Pasid<'_> {
    /// The PASID's value.
    pub fn value(&self) -> u32 {
        self.pasid
    }
}

impl Drop for Pasid<'_> {
    fn drop(&mut self) {
        // SAFETY: live context; attachments of the PASID borrow it.
        unsafe { sys::ioasid_pasid_free(self.ctx.as_raw(), self.set, self.pasid) };
    }
}
