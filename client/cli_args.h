/*
 * cli_args.h - command-line parsing shared by main.c and the commands (getopt_long).
 */
#ifndef SATHCTL_CLI_ARGS_H
#define SATHCTL_CLI_ARGS_H

#include <getopt.h>

#include "sathctl.h"

/* What sathctl_parse_global found besides an exit code. */
#define SATHCTL_GLOBAL_RUN (-1)        /* run the command at *cmd_index */
#define SATHCTL_GLOBAL_HELP (-2)       /* --help: print the usage to stdout, exit 0 */
#define SATHCTL_GLOBAL_BAD_USAGE (-3)  /* bad option or no command: usage to stderr, exit 2 */

/*
 * Parses the global options in argv (stopping at the first non-option, the command).
 * Returns SATHCTL_GLOBAL_RUN and sets *cmd_index to the index of the command in argv;
 * SATHCTL_GLOBAL_HELP or SATHCTL_GLOBAL_BAD_USAGE (the caller prints the usage, see
 * commands.c); or the exit code to end with (0 after --version, SATHCTL_EXIT_USAGE after
 * a bad option value, its message printed).
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
