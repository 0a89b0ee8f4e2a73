#include "jobs/sweep/grid.h"

#include <xxhash.h>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::sweep {
namespace {

int line_of(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

[[noreturn]] void bad(const YAML::Node& node, std::string_view what) {
  throw ConfigError(fmt::format("sweep.grid{}: {}", line_of(node) > 0 ? fmt::format(" (line {})", line_of(node)) : "",
                                what));
}

nlohmann::json scalar(const YAML::Node& node) {
  const std::string text = node.Scalar();
  if (node.Tag() != "!") {  // unquoted: let YAML's rules decide the type
    try {
      std::size_t used = 0;
      const long long i = std::stoll(text, &used);
      if (used == text.size()) {
        return i;
      }
    } catch (const std::exception&) {
    }
    try {
      std::size_t used = 0;
      const double d = std::stod(text, &used);
      if (used == text.size()) {
        return d;
      }
    } catch (const std::exception&) {
    }
    if (text == "true" || text == "false") {
      return text == "true";
    }
  }
  return text;
}

void expand_block(const YAML::Node& block, std::vector<GridPoint>& out) {
  if (!block.IsMap() || block.size() == 0) {
    bad(block, "expected a map of parameter: value or [values]");
  }
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes;
  for (const auto& entry : block) {
    const std::string key = entry.first.as<std::string>();
    std::vector<nlohmann::json> values;
    if (entry.second.IsScalar()) {
      values.push_back(scalar(entry.second));
    } else if (entry.second.IsSequence() && entry.second.size() > 0) {
      for (const auto& v : entry.second) {
        if (!v.IsScalar()) {
          bad(v, fmt::format("{}: expected scalars in the list", key));
        }
        values.push_back(scalar(v));
      }
    } else {
      bad(entry.second, fmt::format("{}: expected a value or a non-empty list of values", key));
    }
    axes.emplace_back(key, std::move(values));
  }
  std::vector<std::size_t> index(axes.size(), 0);
  for (;;) {
    GridPoint p{nlohmann::json::object(), line_of(block)};
    for (std::size_t a = 0; a < axes.size(); ++a) {
      p.params[axes[a].first] = axes[a].second[index[a]];
    }
    out.push_back(std::move(p));
    std::size_t a = axes.size();
    while (a > 0) {
      --a;
      if (++index[a] < axes[a].second.size()) {
        break;
      }
      index[a] = 0;
      if (a == 0) {
        return;
      }
    }
    if (axes.empty()) {
      return;
    }
  }
}

}  // namespace

std::vector<GridPoint> expand_grid(const YAML::Node& grid) {
  std::vector<GridPoint> points;
  if (!grid.IsDefined() || grid.IsNull()) {
    throw ConfigError("sweep.grid is missing: give a map of parameter lists (see `tessera jobs`)");
  }
  if (grid.IsSequence()) {
    if (grid.size() == 0) {
      bad(grid, "the list of grid blocks is empty");
    }
    for (const auto& block : grid) {
      expand_block(block, points);
    }
  } else {
    expand_block(grid, points);
  }
  return points;
}

std::string strong_id(std::string_view job_kind, const nlohmann::json& params) {
  const std::string text = fmt::format("tessera-sweep-1\n{}\n{}", job_kind, params.dump());
  const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

}  // namespace tessera::jobs::sweep
