#!/usr/bin/env python3
"""report.py - the benchmark report: one table on stdout, docs/benchmarks.md and its plot.

Reads only what `make bench` produced under --dir (bench/bench.mk): QEMU run outputs
(runs/, runs2/, lat/), instruction profiles (profile/), callgrind outputs (host/), the code
size images (size/) and the re-recorded traces (trace/). Every figure printed or written comes
from those files; nothing is typed in. Exits non-zero when a check fails: a run that must be
identical to its repeat is not, the calibration is off, or an allocator returned damaged
memory.
"""
import argparse
import collections
import filecmp
import os
import subprocess
import sys

PREFIX = os.environ.get('PREFIX', 'arm-none-eabi-')
OPS = ('malloc', 'free', 'realloc', 'calloc')
WORKLOADS = ('churn', 'mixed', 'frag', 'worst', 'trace')
# "worst single call over every workload": the bytes-per-request workload makes calls too
WORST_WORKLOADS = WORKLOADS + ('sizes',)
# metrics shown elsewhere than in the per-workload extra tables
HIDDEN_METRICS = ('damaged', 'realloc_resized', 'realloc_moved', 'realloc_copied', 'warmup_malloc', 'warmup_free')
KB = 1024
LABEL = {
    'nano': 'newlib-nano', 'newlib': 'newlib', 'picolibc': 'picolibc',
    'listheap': 'listheap', 'listheap-checked': 'listheap checked',
    'listheap-irq': 'listheap irq', 'listheap-plainlinks': 'listheap plain links',
}
REF = 'nano'


# ---------------------------------------------------------------- reading
class Run:
    """One QEMU run: B/K/M/S/L/E/C records (bench/target.c)."""

    def __init__(self, path):
        self.path = path
        self.metrics, self.stats, self.calib = {}, {}, []
        self.lat = None
        self.status = None
        with open(path) as f:
            for line in f:
                p = line.split()
                if not p:
                    continue
                if p[0] == 'M':
                    self.metrics[p[1]] = int(p[2])
                elif p[0] == 'S':
                    n, total, p50, p99, mx, arg = map(int, p[2:8])
                    self.stats[p[1]] = dict(n=n, sum=total, mean=total / n, p50=p50, p99=p99,
                                            max=mx, argmax=arg)
                elif p[0] == 'L':
                    self.lat = dict(zip(('samples', 'masked', 'max', 'base'), map(int, p[1:5])))
                elif p[0] == 'C':
                    self.calib.append(tuple(map(int, p[1:5])))
                elif p[0] == 'K':
                    self.k = tuple(map(int, p[1:4]))
                elif p[0] == 'E':
                    self.status = int(p[1])


def callgrind_calls(path):
    """(caller, callee) -> [calls, inclusive Ir] from a callgrind output file."""
    names, res = {}, collections.defaultdict(lambda: [0, 0])

    def name(spec):
        spec = spec.strip()
        if spec.startswith('('):
            ident, _, rest = spec.partition(')')
            ident = ident[1:]
            if rest.strip():
                names[ident] = rest.strip()
            return names.get(ident, ident)
        return spec

    fn = cfn = None
    pending = None
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('fn='):
                fn = name(line[3:])
            elif line.startswith('cfn='):
                cfn = name(line[4:])
            elif line.startswith('calls='):
                pending = int(line[6:].split()[0])
            elif pending is not None and line and (line[0].isdigit() or line[0] in '+-*'):
                r = res[(fn, cfn)]
                r[0] += pending
                r[1] += int(line.split()[-1])
                pending = None
    return res


def nm_symbols(elf):
    out = subprocess.run([PREFIX + 'nm', '-S', elf], capture_output=True, text=True,
                         check=True).stdout
    syms = {}
    for line in out.splitlines():
        p = line.split()
        if len(p) == 4:
            syms[p[3]] = (int(p[0], 16), int(p[1], 16), p[2])
    return syms


def size_of(elf):
    """Berkeley text, data, bss (the .stack and .heap NOLOAD sections cancel out in a diff)."""
    out = subprocess.run([PREFIX + 'size', elf], capture_output=True, text=True,
                         check=True).stdout.splitlines()[1].split()
    return int(out[0]), int(out[1]), int(out[2])


# ---------------------------------------------------------------- formatting
def fmt(v, digits=0):
    if v is None:
        return '-'
    if isinstance(v, float):
        return ('%.' + str(digits) + 'f') % v
    return str(v)


def ratio(v, ref):
    if v is None or not ref:
        return ''
    return ' (%.2fx)' % (v / ref)


def table(headers, rows, align=None):
    """Markdown table; also readable as plain text."""
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    align = align or ['l'] + ['r'] * (len(headers) - 1)

    def line(cells):
        out = []
        for c, w, a in zip(cells, widths, align):
            out.append(str(c).ljust(w) if a == 'l' else str(c).rjust(w))
        return '| ' + ' | '.join(out) + ' |'
    sep = '|' + '|'.join(('-' * (w + 1) + ':') if a == 'r' else ('-' * (w + 2))
                         for w, a in zip(widths, align)) + '|'
    return '\n'.join([line(headers), sep] + [line(r) for r in rows])


