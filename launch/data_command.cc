// tessera data convert|ls|verify: make and check WebDataset shards.
//
//   tessera data convert fashion-mnist --out DIR [--source DIR] [--per-shard N] [--limit N]
//   tessera data convert text --out DIR [--seq-len N] [--per-shard N] [--eval-fraction F] [INPUT...]
//   tessera data ls URL [--limit N]        members: offset, size, key, extension
//   tessera data verify SPEC [--decode] [--strict] [--case-sensitive]
//                                          samples per shard and every error; exit 1 on errors

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "datasets/open_shard.h"
#include "datasets/decode.h"
#include "datasets/fashion_mnist.h"
#include "datasets/shard_reader.h"
#include "datasets/shard_spec.h"
#include "datasets/tar_reader.h"
#include "datasets/text_shards.h"
#include "launch/cli.h"
#include "runtime/error.h"

namespace tessera::launch {
namespace {

struct DataOptions {
  datasets::FashionMnistOptions mnist;
  datasets::TextShardsOptions text;
  std::vector<std::string> text_inputs;
  std::string url;
  std::uint64_t limit = 0;
  std::string spec;
  bool decode = false;
  bool strict = false;
  bool case_sensitive = false;
  datasets::SourceOptions source;
};

void print_splits(const std::vector<datasets::ConvertedSplit>& splits) {
  for (const auto& split : splits) {
    fmt::print("{}: {} samples in {} shard{}: {}\n", split.name, split.samples, split.shards.size(),
               split.shards.size() == 1 ? "" : "s", split.spec);
  }
}

int list_members(const DataOptions& options) {
  datasets::TarReader reader(datasets::open_shard(options.url, options.source));
  fmt::print("{:>12} {:>10}  {:<8} {:<28} {}\n", "offset", "size", "ext", "key", "member");
  datasets::TarMember m;
  std::uint64_t members = 0;
  std::uint64_t bytes = 0;
  std::uint64_t samples = 0;
  std::string last_key;
  while (reader.next(m)) {
    std::string_view key;
    std::string_view ext;
    std::string note;
    if (!m.is_regular()) {
      note = m.type == '5' ? " (directory, skipped)" : fmt::format(" (type '{}', skipped)", m.type);
    } else if (datasets::is_metadata_member(m.name)) {
      note = " (metadata, skipped)";
    } else if (!datasets::split_member_name(m.name, key, ext)) {
      note = " (no extension, skipped)";
    } else if (key != last_key || members == 0) {
      ++samples;
      last_key = key;
    }
    ++members;
    bytes += m.size;
    if (options.limit == 0 || members <= options.limit) {
      fmt::print("{:>12} {:>10}  {:<8} {:<28} {}{}\n", m.header_offset, m.size, ext, key, m.name, note);
    }
  }
  reader.finish();
  if (options.limit > 0 && members > options.limit) {
    fmt::print("... {} more members\n", members - options.limit);
  }
  fmt::print("{} members, {} samples, {} bytes of data\n", members, samples, bytes);
  return kExitOk;
}

int verify(const DataOptions& options) {
  const std::vector<std::string> urls = datasets::expand_shard_spec(options.spec);
  const datasets::ShardReaderOptions reader_options{.case_sensitive = options.case_sensitive, .strict = options.strict};
  std::uint64_t total = 0;
  std::uint64_t total_bytes = 0;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < urls.size(); ++i) {
    std::uint64_t samples = 0;
    std::uint64_t bytes = 0;
    std::vector<std::string> errors;
    try {
      auto reader = datasets::open_shard_reader(std::make_shared<const std::string>(urls[i]),
                                                static_cast<std::uint32_t>(i), options.source, reader_options);
      datasets::Sample s;
      for (;;) {
        try {
          if (!reader->next(s, options.decode)) {
            break;
          }
          if (options.decode) {
            for (const datasets::SampleField& f : s.fields) {
              datasets::decode_field(s, f);
            }
          }
        } catch (const DataError& e) {
          errors.push_back(e.what());
          if (reader->broken()) {
            throw;
          }
        }
        ++samples;
        bytes += s.bytes();
      }
      reader->finish();
    } catch (const DataError& e) {
      if (errors.empty() || errors.back() != e.what()) {
        errors.push_back(e.what());
      }
    }
    total += samples;
    total_bytes += bytes;
    if (errors.empty()) {
      fmt::print("ok     {:>8} samples {:>12} bytes  {}\n", samples, bytes, urls[i]);
    } else {
      ++bad;
      fmt::print("ERROR  {:>8} samples {:>12} bytes  {}\n", samples, bytes, urls[i]);
      for (const std::string& e : errors) {
        fmt::print("       {}\n", e);
      }
    }
  }
  fmt::print("{} shard{}, {} samples, {} bytes; {} with errors\n", urls.size(), urls.size() == 1 ? "" : "s", total,
             total_bytes, bad);
  return bad == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void add_data_command(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<DataOptions>();
  CLI::App* data = app.add_subcommand("data", "Make and check WebDataset shards (convert, ls, verify)");
  data->require_subcommand(1);

  CLI::App* convert = data->add_subcommand("convert", "Write shards from a known dataset");
  convert->require_subcommand(1);
  CLI::App* mnist = convert->add_subcommand("fashion-mnist", "Fashion-MNIST idx files -> fmnist-{train,test}-*.tar");
  mnist->add_option("--out", o->mnist.out, "output directory")->required();
  mnist->add_option("--source", o->mnist.source, "directory of the idx .gz files")->capture_default_str();
  mnist->add_option("--per-shard", o->mnist.per_shard, "samples per shard")->capture_default_str();
  mnist->add_option("--limit", o->mnist.limit, "samples per split (0: all)");
  mnist->callback([&cli, o] {
    cli.action = [o] {
      print_splits(datasets::convert_fashion_mnist(o->mnist));
      return kExitOk;
    };
  });
  CLI::App* text = convert->add_subcommand("text", "Text files -> byte windows in <name>-{train,eval}-*.tar");
  text->add_option("--out", o->text.out, "output directory")->required();
  text->add_option("inputs", o->text_inputs, "files or directories (default: " + std::string(datasets::kFortunesDir) + ")");
  text->add_option("--name", o->text.name, "shard name prefix")->capture_default_str();
  text->add_option("--seq-len", o->text.seq_len, "bytes per sample")->capture_default_str();
  text->add_option("--per-shard", o->text.per_shard, "samples per shard")->capture_default_str();
  text->add_option("--eval-fraction", o->text.eval_fraction, "share of windows for evaluation")->capture_default_str();
  text->callback([&cli, o] {
    cli.action = [o] {
      if (!o->text_inputs.empty()) {
        o->text.inputs.assign(o->text_inputs.begin(), o->text_inputs.end());
      }
      print_splits(datasets::convert_text(o->text));
      return kExitOk;
    };
  });

  CLI::App* ls = data->add_subcommand("ls", "List a shard's members with offsets, sizes, keys and extensions");
  ls->add_option("url", o->url, "shard: path, file://, http:// or pipe:CMD")->required();
  ls->add_option("--limit", o->limit, "members to print (0: all)");
  ls->callback([&cli, o] { cli.action = [o] { return list_members(*o); }; });

  CLI::App* check = data->add_subcommand("verify", "Read every shard of a spec: samples per shard, every error");
  check->add_option("spec", o->spec, "shard spec, e.g. 'data/train-{000000..000059}.tar'")->required();
  check->add_flag("--decode", o->decode, "also decode every field by its extension");
  check->add_flag("--strict", o->strict, "reject keys that reappear non-adjacently");
  check->add_flag("--case-sensitive", o->case_sensitive, "keep extension case");
  check->callback([&cli, o] { cli.action = [o] { return verify(*o); }; });
}

}  // namespace tessera::launch
