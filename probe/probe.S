# The self-reporting PVH probe guest (see probe/README.md for the report format).
#
# Runs at any load address (position-independent), from the PVH entry state:
# 32-bit protected mode, paging off, EBX = start_info, no stack. It records the
# entry state before changing any of it, then reports everything as framed,
# CRC-checked text lines on I/O port 0xe9 and COM1, and leaves through
# isa-debug-exit (port 0xf4) and a halt loop.
#
# It writes only inside its own image (the zero-filled scratch area at its end)
# and, for a few instructions at the entry, start_info's magic word, which it
# uses as a 4-byte stack and restores (as Linux's relocatable PVH entry does).
#
# Register convention after the entry sequence: %ebp = the image's runtime
# address (probe_start), never changed; every datum is addressed as sym(%ebp)
# because the image is linked at 0.

        .code32
        .text

        .set FORMAT, 1                  # report format version (README)
        .set NSEG_MAX, 8                # loads the parameter block can describe
        .set MAXSTR, 0x10400            # longest string scanned for its NUL
        .set MAX_ENTRIES, 4096          # modlist/memmap entries read (as src/checks/bootData.ts)
        .set MAX_MODULE, 0x10000000     # largest module hashed (256 MiB)
        .set SEL_CODE, 0x08             # the probe's own GDT
        .set SEL_DATA, 0x10
        .set ERRCODE_VECTORS, 0x60227d00  # vectors 8,10-14,17,21,29,30 push an error code (Intel SDM Vol. 3A, 6.15)
        .set EXIT_VALUE, 0x10           # isa-debug-exit: QEMU exits with (value << 1) | 1 = 33

        # Offsets inside one saved segment record (SEG_SIZE bytes).
        .set SG_OK, 0                   # bit 0 LAR ok, bit 1 LSL ok, bit 2 descriptor read
        .set SG_LAR, 4
        .set SG_LSL, 8
        .set SG_LO, 12
        .set SG_HI, 16
        .set SEG_SIZE, 20

        .globl _start
_start:
probe_start:
        # Entry: no free register and no stack. EAX and ESP go to debug
        # registers (no flags touched, nothing the report contains), the magic
        # word to a third; then [EBX] is a one-dword stack for pushfl and call.
        movl    %eax, %dr0
        movl    %esp, %dr1
        movl    (%ebx), %eax
        movl    %eax, %dr2
        leal    4(%ebx), %esp
        pushfl
        popl    %eax
        movl    %eax, %dr3
        call    1f
1:      popl    %eax
        movl    %dr2, %esp
        movl    %esp, (%ebx)            # magic word restored
        subl    $(1b - probe_start), %eax
        movl    %ecx, s_ecx(%eax)
        movl    %edx, s_edx(%eax)
        movl    %ebx, s_ebx(%eax)
        movl    %esi, s_esi(%eax)
        movl    %edi, s_edi(%eax)
        movl    %ebp, s_ebp(%eax)
        movl    %eax, %ebp
        movl    %ebp, s_eip(%ebp)
        movl    %dr0, %eax
        movl    %eax, s_eax(%ebp)
        movl    %dr1, %eax
        movl    %eax, s_esp(%ebp)
        movl    %dr3, %eax
        movl    %eax, s_eflags(%ebp)
        leal    stack_top(%ebp), %esp
        cli
        cld

        # Selectors, control and table registers, and what the descriptor
        # tables say about each selector: all before the probe loads its own
        # GDT, since LAR/LSL look selectors up in the current GDTR/LDTR.
        movw    %cs, s_sel+0(%ebp)
        movw    %ds, s_sel+2(%ebp)
        movw    %es, s_sel+4(%ebp)
        movw    %ss, s_sel+6(%ebp)
        movw    %fs, s_sel+8(%ebp)
        movw    %gs, s_sel+10(%ebp)
        str     s_sel+12(%ebp)
        sldt    s_sel+14(%ebp)
        sgdt    s_gdtr(%ebp)
        sidt    s_idtr(%ebp)
        movl    %cr0, %eax
        movl    %eax, s_cr0(%ebp)
        movl    %cr3, %eax
        movl    %eax, s_cr3(%ebp)
        movl    %cr4, %eax
        movl    %eax, s_cr4(%ebp)

        xorl    %esi, %esi
        leal    s_seg(%ebp), %edi
