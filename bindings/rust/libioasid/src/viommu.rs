//! iommufd's per-VM vIOMMU objects (include/ioasid/viommu.h,
//! docs/viommu.md): a [`Viommu`] over a nest-parent HWPT, the guest's
//! virtual ids of its devices ([`Vdevice`]), nested HWPTs made from the
//! guest's table entries, invalidation of the guest's commands, event
//! queues ([`Veventq`]) and guest-owned hardware queues ([`HwQueue`]).
//!
//! Types, data and commands are the kernel's, passed as bytes: a VMM's
//! vIOMMU model (vSMMUv3, AMD vIOMMU) builds them as the guest wrote them.
//! On the kernel backend today; the sim answers EOPNOTSUPP until its
//! SMMUv3 and AMD models exist (issue #13), the vfio backend always.

use std::mem;
use std::os::raw::c_void;
use std::os::unix::io::BorrowedFd;
use std::ptr;

use libioasid_sys as sys;

use crate::ctx::Context;
use crate::dev::Device;
use crate::error::Result;
use crate::fault::FaultQueue;
use crate::hwpt::Hwpt;

/// A vIOMMU: one VM's slice of a physical IOMMU, destroyed when dropped.
/// It borrows its nest parent; what is made on it borrows it.
#[derive(Debug)]
pub struct Viommu<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) id: u32,
}

/// A device's virtual id (the guest's stream id or requester id) on a
/// vIOMMU, destroyed when dropped. It borrows the vIOMMU and the device,
/// which cannot be unbound while it has one.
#[derive(Debug)]
pub struct Vdevice<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) id: u32,
}

/// A pollable queue of one type of vIOMMU events, owned by the vIOMMU's
/// owner, destroyed when dropped.
#[derive(Debug)]
pub struct Veventq<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) id: u32,
}

/// A hardware queue in guest memory handed to the IOMMU, destroyed (and
/// its memory unpinned) when dropped.
#[derive(Debug)]
pub struct HwQueue<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) id: u32,
}

/// What [`Viommu::info`] tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViommuInfo {
    /// The vIOMMU type (`sys::IOASID_VIOMMU_*`).
    pub kind: u32,
    /// The device it was made for (it may be unbound since).
    pub dev: u32,
    /// Its nest parent HWPT.
    pub hwpt: u32,
    /// Its owner: the set of the parent's IOAS (0: the context).
    pub set: u32,
    /// vDEVICEs on it.
    pub nr_vdevices: u32,
    /// vDEVICEs, nested HWPTs, vEVENTQs and HW queues on it.
    pub nr_users: u32,
}

/// One event read from a [`Veventq`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vevent {
    /// The queue lost events here (it was full): a mark with no record.
    pub lost_events: bool,
    /// The kernel's sequence number (wraps at 2^31).
    pub sequence: u32,
    /// The type's record (e.g. an SMMUv3 event record), empty for a mark.
    pub data: Vec<u8>,
}

/// The counts of a [`Veventq`]: overflow is counted, never silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VeventqStats {
    /// Events handed out (marks not counted).
    pub read: u64,
    /// LOST_EVENTS marks read.
    pub lost_marks: u64,
    /// Sequence numbers skipped between two reads.
    pub seq_gaps: u64,
}

impl<'p> Hwpt<'p> {
    /// A vIOMMU of type `kind` (`sys::IOASID_VIOMMU_*`) over this nest
    /// parent, for the physical IOMMU behind `dev`. `data` is the type's
    /// data, read and written back by the driver (None: none).
    pub fn viommu_alloc<'a>(&'a self, dev: &Device<'_>, kind: u32, data: Option<&mut [u8]>) -> Result<Viommu<'a>> {
        self.ctx.same(dev.ctx, "the device")?;
        // SAFETY: all-zero is the documented default.
        let mut o: sys::ioasid_viommu_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of::<sys::ioasid_viommu_opts>();
        o.type_ = kind;
        if let Some(d) = data {
            o.data = d.as_mut_ptr().cast::<c_void>();
            o.data_len = u32::try_from(d.len()).unwrap_or(u32::MAX);
        }
        let mut id = 0;
        // SAFETY: valid options (the data outlives the call) and out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_viommu_alloc(self.ctx.as_raw(), dev.id, self.id, &o, &mut id) })?;
        Ok(Viommu { ctx: self.ctx, id })
    }
}

