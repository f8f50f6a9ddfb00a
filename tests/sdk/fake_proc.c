/*
 * fake_proc.c - see fake_proc.h.
 */
#include "fake_proc.h"

#include <spawn.h>
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int fake_proc_start(char *const argv[], pid_t *pid, int *to_server, char *target, size_t cap)
{
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    int rc = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0)
        return -1;
    *to_server = in[1];
    FILE *r = fdopen(out[0], "r");
    int port = 0;
    if (!r || fscanf(r, "PORT %d", &port) != 1 || port <= 0) {
        fprintf(stderr, "fake server did not start\n");
        if (r)
            fclose(r);
        return -1;
    }
    fclose(r);
    snprintf(target, cap, "127.0.0.1:%d", port);
    return 0;
}