2:      movzwl  s_sel(%ebp,%esi,2), %ecx
        xorl    %ebx, %ebx              # ok bits
        xorl    %eax, %eax
        lar     %cx, %eax               # ZF=1: descriptor valid for LAR (Intel SDM Vol. 2A, LAR)
        jnz     3f
        orl     $1, %ebx
3:      movl    %eax, SG_LAR(%edi)
        xorl    %eax, %eax
        lsl     %cx, %eax               # ZF=1: limit loaded, scaled by G (Intel SDM Vol. 2A, LSL)
        jnz     4f
        orl     $2, %ebx
4:      movl    %eax, SG_LSL(%edi)
        pushl   %ebx
        call    fetch_desc
        testl   %ebx, %ebx
        popl    %ebx
        jz      5f
        orl     $4, %ebx
5:      movl    %ebx, SG_OK(%edi)
        movl    %eax, SG_LO(%edi)
        movl    %edx, SG_HI(%edi)
        addl    $SEG_SIZE, %edi
        incl    %esi
        cmpl    $8, %esi
        jb      2b

        # From here on the probe runs on its own flat GDT and IDT (in its
        # scratch area), so that a fault becomes a reported FAULT line and the
        # rest does not depend on the loader's descriptors.
        call    crc_init
        movl    $0x0000ffff, gdt+8(%ebp)
        movl    $0x00cf9b00, gdt+12(%ebp)
        movl    $0x0000ffff, gdt+16(%ebp)
        movl    $0x00cf9300, gdt+20(%ebp)
        movw    $23, gdt_ptr(%ebp)
        leal    gdt(%ebp), %eax
        movl    %eax, gdt_ptr+2(%ebp)
        lgdt    gdt_ptr(%ebp)
        pushl   $SEL_CODE
        leal    6f(%ebp), %eax
        pushl   %eax
        lret
6:      movl    $SEL_DATA, %eax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        xorl    %ecx, %ecx
7:      leal    fault_stubs(%ebp,%ecx,4), %eax
        movl    %eax, %edx
        andl    $0xffff, %eax
        orl     $(SEL_CODE << 16), %eax
        andl    $0xffff0000, %edx
        orl     $0x8e00, %edx           # present, DPL 0, 32-bit interrupt gate
        movl    %eax, idt(%ebp,%ecx,8)
        movl    %edx, idt+4(%ebp,%ecx,8)
        incl    %ecx
        cmpl    $32, %ecx
        jb      7b
        movw    $(32 * 8 - 1), idt_ptr(%ebp)
        leal    idt(%ebp), %eax
        movl    %eax, idt_ptr+2(%ebp)
        lidt    idt_ptr(%ebp)

        # COM1: 8 data bits, no parity, one stop bit, no interrupts. The
        # divisor is left as the firmware set it. Where no UART answers (a PVH
        # domU under Xen: the port reads 0xff, and writes go nowhere), COM1 is
        # left out for the whole report: each access is a trip to the
        # hypervisor, and port 0xe9 carries the report alone.
        movw    $0x3fd, %dx
        inb     %dx, %al
        cmpb    $0xff, %al
        jne     8f
        movl    $1, no_com1(%ebp)
        jmp     9f
8:      movw    $0x3fb, %dx
        movb    $0x03, %al
        outb    %al, %dx
        movw    $0x3f9, %dx
        movb    $0x00, %al
        outb    %al, %dx
9:

        call    report_cpu
        movl    $1, %edx
        leal    report_efer(%ebp), %eax
        call    guarded
        movl    %ebp, %esi              # the entry code, for a loader check that reads it
        movl    $32, %ecx
        call    dump_mem
        movl    $2, %edx
        leal    report_boot_data(%ebp), %eax
        call    guarded
        movl    $3, %edx
        leal    report_loads(%ebp), %eax
        call    guarded
        movl    $4, %edx
        leal    report_modules(%ebp), %eax
        call    guarded
        call    end_line
finish:
        movb    $EXIT_VALUE, %al
        outb    %al, $0xf4
        cli
8:      hlt
        jmp     8b

