/*
 * torture_pbjson.c - the proto3 JSON mapping (sathd/pbjson.h): every scalar kind and its
 * limits, NaN/Infinity, bytes variants, enums, repeated, maps, nested, oneof, every
 * well-known type both ways, errors naming the field path, lowerCamelCase input, the
 * depth limit, set_from_string / merge_field, and round trips on real sath.v1 messages.
 * Messages decoded with a NULL allocator are freed with protobuf_c_message_free_unpacked,
 * so ASan/LSan runs check the allocation contract too.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "google/protobuf/any.pb-c.h"
#include "json_test.pb-c.h"
#include "sath/v1/billing.pb-c.h"
#include "sath/v1/bot.pb-c.h"
#include "sath/v1/user.pb-c.h"
#include "sathd/pbjson.h"

/* State of one test: the messages and strings it made, released by teardown. */
typedef struct fixture {
    ProtobufCMessage *msgs[16];
    size_t n_msgs;
    char *strs[16];
    size_t n_strs;
    sathd_pbjson_error err;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    *state = f;
    return f ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->n_msgs; i++)
        protobuf_c_message_free_unpacked(f->msgs[i], NULL);
    for (size_t i = 0; i < f->n_strs; i++)
        free(f->strs[i]);
    free(f);
    return 0;
}

/* Decodes text into desc; NULL (with f->err filled) when it is rejected. */
static void *dec(fixture *f, const ProtobufCMessageDescriptor *desc, const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!j)
        fail_msg("test JSON does not parse: %s: %s", text, jerr.text);
    ProtobufCMessage *m = NULL;
    memset(&f->err, 0, sizeof(f->err));
    int rc = sathd_pbjson_decode(desc, j, NULL, &m, &f->err);
    json_decref(j);
    if (rc < 0) {
        assert_null(m);
        assert_true(f->err.message[0] != '\0');
        return NULL;
    }
    assert_non_null(m);
    assert_true(f->n_msgs < 16);
    f->msgs[f->n_msgs++] = m;
    return m;
}

/* Compact JSON text of msg, keys sorted; freed by teardown.  On the way, the direct
 * writer (sathd_pbjson_dumpb, the gateway's response path) must give exactly the text of
 * the tree, in the tree's key order. */
static const char *enc(fixture *f, const void *msg, unsigned flags)
{
    json_t *j = sathd_pbjson_encode(msg, flags);
    assert_non_null(j);
    char *tree = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len = sathd_pbjson_dumpb(msg, NULL, flags, NULL, 0);
    char *direct = calloc(1, len + 1);
    assert_non_null(tree);
    assert_non_null(direct);
    assert_int_equal(sathd_pbjson_dumpb(msg, NULL, flags, direct, len), len);
    assert_string_equal(direct, tree);
    if (len > 3) /* too small a buffer: the full length, nothing past cap touched */
        assert_int_equal(sathd_pbjson_dumpb(msg, NULL, flags, direct, len / 2), len);
    free(direct);
    free(tree);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(j);
    assert_non_null(s);
    assert_true(f->n_strs < 16);
    f->strs[f->n_strs++] = s;
    return s;
}

/* Asserts that text is rejected with err->field == field and a message containing what. */
static void rejects(fixture *f, const ProtobufCMessageDescriptor *desc, const char *text,
                    const char *field, const char *what)
{
    if (dec(f, desc, text))
        fail_msg("accepted: %s", text);
    if (strcmp(f->err.field, field) != 0 || !strstr(f->err.message, what))
        fail_msg("%s: got field \"%s\" message \"%s\", want \"%s\" / \"%s\"", text, f->err.field,
                 f->err.message, field, what);
}

/* JSON text of a decode-then-encode of text. */
static const char *rt(fixture *f, const ProtobufCMessageDescriptor *desc, const char *text,
                         unsigned flags)
{
    void *m = dec(f, desc, text);
    if (!m)
        fail_msg("rejected %s: %s", text, f->err.message);
    return enc(f, m, flags);
}

#define SC (&sathtest__json__scalars__descriptor)

