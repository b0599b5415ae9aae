// GnuTLS as virt-exporter sees it: the server certificate handed to libmicrohttpd's TLS sessions,
// and the checks of a client's certificate.
#ifndef CGNUTLS_H
#define CGNUTLS_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

/// A pointer to a certificate retrieval callback, as libmicrohttpd's MHD_OPTION_HTTPS_CERT_CALLBACK takes it.
typedef gnutls_certificate_retrieve_function2 *CGnuTLS_CertificateRetriever;

#endif
