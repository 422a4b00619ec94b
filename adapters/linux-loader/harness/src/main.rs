//! pvh-conformance's harness for rust-vmm's linux-loader (see ../README.md).
//!
//! Reads a plan on stdin (one item per line, written by linuxLoaderAdapter.ts), loads
//! the kernel with `loader::elf::Elf::load` into a fresh `GuestMemoryMmap`, writes the
//! command line with `loader::load_cmdline` and the boot parameters with
//! `configurator::pvh::PvhBootConfigurator`, and prints one JSON object on stdout:
//! the outcome, linux-loader's words on a refusal, the PVH entry it reported, and the
//! guest pages written (every page the kernel shows resident in the fresh anonymous
//! mapping; all other RAM is still zero).
//!
//! The plan decides everything a VMM decides (RAM ranges, where start_info, the modlist,
//! the memory map, the command line and the modules go, what the memory map lists):
//! those are this project's choices, made in the TypeScript adapter, not linux-loader's.
//!
//! Exit status: 0 with a JSON report (entered or rejected); 2 on a bad plan or an I/O
//! error (a message on stderr, no report).

use std::fs::File;
use std::io::{self, Read, Write};

use linux_loader::cmdline::Cmdline;
use linux_loader::configurator::pvh::PvhBootConfigurator;
use linux_loader::configurator::{BootConfigurator, BootParams};
use linux_loader::loader::elf::start_info::{
    hvm_memmap_table_entry, hvm_modlist_entry, hvm_start_info, XEN_HVM_START_MAGIC_VALUE,
};
use linux_loader::loader::elf::{Elf, PvhBootCapability};
use linux_loader::loader::{load_cmdline, KernelLoader};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemoryBackend, GuestMemoryMmap, GuestMemoryRegion, MemoryRegionAddress};

const PAGE: u64 = 4096;

#[derive(Default)]
struct Plan {
    kernel: Option<String>,
    ram: Vec<(u64, u64)>,
    cmdline: Option<String>,
    cmdline_at: u64,
    start_info_at: u64,
    modlist_at: u64,
    memmap_at: u64,
    memmap: Vec<(u64, u64, u32)>,
    modules: Vec<(String, u64, u64)>,
    module_cmdlines: Vec<(u64, Vec<u8>)>,
    hashes: Vec<(u64, u64)>,
    fills: Vec<(u64, u64, u8)>,
}

fn fail(msg: &str) -> ! {
    eprintln!("pvh-linux-loader-harness: {msg}");
    std::process::exit(2);
}

fn num(s: Option<&str>, what: &str) -> u64 {
    let s = s.unwrap_or_else(|| fail(&format!("{what}: missing number")));
    let r = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.unwrap_or_else(|_| fail(&format!("{what}: not a number: {s}")))
}

fn unhex(s: &str) -> Vec<u8> {
    if s.len() % 2 != 0 {
        fail("odd hex string");
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| fail("bad hex"))).collect()
}

fn parse_plan(text: &str) -> Plan {
    let mut p = Plan::default();
    for line in text.lines() {
        let mut w = line.split(' ');
        let key = w.next().unwrap_or("");
        match key {
            "" => {}
            "kernel" => p.kernel = Some(w.collect::<Vec<_>>().join(" ")),
            "ram" => p.ram.push((num(w.next(), "ram start"), num(w.next(), "ram size"))),
            // The command line as hex, so that any byte survives the plan's line format.
            "cmdline" => {
                p.cmdline_at = num(w.next(), "cmdline address");
                let bytes = unhex(w.next().unwrap_or(""));
                p.cmdline = Some(String::from_utf8(bytes).unwrap_or_else(|_| fail("the command line is not UTF-8")));
            }
            "start_info" => p.start_info_at = num(w.next(), "start_info address"),
            "modlist" => p.modlist_at = num(w.next(), "modlist address"),
            "memmap" => p.memmap_at = num(w.next(), "memmap address"),
            "e820" => p.memmap.push((num(w.next(), "e820 addr"), num(w.next(), "e820 size"), num(w.next(), "e820 type") as u32)),
            "module" => {
                let at = num(w.next(), "module address");
                let cmdline_at = num(w.next(), "module cmdline address");
                p.modules.push((w.collect::<Vec<_>>().join(" "), at, cmdline_at));
            }
            "module_cmdline" => {
                let at = num(w.next(), "module cmdline address");
                p.module_cmdlines.push((at, unhex(w.next().unwrap_or(""))));
            }
            "hash" => p.hashes.push((num(w.next(), "hash start"), num(w.next(), "hash length"))),
            // Old bytes in guest memory before the kernel is loaded (variant reused-memory).
            "fill" => p.fills.push((num(w.next(), "fill start"), num(w.next(), "fill length"), num(w.next(), "fill byte") as u8)),
            other => fail(&format!("unknown plan item: {other}")),
        }
    }
    p
}

