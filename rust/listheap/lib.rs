//! listheap as Rust's global allocator: one heap for C, newlib and Rust.
//!
//! A `no_std` binding of listheap's C API (`alloc/listheap.h`). The C library does the work;
//! this crate only maps Rust's [`GlobalAlloc`] calls onto it, so that `Box`, `Vec`, `String`
//! and `BTreeMap` allocate from the same heap as C's `malloc` and newlib's `printf` buffers,
//! with one set of statistics, one [`check`] and one heap map ([`blocks`], [`walk`]).
//!
//! ```ignore
//! #[global_allocator]
//! static HEAP: listheap::ListHeap = listheap::ListHeap;
//! ```
//!
//! Link the firmware with `liblistheap.a` of the matching CPU and float ABI (rust/README.md).
//!
//! How each call maps (alignment 8 is `LISTHEAP_ALIGNMENT`, what malloc guarantees):
//!
//! | `GlobalAlloc`  | align <= 8                 | align > 8                                   |
//! |----------------|----------------------------|---------------------------------------------|
//! | `alloc`        | `listheap_malloc`          | `listheap_memalign`                         |
//! | `alloc_zeroed` | `listheap_calloc`          | `listheap_memalign`, then zeroed            |
//! | `dealloc`      | `listheap_free`            | `listheap_free`                             |
//! | `realloc`      | `listheap_realloc`: in place into a free neighbour when it can, else moved | in place when the block already holds `new_size` (a shrink gives the tail back), else `listheap_memalign` + copy + free |
//!
//! An over-aligned block is never grown through `listheap_realloc`: it may move the payload
//! (down into a free predecessor, or to a fresh block) and a moved payload keeps only 8-byte
//! alignment, with the old block already gone. Shrinking is safe: listheap shrinks in place,
//! always (`resize_in_place` in alloc/listheap.c).
//!
//! Allocation failure: listheap calls its `listheap_oom_hook(request)` (C's weak default, or
//! a `#[no_mangle] extern "C" fn listheap_oom_hook(request: usize)` of yours), then the
//! `GlobalAlloc` call returns null. Fallible APIs (`Vec::try_reserve`, `Box::try_new`) report
//! the error; every other allocation goes to Rust's allocation-error handler. Rust 1.63 has no
//! default handler for `no_std`: with the feature `alloc-error-handler` (on in this
//! repository's build) this crate registers [`alloc_error`], which panics with
//! "memory allocation of N bytes failed", std's wording; your `#[panic_handler]` decides what
//! then happens. Leave the feature off to register your own `#[alloc_error_handler]`, or on
//! Rust 1.68 and later, whose default handler does the same as this one.
#![no_std]
#![cfg_attr(feature = "alloc-error-handler", feature(alloc_error_handler))]
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;
use core::fmt;
use core::ptr;

/// The alignment of every pointer `listheap_malloc` returns (`LISTHEAP_ALIGNMENT`).
pub const MALLOC_ALIGN: usize = 8;
/// Bytes of header in front of every allocated payload (`LISTHEAP_OVERHEAD`): a [`Block`]'s
/// `size` plus this is the whole block.
pub const HEADER: usize = core::mem::size_of::<usize>();

mod ffi {
    use core::ffi::c_void;

    pub type Visitor = unsafe extern "C" fn(ctx: *mut c_void, payload: *mut c_void, size: usize, used: i32);

    extern "C" {
        pub fn listheap_init(start: *mut c_void, size: usize) -> i32;
        pub fn listheap_add_region(start: *mut c_void, size: usize) -> i32;
        pub fn listheap_malloc(size: usize) -> *mut c_void;
        pub fn listheap_free(ptr: *mut c_void);
        pub fn listheap_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
        pub fn listheap_calloc(count: usize, size: usize) -> *mut c_void;
        pub fn listheap_memalign(alignment: usize, size: usize) -> *mut c_void;
        pub fn listheap_usable_size(ptr: *const c_void) -> usize;
        pub fn listheap_get_stats(stats: *mut super::Stats);
        pub fn listheap_reset_peak();
        pub fn listheap_check() -> i32;
        pub fn listheap_walk(visit: Visitor, ctx: *mut c_void);
    }
}

/// listheap's statistics (`struct listheap_stats` of alloc/listheap.h, field for field, so
/// listheap_get_stats fills it directly): the whole heap, C and Rust alike.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes of all blocks in all regions, headers included.
    pub total_bytes: usize,
    /// Of which in allocated blocks.
    pub used_bytes: usize,
    /// Of which in free blocks; `used_bytes + free_bytes == total_bytes`.
    pub free_bytes: usize,
    /// High-water mark of `used_bytes` (see [`reset_peak`]).
    pub peak_used_bytes: usize,
    /// The largest request (align <= 8) guaranteed to succeed now.
    pub largest_free_block: usize,
    /// Number of free blocks.
    pub free_blocks: usize,
    /// Number of allocated blocks.
    pub live_blocks: usize,
    /// Successful calls that handed out a new block.
    pub allocations: usize,
    /// Blocks given back.
    pub frees: usize,
    /// Allocation calls that failed for want of memory.
    pub failures: usize,
    /// Calls that reported `listheap_fault_hook` (bad pointer or heap damage).
    pub faults: usize,
    /// Regions in use.
    pub regions: usize,
}

