# examples/cmake.mk - `make test-cmake` (part of `make test`): the CMake route of
# docs/integration.md ("2. CMake"), built as a user of STM32CubeMX's CMake flavour builds it,
# from the lines the doc gives.
#
# examples/cubemx-h750/ is also a CubeMX-shaped CMake project: CMakeLists.txt (target
# ${CMAKE_PROJECT_NAME}, plain target_link_libraries), cmake/stm32cubemx/ (the generated code as
# an INTERFACE library), cmake/gcc-arm-none-eabi.cmake (the toolchain file, with -lc -lm in
# CMAKE_C_LINK_FLAGS, i.e. before the objects). For each case it is copied to
# $(BUILD)/examples/cmake-<case>/, the doc's snippet is pasted between its "# listheap: begin"
# and "# listheap: end" lines (tools/snippet.sh replace), listheap is put where the doc says,
# and CMake configures and builds it. tools/linkcheck.sh then checks the image: listheap's
# malloc family and nobody else's, no _sbrk, the heap where the linker script put it.
#
# Cases:
#   subdir-plain    add_subdirectory + target_link_libraries(${CMAKE_PROJECT_NAME} listheap::listheap)
#   subdir-keyword  the same with PRIVATE, in a project whose calls all use keywords
#   package         the doc's shell lines: listheap built with the project's toolchain file,
#                   `cmake --install`ed under $HOME (here a directory of build/), then
#                   find_package(listheap CONFIG REQUIRED) through CMAKE_PREFIX_PATH
#   lc-first        the project links c and m itself, before listheap::listheap: still only
#                   listheap's allocator (the objects are linked before any archive is searched)
#   irq             -DLISTHEAP_LOCKING=PRIMASK: listheap's malloc disables interrupts (cpsid)
#   irq-set         the same from set(LISTHEAP_LOCKING PRIMASK) in the project (cmake-subdir-primask)
#                   and the image has no __malloc_lock; subdir-plain is the control (newlib lock)
# Negative cases, which must fail with listheap's own message:
#   lc-first-static lc-first with listheap made a STATIC library: the -lc scan takes newlib's
#                   malloc first (what the OBJECT library is for; proves lc-first can fail)
#   via-interface   listheap::listheap linked to the stm32cubemx INTERFACE library instead of the
#                   executable: CMake does not pass an object library's objects on, the link
#                   check of the target (cmake/listheap-objects.ld) must say so
# listheap's own sources are built with -DLISTHEAP_WERROR=ON, or (package: the doc's lines,
# verbatim) their build log must hold no warning.

