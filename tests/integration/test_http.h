/*
 * test_http.h - one HTTP request from a test (libcurl): sathd's REST gateway, InfluxDB,
 * the Python fakes' control endpoints.  Shared so no test carries its own body sink.
 */
#ifndef SATH_TEST_HTTP_H
#define SATH_TEST_HTTP_H

/* `method` on url, with "Authorization: Bearer <bearer>" when bearer is not NULL and
 * json_body (Content-Type application/json) when not NULL; 10 s at most.  Returns the
 * body (malloc'd, NUL-terminated, free() it) and the HTTP status in *status, or NULL
 * (*status 0) when no answer came. */
char *test_http(const char *method, const char *url, const char *bearer, const char *json_body,
                long *status);

#endif
