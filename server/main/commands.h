/*
 * commands.h - sathd's subcommands.  Each returns the process exit code.
 */
#ifndef SATHD_MAIN_COMMANDS_H
#define SATHD_MAIN_COMMANDS_H

#include "sathd/config.h"

int sathd_cmd_serve(const sathd_config *cfg);
int sathd_cmd_migrate(const sathd_config *cfg);
int sathd_cmd_jwks(const sathd_config *cfg);
int sathd_cmd_rotate_keys(const sathd_config *cfg);

#endif
