/*
 * startup.c - vector table, reset and fault handlers for listheap's Cortex-M targets.
 *
 * Link with -nostartfiles and a board script from ld/ (which provides __stack_top, _sidata,
 * _sdata, _edata, _sbss, _ebss and the init arrays). Any Cortex-M: ARMv6-M (M0+), ARMv7-M and
 * ARMv7E-M (M3/M4/M7), with or without an FPU.
 *
 * Board: compile with one of -DBOARD_MPS2_AN500, -DBOARD_NETDUINOPLUS2, -DBOARD_STM32H750 to get
 * that board's number of interrupt slots and its handler names (see the table below); without
 * one, 40 slots named IRQ0_Handler ... IRQ39_Handler.
 *
 * Every handler is a weak alias of Default_Handler: an application defines SysTick_Handler,
 * TIMER0_Handler, IRQ5_Handler, ... and its function takes the slot. Default_Handler (hence
 * every fault, and any interrupt nobody handles) reports on stderr the exception, the stacked
 * PC/LR/xPSR and, on ARMv7-M, CFSR/HFSR/MMFAR/BFAR, using only write() on a stack buffer, then
 * ends the program with exit status 3 (STARTUP_FAULT_EXIT_STATUS), so a crash fails a test.
 *
 * Reset_Handler: enables the FPU (when compiled for one); on ARMv7-M points VTOR at the table,
 * turns on the MemManage/BusFault/UsageFault exceptions and, if the core has an MPU, makes the
 * 32 bytes under the stack (__stack_guard) a no-access guard (-DSTARTUP_STACK_GUARD=0: not);
 * copies .data, zeroes .bss, runs newlib's __libc_init_array, then exit(main()). Destructors
 * (.fini_array) are not run at exit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef STARTUP_FAULT_EXIT_STATUS
#define STARTUP_FAULT_EXIT_STATUS 3
#endif

/* 1: on ARMv7-M with an MPU, make the 32 bytes under the stack a no-access guard. */
#ifndef STARTUP_STACK_GUARD
#define STARTUP_STACK_GUARD 1
#endif

#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__)
#define HAVE_V7M_FAULTS 1 /* CFSR/HFSR/MMFAR/BFAR, configurable faults, VTOR */
#else
#define HAVE_V7M_FAULTS 0
#endif

/* ---------------------------------------------------------------- per-board interrupt slots */
/* STARTUP_IRQ_TENS: interrupt slots, in tens. A board names some slots by #defining
 * IRQ<n>_Handler to the name it wants. */
#if defined(BOARD_MPS2_AN500)
#define STARTUP_IRQ_TENS 4 /* QEMU models 32 */
#define IRQ8_Handler TIMER0_Handler       /* CMSDK APB timer 0 @ 0x40000000 */
#define IRQ9_Handler TIMER1_Handler       /* CMSDK APB timer 1 @ 0x40001000 */
#define IRQ10_Handler DUALTIMER_Handler   /* CMSDK APB dual timer @ 0x40002000 */
#elif defined(BOARD_NETDUINOPLUS2)
#define STARTUP_IRQ_TENS 9 /* STM32F405: 82 */
#define IRQ28_Handler TIM2_Handler
#define IRQ37_Handler USART1_Handler
#elif defined(BOARD_STM32H750)
#define STARTUP_IRQ_TENS 15 /* STM32H750: 150 */
#define IRQ28_Handler TIM2_Handler
#define IRQ37_Handler USART1_Handler
#endif
#ifndef STARTUP_IRQ_TENS
#define STARTUP_IRQ_TENS 4
#endif

/* X(n) for n = 0 .. 10 * STARTUP_IRQ_TENS - 1. */
#define IRQ_TEN(X, d) X(d##0) X(d##1) X(d##2) X(d##3) X(d##4) X(d##5) X(d##6) X(d##7) X(d##8) X(d##9)
#define IRQS_1(X) IRQ_TEN(X, )
#define IRQS_2(X) IRQS_1(X) IRQ_TEN(X, 1)
#define IRQS_3(X) IRQS_2(X) IRQ_TEN(X, 2)
#define IRQS_4(X) IRQS_3(X) IRQ_TEN(X, 3)
#define IRQS_5(X) IRQS_4(X) IRQ_TEN(X, 4)
#define IRQS_6(X) IRQS_5(X) IRQ_TEN(X, 5)
#define IRQS_7(X) IRQS_6(X) IRQ_TEN(X, 6)
#define IRQS_8(X) IRQS_7(X) IRQ_TEN(X, 7)
#define IRQS_9(X) IRQS_8(X) IRQ_TEN(X, 8)
#define IRQS_10(X) IRQS_9(X) IRQ_TEN(X, 9)
#define IRQS_11(X) IRQS_10(X) IRQ_TEN(X, 10)
#define IRQS_12(X) IRQS_11(X) IRQ_TEN(X, 11)
#define IRQS_13(X) IRQS_12(X) IRQ_TEN(X, 12)
#define IRQS_14(X) IRQS_13(X) IRQ_TEN(X, 13)
#define IRQS_15(X) IRQS_14(X) IRQ_TEN(X, 14)
#define IRQS_N(n, X) IRQS_##n(X)
#define IRQS_(n, X) IRQS_N(n, X)
#define ALL_IRQS(X) IRQS_(STARTUP_IRQ_TENS, X)

