/*
 * users_store.h - the users table as the Auth and User services need it.
 *
 * All functions run one parameterised statement for a call and, on failure, have set
 * the call's status (see svc.h).  Users handed back are built in the call's arena.
 */
#ifndef SATHD_USERS_STORE_H
#define SATHD_USERS_STORE_H

#include <stdbool.h>

#include "sathd/call.h"
#include "sath/v1/user.pb-c.h"

/* What login needs of an account; strings in the call's arena. */
typedef struct sathd_login_row {
    bool found;
    bool is_active;
    const char *id;
    const char *password_hash;
} sathd_login_row;

/* Inserts an active account on the free plan.  ALREADY_EXISTS for a taken email. */
int sathd_users_insert(sathd_call *call, const char *email, const char *hash, const char *name,
                       Sath__V1__User **out);
/* Looks an account up by (normalised) email; row->found is false when there is none. */
int sathd_users_find_login(sathd_call *call, const char *email, sathd_login_row *row);
/* Active account by id; NOT_FOUND when missing or deactivated. */
int sathd_users_get(sathd_call *call, const char *id, Sath__V1__User **out);
/* Password hash of an active account (NOT_FOUND otherwise). */
int sathd_users_get_hash(sathd_call *call, const char *id, const char **hash);
/* Replaces the hash if it still is `old_hash` (a concurrent change wins). */
int sathd_users_rehash(sathd_call *call, const char *id, const char *old_hash, const char *new_hash);
/* Changes the fields that are non-NULL; returns the updated account. */
int sathd_users_update(sathd_call *call, const char *id, const char *name, const char *email,
                       const char *new_hash, Sath__V1__User **out);
/* Deactivates an active account (NOT_FOUND when already inactive or missing). */
int sathd_users_deactivate(sathd_call *call, const char *id);
/* Whether an account exists and is active (for Refresh). */
int sathd_users_is_active(sathd_call *call, const char *id, bool *active);

#endif
