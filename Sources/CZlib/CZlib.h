// zlib as virt-exporter sees it. deflateInit2 is a macro, which Swift cannot call, so it gets helpers.
#ifndef CZLIB_H
#define CZLIB_H

#include <zlib.h>

/// deflateInit2 with a gzip wrapper (window bits 15 + 16) and the default memory level.
static inline int CZlib_deflateInitGzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// deflateInit2 without any wrapper (window bits -15): raw deflate blocks, for pieces that are
/// spliced into one gzip member.
static inline int CZlib_deflateInitRaw(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

#endif
