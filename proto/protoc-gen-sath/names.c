/*
 * names.c - proto name -> C identifier conversions (see names.h).
 *
 * The protobuf-c rules reproduced here (protoc-c c_helpers: FullNameToC,
 * FullNameToLower, CamelToLower) are checked by compiling the generated code against
 * the headers protoc-c wrote: a mismatch is a compile error, never a silent bug.
 */
#include "names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

char *names_camel_to_snake(const char *camel)
{
    strbuf sb = STRBUF_INIT;
    bool prev_upper = true; /* no '_' before the first letter */
    for (const char *p = camel; *p; p++) {
        bool upper = isupper((unsigned char)*p) != 0;
        if (upper && !prev_upper)
            strbuf_append(&sb, "_");
        char c = (char)tolower((unsigned char)*p);
        strbuf_append_len(&sb, &c, 1);
        prev_upper = upper;
    }
    return strbuf_detach(&sb);
}

char *names_upper(const char *s)
{
    char *out = strdup(s);
    if (out != NULL)
        for (char *p = out; *p; p++)
            *p = (char)toupper((unsigned char)*p);
    return out;
}

bool names_is_c_keyword(const char *s)
{
    static const char *const keywords[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
        "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
        "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
        "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Alignas",
        "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
        "_Static_assert", "_Thread_local", "bool", "true", "false", "NULL", "asm",
        "delete", "new", "class", "this", "template", "operator", "private", "public",
    };
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strcmp(s, keywords[i]) == 0)
            return true;
    return false;
}

char *names_member(const char *camel)
{
    char *snake = names_camel_to_snake(camel);
    if (snake == NULL || !names_is_c_keyword(snake))
        return snake;
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, snake);
    strbuf_append(&sb, "_");
    free(snake);
    return strbuf_detach(&sb);
}

/* Copy of `s` with every `from` replaced by the string `to`. */
static char *replace_char(const char *s, char from, const char *to)
{
    strbuf sb = STRBUF_INIT;
    for (const char *p = s; *p; p++) {
        if (*p == from)
            strbuf_append(&sb, to);
        else
            strbuf_append_len(&sb, p, 1);
    }
    return strbuf_detach(&sb);
}

char *names_identifier(const char *s)
{
    char *out = strdup(s);
    if (out != NULL)
        for (char *p = out; *p; p++)
            if (!isalnum((unsigned char)*p))
                *p = '_';
    return out;
}

char *names_package_prefix(const char *package)
{
    return replace_char(package, '.', "_");
}

char *names_package_dir(const char *package)
{
    return replace_char(package, '.', "/");
}

char *names_proto_stem(const char *proto_file)
{
    size_t n = strlen(proto_file);
    if (n > 6 && strcmp(proto_file + n - 6, ".proto") == 0)
        n -= 6;
    return strndup(proto_file, n);
}

/* protoc-c ToCamel: "foo_bar" -> "FooBar" (first letter and letters after '_' raised). */
static void append_to_camel(strbuf *sb, const char *s, size_t n)
{
    bool raise = true;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') {
            raise = true;
            continue;
        }
        char c = raise ? (char)toupper((unsigned char)s[i]) : s[i];
        strbuf_append_len(sb, &c, 1);
        raise = false;
    }
}

/* Appends each '.'-separated piece of `dotted`, joined by "__": through ToCamel when
 * `camel`, else through CamelToLower (protoc-c's FullNameToC / FullNameToLower). */
static void append_pieces(strbuf *sb, const char *dotted, bool camel)
{
    const char *p = dotted;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n > 0 && sb->len > 0)
            strbuf_append(sb, "__");
        if (camel) {
            append_to_camel(sb, p, n);
        } else if (n > 0) {
            char *piece = strndup(p, n);
            char *snake = piece ? names_camel_to_snake(piece) : NULL;
            if (snake == NULL)
                sb->failed = true;
            else
                strbuf_append(sb, snake);
            free(snake);
            free(piece);
        }
        p += n;
        if (*p == '.')
            p++;
    }
}

char *names_pbc_type(const char *package, const char *rel)
{
    strbuf sb = STRBUF_INIT;
    /* protoc-c applies ToCamel to every piece, message names included */
    append_pieces(&sb, package, true);
    append_pieces(&sb, rel, true);
    return strbuf_detach(&sb);
}

char *names_pbc_lower(const char *package, const char *rel)
{
    strbuf sb = STRBUF_INIT;
    append_pieces(&sb, package, false);
    append_pieces(&sb, rel, false);
    return strbuf_detach(&sb);
}
