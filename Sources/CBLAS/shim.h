// The C interface of OpenBLAS (CBLAS) and LAPACKE, as one module for Swift.
// Debian's OpenBLAS does not bundle LAPACKE, so the module map links both.
#ifndef SWIFT_LAYERS_CBLAS_SHIM_H
#define SWIFT_LAYERS_CBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
