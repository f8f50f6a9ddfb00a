/*
 * registry_fixture.c - recording stand-ins for the runtime's registry and call error
 * functions (see registry_fixture.h).
 */
#include "registry_fixture.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int add(sathd_registry *reg, const sathd_method_desc *desc, sathd_unary_fn fn,
               sathd_stream_handler_fn sfn, const void *impl)
{
    reg->calls++;
    if (reg->fail_at != 0 && reg->calls == reg->fail_at)
        return -1;
    if (reg->n == FIXTURE_MAX_ENTRIES || fixture_find(reg, desc->path) != NULL)
        return -1;
    reg->entries[reg->n].desc = desc;
    reg->entries[reg->n].fn = fn;
    reg->entries[reg->n].stream_fn = sfn;
    reg->entries[reg->n].impl = impl;
    reg->n++;
    return 0;
}

int sathd_registry_add(sathd_registry *reg, const sathd_method_desc *desc,
                       sathd_unary_fn fn, const void *impl)
{
    return add(reg, desc, fn, NULL, impl);
}

int sathd_registry_add_stream(sathd_registry *reg, const sathd_method_desc *desc,
                              sathd_stream_handler_fn fn, const void *impl)
{
    return add(reg, desc, NULL, fn, impl);
}

int sathd_call_error(sathd_call *call, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->message, sizeof call->message, fmt, ap);
    va_end(ap);
    call->code = code;
    return code;
}

const fixture_entry *fixture_find(const sathd_registry *reg, const char *path)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->entries[i].desc->path, path) == 0)
            return &reg->entries[i];
    return NULL;
}