/// The statistics of the heap now (`listheap_get_stats`).
pub fn stats() -> Stats {
    let mut s = Stats::default();
    // SAFETY: listheap_get_stats writes one struct listheap_stats, which Stats mirrors.
    unsafe { ffi::listheap_get_stats(&mut s) };
    s
}

/// Restart the high-water mark from the current `used_bytes` (`listheap_reset_peak`).
pub fn reset_peak() {
    // SAFETY: no arguments; takes the heap's lock.
    unsafe { ffi::listheap_reset_peak() }
}

/// Why [`init`] or [`add_region`] refused a region (`enum listheap_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// After alignment trimming there is no room for one block.
    TooSmall,
    /// [`init`] while blocks are live: the heap is unchanged.
    Busy,
    /// The region overlaps one already added.
    Overlap,
    /// `LISTHEAP_MAX_REGIONS` regions are in use already.
    Full,
    /// Any other status code of the C library.
    Other(i32),
}

impl RegionError {
    fn from_status(status: i32) -> Result<(), RegionError> {
        match status {
            0 => Ok(()),
            -2 => Err(RegionError::TooSmall),
            -3 => Err(RegionError::Busy),
            -4 => Err(RegionError::Overlap),
            -5 => Err(RegionError::Full),
            other => Err(RegionError::Other(other)),
        }
    }

    /// The C status code (`LISTHEAP_E_*`, negative).
    pub fn code(self) -> i32 {
        match self {
            RegionError::TooSmall => -2,
            RegionError::Busy => -3,
            RegionError::Overlap => -4,
            RegionError::Full => -5,
            RegionError::Other(code) => code,
        }
    }
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "listheap refused the region ({:?}, status {})", self, self.code())
    }
}

/// Make `region` the whole heap (`listheap_init`): the seed's `construct(begin, size)`.
///
/// The region is given away for good (`&'static mut`): from here on only the allocator
/// touches it. With blocks live (C's or Rust's) it returns [`RegionError::Busy`] and the heap
/// keeps what it had; the region is then unused. Without a call to `init`, listheap takes the
/// linker script's heap (`__heap_start`/`__heap_end`) at the first allocation.
pub fn init(region: &'static mut [u8]) -> Result<(), RegionError> {
    // SAFETY: the region is exclusively ours for the rest of the program.
    RegionError::from_status(unsafe { ffi::listheap_init(region.as_mut_ptr().cast(), region.len()) })
}

/// Add a further, non-overlapping region to the heap (`listheap_add_region`), at any time.
pub fn add_region(region: &'static mut [u8]) -> Result<(), RegionError> {
    // SAFETY: as for init.
    RegionError::from_status(unsafe {
        ffi::listheap_add_region(region.as_mut_ptr().cast(), region.len())
    })
}

/// `listheap_check()` found the heap damaged; `code` is its `LISTHEAP_E_*` finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckError {
    /// The finding, e.g. -22 for `LISTHEAP_E_BAD_TAG` (alloc/listheap.h lists them).
    pub code: i32,
}

/// Verify every invariant of every region and free list (`listheap_check`), O(blocks).
pub fn check() -> Result<(), CheckError> {
    // SAFETY: read-only walk under the heap's lock.
    match unsafe { ffi::listheap_check() } {
        0 => Ok(()),
        code => Err(CheckError { code }),
    }
}

/// One block of the heap map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// The payload address (what malloc returned for it, or would).
    pub addr: usize,
    /// Bytes from the payload to the end of the block.
    pub size: usize,
    /// Allocated (true) or free.
    pub used: bool,
}

impl Block {
    const EMPTY: Block = Block { addr: 0, size: 0, used: false };
}

struct Collector<'a> {
    out: &'a mut [Block],
    count: usize,
}

