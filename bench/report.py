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
        for w in WORKLOADS:
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

    sizes = {}
    for cpu in cpus:
        for al in allocs:
            t0, d0, b0 = size_of(os.path.join(d, 'size', cpu, '%s-0.elf' % al))
            t1, d1, b1 = size_of(os.path.join(d, 'size', cpu, '%s-1.elf' % al))
            sizes[(cpu, al)] = (t1 - t0, (d1 + b1) - (d0 + b0))

    def lat_sampled(al):
        runs_ = lat.get(al)
        if not runs_:
            return None
        return max(r.lat['max'] for r in runs_.values())

    def lat_exact(al):
        vals = []
        for wl in ('churn', 'mixed'):
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
    headers = ['allocator', 'churn malloc+free', 'mixed malloc+free', 'churn malloc mean/p99/max',
               'churn free mean/p99/max', 'mixed realloc mean/p99/max', 'worst malloc',
               'worst free', 'heap efficiency', 'bytes for malloc(1)/(16)/(100)',
               'code M7 (bytes)', 'static RAM', 'IRQs masked max']
    rows = []
    for al in allocs:
        wm, wf = worst_call(al, 'malloc'), worst_call(al, 'free')
        cm, cf, mr = st(al, 'churn', 'malloc'), st(al, 'churn', 'free'), st(al, 'mixed', 'realloc')
        code, ram = sizes[('cortex-m7', al)]
        lm = lat_max(al)
        rows.append([
            LABEL.get(al, al),
            fmt(pair(al, 'churn'), 1) + (ratio(pair(al, 'churn'), pair(ref, 'churn')) if al != ref else ''),
            fmt(pair(al, 'mixed'), 1) + (ratio(pair(al, 'mixed'), pair(ref, 'mixed')) if al != ref else ''),
            '%.1f / %d / %d' % (cm['mean'], cm['p99'], cm['max']),
            '%.1f / %d / %d' % (cf['mean'], cf['p99'], cf['max']),
            '%.1f / %d / %d' % (mr['mean'], mr['p99'], mr['max']),
            '%d (%s)' % wm + (ratio(wm[0], worst_call(ref, 'malloc')[0]) if al != ref else ''),
            '%d (%s)' % wf + (ratio(wf[0], worst_call(ref, 'free')[0]) if al != ref else ''),
            '%.1f%%' % efficiency(al),
            '/'.join(fmt(consumed(al, n), 0 if consumed(al, n) == int(consumed(al, n)) else 1)
                     for n in (1, 16, 100)),
            '%d' % code + (ratio(code, sizes[('cortex-m7', ref)][0]) if al != ref else ''),
            '%d' % ram,
            '-' if lm is None else ('%d' % lm),
        ])
    main_table = table(headers, rows)

    # ---- targets
    L = 'listheap'
    pair_ratio_churn = pair(L, 'churn') / pair(ref, 'churn')
    pair_ratio_mixed = pair(L, 'mixed') / pair(ref, 'mixed')
    worst_m, worst_f = worst_call(L, 'malloc'), worst_call(L, 'free')
    eff_l, eff_n = efficiency(L), efficiency(ref)
    code_l = sizes[('cortex-m7', L)][0]

    def verdict(ok, goal_ok=None):
        s = 'met' if ok else '**missed**'
        if ok and goal_ok is not None:
            s += ', goal met' if goal_ok else ', goal not met'
        return s
    targets = [
        ['mean malloc+free, churn', '<= 0.50x nano (goal 0.35x)',
         '%.1f vs %.1f: %.2fx' % (pair(L, 'churn'), pair(ref, 'churn'), pair_ratio_churn),
         verdict(pair_ratio_churn <= 0.5, pair_ratio_churn <= 0.35)],
        ['mean malloc+free, mixed', '<= 0.50x nano (goal 0.35x)',
         '%.1f vs %.1f: %.2fx' % (pair(L, 'mixed'), pair(ref, 'mixed'), pair_ratio_mixed),
         verdict(pair_ratio_mixed <= 0.5, pair_ratio_mixed <= 0.35)],
        ['worst single malloc, every workload', '<= 200 (goal 120)',
         '%d (%s)' % worst_m, verdict(worst_m[0] <= 200, worst_m[0] <= 120)],
        ['worst single free, every workload', '<= 150 (goal 100)',
         '%d (%s)' % worst_f, verdict(worst_f[0] <= 150, worst_f[0] <= 100)],
        ['heap efficiency, fragmentation', '>= nano (goal 97%)',
         '%.1f%% vs %.1f%%' % (eff_l, eff_n), verdict(eff_l >= eff_n, eff_l >= 97.0)],
        ['bytes consumed by malloc(16)', '24', fmt(consumed(L, 16), 0),
         verdict(consumed(L, 16) == 24)],
        ['bytes consumed by malloc(1)', '16', fmt(consumed(L, 1), 0), verdict(consumed(L, 1) == 16)],
        ['code of malloc+free+realloc+calloc, M7 -Os', '<= 1.2 KB (goal 1 KB)',
         '%d bytes' % code_l, verdict(code_l <= 1229, code_l <= 1024)],
    ]
    target_table = table(['target', 'wanted', 'listheap (release)', 'verdict'], targets,
                         ['l', 'l', 'l', 'l'])

    # ---- stdout
    print()
    print('listheap benchmark: instructions per call on Cortex-M7 (QEMU mps2-an500, -icount %s),'
          ' heap %d bytes; ratios against newlib-nano' % (a.icount, a.heap))
    print(main_table)
    print()
    for t in targets:
        print('target: %s %s: %s, %s' % (t[0], t[1], t[2], t[3].replace('*', '')))
    print('checks: %d/%d runs identical to their repeat; calibration %s; traces re-recorded %s'
          % (identical, repeats, 'exact' if calib_ok else 'OFF',
             'identical' if trace_same else 'DIFFERENT (see docs/benchmarks.md)'))
    for p in problems:
        print('PROBLEM: ' + p)

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
    w('"m+f" = mean instructions of one malloc plus one free. mean/p99/max = mean, 99th '
      'percentile (nearest rank) and maximum instructions per call. "worst" = the most expensive '
      'single call over every workload (which workload in brackets). Heap efficiency: the '
      'largest live payload the fragmentation workload sustained, as a share of the region. '
      'Code and static RAM: what malloc+free+realloc+calloc add to a minimal -Os Cortex-M7 image. '
      'IRQs masked: longest stretch with interrupts masked inside one call, in instructions '
      '(sampled; `-`: not measured; 0: the allocator never masks interrupts).')
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
    w(target_table)
    w('')
    w(analysis(a, d, L, ref, st, pair, worst_call, sizes, code_l, eff_l, eff_n, runs))

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
                           if k not in ('damaged',)))
        if extra:
            w('')
            w(table(['allocator'] + extra,
                    [[LABEL.get(al, al)] + [runs[al][wl].metrics.get(k, '-') for k in extra]
                     for al in allocs]))
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
    w('Bytes of text (code and read-only data) and of data+bss that an image calling malloc, '
      'free, realloc and calloc has beyond the same image without those calls '
      '(bench/size_main.c, `--gc-sections`). For the newlib peers that includes their `_sbrk`; '
      'for every allocator it includes whatever libc functions it calls (memcpy, memset, errno).')
    w('')
    w(table(['allocator'] + ['%s text' % c for c in cpus] + ['%s RAM' % c for c in cpus],
            [[LABEL.get(al, al)] + [sizes[(c, al)][0] for c in cpus] + [sizes[(c, al)][1] for c in cpus]
             for al in allocs]))
    w('')
    w('What the calls bring into the Cortex-M7 image, symbol by symbol (aliases counted once):')
    w('')
    for al in (L, ref):
        b = nm_symbols(os.path.join(d, 'size', 'cortex-m7', '%s-0.elf' % al))
        c = nm_symbols(os.path.join(d, 'size', 'cortex-m7', '%s-1.elf' % al))
        seen, items = set(), []
        for name, (addr, size, typ) in sorted(c.items(), key=lambda x: -x[1][1]):
            if name in b or name == 'main' or (addr, typ) in seen:
                continue
            seen.add((addr, typ))
            items.append('`%s` %d%s' % (name, size, '' if typ in 'TtWw' else ' (%s)' % typ))
        w('- %s: %s' % (LABEL.get(al, al), ', '.join(items)))
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
    w('bench/profile.py runs the first operations of a workload under QEMU with one '
      'instruction per translation block and `-d exec`, and attributes every instruction of '
      'every timed call to the function it lies in, and (debug information, `addr2line -i`) to '
      'the innermost inlined function and source line. Its mean per call must equal the '
      '-icount timing of the same prefix of the workload (checked here):')
    w('')
    rws = []
    for al in [x for x in (L, 'listheap-irq', ref) if x in allocs]:
        for wl in ('churn', 'mixed'):
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


