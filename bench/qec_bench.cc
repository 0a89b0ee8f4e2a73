// tessera bench qec: repetition-code memory throughput, shots per CPU-second
// for sampling alone, decoding alone and end to end, beside the Stim +
// PyMatching figures measured on the reference machine (Stim 1.17.dev0
// FrameSimulator in-process, PyMatching 2.3.1 in-process; p = 0.001, all four
// noise knobs; /work/shared/notes/qec-anchor.md section 2). Stim and
// PyMatching are not installed here, so the in-run baselines are tessera's
// own generic paths: the full Pauli frame (both components, re-randomised
// after every measurement, as Stim does) and the union-find decoder.
//
//   tessera bench qec [--distances 3,5,7,9,11] [--rounds 10,50] [--p 0.001]
//                     [--decoder mwpm|union_find] [--seconds 0.4] [--repeats 3]

#include <time.h>

#include <algorithm>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "bench/bench_registry.h"
#include "jobs/qec/memory_experiment.h"
#include "runtime/error.h"

namespace tessera::bench {
namespace {

using jobs::qec::MemoryExperiment;
using jobs::qec::ShotCounts;
namespace quantum = jobs::quantum;

struct Options {
  std::vector<int> distances{3, 5, 7, 9, 11};
  std::vector<int> rounds{10, 50};
  double p = 0.001;
  std::string decoder = "mwpm";
  double seconds = 0.4;
  int repeats = 3;
};

// Stim + PyMatching per core at p = 0.001: (a') sampling, (b') decoding, (c) end to end, M shots/s.
struct Reference {
  double sample;
  double decode;
  double end_to_end;
};
const std::map<std::pair<int, int>, Reference> kStimPyMatching{
    {{3, 10}, {41.6, 28.1, 16.4}}, {{5, 10}, {36.8, 18.9, 12.4}}, {{7, 10}, {33.9, 14.5, 10.2}},
    {{9, 10}, {28.2, 10.8, 7.7}},  {{11, 10}, {27.6, 9.4, 7.0}},  {{3, 50}, {24.2, 9.9, 7.1}},
    {{5, 50}, {17.3, 5.1, 4.0}},   {{7, 50}, {12.2, 3.6, 2.8}},   {{9, 50}, {10.5, 2.7, 2.2}},
    {{11, 50}, {9.0, 2.2, 1.75}},
};

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<int> parse_ints(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    out.push_back(std::stoi(item));
  }
  return out;
}

Options parse(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) {
        throw ConfigError(fmt::format("bench qec: {} needs a value", a));
      }
      return args[++i];
    };
    if (a == "--distances") {
      o.distances = parse_ints(value());
    } else if (a == "--rounds") {
      o.rounds = parse_ints(value());
    } else if (a == "--p") {
      o.p = std::stod(value());
    } else if (a == "--decoder") {
      o.decoder = value();
    } else if (a == "--seconds") {
      o.seconds = std::stod(value());
    } else if (a == "--repeats") {
      o.repeats = std::stoi(value());
    } else if (a == "--help" || a == "-h") {
      fmt::print("tessera bench qec [--distances 3,5,7,9,11] [--rounds 10,50] [--p 0.001]\n"
                 "                  [--decoder mwpm|union_find] [--seconds 0.4] [--repeats 3]\n");
      std::exit(0);
    } else {
      throw ConfigError(fmt::format("bench qec: unknown option '{}' (see --help)", a));
    }
  }
  return o;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Shots per CPU-second of sampling alone.
double sampling_rate(quantum::FrameSimulator& sim, double seconds, std::uint64_t seed) {
  runtime::Rng rng(seed);
  quantum::DetectionEvents events;
  std::int64_t shots = 0;
  const double start = cpu_seconds();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 16; ++i) {
      sim.sample(sim.batch_shots(), rng, events);
      shots += static_cast<std::int64_t>(sim.batch_shots());
    }
    elapsed = cpu_seconds() - start;
  }
  return static_cast<double>(shots) / elapsed;
}

struct Row {
  double sample = 0;
  double sample_full_frame = 0;
  double decode = 0;
  double end_to_end = 0;
  double end_to_end_union_find = 0;
  ShotCounts counts;
};

