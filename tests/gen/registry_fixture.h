/*
 * registry_fixture.h - a recording sathd_registry and a minimal sathd_call, so the
 * generated server code can be exercised without the server runtime.
 *
 * The test executables define the runtime symbols the generated code calls
 * (sathd_registry_add, sathd_call_error) in registry_fixture.c; the real ones live in
 * server/rpc and are not linked here.
 */
#ifndef SATH_TESTS_GEN_REGISTRY_FIXTURE_H
#define SATH_TESTS_GEN_REGISTRY_FIXTURE_H

#include <stddef.h>

#include "sathd/call.h"
#include "sathd/registry.h"

#define FIXTURE_MAX_ENTRIES 64

typedef struct fixture_entry {
    const sathd_method_desc *desc;
    sathd_unary_fn fn;
    sathd_stream_handler_fn stream_fn; /* server-streaming methods */
    const void *impl;
} fixture_entry;

struct sathd_registry {
    fixture_entry entries[FIXTURE_MAX_ENTRIES];
    size_t n;
    size_t fail_at; /* sathd_registry_add fails on call number fail_at (1-based); 0 = never */
    size_t calls;
};

struct sathd_call {
    int code;          /* last sathd_call_error code, -1 when none */
    char message[256]; /* its message */
};

/* Entry registered under gRPC path `path`, or NULL. */
const fixture_entry *fixture_find(const sathd_registry *reg, const char *path);

#endif /* SATH_TESTS_GEN_REGISTRY_FIXTURE_H */