static void test_scalar_defaults(void **state)
{
    fixture *f = *state;
    assert_string_equal(rt(f, SC, "{}", 0),
                        "{\"f_bool\":false,\"f_bytes\":\"\",\"f_double\":0.0,\"f_enum\":\"COLOR_UNSPECIFIED\","
                        "\"f_fixed32\":0,\"f_fixed64\":\"0\",\"f_float\":0.0,\"f_int32\":0,\"f_int64\":\"0\","
                        "\"f_sfixed32\":0,\"f_sfixed64\":\"0\",\"f_sint32\":0,\"f_sint64\":\"0\","
                        "\"f_string\":\"\",\"f_uint32\":0,\"f_uint64\":\"0\"}");
    assert_string_equal(rt(f, SC, "{}", SATHD_PBJSON_OMIT_DEFAULTS), "{}");
    /* null for a scalar is its default */
    Sathtest__Json__Scalars *s = dec(f, SC, "{\"f_int32\":null,\"f_string\":null,\"f_enum\":null}");
    assert_non_null(s);
    assert_int_equal(s->f_int32, 0);
    assert_string_equal(s->f_string, "");
}

static void test_scalar_limits(void **state)
{
    fixture *f = *state;
    Sathtest__Json__Scalars *s = dec(f, SC,
        "{\"f_int32\":-2147483648,\"f_uint32\":4294967295,\"f_int64\":\"-9223372036854775808\","
        "\"f_uint64\":\"18446744073709551615\",\"f_sint32\":2147483647,\"f_sint64\":9223372036854775807,"
        "\"f_fixed32\":\"4294967295\",\"f_fixed64\":\"1e3\",\"f_sfixed32\":-1.0,\"f_sfixed64\":\"-42\"}");
    assert_non_null(s);
    assert_int_equal(s->f_int32, INT32_MIN);
    assert_int_equal(s->f_uint32, UINT32_MAX);
    assert_true(s->f_int64 == INT64_MIN);
    assert_true(s->f_uint64 == UINT64_MAX);
    assert_true(s->f_sint64 == INT64_MAX);
    assert_int_equal(s->f_fixed32, UINT32_MAX);
    assert_true(s->f_fixed64 == 1000);
    assert_int_equal(s->f_sfixed32, -1);
    assert_true(s->f_sfixed64 == -42);
    const char *out = enc(f, s, SATHD_PBJSON_OMIT_DEFAULTS);
    assert_non_null(strstr(out, "\"f_int64\":\"-9223372036854775808\""));
    assert_non_null(strstr(out, "\"f_uint64\":\"18446744073709551615\""));
    assert_non_null(strstr(out, "\"f_uint32\":4294967295"));

    rejects(f, SC, "{\"f_int32\":2147483648}", "f_int32", "out of range");
    rejects(f, SC, "{\"f_int32\":-2147483649}", "f_int32", "out of range");
    rejects(f, SC, "{\"f_uint32\":-1}", "f_uint32", "out of range");
    rejects(f, SC, "{\"f_uint32\":4294967296}", "f_uint32", "out of range");
    rejects(f, SC, "{\"f_uint64\":\"18446744073709551616\"}", "f_uint64", "out of range");
    rejects(f, SC, "{\"f_uint64\":\"-1\"}", "f_uint64", "out of range");
    rejects(f, SC, "{\"f_int64\":\"9223372036854775808\"}", "f_int64", "out of range");
    rejects(f, SC, "{\"f_int32\":1.5}", "f_int32", "non-integral");
    rejects(f, SC, "{\"f_int64\":\"1.5\"}", "f_int64", "non-integral");
    rejects(f, SC, "{\"f_int64\":\" 1\"}", "f_int64", "expected an integer");
    rejects(f, SC, "{\"f_int64\":\"0x10\"}", "f_int64", "expected an integer");
    rejects(f, SC, "{\"f_int32\":true}", "f_int32", "expected an integer, got a boolean");
    rejects(f, SC, "{\"f_float\":1e39}", "f_float", "out of range");
    rejects(f, SC, "{\"f_double\":\"abc\"}", "f_double", "expected a number");
    rejects(f, SC, "{\"f_bool\":\"true\"}", "f_bool", "expected true or false, got a string");
    rejects(f, SC, "{\"f_string\":5}", "f_string", "expected a string, got a number");
}

static void test_float_special(void **state)
{
    fixture *f = *state;
    Sathtest__Json__Scalars *s =
        dec(f, SC, "{\"f_float\":\"NaN\",\"f_double\":\"-Infinity\"}");
    assert_non_null(s);
    assert_true(isnan(s->f_float));
    assert_true(isinf(s->f_double) && s->f_double < 0);
    const char *out = enc(f, s, SATHD_PBJSON_OMIT_DEFAULTS);
    assert_string_equal(out, "{\"f_double\":\"-Infinity\",\"f_float\":\"NaN\"}");
    s = dec(f, SC, "{\"f_float\":0.1,\"f_double\":\"Infinity\"}");
    assert_non_null(s);
    json_t *j = sathd_pbjson_encode(&s->base, 0);
    /* float fields print as the shortest decimal of the float, like python */
    assert_true(json_real_value(json_object_get(j, "f_float")) == 0.1);
    assert_string_equal(json_string_value(json_object_get(j, "f_double")), "Infinity");
    json_decref(j);
}

