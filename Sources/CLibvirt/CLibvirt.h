// The libvirt C API as virt-exporter sees it, plus the few helpers Swift cannot express directly.
// Every helper is prefixed with the target name.
#ifndef CLIBVIRT_H
#define CLIBVIRT_H

#include <stddef.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

// Swift imports `field` as an 80-element tuple; pin the layout we rely on.
_Static_assert(VIR_TYPED_PARAM_FIELD_LENGTH == 80, "virTypedParameter.field length changed");

// DomainListFilter spells virConnectListAllDomainsFlags in Swift; pin its values to the header's.
_Static_assert(VIR_CONNECT_LIST_DOMAINS_ACTIVE == 1 << 0, "DomainListFilter.active");
_Static_assert(VIR_CONNECT_LIST_DOMAINS_PERSISTENT == 1 << 2, "DomainListFilter.persistent");
_Static_assert(VIR_CONNECT_LIST_DOMAINS_TRANSIENT == 1 << 3, "DomainListFilter.transient");
_Static_assert(VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE == 1 << 8, "DomainListFilter.managedSave");
_Static_assert(VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE == 1 << 9, "DomainListFilter.noManagedSave");
_Static_assert(VIR_CONNECT_LIST_DOMAINS_AUTOSTART == 1 << 10, "DomainListFilter.autostart");
_Static_assert(VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART == 1 << 11, "DomainListFilter.noAutostart");

/// The NUL-terminated name of a typed parameter.
static inline const char *CLibvirt_typedParameterField(const virTypedParameter *parameter) {
    return parameter->field;
}

static void CLibvirt_ignoreError(void *userData, virErrorPtr error) {
    (void)userData;
    (void)error;
}

/// Stops libvirt from printing errors to stderr; callers read them with virGetLastError instead.
static inline void CLibvirt_silenceErrorPrinting(void) {
    virSetErrorFunc(NULL, CLibvirt_ignoreError);
}

