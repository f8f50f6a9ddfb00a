/*
 * prompt.c - password input from stdin, the environment or the terminal (echo off with
 * termios; the terminal state is always restored).
 */
#define _GNU_SOURCE /* getline */
#include "prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

/* Reads one line from `f` without its newline; NULL at end of input. */
static char *read_line(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    if (n < 0) {
        if (line) {
            sodium_memzero(line, cap);
            free(line);
        }
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

static char *read_tty(const char *prompt, int echo)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty)
        return NULL;
    struct termios old, quiet;
    int fd = fileno(tty);
    int restore = 0;
    if (!echo && tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        quiet.c_lflag |= ECHONL;
        restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    fputs(prompt, tty);
    fflush(tty);
    char *line = read_line(tty);
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    fclose(tty);
    return line;
}

int sathctl_read_password(const char *prompt, int from_stdin, const char *env_name, char **out)
{
    char *pw = NULL;
    const char *env = env_name ? getenv(env_name) : NULL;
    if (from_stdin) {
        pw = read_line(stdin);
        if (!pw) {
            fprintf(stderr, "sathctl: no password on standard input\n");
            return -1;
        }
    } else if (env && *env) {
        pw = strdup(env);
    } else {
        pw = read_tty(prompt, 0);
        if (!pw) {
            fprintf(stderr, "sathctl: no terminal to ask for the password on; use --password-stdin%s%s\n",
                    env_name ? " or " : "", env_name ? env_name : "");
            return -1;
        }
    }
    if (!pw || !*pw) {
        fprintf(stderr, "sathctl: empty password\n");
        free(pw);
        return -1;
    }
    *out = pw;
    return 0;
}

int sathctl_confirm(const char *question, const char *expected)
{
    char *answer = read_tty(question, 1);
    if (!answer)
        return -1;
    int ok = strcmp(answer, expected) == 0;
    free(answer);
    return ok;
}