unsafe extern "C" fn collect(ctx: *mut c_void, payload: *mut c_void, size: usize, used: i32) {
    // SAFETY: ctx is the &mut Collector that blocks() passed to listheap_walk.
    let c = unsafe { &mut *ctx.cast::<Collector<'_>>() };
    if let Some(slot) = c.out.get_mut(c.count) {
        *slot = Block { addr: payload as usize, size, used: used != 0 };
    }
    c.count += 1;
}

/// The heap map, in address order: fills `out` with the first blocks and returns how many
/// blocks the heap has (more than `out.len()` when `out` was too short). Allocates nothing.
pub fn blocks(out: &mut [Block]) -> usize {
    for b in out.iter_mut() {
        *b = Block::EMPTY;
    }
    let mut c = Collector { out, count: 0 };
    // SAFETY: collect only writes into the Collector, which outlives the call.
    unsafe { ffi::listheap_walk(collect, (&mut c as *mut Collector<'_>).cast()) };
    c.count
}

unsafe extern "C" fn visit_with<F: FnMut(Block)>(ctx: *mut c_void, payload: *mut c_void, size: usize, used: i32) {
    // SAFETY: ctx is the &mut F that walk() passed to listheap_walk.
    let f = unsafe { &mut *ctx.cast::<F>() };
    f(Block { addr: payload as usize, size, used: used != 0 });
}

/// Call `visit` for every block in address order (`listheap_walk`).
///
/// # Safety
/// `visit` runs under the heap's lock, in the middle of the walk: it must not allocate or free
/// (no `Box`, `Vec`, `String`, `format!`, C `malloc` or `printf` that may allocate).
/// [`blocks`] is the safe alternative.
pub unsafe fn walk<F: FnMut(Block)>(mut visit: F) {
    // SAFETY: visit_with::<F> is called with &mut visit, alive for the whole call.
    unsafe { ffi::listheap_walk(visit_with::<F>, (&mut visit as *mut F).cast()) }
}

/// Bytes usable at `ptr`, a live block of this heap (`listheap_usable_size`); 0 for a
/// pointer listheap does not own (which it also reports to its fault hook).
pub fn usable_size(ptr: *const u8) -> usize {
    // SAFETY: listheap validates the pointer before reading anything through it.
    unsafe { ffi::listheap_usable_size(ptr.cast()) }
}

/// Rust's global allocator on listheap. A unit struct: the heap is listheap's one global
/// heap, shared with C. Thread and interrupt safety are those of the linked library
/// (`liblistheap.a`: newlib's `__malloc_lock`; `liblistheap_irq.a`: PRIMASK).
pub struct ListHeap;

impl ListHeap {
    /// Over-aligned realloc: in place when the block already holds `new_size`, else a new
    /// aligned block, the copy, and the old block freed.
    unsafe fn realloc_aligned(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let mut ptr = ptr;
        if new_size <= usable_size(ptr) {
            // A shrink (or a grow into the block's own slack) is done in place by listheap:
            // the pointer, so the alignment, stays. The tail beyond new_size goes back.
            // SAFETY: ptr is a live block of this heap (GlobalAlloc::realloc's contract).
            let same = unsafe { ffi::listheap_realloc(ptr.cast(), new_size) }.cast::<u8>();
            if same == ptr {
                return same;
            }
            if same.is_null() {
                return same; // refused (a damaged heap): the old block is untouched
            }
            // Not listheap's documented behaviour for a shrink; should it ever move the block,
            // the alignment is no longer promised: move it once more, to an aligned place.
            if same as usize % layout.align() == 0 {
                return same;
            }
            ptr = same;
        }
        // SAFETY: new_size > 0 and align a power of two (Layout's invariants).
        let fresh = unsafe { ffi::listheap_memalign(layout.align(), new_size) }.cast::<u8>();
        if !fresh.is_null() {
            // SAFETY: both are live and distinct blocks of at least the copied length.
            unsafe {
                ptr::copy_nonoverlapping(ptr, fresh, layout.size().min(new_size));
                ffi::listheap_free(ptr.cast());
            }
        }
        fresh
    }
}

// SAFETY: every block comes from listheap, which hands out disjoint blocks of at least the
// requested size at (at least) the requested alignment, and frees only what it handed out.
unsafe impl GlobalAlloc for ListHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain calls into the C allocator; layout.size() > 0 by contract.
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                ffi::listheap_malloc(layout.size()).cast()
            } else {
                ffi::listheap_memalign(layout.align(), layout.size()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: as alloc; calloc zeroes the payload outside the heap's lock.
            return unsafe { ffi::listheap_calloc(1, layout.size()) }.cast();
        }
        // SAFETY: as alloc.
        let p = unsafe { self.alloc(layout) };
        if !p.is_null() {
            // SAFETY: p holds layout.size() bytes.
            unsafe { ptr::write_bytes(p, 0, layout.size()) };
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: ptr came from this allocator (GlobalAlloc's contract).
        unsafe { ffi::listheap_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: ptr came from this allocator and new_size > 0 (GlobalAlloc's contract);
            // wherever listheap puts the payload it is 8-aligned.
            unsafe { ffi::listheap_realloc(ptr.cast(), new_size) }.cast()
        } else {
            // SAFETY: as above.
            unsafe { self.realloc_aligned(ptr, layout, new_size) }
        }
    }
}

/// Rust's allocation-error path: panics with "memory allocation of N bytes failed" (std's
/// wording). listheap's OOM hook has already been told. Registered as the
/// `#[alloc_error_handler]` when the feature `alloc-error-handler` is on.
pub fn alloc_error(layout: Layout) -> ! {
    panic!("memory allocation of {} bytes failed", layout.size())
}

#[cfg(feature = "alloc-error-handler")]
#[alloc_error_handler]
fn on_alloc_error(layout: Layout) -> ! {
    alloc_error(layout)
}
