#!/usr/bin/env python3
"""profile.py ELF WORKLOAD OUT - where an allocator's instructions go, on the target.

Runs the benchmark image under QEMU with one instruction per translation block
(-singlestep) and -d exec, so the log names every instruction executed, in order. Every
instruction between bench_call's `blx` and the instruction after it (bench/timing.S) belongs
to the timed call; it is attributed to the function it lies in and, through the debug
information (addr2line -i), to the innermost function inlined there and its source line.
The calibration calls and the warm-up malloc(1)/free that bench/workloads.c makes before
every workload are left out, as in the timed runs. Writes OUT: per operation (malloc, free, realloc, calloc; named by the symbol the call
enters), instructions per call by function and by source line. The per-call means equal
those of the -icount run of the same workload prefix (bench/report.py shows both).
Also written: the longest call of each operation, by inlined function, and the longest
stretch of instructions executed with PRIMASK set (from the instruction after a `cpsid i` up
to and including the `msr PRIMASK` that restores it): the exact interrupt-masking figure
for this prefix of the workload. The log is streamed through a pipe: nothing large is written.
"""
import collections
import os
import subprocess
import sys
import tempfile

PREFIX = os.environ.get('PREFIX', 'arm-none-eabi-')


def symbols(elf):
    out = subprocess.run([PREFIX + 'nm', '-n', '--defined-only', elf], capture_output=True,
                         text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'TtWw':
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def blx_site(elf, syms):
    start = dict((n, a) for a, n in syms)['bench_call']
    dis = subprocess.run([PREFIX + 'objdump', '-d', elf, '--start-address=%#x' % start,
                          '--stop-address=%#x' % (start + 32)], capture_output=True, text=True,
                         check=True).stdout
    for line in dis.splitlines():
        if '\tblx\t' in line:
            addr = int(line.split(':')[0], 16)
            return addr, addr + 2
    sys.exit('profile.py: no blx in bench_call')


def primask_sites(elf):
    """Addresses of every `cpsid i` and `msr PRIMASK, rN` in the image."""
    dis = subprocess.run([PREFIX + 'objdump', '-d', elf], capture_output=True, text=True,
                         check=True).stdout
    mask, unmask = set(), set()
    for line in dis.splitlines():
        parts = line.split('\t')
        if len(parts) < 3 or not parts[0].strip().endswith(':'):
            continue
        addr = int(parts[0].strip()[:-1], 16)
        insn = ' '.join(parts[2:]).lower()
        if insn.startswith('cpsid') and 'i' in insn.split()[-1]:
            mask.add(addr)
        elif insn.startswith('msr') and 'primask' in insn:
            unmask.add(addr)
    return mask, unmask


def lookup(syms, pc):
    lo, hi = 0, len(syms) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if syms[mid][0] <= pc:
            lo = mid
        else:
            hi = mid - 1
    return syms[lo][1]


def inline_info(elf, pcs):
    """pc -> (innermost function, file:line) from the debug information."""
    pcs = sorted(pcs)
    out = subprocess.run([PREFIX + 'addr2line', '-f', '-i', '-a', '-e', elf] +
                         ['%#x' % p for p in pcs], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    info, i, cur = {}, 0, None
    while i < len(out):
        line = out[i]
        if line.startswith('0x'):
            cur = int(line, 16)
            i += 1
            continue
        func, loc = line, out[i + 1] if i + 1 < len(out) else '?'
        if cur not in info:  # the first pair is the innermost frame
            loc = loc.split(' (')[0]
            info[cur] = (func, os.path.relpath(loc.split(':')[0]) + ':' + loc.split(':')[-1]
                         if ':' in loc else loc)
        i += 2
    return info


def main():
    elf, workload, out_path = sys.argv[1:4]
    qemu = os.environ.get('QEMU', 'qemu-system-arm')
    syms = symbols(elf)
    blx, after = blx_site(elf, syms)
    mask_at, unmask_at = primask_sites(elf)
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, 'exec.log')
        os.mkfifo(fifo)
        proc = subprocess.Popen([qemu, '-M', 'mps2-an500', '-serial', 'null', '-nographic',
                                 '-monitor', 'none', '-semihosting-config',
                                 'enable=on,target=native', '-kernel', elf, '-append', workload,
                                 '-singlestep', '-d', 'exec,nochain', '-D', fifo],
                                stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        calls = collections.Counter()          # op -> calls
        by_pc = collections.defaultdict(collections.Counter)  # op -> pc -> count
        inside, op, prev = False, None, None  # op: the symbol the call entered
        skipped = 0
        call_pcs = []                          # the PCs of the current call
        worst = {}                             # op -> (instructions, PCs) of its longest call
        masked = collections.Counter()         # op -> longest stretch with PRIMASK set
        masking, stretch = False, 0
        with open(fifo) as log:
            for line in log:
                if not line.startswith('Trace'):
                    continue
                pc = int(line.split('[', 1)[1].split('/', 2)[1], 16) & ~1
                if masking:  # the instructions after cpsid i, up to the msr PRIMASK
                    stretch += 1
                    if pc in unmask_at:
                        masking = False
                        masked[op] = max(masked[op], stretch)
                elif pc in mask_at:
                    masking, stretch = True, 0
                if inside:
                    if pc == after and prev is not None:
                        inside = False
                        if len(call_pcs) > worst.get(op, (0,))[0]:
                            worst[op] = (len(call_pcs), call_pcs)
                    else:
                        by_pc[op][pc] += 1
                        call_pcs.append(pc)
                elif prev == blx:
                    inside, op = True, lookup(syms, pc)
                    if op not in ('bench_ret1', 'bench_loop'):
                        skipped += 1
                        if skipped <= 2:  # the warm-up malloc(1) and free (bench/workloads.c)
                            op = None
                    if op is None:
                        op = 'warm-up'
                    calls[op] += 1
                    by_pc[op][pc] += 1
                    call_pcs = [pc]
                prev = pc
        if proc.wait() != 0:
            sys.exit('profile.py: QEMU exited with %d' % proc.returncode)
    all_pcs = set(pc for d in by_pc.values() for pc in d)
    info = inline_info(elf, all_pcs)
    with open(out_path, 'w') as f:
        f.write('# instruction profile: %s, workload %s (QEMU -singlestep -d exec)\n'
                % (os.path.basename(os.path.dirname(elf)), workload))
        for op in sorted(calls, key=lambda o: -calls[o]):
            if op in ('bench_ret1', 'bench_loop', 'warm-up'):
                continue
            n = calls[op]
            total = sum(by_pc[op].values())
            f.write('\nop %s calls %d instructions/call %.1f\n' % (op, n, total / n))
            f.write('masked %d\n' % masked[op])
            if op in worst:
                count, pcs = worst[op]
                parts = collections.Counter(info.get(pc, ('?', '?'))[0] for pc in pcs)
                f.write('worst %d %s\n' % (count, ' '.join('%s=%d' % kv for kv in parts.most_common())))
            by_sym = collections.Counter()
            by_inl = collections.Counter()
            by_line = collections.Counter()
            for pc, c in by_pc[op].items():
                by_sym[lookup(syms, pc)] += c
                func, loc = info.get(pc, ('?', '?'))
                by_inl[func] += c
                by_line[(func, loc)] += c
            for title, counter in (('function', by_sym), ('inlined', by_inl)):
                for name, c in counter.most_common():
                    if c / n >= 0.5:
                        f.write('%s %s %.1f\n' % (title, name, c / n))
            for (func, loc), c in by_line.most_common(25):
                f.write('line %s %s %.1f\n' % (loc, func, c / n))


if __name__ == '__main__':
    main()
