/* vxguest entry code: multiboot v1 header, flat GDT, stacks, and the interrupt stubs.
 *
 * Interrupt stubs never return with IRET (the nested kvm_pvm on the project's test machines
 * faults on IRET from a non-PVM guest). Interrupts are only ever taken while the CPU sits in
 * "sti; hlt", so a stub can simply throw the interrupted frame away: it resets the stack and
 * calls C code, which acknowledges the interrupt and halts again. */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x3                  /* bit 0: page-align modules, bit 1: give us mem_* */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .text
    .code32
    .globl _start, vx_timer_stub, vx_fault_stub, vx_spurious_stub
_start:
    cli
    mov %eax, %edi                      /* keep the multiboot magic, %ax is reused below */
    lgdt gdt_ptr                        /* multiboot leaves GDTR undefined: load our own */
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $stack_top, %esp
    push %ebx                           /* multiboot info pointer */
    push %edi                           /* multiboot magic */
    call vx_main                        /* does not return */
2:  cli
    hlt
    jmp 2b

vx_timer_stub:                          /* IRQ0 (PIT) */
    mov $stack_top, %esp
    call vx_tick                        /* acknowledges, then halts with interrupts on; no return */
    jmp 2b

vx_spurious_stub:                       /* any other vector: acknowledge both PICs, wait again */
    mov $stack_top, %esp
    mov $0x20, %al
    out %al, $0xA0
    out %al, $0x20
    sti
3:  hlt
    jmp 3b

vx_fault_stub:                          /* CPU exceptions: report once and stop for good */
    mov $stack_top, %esp
    call vx_fault
    jmp 2b

    .section .data
    .align 8
gdt:
    .quad 0                             /* null */
    .quad 0x00CF9A000000FFFF            /* 0x08: flat 4 GiB ring-0 code */
    .quad 0x00CF92000000FFFF            /* 0x10: flat 4 GiB ring-0 data */
gdt_ptr:
    .word gdt_ptr - gdt - 1
    .long gdt

    .section .bss
    .align 16
    .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
