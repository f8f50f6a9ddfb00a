/*
 * envfile.c - parses .env-style files (syntax in envfile.h).
 *
 * The whole file is read into memory, parsed line by line, and wiped afterwards: it
 * may hold secrets (JWT secret, database password).
 */
#include "envfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define ENVFILE_MAX_BYTES (1024 * 1024)

/* Reads the whole file; returns malloc'd NUL-terminated text (caller wipes and frees)
 * or NULL with errno set. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(ENVFILE_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    size_t n = fread(buf, 1, ENVFILE_MAX_BYTES + 1, f);
    int bad = ferror(f) || n > ENVFILE_MAX_BYTES;
    fclose(f);
    if (bad) {
        sodium_memzero(buf, ENVFILE_MAX_BYTES + 1);
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int set_kv(sathd_envfile *f, const char *key, size_t klen, char *val)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strlen(f->keys[i]) == klen && memcmp(f->keys[i], key, klen) == 0) {
            sodium_memzero(f->vals[i], strlen(f->vals[i]));
            free(f->vals[i]);
            f->vals[i] = val;
            return 0;
        }
    }
    char **k = realloc(f->keys, (f->n + 1) * sizeof *k);
    if (!k)
        return -1;
    f->keys = k;
    char **v = realloc(f->vals, (f->n + 1) * sizeof *v);
    if (!v)
        return -1;
    f->vals = v;
    f->keys[f->n] = strndup(key, klen);
    if (!f->keys[f->n])
        return -1;
    f->vals[f->n++] = val;
    return 0;
}

/* Parses the value starting at `p` (line already NUL-terminated).  Returns a malloc'd
 * copy or NULL with a reason. */
static char *parse_value(const char *p, const char **why)
{
    size_t cap = strlen(p) + 1, n = 0;
    char *out = malloc(cap);
    if (!out) {
        *why = "out of memory";
        return NULL;
    }
    if (*p == '\'' || *p == '"') {
        char q = *p++;
        for (; *p && *p != q; p++) {
            char c = *p;
            if (q == '"' && c == '\\' && p[1]) {
                c = *++p;
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            }
            out[n++] = c;
        }
        if (*p != q) {
            *why = "unterminated quoted value";
            goto fail;
        }
        for (p++; *p == ' ' || *p == '\t'; p++)
            ;
        if (*p && *p != '#') {
            *why = "text after the closing quote";
            goto fail;
        }
    } else {
        for (; *p; p++) {
            if (*p == '#' && (n == 0 || out[n - 1] == ' ' || out[n - 1] == '\t'))
                break; /* " # comment" after a bare value */
            out[n++] = *p;
        }
        while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
            n--;
    }
    out[n] = '\0';
    return out;
fail:
    sodium_memzero(out, cap);
    free(out);
    return NULL;
}

/* Parses one line (NUL-terminated, no newline).  0, or -1 with a reason. */
static int parse_line(sathd_envfile *f, char *line, const char **why)
{
    char *p = line;
    size_t len = strlen(p);
    if (len > 0 && p[len - 1] == '\r')
        p[--len] = '\0';
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
        for (p += 6; *p == ' ' || *p == '\t'; p++)
            ;
    const char *key = p;
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    size_t klen = (size_t)(p - key);
    if (klen == 0 || isdigit((unsigned char)key[0])) {
        *why = "expected KEY=VALUE";
        return -1;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '=') {
        *why = "expected '=' after the name";
        return -1;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    char *val = parse_value(p, why);
    if (!val)
        return -1;
    if (set_kv(f, key, klen, val) != 0) {
        sodium_memzero(val, strlen(val));
        free(val);
        *why = "out of memory";
        return -1;
    }
    return 0;
}

int sathd_envfile_read(const char *path, sathd_envfile *out, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read env file: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0, lineno = 0;
    char *save = NULL;
    /* strtok_r would merge empty lines, which only shifts line numbers; count by hand. */
    for (char *line = text; line && rc == 0; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        const char *why = NULL;
        if (parse_line(out, line, &why) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
            rc = -1;
        }
    }
    sodium_memzero(text, len);
    free(text);
    if (rc != 0)
        sathd_envfile_free(out);
    return rc;
}

const char *sathd_envfile_get(const sathd_envfile *f, const char *key)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (strcmp(f->keys[i], key) == 0)
            return f->vals[i];
    return NULL;
}

void sathd_envfile_free(sathd_envfile *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->keys[i]);
        sodium_memzero(f->vals[i], strlen(f->vals[i]));
        free(f->vals[i]);
    }
    free(f->keys);
    free(f->vals);
    memset(f, 0, sizeof *f);
}
