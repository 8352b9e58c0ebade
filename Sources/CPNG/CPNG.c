#include "CPNG.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size, offset;
    char *error;
} Source;

static void on_error(png_structp png, png_const_charp message) {
    Source *source = png_get_error_ptr(png);
    strncpy(source->error, message, 127);
    source->error[127] = 0;
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png; (void)message;  // damaged ancillary chunks are skipped, as every viewer does
}

static void read_bytes(png_structp png, png_bytep out, size_t count) {
    Source *source = png_get_io_ptr(png);
    if (count > source->size - source->offset) png_error(png, "the file ends early (truncated)");
    memcpy(out, source->data + source->offset, count);
    source->offset += count;
}

int cpng_decode_rgba8(const uint8_t *data, size_t size, size_t max_pixels,
                      uint8_t **rgba, uint32_t *width, uint32_t *height, char error[128]) {
    Source source = {data, size, 0, error};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!info) {
        strcpy(error, "out of memory");
        png_destroy_read_struct(&png, NULL, NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, &source, read_bytes);
    // Bounds on what a file can make libpng allocate besides the pixels (these are libpng 1.6's
    // defaults, set here so that no build of libpng can lift them): a decompressed ancillary
    // chunk (zTXt, iCCP) of at most 8 MB, and at most 1000 ancillary chunks kept.
    png_set_chunk_malloc_max(png, 8000000);
    png_set_chunk_cache_max(png, 1000);
    png_read_info(png, info);
    uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if ((size_t)w * h > max_pixels) {
        snprintf(error, 128, "the image is %ux%u pixels; at most %zu pixels are read", w, h, max_pixels);
        png_longjmp(png, 1);
    }
    png_set_expand(png);          // palette to RGB, gray below 8 bits to 8, tRNS to alpha
    png_set_scale_16(png);        // 16-bit samples rounded to 8 bits
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4) png_error(png, "unexpected row size after conversion");
    pixels = malloc((size_t)w * h * 4);
    rows = malloc(sizeof(png_bytep) * h);
    if (!pixels || !rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < h; y++) rows[y] = pixels + (size_t)y * w * 4;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    *rgba = pixels;
    *width = w;
    *height = h;
    return 0;
}

int cpng_encode_gray8(const uint8_t *pixels, uint32_t width, uint32_t height,
                      uint8_t **png, size_t *size, char error[128]) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_GRAY;
    size_t needed = 0;
    // The first call only measures; the simplified write API reports errors without longjmp.
    if (!png_image_write_to_memory(&image, NULL, &needed, 0, pixels, 0, NULL) || !(*png = malloc(needed))) {
        strncpy(error, image.message[0] ? image.message : "out of memory", 127);
        error[127] = 0;
        png_image_free(&image);
        return -1;
    }
    if (!png_image_write_to_memory(&image, *png, &needed, 0, pixels, 0, NULL)) {
        strncpy(error, image.message, 127);
        error[127] = 0;
        free(*png);
        png_image_free(&image);
        return -1;
    }
    *size = needed;
    png_image_free(&image);
    return 0;
}

void cpng_free(void *buffer) { free(buffer); }
