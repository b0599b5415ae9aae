// GnuTLS as virt-exporter sees it: the server certificate handed to libmicrohttpd's TLS sessions,
// the checks of a client's certificate, and the keyed digest of the password memory.
#ifndef CGNUTLS_H
#define CGNUTLS_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

/// A pointer to a certificate retrieval callback, as libmicrohttpd's MHD_OPTION_HTTPS_CERT_CALLBACK takes it.
typedef gnutls_certificate_retrieve_function2 *CGnuTLS_CertificateRetriever;

#endif