# ---------------------------------------------------------------- the report
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--allocs', required=True)
    ap.add_argument('--cpus', required=True)
    ap.add_argument('--icount', required=True)
    ap.add_argument('--heap', type=int, required=True)
    ap.add_argument('--traces', required=True)
    ap.add_argument('--md', required=True)
    ap.add_argument('--png', required=True)
    a = ap.parse_args()
    d = a.dir
    allocs = a.allocs.split()
    cpus = a.cpus.split()
    problems = []

    runs = {al: {w: Run(os.path.join(d, 'runs', '%s-%s.out' % (al, w)))
                 for w in WORKLOADS + ('sizes', 'calib')} for al in allocs}
    lat = {}
    for al in allocs:
        for w in WORKLOADS:
            path = os.path.join(d, 'lat', '%s-%s.out' % (al, w))
            if os.path.exists(path):
                lat.setdefault(al, {})[w] = Run(path)

    # ---- checks: determinism, calibration, damage
    repeats, identical = 0, 0
    for name in sorted(os.listdir(os.path.join(d, 'runs2'))):
        if not name.endswith('.out'):
            continue
        repeats += 1
        if filecmp.cmp(os.path.join(d, 'runs', name), os.path.join(d, 'runs2', name),
                       shallow=False):
            identical += 1
        else:
            problems.append('run differs from its repeat: %s' % name)
    calib_ok = all(got == want for al in allocs for (_, want, got, _) in runs[al]['calib'].calib)
    if not calib_ok:
        problems.append('calibration: a loop of known length did not measure exactly')
    for al in allocs:
        for w, r in runs[al].items():
            if r.status != 0:
                problems.append('%s %s exited %s' % (al, w, r.status))
            if r.metrics.get('damaged'):
                problems.append('%s %s: damaged memory' % (al, w))
    traces = a.traces.split()
    trace_same = all(filecmp.cmp(t, os.path.join(d, 'trace', os.path.basename(t)), shallow=False)
                     for t in traces)

    # ---- per allocator figures
    def st(al, w, op):
        return runs[al][w].stats.get(op)

    def pair(al, w):
        m, f = st(al, w, 'malloc'), st(al, w, 'free')
        return m['mean'] + f['mean'] if m and f else None

    def worst_call(al, op):
        best = None
        for w in WORST_WORKLOADS:
            s = st(al, w, op)
            if s and (best is None or s['max'] > best[0]):
                best = (s['max'], w)
        return best

    def efficiency(al):
        m = runs[al]['frag'].metrics
        return 100.0 * m['peak_payload'] / m['heap_bytes']

    def consumed(al, n):
        v = runs[al]['sizes'].metrics.get('consumed6_%d' % n)
        return None if v is None else v / 6.0

    def moves(al, wl):
        """(moved, resized) reallocs of a live block to a size > 0 (bench/workloads.c)."""
        m = runs[al][wl].metrics
        return ((m['realloc_moved'], m['realloc_resized'], m.get('realloc_copied', 0))
                if m.get('realloc_resized') else None)

    def warmup(al, op):
        vals = sorted(set(r.metrics['warmup_' + op] for w_, r in runs[al].items()
                          if 'warmup_' + op in r.metrics))
        return '-' if not vals else '/'.join(str(v) for v in vals)

    def moves_pct(al, wl):
        mv = moves(al, wl)
        return None if mv is None else (100.0 * mv[0] / mv[1], 100.0 * mv[2] / mv[1])

    # code and static RAM: image k (1: malloc+free+realloc+calloc, 2: malloc+free) minus the
    # image without calls; sizes = the four-call image, sizes_mf = malloc+free only
    def size_diff(cpu, al, k, suffix=''):
        t0, d0, b0 = size_of(os.path.join(d, 'size', cpu, '%s-0.elf' % al))
        t1, d1, b1 = size_of(os.path.join(d, 'size', cpu, '%s-%d%s.elf' % (al, k, suffix)))
        return t1 - t0, (d1 + b1) - (d0 + b0)
    sizes = {(cpu, al): size_diff(cpu, al, 1) for cpu in cpus for al in allocs}
    sizes_mf = {(cpu, al): size_diff(cpu, al, 2) for cpu in cpus for al in allocs}
    # listheap on the M7 linked with listheap.ld as well (the documented plain link line)
    sizes_ld = {k: size_diff('cortex-m7', 'listheap', k, '-ld') for k in (1, 2)
                if os.path.exists(os.path.join(d, 'size', 'cortex-m7', 'listheap-%d-ld.elf' % k))}

    def lat_sampled(al):
        runs_ = lat.get(al)
        if not runs_:
            return None
        return max(r.lat['max'] for r in runs_.values())

    def lat_exact(al):
        vals = []
        for wl in ('churn', 'mixed', 'trace'):
            path = os.path.join(d, 'profile', '%s-%s.txt' % (al, wl))
            if os.path.exists(path):
                vals += parse_profile(path)['masked'].values()
        return max(vals) if vals else None

    def lat_max(al):
        vals = [v for v in (lat_sampled(al), lat_exact(al)) if v is not None]
        return max(vals) if vals else None

    # host callgrind
    host = {}
    for w in WORKLOADS:
        path = os.path.join(d, 'host', '%s.callgrind' % w)
        if not os.path.exists(path):
            continue
        cg = callgrind_calls(path)
        for op in OPS:
            c = cg.get(('bench_' + op, 'listheap_' + op))
            if c and c[0]:
                host[(w, op)] = (c[0], c[1] / c[0])

    # ---- the one table
    ref = REF
    headers = ['allocator', 'churn malloc+free', 'mixed malloc+free', 'trace malloc',
               'trace free', 'churn malloc mean/p99/max', 'churn free mean/p99/max',
               'mixed realloc mean/p99/max', 'mixed realloc moves / to another block', 'worst malloc', 'worst free',
               'heap efficiency', 'bytes for malloc(1)/(16)/(100)', 'code M7 m+f+r+c',
               'code M7 m+f', 'static RAM', 'IRQs masked max']

    def vs_ref(al, v, rv):
        return fmt(v, 1) + (ratio(v, rv) if al != ref else '')
    rows = []
    for al in allocs:
        wm, wf = worst_call(al, 'malloc'), worst_call(al, 'free')
        cm, cf, mr = st(al, 'churn', 'malloc'), st(al, 'churn', 'free'), st(al, 'mixed', 'realloc')
        code, ram = sizes[('cortex-m7', al)]
        code_mf = sizes_mf[('cortex-m7', al)][0]
        lm = lat_max(al)
        mp = moves_pct(al, 'mixed')
        rows.append([
            LABEL.get(al, al),
            vs_ref(al, pair(al, 'churn'), pair(ref, 'churn')),
            vs_ref(al, pair(al, 'mixed'), pair(ref, 'mixed')),
            vs_ref(al, st(al, 'trace', 'malloc')['mean'], st(ref, 'trace', 'malloc')['mean']),
            vs_ref(al, st(al, 'trace', 'free')['mean'], st(ref, 'trace', 'free')['mean']),
            '%.1f / %d / %d' % (cm['mean'], cm['p99'], cm['max']),
            '%.1f / %d / %d' % (cf['mean'], cf['p99'], cf['max']),
            '%.1f / %d / %d' % (mr['mean'], mr['p99'], mr['max']),
            '-' if mp is None else '%.1f%% / %.1f%%' % mp,
            '%d (%s)' % wm + (ratio(wm[0], worst_call(ref, 'malloc')[0]) if al != ref else ''),
            '%d (%s)' % wf + (ratio(wf[0], worst_call(ref, 'free')[0]) if al != ref else ''),
            '%.2f%%' % efficiency(al),
            '/'.join(fmt(consumed(al, n), 0 if consumed(al, n) == int(consumed(al, n)) else 1)
                     for n in (1, 16, 100)),
            '%d' % code + (ratio(code, sizes[('cortex-m7', ref)][0]) if al != ref else ''),
            '%d' % code_mf + (ratio(code_mf, sizes_mf[('cortex-m7', ref)][0]) if al != ref else ''),
            '%d' % ram,
            '-' if lm is None else ('%d' % lm),
        ])
    main_table = table(headers, rows)

    # ---- targets: the fast-path issue's, listheap release against newlib-nano of this run
    L = 'listheap'
    targets = fast_path_targets(L, ref, st, pair, worst_call, efficiency, consumed, sizes,
                                sizes_mf, lat_exact, lat_sampled)
    target_table = table(['target', 'wanted', 'listheap (release)', 'newlib-nano',
                          'listheap / nano', 'verdict'],
                         [[t['name'], t['wanted'], t['value'], t['ref'], t['ratio'], t['verdict']]
                          for t in targets], ['l', 'l', 'r', 'r', 'r', 'l'])

    # ---- stdout
    print()
    print('listheap benchmark: instructions per call on Cortex-M7 (QEMU mps2-an500, -icount %s),'
          ' heap %d bytes; ratios against newlib-nano' % (a.icount, a.heap))
    print(main_table)
    print()
    for t in targets:
        print('target: %s, wanted %s: %s, %s' % (t['name'], t['wanted'], t['value'],
                                                 t['verdict'].replace('*', '')))
    print('checks: %d/%d runs identical to their repeat; calibration %s; traces re-recorded %s'
          % (identical, repeats, 'exact' if calib_ok else 'OFF',
             'identical' if trace_same else 'DIFFERENT (see docs/benchmarks.md)'))

    # ---- markdown
    md = []
    w = md.append
    w('# Benchmarks')
    w('')
    w('Generated by `make bench` (bench/bench.mk, bench/report.py) from alloc/ at %s; do not '
      'edit: every figure below comes from that run. bench/README.md describes the workloads '
      'and the method.' % alloc_revision())
    w('')
    w('Allocators: **newlib-nano** (`libc_nano.a`) and **newlib** (`libc.a`), both from Debian\'s '
      '`libnewlib-arm-none-eabi`, each given the heap region through a benchmark-only `_sbrk` '
      '(bench/sbrk.c); **picolibc** (`picolibc-arm-none-eabi`, `--specs=picolibc.specs`, heap '
      'from `__heap_start`/`__heap_end`); **listheap** through the malloc/free entry points '
      'firmware calls, linked as docs/integration.md says with newlib-nano: `liblistheap.a` '
      '(release), `liblistheap_debug.a` (**checked**), `liblistheap_irq.a` (**irq**, PRIMASK '
      'lock), and the release build with `LISTHEAP_PROTECT_LINKS=0` (**plain links**: free-list '
      'links stored unencoded, every validation kept; the difference to **listheap** is the '
      'cost of the link encoding). Every allocator gets the same %d-byte region at 0x60000000.' % a.heap)
    w('')
    w('Instructions per call are counted on a Cortex-M7 (QEMU `-M mps2-an500`, `-icount %s`, '
      'the 25 MHz CMSDK timer 0 read around each call and calibrated against code of known '
      'length), from the first instruction of the call to its return.' % a.icount)
    w('')
    w('![cost per call and heap efficiency](%s)' % os.path.basename(a.png))
    w('')
    w('## Summary')
    w('')
    w('"malloc+free" = mean instructions of one malloc plus one free; "trace malloc"/"trace '
      'free" = mean instructions per call on the recorded firmware trace. mean/p99/max = mean, '
      '99th percentile (nearest rank) and maximum instructions per call. "realloc moves" = the '
      'share of reallocs of a live block to a size above 0 that returned another address '
      '(pointers compared by the workload). "worst" = the most expensive single call over every '
      'workload (which workload in brackets). Heap efficiency: the largest live payload the '
      'fragmentation workload sustained, as a share of the region. Code: what calls to '
      'malloc+free+realloc+calloc ("m+f+r+c") or to malloc+free only ("m+f") add to a minimal '
      '-Os Cortex-M7 image; static RAM: what the four calls add to data+bss. IRQs masked: '
      'longest stretch with interrupts masked inside one call, in instructions (the larger of '
      'the exact and the sampled figure below; `-`: not measured; 0: the allocator never masks '
      'interrupts). Ratios are against newlib-nano in the same run.')
    w('')
    w(main_table)
    w('')
    w('### The bounded peers, as published (not rebuilt by `make bench`)')
    w('')
    w('TLSF and o1heap are not Debian packages, so `make bench` cannot build them. Their figures '
      'were measured once from their upstream sources with the same method (Cortex-M7, QEMU '
      '`-icount`, 64 KiB heap, each built -O2 from its own sources and called through its own '
      'API; code at -Os) and are quoted here for comparison only (the team measured them for the '
      'fast-path work). They are not figures of this run: compare ratios with care.')
    w('')
    w(table(['allocator', 'churn malloc mean/max', 'churn free mean/max', 'churn malloc+free',
             'fragmentation-fill efficiency', 'alignment', 'own code -Os'],
            [['TLSF 3.1', '134 / 192', '85 / 168', '219', '93.2%', '4', '1682 B'],
             ['o1heap 2.2', '75 / 95', '48 / 93', '123', '69.8%', '16', '1092 B']],
            ['l', 'r', 'r', 'r', 'r', 'r', 'r']))
    w('')
    w('## Targets (listheap release build against newlib-nano)')
    w('')
    w('The fast-path targets, each checked on this run\'s figures: listheap is the release '
      'library `liblistheap.a` (-Os), newlib-nano the reference of the same run. A relative '
      'bound is shown with its value in instructions; every verdict compares the unrounded '
      'figures. KB = 1024 bytes; code is measured on the Cortex-M7 (every CPU under "Code size").')
    w('')
    w(target_table)
    w('')
    w(analysis(d, L, ref, targets, st, runs, sizes_ld, cpus))

    # per workload
    w('## Instructions per call, per workload')
    w('')
    for wl in WORKLOADS:
        w('### %s' % wl)
        w('')
        hdr = ['allocator']
        ops = [op for op in OPS if any(st(al, wl, op) for al in allocs)]
        for op in ops:
            hdr += ['%s calls' % op, 'mean', 'p50', 'p99', 'max']
        rws = []
        for al in allocs:
            r = [LABEL.get(al, al)]
            for op in ops:
                s = st(al, wl, op)
                r += [s['n'], '%.1f' % s['mean'], s['p50'], s['p99'], s['max']] if s else ['-'] * 5
            rws.append(r)
        w(table(hdr, rws))
        extra = sorted(set(k for al in allocs for k in runs[al][wl].metrics
                           if k not in HIDDEN_METRICS))
        has_moves = any(moves(al, wl) for al in allocs)
        if extra or has_moves:
            w('')

            def moves_cell(al):
                mv = moves(al, wl)
                return '-' if mv is None else '%.1f%% (%d of %d), %.1f%% to another block' % (
                    100.0 * mv[0] / mv[1], mv[0], mv[1], 100.0 * mv[2] / mv[1])
            w(table(['allocator'] + extra + (['realloc moves'] if has_moves else []),
                    [[LABEL.get(al, al)] + [runs[al][wl].metrics.get(k, '-') for k in extra] +
                     ([moves_cell(al)] if has_moves else []) for al in allocs]))
        w('')
    w('"realloc moves": of the reallocs of a live block to a size above 0 that succeeded, the '
      'share that returned another address than the old one, and the share that landed in '
      'another block (the new range does not overlap the old one: allocated, copied, freed); '
      'the difference is a block grown in place into its free predecessor, which returns a '
      'lower address (bench/workloads.c compares the pointers; no allocator is asked).')
    w('')
    w('Not in the tables (nor in "worst"): before every workload one `malloc(1)` and its `free` '
      'on the fresh heap, where an allocator may set itself up, are timed but left out. Their '
      'cost, the same in every run of an allocator: %s.' % '; '.join(
          '%s malloc %s, free %s' % (LABEL.get(al, al), warmup(al, 'malloc'), warmup(al, 'free'))
          for al in allocs))
    w('')

    # bytes consumed
    w('## Bytes consumed per request')
    w('')
    w('Distance between consecutive blocks of the same size on a fresh heap (the mean of six '
      'strides: newlib-nano pads every other block for alignment).')
    w('')
    ns = sorted(int(k.split('_')[1]) for k in runs[L]['sizes'].metrics if k.startswith('consumed6_'))
    w(table(['allocator'] + ['malloc(%d)' % n for n in ns],
            [[LABEL.get(al, al)] + [fmt(consumed(al, n), 0 if consumed(al, n) == int(consumed(al, n)) else 1)
                                    for n in ns] for al in allocs]))
    w('')

    # code size
    w('## Code size and static RAM, per CPU (-Os)')
    w('')
    w('Bytes of text (`size`: code and read-only data) and of data+bss that an image has '
      'beyond the same image without allocator calls (bench/size_main.c, -Os, `--gc-sections`, '
      'linked as in the plain link line of docs/integration.md but without `listheap.ld`, '
      'which an image that calls malloc does not need): "m+f+r+c" calls malloc, free, realloc '
      'and calloc, "m+f" malloc and free only. For the newlib peers that includes their '
      '`_sbrk`; for every allocator it includes whatever libc functions it calls (memcpy, '
      'memset, errno).')
    w('')
    w(table(['allocator'] + ['%s %s' % (c, im) for c in cpus for im in ('m+f+r+c', 'm+f')],
            [[LABEL.get(al, al)] + [v for c in cpus for v in (sizes[(c, al)][0], sizes_mf[(c, al)][0])]
             for al in allocs]))
    w('')
    w('Static RAM (data+bss) the calls add:')
    w('')
    w(table(['allocator'] + ['%s %s' % (c, im) for c in cpus for im in ('m+f+r+c', 'm+f')],
            [[LABEL.get(al, al)] + [v for c in cpus for v in (sizes[(c, al)][1], sizes_mf[(c, al)][1])]
             for al in allocs]))
    w('')
    if sizes_ld:
        pairs = [(sizes_ld[k][0], (sizes if k == 1 else sizes_mf)[('cortex-m7', L)][0],
                  'm+f+r+c' if k == 1 else 'm+f') for k in sorted(sizes_ld)]
        if all(a == b for a, b, _ in pairs):
            w('docs/integration.md\'s plain link line also names `listheap.ld` (needed only when '
              'the application never calls malloc itself): linked with it, listheap\'s '
              'Cortex-M7 images gain exactly as much (%s): the fragment forces no code in.'
              % ', '.join('%s %d bytes' % (k, a) for a, _, k in pairs))
        else:
            w('docs/integration.md\'s plain link line also names `listheap.ld` (needed only when '
              'the application never calls malloc itself). Linked with it, listheap\'s '
              'Cortex-M7 images gain %s: the fragment keeps code that is never called.'
              % ' and '.join('%d bytes instead of %d (%s)' % p for p in pairs))
        w('')
    w('What the calls bring into the Cortex-M7 image, symbol by symbol (aliases counted once):')
    w('')
    for al in (L, ref):
        for k, im in ((1, 'malloc+free+realloc+calloc'), (2, 'malloc+free only')):
            w('- %s, %s: %s' % (LABEL.get(al, al), im, symbol_list(added_symbols(d, 'cortex-m7', al, k))))
    if 2 in sizes_ld:
        b = set(n for n, _, _ in added_symbols(d, 'cortex-m7', L, 2))
        w('- %s, malloc+free only, with `listheap.ld`, beyond the same image without it: %s'
          % (LABEL.get(L, L), symbol_list([x for x in added_symbols(d, 'cortex-m7', L, 2, '-ld')
                                           if x[0] not in b])))
    w('')

    # latency
    w('## Interrupt latency')
    w('')
    w('Two measurements from outside the library. **Exact, on a prefix**: bench/profile.py '
      '(below) follows every instruction of the first %s churn operations and %s mixed ticks and '
      'counts, from the instruction after each `cpsid i` up to and including the `msr PRIMASK` '
      'that restores the state, the longest stretch during which no interrupt can be taken. '
      '**Sampled, on the whole workloads**: images built with `-DBENCH_LATENCY=1` arm CMSDK timer 1, '
      'before every timed call, to expire at a pseudo-random point up to 400 instructions later; '
      'its handler reads how long after expiry it ran, and the excess over the unmasked baseline '
      '(measured first, with expiries in a loop that never masks) is how long interrupts were '
      'still masked at that point. The sampled maximum is a lower bound of the true one (an '
      'expiry rarely lands on the first masked instruction); the longest call of the irq build '
      '(tables above) is an upper bound. newlib, newlib-nano and listheap with the newlib lock '
      'never mask interrupts (Debian\'s `__malloc_lock` is empty): their 0 shows that the method '
      'reads no masking where there is none.' % (prof_ops(d), prof_ticks(d)))
    w('')
    lat_allocs = [al for al in allocs if al in lat]
    lat_wls = [wl for wl in WORKLOADS if all(wl in lat[al] for al in lat_allocs)]
    rws = []
    for al in lat_allocs:
        ex = []
        for wl in ('churn', 'mixed'):
            path = os.path.join(d, 'profile', '%s-%s.txt' % (al, wl))
            if os.path.exists(path):
                pr = parse_profile(path)
                ex.append('%s: %s' % (pr['workload'], ', '.join(
                    '%s %d' % (op, v) for op, v in pr['masked'].items() if op in OPS)))
        rws.append([LABEL.get(al, al), '; '.join(ex) or '-'] +
                   ['%d (%d / %d)' % (lat[al][wl].lat['max'], lat[al][wl].lat['samples'],
                                      lat[al][wl].lat['masked']) for wl in lat_wls])
    w(table(['allocator', 'exact, longest masked stretch per op'] +
            ['sampled %s: max (samples / masked)' % wl for wl in lat_wls], rws,
            ['l', 'l'] + ['r'] * len(lat_wls)))
    w('')

    # host cross-check
    w('## Host cross-check (callgrind)')
    w('')
    arch_file = os.path.join(d, 'host', 'arch')
    arch = open(arch_file).read().strip() if os.path.exists(arch_file) else '-m32'
    w(('The same workloads, built for the host with `gcc %s` against alloc/ (-Os, as the '
      'library), run under `valgrind --tool=callgrind`: inclusive instructions (x86) of '
      'listheap_malloc & co. per call, next to the Cortex-M7 figure of the release build. '
      'Different instruction sets, so only the proportions are expected to agree; the host '
      'calls listheap_* directly (no newlib glue, no lock).') % arch)
    w('')
    rws = []
    for wl in WORKLOADS:
        for op in OPS:
            if (wl, op) in host and st(L, wl, op):
                hc, hm = host[(wl, op)]
                tm = st(L, wl, op)['mean']
                rws.append([wl, op, hc, '%.1f' % hm, '%.1f' % tm, '%.2f' % (hm / tm)])
    w(table(['workload', 'op', 'host calls', 'host Ir/call', 'M7 instr/call', 'host/M7'], rws,
            ['l', 'l', 'r', 'r', 'r', 'r']))
    w('')
    ann = os.path.join(d, 'host', 'churn.annotate')
    if os.path.exists(ann):
        w('Host self cost by function, churn (callgrind_annotate, listheap functions):')
        w('')
        w('```')
        with open(ann) as f:
            lines = [ln.split(' [')[0].rstrip() for ln in f if 'alloc/' in ln and ':' in ln]
        w('\n'.join(lines[:15]))
        w('```')
        w('')

    # profiles
    w('## Where the instructions go (target profile)')
    w('')
    w('bench/profile.py runs the first operations of a workload (the whole trace workload) '
      'under QEMU with one instruction per translation block and `-d exec`, and attributes '
      'every instruction of every timed call to the function it lies in, and (debug information, `addr2line -i`) to '
      'the innermost inlined function and source line. Its mean per call must equal the '
      '-icount timing of the same prefix of the workload (checked here):')
    w('')
    rws = []
    for al in [x for x in (L, 'listheap-irq', ref) if x in allocs]:
        for wl in ('churn', 'mixed', 'trace'):
            if not os.path.exists(os.path.join(d, 'profile', '%s-%s.txt' % (al, wl))):
                continue
            prof = parse_profile(os.path.join(d, 'profile', '%s-%s.txt' % (al, wl)))
            timed = Run(os.path.join(d, 'profile', '%s-%s.out' % (al, wl)))
            for op, (n, per) in prof['ops'].items():
                opname = op if op in OPS else None
                s = timed.stats.get(opname) if opname else None
                same = s is not None and s['n'] == n and abs(s['mean'] - per) < 0.05
                if not same:
                    problems.append('profile and timing disagree: %s %s %s' % (al, wl, op))
                rws.append([LABEL.get(al, al), prof['workload'], op, n, '%.1f' % per,
                            '%.1f' % s['mean'] if s else '-', 'yes' if same else '**no**'])
    w(table(['allocator', 'workload', 'op', 'calls', 'profile instr/call', 'timed instr/call',
             'agree'], rws, ['l', 'l', 'l', 'r', 'r', 'r', 'l']))
    w('')
    for al in (L, ref):
        prof = parse_profile(os.path.join(d, 'profile', '%s-churn.txt' % al))
        w('### %s, %s' % (LABEL.get(al, al), prof['workload']))
        w('')
        for op in ('malloc', 'free'):
            if op not in prof['ops']:
                continue
            w('**%s**: %.1f instructions per call. By function (as linked): %s.' % (
                op, prof['ops'][op][1],
                ', '.join('`%s` %.1f' % (n, v) for n, v in prof['function'][op][:12])))
            w('By innermost inlined function: %s.' % ', '.join(
                '`%s` %.1f' % (n, v) for n, v in prof['inlined'][op][:16]))
            w('')
            w('Top source lines: ' + '; '.join('%s (`%s`) %.1f' % (loc, fn_, v)
                                               for loc, fn_, v in prof['line'][op][:10]) + '.')
            w('')

    # calibration and determinism
    w('## Calibration and determinism')
    w('')
    base_ticks, cal_ticks, cal_l = runs[L]['calib'].k
    w('Timer ticks per instruction: %d ticks for a loop of %d instructions = %.4f (shift 10: '
      '1024 ns of virtual time per instruction, 40 ns per tick, 25.6 exactly). A call to a '
      'one-instruction function reads %d ticks: the harness constant. Measured instructions of '
      '`bench_loop(n)` (exactly 2n+1), every allocator image:' % (cal_ticks, cal_l, cal_ticks / cal_l, base_ticks))
    w('')
    calrows = []
    for (n, want, got, ticks) in runs[L]['calib'].calib:
        calrows.append([n, want, got, ticks, 'yes' if all(
            c[2] == c[1] for al in allocs for c in runs[al]['calib'].calib if c[0] == n) else 'NO'])
    w(table(['n', 'instructions', 'measured', 'ticks', 'all images exact'], calrows))
    w('')
    w('Every QEMU run was made twice: %d of %d outputs are byte-for-byte identical to their '
      'repeat. Recording the traces again gave %s files.' % (
          identical, repeats, 'identical' if trace_same else '**different**'))
    w('')
    w('## How this was produced')
    w('')
    w('```')
    w('tools/setup.sh        # Debian packages, including picolibc-arm-none-eabi, gnuplot-nox, valgrind')
    w('make bench            # = bench/bench.mk: images, QEMU runs (twice), callgrind, sizes, this file')
    w('make bench-trace      # re-record bench/traces/*.trace (checked in)')
    w('# one run by hand:')
    w('ICOUNT=%s QEMU_EXTRA="-append churn" qemu/run.sh mps2-an500 build/bench/listheap/bench.elf' % a.icount)
    w('python3 bench/profile.py build/bench/listheap/bench.elf churn:2000 /dev/stdout')
    w('```')
    w('')
    w('Tools: %s; %s; %s.' % (tool_version([PREFIX + 'gcc', '--version']),
                              tool_version(['qemu-system-arm', '--version']),
                              tool_version(['valgrind', '--version'])))
    if problems:
        w('')
        w('## Problems found by this run')
        w('')
        for p in problems:
            w('- ' + p)
    with open(a.md, 'w') as f:
        f.write('\n'.join(md) + '\n')

    plot(a, d, allocs, st, efficiency, worst_call)
    for p in problems:
        print('PROBLEM: ' + p)
    print('wrote %s and %s' % (a.md, a.png))
    return 1 if problems else 0


