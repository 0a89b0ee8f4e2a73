#pragma once

// Benchmarks behind `tessera bench NAME [options]`. Each benchmark measures
// tessera and a baseline in the same run and prints both with their ratio
// (nccl-tests columns where they apply). Benchmarks never run in the test
// suite's timing assertions; a small smoke run of each may.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::bench {

// What a benchmark gets: its own arguments (after the name), and argc/argv
// for runtime::Session::start when it runs on several ranks.
struct BenchArgs {
  std::vector<std::string> args;
  int* argc;
  char*** argv;
};

struct Benchmark {
  std::string name;                       // `tessera bench <name>`
  std::string summary;                    // one line for the list
  std::function<int(BenchArgs&)> run;     // returns the exit code
};

class BenchRegistry {
 public:
  // Throws InternalError if the name is taken.
  void add(Benchmark benchmark);
  const Benchmark* find(std::string_view name) const;
  // Sorted by name.
  std::vector<const Benchmark*> all() const;

 private:
  std::vector<Benchmark> benchmarks_;
};

// Adds every benchmark of this build. Each benchmark file provides a
// register_<name>_bench() function that this calls.
void register_benchmarks(BenchRegistry& registry);

}  // namespace tessera::bench
