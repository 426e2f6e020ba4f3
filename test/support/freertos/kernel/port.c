/*
 * STAND-IN for the exception handlers of the FreeRTOS ARM_CM GCC ports (port.c; see FreeRTOS.h
 * in this directory). They are defined under the kernel's names, as the real port.c does; the
 * application's FreeRTOSConfig.h renames them to the CMSIS vector names, so what the linker
 * sees is SVC_Handler, PendSV_Handler and SysTick_Handler. Each only records that it ran.
 */
#include "FreeRTOS.h"
#include "standin.h"

void vPortSVCHandler(void) {
    standin_handler_ran('V');
}

void xPortPendSVHandler(void) {
    standin_handler_ran('P');
}

void xPortSysTickHandler(void) {
    standin_handler_ran('T');
}