static void test_bytes(void **state)
{
    fixture *f = *state;
    static const char *ok[] = {"\"+/8=\"", "\"+/8\"", "\"-_8=\"", "\"-_8\""};
    for (size_t i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof(text), "{\"f_bytes\":%s}", ok[i]);
        Sathtest__Json__Scalars *s = dec(f, SC, text);
        if (!s)
            fail_msg("%s: %s", text, f->err.message);
        assert_int_equal(s->f_bytes.len, 2);
        assert_int_equal(s->f_bytes.data[0], 0xfb);
        assert_int_equal(s->f_bytes.data[1], 0xff);
        assert_non_null(strstr(enc(f, s, 0), "\"f_bytes\":\"+/8=\""));
        protobuf_c_message_free_unpacked(f->msgs[--f->n_msgs], NULL);
    }
    rejects(f, SC, "{\"f_bytes\":\"+_8=\"}", "f_bytes", "mixed");
    rejects(f, SC, "{\"f_bytes\":\"a\\u00e9bc\"}", "f_bytes", "invalid base64");
    rejects(f, SC, "{\"f_bytes\":\"ab=c\"}", "f_bytes", "invalid base64");
    rejects(f, SC, "{\"f_bytes\":\"abcde\"}", "f_bytes", "invalid base64");
    rejects(f, SC, "{\"f_bytes\":12}", "f_bytes", "expected a base64 string");
}

static void test_enums(void **state)
{
    fixture *f = *state;
    Sathtest__Json__Scalars *s = dec(f, SC, "{\"f_enum\":\"COLOR_GREEN\"}");
    assert_non_null(s);
    assert_int_equal(s->f_enum, SATHTEST__JSON__COLOR__COLOR_GREEN);
    assert_string_equal(enc(f, s, SATHD_PBJSON_OMIT_DEFAULTS), "{\"f_enum\":\"COLOR_GREEN\"}");
    assert_string_equal(enc(f, s, SATHD_PBJSON_OMIT_DEFAULTS | SATHD_PBJSON_ENUMS_AS_INTS),
                        "{\"f_enum\":2}");
    s = dec(f, SC, "{\"f_enum\":1}");
    assert_non_null(s);
    assert_int_equal(s->f_enum, 1);
    s = dec(f, SC, "{\"f_enum\":7}"); /* open enum: unknown numbers kept, printed as numbers */
    assert_non_null(s);
    assert_string_equal(enc(f, s, SATHD_PBJSON_OMIT_DEFAULTS), "{\"f_enum\":7}");
    rejects(f, SC, "{\"f_enum\":\"COLOR_BLUE\"}", "f_enum", "unknown value \"COLOR_BLUE\"");
    rejects(f, SC, "{\"f_enum\":[]}", "f_enum", "expected an enum name or number");
}

static void test_camel_case(void **state)
{
    fixture *f = *state;
    Sathtest__Json__Scalars *s = dec(f, SC, "{\"fInt32\":5,\"fString\":\"x\",\"f_bool\":true}");
    assert_non_null(s);
    assert_int_equal(s->f_int32, 5);
    assert_string_equal(s->f_string, "x");
    assert_string_equal(enc(f, s, SATHD_PBJSON_OMIT_DEFAULTS | SATHD_PBJSON_CAMEL_CASE),
                        "{\"fBool\":true,\"fInt32\":5,\"fString\":\"x\"}");
    rejects(f, SC, "{\"fInt32\":5,\"f_int32\":6}", "f_int32", "given twice");
    assert_ptr_equal(sathd_pbjson_find_field(SC, "fUint64"), sathd_pbjson_find_field(SC, "f_uint64"));
    assert_null(sathd_pbjson_find_field(SC, "fuint64"));
}

