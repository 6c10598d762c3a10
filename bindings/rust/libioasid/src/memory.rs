//! Memory for DMA: a buffer type that lives as long as its mappings, and
//! the guard that unmaps it.

use std::ffi::CString;
use std::io;
use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ioas::{Ioas, Perm};

/// Page-aligned process memory for DMA (an anonymous or memfd-backed
/// `mmap`), unmapped when the last owner drops it.
///
/// The device reads and writes it behind the compiler's back, so the
/// buffer never hands out `&[u8]`: [`DmaBuffer::read_at`] and
/// [`DmaBuffer::write_at`] copy with volatile accesses. As on hardware,
/// the CPU's and the device's accesses are not ordered with each other;
/// the device model (the sim's DMA calls) is synchronous, so a read after
/// a DMA sees what the DMA wrote.
#[derive(Debug)]
pub struct DmaBuffer {
    addr: NonNull<u8>,
    len: usize,
    map_len: usize,
    map_addr: *mut libc::c_void,
    memfd: Option<OwnedFd>,
}

// SAFETY: the buffer is plain memory reached only through volatile copies
// (`&self`) or raw pointers; nothing in it is tied to a thread.
unsafe impl Send for DmaBuffer {}
unsafe impl Sync for DmaBuffer {}

fn os_err(what: &str) -> Error {
    let e = io::Error::last_os_error();
    Error::new(e.raw_os_error().unwrap_or(libc::EIO), format!("{}: {}", what, e))
}

impl DmaBuffer {
    /// Anonymous private memory of `len` bytes aligned to `align` (a power
    /// of two; at least the page size is used), zero-filled.
    pub fn anonymous(len: usize, align: usize) -> Result<DmaBuffer> {
        DmaBuffer::mmap(len, align, None)
    }

    /// Shared memory of `len` bytes from a memfd (as a VMM gives guest RAM
    /// to vhost-user back-ends), aligned to `align`, zero-filled.
    pub fn memfd(name: &str, len: usize, align: usize) -> Result<DmaBuffer> {
        let cname = CString::new(name).map_err(|_| Error::new(libc::EINVAL, "memfd name contains a NUL byte"))?;
        // SAFETY: a valid name; the fd is owned from here on.
        let fd = unsafe { libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(os_err("memfd_create"));
        }
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: our fd.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } < 0 {
            return Err(os_err("ftruncate"));
        }
        DmaBuffer::mmap(len, align, Some(fd))
    }

    fn mmap(len: usize, align: usize, memfd: Option<OwnedFd>) -> Result<DmaBuffer> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let align = align.max(page);
        if len == 0 || !align.is_power_of_two() {
            return Err(Error::new(
                libc::EINVAL,
                format!(
                    "DMA buffer of {:#x} bytes aligned to {:#x}: need a length and a power of two",
                    len, align
                ),
            ));
        }
        let len_pages = (len + page - 1) & !(page - 1);
        // Reserve room to align inside, then map the buffer at the aligned
        // address over the reservation.
        let map_len = len_pages + align - page;
        // SAFETY: a fresh anonymous reservation.
        let map_addr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                map_len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if map_addr == libc::MAP_FAILED {
            return Err(os_err("mmap"));
        }
        let aligned = ((map_addr as usize + align - 1) & !(align - 1)) as *mut libc::c_void;
        let (flags, fd) = match &memfd {
            Some(f) => (libc::MAP_SHARED | libc::MAP_FIXED, f.as_raw_fd()),
            None => (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED, -1),
        };
        // SAFETY: MAP_FIXED inside our own reservation.
        let p = unsafe { libc::mmap(aligned, len_pages, libc::PROT_READ | libc::PROT_WRITE, flags, fd, 0) };
        if p == libc::MAP_FAILED {
            let e = os_err("mmap");
            // SAFETY: our reservation.
            unsafe { libc::munmap(map_addr, map_len) };
            return Err(e);
        }
        Ok(DmaBuffer {
            addr: NonNull::new(p.cast()).unwrap(),
            len,
            map_len,
            map_addr,
            memfd,
        })
    }

    /// Bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: a buffer has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The start address (for a raw mapping or a device model).
    pub fn as_ptr(&self) -> *mut u8 {
        self.addr.as_ptr()
    }

    /// The memfd behind the buffer, if it has one.
    pub fn memfd_fd(&self) -> Option<&OwnedFd> {
        self.memfd.as_ref()
    }

    fn range_check(&self, offset: usize, n: usize) -> Result<()> {
        match offset.checked_add(n) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Error::new(
                libc::EINVAL,
                format!(
                    "{:#x} bytes at offset {:#x} overrun a DMA buffer of {:#x}",
                    n, offset, self.len
                ),
            )),
        }
    }

    /// Copy `out.len()` bytes at `offset` out of the buffer.
    pub fn read_at(&self, offset: usize, out: &mut [u8]) -> Result<()> {
        self.range_check(offset, out.len())?;
        for (i, b) in out.iter_mut().enumerate() {
            // SAFETY: inside the mapping (checked); volatile: the device
            // may write it at any time.
            *b = unsafe { ptr::read_volatile(self.addr.as_ptr().add(offset + i)) };
        }
        Ok(())
    }

    /// Copy `data` into the buffer at `offset`.
    pub fn write_at(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.range_check(offset, data.len())?;
        for (i, b) in data.iter().enumerate() {
            // SAFETY: as in read_at.
            unsafe { ptr::write_volatile(self.addr.as_ptr().add(offset + i), *b) };
        }
        Ok(())
    }
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        // SAFETY: the reservation is ours; no mapping refers to it any more
        // (every Mapped holds an Arc of the buffer).
        unsafe { libc::munmap(self.map_addr, self.map_len) };
    }
}