/* ---------------------------------------------------------------- symbols */
extern char __stack_top[], __stack_bottom[], __stack_guard[];
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];

void __libc_init_array(void);
int main(void);

/* newlib's __libc_init_array/__libc_fini_array call these (normally from crti.o, which
 * -nostartfiles leaves out). */
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}

/* C++ registers static destructors with __cxa_atexit(f, obj, &__dso_handle); crtbegin.o
 * defines it normally, and -nostartfiles leaves it out. One module: the image itself. */
void *__dso_handle = &__dso_handle;

void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void);
void startup_fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t stack_reset)
    __attribute__((noreturn, used));

#define ALIAS __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) ALIAS;
void HardFault_Handler(void) ALIAS;
void MemManage_Handler(void) ALIAS;
void BusFault_Handler(void) ALIAS;
void UsageFault_Handler(void) ALIAS;
void SVC_Handler(void) ALIAS;
void DebugMon_Handler(void) ALIAS;
void PendSV_Handler(void) ALIAS;
void SysTick_Handler(void) ALIAS;
#define IRQ_DECLARE(n) void IRQ##n##_Handler(void) ALIAS;
ALL_IRQS(IRQ_DECLARE)

/* ---------------------------------------------------------------- vector table */
union vector {
    void (*handler)(void);
    void *stack_top;
};

#define IRQ_SLOT(n) {.handler = IRQ##n##_Handler},

__attribute__((section(".isr_vector"), used)) const union vector vector_table[] = {
    {.stack_top = __stack_top},
    {.handler = Reset_Handler},
    {.handler = NMI_Handler},
    {.handler = HardFault_Handler},
    {.handler = MemManage_Handler},  /* ARMv7-M; reserved on ARMv6-M */
    {.handler = BusFault_Handler},   /* ARMv7-M */
    {.handler = UsageFault_Handler}, /* ARMv7-M */
    {0},
    {0},
    {0},
    {0},
    {.handler = SVC_Handler},
    {.handler = DebugMon_Handler}, /* ARMv7-M */
    {0},
    {.handler = PendSV_Handler},
    {.handler = SysTick_Handler},
    ALL_IRQS(IRQ_SLOT)
};

/* ---------------------------------------------------------------- system control block */
#define SCB_REG(offset) (*(volatile uint32_t *)(0xE000ED00u + (offset)))
#define SCB_VTOR SCB_REG(0x08u)
#define SCB_SHCSR SCB_REG(0x24u)
#define SCB_CFSR SCB_REG(0x28u)
#define SCB_HFSR SCB_REG(0x2Cu)
#define SCB_MMFAR SCB_REG(0x34u)
#define SCB_BFAR SCB_REG(0x38u)
#define SCB_CPACR SCB_REG(0x88u)

#define MPU_TYPE SCB_REG(0x90u)
#define MPU_CTRL SCB_REG(0x94u)
#define MPU_RNR SCB_REG(0x98u)
#define MPU_RBAR SCB_REG(0x9Cu)
#define MPU_RASR SCB_REG(0xA0u)
#define MPU_CTRL_ENABLE (1u << 0)
#define MPU_CTRL_PRIVDEFENA (1u << 2)
#define MPU_RASR_XN (1u << 28)       /* AP = 000: no access at all; never execute */
#define MPU_RASR_SIZE_32 (4u << 1)   /* 2^(4+1) bytes */
#define MPU_RASR_ENABLE (1u << 0)

#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)
#define CPACR_CP10_CP11_FULL (0xFu << 20)

/* ---------------------------------------------------------------- reset */
#if HAVE_V7M_FAULTS && STARTUP_STACK_GUARD
/* The 32 bytes below the stack (__stack_guard, from the linker script) become no-access, in
 * the highest-numbered MPU region (which wins over the others); everything else keeps the
 * default memory map (PRIVDEFENA). An application that programs the MPU itself takes over. */
static void stack_guard_init(void) {
    uint32_t regions = (MPU_TYPE >> 8) & 0xFFu;
    if (regions == 0)
        return; /* no MPU */
    MPU_RNR = regions - 1u;
    MPU_RBAR = (uint32_t)(uintptr_t)__stack_guard;
    MPU_RASR = MPU_RASR_XN | MPU_RASR_SIZE_32 | MPU_RASR_ENABLE;
    MPU_CTRL = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
}
#endif

