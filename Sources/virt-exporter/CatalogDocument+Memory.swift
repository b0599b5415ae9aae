extension CatalogDocument {
    /// The section of `docs/metrics.md` after the table that says what the guest memory statistics
    /// mean, how to get the guest's used memory from them, and how to tell fresh ones from old.
    static let memoryGuide = """

        ## Guest memory: the balloon statistics

        libvirt reports two kinds of memory numbers for a running domain. The host's own (`actual`,
        `rss`) are always there. The guest's (`available`, `usable`, `unused`, `disk_caches`, the swap
        and fault counters) come only from a balloon driver inside the guest (virtio-balloon, from a
        `<memballoon model='virtio'>` device) and only as often as the domain's statistics period
        (`<memballoon><stats period='N'/>`) asks for them; QEMU keeps the last report and stamps
        `last_update` when it arrives. libvirt gives each field in KiB; the exporter gives bytes.

        | libvirt field (`virsh dommemstat`) | metric | whose view | what it is |
        | --- | --- | --- | --- |
        | actual (`balloon.current`) | `libvirt_domain_info_memory_usage_bytes` | host | memory assigned to the domain: its maximum less what the balloon holds |
        | rss (`balloon.rss`) | `libvirt_domain_memory_stats_rss_bytes` | host | resident memory of the QEMU process: guest pages it touched, and QEMU's own |
        | available (`balloon.available`) | `libvirt_domain_memory_stats_available_bytes` | guest | MemTotal: RAM less what the guest's kernel reserves and what the balloon holds |
        | usable (`balloon.usable`) | `libvirt_domain_memory_stats_usable_bytes` | guest | MemAvailable: what new work can get without swapping, reclaimable caches included |
        | unused (`balloon.unused`) | `libvirt_domain_memory_stats_unused_bytes` | guest | MemFree: pages nothing uses, not even the page cache |
        | disk_caches (`balloon.disk_caches`) | `libvirt_domain_memory_stats_disk_cache_bytes` | guest | the file and disk caches (Cached and Buffers), which the guest can reclaim |
        | last_update (`balloon.last-update`) | `libvirt_domain_memory_stats_last_update_timestamp_seconds` | host clock | when QEMU last got the guest's report; 0 before the first one |

        **Used memory, as the guest's own `free` shows it.** procps 4's `free` computes
        used = MemTotal − MemAvailable, so the guest's used memory is `available − usable`: the
        exporter publishes it as `libvirt_domain_memory_used_bytes`, for the domains whose guest
        reports both, and for no other (no driver, or a driver that does not report `usable`: the
        gauge is absent, never 0). Older tools (procps 3) computed used = total − free − buffers −
        cache; for a guest whose driver reports no `usable`, the nearest is
        `available − unused − disk_caches`, which counts reclaimable kernel memory (slab) as used
        and so reads a little higher:

        ```
        libvirt_domain_memory_used_bytes
          or (libvirt_domain_memory_stats_available_bytes - libvirt_domain_memory_stats_unused_bytes
                - libvirt_domain_memory_stats_disk_cache_bytes)
        ```

        `unused` alone is no measure of free memory: a guest that has read much from disk has little
        of it and is not short of memory. `actual` and `rss` are the host's side: what the domain may
        use and what it costs the host, not what the guest uses; `rss` grows as the guest touches
        pages and seldom shrinks.

        **Missing and old statistics.** The guest's numbers are as old as `last_update`:

        - no balloon driver in the guest (or `<memballoon model='none'>`): only `actual`, `rss` and
          `last_update` 0; no guest-view series and no used memory;
        - a driver but no stats period (`libvirt_domain_memory_stats_period_seconds` 0, libvirt's
          default): the guest reported once, at boot; every guest-view series keeps its boot-time
          value and `last_update` does not move;
        - a driver and a period: `last_update` moves every period (plus the guest's delay).

        So a running domain's statistics are stale when their age exceeds a few periods:
        `libvirt_exporter_last_collection_timestamp_seconds - on (job, instance) group_right
        libvirt_domain_memory_stats_last_update_timestamp_seconds` (both from the host's clock)
        greater than 3 × the period. The alert `LibvirtBalloonStatsStale`
        (`deploy/prometheus/virt-exporter.rules.yml`) fires for running domains that have a period
        and no fresh report (no driver, a driver that stopped, a paused guest aside); the dashboard
        shows the age next to the period. The period is read from the live domain XML (with the
        `metadata` part) when the domain starts or its devices change, and at least every 10
        minutes: a period set with `virsh dommemstat --period N --live` shows within that time (libvirt
        9.0 sends no domain event for it; seen on the testbed).
        Setting it needs a read-write connection; the exporter only reports it.

        """
}
