// The system's libcrypto (OpenSSL), for the data sets' MD5 checksums: a package that imports
// Datasets then builds no cryptography of its own (swift-crypto's BoringSSL took most of a
// consumer's first build).
#ifndef SWIFT_LAYERS_CCRYPTO_SHIM_H
#define SWIFT_LAYERS_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
