#!/usr/bin/env python3
"""Write the seed corpus of fuzz_heap.c into test/fuzz/corpus/ (one small file per scenario).

Each seed is built with the encoder below, which mirrors the INPUT FORMAT comment at the top of
fuzz_heap.c: keep the two in step. Every operation kind and every misuse kind appears in at
least one seed. Run from anywhere:  python3 test/fuzz/make_corpus.py  (rewrites the directory).
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
ARENA = 256 * 1024

# index of the first OP_TABLE entry of each operation (fuzz_heap.c)
OP = {
    "malloc": 0, "calloc": 5, "realloc": 7, "realloc_null": 11, "memalign": 12, "free": 15,
    "usable": 20, "largest": 21, "huge": 22, "foreign": 23, "misaligned_live": 24,
    "misaligned_region": 25, "stale": 26, "init_busy": 28, "add_region": 29, "nulls": 30,
    "reset_peak": 31, "corrupt": 4, "bad_free": 19,
}
W = 8  # sizeof(size_t) of the host the fuzzer runs on


def u16(n):
    return list(struct.pack("<H", n))


def u24(n):
    return list(struct.pack("<I", n)[:3])


# ---- SIZE
def s_small(n):       # 0..31
    assert 0 <= n < 32
    return [n]


def s_u8(n):
    return [0x20, n]


def s_u16(n):
    return [0x60] + u16(n)


def s_u24(n):
    return [0x80] + u24(n)


def s_max_minus(k):   # SIZE_MAX - k
    return [0xA0 | k]


def s_half(k):        # k < 16: SIZE_MAX / 2 - 8 + k; else 2^(32 + (k & 15))
    return [0xC0 | k]


def s_largest(d):     # stats.largest_free_block + d, d in -16..15
    return [0xE0 | (d + 16)]


def size(n):
    if n < 32:
        return s_small(n)
    if n < 256:
        return s_u8(n)
    if n < 65536:
        return s_u16(n)
    return s_u24(n)


# ---- ALIGN
def a_pow(k):         # 2^k
    if k <= 12:
        return [k]
    return [0xB0 + (k - 13)]


def a_bad(i):         # i-th non-power of two of the table (0 is alignment 0)
    return [0xE0 + i]


# ---- VALUE (corruption ops): a word written over a header, tag, link or payload word
def v_small(n):       # n itself, 0..31 (0, 1, flag bits, tiny sizes)
    assert 0 <= n < 32
    return [n]


def v_max_minus(k):   # SIZE_MAX - k
    return [0x20 | k]


def v_rel(k):         # the current value + 8k (k = -16..-1, 1..16), flags kept
    assert 1 <= abs(k) <= 16
    return [0x40 | (0x10 if k < 0 else 0) | (abs(k) - 1)]


def v_to_end(past=0, flags=0):   # the distance to the region's end marker + 8 * past
    return [0x60 | past | flags << 2]


def v_to_later(j, flags=0):      # the distance to the j-th later block header
    return [0x80 | flags, j]


def v_u16(n):
    return [0xA0] + u16(n)


def v_word(n):        # any W-byte word
    return [0xE0] + list(struct.pack("<Q", n % (1 << 64)))


# ---- link targets (corrupt link / forged node): kind, then its bytes
def t_null():
    return 0, [0]


def t_outside(off):   # arena bytes outside every region (else a static buffer)
    return 1, [0] + u24(off)


def t_past_end(k=0):  # 8 * (1 + k) bytes past the end marker
    return 2, [k]


def t_self():
    return 3, [0]


def t_live(i, step):  # the header of held block i (step 0) or 8 * step bytes into it
    return 4, [i, step]


def t_free(j):        # the j-th free block
    return 5, [j]


def t_end_marker():
    return 6, [1]


def t_gap(k=0):       # the arena between two regions
    return 7, [k]


# ---- corruption ops (the first switches the input to post-corruption mode)
def c_overflow(i, n, data=None, value=None):   # n bytes past held block i's usable size
    if value is not None:
        return op("corrupt", 0, [i], [n - 1], [0x80], value)
    assert len(data) >= n
    return op("corrupt", 0, [i], [n - 1], [0], list(data[:n]))


def c_live_header(i, value):
    return op("corrupt", 1, [i], value)


def c_free_header(k, value):  # k-th free block, or k - free blocks: that region's end marker
    return op("corrupt", 2, [k], value)


def c_word(region, index, value):   # the index-th word from the region's first block
    return op("corrupt", 3, [region], u24(index), value)


def c_tag(k, value):
    return op("corrupt", 4, [k], value)


def c_link(k, prev, target, raw=False):   # k-th free block's next (or prev) := target
    kind, args = target
    sel = (1 if prev else 0) | (2 if raw else 0) | kind << 2
    return op("corrupt", 5, [k], [sel], args)


def c_link_word(k, prev, value):           # ... := a VALUE word as it is
    return op("corrupt", 5, [k], [(1 if prev else 0) | 0x20], value)


def c_forge(i, k, from_prev, step, size_value, nxt, prv):
    """Forge a free node 8 * step bytes into held block i, its header size_value, its links
    nxt and prv (targets); then free block k's next (or prev) link points at it."""
    sel = (1 if from_prev else 0) | nxt[0] << 1 | prv[0] << 4
    return op("corrupt", 6, [i], [k], [sel], [step], size_value, nxt[1], prv[1])


