#include "jobs/photons/photons_kernel.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "jobs/quantum/photon_basis.h"
#include "runtime/error.h"

namespace tessera::jobs::photons {
namespace {

constexpr int kMaxFullSites = 40;      // StateVector's limit
constexpr int kMaxSampledSites = 53;   // samples are stored as float64

nlohmann::json geometry_spec(const GeometryConfig& g) {
  nlohmann::json spec = {{"kind", g.kind}, {"sites", g.sites}};
  if (g.kind == "decorated_ring") {
    spec["extra_parity"] = g.extra_parity;
  }
  if (g.kind == "graph") {
    nlohmann::json edges = nlohmann::json::array();
    for (const EdgeConfig& e : g.edges) {
      edges.push_back({e.a, e.b, e.layer, e.coupling});
    }
    spec["edges"] = edges;
  }
  return spec;
}

std::string names(const std::vector<GeometryConfig>& geometries) {
  std::string out;
  for (const GeometryConfig& g : geometries) {
    out += (out.empty() ? "" : ", ") + g.name;
  }
  return out;
}

}  // namespace

PhotonsKernel::PhotonsKernel(std::vector<GeometryConfig> geometries, ExperimentConfig experiment,
                             SimulatorConfig simulator, int default_threads, comm::Communicator* comm)
    : geometry_configs_(std::move(geometries)),
      experiment_(std::move(experiment)),
      options_(simulator.options(default_threads)),
      comm_(comm) {
  options_.pair_occupations = experiment_.pair_occupations;
  options_.shots = experiment_.shots;
  for (const GeometryConfig& g : geometry_configs_) {
    try {
      geometries_.emplace(g.name, g.build());
    } catch (const Error&) {
      // An invalid geometry was reported by the config's own checks; describe() names it.
    }
  }
}

const PhotonGeometry& PhotonsKernel::geometry(const std::string& name) const {
  auto it = geometries_.find(name);
  if (it == geometries_.end()) {
    throw ConfigError(fmt::format("geometry '{}' is not among geometries: {} (or it is invalid)", name,
                                  names(geometry_configs_)));
  }
  return it->second;
}

sweep::TaskDescription PhotonsKernel::describe(const nlohmann::json& point) const {
  static const std::set<std::string> kKeys = {"photons", "phi",         "cycles",    "theta",
                                              "theta_extra", "phi_extra", "center", "geometry"};
  if (!point.is_object()) {
    throw ConfigError("a grid point must be a map of parameters");
  }
  for (const auto& item : point.items()) {
    if (kKeys.count(item.key()) == 0) {
      throw ConfigError(fmt::format(
          "unknown grid key '{}' (photons, phi, cycles, geometry, theta, theta_extra, phi_extra, center)",
          item.key()));
    }
  }
  auto integer = [&](const char* key, int fallback) {
    if (!point.contains(key)) {
      return fallback;
    }
    if (!point[key].is_number_integer()) {
      throw ConfigError(fmt::format("{} = {} (must be an integer)", key, point[key].dump()));
    }
    return point[key].get<int>();
  };
  auto number = [&](const char* key, double fallback) {
    if (!point.contains(key)) {
      return fallback;
    }
    if (!point[key].is_number() || !std::isfinite(point[key].get<double>())) {
      throw ConfigError(fmt::format("{} = {} (must be a number)", key, point[key].dump()));
    }
    return point[key].get<double>();
  };
  if (geometry_configs_.empty()) {
    throw ConfigError("geometries: is empty");
  }
  std::string name = geometry_configs_.front().name;
  if (point.contains("geometry")) {
    name = point["geometry"].is_string() ? point["geometry"].get<std::string>() : point["geometry"].dump();
  }
  const PhotonGeometry& g = geometry(name);
  const GeometryConfig* spec = nullptr;
  for (const GeometryConfig& c : geometry_configs_) {
    spec = c.name == name ? &c : spec;
  }

  const int photons = integer("photons", experiment_.photons);
  const int cycles = integer("cycles", experiment_.cycles);
  int center = integer("center", experiment_.center);
  if (center == -1) {
    center = g.ring_sites() / 2;
  }
  if (photons < 1 || photons > g.ring_sites()) {
    throw ConfigError(fmt::format("photons = {} (must be in [1, {}] on geometry {})", photons, g.ring_sites(), name));
  }
  if (cycles < 0) {
    throw ConfigError(fmt::format("cycles = {} (must be >= 0)", cycles));
  }
  if (center < 0 || center >= g.ring_sites()) {
    throw ConfigError(fmt::format("center = {} (must be a ring site of {}: 0..{})", center, name, g.ring_sites() - 1));
  }
  if (options_.simulator == Simulator::kSubspace &&
      quantum::PhotonBasis::binomial(g.sites(), photons) >= (std::uint64_t{1} << 32)) {
    throw ConfigError(fmt::format("{} photons on the {} sites of {} have more than 2^32 states", photons, g.sites(), name));
  }
  if (options_.simulator != Simulator::kSubspace && g.sites() > kMaxFullSites) {
    throw ConfigError(fmt::format(
        "geometry {} has {} sites: a full state vector needs {} GiB; use simulator.kind: subspace", name,
        g.sites(), std::ldexp(options_.precision == Precision::kComplex64 ? 8.0 : 16.0, g.sites() - 30)));
  }
  if (options_.shots > 0 && g.sites() > kMaxSampledSites) {
    throw ConfigError(fmt::format("geometry {} has {} sites: sampled bitstrings are stored as float64, at most {} "
                                  "sites (set experiment.shots: 0)",
                                  name, g.sites(), kMaxSampledSites));
  }
  nlohmann::json params = {
      {"geometry", name},
      {"geometry_spec", geometry_spec(*spec)},
      {"photons", photons},
      {"phi", number("phi", experiment_.phi)},
      {"theta", number("theta", experiment_.theta)},
      {"theta_extra", number("theta_extra", experiment_.theta_extra)},
      {"phi_extra", number("phi_extra", experiment_.phi_extra)},
      {"cycles", cycles},
      {"center", center},
      {"simulator", options_.simulator == Simulator::kSubspace ? "subspace"
                    : options_.simulator == Simulator::kFull   ? "full"
                                                               : "distributed"},
      {"precision", options_.precision == Precision::kComplex64 ? "c64" : "c128"},
      {"shots", options_.shots},
      {"pair_occupations", options_.pair_occupations},
  };
  return {params, "", params};
}

sweep::TaskLimits PhotonsKernel::limits(const sweep::TaskDescription& /*task*/,
                                        const sweep::TaskLimits& /*configured*/) const {
  return {1, 0, 1, 1};
}

PhotonPoint PhotonsKernel::point(const nlohmann::json& params) const {
  PhotonPoint p;
  p.geometry = params.at("geometry").get<std::string>();
  p.task.photons = params.at("photons").get<int>();
  p.task.center = params.at("center").get<int>();
  p.task.cycles = params.at("cycles").get<int>();
  p.task.angles = {params.at("theta").get<double>(), params.at("phi").get<double>(),
                   params.at("theta_extra").get<double>(), params.at("phi_extra").get<double>()};
  return p;
}

sweep::ChunkResult PhotonsKernel::run_chunk(const sweep::Task& task, const sweep::Chunk& chunk) {
  PhotonPoint p = point(task.description.params);
  p.task.seed = chunk.seed;
  return to_chunk_result(simulate_photons(geometry(p.geometry), p.task, options_, comm_));
}

sweep::ChunkResult to_chunk_result(const PhotonResult& r) {
  const auto rows = static_cast<std::uint64_t>(r.cycles) + 1;
  const auto sites = static_cast<std::uint64_t>(r.sites);
  sweep::ChunkResult out;
  out.counts.shots = 1;
  out.counts.custom["amplitudes"] = static_cast<std::int64_t>(r.amplitudes);
  out.arrays["occupation"] = {{rows, sites}, r.occupation};
  out.arrays["bound"] = {{rows}, r.bound};
  out.arrays["norm"] = {{rows}, r.norm};
  if (!r.pair_occupation.empty()) {
    out.arrays["pair_occupation"] = {{rows, sites, sites}, r.pair_occupation};
  }
  if (!r.samples.empty()) {
    sweep::NumericArray samples{{rows, r.samples.size() / rows}, {}};
    samples.values.assign(r.samples.begin(), r.samples.end());
    out.arrays["samples"] = std::move(samples);
    out.arrays["sampled_bound"] = {{rows}, r.sampled_bound};
  }
  return out;
}

}  // namespace tessera::jobs::photons
