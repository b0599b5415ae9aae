// Compresses one file to gzip with zlib and with libdeflate at several levels, and prints each
// result's size, ratio and best time of 20 runs: the comparison in docs/performance.md.
//
//   cc -O2 -o /tmp/compare Benchmarks/Compression/compare.c -lz $(pkg-config --libs libdeflate)
//   virt-exporter collect-once --fixture FILE --collections 2 > /tmp/body.txt && /tmp/compare /tmp/body.txt
//
// Needs zlib1g-dev and libdeflate-dev; the exporter itself uses zlib only.
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

enum { ROUNDS = 20 };

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec / 1e9;
}

static void report(const char *name, int level, size_t input, size_t output, double seconds) {
    printf("%-10s level %2d: %8zu bytes (%.1f:1), %7.2f ms, %5.0f MB/s\n", name, level, output,
           (double)input / output, seconds * 1e3, input / seconds / 1e6);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        perror(argv[1]);
        return 2;
    }
    fseek(file, 0, SEEK_END);
    size_t count = (size_t)ftell(file);
    rewind(file);
    unsigned char *input = malloc(count);
    if (!input || fread(input, 1, count, file) != count) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 2;
    }
    fclose(file);
    size_t capacity = count + count / 10 + 1024;
    unsigned char *output = malloc(capacity);

    const int zlibLevels[] = {1, 3, 6, 9};
    for (size_t index = 0; index < sizeof zlibLevels / sizeof *zlibLevels; index++) {
        size_t size = 0;
        double best = 1e9;
        for (int round = 0; round < ROUNDS; round++) {
            z_stream stream = {0};
            deflateInit2(&stream, zlibLevels[index], Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
            double start = now();
            stream.next_in = input;
            stream.avail_in = (uInt)count;
            stream.next_out = output;
            stream.avail_out = (uInt)capacity;
            deflate(&stream, Z_FINISH);
            double seconds = now() - start;
            size = stream.total_out;
            deflateEnd(&stream);
            if (seconds < best) best = seconds;
        }
        report("zlib", zlibLevels[index], count, size, best);
    }

    const int libdeflateLevels[] = {1, 3, 6, 9, 12};
    for (size_t index = 0; index < sizeof libdeflateLevels / sizeof *libdeflateLevels; index++) {
        struct libdeflate_compressor *compressor = libdeflate_alloc_compressor(libdeflateLevels[index]);
        size_t size = 0;
        double best = 1e9;
        for (int round = 0; round < ROUNDS; round++) {
            double start = now();
            size = libdeflate_gzip_compress(compressor, input, count, output, capacity);
            double seconds = now() - start;
            if (seconds < best) best = seconds;
        }
        libdeflate_free_compressor(compressor);
        report("libdeflate", libdeflateLevels[index], count, size, best);
    }
    free(output);
    free(input);
    return 0;
}