# ---------------------------------------------------------------------------
# fetch_desc: the 8-byte descriptor a selector names, from the GDT or (TI=1)
# the LDT that LDTR's GDT entry describes. In: %ecx selector. Out: %ebx 1 if
# read (0 if null or past the table's limit), %edx:%eax the descriptor.
fetch_desc:
        pushl   %ecx
        pushl   %esi
        testl   $4, %ecx
        jnz     1f
        movl    %ecx, %eax
        andl    $0xfff8, %eax
        jz      9f                      # the null selector names no descriptor
        movl    s_gdtr+2(%ebp), %esi
        movzwl  s_gdtr(%ebp), %edx
        jmp     3f
1:      pushl   %ecx
        movzwl  s_sel+14(%ebp), %ecx
        testl   $4, %ecx
        jnz     8f
        call    fetch_desc
        popl    %ecx
        testl   %ebx, %ebx
        jz      9f
        # Base and limit from the LDT descriptor (Intel SDM Vol. 3A, 3.4.5).
        movl    %eax, %esi
        shrl    $16, %esi
        movl    %edx, %ebx
        andl    $0xff, %ebx
        shll    $16, %ebx
        orl     %ebx, %esi
        movl    %edx, %ebx
        andl    $0xff000000, %ebx
        orl     %ebx, %esi
        movl    %eax, %ebx
        andl    $0xffff, %ebx
        movl    %edx, %eax
        andl    $0xf0000, %eax
        orl     %eax, %ebx
        testl   $0x800000, %edx
        jz      2f
        shll    $12, %ebx
        orl     $0xfff, %ebx
2:      movl    %ebx, %edx
3:      andl    $0xfff8, %ecx
        leal    7(%ecx), %eax
        cmpl    %edx, %eax
        ja      9f
        movl    (%esi,%ecx), %eax
        movl    4(%esi,%ecx), %edx
        movl    $1, %ebx
        jmp     10f
8:      popl    %ecx
9:      xorl    %ebx, %ebx
        xorl    %eax, %eax
        xorl    %edx, %edx
10:     popl    %esi
        popl    %ecx
        ret

# ---------------------------------------------------------------------------
# guarded: call the routine at %eax as phase %edx; a CPU exception inside it
# ends the routine with a FAULT line and returns here.
guarded:
        movl    %edx, cur_phase(%ebp)
        movl    %esp, guard_esp(%ebp)
        call    *%eax
        movl    $0, guard_esp(%ebp)
        ret

# Vector stubs: push imm8 + short jmp, 4 bytes each (build.sh checks the size).
        .balign 4
fault_stubs:
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .byte   0x6a, \n
        jmp     fault_common
        .endr
fault_common:
        popl    %eax                    # vector
        xorl    %ecx, %ecx              # error code
        movl    $ERRCODE_VECTORS, %edx
        btl     %eax, %edx
        jnc     1f
        popl    %ecx
1:      popl    %edx                    # faulting EIP
        movl    guard_esp(%ebp), %ebx
        testl   %ebx, %ebx
        jz      fatal
        movl    %ebx, %esp
        movl    $0, guard_esp(%ebp)
        call    break_line
        pushl   %ecx
        pushl   %edx
        pushl   %eax
        leal    k_fault(%ebp), %esi
        call    line_begin
        movl    cur_phase(%ebp), %eax
        movl    $1, %ecx
        call    put_sp_hexn
        popl    %eax
        movl    $2, %ecx
        call    put_sp_hexn
        popl    %eax
        call    put_sp_hex8
        popl    %eax
        call    put_sp_hex8
        call    line_end
        ret
fatal:
        # An exception outside any guarded phase: say so, but no END line, so
        # the harness calls the run a crash.
        leal    stack_top(%ebp), %esp
        call    break_line
        pushl   %ecx
        pushl   %edx
        pushl   %eax
        leal    k_fatal(%ebp), %esi
        call    line_begin
        popl    %eax
        movl    $2, %ecx
        call    put_sp_hexn
        popl    %eax
        call    put_sp_hex8
        popl    %eax
        call    put_sp_hex8
        call    line_end
        jmp     finish