void Reset_Handler(void) {
#if defined(__ARM_FP)
    /* Before any floating-point instruction: CP10/CP11 full access. */
    SCB_CPACR |= CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
#if HAVE_V7M_FAULTS
    SCB_VTOR = (uint32_t)(uintptr_t)vector_table;
    SCB_SHCSR |= SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA;
#if STARTUP_STACK_GUARD
    stack_guard_init();
#endif
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    memcpy(_sdata, _sidata, (size_t)((char *)_edata - (char *)_sdata));
    memset(_sbss, 0, (size_t)((char *)_ebss - (char *)_sbss));
    __libc_init_array();
    exit(main());
}

/* ---------------------------------------------------------------- faults and stray interrupts */
/* Find the stacked frame (MSP or PSP, per EXC_RETURN bit 2) and report. When the main stack
 * pointer is outside [__stack_bottom + 256, __stack_top] (an overflow: the exception frame
 * itself may have faulted), the handler first moves to a fresh main stack, so that the report
 * still gets out. Thumb-1 only, so it assembles for ARMv6-M too. */
__attribute__((naked)) void Default_Handler(void) {
    __asm__ volatile(
        "movs r0, #4\n\t"
        "mov  r1, lr\n\t"
        "tst  r0, r1\n\t"
        "beq  1f\n\t"
        "mrs  r0, psp\n\t"
        "b    2f\n"
        "1:\n\t"
        "mrs  r0, msp\n"
        "2:\n\t"
        "mov  r3, sp\n\t"
        "ldr  r2, =__stack_top\n\t"
        "cmp  r3, r2\n\t"
        "bhi  3f\n\t"
        "ldr  r2, =__stack_bottom + 256\n\t"
        "cmp  r3, r2\n\t"
        "bhs  4f\n"
        "3:\n\t"
        "ldr  r2, =__stack_top\n\t"
        "mov  sp, r2\n\t"
        "movs r2, #1\n\t"
        "b    5f\n"
        "4:\n\t"
        "movs r2, #0\n"
        "5:\n\t"
        "bl   startup_fault_report\n\t"
        ".ltorg\n");
}

static char *put_str(char *p, const char *s) {
    while (*s)
        *p++ = *s++;
    return p;
}

static char *put_hex(char *p, uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    *p++ = '0';
    *p++ = 'x';
    for (int shift = 28; shift >= 0; shift -= 4)
        *p++ = digits[(v >> shift) & 0xFu];
    return p;
}

static char *put_dec(char *p, uint32_t v) {
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static const char *exception_name(uint32_t n) {
    switch (n) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 7: return "SecureFault";
    case 11: return "SVCall";
    case 12: return "DebugMonitor";
    case 14: return "PendSV";
    case 15: return "SysTick";
    default: return (n >= 16) ? "unhandled IRQ" : "reserved exception";
    }
}

/* The stacked frame is read only where it can be: inside the main stack, or on a process stack
 * (an RTOS thread's, which the main stack bounds do not describe). */
static int frame_readable(const uint32_t *frame, uint32_t exc_return) {
    uintptr_t f = (uintptr_t)frame;
    if (f % 4u != 0)
        return 0;
    if (exc_return & 4u)
        return 1;
    return f >= (uintptr_t)__stack_bottom && f + 32u <= (uintptr_t)__stack_top;
}

void startup_fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t stack_reset) {
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    ipsr &= 0x1FFu;

    char buf[256];
    char *p = buf;
    p = put_str(p, "\n*** ");
    p = put_str(p, exception_name(ipsr));
    p = put_str(p, " (exception ");
    p = put_dec(p, ipsr);
    if (ipsr >= 16) {
        p = put_str(p, ", IRQ ");
        p = put_dec(p, ipsr - 16u);
    }
    p = put_str(p, ")");
    if (stack_reset)
        p = put_str(p, " on an overflowed main stack");
    p = put_str(p, "\n    ");
    if (frame_readable(frame, exc_return)) {
        p = put_str(p, "PC ");
        p = put_hex(p, frame[6]);
        p = put_str(p, "  LR ");
        p = put_hex(p, frame[5]);
        p = put_str(p, "  xPSR ");
        p = put_hex(p, frame[7]);
    } else {
        p = put_str(p, "no stacked frame: SP was ");
        p = put_hex(p, (uint32_t)(uintptr_t)frame);
    }
    p = put_str(p, "  EXC_RETURN ");
    p = put_hex(p, exc_return);
    p = put_str(p, "\n");
#if HAVE_V7M_FAULTS
    p = put_str(p, "    CFSR ");
    p = put_hex(p, SCB_CFSR);
    p = put_str(p, "  HFSR ");
    p = put_hex(p, SCB_HFSR);
    p = put_str(p, "  MMFAR ");
    p = put_hex(p, SCB_MMFAR);
    p = put_str(p, "  BFAR ");
    p = put_hex(p, SCB_BFAR);
    p = put_str(p, "\n");
#endif
    (void)write(STDERR_FILENO, buf, (size_t)(p - buf));
    _exit(STARTUP_FAULT_EXIT_STATUS);
}
