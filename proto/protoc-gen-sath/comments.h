/*
 * comments.h - leading comments of proto elements, from a file's source_code_info.
 */
#ifndef SATH_GEN_COMMENTS_H
#define SATH_GEN_COMMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "google/protobuf/descriptor.pb-c.h"

/* FileDescriptorProto field numbers used to build location paths. */
#define COMMENTS_FILE_SERVICE 6
#define COMMENTS_SERVICE_METHOD 2

/* The leading comment of the element at `path` (e.g. {6, s, 2, m} for method m of
 * service s), or NULL when there is none.  The result points into `file`. */
const char *comments_leading(const Google__Protobuf__FileDescriptorProto *file,
                             const int32_t *path, size_t n_path);

#endif /* SATH_GEN_COMMENTS_H */