static void test_repeated_and_nested(void **state)
{
    fixture *f = *state;
    const ProtobufCMessageDescriptor *d = &sathtest__json__repeats__descriptor;
    assert_string_equal(rt(f, d, "{\"r_int64\":[1,\"-2\"],\"r_string\":[\"a\",\"b\"],"
                                    "\"r_enum\":[\"COLOR_RED\",2],\"r_inner\":[{\"id\":1,\"child\":{\"id\":2}}],"
                                    "\"r_bytes\":[\"AA==\"],\"r_bool\":null}",
                              SATHD_PBJSON_OMIT_DEFAULTS),
                        "{\"r_bytes\":[\"AA==\"],\"r_enum\":[\"COLOR_RED\",\"COLOR_GREEN\"],"
                        "\"r_inner\":[{\"child\":{\"id\":2},\"id\":1}],"
                        "\"r_int64\":[\"1\",\"-2\"],\"r_string\":[\"a\",\"b\"]}");
    /* defaults: empty lists are [] */
    assert_non_null(strstr(rt(f, d, "{}", 0), "\"r_inner\":[]"));
    rejects(f, d, "{\"r_int32\":[1,2,\"x\"]}", "r_int32[2]", "expected an integer");
    rejects(f, d, "{\"r_int32\":5}", "r_int32", "expected an array, got a number");
    rejects(f, d, "{\"r_inner\":[{},{\"child\":{\"symbols\":[\"a\",3]}}]}",
            "r_inner[1].child.symbols[1]", "expected a string");
    rejects(f, d, "{\"r_inner\":[{\"nope\":1}]}", "r_inner[0].nope", "unknown field \"nope\"");
    rejects(f, d, "{\"r_string\":[null]}", "r_string[0]", "may not be null");
    rejects(f, d, "[]", "", "expected an object");
}

static void test_maps(void **state)
{
    fixture *f = *state;
    const ProtobufCMessageDescriptor *d = &sathtest__json__maps__descriptor;
    Sathtest__Json__Maps *m = dec(f, d,
        "{\"str_int\":{\"a\":1,\"b\":-2},\"int_str\":{\"-5\":\"x\"},\"long_inner\":{\"9000000000\":{\"id\":3}},"
        "\"bool_color\":{\"true\":\"COLOR_RED\",\"false\":0},\"uint_bytes\":{\"7\":\"AQ\"},"
        "\"strDouble\":{\"pi\":3.5}}");
    if (!m)
        fail_msg("%s", f->err.message);
    assert_int_equal(m->n_str_int, 2);
    assert_int_equal(m->n_long_inner, 1);
    assert_true(m->long_inner[0]->key == 9000000000LL);
    assert_int_equal(m->long_inner[0]->value->id, 3);
    assert_int_equal(m->int_str[0]->key, -5);
    assert_string_equal(enc(f, m, 0),
                        "{\"bool_color\":{\"false\":\"COLOR_UNSPECIFIED\",\"true\":\"COLOR_RED\"},"
                        "\"int_str\":{\"-5\":\"x\"},\"long_inner\":{\"9000000000\":{\"id\":3,\"label\":\"\","
                        "\"symbols\":[]}},\"str_double\":{\"pi\":3.5},\"str_int\":{\"a\":1,\"b\":-2},"
                        "\"uint_bytes\":{\"7\":\"AQ==\"}}");
    assert_non_null(strstr(rt(f, d, "{}", 0), "\"str_int\":{}"));
    rejects(f, d, "{\"int_str\":{\"x\":\"y\"}}", "int_str[\"x\"]", "expected an integer");
    rejects(f, d, "{\"bool_color\":{\"yes\":1}}", "bool_color[\"yes\"]", "boolean map key");
    rejects(f, d, "{\"str_int\":{\"a\":null}}", "str_int[\"a\"]", "may not be null");
    rejects(f, d, "{\"str_int\":[]}", "str_int", "expected an object (map)");
}

static void test_oneof(void **state)
{
    fixture *f = *state;
    const ProtobufCMessageDescriptor *d = &sathtest__json__choice__descriptor;
    Sathtest__Json__Choice *c = dec(f, d, "{\"text\":\"hi\"}");
    assert_non_null(c);
    assert_int_equal(c->pick_case, SATHTEST__JSON__CHOICE__PICK_TEXT);
    assert_string_equal(c->text, "hi");
    assert_string_equal(enc(f, c, 0), "{\"name\":\"\",\"text\":\"hi\"}");
    c = dec(f, d, "{\"number\":0}"); /* a set member is printed even at its default */
    assert_non_null(c);
    assert_string_equal(enc(f, c, 0), "{\"name\":\"\",\"number\":0}");
    assert_string_equal(rt(f, d, "{\"when\":\"2020-01-02T03:04:05Z\"}", SATHD_PBJSON_OMIT_DEFAULTS),
                        "{\"when\":\"2020-01-02T03:04:05Z\"}");
    assert_string_equal(rt(f, d, "{\"inner\":{}}", SATHD_PBJSON_OMIT_DEFAULTS), "{\"inner\":{}}");
    assert_string_equal(rt(f, d, "{}", 0), "{\"name\":\"\"}");
    rejects(f, d, "{\"number\":1,\"text\":\"x\"}", "text", "oneof");
    rejects(f, d, "{\"inner\":{\"id\":1},\"when\":null}", "when", "oneof");
}

