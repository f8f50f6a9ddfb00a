/*
 * credentials.h - the saved sessions of sathctl: one JSON file,
 * ${XDG_CONFIG_HOME:-~/.config}/sath/credentials.json, with the tokens of each server:
 *   {"servers": {"127.0.0.1:50051": {"access_token": "...", "refresh_token": "..."}}}
 * The directory is created 0700 and the file written 0600, atomically (temp file in the
 * same directory, fsync, rename), so a crash never leaves a half-written file.
 */
#ifndef SATHCTL_CREDENTIALS_H
#define SATHCTL_CREDENTIALS_H

/* Stores the path of the credentials file in *out (malloc'd; caller frees).  Returns 0,
 * or -1 when neither XDG_CONFIG_HOME nor HOME is set. */
int sathctl_creds_path(char **out);

/* Loads the tokens saved for `server` into *access and *refresh (malloc'd, NULL when
 * absent; the caller wipes and frees them).  A missing file is no error.  Returns 0, or
 * -1 with a message on stderr when the file exists but cannot be read or parsed. */
int sathctl_creds_load(const char *path, const char *server, char **access, char **refresh);

/* Saves the tokens of `server` (access NULL: forget the server's session), keeping the
 * other servers' entries.  Returns 0, or -1 with a message on stderr. */
int sathctl_creds_store(const char *path, const char *server, const char *access, const char *refresh);

#endif /* SATHCTL_CREDENTIALS_H */
