#pragma once

// Signalling a process and everything below it. Open MPI gives each rank a
// process group of its own, so signalling mpirun's group misses the ranks:
// tests that interrupt jobs signal the tree instead.

#include <sys/types.h>

#include <vector>

namespace tessera::testing {

// `pid` and its descendants (from /proc), parents before children.
std::vector<pid_t> process_tree(pid_t pid);

// Sends `signal` to `pid`'s descendants, deepest first (the ranks before
// mpirun, as when a node dies), then to `pid`.
void signal_tree(pid_t pid, int signal);

}  // namespace tessera::testing
