// libmicrohttpd as virt-exporter sees it. MHD_start_daemon is variadic, which Swift cannot call,
// so the one combination of options the exporter uses gets a fixed-arity helper here.
#ifndef CMICROHTTPD_H
#define CMICROHTTPD_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// Starts a daemon with its own polling threads on an already bound and listening socket.
///
/// - Parameters:
///   - listenSocket: a bound, listening socket; the daemon closes it when stopped.
///   - threadPoolSize: polling threads (each accepts and serves connections).
///   - connectionLimit: connections served at once; more are refused.
///   - connectionTimeoutSeconds: idle connections are closed after this long.
static inline struct MHD_Daemon *CMicroHTTPD_startDaemon(
    int listenSocket,
    unsigned int threadPoolSize,
    unsigned int connectionLimit,
    unsigned int connectionTimeoutSeconds,
    MHD_AccessHandlerCallback handler,
    void *handlerContext
) {
    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO,
        0, NULL, NULL,
        handler, handlerContext,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listenSocket,
        MHD_OPTION_THREAD_POOL_SIZE, threadPoolSize,
        MHD_OPTION_CONNECTION_LIMIT, connectionLimit,
        MHD_OPTION_CONNECTION_TIMEOUT, connectionTimeoutSeconds,
        MHD_OPTION_END);
}

#endif
