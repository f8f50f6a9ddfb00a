/*
 * fuzz_swarm_spec.c - libFuzzer target for what the swarm backend parses from the engine and
 * from configuration (server/bots/swarm_spec.c): a service and its task list
 * (sathd_swarm_observed: any JSON, any shapes, must never crash and must keep the observed
 * strings NUL-terminated), and a SATH_SWARM_PLACEMENT list (sathd_swarm_class_constraints).
 * Input: a JSON array [service, tasks], or anything (then used as the placement list).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swarm_spec.h"

#include <errno.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* backend.c's helper, here without the backend registry it sits next to (which would pull
 * every backend and their libraries into the fuzzer). */
int sathd_bot_name(const char *user_id, char *buf, size_t len)
{
    int n = snprintf(buf, len, "bot_user_%s", user_id ? user_id : "");
    return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (json_is_array(j)) {
        sathd_bot_observed o;
        int restarts = 0;
        if (sathd_swarm_observed(json_array_get(j, 0), json_array_get(j, 1), &o, &restarts) == 0) {
            if (strlen(o.handle) >= sizeof o.handle || strlen(o.error) >= sizeof o.error ||
                strlen(o.run_id) >= sizeof o.run_id || restarts < 0)
                abort();
        }
        (void)sathd_swarm_version(json_array_get(j, 0));
    }
    json_decref(j);
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    json_t *arr = json_array();
    int n = sathd_swarm_class_constraints(s, "live", arr);
    if (n > 0 && (size_t)n != json_array_size(arr))
        abort();
    json_decref(arr);
    free(s);
    return 0;
}
