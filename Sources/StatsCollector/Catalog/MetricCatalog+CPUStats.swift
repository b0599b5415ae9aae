import PromFormat

extension MetricCatalog {
    /// Rows for `virDomainGetCPUStats`: per host CPU (`cpustats.<n>.*`) and in total (`cpustats.*`).
    static let cpuStatsRows: [MetricDescriptor] = [
        field(
            "cpustats.<n>.cpu_time", "libvirt_domain_cpu_stats_host_cpu_seconds_total", .counter,
            .nanosecondsToSeconds, "CPU time the domain used on this host CPU, all its threads together."),
        field(
            "cpustats.<n>.vcpu_time", "libvirt_domain_cpu_stats_host_cpu_vcpu_seconds_total", .counter,
            .nanosecondsToSeconds, "CPU time the domain's vCPU threads used on this host CPU."),
        field(
            "cpustats.cpu_time", "libvirt_domain_cpu_stats_time_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the domain used, all host CPUs together (virDomainGetCPUStats total)."),
        field(
            "cpustats.user_time", "libvirt_domain_cpu_stats_user_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the domain used in user mode (virDomainGetCPUStats total)."),
        field(
            "cpustats.system_time", "libvirt_domain_cpu_stats_system_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the domain used in kernel mode (virDomainGetCPUStats total)."),
        field(
            "cpustats.vcpu_time", "libvirt_domain_cpu_stats_vcpu_seconds_total", .counter, .nanosecondsToSeconds,
            "CPU time the domain's vCPU threads used (virDomainGetCPUStats total)."),
    ]
}
