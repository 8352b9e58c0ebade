// zlib, for reading gzip-compressed data sets (the MNIST files ship as .gz).
#ifndef SWIFT_LAYERS_CZLIB_SHIM_H
#define SWIFT_LAYERS_CZLIB_SHIM_H
#include <zlib.h>
#endif
