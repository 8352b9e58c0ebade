// Test support: how many bytes the process has allocated with malloc and not freed.
#ifndef C_MALLOC_STATISTICS_H
#define C_MALLOC_STATISTICS_H
#include <stddef.h>

/// Bytes in use (heap blocks plus mmap'ed blocks), from glibc's mallinfo2; 0 elsewhere.
size_t malloc_bytes_in_use(void);

#endif
