#include "jobs/layerwise/layerwise_config.h"

#include <fmt/format.h>

namespace tessera::jobs::layerwise {

void DataConfig::fields(config::Fields& f) {
  f("source",
    source,
    "directory of Fashion-MNIST's *-idx*-ubyte.gz files (package dataset-fashion-mnist)",
    config::not_empty());
  f("classes",
    classes,
    "two Fashion-MNIST classes (0-9): the first is labelled +1, the second -1",
    config::each(config::in_range(0, 9)));
  f("size",
    size,
    "images are averaged down to size x size pixels, one qubit each",
    config::in_range(1, 5));
  f("encoding",
    encoding,
    "binary: X on pixels above threshold | angle: Ry(pi x) on every pixel",
    config::one_of({"binary", "angle"}));
  f("threshold",
    threshold,
    "binary encoding's cut on pixel values in [0, 1]",
    config::in_range(0.0, 1.0));
  f("train_examples",
    train_examples,
    "training images, half of each class (even)",
    config::in_range(2, 12000));
  f("test_examples",
    test_examples,
    "test images, half of each class (even)",
    config::in_range(2, 2000));
  f("seed", seed, "which images are drawn (the same for every run of the sweep)");
  if (!f.parsing()) {
    return;
  }
  if (classes.size() != 2 || (classes.size() == 2 && classes[0] == classes[1])) {
    f.issue("classes", "must be two different classes");
  }
  if (train_examples % 2 != 0) {
    f.issue("train_examples", "must be even (balanced classes)");
  }
  if (test_examples % 2 != 0) {
    f.issue("test_examples", "must be even (balanced classes)");
  }
}

void ModelConfig::fields(config::Fields& f) {
  f("total_layers",
    total_layers,
    "trainable layers of the final circuit (each: a random Rx/Ry/Rz per qubit, then "
    "a CZ ladder)",
    config::in_range(1, 200));
  f("readout_qubit",
    readout_qubit,
    "extra: a qubit beyond the pixels', prepared in |+> so the untrained circuit predicts nothing "
    "(<Z> = 0) | "
    "data: no extra qubit, the readout is a pixel's qubit",
    config::one_of({"extra", "data"}));
  f("readout",
    readout,
    "qubit whose <Z> is the prediction (<Z> >= 0: the first class); -1: the last qubit",
    config::at_least(-1));
  f("loss",
    loss,
    "squared_hinge: max(0, 1 - y<Z>)^2 | cross_entropy: -log((1 + y<Z>)/2)",
    config::one_of({"squared_hinge", "cross_entropy"}));
  f("shots",
    shots,
    "measurements per expectation value (predictions and each parameter-shift term); 0: exact "
    "expectations and adjoint gradients",
    config::at_least<std::int64_t>(0));
  f("precision", precision, "state vectors: c64 | c128", config::one_of({"c64", "c128"}));
}

void TrainConfig::fields(config::Fields& f) {
  f("lr", lr, "Adam's step size (the sweep grid's lr overrides it)", config::positive<double>());
  f("batch_size", batch_size, "examples per Adam step", config::at_least(1));
  f("beta1", beta1, "Adam's first-moment decay", config::in_range(0.0, 0.999999));
  f("beta2", beta2, "Adam's second-moment decay", config::in_range(0.0, 0.999999999));
  f("epsilon", epsilon, "Adam's denominator guard", config::positive<double>());
  f("sampling_rate_hz",
    sampling_rate_hz,
    "shots per second of the hardware the wall-clock estimate assumes",
    config::positive<double>());
  f("success_threshold",
    success_threshold,
    "analysis: a run succeeds when its final test error is below this",
    config::in_range(0.0, 1.0));
}

void LayerwiseConfig::fields(config::Fields& f) {
  f("start_layers",
    start_layers,
    "phase 1: layers present from the start and always trained",
    config::at_least(1));
  f("layers_per_step",
    layers_per_step,
    "phase 1: layers added per step (angles 0)",
    config::at_least(1));
  f("max_trained_layers",
    max_trained_layers,
    "phase 1: most layers trained at once (the start layers and the "
    "newest ones)",
    config::at_least(1));
  f("epochs_per_step", epochs_per_step, "phase 1: epochs per step", config::at_least(1));
  f("partition_fraction",
    partition_fraction,
    "phase 2: fraction of the layers in each contiguous partition",
    config::Rule<double>{"must be in (0, 1]", [](const double& v) { return v > 0 && v <= 1; }});
  f("epochs_per_partition",
    epochs_per_partition,
    "phase 2: epochs per partition in each sweep",
    config::at_least(1));
  f("max_sweeps",
    max_sweeps,
    "phase 2: sweeps over all partitions at most (0: no phase 2)",
    config::at_least(0));
  f("min_improvement",
    min_improvement,
    "phase 2: stop once a sweep lowers the mean train loss by less than this",
    config::at_least(0.0));
  if (f.parsing() && max_trained_layers < start_layers) {
    f.issue("max_trained_layers", "must be >= start_layers (the start layers are always trained)");
  }
}

void CompleteDepthConfig::fields(config::Fields& f) {
  f("epochs", epochs, "epochs over the training set, every parameter trained", config::at_least(1));
  f("init",
    init,
    "zero: every angle starts at 0, as LL's layers | random: uniform in [0, 2 pi), drawn from the "
    "circuit seed "
    "(the barren-plateau regime)",
    config::one_of({"zero", "random"}));
}

void OutputConfig::fields(config::Fields& f) {
  f("plot", plot, "draw test_error_vs_wallclock.png in the run directory at the end");
}

}  // namespace tessera::jobs::layerwise
