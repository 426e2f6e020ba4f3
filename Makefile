# listheap — entry points: test, coverage, lint, clean (V=1 shows the commands)
#
#   make test       every suite, in every host configuration (installs what is missing)
#   make coverage   line and branch coverage of alloc/ from the host suites (gcovr)
#   make lint       cppcheck on alloc/
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
SUITES := test_core test_check test_lazy
test_core_SRC := test/host/test_core.c
test_random_SRC := test/host/test_random.c $(SUPPORT_SRC)
test_lazy_SRC := test/host/test_lazy.c
test_check_SRC := test/host/test_check.c

CONFIGS := host64 host32 sanitize
host64_FLAGS := -m64 -O2
host32_FLAGS := -m32 -Os
sanitize_FLAGS := -m64 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The sanitizer build runs the random test with fewer operations (it is ~10x slower).
sanitize_ENV := LISTHEAP_OPS=20000

.PHONY: all test setup coverage lint clean
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
		if [ $$c = sanitize ]; then env $(sanitize_ENV) $(BUILD)/$$c/$$s; else $(BUILD)/$$c/$$s; fi; \
	done; done
	@echo "==> all host suites passed"

# ---------------------------------------------------------------- coverage
coverage_FLAGS := -m64 -O0 --coverage
$(foreach s,$(SUITES),$(eval $(call host_suite,coverage,$(s))))

coverage: $(foreach s,$(SUITES),$(BUILD)/coverage/$(s))
	$(Q)rm -f $(BUILD)/coverage/*.gcda
	$(Q)for s in $(SUITES); do $(BUILD)/coverage/$$s >/dev/null 2>&1 || { echo "$$s failed"; exit 1; }; done
	$(Q)gcovr --root . --filter alloc/ --branches $(BUILD)/coverage
	$(Q)gcovr --root . --filter alloc/ $(BUILD)/coverage

# ---------------------------------------------------------------- lint
lint: | setup
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem -Ialloc alloc/
	@echo "cppcheck: alloc/ clean"

clean:
	rm -rf $(BUILD)
