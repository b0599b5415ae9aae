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

#endif