impl<'v> Viommu<'v> {
    /// Describe this vIOMMU.
    pub fn info(&self) -> Result<ViommuInfo> {
        // SAFETY: all-zero is a valid value; sz says how much to fill.
        let mut i: sys::ioasid_viommu_info = unsafe { mem::zeroed() };
        i.sz = mem::size_of::<sys::ioasid_viommu_info>();
        // SAFETY: valid out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_viommu_info(self.ctx.as_raw(), self.id, &mut i) })?;
        Ok(ViommuInfo {
            kind: i.type_,
            dev: i.dev,
            hwpt: i.hwpt,
            set: i.set,
            nr_vdevices: i.nr_vdevices,
            nr_users: i.nr_users,
        })
    }

    /// Give `dev` the virtual id `virt_id` (SMMUv3: the guest's stream id).
    pub fn vdevice_alloc<'a>(&'a self, dev: &'a Device<'_>, virt_id: u64) -> Result<Vdevice<'a>> {
        self.ctx.same(dev.ctx, "the device")?;
        let mut id = 0;
        // SAFETY: valid out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_vdevice_alloc(self.ctx.as_raw(), self.id, dev.id, virt_id, &mut id) })?;
        Ok(Vdevice { ctx: self.ctx, id })
    }

    /// The vDEVICE and device ids at virtual id `virt_id` (what a vIOMMU
    /// model needs when the guest names a stream id).
    pub fn find(&self, virt_id: u64) -> Result<(u32, u32)> {
        let (mut vd, mut dev) = (0, 0);
        // SAFETY: valid out-pointers.
        self.ctx
            .check(unsafe { sys::ioasid_vdevice_find(self.ctx.as_raw(), self.id, virt_id, &mut vd, &mut dev) })?;
        Ok((vd, dev))
    }

    /// A nested HWPT of type `kind` (`sys::IOASID_HWPT_NESTED_*`) from the
    /// guest's table entry `data` (an SMMUv3 vSTE, an AMD DTE), made on
    /// this vIOMMU for `dev`, reporting page requests to `queue` if given.
    pub fn hwpt_nested_alloc<'a>(
        &'a self,
        dev: &Device<'_>,
        kind: u32,
        data: &[u8],
        pasid: bool,
        queue: Option<&'a FaultQueue<'_>>,
    ) -> Result<Hwpt<'a>> {
        self.ctx.same(dev.ctx, "the device")?;
        // SAFETY: all-zero is the documented default.
        let mut o: sys::ioasid_hwpt_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of::<sys::ioasid_hwpt_opts>();
        o.type_ = kind;
        o.data = if data.is_empty() {
            ptr::null()
        } else {
            data.as_ptr().cast::<c_void>()
        };
        o.data_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        if pasid {
            o.flags |= sys::IOASID_HWPT_PASID;
        }
        if let Some(q) = queue {
            self.ctx.same(q.ctx, "the fault queue")?;
            o.flags |= sys::IOASID_HWPT_FAULT_ID_VALID;
            o.fault_queue = q.id;
        }
        let mut id = 0;
        // SAFETY: valid options (the data outlives the call) and out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_hwpt_alloc(self.ctx.as_raw(), dev.id, self.id, &o, &mut id) })?;
        Ok(Hwpt { ctx: self.ctx, id })
    }

    /// Send the guest's invalidation commands: `entries` holds entries of
    /// `entry_len` bytes of type `data_type` (`sys::IOASID_VIOMMU_INV_*`).
    /// Returns how many were handled, and the error of the first that
    /// was not (the kernel's entry_num).
    pub fn invalidate(&self, data_type: u32, entries: &[u8], entry_len: usize) -> (u32, Result<()>) {
        let num = entries.len().checked_div(entry_len).unwrap_or(0);
        let mut n = u32::try_from(num).unwrap_or(u32::MAX);
        let len = u32::try_from(entry_len).unwrap_or(u32::MAX);
        let p = if entries.is_empty() {
            ptr::null()
        } else {
            entries.as_ptr().cast::<c_void>()
        };
        // SAFETY: `entries` holds `n` entries of `len` bytes.
        let rc = unsafe { sys::ioasid_viommu_invalidate(self.ctx.as_raw(), self.id, data_type, p, len, &mut n) };
        (n, self.ctx.check(rc))
    }

    /// An event queue of type `kind` (`sys::IOASID_VEVENTQ_*`) holding up
    /// to `depth` events, owned by this vIOMMU's owner.
    pub fn veventq_alloc(&self, kind: u32, depth: u32) -> Result<Veventq<'_>> {
        // SAFETY: all-zero is the documented default.
        let mut o: sys::ioasid_veventq_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of::<sys::ioasid_veventq_opts>();
        o.type_ = kind;
        o.depth = depth;
        let mut id = 0;
        // SAFETY: valid options and out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_veventq_alloc(self.ctx.as_raw(), self.id, &o, &mut id) })?;
        Ok(Veventq { ctx: self.ctx, id })
    }

    /// Hand the hardware queue `index` of type `kind`
    /// (`sys::IOASID_HW_QUEUE_*`) at `[iova, iova + length)` of the parent's
    /// address space (mapped, physically contiguous; pinned while it lives).
    pub fn hw_queue_alloc(&self, kind: u32, index: u32, iova: u64, length: u64) -> Result<HwQueue<'_>> {
        // SAFETY: all-zero is the documented default.
        let mut o: sys::ioasid_hw_queue_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of::<sys::ioasid_hw_queue_opts>();
        o.type_ = kind;
        o.index = index;
        o.iova = iova;
        o.length = length;
        let mut id = 0;
        // SAFETY: valid options and out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_hw_queue_alloc(self.ctx.as_raw(), self.id, &o, &mut id) })?;
        Ok(HwQueue { ctx: self.ctx, id })
    }
}

