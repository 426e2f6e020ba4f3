# listheap — entry points: test, coverage, lint, clean (V=1 shows the commands)
#
#   make test       every suite: host configurations, then the QEMU boards (installs what is missing)
#   make run        the seed demo firmware under QEMU (mps2-an500, Cortex-M7)
#   make coverage   line and branch coverage of alloc/ from the host suites (gcovr)
#   make lint       cppcheck on alloc/
#   make fuzz       libFuzzer on the release and the checked build, FUZZ_TIME seconds each
#   make lib        liblistheap.a (newlib lock), liblistheap_irq.a (PRIMASK lock) and
#                   liblistheap_debug.a (checked build) for each Cortex-M CPU, with the header
#                   and listheap.ld, in build/lib/
#
# The host matrix: host64 (-m64 -O2), host32 (-m32 -Os: ILP32, like Cortex-M), sanitize
# (-m64 -O1, AddressSanitizer + UndefinedBehaviorSanitizer), checked (the LISTHEAP_DEBUG=1
# build, -m32 with UBSan), checked64 (LISTHEAP_DEBUG=1, -m64 with both sanitizers) and
# plainlinks (LISTHEAP_PROTECT_LINKS=0, -m64 with both sanitizers).
# 32-bit binaries run through tools/run32.sh: natively, or under qemu-i386 on kernels without
# IA32 emulation, where AddressSanitizer cannot run: that is why ASan covers the -m64 builds.

PREFIX ?= arm-none-eabi-
BUILD ?= build
V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

CMOCKA_SRC := $(BUILD)/third_party/cmocka
SETUP := LISTHEAP_BUILD=$(abspath $(BUILD)) tools/setup.sh

WARN := -Wall -Wextra -Wshadow -Wundef -Wmissing-prototypes -Wstrict-prototypes -Werror
ALLOC_WARN := $(WARN) -Wconversion -Wcast-align
CSTD := -std=c11

ALLOC_SRC := alloc/listheap.c alloc/check.c
ALLOC_HDR := alloc/listheap.h alloc/config.h alloc/block.h
SUPPORT_SRC := test/support/shadow.c
HARNESS_SRC := test/support/harness.c

# suite name -> its sources besides alloc/
STARTUP_SUITES := test_startup_bank_first test_startup_overlap_first test_startup_init_first \
	test_startup_failed_add_first test_startup_one_slot
SUITES := test_core test_check test_debug test_random test_lazy test_corruption $(STARTUP_SUITES)
test_core_SRC := test/host/test_core.c $(HARNESS_SRC)
test_random_SRC := test/host/test_random.c $(SUPPORT_SRC) $(HARNESS_SRC)
test_lazy_SRC := test/host/test_lazy.c
# one binary per start-up order (test_startup.c): the heap is initialised once per process
$(foreach s,$(STARTUP_SUITES),$(eval $(s)_SRC := test/host/test_startup.c))
test_startup_bank_first_DEFS := -DSTARTUP_ORDER=1
test_startup_overlap_first_DEFS := -DSTARTUP_ORDER=2
test_startup_init_first_DEFS := -DSTARTUP_ORDER=3
test_startup_failed_add_first_DEFS := -DSTARTUP_ORDER=4
# with room for one region only (alloc/ built so too): a bank cannot join the linker heap
test_startup_one_slot_DEFS := -DSTARTUP_ORDER=5 -DLISTHEAP_MAX_REGIONS=1
test_check_SRC := test/host/test_check.c
test_debug_SRC := test/host/test_debug.c $(HARNESS_SRC)
test_corruption_SRC := test/host/test_corruption.c $(HARNESS_SRC)

CONFIGS := host64 host32 sanitize checked checked64 plainlinks
host64_FLAGS := -m64 -O2
host32_FLAGS := -m32 -Os
sanitize_FLAGS := -m64 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
checked_FLAGS := -m32 -O1 -g -DLISTHEAP_DEBUG=1 -fsanitize=undefined -fno-sanitize-recover=all
checked64_FLAGS := -m64 -O1 -g -DLISTHEAP_DEBUG=1 -fsanitize=address,undefined -fno-sanitize-recover=all
# LISTHEAP_PROTECT_LINKS=0 (config.h): links stored unencoded, every validation still there
plainlinks_FLAGS := -m64 -O1 -g -DLISTHEAP_PROTECT_LINKS=0 -fsanitize=address,undefined -fno-sanitize-recover=all
# how each configuration's binaries are run
host32_RUN := LISTHEAP_BUILD=$(BUILD) tools/run32.sh
checked_RUN := LISTHEAP_BUILD=$(BUILD) tools/run32.sh

# A target whose recipe fails is deleted: an image that failed tools/linkcheck.sh after it was
# linked must not count as built on the next run.
.DELETE_ON_ERROR:

# test-examples: examples/examples.mk
.PHONY: all test test-host setup coverage lint lib clean target-images test-target test-images test-irq-stress run
all: test

setup:
	$(Q)$(SETUP)

# ---------------------------------------------------------------- CMocka per configuration
# Compiled from Debian's source package, so every configuration (and, later, the target) uses
# the same CMocka 1.1.5. Its own code is not held to our warning set.
CMOCKA_DEFS := -DHAVE_SIGNAL_H -DHAVE_STRINGS_H -DHAVE_INTTYPES_H -DHAVE_MALLOC_H
$(BUILD)/%/cmocka.o: | setup
	@mkdir -p $(dir $@)
	$(Q)gcc $($*_FLAGS) -std=gnu11 -w $(CMOCKA_DEFS) -I$(CMOCKA_SRC)/include \
		-c $(CMOCKA_SRC)/src/cmocka.c -o $@

# ---------------------------------------------------------------- host suites
define host_suite # $(1) = config, $(2) = suite
$(BUILD)/$(1)/$(2): $(ALLOC_SRC) $(ALLOC_HDR) $$($(2)_SRC) test/support/shadow.h test/support/harness.h $(BUILD)/$(1)/cmocka.o
	@echo "  CC      $$@"
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(ALLOC_WARN) $$($(2)_DEFS) -Ialloc -c alloc/listheap.c -o $$@.listheap.o
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(ALLOC_WARN) $$($(2)_DEFS) -Ialloc -c alloc/check.c -o $$@.check.o
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(WARN) $$($(2)_DEFS) -Ialloc -Itest/support -I$(CMOCKA_SRC)/include \
		$$($(2)_SRC) $$@.listheap.o $$@.check.o $(BUILD)/$(1)/cmocka.o -o $$@
