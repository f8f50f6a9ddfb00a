/*
 * names.h - how proto names become C identifiers and file names.
 *
 * Two naming schemes meet here:
 *   - protobuf-c's, which we must reproduce exactly to refer to its generated types:
 *     package "sath.v1" + message "LoginRequest" -> type Sath__V1__LoginRequest and
 *     functions/descriptors sath__v1__login_request__*;
 *   - ours: snake_case method and service names (`GetMe` -> get_me), with C keywords
 *     suffixed by '_' (`Register` -> register_).
 * Every function returns a new string the caller frees with free(), or NULL when
 * memory is exhausted.
 */
#ifndef SATH_GEN_NAMES_H
#define SATH_GEN_NAMES_H

#include <stdbool.h>

/* CamelCase -> snake_case the way protobuf-c lowers names: an upper-case letter that
 * follows a non-upper-case one starts a new word ("GetMe" -> "get_me"). */
char *names_camel_to_snake(const char *camel);
/* snake_case -> UPPER_SNAKE. */
char *names_upper(const char *s);
/* Like names_camel_to_snake, plus a trailing '_' when the result is a C keyword. */
char *names_member(const char *camel);
/* "sath.v1" -> "sath_v1" (prefix of our generated symbols). */
char *names_package_prefix(const char *package);
/* "sath.v1" -> "sath/v1" */
char *names_package_dir(const char *package);
/* Every character that cannot appear in a C identifier becomes '_':
 * "sath/v1/auth" -> "sath_v1_auth". */
char *names_identifier(const char *s);
/* "sath/v1/auth.proto" -> "sath/v1/auth" */
char *names_proto_stem(const char *proto_file);
/* protobuf-c type name of message `rel` ("Outer.Inner") in `package`:
 * "Sath__V1__Outer__Inner" (every piece through protoc-c's ToCamel: "foo_bar" -> "FooBar"). */
char *names_pbc_type(const char *package, const char *rel);
/* protobuf-c lower-case prefix of the same message: "sath__v1__outer__inner". */
char *names_pbc_lower(const char *package, const char *rel);
/* true when `s` is a reserved word of C11 (or a common macro-like identifier). */
bool names_is_c_keyword(const char *s);

#endif /* SATH_GEN_NAMES_H */
