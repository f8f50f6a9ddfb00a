/*
 * session_internal.h - helpers shared by session.c (refresh tokens) and denylist.c
 * (access-token deny-list and cut-off); not public.
 */
#ifndef SATHD_AUTH_SESSION_INTERNAL_H
#define SATHD_AUTH_SESSION_INTERNAL_H

#include "sathd/session.h"

#include <stddef.h>

/* Key prefixes; see the layout in session.h. */
#define SATHD_KEY_RT "sath:rt:"
#define SATHD_KEY_RF "sath:rf:"
#define SATHD_KEY_RU "sath:ru:"
#define SATHD_KEY_DENY "sath:deny:"
#define SATHD_KEY_UCUT "sath:ucut:"
/* Longest key we build: prefix + 64 hex digits + NUL, with room to spare. */
#define SATHD_KEY_MAX 96

/* Lower-case hex SHA-256 of data into out[65]. */
void sathd_session_sha256_hex(char out[65], const void *data, size_t len);

/* Runs one command given as argv (binary-safe).  Returns the reply (caller frees with
 * freeReplyObject), or NULL after logging when Redis failed or answered an error. */
redisReply *sathd_session_cmd(redisContext *c, int argc, const char **argv);

/* 1 when s is a family id as sathd_session_issue makes them (32 lower-case hex). */
int sathd_session_family_ok(const char *s);

/* Copies the UUID s, lower-cased, into out (so "ABC..." and "abc..." name the same
 * keys); returns 1, or 0 if s is not a UUID. */
int sathd_session_user_canon(char out[37], const char *s);

#endif /* SATHD_AUTH_SESSION_INTERNAL_H */
