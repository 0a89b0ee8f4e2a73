#include "runtime/checkpoint/checkpoint_state.h"

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

// Names become HDF5 paths: no empty components, no "." or "..".
void check_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.back() == '/' ||
      name.find("//") != std::string_view::npos) {
    throw InternalError(fmt::format("checkpoint array name '{}' is not a path like 'model/fc1.weight'",
                                    name));
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    std::string_view part = name.substr(start, end == std::string_view::npos ? name.npos : end - start);
    if (part == "." || part == "..") {
      throw InternalError(fmt::format("checkpoint array name '{}' has a '{}' component", name, part));
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
}

}  // namespace

std::string_view array_kind_name(ArrayKind kind) {
  switch (kind) {
    case ArrayKind::kLocal:
      return "local";
    case ArrayKind::kReplicated:
      return "replicated";
    case ArrayKind::kShard:
      return "shard";
  }
  return "?";
}

void CheckpointState::add(StateArray array) {
  check_name(array.name);
  check_array_size(array.name, array.data.dtype, array.data.shape, array.data.bytes.size());
  for (const StateArray& other : arrays_) {
    if (other.name != array.name) {
      continue;
    }
    if (other.kind != array.kind) {
      throw InternalError(fmt::format("checkpoint array '{}' added as {} and as {}", array.name,
                                      array_kind_name(other.kind), array_kind_name(array.kind)));
    }
    if (array.kind != ArrayKind::kShard || other.offset == array.offset) {
      throw InternalError(fmt::format("checkpoint array '{}' added twice", array.name));
    }
    if (other.global_shape != array.global_shape || other.data.dtype != array.data.dtype) {
      throw InternalError(fmt::format("checkpoint shards of '{}' disagree on dtype or global shape",
                                      array.name));
    }
  }
  arrays_.push_back(std::move(array));
}

void CheckpointState::add_local(std::string name, ArrayRef array) {
  add(StateArray{std::move(name), ArrayKind::kLocal, std::move(array), {}, {}});
}

void CheckpointState::add_replicated(std::string name, ArrayRef array) {
  add(StateArray{std::move(name), ArrayKind::kReplicated, std::move(array), {}, {}});
}

void CheckpointState::add_shard(std::string name, ArrayRef block, Shape global_shape, Shape offset) {
  if (global_shape.size() != block.shape.size() || offset.size() != block.shape.size()) {
    throw InternalError(fmt::format(
        "checkpoint shard '{}': block {}, global shape {} and offset {} need the same rank", name,
        shape_string(block.shape), shape_string(global_shape), shape_string(offset)));
  }
  for (std::size_t d = 0; d < offset.size(); ++d) {
    if (offset[d] < 0 || offset[d] + block.shape[d] > global_shape[d]) {
      throw InternalError(fmt::format(
          "checkpoint shard '{}': block {} at offset {} lies outside the global shape {}", name,
          shape_string(block.shape), shape_string(offset), shape_string(global_shape)));
    }
  }
  add(StateArray{std::move(name), ArrayKind::kShard, std::move(block), std::move(global_shape),
                 std::move(offset)});
}

void CheckpointState::own_copies() {
  // Always copy: an owner may be shared with the job (a tensor's storage).
  for (StateArray& array : arrays_) {
    array.data = copy_array(array.data);
  }
}

}  // namespace tessera::runtime
