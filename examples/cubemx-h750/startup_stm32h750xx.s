/*
 * startup_stm32h750xx.s - start-up code in the shape of the one STM32CubeMX puts in an
 * STM32H750 project (written for listheap's examples, not ST's file): vector table with the
 * CMSIS handler names, Reset_Handler that calls SystemInit, copies .data, zeroes .bss, runs
 * the C library's constructors and calls main. Symbols from the linker script: _estack,
 * _sidata, _sdata, _edata, _sbss, _ebss.
 */
  .syntax unified
  .cpu cortex-m7
  .fpu softvfp
  .thumb

  .global g_pfnVectors
  .global Default_Handler

  .section .text.Reset_Handler
  .weak Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
  ldr   sp, =_estack
  bl    SystemInit
  ldr   r0, =_sdata
  ldr   r1, =_edata
  ldr   r2, =_sidata
copy_data:
  cmp   r0, r1
  bhs   zero_bss
  ldr   r3, [r2], #4
  str   r3, [r0], #4
  b     copy_data
zero_bss:
  ldr   r0, =_sbss
  ldr   r1, =_ebss
  movs  r3, #0
zero_loop:
  cmp   r0, r1
  bhs   run_main
  str   r3, [r0], #4
  b     zero_loop
run_main:
  bl    __libc_init_array
  bl    main
  b     .
  .size Reset_Handler, .-Reset_Handler

  .section .text.Default_Handler,"ax",%progbits
Default_Handler:
  b     .
  .size Default_Handler, .-Default_Handler

  .section .isr_vector,"a",%progbits
  .type g_pfnVectors, %object
g_pfnVectors:
  .word _estack
  .word Reset_Handler
  .word NMI_Handler
  .word HardFault_Handler
  .word MemManage_Handler
  .word BusFault_Handler
  .word UsageFault_Handler
  .word 0
  .word 0
  .word 0
  .word 0
  .word SVC_Handler
  .word DebugMon_Handler
  .word 0
  .word PendSV_Handler
  .word SysTick_Handler
  .rept 150                 /* the STM32H750's external interrupts, none used here */
  .word Default_Handler
  .endr
  .size g_pfnVectors, .-g_pfnVectors

  .macro weak_handler name
  .weak \name
  .thumb_set \name, Default_Handler
  .endm
  weak_handler NMI_Handler
  weak_handler HardFault_Handler
  weak_handler MemManage_Handler
  weak_handler BusFault_Handler
  weak_handler UsageFault_Handler
  weak_handler SVC_Handler
  weak_handler DebugMon_Handler
  weak_handler PendSV_Handler
  weak_handler SysTick_Handler