# ---------------------------------------------------------------------------
report_cpu:
        leal    k_probe(%ebp), %esi
        call    line_begin
        movl    $FORMAT, %eax
        movl    $1, %ecx
        call    put_sp_hexn
        movl    $(probe_end - probe_start), %eax
        call    put_sp_hex8
        call    line_end

        leal    k_eip(%ebp), %esi
        call    line_begin
        movl    s_eip(%ebp), %eax
        call    put_sp_hex8
        call    line_end

        leal    k_gpra(%ebp), %esi
        leal    s_eax(%ebp), %edi
        movl    $4, %ecx
        call    words_line
        leal    k_gprb(%ebp), %esi
        leal    s_esi(%ebp), %edi
        movl    $4, %ecx
        call    words_line
        leal    k_eflags(%ebp), %esi
        leal    s_eflags(%ebp), %edi
        movl    $1, %ecx
        call    words_line
        leal    k_cr(%ebp), %esi
        leal    s_cr0(%ebp), %edi
        movl    $3, %ecx
        call    words_line

        leal    k_gdtr(%ebp), %esi
        leal    s_gdtr(%ebp), %edi
        call    table_line
        leal    k_idtr(%ebp), %esi
        leal    s_idtr(%ebp), %edi
        call    table_line

        xorl    %ebx, %ebx
1:      leal    seg_keys(%ebp,%ebx,8), %esi
        call    line_begin
        movzwl  s_sel(%ebp,%ebx,2), %eax
        movl    $4, %ecx
        call    put_sp_hexn
        imull   $SEG_SIZE, %ebx, %edi
        leal    s_seg(%ebp,%edi), %edi
        movl    SG_OK(%edi), %eax
        movl    $1, %ecx
        call    put_sp_hexn
        movl    SG_LAR(%edi), %eax
        call    put_sp_hex8
        movl    SG_LSL(%edi), %eax
        call    put_sp_hex8
        movl    SG_LO(%edi), %eax
        call    put_sp_hex8
        movl    SG_HI(%edi), %eax
        call    put_sp_hex8
        call    line_end
        incl    %ebx
        cmpl    $8, %ebx
        jb      1b
        ret

# words_line: line %esi with %ecx dwords from %edi.
words_line:
        call    line_begin
1:      movl    (%edi), %eax
        call    put_sp_hex8
        addl    $4, %edi
        loop    1b
        call    line_end
        ret

# table_line: line %esi with the base and limit of the pseudo-descriptor at %edi.
table_line:
        call    line_begin
        movl    2(%edi), %eax
        call    put_sp_hex8
        movzwl  (%edi), %eax
        movl    $4, %ecx
        call    put_sp_hexn
        call    line_end
        ret

report_efer:
        movl    $0xc0000080, %ecx
        rdmsr
        leal    k_efer(%ebp), %esi
        call    line_begin
        xchgl   %eax, %edx
        call    put_sp_hex8
        movl    %edx, %eax
        call    put_sp_hex8
        call    line_end
        ret

# ---------------------------------------------------------------------------
# The bytes of start_info and of everything it points at (below 4 GiB), as
# MEM lines; the parser decodes them with the project's field tables.
report_boot_data:
        movl    s_ebx(%ebp), %ebx
        movl    $40, %ecx               # version 0 size (README: 40, not 48)
        cmpl    $1, 4(%ebx)
        jb      1f
        movl    $56, %ecx
1:      movl    %ebx, %esi
        call    dump_mem

        call    modlist_at              # %esi = modlist, %ecx = entries (0: none)
        shll    $5, %ecx
        call    dump_mem

        cmpl    $1, 4(%ebx)
        jb      2f
        cmpl    $0, 44(%ebx)
        jne     2f
        movl    40(%ebx), %esi
        testl   %esi, %esi
        jz      2f
        movl    48(%ebx), %ecx
        cmpl    $MAX_ENTRIES, %ecx
        jbe     3f
        movl    $MAX_ENTRIES, %ecx
3:      imull   $24, %ecx, %ecx
        call    dump_mem

2:      cmpl    $0, 28(%ebx)
        jne     4f
        movl    24(%ebx), %eax
        testl   %eax, %eax
        jz      4f
        call    dump_string

4:      cmpl    $0, 36(%ebx)
        jne     6f
        movl    32(%ebx), %esi
        testl   %esi, %esi
        jz      6f
        movl    $36, %ecx               # an ACPI 2.0 RSDP; longer when it says so
        cmpb    $2, 15(%esi)
        jb      5f
        movl    20(%esi), %eax
        cmpl    $36, %eax
        jbe     5f
        cmpl    $4096, %eax
        ja      5f
        movl    %eax, %ecx