def analysis(a, d, L, ref, st, pair, worst_call, sizes, code_l, eff_l, eff_n, runs):
    """Where listheap misses a target: the measured evidence, from this run's profile."""
    out = []
    w = out.append
    prof = parse_profile(os.path.join(d, 'profile', '%s-churn.txt' % L))
    pn = parse_profile(os.path.join(d, 'profile', '%s-churn.txt' % ref))
    target = 0.5 * pair(ref, 'churn')
    if pair(L, 'churn') > target:
        w('- **Speed.** A churn malloc+free pair costs %.1f instructions against newlib-nano\'s '
          '%.1f; the target (0.5x) is %.1f: %.1f instructions too many per pair. The profile '
          '(below) shows where they go. Per malloc, the largest items: %s. Per free: %s.' % (
              pair(L, 'churn'), pair(ref, 'churn'), target, pair(L, 'churn') - target,
              ', '.join('`%s` %.1f' % x for x in prof['inlined'].get('malloc', [])[:8]),
              ', '.join('`%s` %.1f' % x for x in prof['inlined'].get('free', [])[:8])))
        memset = sum(v for n, v in prof['function'].get('malloc', []) if n == 'memset') + \
            sum(v for n, v in prof['function'].get('free', []) if n == 'memset')
        if memset:
            w('  `memset` runs on every malloc and free (%.1f instructions per pair): newlib\'s '
              'memset, called at the entry of `listheap_malloc_err` and `listheap_free` to zero '
              'their `struct outcome o = {0}` (16-20 bytes on the stack; gcc -Os emits the call).'
              % memset)
        w('  newlib-nano, for comparison, per malloc: %s; per free: %s.' % (
            ', '.join('`%s` %.1f' % x for x in pn['function'].get('malloc', [])[:6]),
            ', '.join('`%s` %.1f' % x for x in pn['function'].get('free', [])[:6])))
    wm, wf = worst_call(L, 'malloc'), worst_call(L, 'free')
    if wm[0] > 200 or wf[0] > 150:
        wa = st(L, 'worst', 'malloc')['max'], st(L, 'worst', 'free')['max']
        frags = runs[L]['worst'].metrics.get('a_fragments')
        w('- **Worst case.** The most expensive malloc was %d instructions (%s), free %d (%s), '
          'against 200 and 150. The maximum does not grow with the state of the heap: with %s '
          'free fragments (worst workload) the longest malloc is %d and free %d, against %d and '
          '%d on churn; the bound is missed by the length of the fixed path itself. The longest '
          'calls of the profiled churn prefix, by inlined function:' % (
              wm[0], wm[1], wf[0], wf[1], frags, wa[0], wa[1], st(L, 'churn', 'malloc')['max'],
              st(L, 'churn', 'free')['max']))
        for op in ('malloc', 'free'):
            if op in prof['worst']:
                cnt, parts = prof['worst'][op]
                w('  %s, %d instructions: %s.' % (op, cnt, ', '.join('`%s` %d' % kv for kv in parts[:14])))
    if code_l > 1229:
        c1 = nm_symbols(os.path.join(d, 'size', 'cortex-m7', '%s-1.elf' % L))
        c0 = nm_symbols(os.path.join(d, 'size', 'cortex-m7', '%s-0.elf' % L))
        libc = {n: c1[n][1] for n in ('memcpy', 'memset') if n in c1 and n not in c0}
        fake = sum(v[1] for n, v in c1.items() if n.startswith('__sf_fake') and n not in c0)
        own = code_l - sum(libc.values()) - fake
        rest = ', '.join('%s %d' % kv for kv in sorted(libc.items()))
        if fake:
            rest += ', `__sf_fake_std*` %d' % fake
        text = ('- **Code size.** %d bytes on Cortex-M7, %d of them listheap\'s own code and glue '
                '(the rest: %s); see the symbol list under "Code size".' % (code_l, own, rest))
        if fake:  # a stdio reference in the malloc family's objects would bring newlib's FILE glue
            text += (' The %d bytes of read-only `__sf_fake_std*` FILE stubs come from newlib\'s '
                     'stdio member `findfp.o`, pulled in by a stdio call in listheap\'s malloc '
                     'family; `impure_data` then keeps them.' % fake)
        w(text)
    if eff_l < eff_n:
        w('- **Heap efficiency.** %.1f%% against newlib-nano\'s %.1f%%.' % (eff_l, eff_n))
    if not out:
        return ''
    return '\n'.join(['### Evidence for the misses', ''] + out + [''])


