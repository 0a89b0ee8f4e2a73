// tessera bench comm: the Communicator against raw MPI calls, in the same run.
//
//   mpirun -np 2 tessera bench comm [--ops all_reduce,all_gather,...]
//          [--min-bytes 8] [--max-bytes 256M] [--dtype f32] [--rounds 5]
//
// For each op and size (powers of two) it prints the nccl-tests columns for
// tessera (the mpi backend, synchronous calls) and for the same MPI call made
// directly on a duplicate of MPI_COMM_WORLD, then the busbw ratio and the
// latency tessera adds per call. Sizes follow nccl-tests: all_reduce and
// broadcast the buffer, all_gather the gathered buffer, reduce_scatter the
// input, all_to_all the send buffer (all per rank). A time is per call, the
// slowest rank's, and the median over rounds; tessera and MPI rounds
// alternate so drift on a shared machine hits both. busbw = algbw x
// 2(n-1)/n (all_reduce), (n-1)/n (all_gather, reduce_scatter, all_to_all),
// 1 (broadcast). #wrong counts wrong elements in a checked call afterwards.

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/bench_registry.h"
#include "comm/mpi/mpi_communicator.h"
#include "comm/mpi/mpi_types.h"
#include "runtime/error.h"
#include "runtime/session.h"

namespace tessera::bench {
namespace {

using comm::Buffer;
using comm::DType;
using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<std::string> ops = {"all_reduce", "all_gather", "reduce_scatter", "all_to_all",
                                  "broadcast"};
  std::string min_bytes = "8";
  std::string max_bytes = "256M";
  std::string dtype = "f32";
  int rounds = 5;
  double seconds_per_round = 0.02;  // timed iterations per round aim at this
};

std::size_t parse_bytes(const std::string& text) {
  std::size_t end = 0;
  const double value = std::stod(text, &end);
  const std::string unit = text.substr(end);
  const double scale = unit.empty() || unit == "B" ? 1
                       : unit == "K"               ? 1024.0
                       : unit == "M"               ? 1024.0 * 1024
                       : unit == "G"               ? 1024.0 * 1024 * 1024
                                                   : -1;
  if (scale < 0) {
    throw ConfigError(fmt::format("size '{}': use a number with an optional K, M or G", text));
  }
  return static_cast<std::size_t>(value * scale);
}

DType parse_dtype(const std::string& name) {
  for (DType d : comm::kAllDTypes) {
    if (comm::dtype_name(d) == name) {
      return d;
    }
  }
  throw ConfigError(fmt::format("--dtype {}: use f32, f64, f16, bf16, i32, i64 or u8", name));
}

// One op at one size: buffers, both ways of calling it, its expected result.
class Case {
 public:
  Case(std::string op, std::size_t bytes, DType dtype, comm::Communicator& tessera, MPI_Comm raw)
      : op_(std::move(op)), dtype_(dtype), tessera_(tessera), raw_(raw) {
    const std::size_t esize = comm::dtype_size(dtype);
    n_ = static_cast<std::size_t>(tessera.size());
    const bool blocked = op_ == "all_gather" || op_ == "reduce_scatter" || op_ == "all_to_all";
    count_ = std::max<std::size_t>(1, bytes / esize);
    if (blocked) {
      block_ = std::max<std::size_t>(1, count_ / n_);
      count_ = block_ * n_;
    }
    bytes_ = count_ * esize;
    const std::size_t send_count = op_ == "all_gather" ? block_ : count_;
    const std::size_t recv_count = op_ == "reduce_scatter" ? block_ : count_;
    send_.assign(send_count * esize, std::byte{0});
    recv_.assign(recv_count * esize, std::byte{0});
  }

  std::size_t bytes() const { return bytes_; }
  std::size_t count() const { return count_; }
  const std::string& op() const { return op_; }

  double bus_factor() const {
    const double n = static_cast<double>(n_);
    if (op_ == "all_reduce") {
      return 2 * (n - 1) / n;
    }
    return op_ == "broadcast" ? 1.0 : (n - 1) / n;
  }

