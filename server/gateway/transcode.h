/*
 * transcode.h - HTTP request parts -> request message, response message / status ->
 * HTTP body, by a method's google.api.http rule and the proto3 JSON mapping.
 * Everything is allocated in the request arena; nothing here keeps state.
 */
#ifndef SATHD_GW_TRANSCODE_H
#define SATHD_GW_TRANSCODE_H

#include <stddef.h>

#include <jansson.h>

#include "sathd/gateway.h"
#include "route.h"

/* One query parameter, raw (still percent-encoded) as it came in the URL. */
typedef struct sathd_gw_query {
    const char *key;
    const char *value; /* NULL for a bare "?key" */
} sathd_gw_query;

/* Inputs of sathd_gw_build_request(). */
typedef struct sathd_gw_http_in {
    const char *verb;
    const sathd_gw_match *match;
    const sathd_gw_query *query;
    size_t n_query;
    const char *body;
    size_t body_len;
    const char *content_type; /* NULL when absent */
} sathd_gw_http_in;

/* Builds the request message of in->match->method in `arena`.  Returns 0 with *out, or
 * the HTTP status to answer (400, 415) with a client-facing reason in *why (arena). */
int sathd_gw_build_request(sathd_arena *arena, const sathd_gw_http_in *in, ProtobufCMessage **out,
                           const char **why);

/* 1 when `d` is google.api.HttpBody (raw bytes in and out, see transcode.c). */
int sathd_gw_is_http_body(const ProtobufCMessageDescriptor *d);

/* The body of a successful response and its Content-Type: HttpBody's bytes and type for
 * methods returning HttpBody, else the JSON below.  NULL on out of memory. */
char *sathd_gw_response_body(sathd_arena *arena, const sathd_method_desc *m,
                             const ProtobufCMessage *resp, size_t *len, const char **ctype);

/* JSON of a successful response (honouring response_body), in the arena; *len set.
 * NULL on out of memory. */
char *sathd_gw_response_json(sathd_arena *arena, const sathd_method_desc *m,
                             const ProtobufCMessage *resp, size_t *len);

/* The error body {"code", "message", "details": [], "detail"}, in the arena. */
char *sathd_gw_error_json(sathd_arena *arena, int grpc_code, const char *message, size_t *len);

/* Serialises `j` into the arena (compact); NULL on OOM. */
char *sathd_gw_dump(sathd_arena *arena, const json_t *j, size_t *len);

#endif /* SATHD_GW_TRANSCODE_H */