endef
$(foreach c,$(CONFIGS),$(foreach s,$(SUITES),$(eval $(call host_suite,$(c),$(s)))))

HOST_BINS := $(foreach c,$(CONFIGS),$(foreach s,$(SUITES),$(BUILD)/$(c)/$(s)))

test: test-host test-adversarial fuzz-replay test-target test-images test-irq-stress test-rtos test-examples test-cmake test-rust

test-host: $(HOST_BINS)
	$(Q)set -e; $(foreach c,$(CONFIGS),for s in $(SUITES); do \
		echo "==> $(c)/$$s"; \
		$($(c)_RUN) $(BUILD)/$(c)/$$s; \
	done;)
	@echo "==> all host suites passed"

# ---------------------------------------------------------------- Cortex-M libraries
CC_ARM := $(PREFIX)gcc
AR_ARM := $(PREFIX)ar
ARM_CPUS := cortex-m0plus cortex-m3 cortex-m4 cortex-m7 cortex-m33
cortex-m0plus_CPU := -mcpu=cortex-m0plus -mthumb
cortex-m3_CPU := -mcpu=cortex-m3 -mthumb
cortex-m4_CPU := -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard
cortex-m7_CPU := -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard
cortex-m33_CPU := -mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard
# The same CPUs with the other float ABIs: soft (no FPU use, e.g. a -mfloat-abi=soft project)
# and softfp (FPU instructions, arguments in integer registers). Code built with one float ABI
# does not link with another, so a user needs the library of their own.
FPU_CPUS := cortex-m4 cortex-m7 cortex-m33
ABI_VARIANTS := $(foreach c,$(FPU_CPUS),$(c)-softfp $(c)-soft)
$(foreach c,$(FPU_CPUS),$(eval $(c)-softfp_CPU := $(subst -mfloat-abi=hard,-mfloat-abi=softfp,$($(c)_CPU))))
$(foreach c,$(FPU_CPUS),$(eval $(c)-soft_CPU := -mcpu=$(c) -mthumb -mfloat-abi=soft))
# What `make lib` builds: every CPU x float ABI above. Any other combination, named as you like:
#   make lib LIB_VARIANTS=my-m55 my-m55_CPU="-mcpu=cortex-m55 -mthumb -mfloat-abi=hard"
LIB_VARIANTS ?= $(ARM_CPUS) $(ABI_VARIANTS)
ARM_CFLAGS := $(CSTD) -Os -g -ffunction-sections -fdata-sections $(ALLOC_WARN)
LIB_SRC := $(ALLOC_SRC) alloc/newlib/malloc_family.c alloc/newlib/malloc_stats.c
LIB_DIR := $(BUILD)/lib

