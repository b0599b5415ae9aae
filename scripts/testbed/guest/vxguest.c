/* vxguest: a tiny multiboot (v1) guest kernel for virt-exporter's libvirt testbed.
 *
 * libvirt boots it directly (<os><kernel>), so no disk image or OS is needed, and it boots in well
 * under a second even on a nested KVM that cannot run a normal Linux guest. It understands these
 * kernel command line options (libvirt <os><cmdline>), all optional:
 *
 *   fill=<MiB>    write one pseudo-random dword into every 4 KiB page of [16 MiB, 16 MiB + fill),
 *                 so those pages are resident and non-zero on the host (default 0, capped at the
 *                 top of RAM minus 1 MiB).
 *   dense=1       fill every dword of those pages instead of one per page (slow when emulated).
 *   dirty=<N>     afterwards, rewrite N pages of the filled range every 10 ms tick, forever
 *                 (N * 400 KiB/s of dirtied memory).
 *   tx=<N>        send N broadcast ethernet frames per second on the first rtl8139 NIC; its
 *                 receiver stays off. The frames are ARP probes for 192.0.2.1 (TEST-NET-1), which
 *                 a host that gets them on a tap consumes silently.
 *   drop=<N>      make every Nth frame an unknown ethertype (0x88B5, "local experimental") instead,
 *                 which the host counts as dropped; libvirt reports that as the guest's tx drops
 *                 (default 0: none).
 *   len=<bytes>   frame length for tx, 60..1514 (default 600).
 *   io=<N>        read, then write, N sectors per second of the IDE disk on the primary master
 *                 (libvirt's hda), cycling through its first 32 MiB, and flush its write cache once
 *                 a second, so that the disk's read, write and flush counters and times all move.
 *                 Polled PIO with the disk's interrupt off, a step per 10 ms tick without waiting
 *                 for the disk (so at most about 45 sectors a second); nothing happens without a disk.
 *
 * It prints "VX-READY" on the first serial port (COM1) once the fill is done. With dirty=0, tx=0
 * and io=0 it then halts with interrupts off, costing no host CPU; otherwise a 100 Hz PIT interrupt
 * drives the work (see head.S for why the interrupt path never returns with IRET). */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

#define COM1 0x3F8
#define PAGE 4096u
#define TICK_HZ 100u

/* ---- port I/O and the serial console ---- */

