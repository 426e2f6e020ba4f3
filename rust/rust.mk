# rust/rust.mk - listheap as Rust's global allocator (rust/README.md), included by the Makefile.
#
#   make run-rust     the seed's experiment in Rust on QEMU's mps2-an500 (Cortex-M7)
#   make test-rust    run-rust with its output checked, the target test rust_alloc, link checks
#   make rust-sysroots  core/compiler_builtins/alloc for every Cortex-M triple (not in make test)
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

run-rust: $(RUST_TDIR)/seed_rust.elf
	$(Q)qemu/run.sh mps2-an500 $< 30
