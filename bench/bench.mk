# bench/bench.mk - `make bench`: listheap against newlib-nano, full newlib and picolibc.
#
# Included at the end of the top Makefile (it uses BUILD, TDIR, LIB_DIR, CC_ARM, PREFIX, WARN,
# ALLOC_WARN, CSTD, ALLOC_SRC, ALLOC_HDR, ARM_CPUS, <cpu>_CPU and the rules for the libraries and
# the mps2-an500 start-up objects). bench/README.md describes the workloads and the method.
#
#   make bench         everything below, then one table on stdout, docs/benchmarks.md and
#                      docs/benchmarks.png (figures taken from this run only)
#   make bench-trace   re-record bench/traces/*.trace (checked in; `make bench` replays them
#                      and checks that recording again gives the same trace)
#
# What runs:
#   - bench/target.c + bench/workloads.c, linked once per allocator (BENCH_ALLOCS) for the
#     Cortex-M7 and run under QEMU mps2-an500 with -icount (BENCH_ICOUNT): one QEMU run per
#     workload, every call timed in instructions; every run is made twice and must give
#     identical output;
#   - the same with BENCH_LATENCY=1 (BENCH_LAT_ALLOCS): interrupt latency;
#   - bench/host.c + workloads.c + alloc/ for the host (gcc -m32, or -m64 where 32-bit binaries
#     cannot run) under callgrind;
#   - bench/size_main.c linked without allocator calls, with malloc+free+realloc+calloc and
#     with malloc+free only, for every CPU and allocator (and, for listheap on the Cortex-M7,
#     the two calling images again with listheap.ld on the link line).

BENCH_DIR := $(BUILD)/bench
BENCH_HEAP ?= 65536
# shift=10: 1024 ns of virtual time per instruction, 25.6 ticks of the 25 MHz timer: every
# reading converts to a whole number of instructions exactly (shift=6 is off by one now and
# then; QEMU 7.2 accepts at most 10).
BENCH_ICOUNT ?= shift=10,sleep=off
BENCH_TIMEOUT ?= 120
BENCH_ALLOCS := nano newlib picolibc listheap listheap-checked listheap-irq listheap-plainlinks
BENCH_LAT_ALLOCS := nano newlib listheap listheap-irq
BENCH_WORKLOADS := churn mixed frag worst trace sizes
BENCH_LAT_WORKLOADS := churn mixed worst trace
BENCH_REPEAT := calib $(BENCH_WORKLOADS)
BENCH_HOST_WORKLOADS := churn mixed frag worst trace
BENCH_SIZE_ALLOCS := $(BENCH_ALLOCS)
BENCH_TRACES := bench/traces/fwdemo-nano.trace bench/traces/fwdemo-full.trace

BENCH_CPU := $(cortex-m7_CPU)
BENCH_CFLAGS := $(CSTD) -O2 -g -ffunction-sections -fdata-sections $(WARN) -DBOARD_MPS2_AN500 \
	-DBENCH_HEAP_BYTES=$(BENCH_HEAP)u -Ibench
BENCH_LDFLAGS := -nostartfiles -T ld/mps2-an500.ld -Lld -Wl,--gc-sections \
	-Wl,--defsym=__HEAP_REGION_SIZE=$(BENCH_HEAP)
BENCH_SRC := bench/target.c bench/timing.S bench/workloads.c $(BENCH_DIR)/trace_data.c
BENCH_HDR := bench/bench.h
bench_objs = $(addprefix $(TDIR)/mps2-an500-$(1)/,startup.o common.o semihost.o exit_semihost.o)

# Per allocator: specs, what it links besides the benchmark, and what that needs built first.
# The newlib peers get bench/sbrk.c over the same region; listheap links as firmware does
# (docs/integration.md, plain mode), with newlib-nano; picolibc its own way: picolibc.specs,
# its crt0 and picolibc.ld, heap from __heap_start/__heap_end (the same address and size).
bench_nano_SPECS := --specs=nano.specs
bench_nano_LINK = $(BENCH_LDFLAGS) bench/sbrk.c $(call bench_objs,nano)
bench_nano_DEPS = $(TDIR)/mps2-an500-nano/base.stamp bench/sbrk.c
bench_newlib_SPECS :=
bench_newlib_LINK = $(BENCH_LDFLAGS) bench/sbrk.c $(call bench_objs,full)
bench_newlib_DEPS = $(TDIR)/mps2-an500-full/base.stamp bench/sbrk.c
bench_picolibc_SPECS := --specs=picolibc.specs --oslib=semihost
bench_picolibc_LINK = -Wl,--gc-sections -Wl,--defsym=__flash=0 -Wl,--defsym=__flash_size=4M \
	-Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=4M -Wl,--defsym=__stack_size=16K \
	-Wl,--defsym=__heap_start=0x60000000 -Wl,--defsym=__heap_end=0x60000000+$(BENCH_HEAP)
