#pragma once

// Internal to jobs/sweep: a small binary encoding (little-endian, length-
// prefixed) for chunk results travelling between ranks and into the journal.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "jobs/sweep/task_result.h"
#include "runtime/error.h"

namespace tessera::jobs::sweep::detail {

class ByteWriter {
 public:
  void u64(std::uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  void result(const ChunkResult& r) {
    i64(r.counts.shots);
    i64(r.counts.errors);
    i64(r.counts.discards);
    f64(r.counts.seconds);
    u64(r.counts.custom.size());
    for (const auto& [k, v] : r.counts.custom) {
      str(k);
      i64(v);
    }
    u64(r.arrays.size());
    for (const auto& [name, a] : r.arrays) {
      str(name);
      u64(a.shape.size());
      for (std::uint64_t d : a.shape) {
        u64(d);
      }
      u64(a.values.size());
      out_.append(reinterpret_cast<const char*>(a.values.data()), a.values.size() * sizeof(double));
    }
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  std::uint64_t u64() {
    std::uint64_t v;
    take(&v, sizeof v);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  double f64() {
    double v;
    take(&v, sizeof v);
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    need(n);
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  ChunkResult result() {
    ChunkResult r;
    r.counts.shots = i64();
    r.counts.errors = i64();
    r.counts.discards = i64();
    r.counts.seconds = f64();
    for (std::uint64_t n = u64(); n > 0; --n) {
      std::string k = str();
      r.counts.custom[k] = i64();
    }
    for (std::uint64_t n = u64(); n > 0; --n) {
      NumericArray& a = r.arrays[str()];
      a.shape.resize(u64());
      for (std::uint64_t& d : a.shape) {
        d = u64();
      }
      a.values.resize(u64());
      take(a.values.data(), a.values.size() * sizeof(double));
    }
    return r;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  void need(std::uint64_t n) const {
    if (n > in_.size() - pos_) {
      throw InternalError("sweep message ends early");
    }
  }
  void take(void* dst, std::size_t n) {
    need(n);
    std::memcpy(dst, in_.data() + pos_, n);
    pos_ += n;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace tessera::jobs::sweep::detail