// The C values the Swift code mirrors as plain numbers, pinned: a libvirt whose headers differ
// fails the build here rather than mislabelling series.
// LibvirtError.Code
_Static_assert(VIR_ERR_INTERNAL_ERROR == 1, "LibvirtError.Code: VIR_ERR_INTERNAL_ERROR");
_Static_assert(VIR_ERR_NO_SUPPORT == 3, "LibvirtError.Code: VIR_ERR_NO_SUPPORT");
_Static_assert(VIR_ERR_NO_CONNECT == 5, "LibvirtError.Code: VIR_ERR_NO_CONNECT");
_Static_assert(VIR_ERR_INVALID_CONN == 6, "LibvirtError.Code: VIR_ERR_INVALID_CONN");
_Static_assert(VIR_ERR_INVALID_ARG == 8, "LibvirtError.Code: VIR_ERR_INVALID_ARG");
_Static_assert(VIR_ERR_OPERATION_FAILED == 9, "LibvirtError.Code: VIR_ERR_OPERATION_FAILED");
_Static_assert(VIR_ERR_OPERATION_DENIED == 29, "LibvirtError.Code: VIR_ERR_OPERATION_DENIED");
_Static_assert(VIR_ERR_SYSTEM_ERROR == 38, "LibvirtError.Code: VIR_ERR_SYSTEM_ERROR");
_Static_assert(VIR_ERR_RPC == 39, "LibvirtError.Code: VIR_ERR_RPC");
_Static_assert(VIR_ERR_NO_DOMAIN == 42, "LibvirtError.Code: VIR_ERR_NO_DOMAIN");
_Static_assert(VIR_ERR_AUTH_FAILED == 45, "LibvirtError.Code: VIR_ERR_AUTH_FAILED");
_Static_assert(VIR_ERR_OPERATION_INVALID == 55, "LibvirtError.Code: VIR_ERR_OPERATION_INVALID");
_Static_assert(VIR_ERR_OPERATION_TIMEOUT == 68, "LibvirtError.Code: VIR_ERR_OPERATION_TIMEOUT");
_Static_assert(VIR_ERR_ARGUMENT_UNSUPPORTED == 74, "LibvirtError.Code: VIR_ERR_ARGUMENT_UNSUPPORTED");
_Static_assert(VIR_ERR_OPERATION_UNSUPPORTED == 84, "LibvirtError.Code: VIR_ERR_OPERATION_UNSUPPORTED");
_Static_assert(VIR_ERR_AGENT_UNRESPONSIVE == 86, "LibvirtError.Code: VIR_ERR_AGENT_UNRESPONSIVE");
// CollectorPart.bulkGroup, HostReader.allocationGroups, the state group of CollectionScope
_Static_assert(VIR_DOMAIN_STATS_STATE == (1 << 0), "bulk stats group VIR_DOMAIN_STATS_STATE");
_Static_assert(VIR_DOMAIN_STATS_CPU_TOTAL == (1 << 1), "bulk stats group VIR_DOMAIN_STATS_CPU_TOTAL");
_Static_assert(VIR_DOMAIN_STATS_BALLOON == (1 << 2), "bulk stats group VIR_DOMAIN_STATS_BALLOON");
_Static_assert(VIR_DOMAIN_STATS_VCPU == (1 << 3), "bulk stats group VIR_DOMAIN_STATS_VCPU");
_Static_assert(VIR_DOMAIN_STATS_INTERFACE == (1 << 4), "bulk stats group VIR_DOMAIN_STATS_INTERFACE");
_Static_assert(VIR_DOMAIN_STATS_BLOCK == (1 << 5), "bulk stats group VIR_DOMAIN_STATS_BLOCK");
_Static_assert(VIR_DOMAIN_STATS_PERF == (1 << 6), "bulk stats group VIR_DOMAIN_STATS_PERF");
_Static_assert(VIR_DOMAIN_STATS_IOTHREAD == (1 << 7), "bulk stats group VIR_DOMAIN_STATS_IOTHREAD");
_Static_assert(VIR_DOMAIN_STATS_MEMORY == (1 << 8), "bulk stats group VIR_DOMAIN_STATS_MEMORY");
_Static_assert(VIR_DOMAIN_STATS_DIRTYRATE == (1 << 9), "bulk stats group VIR_DOMAIN_STATS_DIRTYRATE");
_Static_assert(VIR_DOMAIN_STATS_VM == (1 << 10), "bulk stats group VIR_DOMAIN_STATS_VM");
// DomainStats.isActive (running, blocked, paused, shutting down, pmsuspended) and the state legend
_Static_assert(VIR_DOMAIN_NOSTATE == 0, "virDomainState VIR_DOMAIN_NOSTATE");
_Static_assert(VIR_DOMAIN_RUNNING == 1, "virDomainState VIR_DOMAIN_RUNNING");
_Static_assert(VIR_DOMAIN_BLOCKED == 2, "virDomainState VIR_DOMAIN_BLOCKED");
_Static_assert(VIR_DOMAIN_PAUSED == 3, "virDomainState VIR_DOMAIN_PAUSED");
_Static_assert(VIR_DOMAIN_SHUTDOWN == 4, "virDomainState VIR_DOMAIN_SHUTDOWN");
_Static_assert(VIR_DOMAIN_SHUTOFF == 5, "virDomainState VIR_DOMAIN_SHUTOFF");
_Static_assert(VIR_DOMAIN_CRASHED == 6, "virDomainState VIR_DOMAIN_CRASHED");
_Static_assert(VIR_DOMAIN_PMSUSPENDED == 7, "virDomainState VIR_DOMAIN_PMSUSPENDED");
// PerDomainCalls.isPostcopy: the state reasons of a migration switched to post-copy
_Static_assert(VIR_DOMAIN_RUNNING_POSTCOPY == 10, "virDomainRunningReason VIR_DOMAIN_RUNNING_POSTCOPY");
_Static_assert(VIR_DOMAIN_RUNNING_POSTCOPY_FAILED == 11, "virDomainRunningReason VIR_DOMAIN_RUNNING_POSTCOPY_FAILED");
_Static_assert(VIR_DOMAIN_PAUSED_POSTCOPY == 12, "virDomainPausedReason VIR_DOMAIN_PAUSED_POSTCOPY");
_Static_assert(VIR_DOMAIN_PAUSED_POSTCOPY_FAILED == 13, "virDomainPausedReason VIR_DOMAIN_PAUSED_POSTCOPY_FAILED");
// EnumNames.jobType, PerDomainCalls.noJob
_Static_assert(VIR_DOMAIN_JOB_NONE == 0, "virDomainJobType VIR_DOMAIN_JOB_NONE");
_Static_assert(VIR_DOMAIN_JOB_BOUNDED == 1, "virDomainJobType VIR_DOMAIN_JOB_BOUNDED");
_Static_assert(VIR_DOMAIN_JOB_UNBOUNDED == 2, "virDomainJobType VIR_DOMAIN_JOB_UNBOUNDED");
_Static_assert(VIR_DOMAIN_JOB_COMPLETED == 3, "virDomainJobType VIR_DOMAIN_JOB_COMPLETED");
_Static_assert(VIR_DOMAIN_JOB_FAILED == 4, "virDomainJobType VIR_DOMAIN_JOB_FAILED");
_Static_assert(VIR_DOMAIN_JOB_CANCELLED == 5, "virDomainJobType VIR_DOMAIN_JOB_CANCELLED");
// EnumNames.jobOperation, PerDomainCalls.outgoingMigration
_Static_assert(VIR_DOMAIN_JOB_OPERATION_UNKNOWN == 0, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_UNKNOWN");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_START == 1, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_START");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_SAVE == 2, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_SAVE");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_RESTORE == 3, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_RESTORE");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN == 4, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT == 5, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_SNAPSHOT == 6, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_SNAPSHOT");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_REVERT == 7, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_REVERT");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_DUMP == 8, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_DUMP");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_BACKUP == 9, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_BACKUP");
_Static_assert(VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_DELETE == 10, "virDomainJobOperation VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_DELETE");
// MetricCatalog.memoryStatFallback
_Static_assert(VIR_DOMAIN_MEMORY_STAT_SWAP_IN == 0, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_SWAP_IN");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_SWAP_OUT == 1, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_SWAP_OUT");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT == 2, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT == 3, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_UNUSED == 4, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_UNUSED");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_AVAILABLE == 5, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_AVAILABLE");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_RSS == 7, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_RSS");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_USABLE == 8, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_USABLE");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE == 9, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_DISK_CACHES == 10, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_DISK_CACHES");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC == 11, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC");
_Static_assert(VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL == 12, "virDomainMemoryStatTags VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL");
// MetricCatalog.storagePoolStates
_Static_assert(VIR_STORAGE_POOL_INACTIVE == 0, "virStoragePoolState VIR_STORAGE_POOL_INACTIVE");
_Static_assert(VIR_STORAGE_POOL_BUILDING == 1, "virStoragePoolState VIR_STORAGE_POOL_BUILDING");
_Static_assert(VIR_STORAGE_POOL_RUNNING == 2, "virStoragePoolState VIR_STORAGE_POOL_RUNNING");
_Static_assert(VIR_STORAGE_POOL_DEGRADED == 3, "virStoragePoolState VIR_STORAGE_POOL_DEGRADED");
_Static_assert(VIR_STORAGE_POOL_INACCESSIBLE == 4, "virStoragePoolState VIR_STORAGE_POOL_INACCESSIBLE");
// DomainEventLabels: I/O error and watchdog actions
_Static_assert(VIR_DOMAIN_EVENT_IO_ERROR_NONE == 0, "event action VIR_DOMAIN_EVENT_IO_ERROR_NONE");
_Static_assert(VIR_DOMAIN_EVENT_IO_ERROR_PAUSE == 1, "event action VIR_DOMAIN_EVENT_IO_ERROR_PAUSE");
_Static_assert(VIR_DOMAIN_EVENT_IO_ERROR_REPORT == 2, "event action VIR_DOMAIN_EVENT_IO_ERROR_REPORT");
_Static_assert(VIR_DOMAIN_EVENT_WATCHDOG_NONE == 0, "event action VIR_DOMAIN_EVENT_WATCHDOG_NONE");
_Static_assert(VIR_DOMAIN_EVENT_WATCHDOG_PAUSE == 1, "event action VIR_DOMAIN_EVENT_WATCHDOG_PAUSE");
_Static_assert(VIR_DOMAIN_EVENT_WATCHDOG_RESET == 2, "event action VIR_DOMAIN_EVENT_WATCHDOG_RESET");
_Static_assert(VIR_DOMAIN_EVENT_WATCHDOG_POWEROFF == 3, "event action VIR_DOMAIN_EVENT_WATCHDOG_POWEROFF");
_Static_assert(VIR_DOMAIN_EVENT_WATCHDOG_SHUTDOWN == 4, "event action VIR_DOMAIN_EVENT_WATCHDOG_SHUTDOWN");
_Static_assert(VIR_DOMAIN_EVENT_WATCHDOG_DEBUG == 5, "event action VIR_DOMAIN_EVENT_WATCHDOG_DEBUG");
_Static_assert(VIR_DOMAIN_EVENT_WATCHDOG_INJECTNMI == 6, "event action VIR_DOMAIN_EVENT_WATCHDOG_INJECTNMI");

#endif
