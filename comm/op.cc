#include "comm/op.h"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tessera::comm {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "f32";
    case DType::kF64:
      return "f64";
    case DType::kF16:
      return "f16";
    case DType::kBF16:
      return "bf16";
    case DType::kI32:
      return "i32";
    case DType::kI64:
      return "i64";
    case DType::kU8:
      return "u8";
  }
  return "?";
}

std::string_view reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return "sum";
    case ReduceOp::kAvg:
      return "avg";
    case ReduceOp::kMin:
      return "min";
    case ReduceOp::kMax:
      return "max";
    case ReduceOp::kProd:
      return "prod";
  }
  return "?";
}

std::string Device::to_string() const {
  return is_cpu() ? std::string("cpu") : fmt::format("cuda:{}", index);
}

std::string Buffer::to_string() const {
  return fmt::format("{} x {} on {}", dtype_name(dtype), count, device.to_string());
}

std::string_view op_name(OpKind kind) {
  switch (kind) {
    case OpKind::kAllReduce:
      return "all_reduce";
    case OpKind::kBroadcast:
      return "broadcast";
    case OpKind::kReduce:
      return "reduce";
    case OpKind::kAllGather:
      return "all_gather";
    case OpKind::kAllGatherv:
      return "all_gatherv";
    case OpKind::kReduceScatter:
      return "reduce_scatter";
    case OpKind::kAllToAll:
      return "all_to_all";
    case OpKind::kAllToAllv:
      return "all_to_allv";
    case OpKind::kBarrier:
      return "barrier";
    case OpKind::kSplit:
      return "split";
    case OpKind::kSend:
      return "send";
    case OpKind::kRecv:
      return "recv";
  }
  return "?";
}

std::string Fingerprint::describe() const {
  switch (kind) {
    case OpKind::kBarrier:
    case OpKind::kSplit:
      return fmt::format("{}()", op_name(kind));
    case OpKind::kAllReduce:
    case OpKind::kReduceScatter:
      return fmt::format("{}({} x {}, {})", op_name(kind), dtype_name(dtype), count,
                         reduce_op_name(reduce));
    case OpKind::kReduce:
      return fmt::format("{}({} x {}, {}, root {})", op_name(kind), dtype_name(dtype), count,
                         reduce_op_name(reduce), root);
    case OpKind::kBroadcast:
      return fmt::format("{}({} x {}, root {})", op_name(kind), dtype_name(dtype), count, root);
    case OpKind::kAllToAllv:
      return fmt::format("{}({})", op_name(kind), dtype_name(dtype));
    default:
      return fmt::format("{}({} x {})", op_name(kind), dtype_name(dtype), count);
  }
}

Fingerprint::Wire Fingerprint::to_wire() const {
  return {seq,
          static_cast<std::int64_t>(kind),
          static_cast<std::int64_t>(dtype),
          static_cast<std::int64_t>(reduce),
          root,
          static_cast<std::int64_t>(count)};
}

Fingerprint Fingerprint::from_wire(const Wire& wire) {
  return {.seq = wire[0],
          .kind = static_cast<OpKind>(wire[1]),
          .dtype = static_cast<DType>(wire[2]),
          .reduce = static_cast<ReduceOp>(wire[3]),
          .root = static_cast<std::int32_t>(wire[4]),
          .count = static_cast<std::uint64_t>(wire[5])};
}

Fingerprint Op::fingerprint() const {
  Fingerprint f{.seq = seq, .kind = kind, .dtype = send.dtype};
  switch (kind) {
    case OpKind::kAllReduce:
      f.reduce = reduce;
      f.count = send.count;
      break;
    case OpKind::kReduce:
      f.reduce = reduce;
      f.root = root;
      f.count = send.count;
      break;
    case OpKind::kBroadcast:
      f.root = root;
      f.count = send.count;
      break;
    case OpKind::kAllGather:
    case OpKind::kAllToAll:
      f.count = send.count;
      break;
    case OpKind::kAllGatherv:
      f.count = recv.count;
      break;
    case OpKind::kReduceScatter:
      f.reduce = reduce;
      f.count = recv.count;
      break;
    case OpKind::kSend:
      f.count = send.count;
      f.root = peer;
      break;
    case OpKind::kRecv:
      f.dtype = recv.dtype;
      f.count = recv.count;
      f.root = peer;
      break;
    case OpKind::kAllToAllv:
    case OpKind::kBarrier:
    case OpKind::kSplit:
      f.dtype = kind == OpKind::kAllToAllv ? send.dtype : DType::kU8;
      break;
  }
  return f;
}

std::optional<std::string> describe_disagreement(const std::vector<Fingerprint>& by_rank) {
  std::map<std::string, std::vector<std::size_t>> callers;
  for (std::size_t r = 0; r < by_rank.size(); ++r) {
    callers[fmt::format("{} #{}", by_rank[r].describe(), by_rank[r].seq)].push_back(r);
  }
  if (callers.size() <= 1) {
    return std::nullopt;
  }
  std::vector<std::string> parts;
  for (const auto& [what, ranks] : callers) {
    parts.push_back(fmt::format("rank{} {} called {}", ranks.size() > 1 ? "s" : "",
                                fmt::join(ranks, ","), what));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::vector<std::size_t> exclusive_prefix_sum(const std::vector<std::size_t>& counts) {
  std::vector<std::size_t> offsets(counts.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    offsets[i] = total;
    total += counts[i];
  }
  return offsets;
}

}  // namespace tessera::comm
