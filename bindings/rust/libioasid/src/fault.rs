//! I/O page faults: fault queues, records, page-request groups and their
//! responses.

use std::mem;
use std::os::unix::io::BorrowedFd;

use libioasid_sys as sys;

use crate::ctx::Context;
use crate::error::Result;
use crate::set::Set;

/// Why a fault was raised (`enum ioasid_fault_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultReason {
    /// A page request (PRI).
    PageRequest,
    /// No translation.
    NotPresent,
    /// The translation lacks the access.
    Permission,
    /// Nothing attached at (device, PASID).
    Blocked,
    /// A malformed table entry.
    Reserved,
    /// A value this crate does not know.
    Other(u32),
}

/// A response to a page-request group (`enum ioasid_fault_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// The page is there now: retry.
    Success,
    /// Do not retry this request.
    Invalid,
    /// PCIe Response Failure: stop page requests.
    Failure,
}

impl Response {
    fn code(self) -> u32 {
        match self {
            Response::Success => sys::IOASID_FAULT_SUCCESS,
            Response::Invalid => sys::IOASID_FAULT_INVALID,
            Response::Failure => sys::IOASID_FAULT_FAILURE,
        }
    }
}

/// One fault record (`struct ioasid_fault`, same layout), with accessors
/// that honour the record's validity flags.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct Fault(sys::ioasid_fault);

impl Default for Fault {
    fn default() -> Fault {
        // SAFETY: all-zero is a valid record.
        Fault(unsafe { mem::zeroed() })
    }
}

impl std::fmt::Debug for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fault")
            .field("flags", &format_args!("{:#x}", self.0.flags))
            .field("reason", &self.reason())
            .field("dev", &self.0.dev)
            .field("pasid", &self.pasid())
            .field("addr", &self.addr())
            .field("hwpt", &self.0.hwpt)
            .field("cookie", &self.0.cookie)
            .finish()
    }
}

impl Fault {
    /// The raw record.
    pub fn raw(&self) -> &sys::ioasid_fault {
        &self.0
    }

    /// IOASID_FAULT_F_* bits.
    pub fn flags(&self) -> u32 {
        self.0.flags
    }

    /// Why it was raised.
    pub fn reason(&self) -> FaultReason {
        match self.0.reason {
            sys::IOASID_FAULT_R_PAGE_REQUEST => FaultReason::PageRequest,
            sys::IOASID_FAULT_R_NOT_PRESENT => FaultReason::NotPresent,
            sys::IOASID_FAULT_R_PERMISSION => FaultReason::Permission,
            sys::IOASID_FAULT_R_BLOCKED => FaultReason::Blocked,
            sys::IOASID_FAULT_R_RESERVED => FaultReason::Reserved,
            r => FaultReason::Other(r),
        }
    }

    /// The endpoint's device id.
    pub fn dev(&self) -> u32 {
        self.0.dev
    }

    /// The PASID, when the record has one.
    pub fn pasid(&self) -> Option<u32> {
        (self.0.flags & sys::IOASID_FAULT_F_PASID_VALID != 0).then_some(self.0.pasid)
    }

    /// The faulting address (page), when the record has one.
    pub fn addr(&self) -> Option<u64> {
        (self.0.flags & sys::IOASID_FAULT_F_ADDR_VALID != 0).then_some(self.0.addr)
    }

    /// The HWPT the fault was routed by.
    pub fn hwpt(&self) -> u32 {
        self.0.hwpt
    }

    /// The group's cookie, which a response names.
    pub fn cookie(&self) -> u64 {
        self.0.cookie
    }

    /// Whether the device asked for a write.
    pub fn is_write(&self) -> bool {
        self.0.flags & sys::IOASID_FAULT_F_WRITE != 0
    }

    /// The last record of its group.
    pub fn is_last(&self) -> bool {
        self.0.flags & sys::IOASID_FAULT_F_LAST != 0
    }

    /// A recoverable page request: its group needs a response.
    pub fn needs_response(&self) -> bool {
        self.0.flags & sys::IOASID_FAULT_F_PAGE_REQ != 0
    }

    /// A record of the library's: the timeout answered this group.
    pub fn timed_out(&self) -> bool {
        self.0.flags & sys::IOASID_FAULT_F_TIMED_OUT != 0
    }
}

/// The groups of a run of records, each ending with its
/// IOASID_FAULT_F_LAST record (a trailing run without one is a group too).
pub fn groups(records: &[Fault]) -> impl Iterator<Item = &[Fault]> {
    records.split_inclusive(|f| f.is_last())
}

/// Options of [`Set::fault_queue_alloc`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultQueueOptions {
    /// Records it holds; 0 = 256.
    pub depth: u32,
    /// How long a group may go unanswered, in ns; 0 = 1 s.
    pub timeout_ns: u64,
    /// The timeout's answer; None = Invalid.
    pub timeout_response: Option<Response>,
}

/// Counters of a fault queue (`struct ioasid_fault_queue_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultQueueStats {
    /// Records raised towards the queue.
    pub raised: u64,
    /// Records read by the owner.
    pub delivered: u64,
    /// Page-request groups raised.
    pub groups: u64,
    /// Groups answered Success.
    pub answered_success: u64,
    /// Groups answered Invalid.
    pub answered_invalid: u64,
    /// Groups answered Failure.
    pub answered_failure: u64,
    /// Groups answered by the timer.
    pub timed_out: u64,
    /// Groups answered Failure because the queue was full.
    pub overflowed: u64,
    /// Groups answered Invalid by detach, replace or destroy.
    pub detached: u64,
    /// Records waiting now.
    pub queued: u32,
    /// Groups waiting for a response now.
    pub pending: u32,
}