  void run_tessera() {
    Buffer send = view(send_);
    Buffer recv = view(recv_);
    if (op_ == "all_reduce") {
      tessera_.all_reduce(send, recv).wait();
    } else if (op_ == "all_gather") {
      tessera_.all_gather(send, recv).wait();
    } else if (op_ == "reduce_scatter") {
      tessera_.reduce_scatter(send, recv).wait();
    } else if (op_ == "all_to_all") {
      tessera_.all_to_all(send, recv).wait();
    } else {
      tessera_.broadcast(send).wait();
    }
  }

  void run_mpi() {
    const MPI_Datatype type = comm::mpi_datatype(dtype_);
    void* send = send_.data();
    void* recv = recv_.data();
    const int count = static_cast<int>(count_);
    const int block = static_cast<int>(block_);
    if (op_ == "all_reduce") {
      MPI_Allreduce(send, recv, count, type, sum_op(), raw_);
    } else if (op_ == "all_gather") {
      MPI_Allgather(send, block, type, recv, block, type, raw_);
    } else if (op_ == "reduce_scatter") {
      MPI_Reduce_scatter_block(send, recv, block, type, sum_op(), raw_);
    } else if (op_ == "all_to_all") {
      MPI_Alltoall(send, block, type, recv, block, type, raw_);
    } else {
      MPI_Bcast(send, count, type, 0, raw_);
    }
  }

  // Fills inputs with a rank pattern, runs once, counts wrong elements.
  std::uint64_t check(bool use_tessera) {
    const int rank = tessera_.rank();
    fill(send_, [&](std::size_t i) { return value(rank, i); });
    fill(recv_, [](std::size_t) { return -1.0; });
    use_tessera ? run_tessera() : run_mpi();
    const auto n = static_cast<int>(n_);
    std::uint64_t wrong = 0;
    auto expect = [&](const std::vector<std::byte>& got, std::size_t elements, auto f) {
      for (std::size_t i = 0; i < elements; ++i) {
        wrong += read(got, i) != f(i) ? 1 : 0;
      }
    };
    if (op_ == "all_reduce") {
      expect(recv_, count_, [&](std::size_t i) { return sum_over_ranks(i, n); });
    } else if (op_ == "all_gather") {
      expect(recv_, count_, [&](std::size_t j) { return value(static_cast<int>(j / block_), j % block_); });
    } else if (op_ == "reduce_scatter") {
      expect(recv_, block_, [&](std::size_t i) { return sum_over_ranks(rank * block_ + i, n); });
    } else if (op_ == "all_to_all") {
      expect(recv_, count_, [&](std::size_t j) {
        return value(static_cast<int>(j / block_), rank * block_ + j % block_);
      });
    } else {
      expect(send_, count_, [&](std::size_t i) { return value(0, i); });
    }
    return wrong;
  }

 private:
  // Small integers: exact in every dtype and their sums too.
  static double value(int rank, std::size_t i) { return static_cast<double>((i + 3 * rank) % 7); }
  static double sum_over_ranks(std::size_t i, int n) {
    double s = 0;
    for (int r = 0; r < n; ++r) {
      s += value(r, i);
    }
    return s;
  }
  MPI_Op sum_op() const { return ops_.get(dtype_, comm::ReduceOp::kSum); }
  Buffer view(std::vector<std::byte>& bytes) const {
    return {bytes.data(), bytes.size() / comm::dtype_size(dtype_), dtype_, comm::Device::cpu()};
  }
  template <class F>
  void fill(std::vector<std::byte>& bytes, F f) const {
    for (std::size_t i = 0; i < bytes.size() / comm::dtype_size(dtype_); ++i) {
      write(bytes, i, f(i));
    }
  }
  void write(std::vector<std::byte>& bytes, std::size_t i, double v) const {
    std::byte* p = bytes.data() + i * comm::dtype_size(dtype_);
    auto put = [p](auto x) { std::memcpy(p, &x, sizeof x); };
    switch (dtype_) {
      case DType::kF32: return put(static_cast<float>(v));
      case DType::kF64: return put(v);
      case DType::kF16: return put(comm::to_half(static_cast<float>(v)));
      case DType::kBF16: return put(comm::to_bfloat16(static_cast<float>(v)));
      case DType::kI32: return put(static_cast<std::int32_t>(v));
      case DType::kI64: return put(static_cast<std::int64_t>(v));
      case DType::kU8: return put(static_cast<std::uint8_t>(v));
    }
  }
  double read(const std::vector<std::byte>& bytes, std::size_t i) const {
    const std::byte* p = bytes.data() + i * comm::dtype_size(dtype_);
    auto get = [p](auto x) { std::memcpy(&x, p, sizeof x); return x; };
    switch (dtype_) {
      case DType::kF32: return get(0.0F);
      case DType::kF64: return get(0.0);
      case DType::kF16: return comm::to_float(get(comm::Half{}));
      case DType::kBF16: return comm::to_float(get(comm::BFloat16{}));
      case DType::kI32: return get(std::int32_t{});
      case DType::kI64: return static_cast<double>(get(std::int64_t{}));
      case DType::kU8: return get(std::uint8_t{});
    }
    return 0;
  }

