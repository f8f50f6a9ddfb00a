/*
 * client_fixture/sath/async.h - stand-in for the SDK's sath/async.h: the async types
 * live in the fixture's sath/client.h, next to the recorder they are written into.
 */
#ifndef SATH_TESTS_GEN_FIXTURE_ASYNC_H
#define SATH_TESTS_GEN_FIXTURE_ASYNC_H

#include "sath/client.h"

#endif /* SATH_TESTS_GEN_FIXTURE_ASYNC_H */