# $(1) = cpu, $(2) = library name, $(3) = extra flags. Needs nothing but the Arm toolchain and
# newlib (no tools/setup.sh): `make lib` works offline, without root.
define arm_lib
$(LIB_DIR)/$(1)/$(2): $(LIB_SRC) $(ALLOC_HDR) alloc/lock.h alloc/entry.h | arm-toolchain
	@echo "  AR      $$@"
	@mkdir -p $$(@D)/$(basename $(2))
	$(Q)for f in $(LIB_SRC); do \
		$(CC_ARM) $($(1)_CPU) $(ARM_CFLAGS) $(3) -Ialloc -c $$$$f \
			-o $$(@D)/$(basename $(2))/$$$$(basename $$$$f .c).o || exit 1; done
	$(Q)rm -f $$@ && $(AR_ARM) rcs $$@ $$(@D)/$(basename $(2))/*.o
endef
$(foreach c,$(LIB_VARIANTS),$(eval $(call arm_lib,$(c),liblistheap.a,)))
$(foreach c,$(LIB_VARIANTS),$(eval $(call arm_lib,$(c),liblistheap_irq.a,-DLISTHEAP_LOCKING=LISTHEAP_LOCKING_PRIMASK)))
$(foreach c,$(LIB_VARIANTS),$(eval $(call arm_lib,$(c),liblistheap_debug.a,-DLISTHEAP_DEBUG=1)))
ARM_LIBS := $(foreach c,$(LIB_VARIANTS),$(foreach l,liblistheap liblistheap_irq liblistheap_debug,$(LIB_DIR)/$(c)/$(l).a))

# The one thing `make lib` needs, checked with a message instead of a bare "not found".
.PHONY: arm-toolchain
arm-toolchain:
	@command -v $(CC_ARM) >/dev/null 2>&1 || { echo "make lib: $(CC_ARM) not found: install the Arm GNU toolchain (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi) or set PREFIX=" >&2; exit 1; }
	@$(CC_ARM) -mcpu=cortex-m3 -mthumb -print-file-name=libc_nano.a | grep -q / || { echo "make lib: newlib for $(CC_ARM) not found (Debian: libnewlib-arm-none-eabi)" >&2; exit 1; }

$(LIB_DIR)/include/listheap.h: alloc/listheap.h alloc/config.h alloc/newlib/listheap.ld
	@mkdir -p $(@D)
	$(Q)cp alloc/listheap.h alloc/config.h $(@D)/ && cp alloc/newlib/listheap.ld $(LIB_DIR)/

lib: $(ARM_LIBS) $(LIB_DIR)/include/listheap.h
	$(Q)tools/linkcheck.sh lib $(foreach v,$(LIB_VARIANTS),$(foreach l,liblistheap liblistheap_irq liblistheap_debug,$(LIB_DIR)/$(v)/$(l).a))
	@echo "libraries in $(LIB_DIR)/<cpu>/: $(LIB_VARIANTS)"

# ---------------------------------------------------------------- QEMU targets
# Every test image is built for BOARDS x LIBCS x LINKS (2 x 2 x 4 = 16 configurations) from
# the same liblistheap.a that `make lib` ships, then run by qemu/run.sh; its exit code is the
# verdict. tools/linkcheck.sh checks every image: no _sbrk, no newlib malloc member.
BOARDS := mps2-an500 netduinoplus2
LIBCS := nano full
LINKS := plain whole wrap checked

mps2-an500_CPU := cortex-m7
mps2-an500_DEFS := -DBOARD_MPS2_AN500 -DTEST_SEMIHOST_FILES
mps2-an500_SYS := syscalls/common.c syscalls/semihost.c syscalls/exit_semihost.c
mps2-an500_LDFLAGS :=
netduinoplus2_CPU := cortex-m4
netduinoplus2_DEFS := -DBOARD_NETDUINOPLUS2
netduinoplus2_SYS := syscalls/common.c syscalls/usart_stm32f4.c syscalls/exit_semihost.c
# the test images keep their arenas in .bss: 96 KiB of data RAM, 32 KiB of linker heap
netduinoplus2_LDFLAGS := -Wl,--defsym=__RAM_DATA_SIZE=96K
nano_SPECS := --specs=nano.specs
full_SPECS :=

# link modes: how liblistheap.a enters the link (docs/integration.md)
WRAP_SYMS := malloc free realloc calloc memalign aligned_alloc posix_memalign valloc pvalloc \
	malloc_usable_size mallinfo mallopt malloc_trim malloc_stats mstats cfree
plain_LIBS = -llistheap
whole_LIBS = -Wl,--whole-archive -llistheap -Wl,--no-whole-archive
wrap_LIBS = $(foreach s,$(WRAP_SYMS),-Wl,--wrap=$(s)) -llistheap
# the checked build (LISTHEAP_DEBUG=1), linked plain; the suites are told with the same define
checked_LIBS = -llistheap_debug
checked_TDEFS := -DLISTHEAP_DEBUG=1
# plain without listheap.ld, for malloc_only only (fragment-cost.ok); not one of LINKS
bare_LIBS = -llistheap

# Images that never call malloc themselves (only listheap_*, or printf: newlib's _malloc_r)
# give the linker no reason to take listheap's malloc family before it meets libc's: in the
# plain, wrap and checked modes they add listheap.ld (EXTERN(__listheap_malloc_family)),
# exactly as such firmware must. malloc_only calls malloc and adds it too: the fragment must
# cost it nothing (fragment-cost.ok below). The others (test_newlib, seed_demo) link without it.
TARGET_SUITES := test_core test_check test_debug test_newlib seed_demo printf_only malloc_only
NO_MALLOC_CALLS := test_core test_check test_debug test_random printf_only
FRAGMENT_SUITES := $(NO_MALLOC_CALLS) malloc_only
mps2-an500_SUITES := $(TARGET_SUITES) test_random
netduinoplus2_SUITES := $(TARGET_SUITES)
test_core_TSRC := test/host/test_core.c test/support/harness.c
test_check_TSRC := test/host/test_check.c
test_debug_TSRC := test/host/test_debug.c test/support/harness.c
test_random_TSRC := test/host/test_random.c test/support/shadow.c test/support/harness.c
test_newlib_TSRC := test/target/test_newlib.c
seed_demo_TSRC := test/target/seed_demo.c
printf_only_TSRC := test/target/printf_only.c
malloc_only_TSRC := test/target/malloc_only.c

# An image pays for no entry point it does not call (tools/linkcheck.sh): <suite>_USES are
# functions the image must take from listheap, <suite>_LACKS the entry points (realloc, calloc,
# memalign) of which it must hold no listheap code, in every board, libc and link mode. Only
# entry points the suite calls in none of them are listed (full newlib's printf calls calloc,
# so printf_only's list has no calloc). EXTERN(_realloc_r ...) in listheap.ld failed them all.
malloc_only_USES := malloc free
malloc_only_LACKS := realloc calloc memalign
printf_only_USES := _malloc_r _free_r
printf_only_LACKS := memalign
test_debug_LACKS := memalign
seed_demo_LACKS := realloc calloc memalign
test_cpp_USES := malloc free
test_cpp_LACKS := realloc calloc memalign
test_lock_LACKS := memalign
test_irq_stress_LACKS := calloc memalign
# $(1) = image, $(2) = suite
entry_checks = $(if $($(2)_USES),tools/linkcheck.sh uses $(1:.elf=.map) $($(2)_USES) &&) \
	$(if $($(2)_LACKS),tools/linkcheck.sh lacks $(1:.elf=.map) $($(2)_LACKS) &&) true
TEST_DEFS := -DLISTHEAP_TEST_SMALL_RAM -DLISTHEAP_TEST_LINKER_HEAP -DDEFAULT_SEEDS=1u -DDEFAULT_OPS=4000ul
TARGET_WARN := $(WARN) -Wno-error=format
CM_SYMS := malloc calloc realloc free strdup printf fprintf fputs fflush signal
CM_TARGET_DEFS := -DHAVE_SIGNAL_H -DHAVE_STRINGS_H -DHAVE_INTTYPES_H '-DPRIdS="u"' \
	'-DLargestIntegralType=unsigned long' '-DLargestIntegralTypePrintfFormat="%\#lx"' \
	'-DLargestIntegralTypePrintfFormatDecimal="%lu"'

TDIR := $(BUILD)/target
# $(1) = board, $(2) = libc: objects shared by the three link modes
define target_base
$(1)-$(2)_CFLAGS := $$(call cpu_flags,$(1)) $($(2)_SPECS) $(CSTD) -Os -g -ffunction-sections -fdata-sections $($(1)_DEFS)
$(TDIR)/$(1)-$(2)/base.stamp: $($(1)_SYS) qemu/startup.c test/support/target_cmocka.c $(LIB_DIR)/include/listheap.h | setup
	@mkdir -p $$(@D)
	$(Q)for f in $($(1)_SYS) qemu/startup.c test/support/target_cmocka.c; do \
		$(CC_ARM) $$($(1)-$(2)_CFLAGS) $(WARN) -Isyscalls -c $$$$f -o $$(@D)/$$$$(basename $$$$f .c).o || exit 1; done
	$(Q)$(CC_ARM) $$($(1)-$(2)_CFLAGS) -std=gnu11 -w $(CM_TARGET_DEFS) -I$(CMOCKA_SRC)/include \
		-c $(CMOCKA_SRC)/src/cmocka.c -o $$(@D)/cmocka.raw.o
	$(Q)$(PREFIX)objcopy $(foreach s,$(CM_SYMS),--redefine-sym $(s)=cm_$(s)) $$(@D)/cmocka.raw.o $$(@D)/cmocka.o
	@touch $$@
endef
cpu_flags = $($($(1)_CPU)_CPU)

# $(1) = board, $(2) = libc, $(3) = link mode, $(4) = suite
define target_image
$(TDIR)/$(1)-$(2)/$(3)/$(4).elf: $$($(4)_TSRC) $(TDIR)/$(1)-$(2)/base.stamp $(LIB_DIR)/$($(1)_CPU)/liblistheap.a $(LIB_DIR)/$($(1)_CPU)/liblistheap_debug.a
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $$($(1)-$(2)_CFLAGS) $(TARGET_WARN) $(TEST_DEFS) $$($(3)_TDEFS) -I$(LIB_DIR)/include -Ialloc -Itest/support \
		-I$(CMOCKA_SRC)/include $(CM_TARGET_DEFS) -nostartfiles -T ld/$(1).ld -Lld -Wl,--gc-sections \
		-Wl,-Map=$$(@:.elf=.map) $($(1)_LDFLAGS) \
		$$($(4)_TSRC) $(addprefix $(TDIR)/$(1)-$(2)/,startup.o $(notdir $($(1)_SYS:.c=.o)) cmocka.o target_cmocka.o) \
		$(if $(filter-out whole bare,$(3)),$(if $(filter $(4),$(FRAGMENT_SUITES)),$(LIB_DIR)/listheap.ld)) \
		-L$(LIB_DIR)/$($(1)_CPU) $$($(3)_LIBS) -o $$@
	$(Q)tools/linkcheck.sh elf $$@ $$(@:.elf=.map)
	$(Q)$$(call entry_checks,$$@,$(4))
endef

$(foreach b,$(BOARDS),$(foreach l,$(LIBCS),$(eval $(call target_base,$(b),$(l)))))
$(foreach b,$(BOARDS),$(foreach l,$(LIBCS),$(foreach k,$(LINKS),$(foreach s,$($(b)_SUITES),\
	$(eval $(call target_image,$(b),$(l),$(k),$(s)))))))
TARGET_IMAGES := $(foreach b,$(BOARDS),$(foreach l,$(LIBCS),$(foreach k,$(LINKS),\
	$(foreach s,$($(b)_SUITES),$(TDIR)/$(b)-$(l)/$(k)/$(s).elf))))

target-images: $(TARGET_IMAGES)

test-target: $(TARGET_IMAGES)
	$(Q)set -e; for b in $(BOARDS); do for l in $(LIBCS); do for k in $(LINKS); do \
		for elf in $(TDIR)/$$b-$$l/$$k/*.elf; do \
			echo "==> $$b $$l $$k $$(basename $$elf .elf)"; \
			qemu/run.sh $$b $$elf 120 >$${elf%.elf}.log 2>&1 || { cat $${elf%.elf}.log; echo "FAILED: $$elf"; exit 1; }; \
			grep -E '^\[  (PASSED|FAILED|SKIPPED) +\]' $${elf%.elf}.log || echo "exit 0: $$(tail -1 $${elf%.elf}.log)"; \
		done; done; done; done
	@echo "==> all target suites passed"

# ---------------------------------------------------------------- more images
# The hard case must FAIL without listheap.ld: newlib's _malloc_r is taken from libc.a and its
# _sbrk is missing. If this link ever succeeded, the test above would prove nothing. With the
# fragment placed after -llistheap (too late to load anything) its ASSERT must name the mistake.
$(TDIR)/link-negative.ok: test/target/printf_only.c $(TDIR)/mps2-an500-nano/base.stamp $(LIB_DIR)/cortex-m7/liblistheap.a
	$(Q)if $(CC_ARM) $(mps2-an500-nano_CFLAGS) -I$(LIB_DIR)/include -nostartfiles -T ld/mps2-an500.ld -Lld \
		-Wl,--gc-sections test/target/printf_only.c \
		$(addprefix $(TDIR)/mps2-an500-nano/,startup.o $(notdir $(mps2-an500_SYS:.c=.o))) \
		-L$(LIB_DIR)/cortex-m7 -llistheap -o $(TDIR)/link-negative.elf 2>$(TDIR)/link-negative.log; then \
		echo "linkcheck: printf-only image linked WITHOUT listheap.ld: the EXTERN test is void" >&2; exit 1; \
	elif grep -q "undefined reference to \`_sbrk'" $(TDIR)/link-negative.log; then \
		echo "linkcheck: printf-only image without listheap.ld fails to link (newlib's malloc wants _sbrk), as expected"; \
	else cat $(TDIR)/link-negative.log; exit 1; fi
	$(Q)if $(CC_ARM) $(mps2-an500-nano_CFLAGS) -I$(LIB_DIR)/include -nostartfiles -T ld/mps2-an500.ld -Lld \
		-Wl,--gc-sections test/target/printf_only.c \
		$(addprefix $(TDIR)/mps2-an500-nano/,startup.o $(notdir $(mps2-an500_SYS:.c=.o))) \
		-L$(LIB_DIR)/cortex-m7 -llistheap $(LIB_DIR)/listheap.ld -o $(TDIR)/link-negative.elf 2>$(TDIR)/link-negative.log; then \
		echo "linkcheck: printf-only image linked with listheap.ld AFTER -llistheap: its ASSERT is void" >&2; exit 1; \
	elif grep -q "listheap.ld: listheap's malloc family is not in the link" $(TDIR)/link-negative.log; then \
		echo "linkcheck: listheap.ld after -llistheap fails the link with listheap.ld's own message, as expected"; \
	else cat $(TDIR)/link-negative.log; exit 1; fi
	@touch $@

# malloc_stats without stdio: the image never prints, calls malloc_stats() and mstats(), and
# must link no stdio (no _vfprintf_r, no FILE stubs) yet print every line on descriptor 2. The
# same object in an image with printf goes through stderr (test_newlib's memstream test).
$(TDIR)/stats-nostdio.ok: test/target/stats_only.c $(TDIR)/mps2-an500-nano/base.stamp $(LIB_DIR)/cortex-m7/liblistheap.a
	$(Q)$(CC_ARM) $(mps2-an500-nano_CFLAGS) $(WARN) -I$(LIB_DIR)/include -nostartfiles -T ld/mps2-an500.ld -Lld \
		-Wl,--gc-sections -Wl,-Map=$(TDIR)/stats_only.map test/target/stats_only.c \
		$(addprefix $(TDIR)/mps2-an500-nano/,startup.o $(notdir $(mps2-an500_SYS:.c=.o))) \
		-L$(LIB_DIR)/cortex-m7 -llistheap -o $(TDIR)/stats_only.elf
	$(Q)tools/linkcheck.sh elf $(TDIR)/stats_only.elf $(TDIR)/stats_only.map
	$(Q)if $(PREFIX)nm $(TDIR)/stats_only.elf | grep -E ' (_vfprintf_r|__sf_fake_stderr|__sinit)$$'; then \
		echo "stats-nostdio: malloc_stats linked newlib's stdio into an image that never prints" >&2; exit 1; fi
	$(Q)qemu/run.sh mps2-an500 $(TDIR)/stats_only.elf 30 >$(TDIR)/stats_only.log 2>&1 || { cat $(TDIR)/stats_only.log; exit 1; }
	$(Q)for line in "max system bytes = " "in use bytes     = " "largest request  = " "Memory allocation statistics at the end"; do \
		grep -q "^$$line" $(TDIR)/stats_only.log || { cat $(TDIR)/stats_only.log; echo "stats-nostdio: no line '$$line'" >&2; exit 1; }; done
	@echo "stats-nostdio: malloc_stats and mstats print on descriptor 2 with no stdio in the image: $$(grep -m1 'in use bytes' $(TDIR)/stats_only.log)"
	@touch $@

# The command-line forms docs/integration.md gives instead of listheap.ld, as a user types
# them: `-Wl,-u,__listheap_malloc_family` (a Makefile's LDFLAGS) and `-u
# __listheap_malloc_family` (CubeIDE's linker flags). The printf-only image must link with
# either and take listheap's _malloc_r/_free_r, no newlib allocator, no _sbrk.
$(TDIR)/link-u.ok: test/target/printf_only.c $(TDIR)/mps2-an500-nano/base.stamp $(LIB_DIR)/cortex-m7/liblistheap.a
	$(Q)for form in "-Wl,-u,__listheap_malloc_family" "-u __listheap_malloc_family"; do \
		$(CC_ARM) $(mps2-an500-nano_CFLAGS) -I$(LIB_DIR)/include -nostartfiles -T ld/mps2-an500.ld -Lld \
			-Wl,--gc-sections -Wl,-Map=$(TDIR)/link-u.map $$form test/target/printf_only.c \
			$(addprefix $(TDIR)/mps2-an500-nano/,startup.o $(notdir $(mps2-an500_SYS:.c=.o))) \
			-L$(LIB_DIR)/cortex-m7 -llistheap -o $(TDIR)/link-u.elf || exit 1; \
		tools/linkcheck.sh elf $(TDIR)/link-u.elf $(TDIR)/link-u.map || exit 1; \
		tools/linkcheck.sh uses $(TDIR)/link-u.map _malloc_r _free_r || exit 1; \
		echo "linkcheck: printf-only image linked with $$form instead of listheap.ld uses listheap"; \
	done
	@touch $@

# What listheap.ld costs an image that calls malloc: nothing. malloc_only linked plain with the
# fragment and without it must come out the same size, text, data and bss (docs/integration.md
# states the figure; linkcheck.sh lacks checks what must be absent).
$(foreach l,$(LIBCS),$(eval $(call target_image,mps2-an500,$(l),bare,malloc_only)))
FRAGMENT_PAIRS := $(foreach l,$(LIBCS),$(TDIR)/mps2-an500-$(l)/plain/malloc_only.elf $(TDIR)/mps2-an500-$(l)/bare/malloc_only.elf)
$(TDIR)/fragment-cost.ok: $(FRAGMENT_PAIRS)
	$(Q)set -- $(FRAGMENT_PAIRS); while [ $$# -gt 0 ]; do \
		with=$$($(PREFIX)size $$1 | awk 'NR == 2 {print $$1, $$2, $$3}'); \
		without=$$($(PREFIX)size $$2 | awk 'NR == 2 {print $$1, $$2, $$3}'); \
		if [ "$$with" != "$$without" ]; then \
			echo "linkcheck: listheap.ld changes $$1 (text data bss $$with, without it $$without)" >&2; exit 1; fi; \
		echo "linkcheck: listheap.ld costs $$1 0 bytes (text data bss $$with with and without it)"; \
		shift 2; done
	@touch $@

# C++: operator new/delete, std::vector, std::string (libstdc++ from Debian's
# libstdc++-arm-none-eabi-newlib), on both boards. operator new calls malloc from inside
# libstdc++.a, which the linker meets after liblistheap.a: listheap.ld is needed, as for printf.
CPP_IMAGES := $(TDIR)/mps2-an500-nano/cpp/test_cpp.elf $(TDIR)/netduinoplus2-full/cpp/test_cpp.elf
define cpp_image # $(1) = board, $(2) = libc
$(TDIR)/$(1)-$(2)/cpp/test_cpp.elf: test/target/test_cpp.cpp $(TDIR)/$(1)-$(2)/base.stamp $(LIB_DIR)/$($(1)_CPU)/liblistheap.a
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(PREFIX)g++ $$(call cpu_flags,$(1)) $($(2)_SPECS) -std=c++17 -Os -g -fno-exceptions -fno-rtti \
		-ffunction-sections -fdata-sections -Wall -Wextra -Werror -I$(LIB_DIR)/include \
		-nostartfiles -T ld/$(1).ld -Lld -Wl,--gc-sections -Wl,-Map=$$(@:.elf=.map) $($(1)_LDFLAGS) \
		test/target/test_cpp.cpp $(addprefix $(TDIR)/$(1)-$(2)/,startup.o $(notdir $($(1)_SYS:.c=.o))) \
		$(LIB_DIR)/listheap.ld -L$(LIB_DIR)/$($(1)_CPU) -llistheap -o $$@
	$(Q)tools/linkcheck.sh elf $$@ $$(@:.elf=.map)
	$(Q)$$(call entry_checks,$$@,test_cpp)
endef
$(eval $(call cpp_image,mps2-an500,nano))
$(eval $(call cpp_image,netduinoplus2,full))

# The interrupt-safe lock: liblistheap_irq.a (LISTHEAP_LOCKING_PRIMASK) on both boards.
LOCK_IMAGES := $(TDIR)/mps2-an500-nano/irq/test_lock.elf $(TDIR)/netduinoplus2-full/irq/test_lock.elf
define lock_image # $(1) = board, $(2) = libc
$(TDIR)/$(1)-$(2)/irq/test_lock.elf: test/target/test_lock.c $(TDIR)/$(1)-$(2)/base.stamp $(LIB_DIR)/$($(1)_CPU)/liblistheap_irq.a
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $$($(1)-$(2)_CFLAGS) $(TARGET_WARN) -I$(LIB_DIR)/include -I$(CMOCKA_SRC)/include \
		$(CM_TARGET_DEFS) -nostartfiles -T ld/$(1).ld -Lld -Wl,--gc-sections -Wl,-Map=$$(@:.elf=.map) \
		$($(1)_LDFLAGS) test/target/test_lock.c \
		$(addprefix $(TDIR)/$(1)-$(2)/,startup.o $(notdir $($(1)_SYS:.c=.o)) cmocka.o target_cmocka.o) \
		$(LIB_DIR)/listheap.ld -L$(LIB_DIR)/$($(1)_CPU) -llistheap_irq -o $$@
	$(Q)tools/linkcheck.sh elf $$@ $$(@:.elf=.map)
	$(Q)$$(call entry_checks,$$@,test_lock)
endef
$(eval $(call lock_image,mps2-an500,nano))
$(eval $(call lock_image,netduinoplus2,full))

# Interrupt stress (test/target/test_irq_stress.c): SysTick allocates and frees while main
# does, 200,000 operations under QEMU -icount. With the PRIMASK lock it must pass (exit 0);
# with no lock (liblistheap_nolock.a, test-only) it must detect the race (exit 1, or 3 when
# the corruption faults), so the test is shown able to fail.
STRESS_ICOUNT := 6
STRESS_CPUS := cortex-m4 cortex-m7
$(foreach c,$(STRESS_CPUS),$(eval $(call arm_lib,$(c),liblistheap_nolock.a,-DLISTHEAP_LOCKING=LISTHEAP_LOCKING_NONE)))
define stress_image # $(1) = board, $(2) = libc, $(3) = irq | nolock
$(TDIR)/$(1)-$(2)/$(3)/test_irq_stress.elf: test/target/test_irq_stress.c $(TDIR)/$(1)-$(2)/base.stamp $(LIB_DIR)/$($(1)_CPU)/liblistheap_$(3).a
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $$($(1)-$(2)_CFLAGS) $(WARN) -I$(LIB_DIR)/include -nostartfiles -T ld/$(1).ld -Lld \
		-Wl,--gc-sections -Wl,-Map=$$(@:.elf=.map) $($(1)_LDFLAGS) test/target/test_irq_stress.c \
		$(addprefix $(TDIR)/$(1)-$(2)/,startup.o $(notdir $($(1)_SYS:.c=.o))) \
		$(LIB_DIR)/listheap.ld -L$(LIB_DIR)/$($(1)_CPU) -llistheap_$(3) -o $$@
	$(Q)tools/linkcheck.sh elf $$@ $$(@:.elf=.map)
	$(Q)$$(call entry_checks,$$@,test_irq_stress)
endef
$(foreach k,irq nolock,$(eval $(call stress_image,mps2-an500,nano,$(k))) $(eval $(call stress_image,netduinoplus2,full,$(k))))
STRESS_IMAGES := $(foreach k,irq nolock,$(TDIR)/mps2-an500-nano/$(k)/test_irq_stress.elf $(TDIR)/netduinoplus2-full/$(k)/test_irq_stress.elf)

test-irq-stress: $(STRESS_IMAGES)
	$(Q)set -e; for elf in $(STRESS_IMAGES); do \
		b=$$(basename $$(dirname $$(dirname $$elf))); b=$${b%-*}; k=$$(basename $$(dirname $$elf)); \
		echo "==> $$b $$k test_irq_stress"; rc=0; \
		ICOUNT=$(STRESS_ICOUNT) qemu/run.sh $$b $$elf 60 >$${elf%.elf}.log 2>&1 || rc=$$?; \
		cat $${elf%.elf}.log; \
		if [ $$k = irq ] && [ $$rc -ne 0 ]; then echo "FAILED: $$elf exit $$rc, want 0"; exit 1; fi; \
		if [ $$k = nolock ] && [ $$rc -ne 1 ] && [ $$rc -ne 3 ]; then \
			echo "FAILED: $$elf exit $$rc: the unlocked heap's race went undetected (want 1 or 3)"; exit 1; fi; \
		echo "exit $$rc, as expected"; \
	done

# The STM32H750 demo image: linked with ld/stm32h750.ld (nothing here emulates the H750), then
# its heap must lie in AXI SRAM, 0x24000000-0x2407FFFF, with nothing else there.
H750_SYS := syscalls/common.c syscalls/usart_stm32h7.c syscalls/exit_halt.c
H750_ELF := $(TDIR)/stm32h750/seed_demo.elf
$(H750_ELF): test/target/seed_demo.c qemu/startup.c $(H750_SYS) $(LIB_DIR)/cortex-m7/liblistheap.a $(LIB_DIR)/include/listheap.h
	@echo "  LD      $@"
	@mkdir -p $(@D)
	$(Q)$(CC_ARM) $(cortex-m7_CPU) --specs=nano.specs $(CSTD) -Os -g -ffunction-sections -fdata-sections \
		$(WARN) -DBOARD_STM32H750 -Isyscalls -I$(LIB_DIR)/include -nostartfiles -T ld/stm32h750.ld -Lld \
		-Wl,--gc-sections -Wl,-Map=$(@:.elf=.map) test/target/seed_demo.c qemu/startup.c $(H750_SYS) \
		-L$(LIB_DIR)/cortex-m7 -llistheap -o $@
	$(Q)tools/linkcheck.sh elf $@ $(@:.elf=.map)

# The test bed's own failure paths: a fault exits 3; an undersized heap fails the link.
define testbed_negative # $(1) = board
$(TDIR)/testbed-negative-$(1).ok: test/target/fault_demo.c $(TDIR)/$(1)-nano/base.stamp $(LIB_DIR)/$($(1)_CPU)/liblistheap.a
	$(Q)$(CC_ARM) $$($(1)-nano_CFLAGS) -nostartfiles -T ld/$(1).ld -Lld \
		test/target/fault_demo.c $(addprefix $(TDIR)/$(1)-nano/,startup.o $(notdir $($(1)_SYS:.c=.o))) \
		$(LIB_DIR)/listheap.ld -L$(LIB_DIR)/$($(1)_CPU) -llistheap -o $(TDIR)/fault-$(1).elf
	$(Q)rc=0; qemu/run.sh $(1) $(TDIR)/fault-$(1).elf 30 >$(TDIR)/fault-$(1).log 2>&1 || rc=$$$$?; \
	if [ $$$$rc -ne 3 ] || ! grep -q Fault $(TDIR)/fault-$(1).log; then \
		cat $(TDIR)/fault-$(1).log; echo "testbed: a bus fault on $(1) gave exit $$$$rc, not 3" >&2; exit 1; fi; \
	echo "testbed: a bus fault on $(1) is reported and exits 3: $$$$(grep -m1 Fault $(TDIR)/fault-$(1).log)"
	$(Q)if $(CC_ARM) $$($(1)-nano_CFLAGS) -nostartfiles -T ld/$(1).ld -Lld -Wl,--defsym=__HEAP_MIN_SIZE=0x10000000 \
		test/target/fault_demo.c $(TDIR)/$(1)-nano/startup.o -o $(TDIR)/small-heap-$(1).elf 2>$(TDIR)/small-heap-$(1).log; then \
		echo "testbed: an undersized heap linked on $(1)" >&2; exit 1; fi; \
	grep -q "heap is smaller than __HEAP_MIN_SIZE" $(TDIR)/small-heap-$(1).log || { cat $(TDIR)/small-heap-$(1).log; exit 1; }; \
	echo "testbed: an undersized heap fails the link on $(1)"
	@touch $$@
endef
$(foreach b,$(BOARDS),$(eval $(call testbed_negative,$(b))))

# `make lib` on a machine with only the Arm toolchain: run with a PATH holding nothing but
# arm-none-eabi-* and the shell tools make and linkcheck.sh use (no host gcc, QEMU, cmake,
# clang...), and with tools/setup.sh replaced by `false`, so that any dependence on either
# fails. It runs both `make lib` and the custom-variant line of docs/integration.md ("What you
# add", snippet lib-custom), as the doc prints it.
LIB_ONLY_TOOLS := sh make mkdir rm cp mv basename dirname awk grep sed sort mktemp wc cat tr \
	head tail uniq env expr printf echo touch ls
$(TDIR)/lib-standalone.ok: $(LIB_SRC) $(ALLOC_HDR) alloc/lock.h alloc/entry.h alloc/newlib/listheap.ld tools/linkcheck.sh tools/snippet.sh docs/integration.md Makefile
	$(Q)rm -rf $(TDIR)/lib-standalone && mkdir -p $(TDIR)/lib-standalone/bin
	$(Q)for t in $(LIB_ONLY_TOOLS); do p=$$(command -v $$t) && ln -s $$p $(TDIR)/lib-standalone/bin/$$t || exit 1; done
	$(Q)for p in $$(dirname $$(command -v $(CC_ARM)))/$(PREFIX)*; do ln -sf $$p $(TDIR)/lib-standalone/bin/; done
	$(Q)env -i HOME=$$HOME PATH=$(abspath $(TDIR)/lib-standalone/bin) make -s --no-print-directory lib \
		BUILD=$(abspath $(TDIR)/lib-standalone/build) SETUP=false LIB_VARIANTS=cortex-m7 \
		>$(TDIR)/lib-standalone/log 2>&1 || { cat $(TDIR)/lib-standalone/log; echo "make lib needs more than the Arm toolchain" >&2; exit 1; }
	$(Q)line=$$(tools/snippet.sh show docs/integration.md lib-custom) && \
	env -i HOME=$$HOME PATH=$(abspath $(TDIR)/lib-standalone/bin) sh -c "$$line -s --no-print-directory \
		BUILD=$(abspath $(TDIR)/lib-standalone/build) SETUP=false" \
		>>$(TDIR)/lib-standalone/log 2>&1 || { cat $(TDIR)/lib-standalone/log; echo "the doc's custom-variant line failed" >&2; exit 1; }
	$(Q)ls $(TDIR)/lib-standalone/build/lib/my-m55/liblistheap.a $(TDIR)/lib-standalone/build/lib/cortex-m7/liblistheap_irq.a >/dev/null
	$(Q)$(PREFIX)readelf -A $(TDIR)/lib-standalone/build/lib/my-m55/liblistheap.a | grep -qi "Tag_CPU_name: \"cortex-m55\"" || \
		{ echo "lib-standalone: my-m55 was not built for the Cortex-M55" >&2; exit 1; }
	@echo "lib-standalone: make lib builds with only the Arm toolchain on PATH and no setup.sh, custom variant included"
	@touch $@

# Every float-ABI variant links into an image built with that ABI (malloc_only, newlib-nano,
# mps2-an500 script); the Cortex-M7 ones run on the mps2-an500 (a Cortex-M7). An ABI mismatch
# fails the link ("uses VFP register arguments"), which the last check shows.
define abi_image # $(1) = variant
$(TDIR)/abi/$(1)/malloc_only.elf: test/target/malloc_only.c qemu/startup.c $(mps2-an500_SYS) $(LIB_DIR)/$(1)/liblistheap.a $(LIB_DIR)/include/listheap.h
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $($(1)_CPU) --specs=nano.specs $(CSTD) -Os -ffunction-sections -fdata-sections $(WARN) \
		$(mps2-an500_DEFS) -Isyscalls -I$(LIB_DIR)/include -nostartfiles -T ld/mps2-an500.ld -Lld \
		-Wl,--gc-sections -Wl,-Map=$$(@:.elf=.map) test/target/malloc_only.c qemu/startup.c $(mps2-an500_SYS) \
		$(LIB_DIR)/listheap.ld -L$(LIB_DIR)/$(1) -llistheap -o $$@
	$(Q)tools/linkcheck.sh elf $$@ $$(@:.elf=.map)
endef
$(foreach v,$(ABI_VARIANTS),$(eval $(call abi_image,$(v))))
$(TDIR)/abi.ok: $(foreach v,$(ABI_VARIANTS),$(TDIR)/abi/$(v)/malloc_only.elf)
	$(Q)for v in cortex-m7-soft cortex-m7-softfp; do \
		qemu/run.sh mps2-an500 $(TDIR)/abi/$$v/malloc_only.elf 30 >$(TDIR)/abi/$$v/log 2>&1 || { cat $(TDIR)/abi/$$v/log; exit 1; }; \
		echo "abi: $$v: $$(cat $(TDIR)/abi/$$v/log)"; done
	$(Q)if $(CC_ARM) $(cortex-m7-soft_CPU) --specs=nano.specs -nostartfiles -T ld/mps2-an500.ld -Lld \
		test/target/malloc_only.c qemu/startup.c $(mps2-an500_SYS) $(mps2-an500_DEFS) -Isyscalls -I$(LIB_DIR)/include \
		-L$(LIB_DIR)/cortex-m7 -llistheap -o $(TDIR)/abi/mismatch.elf 2>$(TDIR)/abi/mismatch.log; then \
		echo "abi: a soft-float image linked with the hard-float library: the variants prove nothing" >&2; exit 1; fi; \
		grep -q "VFP register arguments" $(TDIR)/abi/mismatch.log || { cat $(TDIR)/abi/mismatch.log; exit 1; }
	@echo "abi: $(words $(ABI_VARIANTS)) float-ABI variants link with their own ABI; soft + hard library fails the link, as it must"
	@touch $@

test-images: $(TDIR)/stats-nostdio.ok $(TDIR)/abi.ok $(TDIR)/lib-standalone.ok $(TDIR)/link-negative.ok $(TDIR)/link-u.ok $(TDIR)/fragment-cost.ok $(foreach b,$(BOARDS),$(TDIR)/testbed-negative-$(b).ok) $(CPP_IMAGES) $(LOCK_IMAGES) $(H750_ELF)
	$(Q)tools/linkcheck.sh heap $(H750_ELF) 0x24000000 0x24080000
	$(Q)for elf in $(TDIR)/*/*/seed_demo.elf $(H750_ELF); do \
		if $(PREFIX)nm $$elf | grep -qiE ' (_?v?f?i?printf|_?_?sinit|_malloc_stats_r)$$'; then \
			echo "linkcheck: $$elf links stdio or malloc_stats, which it never calls" >&2; exit 1; fi; done; \
		echo "linkcheck: no seed_demo image links stdio or malloc_stats (gc-sections dropped them)"
	$(Q)set -e; for elf in $(CPP_IMAGES) $(LOCK_IMAGES); do \
		b=$$(basename $$(dirname $$(dirname $$elf))); b=$${b%-*}; \
		echo "==> $$b $$(basename $$(dirname $$elf)) $$(basename $$elf .elf)"; \
		qemu/run.sh $$b $$elf 60 >$${elf%.elf}.log 2>&1 || { cat $${elf%.elf}.log; echo "FAILED: $$elf"; exit 1; }; \
		cat $${elf%.elf}.log; done

