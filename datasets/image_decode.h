#pragma once

// Image decoders: PNG (libpng), JPEG (libjpeg-turbo) and binary PGM/PPM, into
// uint8 arrays of shape [height, width, channels] (HWC): 1 channel for gray,
// 2 for gray+alpha, 3 for RGB, 4 for RGBA. 16-bit PNGs are reduced to 8 bits;
// 16-bit PGM/PPM, ASCII PNM and CMYK JPEGs are errors.

#include <span>
#include <string_view>

#include "datasets/value.h"

namespace tessera::datasets {

// True for the extensions decode_image() handles: png, jpg, jpeg, pgm, ppm, pnm.
bool is_image_extension(std::string_view ext);

// Decodes an image by its extension. Throws std::invalid_argument.
Array decode_image(std::string_view ext, std::span<const std::byte> bytes);

}  // namespace tessera::datasets
