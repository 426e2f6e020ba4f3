# rust/rust.mk - listheap as Rust's global allocator (rust/README.md), included by the Makefile.
#
#   make run-rust     the seed's experiment in Rust on QEMU's mps2-an500 (Cortex-M7)
#   make test-rust    run-rust with its output checked, the target test rust_alloc, link checks
#   make rust-sysroots  core/compiler_builtins/alloc for every Cortex-M triple (test-rust builds them all)
#   make rust-size    what the Rust side costs in flash, from the run-rust image
#
# Rust is optional: nothing here is a prerequisite of `make lib`, `make run` or the C suites.
# Everything is built from Debian's packages (tools/setup.sh --rust): rustc 1.63 called by its
# path, /usr/bin/rustc (a rustup rustc earlier in PATH has no thumb targets), never cargo
# (`-Zbuild-std` needs crates.io). RUSTC_BOOTSTRAP=1 lets the stable 1.63 compiler build the
# standard library and accept #![feature(alloc_error_handler)].

RUST_RUSTC ?= /usr/bin/rustc
RUST_LIBSRC ?= /usr/src/rustc-1.63.0/library
RUST_CB_SRC ?= /usr/share/cargo/registry/compiler_builtins-0.1.70/src/lib.rs
RUST_ENV := RUSTC_BOOTSTRAP=1
# every Cortex-M triple: M0/M0+, M3, M4/M7 (soft, hard float), M33 (soft, hard float)
RUST_TRIPLES := thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabi thumbv7em-none-eabihf \
	thumbv8m.main-none-eabi thumbv8m.main-none-eabihf
# the QEMU board's: mps2-an500 is a Cortex-M7, its C built -mfloat-abi=hard (liblistheap cortex-m7)
RUST_TRIPLE := thumbv7em-none-eabihf
RUST_OUT := $(BUILD)/rust
RUST_OPT := -C opt-level=s -C panic=abort

rust_sysroot = $(RUST_OUT)/sysroot/$(1)
rust_libdir = $(call rust_sysroot,$(1))/lib/rustlib/$(1)/lib

.PHONY: rust-setup run-rust test-rust rust-sysroots rust-size
# tools/setup.sh --rust: rustc, rust-src and compiler_builtins' source, only when missing
rust-setup:
	$(Q)$(SETUP) --rust

# ---------------------------------------------------------------- the sysroot, once per triple
# core, compiler_builtins and alloc compiled as rlibs into $(BUILD)/rust/sysroot/<triple>/,
# about 40 s per triple on 2 cores; `make clean` is the only thing that rebuilds them.
# compiler_builtins gets the cfgs its build script (which only cargo runs) would set for a
# thumb target, except `mem`: newlib keeps memcpy/memset/memmove. thumbv6m (no Thumb-2) also
# gets thumb_1.
rust_std_rustc = $(RUST_ENV) $(RUST_RUSTC) --target $(1) --sysroot $(call rust_sysroot,$(1)) $(RUST_OPT) \
	-Z force-unstable-if-unmarked --crate-type rlib --out-dir $(call rust_libdir,$(1))
define rust_sysroot_rule # $(1) = triple
$(call rust_libdir,$(1))/liballoc.rlib: | rust-setup
	@echo "  RUSTC   sysroot $(1) (core, compiler_builtins, alloc)"
	@mkdir -p $$(@D)
	$(Q)$(call rust_std_rustc,$(1)) --edition 2021 --crate-name core $(RUST_LIBSRC)/core/src/lib.rs
	$(Q)$(call rust_std_rustc,$(1)) --edition 2015 --crate-name compiler_builtins \
		--cfg 'feature="compiler-builtins"' --cfg thumb $(if $(filter thumbv6m%,$(1)),--cfg thumb_1) $(RUST_CB_SRC)
	$(Q)$(call rust_std_rustc,$(1)) --edition 2021 --crate-name alloc $(RUST_LIBSRC)/alloc/src/lib.rs
endef
$(foreach t,$(RUST_TRIPLES),$(eval $(call rust_sysroot_rule,$(t))))

rust-sysroots: $(foreach t,$(RUST_TRIPLES),$(call rust_libdir,$(t))/liballoc.rlib)
	@echo "rust sysroots: $(RUST_TRIPLES)"