fn crc32(bytes: &[u8]) -> u32 {
    // CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib's crc32().
    static mut TABLE: [u32; 256] = [0; 256];
    static INIT: std::sync::Once = std::sync::Once::new();
    // SAFETY: written once under INIT before any read.
    unsafe {
        INIT.call_once(|| {
            for i in 0..256u32 {
                let mut c = i;
                for _ in 0..8 {
                    c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                }
                TABLE[i as usize] = c;
            }
        });
        let table = &*std::ptr::addr_of!(TABLE);
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c = table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
        }
        c ^ 0xFFFF_FFFF
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { A[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { A[n as usize & 63] as char } else { '=' });
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Pages of guest RAM that were written: resident in the fresh anonymous mapping.
/// Without swap, an anonymous page is resident exactly when it was touched; with swap,
/// every page is read and the non-zero ones kept (slower, and just as exact for the
/// checks, since an untouched page reads as zero).
fn touched_pages(gm: &GuestMemoryMmap, skip: &[(u64, u64)]) -> Vec<(u64, Vec<u8>)> {
    let swap = std::fs::read_to_string("/proc/swaps").map(|s| s.lines().count() > 1).unwrap_or(true);
    let inside_skip = |a: u64| skip.iter().any(|&(s, l)| a >= s && a + PAGE <= s + l);
    let mut out = Vec::new();
    for region in gm.iter() {
        let base = region.start_addr().raw_value();
        let len = region.len();
        let host = region.get_host_address(MemoryRegionAddress(0)).unwrap_or_else(|_| fail("no host address for a region"));
        let pages = len.div_ceil(PAGE) as usize;
        let mut vec = vec![0u8; pages];
        if !swap {
            // SAFETY: host..host+len is the region's own mapping, page aligned by mmap.
            let rc = unsafe { libc::mincore(host as *mut libc::c_void, len as usize, vec.as_mut_ptr()) };
            if rc != 0 {
                fail(&format!("mincore: {}", io::Error::last_os_error()));
            }
        }
        for (i, v) in vec.iter().enumerate() {
            let addr = base + i as u64 * PAGE;
            if (!swap && v & 1 == 0) || inside_skip(addr) {
                continue;
            }
            let n = std::cmp::min(PAGE, base + len - addr) as usize;
            let mut buf = vec![0u8; n];
            gm.read_slice(&mut buf, GuestAddress(addr)).unwrap_or_else(|_| fail("reading back guest memory"));
            if swap && buf.iter().all(|&b| b == 0) {
                continue;
            }
            out.push((addr, buf));
        }
    }
    out
}

struct Report {
    outcome: &'static str,
    stage: &'static str,
    message: String,
    capability: String,
    entry: Option<u64>,
    kernel_end: Option<u64>,
}

fn print_report(r: &Report, gm: &GuestMemoryMmap, plan: &Plan) {
    let mut o = String::new();
    o.push_str(&format!("{{\"outcome\":{},\"stage\":{},\"message\":{},\"pvh\":{}", json_string(r.outcome), json_string(r.stage), json_string(&r.message), json_string(&r.capability)));
    o.push_str(&format!(",\"entry\":{}", r.entry.map_or("null".to_string(), |e| e.to_string())));
    o.push_str(&format!(",\"kernelEnd\":{}", r.kernel_end.map_or("null".to_string(), |e| e.to_string())));
    o.push_str(",\"hashes\":[");
    for (i, &(s, l)) in plan.hashes.iter().enumerate() {
        let mut buf = vec![0u8; l as usize];
        let crc = match gm.read_slice(&mut buf, GuestAddress(s)) {
            Ok(()) => crc32(&buf).to_string(),
            Err(_) => "null".to_string(),
        };
        o.push_str(&format!("{}{{\"addr\":{s},\"len\":{l},\"crc32\":{crc}}}", if i > 0 { "," } else { "" }));
    }
    o.push_str("],\"pages\":[");
    for (i, (addr, bytes)) in touched_pages(gm, &plan.hashes).iter().enumerate() {
        o.push_str(&format!("{}{{\"addr\":{addr},\"data\":\"{}\"}}", if i > 0 { "," } else { "" }, base64(bytes)));
    }
    o.push_str("]}\n");
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(o.as_bytes()).unwrap_or_else(|e| fail(&format!("writing the report: {e}")));
}

fn main() {
    let mut text = String::new();
    io::stdin().read_to_string(&mut text).unwrap_or_else(|e| fail(&format!("reading the plan: {e}")));
    let plan = parse_plan(&text);
    let ranges: Vec<(GuestAddress, usize)> = plan.ram.iter().map(|&(s, l)| (GuestAddress(s), l as usize)).collect();
    let gm = GuestMemoryMmap::from_ranges(&ranges).unwrap_or_else(|e| fail(&format!("guest memory: {e}")));
    let kernel_path = plan.kernel.clone().unwrap_or_else(|| fail("no kernel in the plan"));
    let mut kernel = File::open(&kernel_path).unwrap_or_else(|e| fail(&format!("{kernel_path}: {e}")));
    for &(at, len, byte) in &plan.fills {
        gm.write_slice(&vec![byte; len as usize], GuestAddress(at)).unwrap_or_else(|_| fail("a fill is outside guest memory"));
    }
    let mut report = Report { outcome: "rejected", stage: "load", message: String::new(), capability: String::new(), entry: None, kernel_end: None };

    // 1. linux-loader loads the ELF at its p_paddr (no kernel_offset: with one it ignores the
    //    PVH note) and no highmem_start_address (e_entry is not part of the PVH ABI).
    let loaded = match Elf::load(&gm, None, &mut kernel, None) {
        Ok(r) => r,
        Err(e) => {
            report.message = e.to_string();
            return print_report(&report, &gm, &plan);
        }
    };
    report.kernel_end = Some(loaded.kernel_end);
    report.capability = loaded.pvh_boot_cap.to_string();
    let entry = match loaded.pvh_boot_cap {
        PvhBootCapability::PvhEntryPresent(a) => a.raw_value(),
        _ => {
            report.stage = "pvh-entry";
            report.message = report.capability.clone();
            return print_report(&report, &gm, &plan);
        }
    };
    report.entry = Some(entry);

    // 2. The command line through linux-loader's Cmdline and load_cmdline.
    let mut cmdline_paddr = 0u64;
    if let Some(s) = &plan.cmdline {
        report.stage = "cmdline";
        let written = Cmdline::new(s.len() + 1)
            .and_then(|mut c| c.insert_str(s).map(|_| c))
            .map_err(|e| format!("Cmdline: {e}"))
            .and_then(|c| load_cmdline(&gm, GuestAddress(plan.cmdline_at), &c).map_err(|e| e.to_string()));
        if let Err(m) = written {
            report.message = m;
            return print_report(&report, &gm, &plan);
        }
        cmdline_paddr = plan.cmdline_at;
    }

    // 3. The modules and their command lines: the VMM's own writes (linux-loader has no call for them).
    for (at, bytes) in &plan.module_cmdlines {
        let mut b = bytes.clone();
        b.push(0);
        gm.write_slice(&b, GuestAddress(*at)).unwrap_or_else(|_| fail("a module command line is outside guest memory"));
    }
    let mut modlist = Vec::new();
    for (path, at, cmdline_at) in &plan.modules {
        let mut bytes = Vec::new();
        File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
        if !bytes.is_empty() {
            gm.write_slice(&bytes, GuestAddress(*at)).unwrap_or_else(|_| fail("a module is outside guest memory"));
        }
        modlist.push(hvm_modlist_entry { paddr: *at, size: bytes.len() as u64, cmdline_paddr: *cmdline_at, reserved: 0 });
    }

    // 4. start_info, the modlist and the memory map through linux-loader's PVH configurator.
    report.stage = "bootparams";
    let memmap: Vec<hvm_memmap_table_entry> = plan.memmap.iter().map(|&(addr, size, type_)| hvm_memmap_table_entry { addr, size, type_, reserved: 0 }).collect();
    let info = hvm_start_info {
        magic: XEN_HVM_START_MAGIC_VALUE,
        version: 1,
        flags: 0,
        nr_modules: modlist.len() as u32,
        modlist_paddr: if modlist.is_empty() { 0 } else { plan.modlist_at },
        cmdline_paddr,
        rsdp_paddr: 0,
        memmap_paddr: plan.memmap_at,
        memmap_entries: memmap.len() as u32,
        reserved: 0,
    };
    let mut params = BootParams::new::<hvm_start_info>(&info, GuestAddress(plan.start_info_at));
    params.set_sections::<hvm_memmap_table_entry>(&memmap, GuestAddress(plan.memmap_at));
    if !modlist.is_empty() {
        params.set_modules::<hvm_modlist_entry>(&modlist, GuestAddress(plan.modlist_at));
    }
    if let Err(e) = PvhBootConfigurator::write_bootparams::<GuestMemoryMmap>(&params, &gm) {
        report.message = e.to_string();
        return print_report(&report, &gm, &plan);
    }
    report.outcome = "entered";
    report.stage = "done";
    print_report(&report, &gm, &plan);
}