5:      call    dump_mem

6:      call    modlist_at
        jecxz   9f
7:      cmpl    $0, 20(%esi)
        jne     8f
        movl    16(%esi), %eax
        testl   %eax, %eax
        jz      8f
        call    dump_string
8:      addl    $32, %esi
        loop    7b
9:      ret

# modlist_at: %esi = modlist address, %ecx = entries to read (0 when there is
# no list the probe can reach). In: %ebx = start_info.
modlist_at:
        xorl    %ecx, %ecx
        movl    16(%ebx), %esi
        cmpl    $0, 20(%ebx)
        jne     1f
        testl   %esi, %esi
        jz      1f
        movl    12(%ebx), %ecx
        cmpl    $MAX_ENTRIES, %ecx
        jbe     1f
        movl    $MAX_ENTRIES, %ecx
1:      ret

# ---------------------------------------------------------------------------
# LOAD <i> <addr> <filesz> <memsz> <crc32> <first non-zero tail offset or ffffffff>
report_loads:
        movl    p_nseg(%ebp), %edi
        cmpl    $NSEG_MAX, %edi
        jbe     1f
        movl    $NSEG_MAX, %edi
1:      xorl    %ebx, %ebx
2:      cmpl    %edi, %ebx
        jae     9f
        pushl   %edi
        imull   $12, %ebx, %edi
        leal    p_segs(%ebp,%edi), %edi
        movl    (%edi), %esi
        addl    %ebp, %esi              # paddr relative to the entry: works relocated
        movl    4(%edi), %ecx
        movl    $0xffffffff, %eax
        call    crc_image
        notl    %eax
        pushl   %eax
        movl    8(%edi), %ecx
        subl    4(%edi), %ecx
        jae     3f
        xorl    %ecx, %ecx
3:      pushl   %esi
        addl    4(%edi), %esi
        call    first_nonzero
        popl    %esi
        pushl   %eax
        leal    k_load(%ebp), %esi
        call    line_begin
        movl    %ebx, %eax
        movl    $1, %ecx
        call    put_sp_hexn
        movl    (%edi), %eax
        addl    %ebp, %eax
        call    put_sp_hex8
        movl    4(%edi), %eax
        call    put_sp_hex8
        movl    8(%edi), %eax
        call    put_sp_hex8
        popl    %edx                    # first non-zero
        popl    %eax                    # crc
        call    put_sp_hex8
        movl    %edx, %eax
        call    put_sp_hex8
        call    line_end
        popl    %edi
        incl    %ebx
        jmp     2b
9:      ret

# MOD <i> <addr> <size> <status: 0 hashed, 1 beyond 4 GiB, 2 too large> <crc32>
report_modules:
        movl    s_ebx(%ebp), %ebx
        call    modlist_at
        xorl    %edi, %edi
1:      cmpl    %ecx, %edi
        jae     9f
        pushl   %ecx
        pushl   %esi
        xorl    %edx, %edx              # status
        xorl    %eax, %eax              # crc
        cmpl    $0, 12(%esi)
        jne     3f
        cmpl    $MAX_MODULE, 8(%esi)
        ja      3f
        cmpl    $0, 4(%esi)
        jne     2f
        movl    (%esi), %eax
        addl    8(%esi), %eax
        jc      2f
        movl    8(%esi), %ecx
        movl    (%esi), %esi
        movl    $0xffffffff, %eax
        call    crc_bytes
        notl    %eax
        jmp     4f
2:      movl    $1, %edx
        jmp     4f
3:      movl    $2, %edx
4:      popl    %esi
        pushl   %eax
        pushl   %edx
        pushl   %esi
        leal    k_mod(%ebp), %esi
        call    line_begin
        popl    %esi
        movl    %edi, %eax
        movl    $4, %ecx
        call    put_sp_hexn
        movl    (%esi), %eax
        call    put_sp_hex8
        movl    8(%esi), %eax
        call    put_sp_hex8
        popl    %eax
        movl    $1, %ecx
        call    put_sp_hexn
        popl    %eax
        call    put_sp_hex8
        call    line_end
        popl    %ecx
        addl    $32, %esi
        incl    %edi
        jmp     1b
