# Adversarial heap-corruption test (test/host/test_adversarial.c): seeded trials, each in a forked
# child, one corruption per trial, then a burst of every public call; fails on any out-of-region
# access, hang or crash. Four builds: {release, checked} x {-m64, -m32}, all with ASan + UBSan.
#
#   make test-adversarial              fixed seed, ADV_TRIALS (390: 10 per row) per build; in `make test`
#   make adversarial ADV_TRIALS=10000  the long run; ADV_SEED=<n> picks the seed (default: random)
#   build/adversarial/<build>/test_adversarial --seed S --trial K
#                                      replays one trial in-process, verbose (an -m32 build through
#                                      tools/run32.sh: natively, or under qemu-i386, where ASan works)

.PHONY: test-adversarial adversarial
ADV_BUILDS := release-m64 release-m32 checked-m64 checked-m32
ADV_DIR := $(BUILD)/adversarial
ADV_SAN := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
release-m64_ADV := -m64
release-m32_ADV := -m32
checked-m64_ADV := -m64 -DLISTHEAP_DEBUG=1
checked-m32_ADV := -m32 -DLISTHEAP_DEBUG=1
ADV_TRIALS ?= 390
ADV_SEED ?=
ADV_TEST_SEED := 20250601
ADV_BINS := $(foreach b,$(ADV_BUILDS),$(ADV_DIR)/$(b)/test_adversarial)

define adv_build # $(1) = build
$(ADV_DIR)/$(1)/test_adversarial: $(ALLOC_SRC) $(ALLOC_HDR) alloc/entry.h alloc/lock.h test/host/test_adversarial.c
	@echo "  CC      $$@"
	@mkdir -p $$(@D)
	$(Q)gcc $(CSTD) $($(1)_ADV) $(ADV_SAN) $(ALLOC_WARN) -Ialloc -c alloc/listheap.c -o $$(@D)/listheap.o
	$(Q)gcc $(CSTD) $($(1)_ADV) $(ADV_SAN) $(ALLOC_WARN) -Ialloc -c alloc/check.c -o $$(@D)/check.o
	$(Q)gcc $(CSTD) $($(1)_ADV) $(ADV_SAN) $(WARN) -Ialloc test/host/test_adversarial.c \
		$$(@D)/listheap.o $$(@D)/check.o -o $$@
endef
$(foreach b,$(ADV_BUILDS),$(eval $(call adv_build,$(b))))

# $(1) = trials, $(2) = seed option. The four builds run at once (the -m32 ones, through
# tools/run32.sh, take longest under qemu-i386); each prints its table; the recipe fails if any
# had a severe outcome.
define adv_run
	$(Q)for b in $(ADV_BUILDS); do \
		case $$b in *-m32) run="LISTHEAP_BUILD=$(BUILD) tools/run32.sh";; *) run="";; esac; \
		( eval $$run $(ADV_DIR)/$$b/test_adversarial --trials $(1) $(2) \
			--log $(ADV_DIR)/$$b/severe.log > $(ADV_DIR)/$$b/result.txt 2>&1; \
			echo $$? > $(ADV_DIR)/$$b/rc ) & \
	done; wait
	$(Q)fail=0; for b in $(ADV_BUILDS); do \
		cat $(ADV_DIR)/$$b/result.txt; \
		if [ "$$(cat $(ADV_DIR)/$$b/rc)" != 0 ]; then \
			echo "FAILED: adversarial $$b (reports: $(ADV_DIR)/$$b/severe.log)"; fail=1; fi; \
	done; exit $$fail
endef

test-adversarial: $(ADV_BINS)
	$(call adv_run,$(ADV_TRIALS),--seed $(ADV_TEST_SEED))
	$(Q)$(ADV_DIR)/release-m64/test_adversarial --seed $(ADV_TEST_SEED) --trial 1 >$(ADV_DIR)/replay.log 2>&1 \
		|| { cat $(ADV_DIR)/replay.log; echo "FAILED: replaying one trial (--seed --trial), as robustness.md says"; exit 1; }
	@echo "adversarial: trial 1 of seed $(ADV_TEST_SEED) replays in-process ($$(wc -l <$(ADV_DIR)/replay.log) lines of log)"

adversarial: $(ADV_BINS)
	$(call adv_run,$(ADV_TRIALS),$(if $(ADV_SEED),--seed $(ADV_SEED)))
