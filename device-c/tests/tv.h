/* Test-vector tables generated from the JSON files (gen_vectors.py) and helpers to read them. */
#ifndef TV_H
#define TV_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *key;
    const char *value;
} tv_pair;

typedef struct {
    const tv_pair *pairs;
    size_t count;
} tv_vector;

typedef struct {
    const char *name;
    const tv_pair *seeds;
    size_t seed_count;
    const tv_vector *vectors;
    size_t vector_count;
    uint32_t max_skew;
} tv_file;

extern const tv_file tv_files[];
extern const size_t tv_file_count;

#endif
