# listheap — entry points: test, coverage, lint, clean (V=1 shows the commands)
#
#   make test       every suite, in every host configuration (installs what is missing)
#   make coverage   line and branch coverage of alloc/ from the host suites (gcovr)
#   make lint       cppcheck on alloc/
#   make lib        liblistheap.a (newlib lock) and liblistheap_irq.a (PRIMASK lock) for each
#                   Cortex-M CPU, with the header and listheap.ld, in build/lib/
#
# The host matrix: host64 (-m64 -O2), host32 (-m32 -Os: ILP32, like Cortex-M), sanitize
# (-m64 -O1, AddressSanitizer + UndefinedBehaviorSanitizer).

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

# suite name -> its sources besides alloc/
SUITES := test_core test_check test_random test_lazy
test_core_SRC := test/host/test_core.c
test_random_SRC := test/host/test_random.c $(SUPPORT_SRC)
test_lazy_SRC := test/host/test_lazy.c
test_check_SRC := test/host/test_check.c

CONFIGS := host64 host32 sanitize
host64_FLAGS := -m64 -O2
host32_FLAGS := -m32 -Os
sanitize_FLAGS := -m64 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all test setup coverage lint lib clean
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
$(BUILD)/$(1)/$(2): $(ALLOC_SRC) $(ALLOC_HDR) $$($(2)_SRC) test/support/shadow.h $(BUILD)/$(1)/cmocka.o
	@echo "  CC      $$@"
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(ALLOC_WARN) -Ialloc -c alloc/listheap.c -o $$@.listheap.o
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(ALLOC_WARN) -Ialloc -c alloc/check.c -o $$@.check.o
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(WARN) -Ialloc -Itest/support -I$(CMOCKA_SRC)/include \
		$$($(2)_SRC) $$@.listheap.o $$@.check.o $(BUILD)/$(1)/cmocka.o -o $$@
endef
$(foreach c,$(CONFIGS),$(foreach s,$(SUITES),$(eval $(call host_suite,$(c),$(s)))))

HOST_BINS := $(foreach c,$(CONFIGS),$(foreach s,$(SUITES),$(BUILD)/$(c)/$(s)))

test: $(HOST_BINS)
	$(Q)set -e; for c in $(CONFIGS); do for s in $(SUITES); do \
		echo "==> $$c/$$s"; \
		$(BUILD)/$$c/$$s; \
	done; done
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
ARM_CFLAGS := $(CSTD) -Os -g -ffunction-sections -fdata-sections $(ALLOC_WARN)
LIB_SRC := $(ALLOC_SRC) alloc/newlib/malloc_family.c
LIB_DIR := $(BUILD)/lib

# $(1) = cpu, $(2) = library name, $(3) = extra flags
define arm_lib
$(LIB_DIR)/$(1)/$(2): $(LIB_SRC) $(ALLOC_HDR) alloc/lock.h alloc/entry.h | setup
	@echo "  AR      $$@"
	@mkdir -p $$(@D)/$(basename $(2))
	$(Q)for f in $(LIB_SRC); do \
		$(CC_ARM) $($(1)_CPU) $(ARM_CFLAGS) $(3) -Ialloc -c $$$$f \
			-o $$(@D)/$(basename $(2))/$$$$(basename $$$$f .c).o || exit 1; done
	$(Q)rm -f $$@ && $(AR_ARM) rcs $$@ $$(@D)/$(basename $(2))/*.o
endef
$(foreach c,$(ARM_CPUS),$(eval $(call arm_lib,$(c),liblistheap.a,)))
$(foreach c,$(ARM_CPUS),$(eval $(call arm_lib,$(c),liblistheap_irq.a,-DLISTHEAP_LOCKING=LISTHEAP_LOCKING_PRIMASK)))
ARM_LIBS := $(foreach c,$(ARM_CPUS),$(LIB_DIR)/$(c)/liblistheap.a $(LIB_DIR)/$(c)/liblistheap_irq.a)

$(LIB_DIR)/include/listheap.h: alloc/listheap.h alloc/config.h alloc/newlib/listheap.ld
	@mkdir -p $(@D)
	$(Q)cp alloc/listheap.h alloc/config.h $(@D)/ && cp alloc/newlib/listheap.ld $(LIB_DIR)/

lib: $(ARM_LIBS) $(LIB_DIR)/include/listheap.h
	$(Q)tools/linkcheck.sh lib $(LIB_DIR)/cortex-m7/liblistheap.a
	$(Q)tools/linkcheck.sh lib $(LIB_DIR)/cortex-m0plus/liblistheap_irq.a
	@echo "libraries in $(LIB_DIR)/<cpu>/: $(ARM_CPUS)"

# ---------------------------------------------------------------- coverage
coverage_FLAGS := -m64 -O0 --coverage
$(foreach s,$(SUITES),$(eval $(call host_suite,coverage,$(s))))

coverage: $(foreach s,$(SUITES),$(BUILD)/coverage/$(s))
	$(Q)rm -f $(BUILD)/coverage/*.gcda
	$(Q)for s in $(SUITES); do $(BUILD)/coverage/$$s >/dev/null 2>&1 || { echo "$$s failed"; exit 1; }; done
	$(Q)gcovr --root . --filter alloc/ --branches $(BUILD)/coverage
	$(Q)gcovr --root . --filter alloc/ --fail-under-line 98 --fail-under-branch 88 $(BUILD)/coverage

# ---------------------------------------------------------------- lint
lint: | setup
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem -Ialloc alloc/
	@echo "cppcheck: alloc/ clean"

clean:
	rm -rf $(BUILD)
