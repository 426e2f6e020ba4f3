# examples/examples.mk - `make test-examples` (part of `make test`): every route of
# docs/integration.md, built as the user would build it, from the lines the doc gives.
#
# examples/cubemx-h750/ is an STM32CubeMX-shaped STM32H750 project (its Makefile, its linker
# script, start-up, syscalls.c without sysmem.c). For each case below it is copied to
# $(BUILD)/examples/<case>/, listheap is put where the doc says (alloc/ copied for the source
# route, build/lib/ for the library route), the doc's snippet is pasted in place of the
# example's own listheap lines (tools/snippet.sh replace: a doc that drifts from the example
# fails here), and the project's own Makefile builds it. Then tools/linkcheck.sh checks the
# image: one allocator (listheap's), no _sbrk, the heap where the linker script put it. The
# H750 is not emulated by QEMU: these images are linked and checked, not run.
#
# Cases: <route>-<style>, route = source | lib, style = dtcm (data, bss and stack in DTCMRAM:
# the heap is all of RAM_D1) | ramd1 (data, bss and stack in RAM_D1, _estack at its top: the
# heap ends _Min_Stack_Size below it). Negative cases must fail with listheap's own message:
# the library after -lc, and the heap snippet of an older doc (heap up to the end of RAM_D1)
# in the ramd1 style, where it overlaps the stack.

EX_DIR := $(BUILD)/examples
EX_SRC := $(shell find examples/cubemx-h750 -type f)
EX_DOC := docs/integration.md
EX_CASES := source-dtcm source-ramd1 lib-dtcm lib-ramd1
EX_BAD := lib-after-lc heap-over-stack lib-after-lc-no-ld lib-after-lc-no-nosys
EX_OTHER := cubeide-link source-qemu source-primask
# the project's default script is the dtcm style; the ramd1 style moves data, bss and stack
# (only above the listheap lines: the DTCM bank stays in DTCMRAM)
EX_RAMD1_SED := -e '1,/listheap: begin/ s/^_estack = ORIGIN(DTCMRAM) + LENGTH(DTCMRAM)/_estack = ORIGIN(RAM_D1) + LENGTH(RAM_D1)/' \
	-e '1,/listheap: begin/ s/>DTCMRAM/>RAM_D1/'

# Shared with examples/cmake.mk. $(1) = image, $(2) = its map: the checks every image of a
# route gets (one allocator, listheap's, no _sbrk; the heap alone in AXI SRAM and clear of the
# stack).
define ex_check
	$(Q)tools/linkcheck.sh elf $(1) $(2)
	$(Q)tools/linkcheck.sh uses $(2) malloc free _malloc_r
	$(Q)tools/linkcheck.sh heap $(1) 0x24000000 0x24080000
	$(Q)tools/linkcheck.sh stack $(1)
endef

# $(1) = image, $(2) = PRIMASK | NEWLIB: the lock listheap's malloc takes. PRIMASK: cpsid in
# listheap_malloc_err (where every malloc takes the lock) and no __malloc_lock in the image;
# NEWLIB: the reverse.
define ex_lock
	$(Q)n=$$($(PREFIX)nm $(1) | grep -c ' __malloc_lock$$' || true); \
	c=$$($(PREFIX)objdump -d --disassemble=listheap_malloc_err $(1) | grep -c 'cpsid' || true); \
	case "$(2):$$n:$$c" in \
	PRIMASK:0:[1-9]*|NEWLIB:1:0) echo "example: $(notdir $(1)): listheap takes the $(2) lock ($$c cpsid in listheap_malloc_err, $$n __malloc_lock)";; \
	*) echo "example: $(1): not the $(2) lock: $$c cpsid in listheap_malloc_err, $$n __malloc_lock in the image" >&2; exit 1;; \
	esac
endef

# $(1) = file, $(2) = sed expression, $(3) = line that must be there afterwards: an edit that
# must have happened (a case whose edit silently did nothing would test the unedited project).
# The edits are variables: their parentheses and commas cannot be $(call) arguments.
define ex_edit
	$(Q)sed -i '$(2)' $(1) && grep -qxF '$(3)' $(1) || { echo 'example: could not edit $(1) into: $(3)' >&2; exit 1; }