def c_flip(region, off, mask):
    return op("corrupt", 7, [region], u24(off), [mask])


HOW = {"free": 0, "realloc": 1, "usable": 2, "realloc0": 3}


def c_interior(how, i, step, header=None, realloc_size=None):
    """free/realloc/usable_size of held block i + 8 * (1 + step); header: a VALUE written in
    the word before it first."""
    out = op("bad_free", HOW[how], [i], [step | (0x80 if header else 0)])
    out += header or []
    return out + (realloc_size or [])


def c_double(how, back=0, realloc_size=None):   # the back-th newest pointer given back
    return op("bad_free", 4 + HOW[how], [back], [0]) + (realloc_size or [])


# ops whose bytes differ after corruption
def p_realloc(i, n):
    return op("realloc", 0, [i], size(n))


# ---- region specs: (mode, offset, size fields)
def region(mode, off, *fields):
    m = mode | ((off >> 16) & 3) << 3
    out = [m] + u16(off & 0xFFFF)
    for f in fields:
        out += f
    return out


def r_tiny(off, n):   # size n % 64
    return region(0, off, [n])


def r_u8(off, n):
    return region(1, off, [n])


def r_u16(off, n):
    return region(3, off, u16(n))


def r_u24(off, n):
    return region(4, off, u24(n))


def r_overlap(off_in, n, which=0):   # start inside an earlier region, at off_in % its size
    return region(5, off_in, u16(n), [which])


def r_adjacent(gap, n, which=0):     # start gap (0..15) bytes after an earlier region's end
    return region(6, gap, u16(n), [which])


def r_rest(off):
    return region(7, off)


def header(nregions, add_null=False, wrap=None, init_null=False):
    h = (nregions - 1) & 3
    if add_null:
        h |= 0x04
    if wrap is not None:
        h |= 0x08 | (wrap << 5)
    if init_null:
        h |= 0x10
    return [h]


def op(name, variant=0, *args):
    out = [OP[name] | (variant << 5)]
    for a in args:
        out += a
    return out


def seq(*parts):
    out = []
    for p in parts:
        out += p
    return bytes(out)


def one_region(off=0, n=65536):
    return header(1) + r_u16(off, n) if n < 65536 else header(1) + r_u24(off, n)


SEEDS = {}

