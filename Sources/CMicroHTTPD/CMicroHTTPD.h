// libmicrohttpd as virt-exporter sees it. MHD_start_daemon and MHD_get_connection_info are
// variadic, which Swift cannot call, so the calls the exporter makes get fixed-arity helpers here.
#ifndef CMICROHTTPD_H
#define CMICROHTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// What a daemon is started with.
typedef struct CMicroHTTPD_DaemonSettings {
    /// A bound, listening socket; the daemon closes it when stopped.
    int listenSocket;
    /// Polling threads (each accepts and serves connections); 1 for the daemon's own thread alone.
    unsigned int threadPoolSize;
    /// Connections libmicrohttpd serves at once, split between the threads; the caller enforces
    /// its own, exact limit in the connection callback.
    unsigned int connectionLimit;
    /// Connections with no traffic are closed after this long.
    unsigned int connectionTimeoutSeconds;
    /// Memory for one connection's request head; a larger head is refused with 431 or 414.
    size_t connectionMemoryLimit;
    /// Called when a connection opens and closes.
    MHD_NotifyConnectionCallback notifyConnection;
    /// Called when a request ends, answered or not.
    MHD_RequestCompletedCallback notifyCompleted;
    /// The context both callbacks and the access handler receive.
    void *context;
    /// For HTTPS: GnuTLS' priority string; NULL serves plain HTTP.
    const char *tlsPriorities;
    /// For HTTPS: the `gnutls_certificate_retrieve_function2` that hands out the server certificate.
    void *tlsCertificateCallback;
} CMicroHTTPD_DaemonSettings;

/// Starts a daemon with its own polling threads on an already bound and listening socket. Its
/// connections may be suspended (MHD_suspend_connection) while a request waits for a password check.
static inline struct MHD_Daemon *CMicroHTTPD_startDaemon(
    CMicroHTTPD_DaemonSettings settings, MHD_AccessHandlerCallback handler
) {
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_OptionItem options[12];
    int count = 0;
    options[count++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, settings.listenSocket, NULL};
    if (settings.threadPoolSize > 1) {  /* one thread is the daemon's own, without a pool */
        options[count++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, settings.threadPoolSize, NULL};
    }
    options[count++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, settings.connectionLimit, NULL};
    options[count++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, settings.connectionTimeoutSeconds, NULL};
    options[count++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)settings.connectionMemoryLimit, NULL};
    options[count++] = (struct MHD_OptionItem){
        MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)settings.notifyConnection, settings.context};
    options[count++] = (struct MHD_OptionItem){
        MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)settings.notifyCompleted, settings.context};
    if (settings.tlsPriorities != NULL) {
        flags |= MHD_USE_TLS;
        options[count++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)settings.tlsPriorities};
        options[count++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, settings.tlsCertificateCallback};
    }
    options[count++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(
        flags, 0, NULL, NULL, handler, settings.context, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/// Whether a connection callback reports a new connection (else a closed one, or another event).
static inline int CMicroHTTPD_isConnectionStarted(enum MHD_ConnectionNotificationCode code) {
    return code == MHD_CONNECTION_NOTIFY_STARTED;
}

/// Whether a connection callback reports a closed connection.
static inline int CMicroHTTPD_isConnectionClosed(enum MHD_ConnectionNotificationCode code) {
    return code == MHD_CONNECTION_NOTIFY_CLOSED;
}

/// The connection's socket, or -1.
static inline int CMicroHTTPD_connectionSocket(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

/// The client's address, or NULL.
static inline const struct sockaddr *CMicroHTTPD_clientAddress(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

/// What the connection callback stored for this connection, or NULL.
static inline void *CMicroHTTPD_socketContext(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info == NULL ? NULL : info->socket_context;
}

/// The connection's GnuTLS session (a `gnutls_session_t`), or NULL for plain HTTP.
static inline void *CMicroHTTPD_tlsSession(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return info == NULL ? NULL : info->tls_session;
}

#endif