bench_picolibc_DEPS :=
bench_listheap_SPECS := --specs=nano.specs
bench_listheap_LINK = $(BENCH_LDFLAGS) $(call bench_objs,nano) $(LIB_DIR)/listheap.ld -L$(LIB_DIR)/cortex-m7 -llistheap
bench_listheap_DEPS = $(TDIR)/mps2-an500-nano/base.stamp $(LIB_DIR)/cortex-m7/liblistheap.a $(LIB_DIR)/include/listheap.h
bench_listheap-checked_SPECS := --specs=nano.specs
bench_listheap-checked_LINK = $(BENCH_LDFLAGS) $(call bench_objs,nano) $(LIB_DIR)/listheap.ld -L$(LIB_DIR)/cortex-m7 -llistheap_debug
bench_listheap-checked_DEPS = $(TDIR)/mps2-an500-nano/base.stamp $(LIB_DIR)/cortex-m7/liblistheap_debug.a $(LIB_DIR)/include/listheap.h
bench_listheap-irq_SPECS := --specs=nano.specs
bench_listheap-irq_LINK = $(BENCH_LDFLAGS) $(call bench_objs,nano) $(LIB_DIR)/listheap.ld -L$(LIB_DIR)/cortex-m7 -llistheap_irq
bench_listheap-irq_DEPS = $(TDIR)/mps2-an500-nano/base.stamp $(LIB_DIR)/cortex-m7/liblistheap_irq.a $(LIB_DIR)/include/listheap.h
# The release build with LISTHEAP_PROTECT_LINKS=0 (links stored as plain addresses; every block
# and link still validated): what the link encoding costs, measured, not estimated.
$(foreach c,$(ARM_CPUS),$(eval $(call arm_lib,$(c),liblistheap_plainlinks.a,-DLISTHEAP_PROTECT_LINKS=0)))
bench_listheap-plainlinks_SPECS := --specs=nano.specs
bench_listheap-plainlinks_LINK = $(BENCH_LDFLAGS) $(call bench_objs,nano) $(LIB_DIR)/listheap.ld -L$(LIB_DIR)/cortex-m7 -llistheap_plainlinks
bench_listheap-plainlinks_DEPS = $(TDIR)/mps2-an500-nano/base.stamp $(LIB_DIR)/cortex-m7/liblistheap_plainlinks.a $(LIB_DIR)/include/listheap.h

.PHONY: bench bench-trace bench-images

# ---------------------------------------------------------------- traces
# fwdemo recorded under newlib-nano and under full newlib (their stdio allocates differently),
# each with newlib's own allocator and bench/sbrk.c, through bench/traces/trace_shim.c.
BENCH_TRACE_WRAP := -Wl,--wrap=_malloc_r,--wrap=_free_r,--wrap=_realloc_r,--wrap=_calloc_r
define bench_trace_rec # $(1) = nano | full
$(BENCH_DIR)/trace/fwdemo-$(1).elf: bench/traces/fwdemo.c bench/traces/trace_shim.c bench/traces/trace_shim.h bench/sbrk.c $(TDIR)/mps2-an500-$(1)/base.stamp
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $(BENCH_CPU) $(if $(filter nano,$(1)),--specs=nano.specs) $(CSTD) -Os -g \
		-ffunction-sections -fdata-sections $(WARN) -Ibench/traces $(BENCH_LDFLAGS) -u _printf_float \
		$(BENCH_TRACE_WRAP) bench/traces/fwdemo.c bench/traces/trace_shim.c bench/sbrk.c \
		$(call bench_objs,$(1)) -o $$@
$(BENCH_DIR)/trace/fwdemo-$(1).trace: $(BENCH_DIR)/trace/fwdemo-$(1).elf
	$(Q){ echo "# allocation trace of bench/traces/fwdemo.c under $(if $(filter nano,$(1)),newlib-nano,full newlib) (QEMU mps2-an500)"; \
	  echo "# recorded by bench/traces/trace_shim.c: make bench-trace; replayed by the 'trace' workload"; \
	  echo "# m <slot> <size> | c <slot> <count> <size> | r <slot> <size> | f <slot>"; } >$$@.tmp
	$(Q)qemu/run.sh mps2-an500 $$< 60 >$$(@:.trace=.stdout) 2>>$$@.tmp || { tail $$@.tmp; echo "bench: recording $$@ failed"; exit 1; }
	$(Q)mv $$@.tmp $$@