def alloc_revision():
    try:
        rev = subprocess.run(['git', 'log', '-1', '--format=%h', '--', 'alloc/'], capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'alloc/'], capture_output=True,
                               text=True).stdout.strip()
        return 'commit %s%s' % (rev or '?', ' with local changes' if dirty else '')
    except OSError:
        return 'an unknown revision'


def prof_ops(d):
    return _prof_arg(d, 'churn')


def prof_ticks(d):
    return _prof_arg(d, 'mixed')


def _prof_arg(d, wl):
    path = os.path.join(d, 'profile', 'listheap-%s.txt' % wl)
    if not os.path.exists(path):
        return '?'
    return parse_profile(path)['workload'].split(':')[-1]


def tool_version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return cmd[0] + ' ?'


def parse_profile(path):
    res = {'ops': {}, 'function': collections.defaultdict(list),
           'inlined': collections.defaultdict(list), 'line': collections.defaultdict(list),
           'workload': '?', 'masked': {}, 'worst': {}}
    op = None
    with open(path) as f:
        for line in f:
            p = line.split()
            if not p:
                continue
            if p[0] == '#':
                res['workload'] = line.split('workload ', 1)[1].split()[0]
            elif p[0] == 'op':
                op = p[1]
                res['ops'][op] = (int(p[3]), float(p[5]))
            elif p[0] == 'masked':
                res['masked'][op] = int(p[1])
            elif p[0] == 'worst':
                res['worst'][op] = (int(p[1]), [(kv.split('=')[0], int(kv.split('=')[1]))
                                                for kv in p[2:]])
            elif p[0] in ('function', 'inlined'):
                res[p[0]][op].append((p[1], float(p[2])))
            elif p[0] == 'line':
                loc = p[1]
                if '/newlib/libc/' in loc:  # newlib's build paths: keep from newlib/ on
                    loc = 'newlib/libc/' + loc.split('/newlib/libc/', 1)[1]
                res['line'][op].append((loc, p[2], float(p[3])))
    return res


