/*
 * comments.c - source_code_info lookup (see comments.h).
 */
#include "comments.h"

#include <string.h>

const char *comments_leading(const Google__Protobuf__FileDescriptorProto *file,
                             const int32_t *path, size_t n_path)
{
    const Google__Protobuf__SourceCodeInfo *info = file->source_code_info;
    if (info == NULL)
        return NULL;
    for (size_t i = 0; i < info->n_location; i++) {
        const Google__Protobuf__SourceCodeInfo__Location *loc = info->location[i];
        if (loc->n_path == n_path && memcmp(loc->path, path, n_path * sizeof *path) == 0)
            return (loc->leading_comments && *loc->leading_comments) ? loc->leading_comments
                                                                       : NULL;
    }
    return NULL;
}
