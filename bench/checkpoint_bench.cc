// tessera bench ckpt: what the checkpoint protocol costs over writing the
// same bytes durably by hand. Every rank holds `--mb` MiB of float32 state
// in 8 arrays; the baseline writes those bytes to one file per rank with
// write() + fsync() and a barrier. Measured, median of `--repeats`:
//   save (sync)        CheckpointStore::save(): HDF5 files, XXH3 checksums,
//                      fsyncs, manifest, renames, LATEST
//   save (async) call  how long the job is blocked: the copy to host memory
//   save (async) total until the background write has committed
//   resume             choosing the checkpoint (every file hashed) + reading
//                      every array back; baseline: read() of the raw files
// Reads come from the page cache when the files are still in it.
//
//   mpirun -np 2 tessera bench ckpt [--mb 64] [--repeats 3] [--dir /tmp] [--log-level debug]

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/bench_registry.h"
#include "runtime/checkpoint/checkpoint_store.h"
#include "runtime/error.h"
#include "runtime/session.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  double mb = 64;
  int repeats = 3;
  std::string dir = "/tmp";
  std::string log_level = "warn";  // "debug" shows each rank file's write/fsync/hash times
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void write_raw(const std::filesystem::path& file, const std::vector<std::vector<float>>& arrays) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw IoError(fmt::format("create {}: {}", file.string(), system_message(errno)));
  }
  for (const auto& a : arrays) {
    const char* p = reinterpret_cast<const char*>(a.data());
    std::size_t left = a.size() * sizeof(float);
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n <= 0) {
        ::close(fd);
        throw IoError(fmt::format("write {}: {}", file.string(), system_message(errno)));
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  ::fsync(fd);
  ::close(fd);
}

std::size_t read_raw(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  std::vector<char> buffer(1 << 20);
  std::size_t total = 0;
  for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) > 0;) {
    total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return total;
}

int run(BenchArgs& args) {
  Options options;
  CLI::App app("tessera bench ckpt (run under mpirun)", "ckpt");
  app.add_option("--mb", options.mb, "MiB of float32 state per rank")->check(CLI::PositiveNumber);
  app.add_option("--repeats", options.repeats, "runs per row (the median is shown)")->check(CLI::Range(1, 100));
  app.add_option("--dir", options.dir, "where checkpoints and raw files are written");
  app.add_option("--log-level", options.log_level, "debug shows each rank file's write/fsync/hash times");
  std::vector<std::string> argv(args.args.rbegin(), args.args.rend());
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::unique_ptr<runtime::Session> session = runtime::Session::start(args.argc, args.argv, options.log_level);
  runtime::Coordinator& c = session->coordinator();
  const int rank = c.rank();
  const std::size_t per_array = static_cast<std::size_t>(options.mb * 1024 * 1024 / 4 / 8);
  std::vector<std::vector<float>> arrays(8, std::vector<float>(per_array));
  for (std::size_t a = 0; a < arrays.size(); ++a) {
    std::iota(arrays[a].begin(), arrays[a].end(), static_cast<float>(rank * 100 + a));
  }
  const std::filesystem::path root = c.broadcast(
      rank == 0 ? (std::filesystem::path(options.dir) / fmt::format("tessera-bench-ckpt-{}", ::getpid())).string()
                : std::string(),
      0);
  if (rank == 0) {
    std::filesystem::create_directories(root);
  }
  c.barrier();
  auto state = [&](std::int64_t step) {
    runtime::CheckpointState s(step);
    for (std::size_t a = 0; a < arrays.size(); ++a) {
      s.add_local(fmt::format("a{}", a), runtime::array_ref(std::span<const float>(arrays[a])));
    }
    return s;
  };
  runtime::CheckpointIdentity id{"bench", "bench", "job: bench\n", {}};
  std::vector<double> raw_write, sync_save, async_call, async_total, raw_read, resume;
  for (int r = 0; r < options.repeats; ++r) {
    c.barrier();
    auto t = Clock::now();
    write_raw(root / fmt::format("raw-{}.bin", rank), arrays);
    c.barrier();
    raw_write.push_back(seconds_since(t));

    runtime::CheckpointConfig sync_config;
    sync_config.keep = 1;
    runtime::CheckpointStore sync_store(root / "sync", c, sync_config, id);
    c.barrier();
    t = Clock::now();
    sync_store.save(state(r + 1));
    sync_save.push_back(seconds_since(t));

    runtime::CheckpointConfig async_config = sync_config;
    async_config.async = true;
    runtime::CheckpointStore async_store(root / "async", c, async_config, id);
    c.barrier();
    t = Clock::now();
    async_store.save(state(r + 1));
    async_call.push_back(c.all_reduce_max(static_cast<std::int64_t>(seconds_since(t) * 1e6)) / 1e6);
    async_store.wait();
    c.barrier();
    async_total.push_back(seconds_since(t));

    c.barrier();
    t = Clock::now();
    read_raw(root / fmt::format("raw-{}.bin", rank));
    c.barrier();
    raw_read.push_back(seconds_since(t));

    runtime::CheckpointConfig resume_config = sync_config;
    runtime::CheckpointStore reader(root / "sync", c, resume_config, id);
    c.barrier();
    t = Clock::now();
    const runtime::Checkpoint* ckpt = reader.resume();
    std::vector<float> back(per_array);
    for (std::size_t a = 0; a < arrays.size(); ++a) {
      ckpt->read(fmt::format("a{}", a), runtime::mutable_array_ref(std::span(back)));
    }
    c.barrier();
    resume.push_back(seconds_since(t));
    if (back != arrays.back()) {
      throw InternalError("bench ckpt: read back different bytes");
    }
  }
  if (rank == 0) {
    const double total_gb = options.mb * c.size() / 1024;
    std::printf("# tessera bench ckpt: %d rank(s) x %.0f MiB float32 in 8 arrays, %s, median of %d\n", c.size(),
                options.mb, root.string().c_str(), options.repeats);
    std::printf("%-22s %10s %10s %12s\n", "what", "seconds", "GiB/s", "vs baseline");
    auto row = [&](const char* what, double s, double base) {
      std::printf("%-22s %10.3f %10.2f %12s\n", what, s, total_gb / s,
                  base > 0 ? fmt::format("{:.2f}x", s / base).c_str() : "baseline");
    };
    row("write+fsync (raw)", median(raw_write), 0);
    row("save (sync)", median(sync_save), median(raw_write));
    row("save (async) call", median(async_call), median(raw_write));
    row("save (async) total", median(async_total), median(raw_write));
    row("read (raw)", median(raw_read), 0);
    row("resume (verify+read)", median(resume), median(raw_read));
    std::filesystem::remove_all(root);
  }
  c.barrier();
  return 0;
}

}  // namespace

void register_checkpoint_bench(BenchRegistry& registry) {
  registry.add({"ckpt", "checkpoint save (sync/async) and resume vs raw write+fsync/read of the same bytes", run});
}

}  // namespace tessera::bench