def verdict(ok, aim_ok=None):
    """met / **missed**; where the target has an aim: met, aim met / met, aim not met."""
    if not ok:
        return '**missed**'
    if aim_ok is None:
        return 'met'
    return 'met, aim met' if aim_ok else 'met, aim not met'


def fast_path_targets(L, ref, st, pair, worst_call, efficiency, consumed, sizes, sizes_mf,
                      lat_exact, lat_sampled):
    """The targets of the fast-path issue, each with this run's figures and its verdict.

    Every comparison is made on the unrounded figures (a ratio printed as 0.50x may miss a
    0.50x bound). key names the evidence analysis() prints for a miss."""
    out = []

    def add(key, name, wanted, value, refv, rat, ok, aim_ok=None, **extra):
        t = dict(key=key, name=name, wanted=wanted, value=value, ref=refv, ratio=rat, ok=ok,
                 verdict=verdict(ok, aim_ok))
        t.update(extra)
        out.append(t)

    def x(r):
        return '%.2fx' % r

    def relative(key, name, v, rv, bound, aim=None, **extra):
        r = v / rv
        wanted = '<= %.2fx nano (%.1f)' % (bound, bound * rv) if bound != 1.0 else \
            '<= nano (%.1f)' % rv
        if aim is not None:
            wanted += ', aim %.2fx (%.1f)' % (aim, aim * rv)
        add(key, name, wanted, '%.1f' % v, '%.1f' % rv, x(r), r <= bound,
            None if aim is None else r <= aim, bound=bound, v=v, rv=rv, **extra)

    relative('churn', 'mean malloc+free, churn', pair(L, 'churn'), pair(ref, 'churn'), 0.50, 0.35,
             wl='churn', ops=('malloc', 'free'))
    relative('mixed', 'mean malloc+free, mixed', pair(L, 'mixed'), pair(ref, 'mixed'), 0.75,
             wl='mixed', ops=('malloc', 'free'))
    relative('trace-malloc', 'mean malloc, trace', st(L, 'trace', 'malloc')['mean'],
             st(ref, 'trace', 'malloc')['mean'], 1.0, wl='trace', ops=('malloc',))
    relative('trace-free', 'mean free, trace', st(L, 'trace', 'free')['mean'],
             st(ref, 'trace', 'free')['mean'], 1.0, wl='trace', ops=('free',))
    for op in ('malloc', 'free'):
        wv, rw = worst_call(L, op), worst_call(ref, op)
        add('worst-' + op, 'worst single %s, every workload' % op, '<= 150, aim 120',
            '%d (%s)' % wv, '%d (%s)' % rw, x(wv[0] / rw[0]), wv[0] <= 150, wv[0] <= 120,
            bound=150, v=wv[0], wl=wv[1], op=op)
    relative('realloc', 'mean realloc, mixed', st(L, 'mixed', 'realloc')['mean'],
             st(ref, 'mixed', 'realloc')['mean'], 0.75, wl='mixed', ops=('realloc',))
    for key, name, sz, bound, aim in (
            ('code', 'code of malloc+free+realloc+calloc, M7 -Os', sizes, 1.6, 1.2),
            ('code-mf', 'code of malloc+free only, M7 -Os', sizes_mf, 1.0, None)):
        v, rv = sz[('cortex-m7', L)][0], sz[('cortex-m7', ref)][0]
        wanted = '<= %.1f KB (%d B)' % (bound, int(bound * KB))
        if aim is not None:
            wanted += ', aim %.1f KB (%d B)' % (aim, int(aim * KB))
        add(key, name, wanted, '%d B' % v, '%d B' % rv, x(v / rv), v <= bound * KB,
            None if aim is None else v <= aim * KB, bound=bound * KB, v=v, sizes=sz)
    eff, eff_ref = efficiency(L), efficiency(ref)
    add('efficiency', 'heap efficiency, fragmentation', '>= 96%', '%.2f%%' % eff,
        '%.2f%%' % eff_ref, x(eff / eff_ref), eff >= 96.0, v=eff)
    got = tuple(consumed(L, n) for n in (1, 16, 100))
    add('bytes', 'bytes consumed by malloc(1)/(16)/(100)', '16/24/104',
        '/'.join(fmt(v, 0 if v == int(v) else 1) for v in got),
        '/'.join(fmt(consumed(ref, n), 0 if consumed(ref, n) == int(consumed(ref, n)) else 1)
                 for n in (1, 16, 100)), '-', got == (16, 24, 104))
    irq = 'listheap-irq'
    ex, sa = lat_exact(irq), lat_sampled(irq)
    shown = '; '.join(p for p in ('%d exact' % ex if ex is not None else '',
                                  '%d sampled' % sa if sa is not None else '') if p)
    rs = lat_sampled(ref)
    add('irq', 'IRQs masked, listheap irq (PRIMASK build)', 'reported (instructions)',
        shown or 'not measured', '-' if rs is None else '%d sampled' % rs, '-', bool(shown))
    return out


