/*
 * fake_proc.h - starting tests/sdk/fake_server.py (python3-grpcio) from a C test: the
 * server prints "PORT <n>" once it listens and exits when its stdin closes.
 */
#ifndef SATH_TESTS_SDK_FAKE_PROC_H
#define SATH_TESTS_SDK_FAKE_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Runs argv (argv[0] a path) with a pipe on its stdin and reads its port from its stdout.
 * On success *pid is the child, *to_server the write end of its stdin (close it to stop
 * the server) and `target` "127.0.0.1:PORT".  0, or -1 with a message on stderr. */
int fake_proc_start(char *const argv[], pid_t *pid, int *to_server, char *target, size_t cap);

#endif