/// An area of an address space backed by a [`DmaBuffer`] it keeps alive:
/// the area is unmapped when the guard is dropped, and only then does it
/// let go of the buffer. Forgetting the guard (`mem::forget`) leaks the
/// buffer, never frees it under the device.
#[derive(Debug)]
pub struct Mapped<'a> {
    ioas: &'a Ioas<'a>,
    buf: Arc<DmaBuffer>,
    offset: usize,
    len: u64,
    iova: u64,
    perm: Perm,
}

impl<'c> Ioas<'c> {
    /// Map a whole buffer at `iova` (or where the library finds room) and
    /// keep it alive until the returned guard is dropped.
    pub fn map<'a>(&'a self, buf: impl Into<Arc<DmaBuffer>>, perm: Perm, iova: Option<u64>) -> Result<Mapped<'a>> {
        let buf = buf.into();
        let len = buf.len() as u64;
        self.map_part(buf, 0, len, perm, iova)
    }

    /// Map `len` bytes of `buf` from `offset`.
    pub fn map_part<'a>(
        &'a self,
        buf: Arc<DmaBuffer>,
        offset: usize,
        len: u64,
        perm: Perm,
        iova: Option<u64>,
    ) -> Result<Mapped<'a>> {
        buf.range_check(offset, len as usize)?;
        // SAFETY: the guard owns a reference to the buffer and unmaps the
        // area before it lets go of it.
        let iova = unsafe { self.map_raw(buf.as_ptr().add(offset), len, perm, iova)? };
        Ok(Mapped {
            ioas: shorten(self),
            buf,
            offset,
            len,
            iova,
            perm,
        })
    }
}

// A `&'a Ioas<'c>` as `&'a Ioas<'a>` (Ioas is covariant in its lifetime).
fn shorten<'a, 'c: 'a>(i: &'a Ioas<'c>) -> &'a Ioas<'a> {
    i
}

impl<'a> Mapped<'a> {
    /// The IOVA of the area.
    pub fn iova(&self) -> u64 {
        self.iova
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Never true.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The buffer behind it.
    pub fn buffer(&self) -> &Arc<DmaBuffer> {
        &self.buf
    }

    /// The offset of the area in the buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Map the same memory into `dst` too (`ioasid_ioas_copy()`: pinned
    /// once), with a guard of its own that keeps the buffer alive.
    pub fn copy_to<'b>(&self, dst: &'b Ioas<'b>, perm: Perm, iova: Option<u64>) -> Result<Mapped<'b>> {
        // SAFETY: the new guard holds the buffer as long as the new area.
        let iova = unsafe { dst.copy_raw(self.ioas, self.iova, self.len, perm, iova)? };
        Ok(Mapped {
            ioas: dst,
            buf: Arc::clone(&self.buf),
            offset: self.offset,
            len: self.len,
            iova,
            perm,
        })
    }

    /// The device's permissions.
    pub fn perm(&self) -> Perm {
        self.perm
    }

    /// Unmap now, with the library's answer. On a refusal (the kernel's)
    /// the area stays, and so does the buffer (leaked: the device may still
    /// reach it).
    pub fn unmap(self) -> Result<()> {
        let r = self.ioas.unmap(self.iova, self.len).map(|_| ());
        let me = std::mem::ManuallyDrop::new(self);
        if r.is_ok() || r.as_ref().err().map(|e| e.errno()) == Some(libc::ENOENT) {
            // SAFETY: the area is gone; drop our reference to the buffer
            // exactly once (the guard itself is not dropped).
            drop(unsafe { ptr::read(&me.buf) });
        }
        r
    }
}

impl Drop for Mapped<'_> {
    fn drop(&mut self) {
        match self.ioas.unmap(self.iova, self.len) {
            // ENOENT: someone unmapped the area already.
            Ok(_) => {}
            Err(e) if e.errno() == libc::ENOENT => {}
            // The area is still there: the memory must outlive it.
            Err(_) => std::mem::forget(Arc::clone(&self.buf)),
        }
    }
}
