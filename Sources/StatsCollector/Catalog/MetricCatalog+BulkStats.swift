import PromFormat

extension MetricCatalog {
    /// Rows for the fields of `virConnectGetAllDomainStats`, in libvirt's group order.
    static let bulkStatsRows: [MetricDescriptor] = [
        field(
            "state.state", "libvirt_domain_info_state", .gauge,
            "Domain state (virDomainState): 0 no state, 1 running, 2 blocked, 3 paused, 4 shutting down, 5 shut off, 6 crashed, 7 suspended by power management."
        ),
        field(
            "state.reason", "libvirt_domain_info_state_reason", .gauge,
            "Reason for the current state; its meaning depends on the state (virDomain<State>Reason)."),
        // cpu
        field(
            "cpu.time", "libvirt_domain_info_cpu_time_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time used by the domain, all threads together."),
        field(
            "cpu.user", "libvirt_domain_cpu_user_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the domain used in user mode."),
        field(
            "cpu.system", "libvirt_domain_cpu_system_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the domain used in kernel mode."),
        field(
            "cpu.haltpoll.success.time", "libvirt_domain_cpu_haltpoll_success_seconds_total", .counter,
            .nanosecondsToSeconds, "Time the vCPUs spent polling successfully before halting (haltpoll cpuidle)."),
        field(
            "cpu.haltpoll.fail.time", "libvirt_domain_cpu_haltpoll_fail_seconds_total", .counter,
            .nanosecondsToSeconds, "Time the vCPUs spent polling in vain before halting (haltpoll cpuidle)."),
        field("cpu.cache.monitor.count", "libvirt_domain_cpu_cache_monitors", .gauge, "Cache monitors (resctrl)."),
        field(
            "cpu.cache.monitor.<n>.bank.count", "libvirt_domain_cpu_cache_monitor_banks", .gauge,
            "Cache banks the monitor watches."),
        field(
            "cpu.cache.monitor.<n>.bank.<n>.bytes", "libvirt_domain_cpu_cache_monitor_bank_bytes", .gauge,
            "Last-level cache the monitored vCPUs occupy in the bank."),
        // balloon
        field(
            "balloon.current", "libvirt_domain_info_memory_usage_bytes", .gauge, .kibibytesToBytes,
            "Host view: memory currently assigned to the domain, its maximum less what the balloon holds (QEMU's query-balloon actual); needs no guest statistics."
        ),
        field(
            "balloon.maximum", "libvirt_domain_info_maximum_memory_bytes", .gauge, .kibibytesToBytes,
            "Maximum memory the domain may be given."),
        field(
            "balloon.swap_in", "libvirt_domain_memory_stats_swap_in_bytes_total", .counter, .kibibytesToBytes,
            "Guest view: memory the guest read in from swap (its pswpin), as of its last statistics report."),
        field(
            "balloon.swap_out", "libvirt_domain_memory_stats_swap_out_bytes_total", .counter, .kibibytesToBytes,
            "Guest view: memory the guest wrote out to swap (its pswpout), as of its last statistics report."),
        field(
            "balloon.major_fault", "libvirt_domain_memory_stats_major_fault_total", .counter,
            "Guest view: page faults in the guest that needed disk IO (its pgmajfault)."),
        field(
            "balloon.minor_fault", "libvirt_domain_memory_stats_minor_fault_total", .counter,
            "Guest view: page faults in the guest served without disk IO (its pgfault)."),
        field(
            "balloon.unused", "libvirt_domain_memory_stats_unused_bytes", .gauge, .kibibytesToBytes,
            "Guest view: memory the guest leaves entirely unused (its MemFree): page cache not included, so low on any busy guest."
        ),
        field(
            "balloon.available", "libvirt_domain_memory_stats_available_bytes", .gauge, .kibibytesToBytes,
            "Guest view: the memory the guest's kernel manages (its MemTotal): RAM less what it reserves at boot and what the balloon holds."
        ),
        field(
            "balloon.usable", "libvirt_domain_memory_stats_usable_bytes", .gauge, .kibibytesToBytes,
            "Guest view: memory the guest could give new work without swapping, reclaimable caches included (its MemAvailable)."
        ),
        field(
            "balloon.rss", "libvirt_domain_memory_stats_rss_bytes", .gauge, .kibibytesToBytes,
            "Host view: resident memory of the domain's QEMU process: the guest pages it touched plus QEMU's own; needs no guest statistics."
        ),
        field(
            "balloon.disk_caches", "libvirt_domain_memory_stats_disk_cache_bytes", .gauge, .kibibytesToBytes,
            "Guest view: memory the guest uses for file and disk caches (its Cached and Buffers), which it can reclaim."
        ),
        field(
            "balloon.last-update", "libvirt_domain_memory_stats_last_update_timestamp_seconds", .gauge,
            "Unix time (host clock) at which QEMU last received the guest's memory statistics; 0 before the first report or without a balloon driver. It stays put without a stats period (libvirt_domain_memory_stats_period_seconds 0)."
        ),
        field(
            "balloon.hugetlb_pgalloc", "libvirt_domain_memory_stats_hugetlb_page_allocations_total", .counter,
            "Huge page allocations in the guest."),
        field(
            "balloon.hugetlb_pgfail", "libvirt_domain_memory_stats_hugetlb_page_allocation_failures_total", .counter,
            "Failed huge page allocations in the guest."),
        // vcpu
        field("vcpu.current", "libvirt_domain_info_virtual_cpus", .gauge, "Virtual CPUs currently online."),
        field("vcpu.maximum", "libvirt_domain_vcpu_maximum", .gauge, "Virtual CPUs the domain may have at most."),
        field(
            "vcpu.<n>.state", "libvirt_domain_vcpu_state", .gauge,
            "State of the virtual CPU (virVcpuState): 0 offline, 1 running, 2 blocked."),
        field(
            "vcpu.<n>.time", "libvirt_domain_vcpu_time_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the virtual CPU ran."),
        field(
            "vcpu.<n>.wait", "libvirt_domain_vcpu_wait_seconds_total", .counter, .nanosecondsToSeconds,
            "Time the virtual CPU wanted to run but the host scheduler ran something else (runnable, not running)."),
        field(
            "vcpu.<n>.delay", "libvirt_domain_vcpu_delay_seconds_total", .counter, .nanosecondsToSeconds,
            "Time the virtual CPU's thread sat in the host's run queue; the guest sees it as steal time."),
        field(
            "vcpu.<n>.halted", "libvirt_domain_vcpu_halted", .gauge,
            "Whether the virtual CPU is halted (1) or not (0)."),
        // dirtyrate
        field(
            "dirtyrate.calc_status", "libvirt_domain_dirtyrate_calc_status", .gauge,
            "State of the last dirty-rate calculation: 0 not started, 1 measuring, 2 measured."),
        field(
            "dirtyrate.calc_start_time", "libvirt_domain_dirtyrate_calc_start_time_seconds", .gauge,
            "Start of the last dirty-rate calculation, in QEMU's monotonic seconds."),
        field(
            "dirtyrate.calc_period", "libvirt_domain_dirtyrate_calc_period_seconds", .gauge,
            "Length of the last dirty-rate calculation."),
        field(
            "dirtyrate.megabytes_per_second", "libvirt_domain_dirtyrate_bytes_per_second", .gauge, .mebibytesToBytes,
            "Memory the guest dirtied per second in the last calculation (QEMU reports MiB/s)."),
        field(
            "dirtyrate.vcpu.<n>.megabytes_per_second", "libvirt_domain_dirtyrate_vcpu_bytes_per_second", .gauge,
            .mebibytesToBytes, "Memory the vCPU dirtied per second in the last calculation (QEMU reports MiB/s)."),
        // net
        field("net.count", "libvirt_domain_interfaces", .gauge, "Network interfaces of the domain."),
        field("net.<n>.rx.bytes", "libvirt_domain_interface_stats_receive_bytes_total", .counter, "Bytes received."),
        field("net.<n>.rx.pkts", "libvirt_domain_interface_stats_receive_packets_total", .counter, "Packets received."),
        field("net.<n>.rx.errs", "libvirt_domain_interface_stats_receive_errors_total", .counter, "Receive errors."),
        field(
            "net.<n>.rx.drop", "libvirt_domain_interface_stats_receive_drops_total", .counter,
            "Received packets dropped."),
        field(
            "net.<n>.tx.bytes", "libvirt_domain_interface_stats_transmit_bytes_total", .counter, "Bytes transmitted."),
        field(
            "net.<n>.tx.pkts", "libvirt_domain_interface_stats_transmit_packets_total", .counter, "Packets transmitted."
        ),
        field("net.<n>.tx.errs", "libvirt_domain_interface_stats_transmit_errors_total", .counter, "Transmit errors."),
        field(
            "net.<n>.tx.drop", "libvirt_domain_interface_stats_transmit_drops_total", .counter,
            "Transmitted packets dropped."),
        // block
        field("block.count", "libvirt_domain_block_devices", .gauge, "Block devices of the domain."),
        field("block.<n>.rd.reqs", "libvirt_domain_block_stats_read_requests_total", .counter, "Read requests."),
        field("block.<n>.rd.bytes", "libvirt_domain_block_stats_read_bytes_total", .counter, "Bytes read."),
        field(
            "block.<n>.rd.times", "libvirt_domain_block_stats_read_seconds_total", .counter, .nanosecondsToSeconds,
            "Time spent on reads."),
        field("block.<n>.wr.reqs", "libvirt_domain_block_stats_write_requests_total", .counter, "Write requests."),
        field("block.<n>.wr.bytes", "libvirt_domain_block_stats_write_bytes_total", .counter, "Bytes written."),
        field(
            "block.<n>.wr.times", "libvirt_domain_block_stats_write_seconds_total", .counter, .nanosecondsToSeconds,
            "Time spent on writes."),
        field("block.<n>.fl.reqs", "libvirt_domain_block_stats_flush_requests_total", .counter, "Flush requests."),
        field(
            "block.<n>.fl.times", "libvirt_domain_block_stats_flush_seconds_total", .counter, .nanosecondsToSeconds,
            "Time spent on flushes."),
        field(
            "block.<n>.errors", "libvirt_domain_block_stats_errors_total", .counter,
            "Errors on the device (reported by Xen only)."),
        field(
            "block.<n>.allocation", "libvirt_domain_block_stats_allocation_bytes", .gauge,
            "Offset of the highest written sector of the device."),
        field(
            "block.<n>.capacity", "libvirt_domain_block_stats_capacity_bytes", .gauge,
            "Logical size of the device, as the guest sees it."),
        field(
            "block.<n>.physical", "libvirt_domain_block_stats_physical_bytes", .gauge,
            "Size of the device's storage on the host (file size or block device size)."),
        field(
            "block.<n>.threshold", "libvirt_domain_block_stats_threshold_bytes", .gauge,
            "Write threshold set on the device (virDomainSetBlockThreshold)."),
        // perf: hardware and software events, counted while the domain runs (virDomainSetPerfEvents)
        field("perf.cmt", "libvirt_domain_perf_cmt_bytes", .gauge, "Last-level cache the domain occupies (Intel CMT)."),
        field(
            "perf.mbmt", "libvirt_domain_perf_mbmt_bytes_per_second", .gauge,
            "Total memory bandwidth of the domain (Intel MBM)."),
        field(
            "perf.mbml", "libvirt_domain_perf_mbml_bytes_per_second", .gauge,
            "Local memory bandwidth of the domain (Intel MBM)."),
        field("perf.cpu_cycles", "libvirt_domain_perf_cpu_cycles_total", .counter, "CPU cycles."),
        field("perf.instructions", "libvirt_domain_perf_instructions_total", .counter, "Instructions retired."),
        field("perf.cache_references", "libvirt_domain_perf_cache_references_total", .counter, "Cache references."),
        field("perf.cache_misses", "libvirt_domain_perf_cache_misses_total", .counter, "Cache misses."),
        field(
            "perf.branch_instructions", "libvirt_domain_perf_branch_instructions_total", .counter,
            "Branch instructions retired."),
        field("perf.branch_misses", "libvirt_domain_perf_branch_misses_total", .counter, "Mispredicted branches."),
        field("perf.bus_cycles", "libvirt_domain_perf_bus_cycles_total", .counter, "Bus cycles."),
        field(
            "perf.stalled_cycles_frontend", "libvirt_domain_perf_stalled_cycles_frontend_total", .counter,
            "Cycles stalled in the instruction front end."),
        field(
            "perf.stalled_cycles_backend", "libvirt_domain_perf_stalled_cycles_backend_total", .counter,
            "Cycles stalled in the execution back end."),
        field(
            "perf.ref_cpu_cycles", "libvirt_domain_perf_ref_cpu_cycles_total", .counter,
            "CPU cycles not affected by frequency scaling."),
        field(
            "perf.cpu_clock", "libvirt_domain_perf_cpu_clock_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU clock time (perf reports nanoseconds)."),
        field(
            "perf.task_clock", "libvirt_domain_perf_task_clock_seconds_total", .counter, .nanosecondsToSeconds,
            "Task clock time (perf reports nanoseconds)."),
        field("perf.page_faults", "libvirt_domain_perf_page_faults_total", .counter, "Page faults."),
        field("perf.context_switches", "libvirt_domain_perf_context_switches_total", .counter, "Context switches."),
        field("perf.cpu_migrations", "libvirt_domain_perf_cpu_migrations_total", .counter, "Moves between host CPUs."),
        field("perf.page_faults_min", "libvirt_domain_perf_page_faults_minor_total", .counter, "Minor page faults."),
        field("perf.page_faults_maj", "libvirt_domain_perf_page_faults_major_total", .counter, "Major page faults."),
        field("perf.alignment_faults", "libvirt_domain_perf_alignment_faults_total", .counter, "Alignment faults."),
        field("perf.emulation_faults", "libvirt_domain_perf_emulation_faults_total", .counter, "Emulation faults."),
        // iothread
        field("iothread.count", "libvirt_domain_iothreads", .gauge, "IOThreads of the domain."),
        field(
            "iothread.<n>.poll-max-ns", "libvirt_domain_iothread_poll_max_seconds", .gauge, .nanosecondsToSeconds,
            "Longest the IOThread polls before sleeping; 0 when polling is off."),
        field(
            "iothread.<n>.poll-grow", "libvirt_domain_iothread_poll_grow", .gauge,
            "Factor by which the IOThread's polling time grows; 0 for QEMU's default."),
        field(
            "iothread.<n>.poll-shrink", "libvirt_domain_iothread_poll_shrink", .gauge,
            "Divisor by which the IOThread's polling time shrinks; 0 for QEMU's default."),
        // memory bandwidth monitors (resctrl)
        field(
            "memory.bandwidth.monitor.count", "libvirt_domain_memory_bandwidth_monitors", .gauge,
            "Memory bandwidth monitors (resctrl)."),
        field(
            "memory.bandwidth.monitor.<n>.node.count", "libvirt_domain_memory_bandwidth_monitor_nodes", .gauge,
            "NUMA nodes the monitor watches."),
        field(
            "memory.bandwidth.monitor.<n>.node.<n>.bytes.local",
            "libvirt_domain_memory_bandwidth_monitor_local_bytes_total",
            .counter, "Memory traffic of the monitored vCPUs to the node's local memory."),
        field(
            "memory.bandwidth.monitor.<n>.node.<n>.bytes.total", "libvirt_domain_memory_bandwidth_monitor_bytes_total",
            .counter, "Memory traffic of the monitored vCPUs to the node, local and remote."),
    ]
}
