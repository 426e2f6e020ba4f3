//! The seed's Rust side (shared/seed: a C main on an STM32H750 calling a Rust no_std
//! staticlib), with listheap in place of alloc-cortex-m: `construct(heap, size)` hands a C
//! array to the heap, `heap_test` boxes "again,hello", `heap_free` drops the box. Then the
//! parts the seed did not have: Rust collections growing in the heap C and newlib use too.
//! rust/seed/main.c drives it (`make run-rust`).
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::panic::PanicInfo;

// The seed: `static ALLOCATOR: CortexMHeap = CortexMHeap::empty();`. listheap needs no
// `empty()`: until construct (or without it) it serves the linker script's heap.
#[global_allocator]
static ALLOCATOR: listheap::ListHeap = listheap::ListHeap;

/// The seed's `construct(begin, size)`: the C array becomes the heap. 0, or listheap's
/// negative status (the heap is then unchanged).
///
/// # Safety
/// `begin` points to `size` bytes that nothing else uses from now on.
#[no_mangle]
pub unsafe extern "C" fn construct(begin: *mut u8, size: usize) -> i32 {
    // SAFETY: the caller gives the array away for the rest of the program.
    let region = unsafe { core::slice::from_raw_parts_mut(begin, size) };
    match listheap::init(region) {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}

/// The seed's `heap_test`, second version: the box itself, given to C.
#[no_mangle]
pub extern "C" fn heap_test() -> *const u8 {
    let hello3 = Box::new(String::from("again,hello"));
    Box::into_raw(hello3) as *const u8
}

/// The seed's `heap_free`: the box comes back and is dropped, string and all.
///
/// # Safety
/// `ptr` is what `heap_test` returned, not freed yet.
#[no_mangle]
pub unsafe extern "C" fn heap_free(ptr: *mut u8) {
    // SAFETY: ptr is a Box<String> that heap_test leaked.
    let _boxed = unsafe { Box::from_raw(ptr as *mut String) };
}

/// Where a box's string bytes are: the seed's first `heap_test` printed these, its second
/// the box, and the seed wondered why the addresses differed.
///
/// # Safety
/// `ptr` is a live box from `heap_test`.
#[no_mangle]
pub unsafe extern "C" fn boxed_str(ptr: *const u8) -> *const u8 {
    // SAFETY: ptr is a live Box<String>.
    unsafe { (*(ptr as *const String)).as_ptr() }
}

/// What `rust_grow` left in the heap for C to look at; `rust_release` frees it.
#[repr(C)]
pub struct RustBlocks {
    /// the Vec<u32>'s buffer, its length and capacity
    pub vec: *mut u32,
    pub vec_len: usize,
    pub vec_cap: usize,
    /// how many times the Vec's buffer moved while it grew
    pub vec_moves: usize,
    /// the String's buffer, length and capacity
    pub string: *mut u8,
    pub string_len: usize,
    pub string_cap: usize,
}

/// Grow a Vec<u32> to `n` elements one push at a time and a String to a line per hundred
/// elements, in the heap C's malloc and newlib's printf use; keep both for C to find in the
/// heap map.
///
/// # Safety
/// `out` points to a writable RustBlocks.
#[no_mangle]
pub unsafe extern "C" fn rust_grow(n: u32, out: *mut RustBlocks) {
    let mut v: Vec<u32> = Vec::new();
    let mut s = String::new();
    let mut moves = 0;
    let mut last = v.as_ptr();
    for i in 0..n {
        v.push(i.wrapping_mul(2654435761));
        if v.as_ptr() != last {
            moves += 1;
            last = v.as_ptr();
        }
        if i % 100 == 0 {
            let _ = write!(s, "element {} is {:#010x}; ", i, v[i as usize]);
        }
    }
    let mut v = core::mem::ManuallyDrop::new(v);
    let mut s = core::mem::ManuallyDrop::new(s);
    // SAFETY: out is writable (the caller's contract).
    unsafe {
        *out = RustBlocks {
            vec: v.as_mut_ptr(),
            vec_len: v.len(),
            vec_cap: v.capacity(),
            vec_moves: moves,
            string: s.as_mut_ptr(),
            string_len: s.len(),
            string_cap: s.capacity(),
        };
    }
}

/// Check what `rust_grow` built (1 if intact) and drop it.
///
/// # Safety
/// `b` is what `rust_grow` filled, not released yet.
#[no_mangle]
pub unsafe extern "C" fn rust_release(b: *const RustBlocks) -> i32 {
    // SAFETY: the parts of a Vec and a String that rust_grow kept alive.
    let (v, s) = unsafe {
        let b = &*b;
        (
            Vec::from_raw_parts(b.vec, b.vec_len, b.vec_cap),
            String::from_raw_parts(b.string, b.string_len, b.string_cap),
        )
    };
    let intact = v.iter().enumerate().all(|(i, &x)| x == (i as u32).wrapping_mul(2654435761))
        && s.starts_with("element 0 is 0x00000000; element 100 is ");
    intact as i32
}

extern "C" {
    /// rust/seed/main.c: prints the panic and goes on with the next experiment; never returns.
    fn rust_panicked(msg: *const u8, len: usize) -> !;
}

/// A line of text on the stack: the panic message is formatted without allocating.
struct Line {
    buf: [u8; 128],
    len: usize,
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// The seed's firmware halted here ("panic: OOM"); this one hands the message to C.
#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    let mut line = Line { buf: [0; 128], len: 0 };
    let _ = write!(line, "{}", info);
    // SAFETY: the message lives on this frame, which is never left.
    unsafe { rust_panicked(line.buf.as_ptr(), line.len) }
}
