/*
 * torture_arena.c - the per-call arena: alignment, growth past a chunk, large blocks,
 * reset keeping the first chunk, and unpacking a protobuf message into it.
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sath/v1/auth.pb-c.h"
#include "sathd/arena.h"

static int setup(void **state)
{
    *state = sathd_arena_new(1024);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    sathd_arena_free(*state);
    return 0;
}

static void test_alignment_and_zero(void **state)
{
    sathd_arena *a = *state;
    for (size_t i = 1; i < 100; i++) {
        unsigned char *p = sathd_arena_calloc(a, i);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        for (size_t j = 0; j < i; j++)
            assert_int_equal(p[j], 0);
        memset(p, 0xab, i);
    }
}

static void test_growth_and_large(void **state)
{
    sathd_arena *a = *state;
    char *ptrs[64];
    for (int i = 0; i < 64; i++) { /* 64 * 200 bytes span many 1 KiB chunks */
        ptrs[i] = sathd_arena_alloc(a, 200);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], i, 200);
    }
    char *big = sathd_arena_alloc(a, 100000);
    assert_non_null(big);
    memset(big, 0x5a, 100000);
    for (int i = 0; i < 64; i++) /* no allocation overlapped another */
        assert_int_equal((unsigned char)ptrs[i][199], i);
    assert_true(sathd_arena_used(a) >= 64 * 200 + 100000);
    sathd_arena_reset(a);
    assert_int_equal(sathd_arena_used(a), 0);
    char *again = sathd_arena_alloc(a, 16);
    assert_non_null(again);
}

static void test_reset_reuses_first_chunk(void **state)
{
    sathd_arena *a = *state;
    sathd_arena_reset(a);
    void *p1 = sathd_arena_alloc(a, 32);
    sathd_arena_alloc(a, 5000);
    sathd_arena_reset(a);
    void *p2 = sathd_arena_alloc(a, 32);
    assert_ptr_equal(p1, p2);
}

static void test_protobuf_unpack_into_arena(void **state)
{
    sathd_arena *a = *state;
    Sath__V1__LoginRequest rq = SATH__V1__LOGIN_REQUEST__INIT;
    rq.email = (char *)"alice@example.com";
    rq.password = (char *)"correct horse";
    uint8_t buf[128];
    size_t n = sath__v1__login_request__pack(&rq, buf);
    Sath__V1__LoginRequest *out =
        sath__v1__login_request__unpack(sathd_arena_allocator(a), n, buf);
    assert_non_null(out);
    assert_string_equal(out->email, "alice@example.com");
    assert_string_equal(out->password, "correct horse");
    /* free through the allocator is a no-op; the arena releases it */
    sath__v1__login_request__free_unpacked(out, sathd_arena_allocator(a));
    uint8_t junk[] = {0xff, 0xff, 0xff, 0xff};
    assert_null(sath__v1__login_request__unpack(sathd_arena_allocator(a), sizeof junk, junk));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alignment_and_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_growth_and_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_reuses_first_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protobuf_unpack_into_arena, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