run: $(TDIR)/mps2-an500-nano/plain/seed_demo.elf
	$(Q)qemu/run.sh mps2-an500 $< 30

# ---------------------------------------------------------------- coverage
coverage_FLAGS := -m64 -O0 --coverage
coverage-checked_FLAGS := -m64 -O0 --coverage -DLISTHEAP_DEBUG=1
COV_CONFIGS := coverage coverage-checked
$(foreach c,$(COV_CONFIGS),$(foreach s,$(SUITES),$(eval $(call host_suite,$(c),$(s)))))

# Line and branch coverage of alloc/ over the release and the checked build together.
coverage: $(foreach c,$(COV_CONFIGS),$(foreach s,$(SUITES),$(BUILD)/$(c)/$(s)))
	$(Q)rm -f $(foreach c,$(COV_CONFIGS),$(BUILD)/$(c)/*.gcda)
	$(Q)for c in $(COV_CONFIGS); do for s in $(SUITES); do \
		$(BUILD)/$$c/$$s >/dev/null 2>&1 || { echo "$$c/$$s failed"; exit 1; }; done; done
	$(Q)gcovr --root . --filter alloc/ --branches $(foreach c,$(COV_CONFIGS),$(BUILD)/$(c))
	$(Q)gcovr --root . --filter alloc/ --fail-under-line 98 --fail-under-branch 88 \
		$(foreach c,$(COV_CONFIGS),$(BUILD)/$(c))

# ---------------------------------------------------------------- fuzzing (clang + libFuzzer)
# make fuzz [FUZZ_TIME=60]: build test/fuzz/fuzz_heap.c against the release and the checked
# build of alloc/, then fuzz each for FUZZ_TIME seconds from a copy of test/fuzz/corpus
# (libFuzzer adds its finds to that copy). A failure leaves crash-* (or timeout-*: one input ran
# longer than FUZZ_TIMEOUT seconds) in $(BUILD)/fuzz/<name>.run/.
.PHONY: fuzz fuzz-replay
FUZZ_TIME ?= 60
# Seconds one input may take before libFuzzer reports a hang (a heap call looping forever).
FUZZ_TIMEOUT ?= 10
FUZZ_CC ?= clang
FUZZ_FLAGS := $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fsanitize-coverage-ignorelist=test/fuzz/coverage.ignore $(WARN)
FUZZ_SRC := $(ALLOC_SRC) $(SUPPORT_SRC) $(HARNESS_SRC) test/fuzz/fuzz_heap.c
FUZZ_DEPS := $(FUZZ_SRC) $(ALLOC_HDR) test/support/shadow.h test/support/harness.h test/fuzz/coverage.ignore
FUZZ_BINS := $(BUILD)/fuzz/fuzz_heap $(BUILD)/fuzz/fuzz_heap_checked

$(BUILD)/fuzz/fuzz_heap: $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -Ialloc -Itest/support $(FUZZ_SRC) -o $@
$(BUILD)/fuzz/fuzz_heap_checked: $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -DLISTHEAP_DEBUG=1 -Ialloc -Itest/support $(FUZZ_SRC) -o $@

fuzz: $(FUZZ_BINS)
	$(Q)set -e; for b in $(FUZZ_BINS); do \
		d=$$b.run; rm -rf $$d; mkdir -p $$d; cp -r test/fuzz/corpus $$d/corpus; \
		echo "==> $$(basename $$b): $(FUZZ_TIME) s"; \
		$$b -max_total_time=$(FUZZ_TIME) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 -artifact_prefix=$$d/ $$d/corpus \
			>$$d/log 2>&1 || { tail -40 $$d/log; echo "FAILED: $$b (reproducer in $$d/)"; exit 1; }; \
		grep -E 'DONE|average_exec_per_sec' $$d/log; \
	done

# The seeds and every saved reproducer, replayed without fuzzing (milliseconds; fits `make test`).
fuzz-replay: $(FUZZ_BINS)
	$(Q)for b in $(FUZZ_BINS); do $$b -timeout=$(FUZZ_TIMEOUT) test/fuzz/corpus/* $$(ls -d test/fuzz/crashes/* 2>/dev/null) \
		>$(BUILD)/fuzz/replay.log 2>&1 || { cat $(BUILD)/fuzz/replay.log; exit 1; }; done
	@echo "fuzz-replay: $$(ls test/fuzz/corpus | wc -l) seeds pass on both builds"

# ---------------------------------------------------------------- lint
lint: | setup
	$(Q)for defs in "" "-DLISTHEAP_DEBUG=1"; do \
		cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem $$defs -Ialloc alloc/ || exit 1; done
	@echo "cppcheck: alloc/ clean"

clean:
	rm -rf $(BUILD)

# ---------------------------------------------------------------- benchmarks (bench/)
include bench/bench.mk

# ---------------------------------------------------------------- adversarial test (test/adversarial.mk)
include test/adversarial.mk

# ---------------------------------------------------------------- the documented routes (examples/examples.mk)
include examples/examples.mk
include examples/cmake.mk

# ---------------------------------------------------------------- FreeRTOS glue (rtos/rtos.mk)
include rtos/rtos.mk

# ---------------------------------------------------------------- Rust (rust/rust.mk; optional)
include rust/rust.mk
