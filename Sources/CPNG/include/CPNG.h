// PNG reading and writing through libpng, wrapped so that Swift never meets libpng's
// longjmp-based errors: each call returns 0 on success, or -1 with a message in `error`.
#ifndef SWIFT_LAYERS_CPNG_H
#define SWIFT_LAYERS_CPNG_H
#include <stddef.h>
#include <stdint.h>

/// Decodes a PNG of any colour type, bit depth (1 to 16) and interlacing to 8-bit RGBA,
/// transparency expanded to alpha, 16-bit samples rounded to 8 bits, no gamma applied.
/// Refuses images over `max_pixels` before allocating. On success `*rgba` holds
/// width * height * 4 bytes, freed with `cpng_free`.
int cpng_decode_rgba8(const uint8_t *data, size_t size, size_t max_pixels,
                      uint8_t **rgba, uint32_t *width, uint32_t *height, char error[128]);

/// Encodes 8-bit grayscale pixels (row-major) as a PNG; `*png` is freed with `cpng_free`.
int cpng_encode_gray8(const uint8_t *pixels, uint32_t width, uint32_t height,
                      uint8_t **png, size_t *size, char error[128]);

void cpng_free(void *buffer);

#endif