# ---- each operation kind
SEEDS["op_malloc_free"] = seq(
    one_region(3, 65536),
    op("malloc", 0, size(0)), op("malloc", 0, size(1)), op("malloc", 0, size(24)),
    op("malloc", 0, size(100)), op("malloc", 0, size(1000)), op("malloc", 0, size(5000)),
    op("free", 0, [1]), op("free", 0, [3]), op("malloc", 0, size(7)), op("free", 0, [0]),
    op("free", 0, [0]), op("free", 0, [0]))
SEEDS["op_calloc_variants"] = seq(
    one_region(0, 32768),
    op("calloc", 0, size(40)), op("calloc", 1, size(13)), op("calloc", 2, [5], size(24)),
    op("calloc", 3, size(9), [0]), op("calloc", 3, size(9), [1]), op("calloc", 7, size(3), size(77)),
    op("calloc", 4, [1]), op("calloc", 5, [0]), op("calloc", 5, [1]), op("calloc", 6, [3]),
    op("free", 0, [0]), op("calloc", 0, size(200)))
SEEDS["op_realloc_grow_shrink"] = seq(
    one_region(5, 20000),
    op("malloc", 0, size(40)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    op("realloc", 0, [0], [200], size(100)),     # grow (maybe in place)
    op("realloc", 0, [0], [7]),                  # shrink to 7 % (size + 1)
    op("realloc", 0, [1], [100]),                # around the usable size
    op("free", 0, [2]),
    op("realloc", 0, [0], [255], size(3000)),    # move
    op("realloc", 0, [0], [0]),                  # realloc(p, 0)
    op("realloc", 0, [0], [130], size(1)))
SEEDS["op_realloc_null"] = seq(
    one_region(0, 4096),
    op("realloc_null", 0, size(10)), op("realloc_null", 0, size(300)),
    op("realloc_null", 0, s_max_minus(0)), op("realloc_null", 0, size(5000)))
SEEDS["op_memalign_powers"] = seq(
    one_region(1, 65536),
    *[op("memalign", 0, a_pow(k), size(10 + 7 * k)) for k in range(0, 13)],
    op("memalign", 0, a_pow(14), size(8)), op("memalign", 0, a_pow(20), size(8)),
    op("memalign", 0, a_pow(62), size(8)), op("memalign", 0, a_pow(63), size(8)),
    op("free", 0, [3]), op("free", 0, [5]), op("memalign", 0, a_pow(6), size(40)))
SEEDS["op_memalign_bad_alignment"] = seq(
    one_region(0, 8192),
    op("malloc", 0, size(16)),
    *[op("memalign", 0, a_bad(i), size(16)) for i in range(0, 32, 3)])
SEEDS["op_usable_size"] = seq(
    one_region(2, 4096),
    op("malloc", 0, size(1)), op("usable", 0, [0]), op("malloc", 0, size(99)), op("usable", 0, [1]),
    op("realloc", 0, [1], [120]), op("usable", 0, [1]))
SEEDS["op_largest"] = seq(
    one_region(7, 30000),
    op("largest", 0), op("free", 0, [0]), op("largest", 1), op("free", 0, [0]),
    op("malloc", 0, size(100)), op("largest", 2), op("largest", 3),
    op("malloc", 0, s_largest(0)), op("malloc", 0, s_largest(1)), op("malloc", 0, s_largest(-8)))
SEEDS["op_huge_must_fail"] = seq(
    one_region(0, 16384),
    op("malloc", 0, size(50)),
    *[op("huge", v, [k]) for v in range(8) for k in (0, 200)],
    op("malloc", 0, s_max_minus(0)), op("malloc", 0, s_max_minus(7)), op("malloc", 0, s_half(3)),
    op("malloc", 0, s_half(20)), op("malloc", 0, s_u24(300000)))
SEEDS["op_nulls_reset_peak"] = seq(
    one_region(0, 8192),
    op("nulls", 0, [0]), op("nulls", 1, [0]), op("malloc", 0, size(500)),
    op("malloc", 0, size(20)), op("reset_peak"), op("nulls", 2, [0]), op("reset_peak"),
    op("nulls", 3, [0]))

# ---- each misuse kind, through each of free / realloc(p, 16) / usable_size / realloc(p, 0)
SEEDS["misuse_double_free"] = seq(
    one_region(0, 8192),
    op("malloc", 0, size(24)), op("malloc", 0, size(24)), op("malloc", 0, size(24)),
    op("free", 0, [1]), op("stale", 0, [0]),          # header says free, no neighbour free
    op("free", 0, [0]), op("stale", 0, [0]),          # merged with the free block after it
    op("stale", 1, [0]), op("stale", 2, [0]), op("stale", 3, [0]))
SEEDS["misuse_double_free_merged"] = seq(
    one_region(0, 8192),
    op("malloc", 0, size(40)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    op("malloc", 0, size(40)),
    # slots [a b c d]: free a (d moves into slot 0), then b, which merges into free a
    op("free", 0, [0]), op("free", 0, [1]), op("stale", 0, [0]), op("stale", 2, [0]),
    op("stale", 1, [0]), op("stale", 3, [0]))
SEEDS["misuse_stale_after_realloc_move"] = seq(
    one_region(0, 8192),
    op("malloc", 0, size(32)), op("malloc", 0, size(32)),
    op("realloc", 0, [0], [200], size(2000)),   # moves: the old pointer is freed
    op("stale", 0, [0]), op("stale", 1, [0]), op("nulls", 2, [0]), op("stale", 3, [0]))
SEEDS["misuse_stale_without_freed"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(64)), op("malloc", 0, size(64)),
    op("stale", 0, [1]), op("stale", 2, [0]))
SEEDS["misuse_foreign"] = seq(
    header(2) + r_u16(1000, 5000) + r_u16(20000, 3000),
    op("malloc", 0, size(10)),
    *[op("foreign", v, [17 * v + 3]) for v in range(4)],
    *[op("foreign", v, [v], u24(10000 + 1000 * v)) for v in range(4, 8)],
    op("foreign", 4, [5], u24(1500)))                 # lands in a region: the static buffer
SEEDS["misuse_misaligned_live"] = seq(
    one_region(0, 8192),
    op("malloc", 0, size(50)), op("malloc", 0, size(3)),
    *[op("misaligned_live", v & 3, [v & 1], [v]) for v in range(7)],
    op("misaligned_live", 3, [1], [6]))
SEEDS["misuse_misaligned_region"] = seq(
    header(2) + r_u16(9, 3000) + r_u8(5000, 200),
    op("malloc", 0, size(100)),
    *[op("misaligned_region", v, [v], u24(37 * v + 1)) for v in range(4)],
    op("misaligned_region", 0, [1], u24(180)))
SEEDS["misuse_init_busy"] = seq(
    one_region(0, 8192),
    op("malloc", 0, size(10)),
    op("init_busy", 0, r_u16(100, 4000)),             # valid region: E_BUSY
    op("init_busy", 1, r_u16(100, 4000)),             # NULL start
    op("init_busy", 0, r_tiny(9000, 10)),             # too small and busy
    op("init_busy", 0, r_overlap(10, 2000)),          # over the live heap itself
    op("free", 0, [0]), op("init_busy", 0, r_u16(100, 4000)))  # no live block: skipped

# ---- regions
SEEDS["layout_too_small_first"] = seq(
    header(3) + r_tiny(3, 20) + r_tiny(100, 45) + r_u16(200, 3000),
    op("malloc", 0, size(20)), op("free", 0, [0]))
SEEDS["layout_limit_sizes"] = seq(
    header(4) + r_tiny(1, 40) + r_tiny(101, 47) + r_tiny(203, 55) + r_u8(307, 63),
    op("malloc", 0, size(1)), op("malloc", 0, size(1)))
SEEDS["layout_four_misaligned"] = seq(
    header(4) + r_u16(40001, 20000) + r_u16(7, 5003) + r_u16(70002, 1200) + r_u24(100003, 90000),
    op("malloc", 0, size(3000)), op("malloc", 0, size(60000)), op("malloc", 0, size(900)),
    op("memalign", 0, a_pow(9), size(100)), op("free", 0, [1]), op("largest", 0))
SEEDS["layout_overlap_adjacent"] = seq(
    header(4) + r_u16(1000, 4000) + r_overlap(100, 3000) + r_adjacent(0, 2000) +
    r_adjacent(3, 500, 1),
    op("malloc", 0, size(3000)), op("malloc", 0, size(1900)))
SEEDS["layout_probes"] = seq(
    header(1, add_null=True, wrap=3, init_null=True) + r_u16(5, 2048),
    op("malloc", 0, size(100)))
SEEDS["layout_whole_arena"] = seq(
    header(1) + r_rest(0),
    op("malloc", 0, s_u24(200000)), op("calloc", 0, size(30000)), op("largest", 0),
    op("free", 0, [0]), op("realloc", 0, [0], [200], s_u24(100000)))
SEEDS["layout_nothing_usable"] = seq(
    header(2) + r_tiny(0, 5) + r_tiny(64, 0),
    op("malloc", 0, size(10)))
SEEDS["add_region_while_live"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(3000)),
    op("add_region", 0, r_u16(10001, 3000)),
    op("add_region", 0, r_overlap(50, 1000)),         # overlaps: E_OVERLAP
    op("add_region", 0, r_tiny(20000, 30)),           # too small
    op("add_region", 0, r_adjacent(0, 1000, 1)),      # touching the second one
    op("malloc", 0, size(2500)), op("malloc", 0, size(900)))
