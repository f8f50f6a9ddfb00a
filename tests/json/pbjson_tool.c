/*
 * pbjson_tool.c - the C side of the python json_format oracle test (oracle_pbjson.py):
 * converts messages between protobuf bytes and JSON with our code.  Types: the request
 * and response types of every sath.v1 method (route table) and sathtest.json.All.
 * One request per stdin line, one answer per stdout line:
 *   "E <type> <hex bytes>"  -> the JSON of the message (default flags), or "ERR <reason>"
 *   "D <type> <json text>"  -> the hex bytes of the decoded message, or "ERR <reason>"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_test.pb-c.h"
#include "sath/v1/routes.sath.h"
#include "sathd/pbjson.h"

/* The descriptor of a full type name among the known ones, or NULL. */
static const ProtobufCMessageDescriptor *find_type(const char *name)
{
    if (strcmp(name, sathtest__json__all__descriptor.name) == 0)
        return &sathtest__json__all__descriptor;
    for (size_t i = 0; i < sath_v1_n_all_methods; i++) {
        if (strcmp(name, sath_v1_all_methods[i]->input->name) == 0)
            return sath_v1_all_methods[i]->input;
        if (strcmp(name, sath_v1_all_methods[i]->output->name) == 0)
            return sath_v1_all_methods[i]->output;
    }
    return NULL;
}

static void encode_line(const ProtobufCMessageDescriptor *desc, const char *hex)
{
    size_t n = strlen(hex) / 2;
    uint8_t *buf = malloc(n + 1);
    for (size_t i = 0; buf && i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        buf[i] = (uint8_t)v;
    }
    ProtobufCMessage *m = buf ? protobuf_c_message_unpack(desc, NULL, n, buf) : NULL;
    free(buf);
    if (!m) {
        printf("ERR unpack failed\n");
        return;
    }
    /* The direct writer (what the gateway answers with) is what the oracle judges; the
     * jansson tree must give the very same text. */
    size_t len = sathd_pbjson_dumpb(m, NULL, 0, NULL, 0);
    char *s = len ? malloc(len + 1) : NULL;
    if (s && sathd_pbjson_dumpb(m, NULL, 0, s, len) == len)
        s[len] = '\0';
    else
        free(s), s = NULL;
    json_t *j = sathd_pbjson_encode(m, 0);
    char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (s && t && strcmp(s, t) != 0)
        printf("ERR direct writer differs from the tree: %s vs %s\n", s, t);
    else
        printf("%s\n", s ? s : "ERR encode failed");
    free(s);
    free(t);
    json_decref(j);
    protobuf_c_message_free_unpacked(m, NULL);
}

static void decode_line(const ProtobufCMessageDescriptor *desc, const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!j) {
        printf("ERR bad JSON: %s\n", jerr.text);
        return;
    }
    ProtobufCMessage *m = NULL;
    sathd_pbjson_error err;
    if (sathd_pbjson_decode(desc, j, NULL, &m, &err) < 0) {
        printf("ERR %s (at %s)\n", err.message, err.field);
    } else {
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *buf = malloc(n + 1);
        if (buf) {
            protobuf_c_message_pack(m, buf);
            for (size_t i = 0; i < n; i++)
                printf("%02x", buf[i]);
        }
        printf("\n");
        free(buf);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    json_decref(j);
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        char *type = len >= 2 ? line + 2 : line;
        char *arg = strchr(type, ' ');
        if (arg)
            *arg++ = '\0';
        const ProtobufCMessageDescriptor *desc = arg ? find_type(type) : NULL;
        if (desc && line[0] == 'E')
            encode_line(desc, arg);
        else if (desc && line[0] == 'D')
            decode_line(desc, arg);
        else
            printf("ERR bad request\n");
        fflush(stdout);
    }
    free(line);
    return 0;
}
