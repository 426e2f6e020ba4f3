//! rust_alloc: the target test of listheap as Rust's global allocator (`make test-rust` runs
//! it on QEMU's mps2-an500). A no_std staticlib whose `main` qemu/startup.c calls; the heap is
//! the linker script's 512 KiB, shared with nothing else (this image uses no stdio). Every test
//! checks listheap_check() after it and that it left no block behind. Prints one line per test
//! and the summary `rust_alloc: N passed, N failed`; exits with the number failed.
//!
//! The last test takes Rust's allocation-error path: an infallible allocation that cannot be
//! served goes to the alloc_error_handler (the listheap crate's), which panics; the panic
//! handler below checks the message, counts the test and prints the summary.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};
use core::alloc::{GlobalAlloc, Layout};
use core::fmt::{self, Write};
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

/// One more, by load and store: the program has one thread, and thumbv6m (Cortex-M0+) has no
/// read-modify-write atomics (no fetch_add, no swap).
fn bump(counter: &AtomicUsize) {
    counter.store(counter.load(SeqCst) + 1, SeqCst);
}

#[global_allocator]
static HEAP: listheap::ListHeap = listheap::ListHeap;

extern "C" {
    fn write(fd: i32, buf: *const u8, len: usize) -> isize;
    fn exit(status: i32) -> !;
}

struct Console;
impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: newlib's write() to the semihosting console.
        unsafe { write(1, s.as_ptr(), s.len()) };
        Ok(())
    }
}

macro_rules! say {
    ($($arg:tt)*) => {{ let _ = writeln!(Console, $($arg)*); }};
}

/// A failed expectation: the line and the condition.
type Outcome = Result<(), &'static str>;
macro_rules! ensure {
    ($cond:expr) => {
        if !$cond {
            return Err(concat!("line ", line!(), ": ", stringify!($cond)));
        }
    };
}

/// listheap_oom_hook, replacing the C library's weak default: counts every failed allocation.
static OOM_CALLS: AtomicUsize = AtomicUsize::new(0);
static OOM_LAST: AtomicUsize = AtomicUsize::new(0);
#[no_mangle]
pub extern "C" fn listheap_oom_hook(request: usize) {
    bump(&OOM_CALLS);
    OOM_LAST.store(request, SeqCst);
}

fn aligned(p: *const u8, align: usize) -> bool {
    p as usize % align == 0
}

/// The blocks before and after the one at `addr` in the heap map (None at a region's end).
fn neighbours(addr: usize) -> (Option<listheap::Block>, Option<listheap::Block>) {
    let mut map = [listheap::Block { addr: 0, size: 0, used: false }; 64];
    let n = listheap::blocks(&mut map).min(map.len());
    match map[..n].iter().position(|b| b.addr == addr) {
        Some(i) => (i.checked_sub(1).map(|j| map[j]), map[..n].get(i + 1).copied()),
        None => (None, None),
    }
}

/// The block that follows the one at `addr` in the heap map, if any.
fn successor(addr: usize) -> Option<listheap::Block> {
    neighbours(addr).1
}

/// Bytes of free blocks next to the one at `addr` (headers included): all that an in-place
/// grow could take.
fn free_around(addr: usize) -> usize {
    let (before, after) = neighbours(addr);
    [before, after].iter().flatten().filter(|b| !b.used).map(|b| b.size + listheap::HEADER).sum()
}

fn vec_growth() -> Outcome {
    let mut v: Vec<u32> = Vec::new();
    let mut moves = 0;
    let mut last = v.as_ptr();
    for i in 0..5000u32 {
        v.push(i ^ 0x5A5A);
        if v.as_ptr() != last {
            moves += 1;
            last = v.as_ptr();
        }
    }
    ensure!(v.iter().enumerate().all(|(i, &x)| x == i as u32 ^ 0x5A5A));
    ensure!(aligned(v.as_ptr().cast(), 4) && moves >= 1);
    v.truncate(10);
    v.shrink_to_fit();
    ensure!(v.capacity() == 10 && v[9] == 9 ^ 0x5A5A);
    Ok(())
}

