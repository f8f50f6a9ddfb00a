/*
 * status.h - the one table of call statuses: gRPC code, the HTTP status the REST gateway
 * answers with, and a line of English saying what it means.
 *
 * Every other status table is derived from SATHD_STATUS_MAP, in the way libuv's
 * UV_ERRNO_MAP drives uv_strerror/uv_err_name: the enum below, sathd_status_name()
 * (server/rpc/call.c), the gateway's HTTP mapping (server/gateway/gateway_reply.c) and the
 * error responses of the OpenAPI document (proto/protoc-gen-sath/openapi_doc.c).  A
 * change here changes all of them; nothing else lists statuses by hand.
 *
 * Header only, no dependencies: the protoc plugin includes it too (CMake target
 * sathd_status).
 */
#ifndef SATHD_STATUS_H
#define SATHD_STATUS_H

/* XX(NAME, gRPC code, HTTP status, meaning).  gRPC codes are numerically equal to
 * grpc_status_code and google.rpc.Code.  499 is nginx's "client closed request": the
 * caller gave up, so nobody reads the answer, but logs and metrics show why. */
#define SATHD_STATUS_MAP(XX)                                                                 \
    XX(OK, 0, 200, "success")                                                                \
    XX(CANCELLED, 1, 499, "the client cancelled the call")                                   \
    XX(UNKNOWN, 2, 500, "the server failed")                                                 \
    XX(INVALID_ARGUMENT, 3, 400, "the request is malformed or names an unknown field")       \
    XX(DEADLINE_EXCEEDED, 4, 504, "the call's deadline passed before it completed")          \
    XX(NOT_FOUND, 5, 404, "the resource does not exist or belongs to someone else")          \
    XX(ALREADY_EXISTS, 6, 409, "the resource exists already")                                \
    XX(PERMISSION_DENIED, 7, 403, "the caller may not do this")                              \
    XX(RESOURCE_EXHAUSTED, 8, 429,                                                           \
       "rate or quota limit reached; retry after the `Retry-After` seconds")                 \
    XX(FAILED_PRECONDITION, 9, 400, "the request is not allowed in the current state")       \
    XX(ABORTED, 10, 409, "the resource changed concurrently")                                \
    XX(OUT_OF_RANGE, 11, 400, "a value is outside the range allowed")                        \
    XX(UNIMPLEMENTED, 12, 501, "this server does not implement the method")                  \
    XX(INTERNAL, 13, 500, "the server failed")                                               \
    XX(UNAVAILABLE, 14, 503, "a backing service is down; retry later")                       \
    XX(DATA_LOSS, 15, 500, "unrecoverable data loss")                                        \
    XX(UNAUTHENTICATED, 16, 401,                                                             \
       "the bearer token (or the credentials) is missing, invalid or expired")

#define SATHD_STATUS_ENUM_(name, grpc, http, text) SATHD_##name = grpc,
typedef enum sathd_status { SATHD_STATUS_MAP(SATHD_STATUS_ENUM_) } sathd_status;
#undef SATHD_STATUS_ENUM_

#endif /* SATHD_STATUS_H */
