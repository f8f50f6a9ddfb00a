/*
 * cli_args.h - command-line parsing shared by main.c and the commands (getopt_long).
 */
#ifndef SATHCTL_CLI_ARGS_H
#define SATHCTL_CLI_ARGS_H

#include <getopt.h>

#include "sathctl.h"

/*
 * Parses the global options in argv (stopping at the first non-option, the command).
 * On success returns -1 and sets *cmd_index to the index of the command in argv (argc
 * when there is none); otherwise returns the exit code to end with (0 after --help or
 * --version, SATHCTL_EXIT_USAGE after a bad option).
 */
int sathctl_parse_global(sathctl *ctx, int argc, char **argv, int *cmd_index);

/*
 * Runs getopt_long over a command's argv (argv[0] is the command).  `on_opt` gets every
 * option except --help and returns 0, or an exit code to stop with.  --help prints the
 * command's usage to stdout and returns 0; an unknown option or a stray argument prints
 * the usage to stderr and returns SATHCTL_EXIT_USAGE.  Returns -1 when the command
 * should run.
 */
int sathctl_parse_command(const sathctl_command *cmd, int argc, char **argv, const char *shortopts,
                          const struct option *longopts, int (*on_opt)(void *st, int opt, const char *arg),
                          void *st);

/* Prints "sathctl <cmd>: <message>" and the usage hint to stderr; returns SATHCTL_EXIT_USAGE. */
int sathctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a decimal non-negative integer; 0 on success, -1 otherwise. */
int sathctl_parse_long(const char *s, long *out);

#endif /* SATHCTL_CLI_ARGS_H */