fn string_growth() -> Outcome {
    let mut s = String::new();
    for i in 0..400 {
        s.push_str("0123456789");
        if i % 50 == 0 {
            s += &format!("[{}]", i);
        }
    }
    ensure!(s.len() == 4000 + "[0][50][100][150][200][250][300][350]".len());
    ensure!(s.starts_with("0123456789[0]0123456789") && s.ends_with("89"));
    let upper = s.replace("0123", "ABCD");
    ensure!(upper.len() == s.len() && !upper.contains("0123"));
    Ok(())
}

fn btreemap_growth() -> Outcome {
    let mut m: BTreeMap<u32, String> = BTreeMap::new();
    for k in 0..600u32 {
        m.insert(k * 7 % 601, format!("value {}", k));
    }
    ensure!(m.len() == 600);
    ensure!(listheap::check().is_ok());
    m.retain(|k, _| k % 2 == 1);
    ensure!(m.len() == 300 && m.keys().all(|k| k % 2 == 1));
    ensure!(m.get(&7).map(String::as_str) == Some("value 1"));
    Ok(())
}

#[repr(C, align(64))]
struct Line64([u8; 64]);
#[repr(C, align(4096))]
struct Page([u8; 4096]);

/// Over-aligned layouts through GlobalAlloc and through Box/Vec: every pointer aligned, no
/// two blocks overlapping (each keeps its own fill pattern).
fn over_aligned(align: usize, count: usize) -> Outcome {
    let mut blocks: Vec<(*mut u8, Layout)> = Vec::new();
    for i in 0..count {
        let layout = Layout::from_size_align(24 + i * 40, align).map_err(|_| "layout")?;
        // SAFETY: a non-zero size.
        let p = unsafe { HEAP.alloc(layout) };
        ensure!(!p.is_null() && aligned(p, align));
        // SAFETY: p holds layout.size() bytes.
        unsafe { p.write_bytes(i as u8, layout.size()) };
        blocks.push((p, layout));
    }
    for (i, &(p, layout)) in blocks.iter().enumerate() {
        // SAFETY: live blocks of layout.size() bytes.
        let bytes = unsafe { core::slice::from_raw_parts(p, layout.size()) };
        ensure!(bytes.iter().all(|&b| b == i as u8));
    }
    for (p, layout) in blocks {
        // SAFETY: allocated above with this layout.
        unsafe { HEAP.dealloc(p, layout) };
    }
    Ok(())
}

fn align_64() -> Outcome {
    over_aligned(64, 16)?;
    let lines: Vec<Box<Line64>> = (0..8).map(|i| Box::new(Line64([i; 64]))).collect();
    ensure!(lines.iter().all(|l| aligned(l.0.as_ptr(), 64)));
    ensure!(lines.iter().enumerate().all(|(i, l)| l.0.iter().all(|&b| b == i as u8)));
    Ok(())
}

fn align_4096() -> Outcome {
    over_aligned(4096, 4)?;
    // Vec<Page> grows by realloc of an over-aligned layout: a fresh aligned block each time
    let mut pages: Vec<Page> = Vec::with_capacity(1);
    for i in 0..5u8 {
        pages.push(Page([i; 4096]));
        ensure!(aligned(pages.as_ptr().cast(), 4096));
    }
    ensure!(pages.iter().enumerate().all(|(i, p)| p.0[0] == i as u8 && p.0[4095] == i as u8));
    pages.truncate(1);
    pages.shrink_to_fit(); // an over-aligned shrink: in place, still aligned
    ensure!(aligned(pages.as_ptr().cast(), 4096) && pages[0].0[100] == 0);
    Ok(())
}