endef
$(eval $(call bench_trace_rec,nano))
$(eval $(call bench_trace_rec,full))

bench-trace: $(BENCH_DIR)/trace/fwdemo-nano.trace $(BENCH_DIR)/trace/fwdemo-full.trace
	$(Q)cp $^ bench/traces/
	@echo "bench: recorded $(notdir $^) into bench/traces/"

$(BENCH_DIR)/trace_data.c: $(BENCH_TRACES) bench/trace2c.py
	@mkdir -p $(@D)
	$(Q)python3 bench/trace2c.py $@ $(BENCH_TRACES)

# ---------------------------------------------------------------- target images and runs
# $(1) = allocator, $(2) = image name (bench | bench_lat), $(3) = extra flags
define bench_image
$(BENCH_DIR)/$(1)/$(2).elf: $(BENCH_SRC) $(BENCH_HDR) $$(bench_$(1)_DEPS)
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $(BENCH_CPU) $$(bench_$(1)_SPECS) $(BENCH_CFLAGS) '-DBENCH_ALLOC_NAME="$(1)"' $(3) \
		-Wl,-Map=$$(@:.elf=.map) $(BENCH_SRC) $$(bench_$(1)_LINK) -o $$@
	$(Q)$(if $(filter listheap%,$(1)),tools/linkcheck.sh elf $$@ $$(@:.elf=.map))
endef
$(foreach a,$(BENCH_ALLOCS),$(eval $(call bench_image,$(a),bench,)))
$(foreach a,$(BENCH_LAT_ALLOCS),$(eval $(call bench_image,$(a),bench_lat,-DBENCH_LATENCY=1)))

# $(1) = allocator, $(2) = workload, $(3) = image, $(4) = output directory
define bench_run
$(BENCH_DIR)/$(4)/$(1)-$(2).out: $(BENCH_DIR)/$(1)/$(3).elf
	@mkdir -p $$(@D)
	@echo "  QEMU    $(1) $(2)$(if $(filter bench_lat,$(3)), (interrupt latency))$(if $(filter runs2,$(4)), (again))"
	$(Q)ICOUNT=$(BENCH_ICOUNT) QEMU_EXTRA="-append $(2)" qemu/run.sh mps2-an500 $$< $(BENCH_TIMEOUT) \
		>$$@.tmp 2>$$@.err || { cat $$@.tmp $$@.err; echo "bench: $(1) $(2) failed"; exit 1; }
	$(Q)mv $$@.tmp $$@
endef
$(foreach a,$(BENCH_ALLOCS),$(foreach w,calib $(BENCH_WORKLOADS),$(eval $(call bench_run,$(a),$(w),bench,runs))))
$(foreach a,$(BENCH_ALLOCS),$(foreach w,$(BENCH_REPEAT),$(eval $(call bench_run,$(a),$(w),bench,runs2))))
$(foreach a,$(BENCH_LAT_ALLOCS),$(foreach w,$(BENCH_LAT_WORKLOADS),$(eval $(call bench_run,$(a),$(w),bench_lat,lat))))

BENCH_RUNS := $(foreach a,$(BENCH_ALLOCS),$(foreach w,calib $(BENCH_WORKLOADS),$(BENCH_DIR)/runs/$(a)-$(w).out)) \
	$(foreach a,$(BENCH_ALLOCS),$(foreach w,$(BENCH_REPEAT),$(BENCH_DIR)/runs2/$(a)-$(w).out)) \
	$(foreach a,$(BENCH_LAT_ALLOCS),$(foreach w,$(BENCH_LAT_WORKLOADS),$(BENCH_DIR)/lat/$(a)-$(w).out))

bench-images: $(foreach a,$(BENCH_ALLOCS),$(BENCH_DIR)/$(a)/bench.elf) \
	$(foreach a,$(BENCH_LAT_ALLOCS),$(BENCH_DIR)/$(a)/bench_lat.elf)

