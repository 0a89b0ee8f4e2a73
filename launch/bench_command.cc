// tessera bench NAME [options]: run a benchmark beside its baseline.

#include <memory>

#include <fmt/format.h>

#include "bench/bench_registry.h"
#include "launch/cli.h"
#include "runtime/error.h"

namespace tessera::launch {
namespace {

struct BenchOptions {
  std::string name;
  std::vector<std::string> args;
};

int run_bench(BenchOptions& options, Cli& cli) {
  bench::BenchRegistry registry;
  bench::register_benchmarks(registry);
  if (options.name.empty() || options.name.starts_with("-")) {
    fmt::print("benchmarks (tessera bench NAME --help for options):\n");
    for (const bench::Benchmark* b : registry.all()) {
      fmt::print("  {:<14} {}\n", b->name, b->summary);
    }
    return kExitOk;
  }
  const bench::Benchmark* b = registry.find(options.name);
  if (b == nullptr) {
    throw ConfigError(fmt::format("no benchmark '{}' (run `tessera bench` for the list)", options.name));
  }
  bench::BenchArgs args{options.args, cli.argc, cli.argv};
  return b->run(args);
}

}  // namespace

void add_bench_command(CLI::App& app, Cli& cli) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* command = app.add_subcommand("bench", "Run a benchmark beside its baseline (list: tessera bench)");
  command->add_option("name", options->name, "benchmark");
  // Everything after NAME belongs to the benchmark, options included (a
  // positional "args" option would keep the values and drop the --flags).
  command->prefix_command();
  command->set_help_flag();  // `tessera bench NAME --help` is the benchmark's own help
  command->footer("Arguments after NAME go to the benchmark: tessera bench NAME --help");
  command->callback([&cli, options, command] {
    options->args = command->remaining();
    cli.action = [&cli, options] { return run_bench(*options, cli); };
  });
}

}  // namespace tessera::launch