static inline void out8(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void out16(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void out32(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 in8(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
/* String I/O of `count` 16-bit words: KVM moves the whole buffer in one exit, where a loop of
 * inw/outw would exit once per word (256 times a sector, expensive on a nested hypervisor). */
static inline void in16_string(u16 port, u16 *buffer, u32 count)
{
    __asm__ volatile("rep insw" : "+D"(buffer), "+c"(count) : "d"(port) : "memory");
}
static inline void out16_string(u16 port, const u16 *buffer, u32 count)
{
    __asm__ volatile("rep outsw" : "+S"(buffer), "+c"(count) : "d"(port) : "memory");
}
static inline u32 in32(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void halt_forever(void) { for (;;) __asm__ volatile("cli; hlt"); }

/* QEMU's 16550 accepts bytes at any time, so there is no need to poll the line status. */
static void say(const char *s) { while (*s) out8(COM1, (u8)*s++); }
static void say_num(u32 v)
{
    char buf[11];
    int i = sizeof(buf) - 1;
    buf[i] = 0;
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    say(buf + i);
}

/* ---- kernel command line ---- */

/* Value of "key=<decimal>" as a whole word of the command line, or def when absent. */
static u32 option(const char *cmdline, const char *key, u32 def)
{
    for (const char *word = cmdline; *word; word++) {
        if (word != cmdline && word[-1] != ' ') continue;
        const char *k = key, *p = word;
        while (*k && *p == *k) { k++; p++; }
        if (*k || *p != '=') continue;
        u32 v = 0;
        for (p++; *p >= '0' && *p <= '9'; p++) v = v * 10 + (u32)(*p - '0');
        return v;
    }
    return def;
}

/* ---- memory: fill and dirty ---- */

static u32 rng = 0x2545F491u;
static u32 next_random(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

static u32 mem_lo, mem_hi, dirty_at, dirty_per_tick;

static void fill(u32 step)
{
    for (u32 a = mem_lo; a < mem_hi; a += step) *(volatile u32 *)a = next_random() | 1u;
}

static void dirty_some(void)
{
    for (u32 i = 0; i < dirty_per_tick; i++) {
        *(volatile u32 *)dirty_at = next_random() | 1u;
        dirty_at += PAGE;
        if (dirty_at >= mem_hi) dirty_at = mem_lo;
    }
}

/* ---- PCI (configuration mechanism 1, bus 0: all QEMU's "pc" machine has) ---- */

static u32 pci_read(u32 dev, u32 reg)
{
    out32(0xCF8, 0x80000000u | dev << 11 | reg);
    return in32(0xCFC);
}

static void pci_write(u32 dev, u32 reg, u32 v)
{
    out32(0xCF8, 0x80000000u | dev << 11 | reg);
    out32(0xCFC, v);
}

/* I/O base of the first device with this ID (device << 16 | vendor) whose BAR 0 is an I/O BAR, or 0
 * when there is none. qboot assigns no BARs, so an unassigned one gets `port` here; I/O decoding and
 * bus mastering (the device reads and writes guest memory) are switched on. */
static u16 pci_io_device(u32 id, u16 port)
{
    for (u32 dev = 0; dev < 32; dev++) {
        if (pci_read(dev, 0x00) != id) continue;
        u32 bar0 = pci_read(dev, 0x10);
        if (!(bar0 & 1)) continue;
        if ((bar0 & 0xFFFC) == 0) {
            pci_write(dev, 0x10, port);
            bar0 = pci_read(dev, 0x10);
        }
        pci_write(dev, 0x04, pci_read(dev, 0x04) | 0x5);
        return (u16)(bar0 & 0xFFFC);
    }
    return 0;
}

/* ---- rtl8139 network card, transmit only ---- */

static u16 nic;                 /* I/O base, 0 when there is no card */
static u32 nic_slot;            /* next of the 4 transmit descriptors */
static u8 frame[1536] __attribute__((aligned(32)));
static u32 frame_len, frames_per_s, frame_credit, drop_every, frames_sent;

static void nic_init(void)
{
    nic = pci_io_device(0x813910ECu, 0xC000);               /* vendor 10ec, device 8139 */
    if (!nic) return;
    out8(nic + 0x37, 0x10);                                 /* command: software reset */
    for (u32 i = 0; i < 100000 && (in8(nic + 0x37) & 0x10); i++) continue;
    out8(nic + 0x37, 0x04);                                 /* command: transmitter on, receiver off */
    /* ARP probe "who has 192.0.2.1?" from MAC m, sender IP 0.0.0.0, zero padding after it */
    static const u8 arp[] = { 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1 };
    u8 mac[6];
    for (int i = 0; i < 6; i++) mac[i] = in8(nic + (u16)i);
    for (int i = 0; i < 6; i++) frame[i] = 0xFF;            /* destination: broadcast */
    for (int i = 0; i < 6; i++) frame[6 + i] = mac[i];      /* source */
    for (u32 i = 0; i < sizeof(arp); i++) frame[12 + i] = arp[i];
    for (int i = 0; i < 6; i++) frame[22 + i] = mac[i];     /* sender hardware address */
    frame[38] = 192; frame[39] = 0; frame[40] = 2; frame[41] = 1;  /* target IP */
    say("vxguest: rtl8139 at I/O port ");
    say_num(nic);
    say("\r\n");
}

static void nic_send(void)
{
    u32 unknown = drop_every && ++frames_sent % drop_every == 0;
    frame[12] = unknown ? 0x88 : 0x08;                      /* ethertype 0x88B5 or ARP 0x0806 */
    frame[13] = unknown ? 0xB5 : 0x06;
    /* Buffer address, then size with OWN=0: QEMU transmits synchronously on that write. */
    out32(nic + 0x20 + 4 * nic_slot, (u32)frame);
    out32(nic + 0x10 + 4 * nic_slot, frame_len);
    nic_slot = (nic_slot + 1) & 3;
}

/* ---- IDE disk on the primary channel's master, polled PIO ---- */

#define ATA_DATA 0x1F0
#define ATA_COUNT 0x1F2
#define ATA_LBA0 0x1F3
#define ATA_LBA1 0x1F4
#define ATA_LBA2 0x1F5
#define ATA_DRIVE 0x1F6
#define ATA_COMMAND 0x1F7                                   /* reads back as the status register */
#define ATA_CONTROL 0x3F6                                   /* reads back as the alternate status */
#define ATA_BSY 0x80
#define ATA_DF 0x20
#define ATA_DRQ 0x08
#define ATA_ERR 0x01
#define ATA_READ_SECTORS 0x20
#define ATA_WRITE_SECTORS 0x30
#define ATA_FLUSH_CACHE 0xE7
#define DISK_SECTORS_USED 65536u                            /* the first 32 MiB of any testbed disk */

static u32 disk;                                            /* 1 when the master answered */
static u16 sector[256];
static u32 sectors_per_s, sector_credit, next_sector, disk_ticks, flush_due;

/* What the disk is doing: the guest never waits for it, it looks again on the next tick. */
enum disk_step { DISK_IDLE, DISK_READING, DISK_WRITING, DISK_FINISHING };
static enum disk_step disk_step = DISK_IDLE;

static void disk_init(void)
{
    out8(ATA_CONTROL, 0x02);                                /* nIEN: no IRQ 14, we poll */
    out8(ATA_DRIVE, 0xA0);                                  /* select the master */
    for (int i = 0; i < 4; i++) in8(ATA_CONTROL);           /* the 400 ns settle time */
    u8 status = in8(ATA_COMMAND);
    /* 0xFF: no controller; 0: no drive; anything else must settle to not busy and no error. */
    for (u32 i = 0; i < 100000 && status != 0xFF && (status & ATA_BSY); i++) status = in8(ATA_COMMAND);
    disk = status != 0xFF && status != 0 && !(status & (ATA_BSY | ATA_ERR | ATA_DF));
    if (disk) say("vxguest: IDE disk on the primary master\r\n");
}

/* Issues a one-sector command at `lba` (28-bit LBA addressing). */
static void disk_command(u32 lba, u8 command)
{
    out8(ATA_DRIVE, (u8)(0xE0 | ((lba >> 24) & 0x0F)));
    out8(ATA_COUNT, 1);
    out8(ATA_LBA0, (u8)lba);
    out8(ATA_LBA1, (u8)(lba >> 8));
    out8(ATA_LBA2, (u8)(lba >> 16));
    out8(ATA_COMMAND, command);
}

/* Moves the disk's work on as far as it can without waiting: a flush when one is due, else a read
 * of the next sector, then a write of it with new contents (one read and one write request). A
 * request that fails is dropped. Returns 1 when it did something, 0 when the disk is busy or there
 * is nothing to do. */
static u32 disk_advance(void)
{
    u8 status = in8(ATA_COMMAND);
    if (status & ATA_BSY) return 0;
    if (status & (ATA_ERR | ATA_DF)) disk_step = DISK_IDLE;
    switch (disk_step) {
    case DISK_IDLE:
        if (flush_due) {
            flush_due = 0;
            out8(ATA_DRIVE, 0xE0);
            out8(ATA_COMMAND, ATA_FLUSH_CACHE);
            disk_step = DISK_FINISHING;
        } else if (sector_credit >= TICK_HZ) {
            sector_credit -= TICK_HZ;
            disk_command(next_sector, ATA_READ_SECTORS);
            disk_step = DISK_READING;
        } else {
            return 0;
        }
        return 1;
    case DISK_READING:
        if (!(status & ATA_DRQ)) return 0;
        in16_string(ATA_DATA, sector, 256);
        for (u32 i = 0; i < 256; i++) sector[i] = (u16)(next_sector + i);
        disk_command(next_sector, ATA_WRITE_SECTORS);
        disk_step = DISK_WRITING;
        return 1;
    case DISK_WRITING:
        if (!(status & ATA_DRQ)) return 0;
        out16_string(ATA_DATA, sector, 256);
        next_sector = (next_sector + 1) % DISK_SECTORS_USED;
        disk_step = DISK_FINISHING;
        return 1;
    case DISK_FINISHING:
        disk_step = DISK_IDLE;                              /* not busy any more: the request is done */
        return 1;
    }
    return 0;
}

static void disk_work(void)
{
    sector_credit += sectors_per_s;
    if (sector_credit > 2 * sectors_per_s + TICK_HZ) sector_credit = 2 * sectors_per_s + TICK_HZ;
    if (++disk_ticks % TICK_HZ == 0) flush_due = 1;
    while (disk_advance()) continue;
}

/* ---- interrupts: IDT, PIC, PIT ---- */

extern void vx_timer_stub(void), vx_fault_stub(void), vx_spurious_stub(void);

static u32 idt[256][2];
static struct __attribute__((packed)) { u16 limit; u32 base; } idt_ptr;

static void gate(int vector, void (*handler)(void))
{
    u32 a = (u32)handler;
    idt[vector][0] = 0x08u << 16 | (a & 0xFFFF);            /* code selector, offset low */
    idt[vector][1] = (a & 0xFFFF0000u) | 0x8E00;            /* present, ring 0, 32-bit interrupt gate */
}

static void start_timer(void)
{
    for (int v = 0; v < 256; v++) gate(v, v < 32 ? vx_fault_stub : vx_spurious_stub);
    gate(0x20, vx_timer_stub);
    idt_ptr.limit = sizeof(idt) - 1;
    idt_ptr.base = (u32)idt;
    __asm__ volatile("lidt %0" : : "m"(idt_ptr));

    /* Remap the PICs to vectors 0x20-0x2F and unmask IRQ0 only. */
    out8(0x20, 0x11); out8(0xA0, 0x11);
    out8(0x21, 0x20); out8(0xA1, 0x28);
    out8(0x21, 0x04); out8(0xA1, 0x02);
    out8(0x21, 0x01); out8(0xA1, 0x01);
    out8(0x21, 0xFE); out8(0xA1, 0xFF);

    /* Local APIC in "virtual wire" mode, so the PIC's interrupts reach the CPU: SeaBIOS sets it
     * up like this, qboot leaves LINT0 masked. */
    volatile u32 *lapic = (volatile u32 *)0xFEE00000u;
    lapic[0xF0 / 4] = 0x1FF;                                /* software-enable, spurious vector 0xFF */
    lapic[0x350 / 4] = 0x700;                               /* LINT0: ExtINT, unmasked */

    /* PIT channel 0, rate generator, TICK_HZ. */
    u32 divisor = 1193182u / TICK_HZ;
    out8(0x43, 0x34);
    out8(0x40, (u8)divisor);
    out8(0x40, (u8)(divisor >> 8));
}

static inline void wait_for_interrupt(void)
{
    for (;;) __asm__ volatile("sti; hlt");
}

/* Called by vx_timer_stub on a fresh stack, 100 times a second. */
void vx_tick(void)
{
    dirty_some();
    if (nic) {
        frame_credit += frames_per_s;
        while (frame_credit >= TICK_HZ) { nic_send(); frame_credit -= TICK_HZ; }
    }
    if (disk && sectors_per_s) disk_work();
    out8(0x20, 0x20);                                       /* end of interrupt */
    wait_for_interrupt();
}

void vx_fault(void)
{
    say("vxguest: CPU exception, halting\r\n");
    halt_forever();
}

/* ---- entry ---- */

struct multiboot_info { u32 flags, mem_lower, mem_upper, boot_device, cmdline; };

void vx_main(u32 magic, const struct multiboot_info *mbi)
{
    if (magic != 0x2BADB002u) { say("vxguest: not started by a multiboot loader\r\n"); halt_forever(); }
    const char *cmdline = (mbi->flags & 4) ? (const char *)mbi->cmdline : "";
    u32 ram_top = (mbi->flags & 1) ? 0x100000u + mbi->mem_upper * 1024u : 0x100000u;

    u32 fill_mib = option(cmdline, "fill", 0);
    mem_lo = 16u << 20;
    mem_hi = mem_lo + (fill_mib << 20);
    if (mem_hi > ram_top - (1u << 20)) mem_hi = ram_top - (1u << 20);
    if (mem_hi < mem_lo) mem_hi = mem_lo;
    dirty_at = mem_lo;
    dirty_per_tick = mem_hi > mem_lo ? option(cmdline, "dirty", 0) : 0;
    frames_per_s = option(cmdline, "tx", 0);
    drop_every = option(cmdline, "drop", 0);
    frame_len = option(cmdline, "len", 600);
    if (frame_len < 60) frame_len = 60;
    if (frame_len > 1514) frame_len = 1514;
    sectors_per_s = option(cmdline, "io", 0);

    say("vxguest: ram=");
    say_num(ram_top >> 20);
    say("MiB fill=");
    say_num((mem_hi - mem_lo) >> 20);
    say("MiB dirty=");
    say_num(dirty_per_tick);
    say("pages/tick tx=");
    say_num(frames_per_s);
    say("/s drop_every=");
    say_num(drop_every);
    say(" io=");
    say_num(sectors_per_s);
    say("/s");
    say(" cmdline='");
    say(cmdline);
    say("'\r\n");

    fill(option(cmdline, "dense", 0) ? 4 : PAGE);
    if (frames_per_s) nic_init();
    if (sectors_per_s) disk_init();
    say("VX-READY\r\n");

    if (!dirty_per_tick && !(nic && frames_per_s) && !(disk && sectors_per_s)) halt_forever();
    start_timer();
    wait_for_interrupt();
}