endef

# $(1) = case directory, $(2) = route, $(3) = style: copy the project and follow the doc
define ex_prepare
	$(Q)rm -rf $(1) && mkdir -p $(EX_DIR) && cp -r examples/cubemx-h750 $(1)
	$(Q)tools/snippet.sh in $(EX_DOC) cubemx-make-source examples/cubemx-h750/Makefile >/dev/null
	$(Q)tools/snippet.sh in $(EX_DOC) cubemx-ld-heap examples/cubemx-h750/STM32H750XBHx_FLASH.ld >/dev/null
	$(Q)tools/snippet.sh in $(EX_DOC) cubemx-ld-banks examples/cubemx-h750/STM32H750XBHx_FLASH.ld >/dev/null
	$(Q)tools/snippet.sh in $(EX_DOC) h750-banks examples/cubemx-h750/Core/Src/main.c >/dev/null
	$(Q)tools/snippet.sh in $(EX_DOC) h750-dma examples/cubemx-h750/Core/Src/main.c >/dev/null
	$(Q)tools/snippet.sh replace $(EX_DOC) cubemx-make-$(2) examples/cubemx-h750/Makefile \
		'# listheap: begin' '# listheap: end' >$(1)/Makefile
	$(Q)tools/snippet.sh replace $(EX_DOC) cubemx-ld-heap examples/cubemx-h750/STM32H750XBHx_FLASH.ld \
		'  /* listheap: begin */' '  /* listheap: end */' >$(1)/heap.ld
	$(Q)tools/snippet.sh replace $(EX_DOC) cubemx-ld-banks $(1)/heap.ld \
		'  /* listheap banks: begin */' '  /* listheap banks: end */' >$(1)/STM32H750XBHx_FLASH.ld
	$(Q)$(if $(filter ramd1,$(3)),sed -i $(EX_RAMD1_SED) $(1)/STM32H750XBHx_FLASH.ld)
	$(Q)mkdir -p $(1)/Middlewares/Third_Party/listheap
	$(Q)$(if $(filter source%,$(2)),cp -r alloc $(1)/Middlewares/Third_Party/listheap/alloc)
	$(Q)$(if $(filter lib,$(2)),cp -r $(LIB_DIR) $(1)/Middlewares/Third_Party/listheap/lib)
endef

define ex_case # $(1) = route, $(2) = style
$(EX_DIR)/$(1)-$(2).ok: $(EX_SRC) $(EX_DOC) $(ALLOC_SRC) $(ALLOC_HDR) $(LIB_SRC) tools/snippet.sh tools/linkcheck.sh $(if $(filter lib,$(1)),$(LIB_DIR)/cortex-m7/liblistheap.a $(LIB_DIR)/include/listheap.h)
	@echo "==> example cubemx-h750, $(1) route, $(2) linker script style"
	$(Q)$(call ex_prepare,$(EX_DIR)/$(1)-$(2),$(1),$(2))
	$(Q)$(MAKE) -s --no-print-directory -C $(EX_DIR)/$(1)-$(2) >$(EX_DIR)/$(1)-$(2).log 2>&1 || \
		{ cat $(EX_DIR)/$(1)-$(2).log; exit 1; }
	$$(call ex_check,$(EX_DIR)/$(1)-$(2)/build/cubemx-h750.elf,$(EX_DIR)/$(1)-$(2)/build/cubemx-h750.map)
	$$(call ex_lock,$(EX_DIR)/$(1)-$(2)/build/cubemx-h750.elf,NEWLIB)
	@touch $$@
endef
$(foreach r,source lib,$(foreach s,dtcm ramd1,$(eval $(call ex_case,$(r),$(s)))))

# $(1) = case: its project must fail to build, and the log must say $(2)
define ex_must_fail
	if $(MAKE) -s --no-print-directory -C $(EX_DIR)/$(1) >$(EX_DIR)/$(1).log 2>&1; then \
		echo "example: $(1) built: the check that must stop it is void" >&2; exit 1; fi; \
	grep -q "$(2)" $(EX_DIR)/$(1).log || { cat $(EX_DIR)/$(1).log; echo "example: $(1) failed without \"$(2)\"" >&2; exit 1; }