SEEDS["add_region_until_full"] = seq(
    one_region(0, 1000),
    *[op("add_region", 0, r_u16(4000 * (i + 1) + i, 1500)) for i in range(8)],
    op("malloc", 0, size(1400)), op("malloc", 0, size(1400)))

# ---- workloads
SEEDS["tiny_heap_exhaustion"] = seq(
    header(1) + r_u8(3, 150),
    *[op("malloc", 0, size(8)) for _ in range(8)],
    op("free", 0, [2]), op("malloc", 0, size(16)), op("free", 0, [0]), op("free", 0, [0]),
    op("memalign", 0, a_pow(5), size(8)))
SEEDS["fragmentation_churn"] = seq(
    one_region(5, 2048),
    *[op("malloc", 0, size(16 + 8 * (i % 5))) for i in range(20)],
    *[op("free", 0, [i]) for i in range(0, 10)],
    *[op("malloc", 0, size(40)) for _ in range(6)],
    op("realloc", 0, [3], [200], size(300)), op("largest", 0))
SEEDS["mixed_everything"] = seq(
    header(2) + r_u16(3, 30000) + r_u16(40005, 10000),
    op("malloc", 0, size(64)), op("calloc", 2, [4], size(50)), op("memalign", 0, a_pow(7), size(33)),
    op("realloc", 0, [0], [150], size(400)), op("free", 0, [1]), op("stale", 1, [0]),
    op("foreign", 1, [9]), op("misaligned_live", 2, [0], [3]), op("misaligned_region", 0, [0], u24(5000)),
    op("init_busy", 0, r_u16(60000, 9000)), op("add_region", 0, r_u16(60000, 9000)),
    op("huge", 6, [1]), op("usable", 0, [1]), op("largest", 3), op("reset_peak"),
    op("nulls", 2, [1]), op("realloc_null", 0, size(12)))