# ---------------------------------------------------------------- the crates
# listheap (rust/listheap): the GlobalAlloc, an rlib. The firmware crates are staticlibs,
# linked with -C lto=fat: one object, and no .ARM.exidx reference to libgcc's unwinder.
RUST_CRATE_FLAGS = --target $(1) --sysroot $(call rust_sysroot,$(1)) $(RUST_OPT) --edition 2021 -D warnings

define rust_crates # $(1) = triple
$(RUST_OUT)/$(1)/liblistheap.rlib: rust/listheap/lib.rs $(call rust_libdir,$(1))/liballoc.rlib
	@echo "  RUSTC   $$@"
	@mkdir -p $$(@D)
	$(Q)$(RUST_ENV) $(RUST_RUSTC) $(call RUST_CRATE_FLAGS,$(1)) --crate-type rlib --crate-name listheap \
		--cfg 'feature="alloc-error-handler"' -o $$@ $$<

$(RUST_OUT)/$(1)/lib%.a: rust/%/lib.rs $(RUST_OUT)/$(1)/liblistheap.rlib
	@echo "  RUSTC   $$@"
	$(Q)$(RUST_ENV) $(RUST_RUSTC) $(call RUST_CRATE_FLAGS,$(1)) -C lto=fat --crate-type staticlib \
		--crate-name $$* --extern listheap=$(RUST_OUT)/$(1)/liblistheap.rlib -o $$@ $$<
endef
$(eval $(call rust_crates,$(RUST_TRIPLE)))

# ---------------------------------------------------------------- the images (mps2-an500, nano)
RUST_TDIR := $(TDIR)/mps2-an500-nano/rust
RUST_BASE := $(addprefix $(TDIR)/mps2-an500-nano/,startup.o $(notdir $(mps2-an500_SYS:.c=.o)))
# $(1) = image, $(2) = its C sources (may be none), $(3) = the Rust staticlib's crate
define rust_image
$(RUST_TDIR)/$(1).elf: $(2) $(TDIR)/mps2-an500-nano/base.stamp $(RUST_OUT)/$(RUST_TRIPLE)/lib$(3).a \
		$(LIB_DIR)/cortex-m7/liblistheap.a $(LIB_DIR)/include/listheap.h
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $(mps2-an500-nano_CFLAGS) $(WARN) -I$(LIB_DIR)/include -nostartfiles -T ld/mps2-an500.ld -Lld \
		-Wl,--gc-sections -Wl,-z,noexecstack -Wl,--fatal-warnings -Wl,-Map=$$(@:.elf=.map) $(2) $(RUST_BASE) \
		$(RUST_OUT)/$(RUST_TRIPLE)/lib$(3).a $(LIB_DIR)/listheap.ld -L$(LIB_DIR)/cortex-m7 -llistheap -o $$@
	$(Q)tools/linkcheck.sh elf $$@ $$(@:.elf=.map)
endef
$(eval $(call rust_image,seed_rust,rust/seed/main.c,seed))
$(eval $(call rust_image,rust_alloc,,rust_alloc))

# Every other row of docs/integration.md's triple table, linked: rust_alloc for the triple with
# the make-lib variant the table pairs it with, start-up and syscalls compiled for that CPU and
# float ABI. The rows whose code the mps2-an500 (a Cortex-M7: ARMv6-M and ARMv7-M code runs on
# it) can execute are run too; the M33 rows (ARMv8-M) are linked and link-checked only.
#   <triple>:<liblistheap variant>:run|link
RUST_ROWS := thumbv6m-none-eabi:cortex-m0plus:run thumbv7m-none-eabi:cortex-m3:run \
	thumbv7em-none-eabi:cortex-m7-soft:run thumbv8m.main-none-eabi:cortex-m33-soft:link \
	thumbv8m.main-none-eabihf:cortex-m33:link
rust_row = $(word $(2),$(subst :, ,$(1)))
define rust_row_image # $(1) = triple, $(2) = liblistheap variant
$(eval $(call rust_crates,$(1)))
$(RUST_TDIR)/$(2)/rust_alloc.elf: $(RUST_OUT)/$(1)/librust_alloc.a qemu/startup.c $(mps2-an500_SYS) \
		$(LIB_DIR)/$(2)/liblistheap.a $(LIB_DIR)/include/listheap.h
	@echo "  LD      $$@"
	@mkdir -p $$(@D)
	$(Q)$(CC_ARM) $($(2)_CPU) --specs=nano.specs $(CSTD) -Os -ffunction-sections -fdata-sections $(WARN) \
		$(mps2-an500_DEFS) -Isyscalls -nostartfiles -T ld/mps2-an500.ld -Lld -Wl,--gc-sections -Wl,-z,noexecstack \
		-Wl,--fatal-warnings -Wl,-Map=$$(@:.elf=.map) qemu/startup.c $(mps2-an500_SYS) $$< \
		$(LIB_DIR)/listheap.ld -L$(LIB_DIR)/$(2) -llistheap -o $$@
	$(Q)tools/linkcheck.sh elf $$@ $$(@:.elf=.map)