fn realloc_in_place() -> Outcome {
    let layout = Layout::from_size_align(2000, 8).map_err(|_| "layout")?;
    // SAFETY: non-zero size; every access below stays within the block's current size.
    unsafe {
        let p = HEAP.alloc(layout);
        ensure!(!p.is_null());
        p.write_bytes(0xC3, 2000);
        let next = successor(p as usize).ok_or("no successor")?;
        ensure!(!next.used && next.size >= 2000); // the precondition: a free successor
        let q = HEAP.realloc(p, layout, 4000);
        ensure!(q == p); // grown in place
        ensure!(core::slice::from_raw_parts(q, 2000).iter().all(|&b| b == 0xC3));
        let r = HEAP.realloc(q, Layout::from_size_align_unchecked(4000, 8), 100);
        ensure!(r == p); // shrunk in place, the tail given back
        ensure!(listheap::usable_size(r) < 200);
        HEAP.dealloc(r, Layout::from_size_align_unchecked(100, 8));
    }
    Ok(())
}

fn realloc_moved() -> Outcome {
    let layout = Layout::from_size_align(64, 8).map_err(|_| "layout")?;
    // SAFETY: non-zero sizes; accesses within the blocks.
    unsafe {
        let a = HEAP.alloc(layout);
        let b = HEAP.alloc(layout);
        ensure!(!a.is_null() && !b.is_null());
        let next = successor(a as usize).ok_or("no successor")?;
        ensure!(next.used); // the precondition: nothing free after a
        for i in 0..64 {
            *a.add(i) = i as u8;
        }
        let moved = HEAP.realloc(a, layout, 64 * 1024);
        ensure!(!moved.is_null() && moved != a && aligned(moved, 8));
        ensure!((0..64).all(|i| *moved.add(i) == i as u8));
        HEAP.dealloc(moved, Layout::from_size_align_unchecked(64 * 1024, 8));
        HEAP.dealloc(b, layout);
    }
    Ok(())
}

fn realloc_over_aligned() -> Outcome {
    for &align in &[64usize, 4096] {
        let layout = Layout::from_size_align(98, align).map_err(|_| "layout")?;
        // SAFETY: non-zero sizes; accesses within the blocks.
        unsafe {
            let p = HEAP.alloc(layout);
            ensure!(!p.is_null() && aligned(p, align));
            for i in 0..98 {
                *p.add(i) = (i * 3) as u8;
            }
            let slack = listheap::usable_size(p);
            ensure!(slack > 98); // the precondition: 98 bytes leave slack in an 8-byte block
            let q = HEAP.realloc(p, layout, slack); // a grow within the block: in place
            ensure!(q == p);
            *q.add(98) = (98 * 3) as u8;
            *q.add(99) = (99 * 3) as u8;
            let grown = HEAP.realloc(q, Layout::from_size_align_unchecked(slack, align), 20000);
            ensure!(!grown.is_null() && aligned(grown, align));
            ensure!((0..100).all(|i| *grown.add(i) == (i * 3) as u8));
            let shrunk = HEAP.realloc(grown, Layout::from_size_align_unchecked(20000, align), 50);
            ensure!(shrunk == grown && (0..50).all(|i| *shrunk.add(i) == (i * 3) as u8));
            HEAP.dealloc(shrunk, Layout::from_size_align_unchecked(50, align));
        }
        realloc_over_aligned_moved(align)?;
    }
    Ok(())
}

