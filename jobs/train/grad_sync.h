#pragma once

// GradSync: what a training step needs from gradient communication.
//
// A data-parallel job wraps comm's reducer (bucketed all-reduce overlapping
// the backward pass); MoE combines several (expert parameters over the
// expert-data-parallel group, the rest over the world); a one-rank run, or a
// benchmark's communication-free baseline, uses LocalGradSync.
//
// Per step with k micro-batches:
//   for i in 0..k-1: before_backward(i == k - 1); loss.backward();
//   after_backward();   // gradients now averaged over the ranks
// Called from the training thread only.

#include <vector>

namespace tessera::jobs::train {

class GradSync {
 public:
  virtual ~GradSync() = default;
  // Before a backward pass. `sync` false keeps that backward's gradients
  // local, accumulating (DDP's no_sync); true reduces everything accumulated.
  virtual void before_backward(bool sync) = 0;
  // After the syncing backward: returns once every gradient holds its
  // average over the ranks. The time spent here is the exposed communication.
  virtual void after_backward() = 0;
};

// Several GradSyncs over disjoint parameter groups, as one (MoE: expert
// parameters over the expert-data-parallel group, the rest over the world).
// Calls each in order, so every rank issues the groups' collectives alike.
class GradSyncGroup final : public GradSync {
 public:
  explicit GradSyncGroup(std::vector<GradSync*> members) : members_(std::move(members)) {}
  void before_backward(bool sync) override {
    for (GradSync* m : members_) {
      m->before_backward(sync);
    }
  }
  void after_backward() override {
    for (GradSync* m : members_) {
      m->after_backward();
    }
  }

 private:
  std::vector<GradSync*> members_;
};

// No communication: gradients stay as this rank computed them.
class LocalGradSync final : public GradSync {
 public:
  void before_backward(bool /*sync*/) override {}
  void after_backward() override {}
};

}  // namespace tessera::jobs::train
