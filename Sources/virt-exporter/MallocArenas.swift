import CMalloc
import Glibc

/// glibc's malloc arenas: the one file that touches `mallopt` and `malloc_trim`.
enum MallocArenas {
    /// One malloc arena for the whole process, unless `MALLOC_ARENA_MAX` says otherwise. glibc
    /// gives threads that allocate at the same time arenas of their own, up to eight per core, and
    /// keeps what each has freed; the collector's threads allocate in turns, so at 100 domains the
    /// extra arenas held 16 MiB more private memory after 13 collections and saved no CPU
    /// (docs/performance.md, "Memory"). Call it first thing, before other threads allocate.
    static func limitToOne() {
        if getenv("MALLOC_ARENA_MAX") == nil { _ = mallopt(M_ARENA_MAX, 1) }
    }

    /// Gives the pages malloc holds free back to the kernel (`malloc_trim`): after a collection,
    /// the records it read are freed in the middle of the heap, where glibc keeps them resident
    /// (it trims only the heap's top on its own). Measured at idle on the testbed (9 domains):
    /// 0.7 MiB less private memory (docs/performance.md).
    static func returnFreePages() {
        _ = malloc_trim(0)
    }
}