def plot(a, d, allocs, st, efficiency, worst_call):
    dat = os.path.join(d, 'plot.dat')
    with open(dat, 'w') as f:
        f.write('# allocator churn_malloc churn_free mixed_realloc trace_malloc efficiency '
                'worst_malloc worst_free\n')
        for al in allocs:
            f.write('"%s" %.1f %.1f %.1f %.1f %.2f %d %d\n' % (
                LABEL.get(al, al), st(al, 'churn', 'malloc')['mean'], st(al, 'churn', 'free')['mean'],
                st(al, 'mixed', 'realloc')['mean'], st(al, 'trace', 'malloc')['mean'],
                efficiency(al), worst_call(al, 'malloc')[0], worst_call(al, 'free')[0]))
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
     "" using 4 title "mixed realloc", "" using 5 title "trace malloc"
set title "worst single call, any workload (log scale)"
set logscale y
set yrange [10:*]
plot "%s" using 7:xtic(1) title "malloc", "" using 8 title "free"
unset logscale y
set title "heap efficiency, fragmentation workload (%%)"
set yrange [80:100]
set key off
plot "%s" using 6:xtic(1) title "efficiency" lc rgb "#4477aa", \\
     "" using 0:6:(sprintf("%%.1f", $6)) with labels offset 0,0.7 notitle
unset multiplot
''' % (a.png, a.heap, dat, dat, dat))
    subprocess.run(['gnuplot', gp], check=True)


if __name__ == '__main__':
    sys.exit(main())
