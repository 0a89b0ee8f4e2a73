#include "jobs/photons/photons_job.h"

#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "comm/factory.h"
#include "jobs/photons/photon_plots.h"
#include "jobs/photons/photons_kernel.h"
#include "jobs/sweep/sweep_engine.h"
#include "runtime/error.h"
#include "runtime/run_dir.h"

namespace tessera::jobs::photons {
namespace {

// Rows for summary.txt and the figures: the finished tasks of this grid.
struct Row {
  PlottedTask plotted;
  double cycles_final_bound = 0;
  double seconds = 0;
  std::int64_t amplitudes = 0;
};

std::vector<Row> rows_of(const std::vector<sweep::TaskRecord>& records) {
  std::vector<Row> rows;
  for (const sweep::TaskRecord& r : records) {
    auto occupation = r.total.arrays.find("occupation");
    auto bound = r.total.arrays.find("bound");
    if (!r.finished || occupation == r.total.arrays.end() || bound == r.total.arrays.end()) {
      continue;
    }
    Row row;
    row.plotted.geometry = r.params.at("geometry").get<std::string>();
    row.plotted.photons = r.params.at("photons").get<int>();
    row.plotted.phi = r.params.at("phi").get<double>();
    row.plotted.cycles = static_cast<int>(occupation->second.shape.at(0)) - 1;
    row.plotted.sites = static_cast<int>(occupation->second.shape.at(1));
    row.plotted.occupation = occupation->second.values;
    row.plotted.bound = bound->second.values;
    row.cycles_final_bound = bound->second.values.back();
    row.seconds = r.total.counts.seconds;
    auto amplitudes = r.total.counts.custom.find("amplitudes");
    row.amplitudes = amplitudes == r.total.counts.custom.end() ? 0 : amplitudes->second;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string summary(const std::vector<Row>& rows) {
  std::string out = fmt::format("{:<16} {:>7} {:>9} {:>7} {:>12} {:>12} {:>12} {:>9}\n", "geometry", "photons",
                                "phi", "cycles", "bound(last)", "bound(late)", "amplitudes", "seconds");
  for (const Row& r : rows) {
    out += fmt::format("{:<16} {:>7} {:>9.4f} {:>7} {:>12.6f} {:>12.6f} {:>12} {:>9.3f}\n", r.plotted.geometry,
                       r.plotted.photons, r.plotted.phi, r.plotted.cycles, r.cycles_final_bound,
                       late_bound_probability(r.plotted.bound), r.amplitudes, r.seconds);
  }
  out += "bound(late): mean bound probability over the second half of the cycles\n";
  return out;
}

// "12.0 KiB", "128.0 MiB", "8.0 GiB".
std::string bytes_text(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

// One task per (geometry, photons, phi) for the figures: the one with most cycles.
std::vector<PlottedTask> plotted(const std::vector<Row>& rows) {
  std::map<std::tuple<std::string, int, double>, const Row*> best;
  for (const Row& r : rows) {
    const Row*& slot = best[{r.plotted.geometry, r.plotted.photons, r.plotted.phi}];
    if (slot == nullptr || slot->plotted.cycles < r.plotted.cycles) {
      slot = &r;
    }
  }
  std::vector<PlottedTask> out;
  for (const auto& [key, row] : best) {
    out.push_back(row->plotted);
  }
  return out;
}

}  // namespace

void PlotsConfig::fields(config::Fields& f) {
  f("enabled", enabled, "draw the figures into the run directory at the end");
}

PhotonsConfig::PhotonsConfig() {
  sweep.grid = YAML::Load("{photons: [2, 3], phi: [0.0, 1.0471975511965976, 2.0943951023931953]}");
  sweep.max_shots = 1;
  sweep.first_chunk_shots = 1;
  sweep.max_chunk_shots = 1;
}

void PhotonsConfig::fields(config::Fields& f) {
  f("geometries", geometries, "the geometries the sweep's geometry axis can name");
  f("experiment", experiment, "every task's defaults (a grid key of the same name overrides one)");
  f("simulator", simulator, "how the states are held and evolved");
  if (f.parsing()) {
    std::set<std::string> seen;
    for (const GeometryConfig& g : geometries) {
      if (!seen.insert(g.name).second) {
        f.issue("geometries", fmt::format("the name '{}' is used twice", g.name));
      }
    }
    if (geometries.empty()) {
      f.issue("geometries", "needs at least one geometry");
    }
    validator_ = std::make_shared<const PhotonsKernel>(geometries, experiment, simulator);
    sweep.kernel = validator_.get();
  }
  f("sweep", sweep,
    "the parameter sweep: grid over photons, phi, cycles, geometry, theta, theta_extra, phi_extra, center");
  f("plots", plots, "figures at the end of the run");
}

void PhotonsJob::run(runtime::JobContext& context) {
  const bool root = context.launch.rank == 0;
  std::unique_ptr<comm::Communicator> comm;
  if (config_.simulator.kind == "distributed") {
    comm = comm::make_communicator(context.spec.runtime, context.launch);
  }
  PhotonsKernel kernel(config_.geometries, config_.experiment, config_.simulator,
                       context.spec.runtime.threads_per_rank, comm.get());
  sweep::SweepEngine engine(config_.sweep, kernel, context);
  if (root) {
    // The memory each state needs, before anything runs.
    std::set<std::pair<std::string, int>> shown;
    for (const sweep::Task& task : engine.tasks()) {
      const PhotonPoint p = kernel.point(task.description.params);
      if (shown.insert({p.geometry, p.task.photons}).second) {
        const std::uint64_t bytes = state_bytes(kernel.geometry(p.geometry), p.task.photons, kernel.options(),
                                                comm ? comm->size() : 1);
        spdlog::info("photons: {} photons on {}: {} per state{}", p.task.photons, p.geometry, bytes_text(bytes),
                     comm ? " per rank (with the exchange buffers)" : "");
      }
    }
  }
  std::vector<sweep::TaskRecord> records = engine.run();
  if (!root || records.empty()) {
    return;
  }
  records.resize(std::min(records.size(), engine.tasks().size()));  // this grid's tasks
  const std::vector<Row> rows = rows_of(records);
  const std::string table = summary(rows);
  runtime::write_file_atomically(context.run_dir.root() / "summary.txt", table);
  spdlog::info("photons: {} of {} tasks done{}:\n{}", rows.size(), engine.tasks().size(),
               engine.stopped() ? " (the sweep was stopped; rerun to resume)" : "", table);
  if (config_.plots.enabled && !rows.empty()) {
    try {
      for (const auto& file : plot_photons(plotted(rows), context.run_dir.root())) {
        spdlog::info("photons: figure {}", file.string());
      }
    } catch (const IoError& e) {
      spdlog::warn("photons: no figures: {}", e.what());
    }
  }
}

void register_photons(runtime::JobRegistry& registry) {
  registry.add<PhotonsConfig, PhotonsJob>(
      "photons", "bound states of interacting photons: fSim ring sweeps (subspace, full or distributed state)");
}

}  // namespace tessera::jobs::photons
