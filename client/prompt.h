/*
 * prompt.h - reading passwords and confirmations without putting them on the command line.
 */
#ifndef SATHCTL_PROMPT_H
#define SATHCTL_PROMPT_H

/*
 * Reads a password into *out (malloc'd; the caller wipes it with sodium_memzero and
 * frees it).  Sources, first match wins: one line of stdin when from_stdin is set; the
 * environment variable `env_name` (may be NULL); a prompt on /dev/tty with echo off.
 * Returns 0, or -1 with a message on stderr (no terminal, end of input, empty password).
 */
int sathctl_read_password(const char *prompt, int from_stdin, const char *env_name, char **out);

/* Asks `question` on /dev/tty and returns 1 when the answer equals `expected`, 0 when it
 * does not, -1 when there is no terminal to ask on. */
int sathctl_confirm(const char *question, const char *expected);

#endif /* SATHCTL_PROMPT_H */
