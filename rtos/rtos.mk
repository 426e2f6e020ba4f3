# RTOS glue (rtos/): included by the Makefile, whose variables it uses (BUILD, Q, CSTD, WARN,
# ALLOC_WARN, ALLOC_SRC, ALLOC_HDR, CMOCKA_SRC, the $(BUILD)/<config>/cmocka.o rule, CC_ARM,
# ARM_CPUS, <cpu>_CPU, ARM_CFLAGS, <config>_FLAGS, <config>_RUN).
#
#   make test-rtos   the FreeRTOS glue's host suite (host64, host32, sanitize), the glue compiled
#                    for every Cortex-M CPU, and the check that docs/integration.md's FreeRTOS
#                    lines are the ones the suite builds
#
# The FreeRTOS kernel is not a Debian package: the suite runs the glue against a stand-in of the
# kernel headers and calls it uses (test/support/freertos/kernel/), with the test application's
# FreeRTOSConfig.h in test/support/freertos/app/. alloc/ is compiled with
# LISTHEAP_LOCKING_NEWLIB, as in liblistheap.a, against a stand-in <sys/reent.h> for glibc
# (test/support/newlib-host/), so listheap's lock is the glue's __malloc_lock.

.PHONY: test-rtos

RTOS_GLUE := rtos/freertos/listheap_freertos.c
RTOS_KERNEL := test/support/freertos/kernel
RTOS_APP := test/support/freertos/app
RTOS_STANDIN_SRC := $(RTOS_KERNEL)/tasks.c $(RTOS_KERNEL)/port.c
RTOS_STANDIN_HDR := $(wildcard $(RTOS_KERNEL)/*.h) $(RTOS_APP)/FreeRTOSConfig.h \
	test/support/freertos/minimal/FreeRTOSConfig.h test/support/newlib-host/sys/reent.h
RTOS_HOST_INC := -Ialloc -I$(RTOS_APP) -I$(RTOS_KERNEL) -Itest/support/newlib-host
RTOS_NEWLIB_LOCK := -DLISTHEAP_LOCKING=LISTHEAP_LOCKING_NEWLIB -Itest/support/newlib-host
# Release builds only: the suite computes block sizes as listheap.h states them for release.
RTOS_CONFIGS := host64 host32 sanitize

define rtos_suite # $(1) = config
$(BUILD)/$(1)/test_freertos: $(ALLOC_SRC) $(ALLOC_HDR) alloc/lock.h alloc/entry.h $(RTOS_GLUE) \
		$(RTOS_STANDIN_SRC) $(RTOS_STANDIN_HDR) test/host/test_freertos.c $(BUILD)/$(1)/cmocka.o
	@echo "  CC      $$@"
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(ALLOC_WARN) $(RTOS_NEWLIB_LOCK) -Ialloc -c alloc/listheap.c -o $$@.listheap.o
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(ALLOC_WARN) $(RTOS_NEWLIB_LOCK) -Ialloc -c alloc/check.c -o $$@.check.o
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(ALLOC_WARN) $(RTOS_HOST_INC) -c $(RTOS_GLUE) -o $$@.glue.o
	$(Q)gcc $(CSTD) $($(1)_FLAGS) $(WARN) $(RTOS_HOST_INC) -I$(CMOCKA_SRC)/include \
		test/host/test_freertos.c $(RTOS_STANDIN_SRC) $$@.glue.o $$@.listheap.o $$@.check.o \
		$(BUILD)/$(1)/cmocka.o -o $$@
endef
$(foreach c,$(RTOS_CONFIGS),$(eval $(call rtos_suite,$(c))))
RTOS_HOST_BINS := $(foreach c,$(RTOS_CONFIGS),$(BUILD)/$(c)/test_freertos)

# The glue as a firmware build compiles it (object only), for every CPU, against the test
# application's FreeRTOSConfig.h and against one that sets nothing (no hook, no trace macros).
# newlib's own <sys/reent.h> here, not the host stand-in.
define rtos_arm_obj # $(1) = cpu, $(2) = config directory name
$(BUILD)/rtos/$(1)/listheap_freertos.$(2).o: $(RTOS_GLUE) $(ALLOC_HDR) $(RTOS_STANDIN_HDR) | setup
	@echo "  CC      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $($(1)_CPU) $(ARM_CFLAGS) -Ialloc -Itest/support/freertos/$(2) -I$(RTOS_KERNEL) \
		-c $(RTOS_GLUE) -o $$@
endef
$(foreach c,$(ARM_CPUS),$(foreach k,app minimal,$(eval $(call rtos_arm_obj,$(c),$(k)))))
RTOS_ARM_OBJS := $(foreach c,$(ARM_CPUS),$(foreach k,app minimal,$(BUILD)/rtos/$(c)/listheap_freertos.$(k).o))

# The FreeRTOSConfig.h lines docs/integration.md tells users to paste (snippet freertos-config)
# are in the FreeRTOSConfig.h the suite builds, verbatim: tools/snippet.sh, as for every route.
RTOS_DOC_FILES := $(RTOS_APP)/FreeRTOSConfig.h
$(BUILD)/rtos/doc-lines.ok: docs/integration.md $(RTOS_DOC_FILES) tools/snippet.sh
	@mkdir -p $(@D)
	$(Q)tools/snippet.sh in docs/integration.md freertos-config $(RTOS_DOC_FILES)
	@touch $@

test-rtos: $(RTOS_HOST_BINS) $(RTOS_ARM_OBJS) $(BUILD)/rtos/doc-lines.ok
	$(Q)set -e; $(foreach c,$(RTOS_CONFIGS),echo "==> $(c)/test_freertos"; $($(c)_RUN) $(BUILD)/$(c)/test_freertos;)
	@echo "==> FreeRTOS glue: host suites passed, compiled warning-free for $(ARM_CPUS)"