# ---- corruption: each kind, then the calls that would follow it (post-corruption mode)
def five_blocks_two_free():
    """One 8 KiB region, blocks a b c d e of 40 bytes, b and d freed: free blocks (in address
    order) 0 = b, 1 = d, 2 = the tail; both of 48 bytes on one list (d -> b)."""
    return (one_region(0, 8192) + [x for _ in range(5) for x in op("malloc", 0, size(40))] +
            op("free", 0, [1]) + op("free", 0, [2]))


# The pre-hardening failure: one word past a block into the free block after it, a plausible
# size (+128), then malloc splits that block and writes its tag past the region's end.
SEEDS["corrupt_overflow_free_header"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(24)), c_overflow(0, 8, value=v_rel(16)), op("malloc", 0, size(100)),
    op("malloc", 0, size(100)), op("free", 0, [1]))
SEEDS["corrupt_overflow_bytes"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(24)), op("malloc", 0, size(24)), op("malloc", 0, size(24)),
    c_overflow(0, 40, data=[0xFF] * 40), op("free", 0, [0]), op("free", 0, [0]),
    op("malloc", 0, size(24)), c_overflow(0, 64, data=bytes(range(64))), op("free", 0, [0]),
    op("malloc", 0, size(8)), op("malloc", 0, size(8)))