#define WK (&sathtest__json__well_known__descriptor)

static void test_timestamp_duration(void **state)
{
    fixture *f = *state;
    static const char *const same[] = {
        "1972-01-01T10:00:20.021Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z", "2024-02-29T12:00:00.000001Z", "1969-12-31T23:59:59.500Z",
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        char in[128], want[128];
        snprintf(in, sizeof(in), "{\"ts\":\"%s\"}", same[i]);
        snprintf(want, sizeof(want), "{\"ts\":\"%s\"}", same[i]);
        assert_string_equal(rt(f, WK, in, SATHD_PBJSON_OMIT_DEFAULTS), want);
        protobuf_c_message_free_unpacked(f->msgs[--f->n_msgs], NULL);
    }
    Sathtest__Json__WellKnown *w = dec(f, WK, "{\"ts\":\"1972-01-01T10:00:20.021+01:30\"}");
    assert_non_null(w);
    assert_true(w->ts->seconds == 63108020 - 5400);
    assert_int_equal(w->ts->nanos, 21000000);
    assert_string_equal(enc(f, w, SATHD_PBJSON_OMIT_DEFAULTS), "{\"ts\":\"1972-01-01T08:30:20.021Z\"}");
    rejects(f, WK, "{\"ts\":\"2021-02-29T00:00:00Z\"}", "ts", "RFC 3339");
    rejects(f, WK, "{\"ts\":\"2021-01-01 00:00:00Z\"}", "ts", "RFC 3339");
    rejects(f, WK, "{\"ts\":\"2021-01-01T00:00:00\"}", "ts", "RFC 3339");
    rejects(f, WK, "{\"ts\":\"0000-12-31T23:59:59Z\"}", "ts", "RFC 3339");
    rejects(f, WK, "{\"ts\":\"0001-01-01T00:00:00+00:01\"}", "ts", "RFC 3339");
    rejects(f, WK, "{\"ts\":\"2021-01-01T00:00:00.1234567890Z\"}", "ts", "RFC 3339");
    rejects(f, WK, "{\"ts\":12}", "ts", "timestamp");

    static const char *const durs[] = {"1.000340012s", "-3s", "0s", "-0.500s", "315576000000s", "0.000001s"};
    for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        char in[128];
        snprintf(in, sizeof(in), "{\"dur\":\"%s\"}", durs[i]);
        assert_string_equal(rt(f, WK, in, SATHD_PBJSON_OMIT_DEFAULTS), in);
        protobuf_c_message_free_unpacked(f->msgs[--f->n_msgs], NULL);
    }
    w = dec(f, WK, "{\"dur\":\"-1.5s\"}");
    assert_non_null(w);
    assert_true(w->dur->seconds == -1);
    assert_int_equal(w->dur->nanos, -500000000);
    rejects(f, WK, "{\"dur\":\"1.5\"}", "dur", "duration");
    rejects(f, WK, "{\"dur\":\"315576000001s\"}", "dur", "duration");
    rejects(f, WK, "{\"dur\":\"--1s\"}", "dur", "duration");
}

static void test_wrappers(void **state)
{
    fixture *f = *state;
    const char *in = "{\"w_double\":1.5,\"w_float\":\"NaN\",\"w_int64\":\"-7\",\"w_uint64\":8,\"w_int32\":0,"
                     "\"w_uint32\":9,\"w_bool\":false,\"w_string\":\"s\",\"w_bytes\":\"AQI=\"}";
    assert_string_equal(rt(f, WK, in, SATHD_PBJSON_OMIT_DEFAULTS),
                        "{\"w_bool\":false,\"w_bytes\":\"AQI=\",\"w_double\":1.5,\"w_float\":\"NaN\","
                        "\"w_int32\":0,\"w_int64\":\"-7\",\"w_string\":\"s\",\"w_uint32\":9,\"w_uint64\":\"8\"}");
    Sathtest__Json__WellKnown *w = dec(f, WK, "{\"w_string\":null,\"w_int32\":5}");
    assert_non_null(w);
    assert_null(w->w_string);
    assert_int_equal(w->w_int32->value, 5);
    rejects(f, WK, "{\"w_int32\":\"x\"}", "w_int32", "expected an integer");
    rejects(f, WK, "{\"w_bool\":{}}", "w_bool", "expected true or false");
}

