//! Safe Rust interface to libioasid: I/O address spaces for assigned
//! devices over Linux iommufd, legacy VFIO type-1 or the library's
//! simulated IOMMU.
//!
//! * Every object is an owned handle that destroys it when dropped
//!   ([`Context`], [`Ioas`], [`Device`], [`Attachment`], [`Hwpt`], [`Set`],
//!   [`Pasid`], [`FaultQueue`], [`Mapped`], and iommufd's vIOMMU objects
//!   [`Viommu`], [`Vdevice`], [`Veventq`], [`HwQueue`]). A handle borrows what it was
//!   made in or over, so the borrow checker orders the destruction the way
//!   the library requires (detach before unbind, HWPTs before their IOAS,
//!   everything before the context). Each handle also has a consuming
//!   method (`destroy`, `unbind`, `detach`, `unmap`) that returns the
//!   library's answer, which `Drop` cannot.
//! * Fallible calls return [`Result`]; an [`Error`] carries the errno and
//!   the message the library recorded for the calling thread.
//! * Threads: [`Context`] is `Send + Sync` because the library lets any
//!   call on a context come from any thread, concurrently (ctx.h,
//!   docs/design.md "Threading"); only closing it may not race, and
//!   closing is `Drop` of the owned context, which no handle can outlive.
//!   Handles hold a `&Context`, so they are `Send + Sync` as well.
//! * The one `unsafe` a user meets is DMA: [`Ioas::map_raw`] and
//!   [`Ioas::copy_raw`] hand process memory to a device. [`Ioas::map`]
//!   and [`Mapped::copy_to`] are the safe forms: they take an
//!   `Arc<`[`DmaBuffer`]`>` and keep it alive until the area is unmapped.
//!
//! ```
//! use std::sync::Arc;
//! use libioasid::{Context, DmaBuffer, Perm};
//!
//! # fn main() -> libioasid::Result<()> {
//! let ctx = Context::open("sim:vtd")?;
//! let gpa = ctx.ioas_alloc()?;
//! let dev = ctx.bind("sim0")?;
//! let _attached = dev.attach(&gpa)?;
//! let ram = Arc::new(DmaBuffer::anonymous(0x20_0000, 0x20_0000)?);
//! let area = gpa.map(Arc::clone(&ram), Perm::RW, Some(0))?;
//! dev.sim_dma_write(None, 0x1000, b"dma")?;
//! let mut seen = [0u8; 3];
//! ram.read_at(0x1000, &mut seen)?;
//! assert_eq!(&seen, b"dma");
//! let e = gpa.map(DmaBuffer::anonymous(0x1000, 0)?, Perm::R, Some(0x1000)).unwrap_err();
//! assert_eq!(e.errno(), libc::EEXIST);
//! println!("{}", e); // EEXIST: [0x1000, 0x1fff] overlaps the mapping [0x0, 0x1fffff] of IOAS 1
//! # drop(area);
//! # Ok(())
//! # }
//! ```
//!
//! See bindings/rust/README.md and docs/rust.md in the source tree.

#[macro_use]
mod handle;

mod caps;
mod ctx;
mod dev;
mod error;
mod fault;
mod hwpt;
mod ioas;
mod memory;
mod set;
mod viommu;

pub use caps::{feature, CapHeader, Caps, DeviceInfo, ResvRegion};
pub use ctx::{host_devices, version, Backend, Context, ContextOptions, DeviceEntry, PinnedInfo};
pub use dev::{Attachment, Device, PageTable};
pub use error::{Error, Result};
pub use fault::{groups, Fault, FaultQueue, FaultQueueOptions, FaultQueueStats, FaultReason, Response};
pub use hwpt::{Hwpt, HwptFlags, VtdS1};
pub use ioas::{Ioas, IoasStats, IovaRange, Mapping, Mappings, Perm, UsableRanges};
pub use memory::{DmaBuffer, Mapped};
pub use set::{Pasid, Set, SetInfo, SetOptions};
pub use viommu::{HwQueue, Vdevice, Vevent, Veventq, VeventqStats, Viommu, ViommuInfo};

/// The raw bindings, for calls this crate does not wrap.
pub use libioasid_sys as sys;

/// The PASID width limit of PCIe (IOASID_PASID_MAX_WIDTH).
pub const PASID_MAX_WIDTH: u32 = sys::IOASID_PASID_MAX_WIDTH;