CM_DIR := $(BUILD)/examples
CM_DOC := docs/integration.md
CM_PROJECT := examples/cubemx-h750
CM_ELF := cubemx-h750.elf
CM_LISTHEAP := CMakeLists.txt cmake alloc LICENSE
CM_DEPS := $(shell find $(CM_PROJECT) -type f) $(CM_DOC) CMakeLists.txt $(wildcard cmake/*) \
	$(LIB_SRC) $(ALLOC_HDR) alloc/lock.h alloc/entry.h tools/snippet.sh tools/linkcheck.sh examples/cmake.mk
CM_CASES := subdir-plain subdir-ramd1 subdir-keyword package lc-first irq irq-set
CM_BAD := lc-first-static via-interface
# Ninja where installed (CubeMX's presets use it), else CMake's default, Unix Makefiles
CM_GEN := $(if $(shell command -v ninja 2>/dev/null),-G Ninja)
CM_TOOLCHAIN = -DCMAKE_TOOLCHAIN_FILE=$(abspath $(1))/cmake/gcc-arm-none-eabi.cmake

# $(1) = case directory, $(2) = snippet: copy the project, paste the doc's CMake lines, put
# listheap's checkout (what add_subdirectory needs of it) where the snippet says
define cm_prepare
	$(Q)rm -rf $(1) $(1).log && mkdir -p $(CM_DIR) && cp -r $(CM_PROJECT) $(1) && rm -f $(1)/Makefile
	$(Q)tools/snippet.sh in $(CM_DOC) cmake-subdir $(CM_PROJECT)/CMakeLists.txt >/dev/null
	$(Q)tools/snippet.sh in $(CM_DOC) cubemx-ld-heap $(CM_PROJECT)/STM32H750XBHx_FLASH.ld >/dev/null
	$(Q)tools/snippet.sh in $(CM_DOC) cubemx-ld-banks $(CM_PROJECT)/STM32H750XBHx_FLASH.ld >/dev/null
	$(Q)tools/snippet.sh replace $(CM_DOC) $(2) $(CM_PROJECT)/CMakeLists.txt \
		'# listheap: begin' '# listheap: end' >$(1)/CMakeLists.txt
	$(Q)mkdir -p $(1)/Middlewares/Third_Party/listheap && cp -r $(CM_LISTHEAP) $(1)/Middlewares/Third_Party/listheap/
endef

# $(1) = case directory, $(2) = extra configure options: configure and build into $(1)/build
define cm_build
	$(Q){ cmake -S $(1) -B $(1)/build $(CM_GEN) $(call CM_TOOLCHAIN,$(1)) -DLISTHEAP_WERROR=ON $(2) && \
		cmake --build $(1)/build; } >$(1).log 2>&1 || { cat $(1).log; exit 1; }
endef

# $(1) = build directory holding the image and its map: examples.mk's checks
cm_check = $(call ex_check,$(1)/$(CM_ELF),$(1)/$(CM_ELF:.elf=.map))


# The cases' edits, for examples.mk's ex_edit (file, sed expression, line it must leave).
CM_CALL := target_link_libraries($${CMAKE_PROJECT_NAME}
CM_KEYWORD_SED := s/^target_link_libraries(\$${CMAKE_PROJECT_NAME}$$/& PRIVATE/
CM_KEYWORD_LINE := $(CM_CALL) PRIVATE
CM_LCFIRST_SED := s/^target_link_libraries(\(.*\) listheap::listheap)$$/target_link_libraries(\1 c m listheap::listheap)/
CM_LCFIRST_LINE := $(CM_CALL) c m listheap::listheap)
CM_STATIC_SED := s/^add_library(listheap OBJECT$$/add_library(listheap STATIC/
CM_STATIC_LINE := add_library(listheap STATIC
CM_IFACE_SED := s/^target_link_libraries(.* listheap::listheap)$$/target_link_libraries(stm32cubemx INTERFACE listheap::listheap)/
CM_IFACE_LINE := target_link_libraries(stm32cubemx INTERFACE listheap::listheap)

$(CM_DIR)/cmake-subdir-plain.ok: $(CM_DEPS) | setup
	@echo "==> example cubemx-h750, CMake: add_subdirectory, plain target_link_libraries"
	$(call cm_prepare,$(CM_DIR)/cmake-subdir-plain,cmake-subdir)
	$(call cm_build,$(CM_DIR)/cmake-subdir-plain,)
	$(call cm_check,$(CM_DIR)/cmake-subdir-plain/build)
	$(call ex_lock,$(CM_DIR)/cmake-subdir-plain/build/$(CM_ELF),NEWLIB)
	@touch $@

# The same with the other CubeIDE H7 script style (data, bss and stack in RAM_D1), made from the
# project's script as examples.mk makes it (EX_RAMD1_SED).
$(CM_DIR)/cmake-subdir-ramd1.ok: $(CM_DEPS) | setup
	@echo "==> example cubemx-h750, CMake: add_subdirectory, stack at the top of RAM_D1"
	$(call cm_prepare,$(CM_DIR)/cmake-subdir-ramd1,cmake-subdir)
	$(Q)sed -i $(EX_RAMD1_SED) $(CM_DIR)/cmake-subdir-ramd1/STM32H750XBHx_FLASH.ld
	$(Q)grep -q '^_estack = ORIGIN(RAM_D1)' $(CM_DIR)/cmake-subdir-ramd1/STM32H750XBHx_FLASH.ld || \
		{ echo "cmake: subdir-ramd1: the script style edit did not apply" >&2; exit 1; }
	$(call cm_build,$(CM_DIR)/cmake-subdir-ramd1,)
	$(call cm_check,$(CM_DIR)/cmake-subdir-ramd1/build)
	@touch $@

# CMake refuses a target whose target_link_libraries calls mix the plain and keyword forms: a
# project that uses keywords has them on the generated call too.
$(CM_DIR)/cmake-subdir-keyword.ok: $(CM_DEPS) | setup
	@echo "==> example cubemx-h750, CMake: add_subdirectory, target_link_libraries with PRIVATE"
	$(call cm_prepare,$(CM_DIR)/cmake-subdir-keyword,cmake-subdir-keyword)
	$(call ex_edit,$(CM_DIR)/cmake-subdir-keyword/CMakeLists.txt,$(CM_KEYWORD_SED),$(CM_KEYWORD_LINE))
	$(call cm_build,$(CM_DIR)/cmake-subdir-keyword,)
	$(call cm_check,$(CM_DIR)/cmake-subdir-keyword/build)
	@touch $@

# The doc's shell lines, run as printed in the project's directory, with HOME in build/: they
# take listheap from $HOME/src/listheap and install it under $HOME/opt.
CM_HOME := $(abspath $(CM_DIR)/cmake-package.home)
$(CM_DIR)/cmake-package.ok: $(CM_DEPS) | setup
	@echo "==> example cubemx-h750, CMake: cmake --install, find_package"
	$(call cm_prepare,$(CM_DIR)/cmake-package,cmake-package)
	$(Q)rm -rf $(CM_DIR)/cmake-package/Middlewares $(CM_HOME) && mkdir -p $(CM_HOME)/src/listheap && \
		cp -r $(CM_LISTHEAP) $(CM_HOME)/src/listheap/
	$(Q)tools/snippet.sh show $(CM_DOC) cmake-install >$(CM_DIR)/cmake-package/install.sh
	$(Q)(cd $(CM_DIR)/cmake-package && HOME=$(CM_HOME) sh -ex install.sh) >$(CM_DIR)/cmake-package.log 2>&1 || \
		{ cat $(CM_DIR)/cmake-package.log; exit 1; }
	$(Q)! grep -i 'warning' $(CM_DIR)/cmake-package.log || { echo "cmake: warnings in the package build" >&2; exit 1; }
	$(Q)grep -qF '$(CM_HOME)/opt/listheap/cortex-m7/lib/listheap/objects-Release/listheap/alloc/newlib/malloc_family.c.obj' \
		$(CM_DIR)/cmake-package/build/Debug/$(CM_ELF:.elf=.map) || \
		{ echo "cmake: the package image does not link the installed objects" >&2; exit 1; }
	$(call cm_check,$(CM_DIR)/cmake-package/build/Debug)
	@touch $@

$(CM_DIR)/cmake-lc-first.ok: $(CM_DEPS) | setup
	@echo "==> example cubemx-h750, CMake: c and m linked before listheap::listheap"
	$(call cm_prepare,$(CM_DIR)/cmake-lc-first,cmake-subdir)
	$(call ex_edit,$(CM_DIR)/cmake-lc-first/CMakeLists.txt,$(CM_LCFIRST_SED),$(CM_LCFIRST_LINE))
	$(call cm_build,$(CM_DIR)/cmake-lc-first,)
	$(Q)cat $(CM_DIR)/cmake-lc-first/build/build.ninja $(CM_DIR)/cmake-lc-first/build/CMakeFiles/cubemx-h750.dir/link.txt 2>/dev/null | \
		grep -Eq -- '(LINK_LIBRARIES = |\.elf +)-lc +-lm' || \
		{ echo "cmake: lc-first: target_link_libraries put no -lc -lm after the objects" >&2; exit 1; }
	$(call cm_check,$(CM_DIR)/cmake-lc-first/build)
	@touch $@

$(CM_DIR)/cmake-irq.ok: $(CM_DEPS) | setup
	@echo "==> example cubemx-h750, CMake: -DLISTHEAP_LOCKING=PRIMASK"
	$(call cm_prepare,$(CM_DIR)/cmake-irq,cmake-subdir)
	$(call cm_build,$(CM_DIR)/cmake-irq,-DLISTHEAP_LOCKING=PRIMASK)
	$(call cm_check,$(CM_DIR)/cmake-irq/build)
	$(call ex_lock,$(CM_DIR)/cmake-irq/build/$(CM_ELF),PRIMASK)
	@touch $@

$(CM_DIR)/cmake-irq-set.ok: $(CM_DEPS) | setup
	@echo "==> example cubemx-h750, CMake: set(LISTHEAP_LOCKING PRIMASK) before add_subdirectory"
	$(call cm_prepare,$(CM_DIR)/cmake-irq-set,cmake-subdir-primask)
	$(call cm_build,$(CM_DIR)/cmake-irq-set,)
	$(call cm_check,$(CM_DIR)/cmake-irq-set/build)
	$(call ex_lock,$(CM_DIR)/cmake-irq-set/build/$(CM_ELF),PRIMASK)
	@touch $@

# $(1) = case directory, $(2) = listheap's message the link must fail with
define cm_must_fail
	$(Q){ cmake -S $(1) -B $(1)/build $(CM_GEN) $(call CM_TOOLCHAIN,$(1)) && cmake --build $(1)/build; } >$(1).log 2>&1 && \
		{ echo "cmake: $(notdir $(1)) linked: the check it stands for is void" >&2; exit 1; } || true
	$(Q)grep -qF "$(2)" $(1).log || { cat $(1).log; echo "cmake: $(notdir $(1)) did not fail with: $(2)" >&2; exit 1; }
	@echo "cmake: $(notdir $(1)) fails the link with: $(2)"
endef

$(CM_DIR)/cmake-lc-first-static.ok: $(CM_DIR)/cmake-lc-first.ok
	@echo "==> example cubemx-h750, CMake: lc-first with listheap as a STATIC library (must fail)"
	$(call cm_prepare,$(CM_DIR)/cmake-lc-first-static,cmake-subdir)
	$(call ex_edit,$(CM_DIR)/cmake-lc-first-static/CMakeLists.txt,$(CM_LCFIRST_SED),$(CM_LCFIRST_LINE))
	$(call ex_edit,$(CM_DIR)/cmake-lc-first-static/Middlewares/Third_Party/listheap/CMakeLists.txt,$(CM_STATIC_SED),$(CM_STATIC_LINE))
	$(call cm_must_fail,$(CM_DIR)/cmake-lc-first-static,listheap: newlib's own malloc is in the link too)
	@touch $@

$(CM_DIR)/cmake-via-interface.ok: $(CM_DIR)/cmake-subdir-plain.ok
	@echo "==> example cubemx-h750, CMake: listheap::listheap linked to stm32cubemx (must fail)"
	$(call cm_prepare,$(CM_DIR)/cmake-via-interface,cmake-subdir)
	$(call ex_edit,$(CM_DIR)/cmake-via-interface/CMakeLists.txt,$(CM_IFACE_SED),$(CM_IFACE_LINE))
	$(call cm_must_fail,$(CM_DIR)/cmake-via-interface,listheap: its objects are not in this link)
	@touch $@

.PHONY: test-cmake
test-cmake: $(foreach c,$(CM_CASES) $(CM_BAD),$(CM_DIR)/cmake-$(c).ok)
	@echo "==> the CMake route built as docs/integration.md says"
