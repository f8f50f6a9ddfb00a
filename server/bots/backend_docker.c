/*
 * backend_docker.c - placeholder for the Docker / podman backend, which branch `docker`
 * writes (replace this whole file there).  Until it lands, asking for "docker" fails
 * cleanly.
 */
#include <errno.h>
#include <stdio.h>

#include "sathd/bot_backend.h"

int sathd_bot_backend_docker_new(const sathd_bot_backend_config *cfg, sathd_bot_backend *out,
                                 char *err, size_t errlen)
{
    (void)cfg;
    (void)out;
    if (err && errlen)
        snprintf(err, errlen, "the docker bot backend is not built in yet");
    return -ENOSYS;
}
