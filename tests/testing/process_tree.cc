#include "tests/testing/process_tree.h"

#include <signal.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace tessera::testing {
namespace {

// Parent of every live process, from /proc/<pid>/stat (field 4).
std::multimap<pid_t, pid_t> children_by_parent() {
  std::multimap<pid_t, pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) {
      continue;
    }
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const std::size_t close = line.rfind(')');  // the command name may contain spaces
    if (close == std::string::npos || close + 2 >= line.size()) {
      continue;
    }
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t parent = 0;
    rest >> state >> parent;
    children.emplace(parent, static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

}  // namespace

std::vector<pid_t> process_tree(pid_t pid) {
  const auto children = children_by_parent();
  std::vector<pid_t> tree{pid};
  for (std::size_t i = 0; i < tree.size(); ++i) {
    auto [first, last] = children.equal_range(tree[i]);
    for (auto it = first; it != last; ++it) {
      tree.push_back(it->second);
    }
  }
  return tree;
}

void signal_tree(pid_t pid, int signal) {
  const std::vector<pid_t> tree = process_tree(pid);
  for (auto it = tree.rbegin(); it != tree.rend(); ++it) {
    ::kill(*it, signal);
  }
}

}  // namespace tessera::testing