/// An over-aligned block in an 8 KiB hole between used blocks, grown to 20000 bytes: it must
/// move, and land aligned.
fn realloc_over_aligned_moved(align: usize) -> Outcome {
    let hole = Layout::from_size_align(8192, 8).map_err(|_| "layout")?;
    let small = Layout::from_size_align(64, 8).map_err(|_| "layout")?;
    let layout = Layout::from_size_align(100, align).map_err(|_| "layout")?;
    // SAFETY: non-zero sizes; accesses within the blocks.
    unsafe {
        let a = HEAP.alloc(hole);
        let b = HEAP.alloc(small);
        ensure!(!a.is_null() && !b.is_null());
        ensure!(successor(a as usize).map(|s| s.addr) == Some(b as usize)); // precondition
        HEAP.dealloc(a, hole);
        let p = HEAP.alloc(layout);
        ensure!(!p.is_null() && aligned(p, align));
        ensure!(listheap::usable_size(p) + free_around(p as usize) < 20000); // precondition
        p.write_bytes(0x6B, 100);
        let moved = HEAP.realloc(p, layout, 20000);
        ensure!(!moved.is_null() && moved != p && aligned(moved, align));
        ensure!(core::slice::from_raw_parts(moved, 100).iter().all(|&x| x == 0x6B));
        HEAP.dealloc(moved, Layout::from_size_align_unchecked(20000, align));
        HEAP.dealloc(b, small);
    }
    Ok(())
}

fn zeroed() -> Outcome {
    for &align in &[8usize, 64, 4096] {
        let layout = Layout::from_size_align(768, align).map_err(|_| "layout")?;
        // SAFETY: non-zero sizes; accesses within the blocks.
        unsafe {
            let dirty = HEAP.alloc(layout);
            ensure!(!dirty.is_null());
            dirty.write_bytes(0xA5, 768);
            HEAP.dealloc(dirty, layout);
            let z = HEAP.alloc_zeroed(layout);
            ensure!(z == dirty); // the precondition: the dirty block came back
            ensure!(aligned(z, align));
            ensure!(core::slice::from_raw_parts(z, 768).iter().all(|&b| b == 0));
            HEAP.dealloc(z, layout);
        }
    }
    let mut v = vec![0xA5u8; 3000];
    v[0] = 1;
    drop(v);
    let v = vec![0u8; 3000]; // alloc_zeroed, on the block just freed
    ensure!(v.iter().all(|&b| b == 0));
    Ok(())
}

fn oom() -> Outcome {
    let before = listheap::stats();
    let calls = OOM_CALLS.load(SeqCst);
    let mut v: Vec<u8> = Vec::new();
    ensure!(v.try_reserve(1 << 20).is_err()); // 1 MiB of a 512 KiB heap
    ensure!(OOM_CALLS.load(SeqCst) == calls + 1 && OOM_LAST.load(SeqCst) >= 1 << 20);
    // SAFETY: non-zero sizes; a null result is only compared.
    unsafe {
        ensure!(HEAP.alloc(Layout::from_size_align_unchecked(600 * 1024, 8)).is_null());
        ensure!(HEAP.alloc(Layout::from_size_align_unchecked(600 * 1024, 4096)).is_null());
        ensure!(HEAP.alloc_zeroed(Layout::from_size_align_unchecked(600 * 1024, 8)).is_null());
    }
    ensure!(OOM_CALLS.load(SeqCst) == calls + 4);
    let after = listheap::stats();
    ensure!(after.failures == before.failures + 4);
    ensure!(after.used_bytes == before.used_bytes && after.live_blocks == before.live_blocks);
    ensure!(v.try_reserve(100).is_ok() && v.capacity() >= 100); // the heap still serves
    Ok(())
}

static TESTS: &[(&str, fn() -> Outcome)] = &[
    ("vec_growth", vec_growth),
    ("string_growth", string_growth),
    ("btreemap_growth", btreemap_growth),
    ("align_64", align_64),
    ("align_4096", align_4096),
    ("realloc_in_place", realloc_in_place),
    ("realloc_moved", realloc_moved),
    ("realloc_over_aligned", realloc_over_aligned),
    ("zeroed", zeroed),
    ("oom", oom),
];

static PASSED: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicUsize = AtomicUsize::new(0);
static EXPECT_ALLOC_ERROR: AtomicBool = AtomicBool::new(false);