9:      ret

# ---------------------------------------------------------------------------
# dump_mem: MEM lines for %ecx bytes at %esi, 16 a line (lines stay under 80
# characters, which Xen's per-domain console buffer would otherwise split).
dump_mem:
        pushal
        movl    %esi, %eax
        addl    %ecx, %eax
        jnc     1f
        movl    %esi, %ecx              # stop at 4 GiB
        negl    %ecx
1:      testl   %ecx, %ecx
        jz      9f
2:      movl    %ecx, %ebx
        cmpl    $16, %ebx
        jbe     3f
        movl    $16, %ebx
3:      subl    %ebx, %ecx
        pushl   %esi
        leal    k_mem(%ebp), %esi
        call    line_begin
        popl    %esi
        movl    %esi, %eax
        call    put_sp_hex8
        movb    $' ', %al
        call    putc
4:      movb    (%esi), %al
        call    put_hex2
        incl    %esi
        decl    %ebx
        jnz     4b
        call    line_end
        testl   %ecx, %ecx
        jnz     2b
9:      popal
        ret

# dump_string: the NUL-terminated string at %eax (at most MAXSTR bytes), its
# NUL, and the rest of that 4 KiB page (readers fetch strings page by page).
dump_string:
        pushal
        movl    %eax, %esi
        movl    $MAXSTR, %ecx
        movl    %esi, %edx
        negl    %edx
        cmpl    %edx, %ecx
        jbe     1f
        movl    %edx, %ecx
1:      xorl    %ebx, %ebx
2:      cmpl    %ecx, %ebx
        jae     4f
        cmpb    $0, (%esi,%ebx)
        je      3f
        incl    %ebx
        jmp     2b
3:      leal    1(%ebx), %ecx
4:      leal    (%esi,%ecx), %eax
        addl    $0xfff, %eax
        jc      5f
        andl    $0xfffff000, %eax
        subl    %esi, %eax
        movl    %eax, %ecx
5:      call    dump_mem
        popal
        ret

# first_nonzero: offset of the first non-zero byte of %ecx bytes at %esi, or
# 0xffffffff, in %eax.
first_nonzero:
        xorl    %eax, %eax
1:      cmpl    %ecx, %eax
        jae     2f
        cmpb    $0, (%esi,%eax)
        jne     3f
        incl    %eax
        jmp     1b
2:      movl    $0xffffffff, %eax
3:      ret

# ---------------------------------------------------------------------------
# CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320, as zlib), table-driven.
crc_init:
        xorl    %ecx, %ecx
1:      movl    %ecx, %eax
        movl    $8, %edx
2:      shrl    $1, %eax
        jnc     3f
        xorl    $0xedb88320, %eax
3:      decl    %edx
        jnz     2b
        movl    %eax, crc_table(%ebp,%ecx,4)
        incl    %ecx
        cmpl    $256, %ecx
        jb      1b
        ret

# crc_bytes: fold %ecx bytes at %esi into the running CRC %eax.
crc_bytes:
        pushl   %ecx
        pushl   %edx
        pushl   %esi
        pushl   %edi
        leal    crc_table(%ebp), %edi
        jecxz   2f
1:      movzbl  (%esi), %edx
        incl    %esi
        xorb    %al, %dl
        shrl    $8, %eax
        xorl    (%edi,%edx,4), %eax
        decl    %ecx
        jnz     1b
2:      popl    %edi
        popl    %esi
        popl    %edx
        popl    %ecx
        ret

# crc_zeros: fold %ecx zero bytes into %eax.
crc_zeros:
        pushl   %ecx
        pushl   %edx
        jecxz   2f
1:      movzbl  %al, %edx
        shrl    $8, %eax
        xorl    crc_table(%ebp,%edx,4), %eax
        decl    %ecx
        jnz     1b
2:      popl    %edx
        popl    %ecx
        ret

