/*
 * require.h - a cmocka non-NULL assertion the compiler knows does not return on
 * failure, so code after it passes -Wnull-dereference (cmocka's own asserts are not
 * declared noreturn).  Include after <cmocka.h>.
 */
#ifndef SATH_TESTS_GEN_REQUIRE_H
#define SATH_TESTS_GEN_REQUIRE_H

#include <stdlib.h>

#define require_non_null(p)                                                                \
    do {                                                                                   \
        if ((p) == NULL) {                                                                 \
            fail_msg("%s is NULL", #p);                                                    \
            abort(); /* not reached: fail_msg jumps back into cmocka */                    \
        }                                                                                  \
    } while (0)

#endif /* SATH_TESTS_GEN_REQUIRE_H */
