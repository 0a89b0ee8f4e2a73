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
// after_backward() returns the exposed communication of the step: seconds
// spent waiting for gradient communication that the backward pass did not
// hide.
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
  // average over the ranks, with the step's exposed communication (seconds).
  virtual double after_backward() = 0;
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
  double after_backward() override {
    double exposed = 0;
    for (GradSync* m : members_) {
      exposed += m->after_backward();
    }
    return exposed;
  }

 private:
  std::vector<GradSync*> members_;
};

// No communication: gradients stay as this rank computed them.
class LocalGradSync final : public GradSync {
 public:
  void before_backward(bool /*sync*/) override {}
  double after_backward() override { return 0; }
};

}  // namespace tessera::jobs::train
