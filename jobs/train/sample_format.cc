#include "jobs/train/sample_format.h"

#include <ATen/ATen.h>

#include "runtime/error.h"

namespace tessera::jobs::train {

Batch SampleFormat::make_batch(const at::Tensor& inputs, const at::Tensor& labels) const {
  // Never in place: `inputs` may be a view of the stored split.
  at::Tensor x = scale != 1.0 ? inputs.to(at::kFloat).mul(scale) : inputs.to(at::kFloat);
  if (target == Target::kInput) {
    // Dense reconstructions are flat: compare [B, 784] with [B, 784], not [B, 28, 28].
    x = x.flatten(1);
    return Batch{x, x};
  }
  TESSERA_CHECK(labels.defined(), "a labelled format over unlabelled data");
  return Batch{x, labels};
}

}  // namespace tessera::jobs::train