endef
$(foreach r,$(RUST_ROWS),$(eval $(call rust_row_image,$(call rust_row,$(r),1),$(call rust_row,$(r),2))))
RUST_ROW_IMAGES := $(foreach r,$(RUST_ROWS),$(RUST_TDIR)/$(call rust_row,$(r),2)/rust_alloc.elf)

run-rust: $(RUST_TDIR)/seed_rust.elf
	$(Q)qemu/run.sh mps2-an500 $< 30

# ---------------------------------------------------------------- make test-rust
# The seed image must exit 0 (its own checks) and print what rust/check_seed.sh expects;
# rust_alloc must exit 0 with a summary of as many passes as it has tests and no failure.
RUST_ALLOC_TESTS := 12
# Mutants: the listheap crate with one of its alignment paths broken (sed on a copy, each edit
# checked to have happened), linked into rust_alloc, which must then fail: the tests can see it.
#   ignore_align     alloc gives over-aligned layouts plain malloc (8-byte alignment)
#   naive_realloc    realloc of an over-aligned block through listheap_realloc, which may move
#                    it to an 8-byte-aligned place
RUST_MUTANTS := ignore_align naive_realloc
ignore_align_SED := s/ffi::listheap_memalign(layout.align(), layout.size())/ffi::listheap_malloc(layout.size())/
naive_realloc_SED := s/unsafe { self.realloc_aligned(ptr, layout, new_size) }/unsafe { ffi::listheap_realloc(ptr.cast(), new_size) }.cast()/
define rust_mutant # $(1) = mutant
$(RUST_OUT)/mutants/$(1)/lib.rs: rust/listheap/lib.rs
	@mkdir -p $$(@D)
	$(Q)sed '$$($(1)_SED)' $$< >$$@
	$(Q)! cmp -s $$< $$@ || { echo "rust mutant $(1): the edit did not apply to rust/listheap/lib.rs" >&2; rm -f $$@; exit 1; }
$(RUST_OUT)/mutants/$(1)/liblistheap.rlib: $(RUST_OUT)/mutants/$(1)/lib.rs $(call rust_libdir,$(RUST_TRIPLE))/liballoc.rlib
	$(Q)$(RUST_ENV) $(RUST_RUSTC) $(call RUST_CRATE_FLAGS,$(RUST_TRIPLE)) -A dead_code --crate-type rlib --crate-name listheap \
		--cfg 'feature="alloc-error-handler"' -o $$@ $$<
$(RUST_OUT)/mutants/$(1)/librust_alloc.a: rust/rust_alloc/lib.rs $(RUST_OUT)/mutants/$(1)/liblistheap.rlib
	$(Q)$(RUST_ENV) $(RUST_RUSTC) $(call RUST_CRATE_FLAGS,$(RUST_TRIPLE)) -C lto=fat --crate-type staticlib \
		--crate-name rust_alloc --extern listheap=$(RUST_OUT)/mutants/$(1)/liblistheap.rlib -o $$@ $$<
$(RUST_TDIR)/mutant-$(1).elf: $(RUST_OUT)/mutants/$(1)/librust_alloc.a $(TDIR)/mps2-an500-nano/base.stamp $(LIB_DIR)/cortex-m7/liblistheap.a
	$(Q)$(CC_ARM) $(mps2-an500-nano_CFLAGS) -nostartfiles -T ld/mps2-an500.ld -Lld -Wl,--gc-sections -Wl,-z,noexecstack \
		$(RUST_BASE) $$< $(LIB_DIR)/listheap.ld -L$(LIB_DIR)/cortex-m7 -llistheap -o $$@
endef
$(foreach m,$(RUST_MUTANTS),$(eval $(call rust_mutant,$(m))))

