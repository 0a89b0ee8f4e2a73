// libFuzzer target: arbitrary bytes as a shard — gzip detection, the tar
// reader, sample grouping and the non-image decoders. Every input must end in
// samples or a DataError / decoding error; anything else (a crash, a sanitizer
// report, an unexpected exception) is a bug.
//
// Built and run by scripts/fuzz_tar.sh (clang, -fsanitize=fuzzer,address,undefined).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>

#include "datasets/byte_source.h"
#include "datasets/decode.h"
#include "datasets/gzip_source.h"
#include "datasets/shard_reader.h"
#include "runtime/error.h"

using namespace tessera::datasets;  // NOLINT: a fuzzer entry point

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  std::unique_ptr<ByteSource> source = std::make_unique<MemorySource>("fuzz.tar", bytes);
  if (is_gzip_magic(bytes)) {
    source = std::make_unique<GzipSource>(std::move(source), std::string());
  }
  ShardReaderOptions options;
  options.max_member_bytes = 1 << 20;
  options.strict = size % 2 == 0;
  options.case_sensitive = size % 3 == 0;
  ShardReader reader(std::move(source), std::make_shared<const std::string>("fuzz.tar"), 0, options, {}, 8192);
  Sample sample;
  for (int i = 0; i < 10000; ++i) {
    try {
      if (!reader.next(sample, /*with_data=*/i % 5 != 4)) {
        reader.finish();
        break;
      }
      for (const SampleField& field : sample.fields) {
        const Decoder d = decoder_for(field.ext);
        if (d != Decoder::kImage && field.data) {
          try {
            (void)decode_field(sample, field);
          } catch (const tessera::DataError&) {
          }
        }
      }
    } catch (const tessera::DataError&) {
      if (reader.broken()) {
        break;
      }
    }
  }
  return 0;
}