static void test_struct_value(void **state)
{
    fixture *f = *state;
    const char *in = "{\"st\":{\"a\":[1,\"x\",true,null,{\"b\":{}}],\"c\":2.5},\"val\":null,"
                     "\"list\":[[],{},\"z\"],\"null_enum\":null}";
    assert_string_equal(rt(f, WK, in, SATHD_PBJSON_OMIT_DEFAULTS),
                        "{\"list\":[[],{},\"z\"],"
                        "\"st\":{\"a\":[1.0,\"x\",true,null,{\"b\":{}}],\"c\":2.5},\"val\":null}");
    Sathtest__Json__WellKnown *w = dec(f, WK, "{\"val\":null}");
    assert_non_null(w);
    assert_non_null(strstr(enc(f, w, 0), "\"null_enum\":null")); /* NullValue prints as null */
    assert_non_null(w->val); /* null is a Value, not an absent field */
    assert_int_equal(w->val->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
    w = dec(f, WK, "{\"val\":{\"k\":\"v\"}}");
    assert_non_null(w);
    assert_int_equal(w->val->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);
    rejects(f, WK, "{\"st\":[]}", "st", "expected an object");
    rejects(f, WK, "{\"list\":{}}", "list", "expected an array");
}

static void test_field_mask_empty_any(void **state)
{
    fixture *f = *state;
    Sathtest__Json__WellKnown *w = dec(f, WK, "{\"mask\":\"a.fooBar,baz_qux,c\",\"empty\":{}}");
    assert_non_null(w);
    assert_int_equal(w->mask->n_paths, 3);
    assert_string_equal(w->mask->paths[0], "a.foo_bar");
    assert_string_equal(w->mask->paths[1], "baz_qux");
    assert_string_equal(enc(f, w, SATHD_PBJSON_OMIT_DEFAULTS),
                        "{\"empty\":{},\"mask\":\"a.fooBar,bazQux,c\"}");
    assert_string_equal(rt(f, WK, "{\"mask\":\"\"}", SATHD_PBJSON_OMIT_DEFAULTS), "{\"mask\":\"\"}");
    rejects(f, WK, "{\"empty\":{\"x\":1}}", "empty.x", "unknown field");
    rejects(f, WK, "{\"mask\":[\"a\"]}", "mask", "field mask");
    rejects(f, &google__protobuf__any__descriptor, "{\"@type\":\"x\"}", "", "Any is not supported");
}

static void test_depth_limit(void **state)
{
    fixture *f = *state;
    char deep[2048] = "";
    for (int i = 0; i < 70; i++)
        strcat(deep, "{\"child\":");
    strcat(deep, "{}");
    for (int i = 0; i < 70; i++)
        strcat(deep, "}");
    assert_null(dec(f, &sathtest__json__inner__descriptor, deep));
    assert_non_null(strstr(f->err.message, "nesting deeper"));
    char lists[512] = "{\"list\":";
    for (int i = 0; i < 100; i++)
        strcat(lists, "[");
    for (int i = 0; i < 100; i++)
        strcat(lists, "]");
    strcat(lists, "}");
    assert_null(dec(f, WK, lists));
    assert_non_null(strstr(f->err.message, "nesting deeper"));
    /* 60 levels are fine */
    deep[0] = '\0';
    for (int i = 0; i < 60; i++)
        strcat(deep, "{\"child\":");
    strcat(deep, "{}");
    for (int i = 0; i < 60; i++)
        strcat(deep, "}");
    assert_non_null(dec(f, &sathtest__json__inner__descriptor, deep));
}

static void test_set_from_string(void **state)
{
    fixture *f = *state;
    sathd_pbjson_error err;
    Sathtest__Json__All *a = dec(f, &sathtest__json__all__descriptor, "{}");
    assert_non_null(a);
    ProtobufCMessage *m = &a->base;
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_int64", "-12", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.fBool", "true", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_enum", "COLOR_RED", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_string", "a b", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_string", "again", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_bytes", "AQ", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_double", "2.5", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "repeats.r_string", "x", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "repeats.r_string", "y", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "repeats.r_enum", "2", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "wkt.ts", "2020-01-01T00:00:00Z", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "wkt.dur", "1.5s", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "wkt.w_bool", "false", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "wkt.w_uint64", "18446744073709551615", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "wkt.rTs", "2020-01-01T00:00:01Z", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "choice.text", "t", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "choice.number", "4", NULL, &err), 0);
    assert_int_equal(sathd_pbjson_set_from_string(m, "inner.child.child.id", "9", NULL, &err), 0);
    assert_int_equal(a->scalars->f_int64, -12);
    assert_true(a->scalars->f_bool);
    assert_string_equal(a->scalars->f_string, "again");
    assert_int_equal(a->repeats->n_r_string, 2);
    assert_string_equal(a->repeats->r_string[1], "y");
    assert_int_equal(a->choice->pick_case, SATHTEST__JSON__CHOICE__PICK_NUMBER);
    assert_int_equal(a->inner->child->child->id, 9);
    assert_string_equal(enc(f, a->wkt, SATHD_PBJSON_OMIT_DEFAULTS),
                        "{\"dur\":\"1.500s\",\"r_ts\":[\"2020-01-01T00:00:01Z\"],\"ts\":\"2020-01-01T00:00:00Z\","
                        "\"w_bool\":false,\"w_uint64\":\"18446744073709551615\"}");

    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.nope", "1", NULL, &err), -1);
    assert_string_equal(err.field, "scalars.nope");
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_int32", "x", NULL, &err), -1);
    assert_string_equal(err.field, "scalars.f_int32");
    assert_non_null(strstr(err.message, "expected an integer"));
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_bool", "yes", NULL, &err), -1);
    assert_int_equal(sathd_pbjson_set_from_string(m, "inner", "1", NULL, &err), -1);
    assert_non_null(strstr(err.message, "not a scalar"));
    assert_int_equal(sathd_pbjson_set_from_string(m, "maps.str_int", "1", NULL, &err), -1);
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_int32.x", "1", NULL, &err), -1);
    assert_int_equal(sathd_pbjson_set_from_string(m, "", "1", NULL, &err), -1);
    assert_int_equal(sathd_pbjson_set_from_string(m, "scalars.f_string", "\xff", NULL, &err), -1);
}

static void test_merge_field(void **state)
{
    fixture *f = *state;
    sathd_pbjson_error err;
    Sathtest__Json__All *a = dec(f, &sathtest__json__all__descriptor, "{}");
    assert_non_null(a);
    assert_int_equal(sathd_pbjson_set_from_string(&a->base, "inner.id", "5", NULL, &err), 0);
    json_t *body = json_loads("{\"label\":\"L\",\"symbols\":[\"a\"]}", 0, NULL);
    assert_int_equal(sathd_pbjson_merge_field(&a->base, "inner", body, NULL, &err), 0);
    json_decref(body);
    /* the path variable set before survives the body merge */
    assert_int_equal(a->inner->id, 5);
    assert_string_equal(a->inner->label, "L");
    body = json_loads("{\"symbols\":[\"a\",1]}", 0, NULL);
    assert_int_equal(sathd_pbjson_merge_field(&a->base, "inner.child", body, NULL, &err), -1);
    json_decref(body);
    assert_string_equal(err.field, "inner.child.symbols[1]");
    body = json_loads("[1,2]", 0, NULL);
    assert_int_equal(sathd_pbjson_merge_field(&a->base, "repeats.rInt32", body, NULL, &err), 0);
    json_decref(body);
    assert_int_equal(a->repeats->n_r_int32, 2);
}

/* A bump allocator standing in for the gateway's call arena: nothing is freed singly. */
typedef struct bump {
    char buf[1 << 16];
    size_t used;
    int frees;
} bump;

static void *bump_alloc(void *data, size_t size)
{
    bump *b = data;
    size = (size + 15) & ~(size_t)15;
    if (b->used + size > sizeof(b->buf))
        return NULL;
    void *p = b->buf + b->used;
    b->used += size;
    return p;
}

static void bump_free(void *data, void *p)
{
    (void)p;
    ((bump *)data)->frees++;
}

static void test_arena_allocator(void **state)
{
    (void)state;
    bump *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    ProtobufCAllocator alloc = {bump_alloc, bump_free, b};
    json_t *j = json_loads("{\"maps\":{\"str_int\":{\"a\":1}},\"wkt\":{\"st\":{\"x\":[1]}},"
                           "\"scalars\":{\"f_string\":\"s\"}}", 0, NULL);
    ProtobufCMessage *m = NULL;
    sathd_pbjson_error err;
    assert_int_equal(sathd_pbjson_decode(&sathtest__json__all__descriptor, j, &alloc, &m, &err), 0);
    assert_true(b->used > 0);
    Sathtest__Json__All *a = (Sathtest__Json__All *)m;
    assert_string_equal(a->scalars->f_string, "s");
    assert_string_equal(a->maps->str_int[0]->key, "a");
    json_decref(j);
    /* out of arena memory is an error, not a crash */
    b->used = sizeof(b->buf) - 32;
    j = json_loads("{\"scalars\":{\"f_string\":\"a long enough string to overflow\"}}", 0, NULL);
    assert_int_equal(sathd_pbjson_decode(&sathtest__json__all__descriptor, j, &alloc, &m, &err), -1);
    assert_non_null(strstr(err.message, "out of memory"));
    json_decref(j);
    free(b);
}

static void test_sath_v1_messages(void **state)
{
    fixture *f = *state;
    const char *user = "{\"created_at\":\"2024-05-06T07:08:09.123Z\",\"email\":\"a@b.c\",\"id\":\"u1\","
                       "\"is_active\":true,\"name\":\"A\",\"plan\":\"free\"}";
    assert_string_equal(rt(f, &sath__v1__user__descriptor, user, 0), user);
    Sath__V1__UpdateMeRequest *up =
        dec(f, &sath__v1__update_me_request__descriptor, "{\"name\":\"N\",\"newPassword\":\"pw\"}");
    assert_non_null(up);
    assert_string_equal(up->name->value, "N");
    assert_null(up->email);
    assert_string_equal(enc(f, up, 0), "{\"name\":\"N\",\"new_password\":\"pw\"}");
    const char *plans = "{\"plans\":[{\"features\":[\"a\",\"b\"],\"id\":\"pro\",\"live_trading\":false,"
                        "\"max_symbols\":5,\"name\":\"Pro\","
                        "\"price_monthly\":{\"cents\":\"1999\",\"currency\":\"USD\"}},"
                        "{\"features\":[],\"id\":\"free\",\"live_trading\":false,\"max_symbols\":0,\"name\":\"\"}]}";
    assert_string_equal(rt(f, &sath__v1__list_plans_response__descriptor, plans, 0), plans);
    rejects(f, &sath__v1__update_bot_config_request__descriptor,
            "{\"config\":{\"symbols\":[\"BTC\",\"ETH\",7]}}", "config.symbols[2]", "expected a string");
    rejects(f, &sath__v1__update_bot_config_request__descriptor,
            "{\"config\":{\"mode\":\"BOT_MODE_X\"}}", "config.mode", "unknown value");
    rejects(f, &sath__v1__update_bot_config_request__descriptor,
            "{\"config\":{\"capitalCents\":\"12a\"}}", "config.capital_cents", "expected an integer");
    Sath__V1__UpdateBotConfigRequest *bc = dec(f, &sath__v1__update_bot_config_request__descriptor,
                                               "{\"config\":{\"capitalCents\":\"123456789012\",\"mode\":\"BOT_MODE_LIVE\"}}");
    assert_non_null(bc);
    assert_true(bc->config->capital_cents == 123456789012LL);
    assert_int_equal(bc->config->mode, SATH__V1__BOT_MODE__BOT_MODE_LIVE);
    /* encode -> bytes -> unpack -> encode gives the same JSON */
    size_t n = protobuf_c_message_get_packed_size(&bc->base);
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    protobuf_c_message_pack(&bc->base, buf);
    ProtobufCMessage *again = protobuf_c_message_unpack(&sath__v1__update_bot_config_request__descriptor, NULL, n, buf);
    free(buf);
    assert_non_null(again);
    assert_string_equal(enc(f, again, 0), enc(f, bc, 0));
    protobuf_c_message_free_unpacked(again, NULL);
}

static void test_encode_odd_messages(void **state)
{
    fixture *f = *state;
    /* strings from the wire need not be UTF-8: the output stays valid JSON */
    Sathtest__Json__Scalars s = SATHTEST__JSON__SCALARS__INIT;
    char bad[] = "a\xff" "b";
    s.f_string = bad;
    s.f_float = -0.0f;
    assert_string_equal(enc(f, &s, SATHD_PBJSON_OMIT_DEFAULTS), "{\"f_float\":-0.0,\"f_string\":\"a\xef\xbf\xbd" "b\"}");
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts.seconds = 253402300800LL; /* year 10000: no RFC 3339 text */
    assert_string_equal(enc(f, &ts, 0), "null");
    Google__Protobuf__Value v = GOOGLE__PROTOBUF__VALUE__INIT;
    assert_string_equal(enc(f, &v, 0), "null");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scalar_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scalar_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_float_special, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_camel_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_and_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oneof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamp_duration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrappers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_mask_empty_any, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_from_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_allocator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sath_v1_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_odd_messages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