def added_symbols(d, cpu, al, k, suffix=''):
    """What image k of size_main.c has beyond the image without calls: [(name, size, type)],
    largest first, aliases counted once."""
    b = nm_symbols(os.path.join(d, 'size', cpu, '%s-0.elf' % al))
    c = nm_symbols(os.path.join(d, 'size', cpu, '%s-%d%s.elf' % (al, k, suffix)))
    seen, items = set(), []
    for name, (addr, size, typ) in sorted(c.items(), key=lambda x: (-x[1][1], x[0])):
        if name in b or name == 'main' or (addr, typ) in seen:
            continue
        seen.add((addr, typ))
        items.append((name, size, typ))
    return items


def symbol_list(items):
    return ', '.join('`%s` %d%s' % (n, sz, '' if t in 'TtWw' else ' (%s)' % t) for n, sz, t in items)


SPEED_KEYS = ('churn', 'mixed', 'trace-malloc', 'trace-free', 'realloc')


def analysis(d, L, ref, targets, st, runs, sizes_ld, cpus):
    """For every missed target, the measured evidence of this run: the profile per function
    (speed), the longest calls (worst case), what the images hold (code), the figures behind
    the others."""
    out = []
    w = out.append
    profiles = {}

    def prof(al, wl):
        path = os.path.join(d, 'profile', '%s-%s.txt' % (al, wl))
        if (al, wl) not in profiles:
            profiles[(al, wl)] = parse_profile(path) if os.path.exists(path) else None
        return profiles[(al, wl)]

    def items(pr, kind, op, n):
        return ', '.join('`%s` %.1f' % x for x in pr[kind].get(op, [])[:n]) or '-'

    for t in targets:
        if t['ok']:
            continue
        if t['key'] in SPEED_KEYS:
            per = 'pair' if len(t['ops']) == 2 else 'call'
            w('- **%s.** %.1f instructions per %s against newlib-nano\'s %.1f; the target (%s) '
              'is %.1f: %.1f too many.' % (t['name'][0].upper() + t['name'][1:], t['v'], per,
                                          t['rv'], t['wanted'].split(' (')[0].lstrip('<= '),
                                          t['bound'] * t['rv'], t['v'] - t['bound'] * t['rv']))
            pl, pn = prof(L, t['wl']), prof(ref, t['wl'])
            if pl is None:
                w('  (no profile of %s on this workload)' % LABEL.get(L, L))
                continue
            for op in t['ops']:
                if op not in pl['ops']:
                    continue
                w('  listheap %s, profile of %s (%.1f per call), by innermost inlined function: '
                  '%s.' % (op, pl['workload'], pl['ops'][op][1], items(pl, 'inlined', op, 8)))
            memset = sum(v for op in t['ops'] for n, v in pl['function'].get(op, []) if n == 'memset')
            if memset:
                w('  `memset` runs inside these calls (%.1f instructions per %s): zeroing at the '
                  'entry of the call (gcc -Os emits a call to newlib\'s memset for a zeroed '
                  'local structure).' % (memset, per))
            if pn is not None:
                w('  newlib-nano, %s, by function: %s.' % (pn['workload'], '; '.join(
                    '%s %s' % (op, items(pn, 'function', op, 6)) for op in t['ops'] if op in pn['ops'])))
        elif t['key'].startswith('worst-'):
            op = t['op']
            frags = runs[L]['worst'].metrics.get('a_fragments')
            sw, sc = st(L, 'worst', op), st(L, 'churn', op)
            w('- **Worst single %s.** %d instructions (%s workload) against 150. With %s free '
              'fragments (worst workload) the longest %s is %d, on churn %d: the maximum does not '
              'grow with the state of the heap; the bound is missed by the fixed path itself.'
              % (op, t['v'], t['wl'], frags, op, sw['max'] if sw else 0, sc['max'] if sc else 0))
            best = None
            for wl in ('churn', 'mixed', 'trace'):
                pr = prof(L, wl)
                if pr and op in pr['worst'] and (best is None or pr['worst'][op][0] > best[1][0]):
                    best = (pr['workload'], pr['worst'][op])
            if best:
                w('  The longest %s of the profiled runs (%s), %d instructions, by innermost '
                  'inlined function: %s.' % (op, best[0], best[1][0], ', '.join(
                      '`%s` %d' % kv for kv in best[1][1][:14])))
        elif t['key'] in ('code', 'code-mf'):
            k = 1 if t['key'] == 'code' else 2
            added = added_symbols(d, 'cortex-m7', L, k)
            libc = [(n, sz) for n, sz, _ in added if n in ('memcpy', 'memmove', 'memset')
                    and not n.startswith('listheap')]
            own = t['v'] - sum(sz for _, sz in libc)
            every = [t['sizes'][(c, L)][0] for c in cpus]
            text = ('- **%s.** %d bytes on Cortex-M7 (%d to %d on the %d CPUs), against %d B: '
                    '%d too many. %s; the largest functions: %s. The full list is under "Code '
                    'size".' % (
                        t['name'][0].upper() + t['name'][1:], t['v'], min(every), max(every),
                        len(cpus), t['bound'], t['v'] - t['bound'],
                        ('%d of them listheap\'s own code and glue, the rest libc: %s' % (
                            own, ', '.join('`%s` %d' % x for x in libc))) if libc else
                        'All of it listheap\'s own code and glue (no libc helper)',
                        symbol_list([x for x in added if x[2] in 'TtWw'][:6])))
            if k in sizes_ld and sizes_ld[k][0] != t['v']:
                text += (' With `listheap.ld` on the link line too (docs/integration.md\'s plain '
                         'link line), the image gains %d bytes instead: the fragment keeps '
                         'code that is never called.' % sizes_ld[k][0])
            w(text)
        elif t['key'] == 'efficiency':
            m = runs[L]['frag'].metrics
            need = 0.96 * m['heap_bytes']
            w('- **Heap efficiency.** The largest live payload was %d of %d bytes (%.2f%%); 96%% '
              'is %.1f bytes: %.1f short. At the first failed request %d bytes were live.' % (
                  m['peak_payload'], m['heap_bytes'], t['v'], need, need - m['peak_payload'],
                  m['first_failure_payload']))
        else:
            w('- **%s.** %s, wanted %s.' % (t['name'], t['value'], t['wanted']))
    if not out:
        return ''
    return '\n'.join(['### Evidence for the misses', ''] + out + [''])


