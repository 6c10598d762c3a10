//! What examples/quickstart.json does, from Rust: guest RAM mapped at its
//! guest-physical addresses for an assigned NVMe device, a bounce buffer at
//! an automatic IOVA, and the same RAM shared with a second device's
//! address space without pinning it twice. On the simulated IOMMU with the
//! VT-d profile, so it runs anywhere:
//!
//!     cargo run --example quickstart
use std::sync::Arc;

use libioasid::{Context, DmaBuffer, Perm, Result};

const MIB2: usize = 0x20_0000;

fn main() -> Result<()> {
    let ctx = Context::open("sim:vtd")?;
    println!(
        "libioasid {} on {} ({})",
        libioasid::version(),
        ctx.backend_name(),
        ctx.backend_reason()
    );

    // Guest RAM below and above the 4G hole, memfd-backed as for vhost-user.
    let ram_low = Arc::new(DmaBuffer::memfd("ram_low", MIB2, MIB2)?);
    let ram_high = Arc::new(DmaBuffer::memfd("ram_high", MIB2, MIB2)?);

    let gpa = ctx.ioas_alloc()?;
    let nvme = ctx.bind("sim0")?;
    let _nvme_at = nvme.attach(&gpa)?;

    // The usable IOVA ranges: the 48-bit aperture minus the MSI window.
    let usable = gpa.iova_ranges()?;
    let shown: Vec<String> = usable
        .ranges
        .iter()
        .map(|r| format!("{:#x}-{:#x}", r.start, r.last))
        .collect();
    println!("gpa: ranges={} alignment={:#x}", shown.join(","), usable.alignment);

    // IOVA = guest-physical address.
    let low = gpa.map(Arc::clone(&ram_low), Perm::RW, Some(0))?;
    let high = gpa.map(ram_high, Perm::RW, Some(0x1_0000_0000))?;
    println!("gpa: ram_low at {:#x}, ram_high at {:#x}", low.iova(), high.iova());

    // A device-readable bounce buffer where the library finds room.
    let bounce = gpa.map(DmaBuffer::anonymous(0x10000, 0)?, Perm::R, None)?;
    println!("gpa: bounce at {:#x}", bounce.iova());

    // Guest RAM is already there: the library says so, naming both ranges.
    // SAFETY: refused (EEXIST) before anything is mapped; had it succeeded,
    // ram_low (alive until the end of main) would back it.
    match unsafe { gpa.map_raw(ram_low.as_ptr().add(0x1000), 0x1000, Perm::RW, Some(0x1000)) } {
        Err(e) => println!("gpa: map at 0x1000 refused as expected: {}", e),
        Ok(iova) => panic!("mapped over guest RAM at {:#x}", iova),
    }

    // A second device in its own address space sees the low RAM too.
    let gpa2 = ctx.ioas_alloc()?;
    let nic = ctx.bind("sim2")?;
    let _nic_at = nic.attach(&gpa2)?;
    let shared = low.copy_to(&gpa2, Perm::RW, Some(0))?;
    println!("gpa2: ram_low copied at {:#x}", shared.iova());

    let m = gpa2.lookup(0x100000)?;
    println!(
        "gpa2: lookup 0x100000 -> iova={:#x} last={:#x} length={:#x} perm={}{}",
        m.iova,
        m.last(),
        m.length,
        if m.perm.read { "r" } else { "" },
        if m.perm.write { "w" } else { "" }
    );

    let s = gpa.stats()?;
    println!(
        "gpa: areas={} mapped_bytes={:#x} reserved={} allowed={} alignment={:#x} attached={}",
        s.nr_areas, s.mapped_bytes, s.nr_reserved, s.nr_allowed, s.alignment, s.nr_attached
    );
    for area in gpa.mappings() {
        let a = area?;
        println!("  {:#14x} {:#14x} {:#10x}", a.iova, a.last(), a.length);
    }
    // Everything is unmapped, detached, unbound and destroyed in reverse
    // order as the handles go out of scope.
    Ok(())
}
