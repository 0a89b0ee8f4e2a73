#pragma once

// Two classes of Fashion-MNIST, read straight from Debian's gzipped IDX files
// (package dataset-fashion-mnist), averaged down to size x size pixels and
// split into balanced training and test sets.
//
//   ImagePair data = load_image_pair(config.data);
//   data.train[0].pixels   // size*size values in [0, 1], row-major
//   data.train[0].label    // +1 for classes[0], -1 for classes[1]
//
// Training images come from train-*.gz and test images from t10k-*.gz, so the
// two sets never share an image. Which images (of each class, in a shuffled
// order fixed by data.seed) and their order are the same on every rank and
// in every run.

#include <cstdint>
#include <span>
#include <vector>

#include "jobs/layerwise/layerwise_config.h"

namespace tessera::jobs::layerwise {

struct Example {
  std::vector<double> pixels;  // size x size, row-major, in [0, 1]
  int label = 1;               // +1: classes[0]; -1: classes[1]
};

struct ImagePair {
  int size = 0;
  std::vector<Example> train;  // alternating labels: +1, -1, +1, ...
  std::vector<Example> test;
};

// Throws IoError when the files are missing or malformed, ConfigError when a
// class has fewer images than asked for.
ImagePair load_image_pair(const DataConfig& config);

// Averages a rows x cols image of bytes down to size x size, each output
// pixel the area-weighted mean of the input pixels it covers, scaled to [0, 1].
std::vector<double> downsample(std::span<const unsigned char> image, int rows, int cols, int size);

}  // namespace tessera::jobs::layerwise