  std::string op_;
  DType dtype_;
  comm::Communicator& tessera_;
  MPI_Comm raw_;
  comm::MpiReduceOps ops_;
  std::size_t n_ = 1;
  std::size_t count_ = 0;
  std::size_t block_ = 0;
  std::size_t bytes_ = 0;
  std::vector<std::byte> send_;
  std::vector<std::byte> recv_;
};

// Seconds per call of `call` over `iters` calls: the slowest rank's.
double time_per_call(MPI_Comm raw, int iters, const std::function<void()>& call) {
  MPI_Barrier(raw);
  const auto start = Clock::now();
  for (int i = 0; i < iters; ++i) {
    call();
  }
  double mine = std::chrono::duration<double>(Clock::now() - start).count() / iters;
  double slowest = 0;
  MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, raw);
  return slowest;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Summary {
  std::vector<double> ratios;        // busbw ratio, sizes >= 64 KiB
  std::map<std::string, double> added_latency_us;  // at the smallest size
};

void run_op(const std::string& op, const Options& o, DType dtype, comm::Communicator& tessera,
            MPI_Comm raw, Summary& summary) {
  const std::size_t lo = parse_bytes(o.min_bytes);
  const std::size_t hi = parse_bytes(o.max_bytes);
  const int rank = tessera.rank();
  for (std::size_t bytes = lo; bytes <= hi; bytes *= 2) {
    Case c(op, bytes, dtype, tessera, raw);
    // Iterations per round from one warm call each, agreed on by all ranks.
    c.run_tessera();
    c.run_mpi();
    double once = time_per_call(raw, 1, [&] { c.run_mpi(); });
    int iters = static_cast<int>(std::clamp(o.seconds_per_round / std::max(once, 1e-7), 1.0, 2000.0));
    MPI_Bcast(&iters, 1, MPI_INT, 0, raw);
    std::vector<double> ours;
    std::vector<double> theirs;
    for (int round = 0; round < o.rounds; ++round) {
      ours.push_back(time_per_call(raw, iters, [&] { c.run_tessera(); }));
      theirs.push_back(time_per_call(raw, iters, [&] { c.run_mpi(); }));
    }
    std::uint64_t wrong[2] = {c.check(true), c.check(false)};
    MPI_Allreduce(MPI_IN_PLACE, wrong, 2, MPI_UINT64_T, MPI_SUM, raw);
    const double t_ours = median(ours);
    const double t_mpi = median(theirs);
    const auto algbw = [&](double t) { return static_cast<double>(c.bytes()) / t / 1e9; };
    const double ratio = algbw(t_ours) / algbw(t_mpi);
    if (c.bytes() >= 64 * 1024) {
      summary.ratios.push_back(ratio);
    }
    if (bytes == lo) {
      summary.added_latency_us[op] = (t_ours - t_mpi) * 1e6;
    }
    if (rank == 0) {
      const bool reduces = op == "all_reduce" || op == "reduce_scatter";
      fmt::print("{:>14} {:>11} {:>10} {:>4} {:>5} {:>4}  {:>10.2f} {:>7.3f} {:>7.3f} {:>6}  "
                 "{:>10.2f} {:>7.3f} {:>7.3f} {:>6}  {:>6.3f} {:>+8.2f}\n",
                 op, c.bytes(), c.count(), comm::dtype_name(dtype), reduces ? "sum" : "none",
                 op == "broadcast" ? "0" : "-1", t_ours * 1e6, algbw(t_ours),
                 algbw(t_ours) * c.bus_factor(), wrong[0], t_mpi * 1e6, algbw(t_mpi),
                 algbw(t_mpi) * c.bus_factor(), wrong[1], ratio, (t_ours - t_mpi) * 1e6);
      std::fflush(stdout);
    }
  }
}

int run(BenchArgs& args) {
  Options o;
  CLI::App app("tessera bench comm (run under mpirun)", "comm");
  app.add_option("--ops", o.ops, "all_reduce all_gather reduce_scatter all_to_all broadcast")
      ->delimiter(',');
  app.add_option("--min-bytes", o.min_bytes, "smallest size (8, 64K, 1M, ...)");
  app.add_option("--max-bytes", o.max_bytes, "largest size");
  app.add_option("--dtype", o.dtype, "f32 f64 f16 bf16 i32 i64 u8");
  app.add_option("--rounds", o.rounds, "alternating timed rounds per size")->check(CLI::Range(1, 100));
  app.add_option("--seconds-per-round", o.seconds_per_round, "target time of one round");
  std::vector<std::string> argv(args.args.rbegin(), args.args.rend());
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const DType dtype = parse_dtype(o.dtype);
  std::unique_ptr<runtime::Session> session = runtime::Session::start(args.argc, args.argv, "warn");
  if (session->mpi() == nullptr) {
    throw ConfigError("tessera bench comm needs MPI: run it under mpirun (or srun --mpi=pmix)");
  }
  std::unique_ptr<comm::MpiCommunicator> tessera = comm::MpiCommunicator::create(MPI_COMM_WORLD);
  MPI_Comm raw = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &raw);
  const int n = tessera->size();
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (tessera->rank() == 0) {
    fmt::print("# tessera bench comm: {} ranks over mpi on {} cores{}; per-call time = slowest "
               "rank, median of {} alternating rounds\n",
               n, cores, n > cores ? " (oversubscribed: ranks share cores)" : "", o.rounds);
    fmt::print("# {:>12} {:>11} {:>10} {:>4} {:>5} {:>4}  {:-^34}  {:-^34}  {:>6} {:>8}\n", "", "",
               "", "", "", "", " tessera ", " raw MPI ", "busbw", "added");
    fmt::print("# {:>12} {:>11} {:>10} {:>4} {:>5} {:>4}  {:>10} {:>7} {:>7} {:>6}  {:>10} {:>7} "
               "{:>7} {:>6}  {:>6} {:>8}\n",
               "op", "size(B)", "count", "type", "redop", "root", "time(us)", "algbw", "busbw",
               "#wrong", "time(us)", "algbw", "busbw", "#wrong", "ratio", "lat(us)");
  }
  Summary summary;
  for (const std::string& op : o.ops) {
    if (op != "all_reduce" && op != "all_gather" && op != "reduce_scatter" && op != "all_to_all" &&
        op != "broadcast") {
      throw ConfigError(fmt::format("--ops: unknown op '{}'", op));
    }
    run_op(op, o, dtype, *tessera, raw, summary);
  }
  if (tessera->rank() == 0) {
    if (!summary.ratios.empty()) {
      double log_sum = 0;
      for (double r : summary.ratios) {
        log_sum += std::log(r);
      }
      fmt::print("# busbw tessera/MPI from 64 KiB up: min {:.3f}, geometric mean {:.3f} over {} "
                 "sizes (target >= 0.95)\n",
                 *std::min_element(summary.ratios.begin(), summary.ratios.end()),
                 std::exp(log_sum / static_cast<double>(summary.ratios.size())),
                 summary.ratios.size());
    }
    for (const auto& [op, us] : summary.added_latency_us) {
      fmt::print("# added latency at {}: {} {:+.2f} us per call (target <= 2)\n", o.min_bytes, op, us);
    }
  }
  MPI_Comm_free(&raw);
  return 0;
}

}  // namespace

void register_comm_bench(BenchRegistry& registry) {
  registry.add({"comm", "collectives through tessera vs raw MPI (nccl-tests columns; mpirun)", &run});
}

}  // namespace tessera::bench
