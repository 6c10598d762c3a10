//! The safe crate against the simulated IOMMU (VT-d profile).
use std::sync::Arc;

use libioasid::*;

fn ctx() -> Context {
    Context::open("sim:vtd").expect("sim context")
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn handles_are_send_and_sync() {
    assert_send_sync::<Context>();
    assert_send_sync::<Ioas<'static>>();
    assert_send_sync::<Device<'static>>();
    assert_send_sync::<Attachment<'static>>();
    assert_send_sync::<Hwpt<'static>>();
    assert_send_sync::<FaultQueue<'static>>();
    assert_send_sync::<Mapped<'static>>();
    assert_send_sync::<DmaBuffer>();
    assert_send_sync::<Error>();
}

#[test]
fn open_errors_carry_errno_and_message() {
    let e = Context::open("sim:no-such-profile").unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
    assert_eq!(e.name(), "ENOENT");
    assert!(e.message().contains("no-such-profile"), "message: {}", e.message());
    let e = Context::open("bogus").unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
    assert!(e.to_string().starts_with("EINVAL: "), "{}", e);
    let e = Context::open("sim\0x").unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
}

#[test]
fn context_reports_backend_and_devices() {
    let c = ctx();
    assert_eq!(c.backend(), Backend::Sim);
    assert_eq!(c.backend_name(), "sim");
    assert!(!version().is_empty());
    let devs = c.devices().unwrap();
    assert!(devs.iter().any(|d| d.name == "sim0"), "{:?}", devs);
    assert!(devs.iter().all(|d| d.bound.is_none()));
    let d = c.bind("sim0").unwrap();
    let devs = c.devices().unwrap();
    assert_eq!(devs.iter().find(|e| e.name == "sim0").unwrap().bound, Some(d.id()));
    assert_eq!(d.name().unwrap(), "sim0");
    let e = c.bind("sim0").unwrap_err();
    assert_eq!(e.errno(), libc::EBUSY);
    let e = c.bind("nonexistent").unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
    assert!(e.message().contains("nonexistent"), "{}", e);
}

#[test]
fn map_lookup_unmap_and_the_guard() {
    let c = ctx();
    let ioas = c.ioas_alloc().unwrap();
    let dev = c.bind("sim0").unwrap();
    let at = dev.attach(&ioas).unwrap();
    assert_eq!(dev.attached(), Some(ioas.id()));
    let usable = ioas.iova_ranges().unwrap();
    assert_eq!(usable.alignment, 0x1000);
    assert!(usable.ranges.len() >= 2 && usable.ranges[0].contains(0));

    let buf = Arc::new(DmaBuffer::anonymous(0x4000, 0).unwrap());
    let m = ioas.map(Arc::clone(&buf), Perm::RW, Some(0x10000)).unwrap();
    assert_eq!(Arc::strong_count(&buf), 2);
    let found = ioas.lookup(0x12345).unwrap();
    assert_eq!((found.iova, found.length, found.perm), (0x10000, 0x4000, Perm::RW));
    assert_eq!(found.uva, buf.as_ptr() as u64);

    // The library refuses an overlap and names both ranges.
    let e = ioas
        .map(DmaBuffer::anonymous(0x1000, 0).unwrap(), Perm::R, Some(0x11000))
        .unwrap_err();
    assert_eq!(e.errno(), libc::EEXIST);
    assert!(
        e.message().contains("0x11000") && e.message().contains("0x10000"),
        "{}",
        e
    );

    // The device writes through the IOMMU; the CPU sees it in the buffer.
    assert_eq!(dev.sim_dma_write(None, 0x10ff0, b"hello, device!!!").unwrap(), 16);
    let mut seen = [0u8; 16];
    buf.read_at(0xff0, &mut seen).unwrap();
    assert_eq!(&seen, b"hello, device!!!");
    buf.write_at(0x2000, b"from the cpu").unwrap();
    let mut back = [0u8; 12];
    dev.sim_dma_read(None, 0x12000, &mut back).unwrap();
    assert_eq!(&back, b"from the cpu");
    assert!(buf.read_at(0x3fff, &mut back).is_err());

    // Dropping the guard unmaps the area, then lets go of the buffer.
    drop(m);
    assert_eq!(ioas.lookup(0x10000).unwrap_err().errno(), libc::ENOENT);
    assert_eq!(Arc::strong_count(&buf), 1);
    let e = dev.sim_dma_write(None, 0x10000, b"x").unwrap_err();
    assert_eq!(e.errno(), libc::EFAULT);

    // An explicit unmap of a guarded area: the guard finds nothing left.
    let m = ioas.map(Arc::clone(&buf), Perm::R, None).unwrap();
    assert_ne!(m.iova(), 0, "IOVA 0 is never chosen");
    assert_eq!(ioas.unmap(0, u64::MAX).unwrap(), 0x4000);
    m.unmap().unwrap_err();
    assert_eq!(Arc::strong_count(&buf), 1);

    at.detach().unwrap();
    assert_eq!(dev.attached(), None);
    dev.unbind().unwrap();
    ioas.destroy().unwrap();
}

#[test]
fn mappings_iterate_past_one_batch() {
    let c = ctx();
    let ioas = c.ioas_alloc().unwrap();
    let buf = Arc::new(DmaBuffer::anonymous(0x1000 * 150, 0).unwrap());
    let guards: Vec<Mapped<'_>> = (0..150)
        .map(|i| {
            ioas.map_part(
                Arc::clone(&buf),
                i * 0x1000,
                0x1000,
                Perm::R,
                Some(0x100000 + 2 * i as u64 * 0x1000),
            )
        })
        .collect::<Result<_>>()
        .unwrap();
    let all: Vec<Mapping> = ioas.mappings().collect::<Result<_>>().unwrap();
    assert_eq!(all.len(), 150);
    assert!(all.windows(2).all(|w| w[0].iova + 0x2000 == w[1].iova));
    assert_eq!(all[149].uva, buf.as_ptr() as u64 + 149 * 0x1000);
    assert_eq!(ioas.stats().unwrap().nr_areas, 150);
    drop(guards);
    assert_eq!(ioas.mappings().count(), 0);
}

#[test]
fn copy_shares_memory_and_keeps_the_buffer() {
    let c = ctx();
    let (a, b) = (c.ioas_alloc().unwrap(), c.ioas_alloc().unwrap());
    let (d0, d2) = (c.bind("sim0").unwrap(), c.bind("sim2").unwrap());
    let (_x, _y) = (d0.attach(&a).unwrap(), d2.attach(&b).unwrap());
    let buf = Arc::new(DmaBuffer::memfd("shared", 0x200000, 0x200000).unwrap());
    assert!(buf.memfd_fd().is_some());
    assert_eq!(buf.as_ptr() as usize % 0x200000, 0);
    let src = a.map(Arc::clone(&buf), Perm::RW, Some(0)).unwrap();
    let dst = src.copy_to(&b, Perm::R, Some(0x400000)).unwrap();
    assert_eq!(Arc::strong_count(&buf), 3);
    drop(src);
    // The copy still maps the memory: the buffer stays.
    assert_eq!(Arc::strong_count(&buf), 2);
    d0.sim_dma_write(None, 0, b"x").unwrap_err();
    buf.write_at(0x1234, b"shared").unwrap();
    let mut out = [0u8; 6];
    d2.sim_dma_read(None, 0x401234, &mut out).unwrap();
    assert_eq!(&out, b"shared");
    // Read-only copy: the second device may not write.
    assert_eq!(
        d2.sim_dma_write(None, 0x400000, b"x").unwrap_err().errno(),
        libc::EACCES
    );
    drop(dst);
    assert_eq!(Arc::strong_count(&buf), 1);
}

#[test]
fn reserve_and_allow_ranges() {
    let c = ctx();
    let ioas = c.ioas_alloc().unwrap();
    let r = IovaRange {
        start: 0x100000,
        last: 0x1fffff,
    };
    ioas.reserve(r).unwrap();
    let e = ioas
        .map(DmaBuffer::anonymous(0x1000, 0).unwrap(), Perm::RW, Some(0x100000))
        .unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
    ioas.unreserve(r).unwrap();
    assert_eq!(ioas.unreserve(r).unwrap_err().errno(), libc::ENOENT);
    ioas.allow_iovas(&[IovaRange {
        start: 0x800000,
        last: 0x8fffff,
    }])
    .unwrap();
    let m = ioas
        .map(DmaBuffer::anonymous(0x1000, 0).unwrap(), Perm::RW, None)
        .unwrap();
    assert_eq!(m.iova(), 0x800000);
    let e = ioas.allow_iovas(&[IovaRange { start: 5, last: 1 }]).unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
}

#[test]
fn device_capability_chain() {
    let c = ctx();
    let d = c.bind("sim0").unwrap();
    let info = d.info().unwrap();
    let caps: Vec<CapHeader> = info.caps().collect::<Result<_>>().unwrap();
    assert!(caps.len() >= 4, "{:?}", caps);
    assert!(caps.windows(2).all(|w| w[0].offset < w[1].offset));
    assert!(caps.iter().any(|h| h.id == sys::IOASID_CAP_VTD as u16));
    assert!(caps.iter().all(|h| !h.name().is_empty()));
    assert_ne!(info.page_sizes().unwrap() & 0x1000, 0);
    let (input, _output) = info.addr_width().unwrap();
    assert!(input >= 39);
    let (features, known) = info.features().unwrap();
    assert_eq!(features & !known, 0);
    assert!(!info.iova_ranges().unwrap().is_empty());
    assert!(info.resv_regions().unwrap().iter().any(|r| r.start == 0xfee00000));

    // A chain from elsewhere is checked; a damaged one says where.
    let again = DeviceInfo::from_bytes(info.as_bytes().to_vec()).unwrap();
    assert_eq!(again, info);
    let mut bad = info.as_bytes().to_vec();
    bad[0] ^= 0xff;
    let e = DeviceInfo::from_bytes(bad).unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
    assert!(!e.message().is_empty());
    let e = DeviceInfo::from_bytes(info.as_bytes()[..20].to_vec()).unwrap_err();
    assert_eq!(e.errno(), libc::EMSGSIZE);
}

#[test]
fn sets_pasids_and_quotas() {
    let c = ctx();
    let set = c
        .set_alloc(&SetOptions {
            owner: 7,
            max_pasids: 2,
            max_ioas: 1,
        })
        .unwrap();
    let p1 = set.pasid_alloc(1, 100).unwrap();
    let p2 = set.pasid_alloc(1, 100).unwrap();
    assert_eq!((p1.value(), p2.value()), (1, 2));
    let e = set.pasid_alloc(1, 100).unwrap_err();
    assert_eq!(e.errno(), libc::EDQUOT);
    assert_eq!(set.pasids().unwrap(), vec![1, 2]);
    drop(p1);
    assert_eq!(set.pasids().unwrap(), vec![2]);
    let ioas = set.ioas_alloc().unwrap();
    assert_eq!(set.ioas_alloc().unwrap_err().errno(), libc::EDQUOT);
    let info = set.info().unwrap();
    assert_eq!((info.owner, info.nr_pasids, info.nr_ioas), (7, 1, 1));

    // A PASID goes on a PASID-capable HWPT, and the RID too.
    let dev = c.bind("sim0").unwrap();
    let hwpt = ioas
        .hwpt_alloc(
            &dev,
            HwptFlags {
                pasid: true,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let rid = dev.attach(&hwpt).unwrap();
    let at = dev.attach_pasid(&hwpt, &p2).unwrap();
    assert_eq!(at.pasid(), Some(2));
    assert_eq!(at.pt_id(), hwpt.id());
    drop(at);
    drop(rid);
    hwpt.destroy().unwrap();
    drop(p2);
    drop(ioas);
    set.destroy().unwrap();
}

#[test]
fn page_request_round_trip() {
    let c = ctx();
    let set = c
        .set_alloc(&SetOptions {
            owner: 1,
            max_pasids: 0,
            max_ioas: 1,
        })
        .unwrap();
    let q = set
        .fault_queue_alloc(&FaultQueueOptions {
            depth: 16,
            ..Default::default()
        })
        .unwrap();
    let gpa = set.ioas_alloc().unwrap();
    let nic = c.bind("sim0").unwrap();
    let _at = nic.attach_with_faults(&gpa, &q).unwrap();
    let ram = Arc::new(DmaBuffer::anonymous(0x4000, 0).unwrap());
    let _first = gpa
        .map_part(Arc::clone(&ram), 0, 0x1000, Perm::RW, Some(0x100000))
        .unwrap();

    std::thread::scope(|s| {
        // The device writes to a page that is not mapped yet: its DMA
        // waits for the page request's answer.
        let dma = s.spawn(|| nic.sim_dma_write(None, 0x101000, b"c0ffee"));
        let fd = q.fd().unwrap();
        let mut pfd = libc::pollfd {
            fd: std::os::unix::io::AsRawFd::as_raw_fd(&fd),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        assert_eq!(
            unsafe { libc::poll(&mut pfd, 1, 10_000) },
            1,
            "no page request within 10 s"
        );
        let recs = q.read().unwrap();
        let grps: Vec<&[Fault]> = groups(&recs).collect();
        assert_eq!(grps.len(), 1);
        let f = grps[0][0];
        assert!(f.needs_response() && f.is_last() && f.is_write());
        assert_eq!(f.reason(), FaultReason::PageRequest);
        assert_eq!(f.addr(), Some(0x101000));
        assert_eq!(f.dev(), nic.id());
        assert_eq!(f.pasid(), None);
        assert_eq!(q.stats().unwrap().pending, 1);
        // Map the page, answer SUCCESS: the device retries and completes.
        let page = gpa
            .map_part(Arc::clone(&ram), 0x1000, 0x1000, Perm::RW, Some(0x101000))
            .unwrap();
        q.respond(f.cookie(), Response::Success).unwrap();
        assert_eq!(dma.join().unwrap().unwrap(), 6);
        let e = q.respond(f.cookie(), Response::Success).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        let mut got = [0u8; 6];
        ram.read_at(0x1000, &mut got).unwrap();
        assert_eq!(&got, b"c0ffee");
        drop(page);
    });
    let st = q.stats().unwrap();
    assert_eq!((st.groups, st.answered_success, st.pending), (1, 1, 0));
}

#[test]
fn unrecoverable_faults_are_unrouted_records() {
    let c = ctx();
    let ioas = c.ioas_alloc().unwrap();
    let dev = c.bind("sim2").unwrap();
    let _at = dev.attach(&ioas).unwrap();
    let e = dev.sim_dma_read(None, 0x5000, &mut [0u8; 4]).unwrap_err();
    assert_eq!(e.errno(), libc::EFAULT);
    let recs = c.fault_unrouted().unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].reason(), FaultReason::NotPresent);
    assert_eq!(recs[0].addr(), Some(0x5000));
    assert!(!recs[0].needs_response());
    assert!(c.fault_unrouted().unwrap().is_empty());
}

#[test]
fn dirty_tracking_bitmap() {
    let c = ctx();
    let ioas = c.ioas_alloc().unwrap();
    let dev = c.bind("sim0").unwrap();
    let hwpt = ioas
        .hwpt_alloc(
            &dev,
            HwptFlags {
                dirty_tracking: true,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let _at = dev.attach(&hwpt).unwrap();
    ioas.set_huge_pages(false).unwrap();
    let _m = ioas
        .map(DmaBuffer::anonymous(0x8000, 0).unwrap(), Perm::RW, Some(0x40000))
        .unwrap();
    hwpt.set_dirty_tracking(true).unwrap();
    dev.sim_dma_write(None, 0x42000, b"dirty").unwrap();
    let map = hwpt.dirty_bitmap(0x40000, 0x8000, 0x1000, false).unwrap();
    assert_eq!(map[0], 1 << 2);
    assert_eq!(hwpt.dirty_bitmap(0x40000, 0x8000, 0x1000, false).unwrap()[0], 0);
    let e = hwpt.dirty_bitmap(0x40001, 0x8000, 0x1000, false).unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
}

#[test]
fn drop_order_follows_the_borrows() {
    // Attachments, HWPTs and guards are dropped before what they borrow
    // (reverse declaration order), so no destroy meets a busy object: each
    // drop really removes its object from the context.
    let c = ctx();
    let kind = |id: u32| unsafe { sys::ioasid_obj_kind(c.as_raw(), id) };
    let ioas = c.ioas_alloc().unwrap();
    let dev = c.bind("sim0").unwrap();
    let hwpt = ioas.hwpt_alloc(&dev, HwptFlags::default(), None).unwrap();
    let at = dev.attach(&hwpt).unwrap();
    let m = ioas
        .map(DmaBuffer::anonymous(0x1000, 0).unwrap(), Perm::RW, Some(0x1000))
        .unwrap();
    let (ioas_id, dev_id, hwpt_id) = (ioas.id(), dev.id(), hwpt.id());
    assert_eq!(kind(hwpt_id), sys::IOASID_OBJ_HWPT);
    drop(m);
    drop(at);
    assert_eq!(dev.attached(), None);
    drop(hwpt);
    assert_eq!(kind(hwpt_id), sys::IOASID_OBJ_NONE);
    drop(dev);
    assert_eq!(kind(dev_id), sys::IOASID_OBJ_NONE);
    drop(ioas);
    assert_eq!(kind(ioas_id), sys::IOASID_OBJ_NONE);
    assert!(c.devices().unwrap().iter().all(|d| d.bound.is_none()));
}

#[test]
fn threads_share_a_context_and_keep_their_own_messages() {
    let c = ctx();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let c = &c;
            s.spawn(move || {
                let ioas = c.ioas_alloc().unwrap();
                let buf = Arc::new(DmaBuffer::anonymous(0x1000, 0).unwrap());
                for i in 0..50u64 {
                    let iova = 0x1000_0000 * (t + 1) + i * 0x1000;
                    let m = ioas.map(Arc::clone(&buf), Perm::RW, Some(iova)).unwrap();
                    let e = ioas.map(Arc::clone(&buf), Perm::RW, Some(iova)).unwrap_err();
                    assert_eq!(e.errno(), libc::EEXIST);
                    // The message is this thread's: it names this thread's IOVA.
                    assert!(e.message().contains(&format!("{:#x}", iova)), "{}", e);
                    drop(m);
                }
            });
        }
    });
}

#[test]
fn objects_of_another_context_are_refused() {
    // Ids are per context: the id of an object of context B names another
    // object (or none) in context A. A copy across contexts would map
    // whatever A's area of that id holds, outside any guard: refused.
    let (a, b) = (ctx(), ctx());
    let ioas_a = a.ioas_alloc().unwrap();
    let ioas_b = b.ioas_alloc().unwrap();
    assert_eq!(ioas_a.id(), ioas_b.id());
    let _other = a.ioas_alloc().unwrap();
    let m_a = ioas_a
        .map(DmaBuffer::anonymous(0x1000, 0).unwrap(), Perm::RW, Some(0x1000))
        .unwrap();
    let e = m_a.copy_to(&ioas_b, Perm::RW, None).unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
    assert!(e.message().contains("another context"), "{}", e);
    assert_eq!(ioas_b.stats().unwrap().nr_areas, 0);

    let dev_b = b.bind("sim0").unwrap();
    assert_eq!(dev_b.attach(&ioas_a).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(dev_b.attached(), None);
    let e = ioas_a.hwpt_alloc(&dev_b, HwptFlags::default(), None).unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
    let set_a = a
        .set_alloc(&SetOptions {
            owner: 1,
            max_pasids: 1,
            max_ioas: 0,
        })
        .unwrap();
    let q_a = set_a.fault_queue_alloc(&FaultQueueOptions::default()).unwrap();
    assert_eq!(
        dev_b.attach_with_faults(&ioas_b, &q_a).unwrap_err().errno(),
        libc::EINVAL
    );
    let p_a = set_a.pasid_alloc(1, 1).unwrap();
    assert_eq!(dev_b.attach_pasid(&ioas_b, &p_a).unwrap_err().errno(), libc::EINVAL);
}

#[test]
fn viommu_objects_on_the_sim() {
    // VT-d's Linux driver has no vIOMMU: on the vtd profile the answer is
    // EOPNOTSUPP with the library's reason; the smmuv3 and amd profiles
    // model one (issue #13).
    let c = ctx();
    let ioas = c.ioas_alloc().unwrap();
    let dev = c.bind("sim0").unwrap();
    let parent = ioas
        .hwpt_alloc(
            &dev,
            HwptFlags {
                nest_parent: true,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let e = parent
        .viommu_alloc(&dev, sys::IOASID_VIOMMU_ARM_SMMUV3, None)
        .unwrap_err();
    assert_eq!(e.errno(), libc::EOPNOTSUPP);
    assert!(e.to_string().contains("vIOMMU"), "{}", e);
    assert_eq!(dev.vdevice_of().unwrap_err().errno(), libc::ENOENT);

    let c = Context::open("sim:smmuv3").expect("sim context");
    let ioas = c.ioas_alloc().unwrap();
    let dev = c.bind("sim0").unwrap();
    let parent = ioas
        .hwpt_alloc(
            &dev,
            HwptFlags {
                nest_parent: true,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let v = parent
        .viommu_alloc(&dev, sys::IOASID_VIOMMU_ARM_SMMUV3, None)
        .unwrap();
    let vd = v.vdevice_alloc(&dev, 0x42).unwrap();
    assert_eq!(dev.vdevice_of().unwrap().2, 0x42);
    drop(vd);
    assert_eq!(dev.vdevice_of().unwrap_err().errno(), libc::ENOENT);
}
