#include "datasets/shard_spec.h"

#include <charconv>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "datasets/byte_source.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

bool parse_int(std::string_view s, long long& v) {
  if (s.empty()) {
    return false;
  }
  const char* begin = s.data();
  if (*begin == '+') {
    ++begin;
  }
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// The alternatives inside one pair of braces ("a,b" or "0..9" or "0..9..2").
std::vector<std::string> alternatives(std::string_view inner, std::string_view pattern) {
  // Split on top-level commas.
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '{') {
      ++depth;
    } else if (inner[i] == '}') {
      --depth;
    } else if (inner[i] == ',' && depth == 0) {
      parts.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(inner.substr(start));
  std::vector<std::string> out;
  if (parts.size() > 1) {
    for (std::string_view p : parts) {
      for (std::string& e : expand_braces(p)) {
        out.push_back(std::move(e));
      }
    }
    return out;
  }
  const std::size_t dots = inner.find("..");
  if (dots == std::string_view::npos) {
    // "{x}" is not an expansion: keep the braces, as shells do.
    for (std::string& e : expand_braces(inner)) {
      out.push_back("{" + e + "}");
    }
    return out;
  }
  std::string_view lo_text = inner.substr(0, dots);
  std::string_view rest = inner.substr(dots + 2);
  std::string_view hi_text = rest;
  long long step = 1;
  if (const std::size_t dots2 = rest.find(".."); dots2 != std::string_view::npos) {
    hi_text = rest.substr(0, dots2);
    if (!parse_int(rest.substr(dots2 + 2), step) || step == 0) {
      throw ConfigError(fmt::format("shard spec '{}': bad step in {{{}}}", pattern, inner));
    }
    step = step < 0 ? -step : step;
  }
  long long lo = 0;
  long long hi = 0;
  if (!parse_int(lo_text, lo) || !parse_int(hi_text, hi)) {
    throw ConfigError(fmt::format("shard spec '{}': {{{}}} is not a range of integers", pattern, inner));
  }
  const bool padded = (lo_text.size() > 1 && lo_text[0] == '0') || (hi_text.size() > 1 && hi_text[0] == '0');
  const std::size_t width = padded ? std::max(lo_text.size(), hi_text.size()) : 0;
  const long long count = (hi >= lo ? hi - lo : lo - hi) / step + 1;
  if (count > 10'000'000) {
    throw ConfigError(fmt::format("shard spec '{}': {{{}}} has {} elements (limit 10 million)", pattern, inner, count));
  }
  for (long long i = 0; i < count; ++i) {
    long long v = hi >= lo ? lo + i * step : lo - i * step;
    out.push_back(fmt::format("{:0{}}", v, width));
  }
  return out;
}

std::vector<std::string> expand_list_file(std::string_view path_text) {
  std::filesystem::path path(path_text);
  std::ifstream in(path);
  if (!in) {
    throw ConfigError(fmt::format("shard list '{}' cannot be read", path_text));
  }
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') {
      continue;
    }
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    for (std::string& url : expand_shard_spec(line)) {
      std::string local = local_path(url);
      if (!local.empty() && !url.starts_with("file://") && std::filesystem::path(local).is_relative()) {
        url = (path.parent_path() / local).lexically_normal().string();
      }
      out.push_back(std::move(url));
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> expand_braces(std::string_view pattern) {
  // Find the first top-level brace pair.
  std::size_t open = pattern.find('{');
  if (open == std::string_view::npos) {
    if (pattern.find('}') != std::string_view::npos) {
      throw ConfigError(fmt::format("shard spec '{}': '}}' without '{{'", pattern));
    }
    return {std::string(pattern)};
  }
  int depth = 0;
  std::size_t close = std::string_view::npos;
  for (std::size_t i = open; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      ++depth;
    } else if (pattern[i] == '}' && --depth == 0) {
      close = i;
      break;
    }
  }
  if (close == std::string_view::npos) {
    throw ConfigError(fmt::format("shard spec '{}': '{{' without '}}'", pattern));
  }
  std::string_view head = pattern.substr(0, open);
  if (head.find('}') != std::string_view::npos) {
    throw ConfigError(fmt::format("shard spec '{}': '}}' without '{{'", pattern));
  }
  std::vector<std::string> middles = alternatives(pattern.substr(open + 1, close - open - 1), pattern);
  std::vector<std::string> tails = expand_braces(pattern.substr(close + 1));
  std::vector<std::string> out;
  out.reserve(middles.size() * tails.size());
  for (const std::string& m : middles) {
    for (const std::string& t : tails) {
      out.push_back(fmt::format("{}{}{}", head, m, t));
    }
  }
  return out;
}

std::vector<std::string> expand_shard_spec(std::string_view spec) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t sep = spec.find("::", start);
    std::string_view part = spec.substr(start, sep == std::string_view::npos ? sep : sep - start);
    while (!part.empty() && part.front() == ' ') {
      part.remove_prefix(1);
    }
    while (!part.empty() && part.back() == ' ') {
      part.remove_suffix(1);
    }
    if (!part.empty()) {
      std::vector<std::string> urls = part.starts_with('@') ? expand_list_file(part.substr(1)) : expand_braces(part);
      out.insert(out.end(), std::make_move_iterator(urls.begin()), std::make_move_iterator(urls.end()));
    }
    if (sep == std::string_view::npos) {
      break;
    }
    start = sep + 2;
  }
  if (out.empty()) {
    throw ConfigError(fmt::format("shard spec '{}' names no shards", spec));
  }
  return out;
}

}  // namespace tessera::datasets