endef

# Route 1 with the interrupt-safe lock from the project's defines (snippet
# cubemx-make-source-primask): listheap's malloc masks interrupts, no __malloc_lock.
$(EX_DIR)/source-primask.ok: $(EX_DIR)/source-dtcm.ok
	@echo "==> example cubemx-h750, source route, LISTHEAP_LOCKING_PRIMASK in C_DEFS"
	$(call ex_prepare,$(EX_DIR)/source-primask,source-primask,dtcm)
	$(Q)$(MAKE) -s --no-print-directory -C $(EX_DIR)/source-primask >$(EX_DIR)/source-primask.log 2>&1 || \
		{ cat $(EX_DIR)/source-primask.log; exit 1; }
	$(call ex_check,$(EX_DIR)/source-primask/build/cubemx-h750.elf,$(EX_DIR)/source-primask/build/cubemx-h750.map)
	$(call ex_lock,$(EX_DIR)/source-primask/build/cubemx-h750.elf,PRIMASK)
	@touch $@

# The link-order edits of the negative cases: the snippet's `LIBS := <listheap> $(LIBS)` line
# turned into what a user who appends, or who drops listheap.ld or libnosys, ends up with.
EX_LIBS_SNIPPET_RE := ^LIBS := \(.*\) $$(LIBS)$$
EX_AFTER_LC_SED := s/$(EX_LIBS_SNIPPET_RE)/LIBS := $$(LIBS) \1/
EX_AFTER_LC_LINE := LIBS := $$(LIBS) $$(LISTHEAP_LIB)/listheap.ld -llistheap
EX_NO_LD_SED := s/$(EX_LIBS_SNIPPET_RE)/LIBS := $$(LIBS) -llistheap/
EX_NO_LD_LINE := LIBS := $$(LIBS) -llistheap
EX_NO_NOSYS_SED := s/$(EX_LIBS_SNIPPET_RE)/LIBS := -lc -lm -llistheap/
EX_NO_NOSYS_LINE := LIBS := -lc -lm -llistheap

