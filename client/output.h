/*
 * output.h - everything sathctl prints: human text, or JSON with --json (jansson).
 *
 * With --json, results go to stdout as one JSON object and errors as
 * {"error": {"code": <int>, "name": "...", "message": "..."}} on stdout, so scripts read
 * one stream; human messages and errors go to stdout and stderr respectively.
 */
#ifndef SATHCTL_OUTPUT_H
#define SATHCTL_OUTPUT_H

#include <jansson.h>

#include "sath/v1/user.pb-c.h"
#include "sathctl.h"

/* RFC 3339 UTC text of a Timestamp into buf ("" when absent); returns buf. */
const char *sathctl_timestamp_text(const Google__Protobuf__Timestamp *ts, char *buf, size_t cap);

/* Prints a user (profile) result. */
void sathctl_print_user(const sathctl *ctx, const Sath__V1__User *user);

/* Prints a one-line success message; with --json prints `obj` instead (NULL: {"ok":true}).
 * Takes ownership of `obj`. */
void sathctl_print_ok(const sathctl *ctx, const char *human, json_t *obj);

/* Reports the failure `rc` of `what` (the SDK's message comes from the client when there
 * is one) and returns the exit code for it: 3 for a server error, 4 for UNAVAILABLE and
 * transport/TLS errors, 1 otherwise. */
int sathctl_fail(const sathctl *ctx, const char *what, int rc);

/* The exit code for an SDK result (see sathctl_fail). */
int sathctl_exit_code(int rc);

#endif /* SATHCTL_OUTPUT_H */