test-rust: $(RUST_TDIR)/seed_rust.elf $(RUST_TDIR)/rust_alloc.elf $(RUST_ROW_IMAGES) $(foreach m,$(RUST_MUTANTS),$(RUST_TDIR)/mutant-$(m).elf)
	$(Q)tools/snippet.sh in docs/integration.md rust-global-allocator rust/seed/lib.rs
	$(Q)tools/snippet.sh in rust/README.md rust-global-allocator rust/seed/lib.rs
	$(Q)tools/snippet.sh in rust/README.md rust-construct rust/seed/lib.rs
	@echo "==> mps2-an500 rust seed_rust"
	$(Q)qemu/run.sh mps2-an500 $(RUST_TDIR)/seed_rust.elf 30 >$(RUST_TDIR)/seed_rust.log 2>&1 || \
		{ cat $(RUST_TDIR)/seed_rust.log; echo "FAILED: seed_rust exit status"; exit 1; }
	$(Q)rust/check_seed.sh $(RUST_TDIR)/seed_rust.log || { cat $(RUST_TDIR)/seed_rust.log; exit 1; }
	@echo "==> mps2-an500 rust rust_alloc"
	$(Q)qemu/run.sh mps2-an500 $(RUST_TDIR)/rust_alloc.elf 60 >$(RUST_TDIR)/rust_alloc.log 2>&1 || \
		{ cat $(RUST_TDIR)/rust_alloc.log; echo "FAILED: rust_alloc exit status"; exit 1; }
	$(Q)grep -qx "rust_alloc: $(RUST_ALLOC_TESTS) passed, 0 failed" $(RUST_TDIR)/rust_alloc.log || \
		{ cat $(RUST_TDIR)/rust_alloc.log; echo "FAILED: rust_alloc's summary is not $(RUST_ALLOC_TESTS) passed, 0 failed"; exit 1; }
	$(Q)grep -x "rust_alloc: .*" $(RUST_TDIR)/rust_alloc.log
	$(Q)for r in $(RUST_ROWS); do t=$${r%%:*}; v=$${r#*:}; how=$${v#*:}; v=$${v%%:*}; \
		elf=$(RUST_TDIR)/$$v/rust_alloc.elf; \
		if [ $$how = link ]; then echo "==> rust rust_alloc, $$t + $$v: linked and link-checked (ARMv8-M: not run on the Cortex-M7)"; continue; fi; \
		echo "==> mps2-an500 rust rust_alloc, $$t + $$v"; \
		qemu/run.sh mps2-an500 $$elf 60 >$${elf%.elf}.log 2>&1 || { cat $${elf%.elf}.log; echo "FAILED: rust_alloc $$t exit status"; exit 1; }; \
		grep -x "rust_alloc: $(RUST_ALLOC_TESTS) passed, 0 failed" $${elf%.elf}.log || \
			{ cat $${elf%.elf}.log; echo "FAILED: rust_alloc $$t summary"; exit 1; }; \
	done
	$(Q)$(MAKE) -s --no-print-directory rust-size >$(RUST_TDIR)/size.log && grep -E '^(seed_rust|rust_alloc):' $(RUST_TDIR)/size.log
	$(Q)for m in $(RUST_MUTANTS); do rc=0; \
		qemu/run.sh mps2-an500 $(RUST_TDIR)/mutant-$$m.elf 60 >$(RUST_TDIR)/mutant-$$m.log 2>&1 || rc=$$?; \
		if [ $$rc -eq 0 ] || ! grep -q '^FAILED ' $(RUST_TDIR)/mutant-$$m.log; then cat $(RUST_TDIR)/mutant-$$m.log; \
			echo "FAILED: rust_alloc passed on the $$m mutant of the listheap crate"; exit 1; fi; \
		echo "rust mutant $$m: rust_alloc fails (exit $$rc): $$(grep '^FAILED ' $(RUST_TDIR)/mutant-$$m.log | cut -d: -f1 | tr -s ' ' | tr '\n' ' ')"; done

rust-size: $(RUST_TDIR)/seed_rust.elf $(RUST_TDIR)/rust_alloc.elf
	$(Q)for i in seed_rust rust_alloc; do echo "$$i: flash bytes by origin (rust/size.sh)"; rust/size.sh $(RUST_TDIR)/$$i.map; done
	@echo "seed_rust: what is left of the listheap crate and Rust's allocation-error path after LTO (bytes, symbol)"
	$(Q)$(PREFIX)nm -S --size-sort -C $(RUST_TDIR)/seed_rust.elf | \
		grep -E ' (listheap::|__rg_|__rust_alloc|__rust_dealloc|__rust_realloc|__rust_alloc_error|alloc::alloc::handle_alloc_error|rust_oom)' | \
		while read -r a n t name; do echo "  $$((0x$$n)) $$name"; done
