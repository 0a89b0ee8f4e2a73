#include "datasets/image_decode.h"

#include <png.h>
// jpeglib.h needs FILE and size_t declared first.
#include <cstdio>
#include <jpeglib.h>

#include <cctype>
#include <csetjmp>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace tessera::datasets {
namespace {

constexpr std::uint64_t kMaxPixels = std::uint64_t{1} << 28;

Array make_image(std::uint64_t height, std::uint64_t width, std::uint64_t channels) {
  if (height == 0 || width == 0 || height * width > kMaxPixels) {
    throw std::invalid_argument(fmt::format("image of {}x{} pixels is empty or too large", width, height));
  }
  Array a;
  a.dtype = DType::kUInt8;
  a.shape = {static_cast<std::int64_t>(height), static_cast<std::int64_t>(width), static_cast<std::int64_t>(channels)};
  const std::size_t bytes = height * width * channels;
  a.owned = std::make_unique_for_overwrite<std::byte[]>(bytes);
  a.data = std::span<const std::byte>(a.owned.get(), bytes);
  return a;
}

Array decode_png(std::span<const std::byte> bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()) == 0) {
    throw std::invalid_argument(fmt::format("bad PNG: {}", image.message));
  }
  image.format &= PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA;  // 8-bit, no colormap
  const std::uint64_t channels = PNG_IMAGE_SAMPLE_CHANNELS(image.format);
  if (static_cast<std::uint64_t>(image.width) * image.height > kMaxPixels) {
    png_image_free(&image);
    throw std::invalid_argument("PNG too large");
  }
  Array a = make_image(image.height, image.width, channels);
  if (png_image_finish_read(&image, nullptr, const_cast<std::byte*>(a.data.data()), 0, nullptr) == 0) {
    std::string message = image.message;
    png_image_free(&image);
    throw std::invalid_argument(fmt::format("bad PNG: {}", message));
  }
  return a;
}

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_fail(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void jpeg_quiet(j_common_ptr /*cinfo*/, int /*level*/) {}

Array decode_jpeg(std::span<const std::byte> bytes) {
  jpeg_decompress_struct cinfo{};
  JpegError err{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  err.mgr.emit_message = jpeg_quiet;
  Array a;
  // No C++ objects with destructors are created between setjmp and a longjmp.
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    throw std::invalid_argument(fmt::format("bad JPEG: {}", err.message));
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&cinfo);
    throw std::invalid_argument("CMYK JPEGs are not supported");
  }
  cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const std::uint64_t w = cinfo.output_width;
  const std::uint64_t h = cinfo.output_height;
  const std::uint64_t c = static_cast<std::uint64_t>(cinfo.output_components);
  if (w == 0 || h == 0 || w * h > kMaxPixels) {
    jpeg_destroy_decompress(&cinfo);
    throw std::invalid_argument("JPEG is empty or too large");
  }
  a = make_image(h, w, c);
  auto* out = reinterpret_cast<unsigned char*>(const_cast<std::byte*>(a.data.data()));
  while (cinfo.output_scanline < cinfo.output_height) {
    unsigned char* row = out + static_cast<std::size_t>(cinfo.output_scanline) * w * c;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return a;
}

Array decode_pnm(std::span<const std::byte> bytes) {
  std::string_view s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (s.size() < 2 || s[0] != 'P' || (s[1] != '5' && s[1] != '6')) {
    throw std::invalid_argument("not a binary PGM/PPM (P5/P6) image");
  }
  const std::uint64_t channels = s[1] == '5' ? 1 : 3;
  std::size_t pos = 2;
  std::uint64_t values[3] = {0, 0, 0};
  for (std::uint64_t& v : values) {
    for (;;) {  // whitespace and comments
      while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) {
        ++pos;
      }
      if (pos < s.size() && s[pos] == '#') {
        while (pos < s.size() && s[pos] != '\n') {
          ++pos;
        }
        continue;
      }
      break;
    }
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && digits < 9) {
      v = v * 10 + static_cast<std::uint64_t>(s[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0) {
      throw std::invalid_argument("bad PGM/PPM header");
    }
  }
  if (pos >= s.size() || !std::isspace(static_cast<unsigned char>(s[pos]))) {
    throw std::invalid_argument("bad PGM/PPM header");
  }
  ++pos;
  const auto [width, height, maxval] = values;
  if (maxval == 0 || maxval > 255) {
    throw std::invalid_argument(fmt::format("PGM/PPM maxval {} (only 8-bit images are supported)", maxval));
  }
  if (width == 0 || height == 0 || width * height > kMaxPixels) {
    throw std::invalid_argument("PGM/PPM image is empty or too large");
  }
  const std::uint64_t need = width * height * channels;
  if (s.size() - pos < need) {
    throw std::invalid_argument(fmt::format("PGM/PPM data is {} bytes, {} needed", s.size() - pos, need));
  }
  Array a = make_image(height, width, channels);
  std::memcpy(const_cast<std::byte*>(a.data.data()), s.data() + pos, need);
  return a;
}

}  // namespace

bool is_image_extension(std::string_view ext) {
  return ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "pgm" || ext == "ppm" || ext == "pnm";
}

Array decode_image(std::string_view ext, std::span<const std::byte> bytes) {
  if (ext == "png") {
    return decode_png(bytes);
  }
  if (ext == "jpg" || ext == "jpeg") {
    return decode_jpeg(bytes);
  }
  if (ext == "pgm" || ext == "ppm" || ext == "pnm") {
    return decode_pnm(bytes);
  }
  throw std::invalid_argument(fmt::format("no image decoder for '.{}'", ext));
}

}  // namespace tessera::datasets