# The library after -lc, as a user appends it to CubeMX's LIBS: listheap.ld's ASSERT must name
# the mistake (without listheap.ld the link succeeds with newlib's malloc: the doc says so).
$(EX_DIR)/lib-after-lc.ok: $(EX_DIR)/lib-dtcm.ok
	$(Q)$(call ex_prepare,$(EX_DIR)/lib-after-lc,lib,dtcm)
	$(call ex_edit,$(EX_DIR)/lib-after-lc/Makefile,$(EX_AFTER_LC_SED),$(EX_AFTER_LC_LINE))
	$(Q)$(call ex_must_fail,lib-after-lc,listheap.ld: newlib's own malloc is in the link too)
	@echo "example: the library after -lc fails the link with listheap.ld's message, as the doc says"
	@touch $@

# The other rows of the doc's LIBS table. Without listheap.ld, the library after -lc links
# with newlib's malloc (and libnosys's _sbrk): linkcheck must then name newlib's member. And
# without libnosys (and no _sbrk anywhere) the same link fails on _sbrk.
$(EX_DIR)/lib-after-lc-no-ld.ok: $(EX_DIR)/lib-dtcm.ok
	$(Q)$(call ex_prepare,$(EX_DIR)/lib-after-lc-no-ld,lib,dtcm)
	$(call ex_edit,$(EX_DIR)/lib-after-lc-no-ld/Makefile,$(EX_NO_LD_SED),$(EX_NO_LD_LINE))
	$(Q)$(MAKE) -s --no-print-directory -C $(EX_DIR)/lib-after-lc-no-ld >$(EX_DIR)/lib-after-lc-no-ld.log 2>&1 || \
		{ cat $(EX_DIR)/lib-after-lc-no-ld.log; echo "example: -lc ... -llistheap without listheap.ld did not link; the doc says it does" >&2; exit 1; }
	$(Q)if tools/linkcheck.sh elf $(EX_DIR)/lib-after-lc-no-ld/build/cubemx-h750.elf $(EX_DIR)/lib-after-lc-no-ld/build/cubemx-h750.map \
		>$(EX_DIR)/lib-after-lc-no-ld.check 2>&1; then \
		echo "example: newlib's malloc in the image went unnoticed by linkcheck" >&2; exit 1; fi
	$(Q)grep -q "links newlib's" $(EX_DIR)/lib-after-lc-no-ld.check || { cat $(EX_DIR)/lib-after-lc-no-ld.check; exit 1; }
	@echo "example: without listheap.ld the library after -lc links newlib's malloc, and linkcheck says so: $$(grep -m1 "links newlib's" $(EX_DIR)/lib-after-lc-no-ld.check | sed 's/.*links //')"
	$(Q)rm -rf $(EX_DIR)/lib-after-lc-no-ld/build # two allocators and _sbrk, by design: no image to leave behind
	@touch $@

$(EX_DIR)/lib-after-lc-no-nosys.ok: $(EX_DIR)/lib-dtcm.ok
	$(Q)$(call ex_prepare,$(EX_DIR)/lib-after-lc-no-nosys,lib,dtcm)
	$(call ex_edit,$(EX_DIR)/lib-after-lc-no-nosys/Makefile,$(EX_NO_NOSYS_SED),$(EX_NO_NOSYS_LINE))
	$(Q)$(call ex_must_fail,lib-after-lc-no-nosys,undefined reference to \`_sbrk')
	@echo "example: without libnosys and listheap.ld, the library after -lc fails on _sbrk, as the doc says"
	@touch $@

# The heap of the old doc (up to the end of RAM_D1) in the ramd1 style overlaps the stack: the
# doc's ASSERT must catch it.
$(EX_DIR)/heap-over-stack.ok: $(EX_DIR)/source-ramd1.ok
	$(Q)$(call ex_prepare,$(EX_DIR)/heap-over-stack,source,ramd1)
	$(Q)sed -i 's/^  __listheap_top = .*/  __listheap_top = ORIGIN(RAM_D1) + LENGTH(RAM_D1);/; /^                   ? _estack/d' \
		$(EX_DIR)/heap-over-stack/STM32H750XBHx_FLASH.ld
	$(Q)$(call ex_must_fail,heap-over-stack,listheap: the heap overlaps the stack)
	@echo "example: a heap reaching into the stack fails the link with the snippet's ASSERT"
	@touch $@

# STM32CubeIDE's managed build (route 3 set in the GUI, docs/integration.md): the link line it
# generates, with `listheap` under Libraries, the library directory under Library search path
# and `-u __listheap_malloc_family` under Other flags, in its order: objects, user libraries,
# then its flags, --specs=nosys.specs, and -lc -lm in a group at the end.
EX_IDE_LINK = $(CC_ARM) -o $(EX_DIR)/cubeide-link/cubemx-h750.elf @$(EX_DIR)/cubeide-link/objects.list -llistheap \
	-mcpu=cortex-m7 -T$(EX_DIR)/cubeide-link/STM32H750XBHx_FLASH.ld --specs=nosys.specs \
	-Wl,-Map=$(EX_DIR)/cubeide-link/cubemx-h750.map -Wl,--gc-sections -static -L$(LIB_DIR)/cortex-m7 \
	-u __listheap_malloc_family --specs=nano.specs -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb \
	-Wl,--start-group -lc -lm -Wl,--end-group
$(EX_DIR)/cubeide-link.ok: $(EX_SRC) $(EX_DOC) $(LIB_DIR)/cortex-m7/liblistheap.a $(LIB_DIR)/include/listheap.h
	@echo "==> example cubemx-h750, STM32CubeIDE's link line"
	$(Q)$(call ex_prepare,$(EX_DIR)/cubeide-link,lib,dtcm)
	$(Q)cd $(EX_DIR)/cubeide-link && for f in Core/Src/*.c startup_stm32h750xx.s; do \
		$(CC_ARM) -mcpu=cortex-m7 -std=gnu11 -g3 -DUSE_HAL_DRIVER -DSTM32H750xx -c -ICore/Inc \
			-I$(abspath $(LIB_DIR))/include -O0 -ffunction-sections -fdata-sections -Wall \
			--specs=nano.specs -mfpu=fpv5-d16 -mfloat-abi=hard -mthumb -x $$(case $$f in *.s) echo assembler-with-cpp;; *) echo c;; esac) \
			$$f -o $$(basename $$f).o || exit 1; echo "\"$$PWD/$$(basename $$f).o\"" >>objects.list; done
	$(Q)$(EX_IDE_LINK) >$(EX_DIR)/cubeide-link.log 2>&1 || { cat $(EX_DIR)/cubeide-link.log; exit 1; }
	$(call ex_check,$(EX_DIR)/cubeide-link/cubemx-h750.elf,$(EX_DIR)/cubeide-link/cubemx-h750.map)
	@touch $@

# Route 1 on a board QEMU runs: the seed demo compiled with alloc/'s sources (every .c under
# alloc/, -I alloc, nothing else; no liblistheap.a anywhere on the line), on the mps2-an500
# with newlib-nano, run to its exit code.
$(EX_DIR)/source-qemu.ok: test/target/seed_demo.c $(LIB_SRC) $(ALLOC_HDR) alloc/lock.h alloc/entry.h $(TDIR)/mps2-an500-nano/base.stamp
	@echo "==> example: source drop-in, seed demo on QEMU mps2-an500"
	$(Q)mkdir -p $(EX_DIR)/source-qemu
	$(Q)for f in test/target/seed_demo.c $(wildcard alloc/*.c alloc/newlib/*.c); do \
		$(CC_ARM) $(mps2-an500-nano_CFLAGS) -Wall -Wextra -Werror -Ialloc -c $$f \
			-o $(EX_DIR)/source-qemu/$$(basename $$f .c).o || exit 1; done
	$(Q)$(CC_ARM) $(mps2-an500-nano_CFLAGS) -nostartfiles -T ld/mps2-an500.ld -Lld \
		-Wl,--gc-sections -Wl,-Map=$(EX_DIR)/source-qemu/seed_demo.map $(EX_DIR)/source-qemu/*.o \
		$(addprefix $(TDIR)/mps2-an500-nano/,startup.o $(notdir $(mps2-an500_SYS:.c=.o))) \
		-o $(EX_DIR)/source-qemu/seed_demo.elf
	$(Q)tools/linkcheck.sh elf $(EX_DIR)/source-qemu/seed_demo.elf $(EX_DIR)/source-qemu/seed_demo.map
	$(Q)if $(PREFIX)nm $(EX_DIR)/source-qemu/seed_demo.elf | grep -E ' (_vfprintf_r|__sf_fake_stderr|fiprintf)$$'; then \
		echo "example: compiling all of alloc/ linked newlib's stdio into an image that never prints" >&2; exit 1; fi
	$(Q)qemu/run.sh mps2-an500 $(EX_DIR)/source-qemu/seed_demo.elf 30 >$(EX_DIR)/source-qemu/log 2>&1 || \
		{ cat $(EX_DIR)/source-qemu/log; echo "FAILED: the source drop-in seed demo" >&2; exit 1; }
	@echo "example: the seed demo built from alloc/ sources ran on mps2-an500 and exited 0"
	@touch $@

# `size` counts the NOLOAD .heap in bss (docs/integration.md, ".heap in size"): 512 KiB of
# heap and the two banks in the dtcm style; `size -A` shows .heap alone.
$(EX_DIR)/size.ok: $(EX_DIR)/source-dtcm.ok
	$(Q)elf=$(EX_DIR)/source-dtcm/build/cubemx-h750.elf; \
	bss=$$($(PREFIX)size $$elf | awk 'NR == 2 {print $$3}'); \
	heap=$$($(PREFIX)size -A $$elf | awk '$$1 == ".heap" {print $$2}'); \
	[ "$$heap" = 524288 ] && [ $$bss -ge $$((524288 + 294912 + 65536)) ] || \
		{ echo "example: size shows bss $$bss, .heap $$heap: docs/integration.md says otherwise" >&2; exit 1; }; \
	echo "example: size counts .heap in bss ($$bss bytes); size -A lists .heap, $$heap bytes"
	@touch $@

.PHONY: test-examples
test-examples: $(foreach c,$(EX_CASES) $(EX_BAD) $(EX_OTHER) size,$(EX_DIR)/$(c).ok)
	@echo "==> all examples built as docs/integration.md says"