def plot(a, d, allocs, st, efficiency, worst_call):
    dat = os.path.join(d, 'plot.dat')
    with open(dat, 'w') as f:
        f.write('# allocator churn_malloc churn_free mixed_realloc trace_malloc efficiency '
                'worst_malloc worst_free trace_free\n')
        for al in allocs:
            f.write('"%s" %.1f %.1f %.1f %.1f %.2f %d %d %.1f\n' % (
                LABEL.get(al, al), st(al, 'churn', 'malloc')['mean'], st(al, 'churn', 'free')['mean'],
                st(al, 'mixed', 'realloc')['mean'], st(al, 'trace', 'malloc')['mean'],
                efficiency(al), worst_call(al, 'malloc')[0], worst_call(al, 'free')[0],
                st(al, 'trace', 'free')['mean']))
    gp = os.path.join(d, 'plot.gp')
    with open(gp, 'w') as f:
        f.write('''set terminal pngcairo size 1500,520 font "sans,10" noenhanced
set output "%s"
set multiplot layout 1,3 title "listheap benchmark, Cortex-M7 (QEMU -icount), %d-byte heap"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30 scale 0
set grid ytics
set key top left
set title "mean instructions per call"
set yrange [0:*]
plot "%s" using 2:xtic(1) title "churn malloc", "" using 3 title "churn free", \\
     "" using 4 title "mixed realloc", "" using 5 title "trace malloc", "" using 9 title "trace free"
set title "worst single call, any workload (log scale)"
set logscale y
set yrange [10:*]
plot "%s" using 7:xtic(1) title "malloc", "" using 8 title "free"
unset logscale y
set title "heap efficiency, fragmentation workload (%%)"
set yrange [80:100]
set key off
plot "%s" using 6:xtic(1) title "efficiency" lc rgb "#4477aa", \\
     "" using 0:6:(sprintf("%%.2f", $6)) with labels offset 0,0.7 notitle
unset multiplot
''' % (a.png, a.heap, dat, dat, dat))
    subprocess.run(['gnuplot', gp], check=True)


if __name__ == '__main__':
    sys.exit(main())
