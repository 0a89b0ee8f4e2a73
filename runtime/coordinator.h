#pragma once

// Coordinator: small blocking collectives for control, not for data.
//
// The runtime uses it to agree on things (the run directory exists, every rank
// wrote its checkpoint part, some rank saw a stop signal) and to gather short
// reports (doctor). It runs on its own channel, separate from the data-plane
// communicators of comm/, so control messages never interleave with a job's
// collectives. Payloads are small byte strings.
//
// Contract: every rank calls the same operations in the same order, from one
// thread at a time. Each call gives up after the coordinator's timeout with a
// TimeoutError naming the operation and its sequence number.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tessera::runtime {

class Coordinator {
 public:
  virtual ~Coordinator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  virtual void barrier() = 0;
  // Every rank's `bytes`, indexed by rank.
  virtual std::vector<std::string> all_gather(const std::string& bytes) = 0;
  // Rank `root`'s `bytes` on every rank.
  virtual std::string broadcast(const std::string& bytes, int root) = 0;
  // The largest `value` over all ranks (an "any rank" flag when values are 0/1).
  virtual std::int64_t all_reduce_max(std::int64_t value) = 0;

  // A coordinator over the same ranks on a channel of its own, for one other
  // thread (an async checkpoint writer) to use while this one is in use.
  // Collective. nullptr when this coordinator cannot make one.
  virtual std::unique_ptr<Coordinator> duplicate() { return nullptr; }
};

// The coordinator of a one-process world.
class SoloCoordinator final : public Coordinator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}
  std::vector<std::string> all_gather(const std::string& bytes) override { return {bytes}; }
  std::string broadcast(const std::string& bytes, int /*root*/) override { return bytes; }
  std::int64_t all_reduce_max(std::int64_t value) override { return value; }
  std::unique_ptr<Coordinator> duplicate() override { return std::make_unique<SoloCoordinator>(); }
};

}  // namespace tessera::runtime