SEEDS["corrupt_header_live_extreme"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(40)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    c_live_header(0, v_small(0)), op("usable", 0, [0]), op("free", 0, [0]),
    c_live_header(0, v_small(1)), p_realloc(0, 500), c_live_header(0, v_max_minus(0)),
    op("free", 0, [0]), c_live_header(0, v_max_minus(1)), op("usable", 0, [0]),
    op("free", 0, [0]), op("malloc", 0, size(64)))
SEEDS["corrupt_header_live_plausible"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(40)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    c_live_header(0, v_to_end(0, 1)), p_realloc(0, 3000), c_live_header(1, v_to_later(1, 1)),
    op("free", 0, [1]), op("malloc", 0, size(40)), c_live_header(0, v_rel(2)),
    op("free", 0, [0]), op("malloc", 0, size(200)))
SEEDS["corrupt_header_free"] = seq(
    five_blocks_two_free(),
    c_free_header(0, v_to_end()), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    c_free_header(1, v_max_minus(7)), op("free", 0, [0]), op("free", 0, [0]),
    op("malloc", 0, size(3000)))
SEEDS["corrupt_end_marker"] = seq(
    one_region(0, 2048),
    op("malloc", 0, size(100)), c_free_header(1, v_small(0)), op("free", 0, [0]),
    op("malloc", 0, size(1900)), op("malloc", 0, size(10)))
SEEDS["corrupt_word_anywhere"] = seq(
    header(2) + r_u16(3, 3000) + r_u16(10000, 3000),
    op("malloc", 0, size(64)), op("malloc", 0, size(64)), op("free", 0, [0]),
    c_word(0, 9, v_rel(-3)), c_word(1, 0, v_to_later(0)), c_word(0, 17, v_word(1)),
    op("malloc", 0, size(64)), op("malloc", 0, size(2500)), op("free", 0, [0]),
    op("free", 0, [0]))
SEEDS["corrupt_tag_free"] = seq(
    five_blocks_two_free(),
    c_tag(0, v_rel(-2)), op("free", 0, [1]), c_tag(1, v_max_minus(0)), op("free", 0, [1]),
    c_tag(0, v_u16(0x1000)), op("free", 0, [0]), op("malloc", 0, size(40)))
