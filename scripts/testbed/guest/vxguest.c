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
 *   balloon=0     leave the virtio memory balloon alone (default 1: drive it, see below), so that
 *                 libvirt sees a guest without a balloon driver.
 *
 * Memory, as the guest accounts for it in its balloon statistics (RAM is what the multiboot loader
 * reports; with 16 MiB or less, there is no balloon driver):
 *   [1 MiB, 16 MiB)             the kernel's own: its image, stack and virtqueues, the loader's data.
 *                               Never handed out, so not part of the total (as Linux leaves the
 *                               memory it reserves at boot out of MemTotal).
 *   [16 MiB, 16 MiB + fill)     used: the filled pages.
 *   up to the balloon           free.
 *   the top `balloon` pages     given back to the host by the balloon, not part of the total.
 *
 * It prints "VX-READY" on the first serial port (COM1) once the fill is done, and before it, when
 * the balloon driver came up, "vxguest: virtio-balloon driver up". With dirty=0, tx=0, io=0 and
 * no balloon it then halts with interrupts off, costing no host CPU; otherwise a 100 Hz PIT
 * interrupt drives the work (see head.S for why the interrupt path never returns with IRET). */

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
static inline u16 in16(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 in32(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
/* Keeps the compiler from moving memory accesses across it; x86 keeps stores in order itself. */
static inline void barrier(void) { __asm__ volatile("" : : : "memory"); }
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

/* ---- virtio memory balloon, with memory statistics ---- */

/* QEMU's <memballoon model='virtio'> is a transitional virtio device, PCI 1af4:1002, whose I/O BAR 0
 * speaks the legacy virtio interface. Its registers, from the BAR's base: */
#define VIRTIO_DEVICE_FEATURES 0x00
#define VIRTIO_GUEST_FEATURES 0x04
#define VIRTIO_QUEUE_PFN 0x08                               /* the selected queue's address / 4096 */
#define VIRTIO_QUEUE_SIZE 0x0C
#define VIRTIO_QUEUE_SELECT 0x0E
#define VIRTIO_QUEUE_NOTIFY 0x10
#define VIRTIO_STATUS 0x12
/* The device's own configuration follows at 0x14 (0x18 with MSI-X on, which this driver leaves off). */
#define BALLOON_NUM_PAGES 0x14                              /* pages the host wants */
#define BALLOON_ACTUAL 0x18                                 /* pages the guest has given it */
#define VIRTIO_ACKNOWLEDGE 1
#define VIRTIO_DRIVER 2
#define VIRTIO_DRIVER_OK 4
#define VIRTIO_FAILED 0x80
#define BALLOON_F_STATS_VQ (1u << 1)
#define BALLOON_PORT 0xC100                                 /* its 64-byte BAR, after the rtl8139's 256 */
#define BALLOON_BATCH 1024                                  /* pages per inflate or deflate request */
#define QUEUE_MAX 128                                       /* the size of QEMU's balloon queues */

/* One virtqueue in the legacy layout: descriptors, the available ring after them, and the used
 * ring at the next 4 KiB boundary (the first one, for up to QUEUE_MAX entries). The driver has at
 * most one buffer in a queue at a time, always in descriptor 0, and polls for its return. */
struct vring_desc { unsigned long long address; u32 length; u16 flags, next; };
struct virtqueue {
    struct vring_desc *desc;
    volatile u16 *avail;                                    /* flags, index, ring[size] */
    volatile u16 *used;                                     /* flags, index, then {id, length} pairs */
    u16 number, size, used_seen, busy;
};

/* Memory statistics as the virtio spec's struct virtio_balloon_stat: a tag, then a 64-bit value. */
struct __attribute__((packed)) balloon_stat { u16 tag; unsigned long long value; };
enum {
    STAT_SWAP_IN = 0, STAT_SWAP_OUT = 1,                    /* bytes */
    STAT_MAJOR_FAULTS = 2, STAT_MINOR_FAULTS = 3,           /* counts */
    STAT_FREE = 4, STAT_TOTAL = 5, STAT_AVAILABLE = 6, STAT_DISK_CACHES = 7,  /* bytes */
};

static u16 balloon;                                         /* I/O base, 0 when the driver is off */
static u8 queue_memory[3][2 * PAGE] __attribute__((aligned(4096)));
static struct virtqueue inflate_queue, deflate_queue, stats_queue;
static struct balloon_stat stats[8];
static u32 pfns[BALLOON_BATCH];                             /* page numbers of the request in flight */
static u32 ram_top;
static u32 balloon_pages;                                   /* given to the host: the top ones of RAM */
static u32 balloon_target, batch_pages, balloon_ticks;

/* Sets up queue `number` in `memory` (2 pages) and tells the device where it is. */
static u32 queue_init(struct virtqueue *q, u16 number, u8 *memory)
{
    out16(balloon + VIRTIO_QUEUE_SELECT, number);
    q->size = in16(balloon + VIRTIO_QUEUE_SIZE);
    if (q->size == 0 || q->size > QUEUE_MAX) return 0;
    q->number = number;
    q->desc = (struct vring_desc *)memory;
    q->avail = (volatile u16 *)(memory + 16 * q->size);
    q->used = (volatile u16 *)(memory + PAGE);
    q->avail[0] = 1;                                        /* VRING_AVAIL_F_NO_INTERRUPT: we poll */
    out32(balloon + VIRTIO_QUEUE_PFN, (u32)memory / PAGE);
    return 1;
}

/* Offers `length` bytes at `buffer` for the device to read, and notifies it. */
static void queue_post(struct virtqueue *q, const void *buffer, u32 length)
{
    q->desc[0].address = (u32)buffer;
    q->desc[0].length = length;
    q->desc[0].flags = 0;
    u16 index = q->avail[1];
    q->avail[2 + index % q->size] = 0;                      /* descriptor 0 */
    barrier();
    q->avail[1] = (u16)(index + 1);                         /* the device may take it from here on */
    barrier();
    q->busy = 1;
    out16(balloon + VIRTIO_QUEUE_NOTIFY, q->number);
}

/* 1 when the device has given back the buffer in flight (once per buffer), else 0. */
static u32 queue_returned(struct virtqueue *q)
{
    if (!q->busy || q->used[1] == q->used_seen) return 0;
    q->used_seen = q->used[1];
    q->busy = 0;
    return 1;
}

/* The guest's memory now, by the map at the top of this file. It runs without paging and without
 * swap, so it has never swapped and never taken a page fault: those counters are truly 0, as a
 * Linux guest without swap reports swap 0. It has no page cache (0) and no huge pages, so the
 * hugetlb tags are left out, as Linux leaves them out when built without huge page support. */
static void stats_update(void)
{
    u32 total = (ram_top - mem_lo) / PAGE - balloon_pages;
    u32 free = total - (mem_hi - mem_lo) / PAGE;
    const unsigned long long values[8] = {
        [STAT_SWAP_IN] = 0, [STAT_SWAP_OUT] = 0, [STAT_MAJOR_FAULTS] = 0, [STAT_MINOR_FAULTS] = 0,
        [STAT_FREE] = (unsigned long long)free * PAGE,
        [STAT_TOTAL] = (unsigned long long)total * PAGE,
        [STAT_AVAILABLE] = (unsigned long long)free * PAGE, /* nothing to reclaim: all free pages */
        [STAT_DISK_CACHES] = 0,
    };
    for (u16 tag = 0; tag < 8; tag++) {
        stats[tag].tag = tag;
        stats[tag].value = values[tag];
    }
}

/* Finds and starts the balloon: acknowledges the device, takes the statistics queue if it offers
 * one (QEMU always does), sets up the queues, reports an empty balloon and posts the first
 * statistics. On any trouble it says so and leaves the driver off. */
static void balloon_init(void)
{
    balloon = pci_io_device(0x10021AF4u, BALLOON_PORT);     /* vendor 1af4, transitional balloon */
    if (!balloon) return;
    out8(balloon + VIRTIO_STATUS, 0);                       /* reset */
    out8(balloon + VIRTIO_STATUS, VIRTIO_ACKNOWLEDGE);
    out8(balloon + VIRTIO_STATUS, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER);
    u32 features = in32(balloon + VIRTIO_DEVICE_FEATURES) & BALLOON_F_STATS_VQ;
    out32(balloon + VIRTIO_GUEST_FEATURES, features);
    if (!queue_init(&inflate_queue, 0, queue_memory[0]) ||
        !queue_init(&deflate_queue, 1, queue_memory[1]) ||
        (features && !queue_init(&stats_queue, 2, queue_memory[2]))) {
        out8(balloon + VIRTIO_STATUS, VIRTIO_FAILED);
        say("vxguest: virtio-balloon queues unusable, driver off\r\n");
        balloon = 0;
        return;
    }
    out32(balloon + BALLOON_ACTUAL, 0);
    out8(balloon + VIRTIO_STATUS, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER | VIRTIO_DRIVER_OK);
    if (features) {
        stats_update();
        queue_post(&stats_queue, stats, sizeof(stats));
    }
    say("vxguest: virtio-balloon driver up at I/O port ");
    say_num(balloon);
    say(features ? ", memory statistics on\r\n" : ", no statistics queue\r\n");
}

/* Asks the device to take (inflate) or give back (deflate) up to BALLOON_BATCH pages next to the
 * balloon's lower end; balloon_pages changes once the device has handled the request. */
static void balloon_request(struct virtqueue *q, u32 pages)
{
    u32 bottom = ram_top / PAGE - balloon_pages;            /* the balloon's lowest page */
    batch_pages = pages < BALLOON_BATCH ? pages : BALLOON_BATCH;
    for (u32 i = 0; i < batch_pages; i++) pfns[i] = q == &inflate_queue ? bottom - 1 - i : bottom + i;
    queue_post(q, pfns, 4 * batch_pages);
}

/* Called 10 times a second: sends fresh statistics when the host has handed the buffer back (it
 * does so once per stats period), and moves the balloon towards the host's target, a request at a
 * time. The balloon grows down from the top of RAM to the end of the filled range and no further,
 * so it takes at most the free pages; `actual` tells the host what it holds. */
static void balloon_work(void)
{
    if (queue_returned(&stats_queue)) {
        stats_update();
        queue_post(&stats_queue, stats, sizeof(stats));
    }
    u32 inflated = queue_returned(&inflate_queue), deflated = queue_returned(&deflate_queue);
    if (inflated || deflated) {
        balloon_pages = inflated ? balloon_pages + batch_pages : balloon_pages - batch_pages;
        out32(balloon + BALLOON_ACTUAL, balloon_pages);
        if (balloon_pages == balloon_target) {
            say("vxguest: balloon holds ");
            say_num(balloon_pages);
            say(" pages\r\n");
        }
    }
    u32 limit = (ram_top - mem_hi) / PAGE;
    balloon_target = in32(balloon + BALLOON_NUM_PAGES);
    if (balloon_target > limit) balloon_target = limit;
    if (inflate_queue.busy || deflate_queue.busy) return;
    if (balloon_target > balloon_pages)
        balloon_request(&inflate_queue, balloon_target - balloon_pages);
    else if (balloon_target < balloon_pages)
        balloon_request(&deflate_queue, balloon_pages - balloon_target);
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
    /* Not every tick: on the testbed's nested hypervisor even reading the rings costs host CPU
     * (measured: looking every tick cost 0.003 s a second more than 10 times a second). */
    if (balloon && ++balloon_ticks % (TICK_HZ / 10) == 0) balloon_work();
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
    ram_top = (mbi->flags & 1) ? 0x100000u + mbi->mem_upper * 1024u : 0x100000u;

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
    say("/s balloon=");
    say_num(option(cmdline, "balloon", 1));
    say(" cmdline='");
    say(cmdline);
    say("'\r\n");

    fill(option(cmdline, "dense", 0) ? 4 : PAGE);
    if (frames_per_s) nic_init();
    if (sectors_per_s) disk_init();
    if (option(cmdline, "balloon", 1) && ram_top > mem_hi) balloon_init();  /* the map needs > 16 MiB */
    say("VX-READY\r\n");

    if (!dirty_per_tick && !(nic && frames_per_s) && !(disk && sectors_per_s) && !balloon) halt_forever();
    start_timer();
    wait_for_interrupt();
}