Row measure(const Options& o, int d, int r) {
  const quantum::RepetitionCode code{.distance = d, .rounds = r,
                                     .noise = quantum::RepetitionCodeNoise::uniform(o.p)};
  MemoryExperiment experiment(code, o.decoder);
  MemoryExperiment union_find(code, "union_find");
  quantum::FrameSimulator full_frame(experiment.circuit(), {.reduce_frame = false});
  Row row;
  std::vector<double> sample;
  std::vector<double> sample_full;
  std::vector<double> decode;
  std::vector<double> e2e;
  std::vector<double> e2e_uf;
  // Warm-up: fills the MWPM decoder's distance rows.
  runtime::Rng warm(1);
  experiment.run(1 << 16, warm);
  union_find.run(1 << 14, warm);
  for (int rep = 0; rep < o.repeats; ++rep) {
    sample.push_back(sampling_rate(experiment.simulator(), o.seconds, 100 + rep));
    sample_full.push_back(sampling_rate(full_frame, o.seconds, 200 + rep));

    // Decoding alone: a fixed set of sampled batches decoded repeatedly.
    std::vector<quantum::DetectionEvents> batches(
        static_cast<std::size_t>(std::clamp(sample.back() * o.seconds / 2 / 1024, 64.0, 2048.0)));
    runtime::Rng rng(300 + rep);
    for (auto& b : batches) {
      experiment.simulator().sample(1024, rng, b);
    }
    std::int64_t shots = 0;
    const double start = cpu_seconds();
    double elapsed = 0;
    while (elapsed < o.seconds) {
      for (const auto& b : batches) {
        shots += jobs::qec::decode_and_count(experiment.decoder(), b).shots;
      }
      elapsed = cpu_seconds() - start;
    }
    decode.push_back(static_cast<double>(shots) / elapsed);

    auto end_to_end = [&](MemoryExperiment& e, std::uint64_t seed, ShotCounts* total) {
      runtime::Rng g(seed);
      const double t0 = cpu_seconds();
      std::int64_t n = 0;
      double t = 0;
      while (t < o.seconds) {
        const ShotCounts c = e.run(1 << 16, g);
        n += c.shots;
        if (total != nullptr) {
          total->shots += c.shots;
          total->errors += c.errors;
        }
        t = cpu_seconds() - t0;
      }
      return static_cast<double>(n) / t;
    };
    e2e.push_back(end_to_end(experiment, 400 + rep, &row.counts));
    e2e_uf.push_back(end_to_end(union_find, 500 + rep, nullptr));
  }
  row.sample = median(sample);
  row.sample_full_frame = median(sample_full);
  row.decode = median(decode);
  row.end_to_end = median(e2e);
  row.end_to_end_union_find = median(e2e_uf);
  return row;
}

int run_qec_bench(BenchArgs& args) {
  const Options o = parse(args.args);
  fmt::print("# tessera bench qec: repetition-code memory, p = {}, decoder {}, one core\n", o.p, o.decoder);
  fmt::print("# shots per CPU-second (millions), median of {} runs of >= {} s each\n", o.repeats, o.seconds);
  fmt::print("# stim / pm: Stim + PyMatching in-process per core on the reference machine (qec-anchor.md);\n");
  fmt::print("#   ratio = tessera / reference. full-frame: tessera's frame simulator keeping both Pauli\n");
  fmt::print("#   components as Stim does; uf: end to end with the union-find decoder.\n");
  fmt::print("{:>3} {:>3} | {:>8} {:>8} {:>6} {:>10} | {:>8} {:>8} {:>6} | {:>8} {:>8} {:>6} {:>8} | {:>10}\n",
             "d", "r", "sample", "stim", "ratio", "full-frame", "decode", "pm", "ratio", "e2e", "stim+pm",
             "ratio", "e2e uf", "errors");
  for (int r : o.rounds) {
    for (int d : o.distances) {
      const Row row = measure(o, d, r);
      auto ref = kStimPyMatching.find({d, r});
      const bool have = ref != kStimPyMatching.end() && o.p == 0.001;
      auto cell = [&](double v) { return have ? fmt::format("{:8.2f}", v) : fmt::format("{:>8}", "-"); };
      auto ratio = [&](double mine, double theirs) {
        return have ? fmt::format("{:6.2f}", mine / 1e6 / theirs) : fmt::format("{:>6}", "-");
      };
      fmt::print("{:>3} {:>3} | {:8.2f} {} {} {:10.2f} | {:8.2f} {} {} | {:8.2f} {} {} {:8.2f} | {:>10}\n", d, r,
                 row.sample / 1e6, cell(have ? ref->second.sample : 0), ratio(row.sample, have ? ref->second.sample : 1),
                 row.sample_full_frame / 1e6, row.decode / 1e6, cell(have ? ref->second.decode : 0),
                 ratio(row.decode, have ? ref->second.decode : 1), row.end_to_end / 1e6,
                 cell(have ? ref->second.end_to_end : 0), ratio(row.end_to_end, have ? ref->second.end_to_end : 1),
                 row.end_to_end_union_find / 1e6, fmt::format("{}/{}", row.counts.errors, row.counts.shots));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

void register_qec_bench(BenchRegistry& registry) {
  registry.add({"qec", "repetition-code sampling/decoding/end-to-end shots per CPU-second vs Stim+PyMatching",
                run_qec_bench});
}

}  // namespace tessera::bench