impl Device<'_> {
    /// This device's vDEVICE: (vDEVICE id, vIOMMU id, virtual id).
    pub fn vdevice_of(&self) -> Result<(u32, u32, u64)> {
        let (mut vd, mut v, mut virt) = (0, 0, 0);
        // SAFETY: valid out-pointers.
        self.ctx
            .check(unsafe { sys::ioasid_vdevice_of_dev(self.ctx.as_raw(), self.id, &mut vd, &mut v, &mut virt) })?;
        Ok((vd, v, virt))
    }
}

impl<'q> Veventq<'q> {
    /// A pollable fd, readable while events wait (owned by the library;
    /// read through [`Veventq::read`], which keeps the counts).
    pub fn fd(&self) -> Result<BorrowedFd<'_>> {
        let mut fd = -1;
        // SAFETY: valid out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_veventq_fd(self.ctx.as_raw(), self.id, &mut fd) })?;
        // SAFETY: the fd stays open while the queue exists, which the
        // borrow of `self` guarantees.
        Ok(unsafe { BorrowedFd::borrow_raw(fd) })
    }

    /// Take every waiting event, never blocking (empty: none waits).
    pub fn read(&self) -> Result<Vec<Vevent>> {
        let mut all = Vec::new();
        // SAFETY: all-zero is a valid POD value.
        let mut buf: Vec<sys::ioasid_vevent> = vec![unsafe { mem::zeroed() }; 32];
        loop {
            let mut n = 0;
            // SAFETY: `buf` holds `buf.len()` events.
            self.ctx.check(unsafe {
                sys::ioasid_veventq_read(self.ctx.as_raw(), self.id, buf.as_mut_ptr(), buf.len() as u32, &mut n)
            })?;
            if n == 0 {
                return Ok(all);
            }
            for e in &buf[..n as usize] {
                let len = (e.data_len as usize).min(e.data.len());
                all.push(Vevent {
                    lost_events: e.flags & sys::IOASID_VEVENT_LOST_EVENTS != 0,
                    sequence: e.sequence,
                    data: e.data[..len].to_vec(),
                });
            }
        }
    }

    /// The queue's counts.
    pub fn stats(&self) -> Result<VeventqStats> {
        // SAFETY: all-zero is a valid value; sz says how much to fill.
        let mut s: sys::ioasid_veventq_stats = unsafe { mem::zeroed() };
        s.sz = mem::size_of::<sys::ioasid_veventq_stats>();
        // SAFETY: valid out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_veventq_stats(self.ctx.as_raw(), self.id, &mut s) })?;
        Ok(VeventqStats {
            read: s.read,
            lost_marks: s.lost_marks,
            seq_gaps: s.seq_gaps,
        })
    }
}

object_handle!(Viommu, destroy, sys::ioasid_viommu_destroy, "vIOMMU");
object_handle!(Vdevice, destroy, sys::ioasid_vdevice_destroy, "vDEVICE");
object_handle!(Veventq, destroy, sys::ioasid_veventq_destroy, "vEVENTQ");
object_handle!(HwQueue, destroy, sys::ioasid_hw_queue_destroy, "HW queue");
