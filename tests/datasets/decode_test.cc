#include "datasets/decode.h"

#include <png.h>
#include <cstdio>
#include <jpeglib.h>

#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datasets/image_decode.h"
#include "datasets/npy.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s)); }

template <class T>
std::vector<T> values_of(const Array& a) {
  std::vector<T> out(static_cast<std::size_t>(a.elements()));
  std::memcpy(out.data(), a.data.data(), a.data.size());
  return out;
}

TEST(Decoders, ChosenByTheLastExtensionComponent) {
  EXPECT_EQ(decoder_for("cls"), Decoder::kInt);
  EXPECT_EQ(decoder_for("index"), Decoder::kInt);
  EXPECT_EQ(decoder_for("seg.json"), Decoder::kJson);
  EXPECT_EQ(decoder_for("txt"), Decoder::kText);
  EXPECT_EQ(decoder_for("left.png"), Decoder::kImage);
  EXPECT_EQ(decoder_for("npy"), Decoder::kNpy);
  EXPECT_EQ(decoder_for("mp3"), Decoder::kBytes);
}

TEST(Decoders, IntegersAsPythonIntReadsThem) {
  EXPECT_EQ(parse_int_field(" 7\n"), 7);
  EXPECT_EQ(parse_int_field("-12"), -12);
  EXPECT_EQ(parse_int_field("+1_000"), 1000);
  EXPECT_EQ(parse_int_field("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_THROW(parse_int_field("9223372036854775808"), std::invalid_argument);
  EXPECT_THROW(parse_int_field(""), std::invalid_argument);
  EXPECT_THROW(parse_int_field("1__0"), std::invalid_argument);
  EXPECT_THROW(parse_int_field("3.5"), std::invalid_argument);
}

TEST(Decoders, JsonAndText) {
  Value v = decode_bytes(Decoder::kJson, "json", bytes_of(R"({"a": [1, 2]})"));
  EXPECT_EQ((*std::get<Json>(v).value)["a"][1], 2);
  EXPECT_EQ(std::get<std::string>(decode_bytes(Decoder::kText, "txt", bytes_of("h\xc3\xa9"))), "h\xc3\xa9");
  EXPECT_THROW(decode_bytes(Decoder::kJson, "json", bytes_of("{")), std::invalid_argument);
}

TEST(Npy, RoundTripsEveryNumericDtype) {
  const std::int32_t ints[6] = {1, -2, 3, -4, 5, -6};
  std::string file = encode_npy(DType::kInt32, {2, 3}, std::as_bytes(std::span(ints)));
  EXPECT_EQ(file.size() % 64, 24U);  // 64-aligned header + 24 data bytes
  Array a = decode_npy(bytes_of(file));
  EXPECT_EQ(a.dtype, DType::kInt32);
  EXPECT_THAT(a.shape, ElementsAre(2, 3));
  EXPECT_THAT(values_of<std::int32_t>(a), ElementsAre(1, -2, 3, -4, 5, -6));
  for (DType d : {DType::kBool, DType::kInt8, DType::kUInt8, DType::kInt16, DType::kUInt16, DType::kUInt32,
                  DType::kInt64, DType::kUInt64, DType::kFloat16, DType::kFloat32, DType::kFloat64,
                  DType::kComplex64, DType::kComplex128}) {
    std::string data(item_size(d) * 5, '\x01');
    Array b = decode_npy(bytes_of(encode_npy(d, {5}, bytes_of(data))));
    EXPECT_EQ(b.dtype, d) << dtype_name(d);
    EXPECT_EQ(b.data.size(), data.size());
  }
  Array scalar = decode_npy(bytes_of(encode_npy(DType::kFloat64, {}, bytes_of(std::string(8, '\0')))));
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.elements(), 1);
}

std::string npy_with_header(const std::string& dict, const std::string& data) {
  std::string header = dict;
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

TEST(Npy, BigEndianIsSwapped) {
  std::string data("\x00\x00\x01\x02", 4);
  Array a = decode_npy(bytes_of(npy_with_header("{'descr': '>u4', 'fortran_order': False, 'shape': (1,), }", data)));
  EXPECT_THAT(values_of<std::uint32_t>(a), ElementsAre(0x0102U));
}

TEST(Npy, RejectsWhatItCannotRepresent) {
  auto message = [](const std::string& bytes) {
    try {
      decode_npy(bytes_of(bytes));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_THAT(message(npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "abcd")),
              HasSubstr("Fortran order"));
  EXPECT_THAT(message(npy_with_header("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "abcdefgh")),
              HasSubstr("unsupported npy dtype"));
  EXPECT_THAT(message(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "abcd")),
              HasSubstr("data is 4 bytes"));
  EXPECT_THAT(message("\x93NUMPX"), HasSubstr("bad magic"));
  EXPECT_THAT(message(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999,), }", "")),
              HasSubstr("too large"));
}

TEST(Images, PgmAndPpm) {
  Array gray = decode_image("pgm", bytes_of(std::string("P5\n# c\n3 2\n255\n") + "abcdef"));
  EXPECT_THAT(gray.shape, ElementsAre(2, 3, 1));
  EXPECT_EQ(static_cast<char>(gray.data[4]), 'e');
  Array rgb = decode_image("ppm", bytes_of(std::string("P6 1 1 255\n") + "xyz"));
  EXPECT_THAT(rgb.shape, ElementsAre(1, 1, 3));
  EXPECT_THROW(decode_image("pgm", bytes_of("P5 2 2 65535\nxxxxxxxx")), std::invalid_argument);
  EXPECT_THROW(decode_image("pgm", bytes_of("P5 4 4 255\nshort")), std::invalid_argument);
}

TEST(Images, PngThroughLibpng) {
  // A 2x3 RGB image written with libpng's simplified API.
  unsigned char pixels[2 * 3 * 3];
  for (int i = 0; i < 18; ++i) {
    pixels[i] = static_cast<unsigned char>(i * 10);
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = 3;
  image.height = 2;
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  ASSERT_NE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels, 0, nullptr), 0);
  std::string png(size, '\0');
  ASSERT_NE(png_image_write_to_memory(&image, png.data(), &size, 0, pixels, 0, nullptr), 0);
  png.resize(size);
  Array a = decode_image("png", bytes_of(png));
  EXPECT_THAT(a.shape, ElementsAre(2, 3, 3));
  EXPECT_EQ(static_cast<unsigned char>(a.data[17]), 170);
  EXPECT_THROW(decode_image("png", bytes_of(png.substr(0, 30))), std::invalid_argument);
}

TEST(Images, JpegThroughLibjpeg) {
  // An 8x8 gray JPEG, quality 100: pixels come back within a few levels.
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  jpeg_mem_dest(&c, &out, &out_size);
  c.image_width = 8;
  c.image_height = 8;
  c.input_components = 1;
  c.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  unsigned char row[8];
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) {
      row[x] = static_cast<unsigned char>(100 + x);
    }
    unsigned char* rows[] = {row};
    jpeg_write_scanlines(&c, rows, 1);
  }
  jpeg_finish_compress(&c);
  std::string jpg(reinterpret_cast<char*>(out), out_size);
  jpeg_destroy_compress(&c);
  std::free(out);
  Array a = decode_image("jpg", bytes_of(jpg));
  EXPECT_THAT(a.shape, ElementsAre(8, 8, 1));
  EXPECT_NEAR(static_cast<int>(a.data[3]), 103, 3);
  EXPECT_THROW(decode_image("jpeg", bytes_of(jpg.substr(0, 20))), std::invalid_argument);
}

TEST(Decoders, FieldErrorsNameShardMemberAndOffset) {
  Sample s;
  s.key = "n01";
  s.url = std::make_shared<const std::string>("data/x.tar");
  s.location.offset = 4096;
  SampleField& f = s.fields.emplace_back();
  f.ext = "cls";
  f.size = 3;
  f.data = std::make_unique<std::byte[]>(3);
  std::memcpy(f.data.get(), "abc", 3);
  try {
    decode_field(s, f);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.url(), "data/x.tar");
    EXPECT_EQ(e.member(), "n01.cls");
    EXPECT_EQ(e.offset(), 4096U);
    EXPECT_THAT(e.what(), HasSubstr("not an integer"));
  }
}

}  // namespace
}  // namespace tessera::datasets