/// A fault queue owned by a set, destroyed when dropped. HWPTs and
/// attachments that report to it borrow it.
#[derive(Debug)]
pub struct FaultQueue<'s> {
    pub(crate) ctx: &'s Context,
    pub(crate) id: u32,
}

impl<'c> Set<'c> {
    /// Create a fault queue owned by this set.
    pub fn fault_queue_alloc(&self, opts: &FaultQueueOptions) -> Result<FaultQueue<'_>> {
        // SAFETY: all-zero is the documented default.
        let mut o: sys::ioasid_fault_queue_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of::<sys::ioasid_fault_queue_opts>();
        o.set = self.id;
        o.depth = opts.depth;
        o.timeout_ns = opts.timeout_ns;
        if let Some(r) = opts.timeout_response {
            o.flags |= sys::IOASID_FAULT_QUEUE_TIMEOUT_CODE;
            o.timeout_code = r.code();
        }
        let mut id = 0;
        // SAFETY: valid options and out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_fault_queue_alloc(self.ctx.as_raw(), &o, &mut id) })?;
        Ok(FaultQueue { ctx: self.ctx, id })
    }
}

impl<'s> FaultQueue<'s> {
    /// A pollable fd, readable while records wait (owned by the library;
    /// poll it, read through [`FaultQueue::read_into`]).
    pub fn fd(&self) -> Result<BorrowedFd<'_>> {
        let mut fd = -1;
        // SAFETY: valid out-pointer.
        self.ctx
            .check(unsafe { sys::ioasid_fault_queue_fd(self.ctx.as_raw(), self.id, &mut fd) })?;
        // SAFETY: the fd stays open while the queue exists, which the
        // borrow of `self` guarantees.
        Ok(unsafe { BorrowedFd::borrow_raw(fd) })
    }

    /// Take whole groups into `out`, never blocking; returns the records
    /// written (0: nothing waits). EMSGSIZE when the next group does not
    /// fit (nothing taken).
    pub fn read_into<'b>(&self, out: &'b mut [Fault]) -> Result<&'b [Fault]> {
        let mut n = out.len().min(u32::MAX as usize) as u32;
        // SAFETY: Fault is a transparent ioasid_fault; `out` holds `n`.
        self.ctx
            .check(unsafe { sys::ioasid_fault_read(self.ctx.as_raw(), self.id, out.as_mut_ptr().cast(), &mut n) })?;
        Ok(&out[..n as usize])
    }

    /// Take every waiting record.
    pub fn read(&self) -> Result<Vec<Fault>> {
        let mut all = Vec::new();
        let mut buf = vec![Fault::default(); 64];
        loop {
            match self.read_into(&mut buf) {
                Ok([]) => return Ok(all),
                Ok(got) => all.extend_from_slice(got),
                Err(e) if e.errno() == libc::EMSGSIZE => {
                    let more = buf.len() * 2;
                    buf.resize(more, Fault::default());
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Answer the page-request group with `cookie`.
    pub fn respond(&self, cookie: u64, response: Response) -> Result<()> {
        // SAFETY: live context.
        self.ctx
            .check(unsafe { sys::ioasid_fault_respond(self.ctx.as_raw(), self.id, cookie, response.code()) })
    }

    /// The counters.
    pub fn stats(&self) -> Result<FaultQueueStats> {
        // SAFETY: POD out-struct filled by the call.
        let mut s: sys::ioasid_fault_queue_stats = unsafe { mem::zeroed() };
        self.ctx
            .check(unsafe { sys::ioasid_fault_queue_stats(self.ctx.as_raw(), self.id, &mut s) })?;
        Ok(FaultQueueStats {
            raised: s.raised,
            delivered: s.delivered,
            groups: s.groups,
            answered_success: s.answered_success,
            answered_invalid: s.answered_invalid,
            answered_failure: s.answered_failure,
            timed_out: s.timed_out,
            overflowed: s.overflowed,
            detached: s.detached,
            queued: s.queued,
            pending: s.pending,
        })
    }
}

object_handle!(FaultQueue, destroy, sys::ioasid_fault_queue_destroy, "fault queue");

impl Context {
    /// Unrecoverable fault records that had no queue to go to (oldest
    /// first; the context keeps the last 256).
    pub fn fault_unrouted(&self) -> Result<Vec<Fault>> {
        let mut buf = vec![Fault::default(); 256];
        let mut n = buf.len() as u32;
        // SAFETY: `buf` holds `n` records.
        self.check(unsafe { sys::ioasid_fault_unrouted(self.as_raw(), buf.as_mut_ptr().cast(), &mut n) })?;
        buf.truncate(n as usize);
        Ok(buf)
    }

    /// Answer every group whose timeout has passed now; returns how many.
    pub fn fault_expire(&self) -> Result<u32> {
        let mut n = 0;
        // SAFETY: valid out-pointer.
        self.check(unsafe { sys::ioasid_fault_expire(self.as_raw(), &mut n) })?;
        Ok(n)
    }
}