fn record(name: &str, outcome: Outcome) {
    match outcome {
        Ok(()) => {
            bump(&PASSED);
            say!("ok      {}", name);
        }
        Err(why) => {
            bump(&FAILED);
            say!("FAILED  {}: {}", name, why);
        }
    }
}

/// Every test must leave the heap as it found it, and intact.
fn run(name: &str, test: fn() -> Outcome) {
    let before = listheap::stats();
    let mut outcome = test();
    let after = listheap::stats();
    if outcome.is_ok() && listheap::check().is_err() {
        outcome = Err("listheap_check() failed after the test");
    }
    if outcome.is_ok() && (after.live_blocks != before.live_blocks || after.used_bytes != before.used_bytes) {
        outcome = Err("the test left blocks behind");
    }
    record(name, outcome);
}

/// Statistics at the end of the suite: what the tests did shows in them.
fn final_statistics() -> Outcome {
    let s = listheap::stats();
    say!(
        "stats: {} allocations, {} frees, {} failures, {} faults, peak {} bytes, {} live, {} of {} bytes used",
        s.allocations, s.frees, s.failures, s.faults, s.peak_used_bytes, s.live_blocks, s.used_bytes, s.total_bytes
    );
    ensure!(listheap::check().is_ok());
    ensure!(s.live_blocks == 0 && s.used_bytes == 0 && s.free_blocks == 1);
    ensure!(s.allocations == s.frees && s.allocations > 500);
    ensure!(s.failures == 4 && OOM_CALLS.load(SeqCst) == 4 && s.faults == 0);
    ensure!(s.peak_used_bytes >= 5 * 4096 && s.used_bytes + s.free_bytes == s.total_bytes);
    ensure!(s.regions == 1 && s.total_bytes > 500 * 1024);
    Ok(())
}

fn summary() -> ! {
    let failed = FAILED.load(SeqCst);
    say!("rust_alloc: {} passed, {} failed", PASSED.load(SeqCst), failed);
    // SAFETY: newlib's exit; the status is the verdict (qemu/run.sh).
    unsafe { exit(failed as i32) }
}

#[no_mangle]
pub extern "C" fn main() -> i32 {
    for &(name, test) in TESTS {
        run(name, test);
    }
    record("final_statistics", final_statistics());
    // The allocation-error path: 1 MiB infallibly. Ends in the panic handler.
    EXPECT_ALLOC_ERROR.store(true, SeqCst);
    let v: Vec<u8> = Vec::with_capacity(1 << 20);
    EXPECT_ALLOC_ERROR.store(false, SeqCst);
    record("alloc_error_handler", Err("Vec::with_capacity(1 MiB) returned"));
    drop(v);
    summary()
}

/// The panic message, formatted without allocating.
struct Message {
    buf: [u8; 160],
    len: usize,
}
impl Write for Message {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
impl Message {
    fn contains(&self, word: &str) -> bool {
        self.buf[..self.len].windows(word.len()).any(|w| w == word.as_bytes())
    }
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    let mut m = Message { buf: [0; 160], len: 0 };
    let _ = write!(m, "{}", info);
    let text = core::str::from_utf8(&m.buf[..m.len]).unwrap_or("(message not UTF-8)");
    say!("panic: {}", text);
    if EXPECT_ALLOC_ERROR.load(SeqCst) {
        EXPECT_ALLOC_ERROR.store(false, SeqCst);
        let oom_hook_told = OOM_CALLS.load(SeqCst) == 5 && OOM_LAST.load(SeqCst) == 1 << 20;
        let outcome = if !m.contains("memory allocation of 1048576 bytes failed") {
            Err("the panic is not the allocation error of 1048576 bytes")
        } else if !oom_hook_told {
            Err("listheap_oom_hook was not told of the 1 MiB request")
        } else if listheap::check().is_err() {
            Err("listheap_check() failed")
        } else {
            Ok(())
        };
        record("alloc_error_handler", outcome);
    } else {
        bump(&FAILED);
    }
    summary()
}
