#include "runtime/job_spec.h"

namespace tessera::runtime {

void RuntimeConfig::fields(config::Fields& f) {
  f("backend", backend, "communicator backend", config::one_of({"auto", "mpi", "nccl", "local"}));
  f("device", device, "where tensors live: cpu, or cuda (one GPU per local rank)",
    config::one_of({"cpu", "cuda"}));
  f("threads_per_rank", threads_per_rank, "LibTorch intra-op threads per rank",
    config::at_least(1));
  f("comm_timeout", comm_timeout, "a collective that takes longer ends the job",
    config::Rule<config::Seconds>{"must be > 0", [](const config::Seconds& s) { return s.count() > 0; }});
  f("comm_debug", comm_debug, "check before each collective that all ranks call the same one");
  f("log_level", log_level, "console and log-file level",
    config::one_of({"trace", "debug", "info", "warn", "error"}));
  f("progress_every", progress_every, "seconds between progress lines on rank 0");
}

void OutputConfig::fields(config::Fields& f) {
  f("dir", dir, "run directory (default runs/<name>)");
  f("metrics_flush", metrics_flush, "seconds between flushes of metrics.h5");
}

void JobSpec::fields(config::Fields& f) {
  f("job", job, "registered job kind (tessera jobs lists them)", config::not_empty());
  f("name", name, "run name (default: the job kind)");
  f("seed", seed, "base seed of every random stream");
  f("runtime", runtime, "processes, threads and communication");
  f("checkpoint", checkpoint, "when to save and how to resume");
  f("output", output, "where results go");
}

void JobSpec::resolve_defaults() {
  if (name.empty()) {
    name = job;
  }
  if (output.dir.empty()) {
    output.dir = "runs/" + name;
  }
}

}  // namespace tessera::runtime
