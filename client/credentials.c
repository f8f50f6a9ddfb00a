/*
 * credentials.c - reading and atomically rewriting credentials.json (see credentials.h).
 */
#define _GNU_SOURCE /* asprintf */
#include "credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

int sathctl_creds_path(char **out)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char *p = NULL;
    int n;
    if (xdg && *xdg)
        n = asprintf(&p, "%s/sath/credentials.json", xdg);
    else if (home && *home)
        n = asprintf(&p, "%s/.config/sath/credentials.json", home);
    else
        return -1;
    if (n < 0)
        return -1;
    *out = p;
    return 0;
}

/* The parsed file, or a new {"servers": {}} when it does not exist; NULL on error. */
static json_t *load_root(const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        if (access(path, F_OK) != 0 && errno == ENOENT)
            return json_pack("{s:{}}", "servers");
        fprintf(stderr, "sathctl: cannot read %s: %s\n", path, err.text);
        return NULL;
    }
    if (!json_is_object(root) || !json_is_object(json_object_get(root, "servers"))) {
        fprintf(stderr, "sathctl: %s is not a sathctl credentials file\n", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

static char *dup_member(json_t *entry, const char *key)
{
    const char *s = json_string_value(json_object_get(entry, key));
    return s && *s ? strdup(s) : NULL;
}

int sathctl_creds_load(const char *path, const char *server, char **access_token, char **refresh_token)
{
    *access_token = NULL;
    *refresh_token = NULL;
    json_t *root = load_root(path);
    if (!root)
        return -1;
    json_t *entry = json_object_get(json_object_get(root, "servers"), server);
    if (json_is_object(entry)) {
        *access_token = dup_member(entry, "access_token");
        *refresh_token = dup_member(entry, "refresh_token");
    }
    json_decref(root);
    return 0;
}

/* mkdir -p for the parents of `path`; the last directory (sath/) gets 0700. */
static int make_dirs(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return -1;
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            free(dir);
            return -1;
        }
        *p = '/';
    }
    int rc = 0;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        rc = -1;
    if (rc == 0 && chmod(dir, 0700) != 0) /* tighten a directory someone made wider */
        rc = -1;
    free(dir);
    return rc;
}

/* Writes `text` to a temp file next to `path` (mode 0600) and renames it over `path`. */
static int write_atomically(const char *path, const char *text)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
        return -1;
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    size_t len = strlen(text), off = 0;
    int rc = fchmod(fd, 0600);
    while (rc == 0 && off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            off += (size_t)n;
    }
    if (rc == 0)
        rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0)
        rc = rename(tmp, path);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

int sathctl_creds_store(const char *path, const char *server, const char *access_token,
                        const char *refresh_token)
{
    if (make_dirs(path) != 0) {
        fprintf(stderr, "sathctl: cannot create the directory of %s: %s\n", path, strerror(errno));
        return -1;
    }
    json_t *root = load_root(path);
    if (!root)
        return -1;
    json_t *servers = json_object_get(root, "servers");
    if (access_token)
        json_object_set_new(servers, server,
                            json_pack("{s:s, s:s?}", "access_token", access_token, "refresh_token",
                                      refresh_token));
    else
        json_object_del(servers, server);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    int rc = text ? write_atomically(path, text) : -1;
    if (rc != 0)
        fprintf(stderr, "sathctl: cannot write %s: %s\n", path, strerror(errno));
    if (text) {
        sodium_memzero(text, strlen(text)); /* holds tokens */
        free(text);
    }
    return rc;
}