# ---------------------------------------------------------------- instruction profiles
# bench/profile.py: every instruction of the first BENCH_PROFILE_OPS churn operations and
# BENCH_PROFILE_TICKS mixed ticks, attributed to functions and source lines. The same prefix
# is also timed under -icount: the two methods must give the same instructions per call. For
# listheap-irq the profile also counts, exactly, the longest stretch run with PRIMASK set.
# The whole trace workload is profiled too (listheap and newlib-nano: the trace targets'
# evidence); it is the longest profile, about a minute.
BENCH_PROFILE_ALLOCS := listheap listheap-irq nano
BENCH_PROFILE_TRACE_ALLOCS := listheap nano
BENCH_PROFILE_OPS := 2000
BENCH_PROFILE_TICKS := 300
bench_prof_arg_churn := churn:$(BENCH_PROFILE_OPS)
bench_prof_arg_mixed := mixed:$(BENCH_PROFILE_TICKS)
bench_prof_arg_trace := trace
define bench_profile # $(1) = allocator, $(2) = churn | mixed | trace
$(BENCH_DIR)/profile/$(1)-$(2).txt: $(BENCH_DIR)/$(1)/bench.elf bench/profile.py
	@mkdir -p $$(@D)
	@echo "  PROFILE $(1) $(bench_prof_arg_$(2))"
	$(Q)PREFIX=$(PREFIX) python3 bench/profile.py $$< $(bench_prof_arg_$(2)) $$@
$(BENCH_DIR)/profile/$(1)-$(2).out: $(BENCH_DIR)/$(1)/bench.elf
	@mkdir -p $$(@D)
	$(Q)ICOUNT=$(BENCH_ICOUNT) QEMU_EXTRA="-append $(bench_prof_arg_$(2))" qemu/run.sh mps2-an500 $$< $(BENCH_TIMEOUT) \
		>$$@.tmp 2>$$@.err || { cat $$@.tmp $$@.err; exit 1; }
	$(Q)mv $$@.tmp $$@
endef
$(foreach a,$(BENCH_PROFILE_ALLOCS),$(foreach w,churn mixed,$(eval $(call bench_profile,$(a),$(w)))))
$(foreach a,$(BENCH_PROFILE_TRACE_ALLOCS),$(eval $(call bench_profile,$(a),trace)))
BENCH_PROFILES := $(foreach a,$(BENCH_PROFILE_ALLOCS),$(foreach w,churn mixed,$(BENCH_DIR)/profile/$(a)-$(w).txt $(BENCH_DIR)/profile/$(a)-$(w).out)) \
	$(foreach a,$(BENCH_PROFILE_TRACE_ALLOCS),$(BENCH_DIR)/profile/$(a)-trace.txt $(BENCH_DIR)/profile/$(a)-trace.out)

# ---------------------------------------------------------------- host: callgrind
# -m32 (ILP32, like Cortex-M) where the kernel runs 32-bit binaries; valgrind cannot run them
# under qemu-i386, so on a kernel without IA32 emulation the cross-check is made at -m64
# (tools/run32.sh --mode tells; the report names the one used, from host/arch).
BENCH_HOST := $(BENCH_DIR)/host/bench_host
BENCH_HOST_M = $(if $(filter native,$(shell LISTHEAP_BUILD=$(BUILD) tools/run32.sh --mode)),-m32,-m64)
$(BENCH_HOST): bench/host.c bench/workloads.c $(BENCH_HDR) $(BENCH_DIR)/trace_data.c $(ALLOC_SRC) $(ALLOC_HDR)
	@echo "  CC      $@"
	@mkdir -p $(@D)
	$(Q)echo "$(BENCH_HOST_M)" >$(@D)/arch
	$(Q)gcc $(CSTD) $(BENCH_HOST_M) -fno-pie -Os -g $(ALLOC_WARN) -Ialloc -c alloc/listheap.c -o $(@D)/listheap.o
	$(Q)gcc $(CSTD) $(BENCH_HOST_M) -fno-pie -Os -g $(ALLOC_WARN) -Ialloc -c alloc/check.c -o $(@D)/check.o
	$(Q)gcc $(CSTD) $(BENCH_HOST_M) -fno-pie -no-pie -O2 -g $(WARN) -DBENCH_HEAP_BYTES=$(BENCH_HEAP)u -Ibench -Ialloc \
		bench/host.c bench/workloads.c $(BENCH_DIR)/trace_data.c $(@D)/listheap.o $(@D)/check.o -o $@

define bench_host_run # $(1) = workload
$(BENCH_DIR)/host/$(1).out: $(BENCH_HOST)
	@echo "  CALLGRIND $(1)"
	$(Q)valgrind --tool=callgrind --callgrind-out-file=$(BENCH_DIR)/host/$(1).callgrind \
		$(BENCH_HOST) $(1) >$$@.tmp 2>$$@.err || { cat $$@.tmp $$@.err; exit 1; }
	$(Q)callgrind_annotate $(BENCH_DIR)/host/$(1).callgrind >$(BENCH_DIR)/host/$(1).annotate 2>/dev/null
	$(Q)mv $$@.tmp $$@