SEEDS["corrupt_link_outside"] = seq(
    five_blocks_two_free(),
    c_link(1, False, t_outside(200000)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    op("malloc", 0, size(40)))
SEEDS["corrupt_link_outside_raw"] = seq(
    five_blocks_two_free(),
    c_link(0, True, t_outside(150000), raw=True), op("free", 0, [0]), op("malloc", 0, size(40)),
    op("malloc", 0, size(40)))
SEEDS["corrupt_link_gap"] = seq(
    header(2) + r_u16(0, 2048) + r_u16(8192, 2048),
    op("malloc", 0, size(40)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    op("free", 0, [0]), c_link(0, False, t_gap()), op("malloc", 0, size(40)),
    op("malloc", 0, size(40)), op("free", 0, [0]))
SEEDS["corrupt_link_self"] = seq(
    five_blocks_two_free(),
    c_link(1, False, t_self()), c_link(1, True, t_self()), op("malloc", 0, size(40)),
    op("malloc", 0, size(40)), op("malloc", 0, size(40)), op("free", 0, [2]))
SEEDS["corrupt_link_past_end"] = seq(
    five_blocks_two_free(),
    c_link(1, False, t_past_end(0)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    c_link(2, True, t_end_marker()), op("free", 0, [0]))
SEEDS["corrupt_link_into_live"] = seq(
    five_blocks_two_free(),
    c_link(1, False, t_live(0, 0)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    c_link(0, True, t_live(1, 2)), op("free", 0, [0]), op("free", 0, [0]))
SEEDS["corrupt_link_words"] = seq(
    five_blocks_two_free(),
    c_link_word(1, False, v_small(1)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    c_link_word(0, True, v_max_minus(0)), op("free", 0, [0]), op("free", 0, [0]),
    op("malloc", 0, size(40)))
# The unlink attack: d's next -> a node forged inside held block 0, whose prev points back at d
# so that the back-link check passes, and whose size reaches far past the region.
SEEDS["corrupt_forged_node"] = seq(
    one_region(0, 8192),
    op("malloc", 0, size(200)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    op("malloc", 0, size(40)), op("free", 0, [2]),
    c_forge(0, 0, False, 2, v_u16(0x4000), t_null(), t_free(0)),
    op("malloc", 0, size(40)), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    c_forge(0, 0, True, 4, v_rel(-1), t_outside(100000), t_self()), op("free", 0, [0]))
SEEDS["corrupt_bitflip"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(24)), op("malloc", 0, size(24)), op("free", 0, [0]),
    c_flip(0, 0, 0x40), c_flip(0, 33, 0x01), c_flip(0, 4080, 0x80),
    op("malloc", 0, size(24)), op("free", 0, [0]), op("malloc", 0, size(24)))
SEEDS["corrupt_interior_free"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(200)), op("malloc", 0, size(40)),
    c_interior("free", 0, 3), c_interior("usable", 0, 4, header=v_u16(0x21)),
    c_interior("free", 0, 4), c_interior("realloc", 0, 9, header=v_to_later(0, 1),
                                         realloc_size=size(64)),
    c_interior("realloc0", 0, 1, header=v_small(0x19)), op("malloc", 0, size(40)),
    op("free", 0, [0]))
SEEDS["corrupt_double_free"] = seq(
    one_region(0, 4096),
    op("malloc", 0, size(40)), op("malloc", 0, size(40)), op("free", 0, [0]),
    op("malloc", 0, size(40)),                       # hands the freed block out again
    c_double("free"), c_double("free"), op("malloc", 0, size(40)), op("malloc", 0, size(40)),
    c_double("realloc", 1, size(100)), c_double("usable"), c_double("realloc0"),
    op("free", 0, [0]))
# Regressions: inputs libFuzzer found against the pre-hardening core, kept as they were found.
# Zero bytes overflowed into a free neighbour's header; malloc then split a block of size 0
# (pointer overflow in make_free):
SEEDS["corrupt_regress_zero_header_split"] = bytes.fromhex(
    "03000000000000000000000000000000000000000003419c204e0307008b130b7211b0040ca386905f010060"
    "b80b0060606084ea00030c09206400140f0115")
# A live block's header overwritten with 0; listheap_report_leaks looped on it forever:
SEEDS["corrupt_regress_report_leaks_loop"] = bytes.fromhex(
    "00030000e8031d03a00fdc051d03411fdc051d03e22edc051d03833edc010000000500400000051d03052400")

def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(SEEDS), OUT))


if __name__ == "__main__":
    main()