# crc_image: like crc_bytes, but the probe's own scratch area counts as the
# zeros it held before the probe ran, so a segment that holds the probe hashes
# to the CRC of its file bytes.
crc_image:
        pushl   %ebx
        pushl   %ecx
        pushl   %edx
        pushl   %esi
        pushl   %edi
        leal    scratch_start(%ebp), %ebx
        leal    scratch_end(%ebp), %edx
        leal    (%esi,%ecx), %edi
        cmpl    %ebx, %edi
        jbe     3f
        cmpl    %edx, %esi
        jae     3f
        cmpl    %ebx, %esi
        jae     1f
        movl    %ebx, %ecx
        subl    %esi, %ecx
        call    crc_bytes
        movl    %ebx, %esi
1:      movl    %edx, %ecx
        cmpl    %edi, %ecx
        jbe     2f
        movl    %edi, %ecx
2:      pushl   %ecx
        subl    %esi, %ecx
        call    crc_zeros
        popl    %esi
        movl    %edi, %ecx
        subl    %esi, %ecx
3:      call    crc_bytes
        popl    %edi
        popl    %esi
        popl    %edx
        popl    %ecx
        popl    %ebx
        ret

# ---------------------------------------------------------------------------
# Output. putc sends %al to port 0xe9 and to COM1, and folds it into the
# current line's CRC; every routine here keeps all registers.
putc:
        pushl   %eax
        pushl   %ebx
        pushl   %ecx
        pushl   %edx
        movzbl  %al, %eax
        movl    line_crc(%ebp), %ecx
        movl    %ecx, %edx
        xorl    %eax, %edx
        andl    $0xff, %edx
        shrl    $8, %ecx
        xorl    crc_table(%ebp,%edx,4), %ecx
        movl    %ecx, line_crc(%ebp)
        outb    %al, $0xe9
        cmpl    $0, no_com1(%ebp)
        jne     3f
        movl    %eax, %ecx
        # Wait for THRE (LSR bit 5), but not forever: with no UART there the
        # port reads 0xff, and a stuck one must not stop the report on 0xe9.
        movw    $0x3fd, %dx
        movl    $100000, %ebx
1:      inb     %dx, %al
        testb   $0x20, %al
        jnz     2f
        decl    %ebx
        jnz     1b
2:      movw    $0x3f8, %dx
        movl    %ecx, %eax
        outb    %al, %dx
3:      popl    %edx
        popl    %ecx
        popl    %ebx
        popl    %eax
        ret

put_str:
        pushl   %eax
        pushl   %esi
1:      movb    (%esi), %al
        testb   %al, %al
        jz      2f
        call    putc
        incl    %esi
        jmp     1b
2:      popl    %esi
        popl    %eax
        ret

put_dec:
        pushal
        movl    $10, %ebx
        xorl    %ecx, %ecx
1:      xorl    %edx, %edx
        divl    %ebx
        pushl   %edx
        incl    %ecx
        testl   %eax, %eax
        jnz     1b
2:      popl    %eax
        addb    $'0', %al
        call    putc
        loop    2b
        popal
        ret

# put_sp_hexn: a space, then the low %ecx hex digits of %eax.
put_sp_hexn:
        pushal
        movl    %eax, %edx
        movb    $' ', %al
        call    putc
        jmp     hex_digits
put_sp_hex8:
        pushal
        movl    %eax, %edx
        movb    $' ', %al
        call    putc
        movl    $8, %ecx
        jmp     hex_digits
put_hex2:
        pushal
        movzbl  %al, %edx
        movl    $2, %ecx
hex_digits:
        # Rotate the wanted digits to the top, then emit them high to low.
        movl    $8, %eax
        subl    %ecx, %eax
        pushl   %ecx
        movl    %eax, %ecx
        shll    $2, %ecx
        roll    %cl, %edx
        popl    %ecx
1:      roll    $4, %edx
        movl    %edx, %eax
        andl    $15, %eax
        movb    hex_chars(%ebp,%eax), %al
        call    putc
        loop    1b
        popal
        ret

# line_begin: start a report line "PVHP <seq> <key>" with key string %esi.
line_begin:
        pushl   %eax
        pushl   %esi
        movl    $0xffffffff, line_crc(%ebp)
        movl    $1, in_line(%ebp)
        leal    k_pvhp(%ebp), %esi
        call    put_str
        movl    seq(%ebp), %eax
        call    put_dec
        movb    $' ', %al
        call    putc
        popl    %esi
        call    put_str
        popl    %eax
        ret