endef
$(foreach w,$(BENCH_HOST_WORKLOADS),$(eval $(call bench_host_run,$(w))))
BENCH_HOST_RUNS := $(foreach w,$(BENCH_HOST_WORKLOADS),$(BENCH_DIR)/host/$(w).out)

# ---------------------------------------------------------------- code size and static RAM
bench_size_nano := --specs=nano.specs bench/sbrk.c
bench_size_newlib := bench/sbrk.c
bench_size_picolibc := --specs=picolibc.specs
bench_size_listheap = --specs=nano.specs -L$(LIB_DIR)/$(1) -llistheap
bench_size_listheap-checked = --specs=nano.specs -L$(LIB_DIR)/$(1) -llistheap_debug
bench_size_listheap-irq = --specs=nano.specs -L$(LIB_DIR)/$(1) -llistheap_irq
bench_size_listheap-plainlinks = --specs=nano.specs -L$(LIB_DIR)/$(1) -llistheap_plainlinks
# $(1) = cpu, $(2) = allocator, $(3) = 0 (no call) | 1 (malloc, free, realloc, calloc) |
# 2 (malloc and free), $(4) = image suffix, $(5) = extra link inputs
define bench_size
$(BENCH_DIR)/size/$(1)/$(2)-$(3)$(4).elf: bench/size_main.c bench/sbrk.c $(if $(filter listheap%,$(2)),$(LIB_DIR)/$(1)/liblistheap.a $(LIB_DIR)/$(1)/liblistheap_debug.a $(LIB_DIR)/$(1)/liblistheap_irq.a $(LIB_DIR)/$(1)/liblistheap_plainlinks.a $(LIB_DIR)/include/listheap.h)
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $($(1)_CPU) $(CSTD) -Os -ffunction-sections -fdata-sections $(WARN) -DCALLS=$(3) \
		-nostartfiles -T ld/mps2-an500.ld -Lld -Wl,--gc-sections -Wl,-Map=$$(@:.elf=.map) \
		bench/size_main.c $(5) $$(call bench_size_$(2),$(1)) -o $$@
endef
$(foreach c,$(ARM_CPUS),$(foreach a,$(BENCH_SIZE_ALLOCS),$(foreach k,0 1 2,$(eval $(call bench_size,$(c),$(a),$(k),,)))))
# The same calling images of listheap with the fragment that docs/integration.md puts on the
# plain link line: its EXTERN(...) symbols are --gc-sections roots, so the difference to the
# images above is what the fragment keeps that the calls alone would not.
$(foreach k,1 2,$(eval $(call bench_size,cortex-m7,listheap,$(k),-ld,$(LIB_DIR)/listheap.ld)))
BENCH_SIZES := $(foreach c,$(ARM_CPUS),$(foreach a,$(BENCH_SIZE_ALLOCS),$(foreach k,0 1 2,$(BENCH_DIR)/size/$(c)/$(a)-$(k).elf))) \
	$(foreach k,1 2,$(BENCH_DIR)/size/cortex-m7/listheap-$(k)-ld.elf)

# ---------------------------------------------------------------- the report
# The profiles first: they are the longest jobs (the trace profile about a minute), so under -j
# the short QEMU runs fill the other cores meanwhile.
bench: $(BENCH_PROFILES) $(BENCH_RUNS) $(BENCH_HOST_RUNS) $(BENCH_SIZES) $(BENCH_DIR)/trace/fwdemo-nano.trace $(BENCH_DIR)/trace/fwdemo-full.trace
	$(Q)PREFIX=$(PREFIX) python3 bench/report.py --dir $(BENCH_DIR) --allocs "$(BENCH_ALLOCS)" \
		--cpus "$(ARM_CPUS)" --icount "$(BENCH_ICOUNT)" --heap $(BENCH_HEAP) \
		--traces "$(BENCH_TRACES)" --md docs/benchmarks.md --png docs/benchmarks.png
	$(Q)rm -f $(BENCH_PEER_ELFS)

# The peers' images link newlib's (or picolibc's) allocator and bench/sbrk.c's _sbrk, as they
# must to be measured; so do the trace recorders (newlib-nano). Once report.py has read them
# they are removed: an image with _sbrk in build/ is a listheap image gone wrong, and nothing
# else should look like one. The next `make bench` links and runs them again (a minute or so).
BENCH_PEER_ELFS = $(wildcard $(foreach a,$(filter-out listheap%,$(BENCH_ALLOCS)),$(BENCH_DIR)/$(a)/*.elf \
	$(BENCH_DIR)/size/*/$(a)-*.elf) $(BENCH_DIR)/trace/fwdemo-*.elf)
