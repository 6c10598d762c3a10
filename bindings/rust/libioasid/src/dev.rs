//! Devices: bind, attach (a guard that detaches), information.

use std::ffi::CString;
use std::mem;
use std::os::raw::c_char;
use std::ptr;

use libioasid_sys as sys;

use crate::caps::DeviceInfo;
use crate::ctx::Context;
use crate::error::{Error, Result};
use crate::fault::FaultQueue;
use crate::hwpt::Hwpt;
use crate::ioas::Ioas;
use crate::set::Pasid;

/// What a device attaches to: an address space (through its automatic
/// domain) or a hardware page table.
pub trait PageTable {
    /// The library's id of the IOAS or HWPT.
    fn pt_id(&self) -> u32;
    /// The context it lives in.
    fn pt_context(&self) -> &Context;
}

impl PageTable for Ioas<'_> {
    fn pt_id(&self) -> u32 {
        self.id
    }
    fn pt_context(&self) -> &Context {
        self.ctx
    }
}

impl PageTable for Hwpt<'_> {
    fn pt_id(&self) -> u32 {
        self.id
    }
    fn pt_context(&self) -> &Context {
        self.ctx
    }
}

/// A bound device, unbound when dropped.
#[derive(Debug)]
pub struct Device<'c> {
    pub(crate) ctx: &'c Context,
    pub(crate) id: u32,
}

impl Context {
    /// Bind a device: a sim name ("sim0"), a VFIO cdev path or a PCI
    /// address.
    pub fn bind(&self, name: &str) -> Result<Device<'_>> {
        let cname = CString::new(name).map_err(|_| Error::new(libc::EINVAL, "device name contains a NUL byte"))?;
        let mut id = 0;
        // SAFETY: valid string and out-pointer.
        self.check(unsafe { sys::ioasid_dev_bind(self.as_raw(), cname.as_ptr(), &mut id) })?;
        Ok(Device { ctx: self, id })
    }

    /// Create an empty address space.
    pub fn ioas_alloc(&self) -> Result<Ioas<'_>> {
        let mut id = 0;
        // SAFETY: valid out-pointer.
        self.check(unsafe { sys::ioasid_ioas_alloc(self.as_raw(), &mut id) })?;
        Ok(Ioas { ctx: self, id })
    }
}

/// (device, PASID) attached to an address space or HWPT; detached when
/// dropped. It borrows the device, the page table and the PASID, which
/// therefore outlive the attachment.
#[derive(Debug)]
pub struct Attachment<'a> {
    dev: &'a Device<'a>,
    pasid: u32,
    pt: u32,
    set: u32,
}

fn attach_opts(set: u32, fault_queue: u32) -> sys::ioasid_attach_opts {
    // SAFETY: all-zero is the documented default.
    let mut o: sys::ioasid_attach_opts = unsafe { mem::zeroed() };
    o.sz = mem::size_of::<sys::ioasid_attach_opts>();
    o.set = set;
    o.fault_queue = fault_queue;
    o
}

impl<'c> Device<'c> {
    fn attach_raw<'a>(&'a self, pt: u32, pasid: u32, set: u32, queue: u32) -> Result<Attachment<'a>> {
        let o = attach_opts(set, queue);
        // SAFETY: live context, valid options.
        self.ctx
            .check(unsafe { sys::ioasid_dev_attach(self.ctx.as_raw(), self.id, pasid, pt, &o) })?;
        Ok(Attachment {
            dev: shorten(self),
            pasid,
            pt,
            set,
        })
    }

    /// Attach the device's requests without PASID to `pt`.
    pub fn attach<'a, P: PageTable>(&'a self, pt: &'a P) -> Result<Attachment<'a>> {
        self.ctx.same(pt.pt_context(), "the page table")?;
        self.attach_raw(pt.pt_id(), sys::IOASID_PASID_NONE, 0, 0)
    }

    /// Attach to an address space whose automatic domain reports I/O page
    /// faults to `queue`.
    pub fn attach_with_faults<'a>(&'a self, ioas: &'a Ioas<'_>, queue: &'a FaultQueue<'_>) -> Result<Attachment<'a>> {
        self.ctx.same(ioas.ctx, "the address space")?;
        self.ctx.same(queue.ctx, "the fault queue")?;
        self.attach_raw(ioas.id, sys::IOASID_PASID_NONE, 0, queue.id)
    }

    /// Attach the requests carrying `pasid` (held by its set, which acts)
    /// to `pt`.
    pub fn attach_pasid<'a, P: PageTable>(&'a self, pt: &'a P, pasid: &'a Pasid<'_>) -> Result<Attachment<'a>> {
        self.ctx.same(pt.pt_context(), "the page table")?;
        self.ctx.same(pasid.ctx, "the PASID")?;
        self.attach_raw(pt.pt_id(), pasid.pasid, pasid.set, 0)
    }

    /// What the requests without PASID are attached to (an IOAS or HWPT
    /// id), if anything.
    pub fn attached(&self) -> Option<u32> {
        let mut pt = 0;
        // SAFETY: valid out-pointer.
        let rc = unsafe { sys::ioasid_dev_attached(self.ctx.as_raw(), self.id, sys::IOASID_PASID_NONE, &mut pt) };
        if rc == 0 {
            Some(pt)
        } else {
            None
        }
    }

    /// The name the device was bound by.
    pub fn name(&self) -> Result<String> {
        let mut buf = [0 as c_char; 256];
        // SAFETY: `buf` has `len` bytes.
        self.ctx
            .check(unsafe { sys::ioasid_dev_name(self.ctx.as_raw(), self.id, buf.as_mut_ptr(), buf.len()) })?;
        Ok(c_string(&buf))
    }

    /// The PCI address the device had when it was bound.
    pub fn pci_addr(&self) -> Result<String> {
        let mut buf = [0 as c_char; sys::IOASID_PCI_ADDR_LEN as usize];
        // SAFETY: `buf` has `len` bytes.
        self.ctx
            .check(unsafe { sys::ioasid_dev_pci_addr(self.ctx.as_raw(), self.id, buf.as_mut_ptr(), buf.len()) })?;
        Ok(c_string(&buf))
    }

    /// The device's capability chain.
    pub fn info(&self) -> Result<DeviceInfo> {
        let mut len = 0;
        // SAFETY: asking the size: NULL buffer with length 0.
        self.ctx
            .check(unsafe { sys::ioasid_dev_info(self.ctx.as_raw(), self.id, ptr::null_mut(), 0, &mut len) })?;
        loop {
            let mut buf = vec![0u8; len];
            let mut full = 0;
            // SAFETY: `buf` has `len` bytes.
            self.ctx.check(unsafe {
                sys::ioasid_dev_info(self.ctx.as_raw(), self.id, buf.as_mut_ptr().cast(), len, &mut full)
            })?;
            if full <= len {
                buf.truncate(full);
                return Ok(DeviceInfo::from_bytes_unchecked(buf));
            }
            len = full;
        }
    }

    /// The simulated device writes `data` at `iova` (sim backend only);
    /// `pasid` None for a request without PASID. Returns the bytes done.
    pub fn sim_dma_write(&self, pasid: Option<u32>, iova: u64, data: &[u8]) -> Result<usize> {
        let mut done = 0;
        // SAFETY: the sim reads `data` and writes memory mapped in the
        // address space, whose owner promised it to the device.
        self.ctx.check(unsafe {
            sys::ioasid_sim_dma_write(
                self.ctx.as_raw(),
                self.id,
                pasid.unwrap_or(sys::IOASID_PASID_NONE),
                iova,
                data.as_ptr().cast(),
                data.len(),
                &mut done,
            )
        })?;
        Ok(done)
    }

    /// The simulated device reads `out.len()` bytes at `iova` (sim only).
    pub fn sim_dma_read(&self, pasid: Option<u32>, iova: u64, out: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        // SAFETY: the sim writes `out` and reads memory mapped in the
        // address space.
        self.ctx.check(unsafe {
            sys::ioasid_sim_dma_read(
                self.ctx.as_raw(),
                self.id,
                pasid.unwrap_or(sys::IOASID_PASID_NONE),
                iova,
                out.as_mut_ptr().cast(),
                out.len(),
                &mut done,
            )
        })?;
        Ok(done)
    }
}

fn shorten<'a, 'c: 'a>(d: &'a Device<'c>) -> &'a Device<'a> {
    d
}

fn c_string(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

object_handle!(Device, unbind, sys::ioasid_dev_unbind, "binding of the device");

impl<'a> Attachment<'a> {
    /// The IOAS or HWPT id attached to.
    pub fn pt_id(&self) -> u32 {
        self.pt
    }

    /// The PASID, or None for requests without one.
    pub fn pasid(&self) -> Option<u32> {
        if self.pasid == sys::IOASID_PASID_NONE {
            None
        } else {
            Some(self.pasid)
        }
    }

    /// Move the attachment atomically to `pt`.
    pub fn replace<P: PageTable>(&mut self, pt: &'a P) -> Result<()> {
        let o = attach_opts(self.set, 0);
        let ctx = self.dev.ctx;
        ctx.same(pt.pt_context(), "the page table")?;
        // SAFETY: live context, valid options.
        ctx.check(unsafe { sys::ioasid_dev_replace(ctx.as_raw(), self.dev.id, self.pasid, pt.pt_id(), &o) })?;
        self.pt = pt.pt_id();
        Ok(())
    }

    /// Detach now, with the library's answer (`Drop` ignores it).
    pub fn detach(self) -> Result<()> {
        let ctx = self.dev.ctx;
        // SAFETY: live context.
        let r = ctx.check(unsafe { sys::ioasid_dev_detach(ctx.as_raw(), self.dev.id, self.pasid) });
        mem::forget(self);
        r
    }
}

impl Drop for Attachment<'_> {
    fn drop(&mut self) {
        let ctx = self.dev.ctx;
        // SAFETY: live context.
        unsafe { sys::ioasid_dev_detach(ctx.as_raw(), self.dev.id, self.pasid) };
    }
}