# line_end: " *<crc32 of the line so far>" and a newline; the next sequence number.
line_end:
        pushl   %eax
        movl    line_crc(%ebp), %eax
        notl    %eax
        call    trailer
        incl    seq(%ebp)
        popl    %eax
        ret

trailer:
        pushl   %eax
        movb    $' ', %al
        call    putc
        movb    $'*', %al
        call    putc
        popl    %eax
        call    put_sp_hex8_nospace
        movb    $'\n', %al
        call    putc
        movl    $0, in_line(%ebp)
        ret

put_sp_hex8_nospace:
        pushal
        movl    %eax, %edx
        movl    $8, %ecx
        jmp     hex_digits

# break_line: end a line an exception cut short, so the next starts clean.
break_line:
        cmpl    $0, in_line(%ebp)
        je      1f
        pushl   %eax
        movb    $'\n', %al
        call    putc
        popl    %eax
        movl    $0, in_line(%ebp)
1:      ret

# end_line: "PVHP END <number of lines before it>".
end_line:
        movl    $0xffffffff, line_crc(%ebp)
        leal    k_end(%ebp), %esi
        call    put_str
        movl    seq(%ebp), %eax
        call    put_dec
        movl    line_crc(%ebp), %eax
        notl    %eax
        call    trailer
        ret

# ---------------------------------------------------------------------------
hex_chars:      .ascii  "0123456789abcdef"
k_pvhp:         .asciz  "PVHP "
k_end:          .asciz  "PVHP END "
k_probe:        .asciz  "PROBE"
k_eip:          .asciz  "EIP"
k_gpra:         .asciz  "GPRA"
k_gprb:         .asciz  "GPRB"
k_eflags:       .asciz  "EFLAGS"
k_cr:           .asciz  "CR"
k_gdtr:         .asciz  "GDTR"
k_idtr:         .asciz  "IDTR"
k_efer:         .asciz  "EFER"
k_mem:          .asciz  "MEM"
k_load:         .asciz  "LOAD"
k_mod:          .asciz  "MOD"
k_fault:        .asciz  "FAULT"
k_fatal:        .asciz  "FATAL"
        .balign 8
seg_keys:                               # 8 bytes each, in s_sel order
        .asciz  "CS"
        .balign 8
        .asciz  "DS"
        .balign 8
        .asciz  "ES"
        .balign 8
        .asciz  "SS"
        .balign 8
        .asciz  "FS"
        .balign 8
        .asciz  "GS"
        .balign 8
        .asciz  "TR"
        .balign 8
        .asciz  "LDTR"
        .balign 8

# The parameter block, filled by the generator (probe/fillProbeParams.ts);
# the probe only reads it.
        .balign 4
        .globl  params
params:
p_magic:        .ascii  "PVHp"
p_nseg:         .long   0
p_segs:         .fill   NSEG_MAX * 12, 1, 0   # { paddr - entry (signed), filesz, memsz }

# Scratch: zero in the image; the only memory the probe writes (besides the
# transient magic word).
        .balign 16
        .globl  scratch_start
scratch_start:
s_eax:          .long   0               # s_eax..s_edx, then s_esi..s_esp: as GPRA/GPRB print them
s_ebx:          .long   0
s_ecx:          .long   0
s_edx:          .long   0
s_esi:          .long   0
s_edi:          .long   0
s_ebp:          .long   0
s_esp:          .long   0
s_eflags:       .long   0
s_cr0:          .long   0
s_cr3:          .long   0
s_cr4:          .long   0
s_eip:          .long   0
s_gdtr:         .fill   8, 1, 0
s_idtr:         .fill   8, 1, 0
s_sel:          .fill   16, 1, 0
s_seg:          .fill   8 * SEG_SIZE, 1, 0
line_crc:       .long   0
in_line:        .long   0
seq:            .long   0
guard_esp:      .long   0
cur_phase:      .long   0
no_com1:        .long   0               # 1: COM1's LSR read 0xff at the start, no UART there
gdt_ptr:        .fill   8, 1, 0
idt_ptr:        .fill   8, 1, 0
        .balign 8, 0
gdt:            .fill   24, 1, 0
        .balign 8, 0
idt:            .fill   32 * 8, 1, 0
crc_table:      .fill   1024, 1, 0
stack:          .fill   512, 1, 0
stack_top:
        .globl  scratch_end
scratch_end:
probe_end:
