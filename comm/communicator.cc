#include "comm/communicator.h"

#include <cstring>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tessera::comm {
namespace {

bool overlaps(const Buffer& a, const Buffer& b) {
  if (a.bytes() == 0 || b.bytes() == 0) {
    return false;
  }
  const std::byte* a0 = a.begin_bytes();
  const std::byte* b0 = b.begin_bytes();
  return a0 < b0 + b.bytes() && b0 < a0 + a.bytes();
}

std::size_t total(std::span<const std::size_t> counts) {
  return std::accumulate(counts.begin(), counts.end(), std::size_t{0});
}

}  // namespace

Communicator::Communicator(int rank, int size, std::string backend, Device device,
                           CommConfig config, std::shared_ptr<Watchdog> watchdog)
    : rank_(rank),
      size_(size),
      backend_(std::move(backend)),
      device_(device),
      config_(std::move(config)),
      watchdog_(watchdog ? std::move(watchdog)
                         : std::make_shared<Watchdog>(config_.on_timeout,
                                                      config_.watchdog_grace)) {}

Communicator::~Communicator() = default;

std::string Communicator::describe() const {
  return fmt::format("{} rank {}/{}", backend_, rank_, size_);
}

CommSite Communicator::site(const Op& op) const {
  return CommSite{.backend = backend_,
                  .op = std::string(op_name(op.kind)),
                  .rank = rank_,
                  .size = size_,
                  .seq = op.seq,
                  .peer = op.peer};
}

CommError Communicator::error(const Op& op, const std::string& what) const {
  return CommError(site(op), what);
}

void Communicator::require_healthy(const Op& op) const {
  if (!health_->ok()) {
    throw error(op, fmt::format("this communicator is unusable after an earlier failure: {}",
                                health_->reason()));
  }
}

void Communicator::check_buffer(const Op& op, const Buffer& buffer, std::string_view which) const {
  if (buffer.count > 0 && buffer.data == nullptr) {
    throw error(op, fmt::format("{} buffer ({}) has no data pointer", which, buffer.to_string()));
  }
  if (buffer.device != device_) {
    throw error(op, fmt::format("{} buffer is on {}, but this {} communicator needs {} buffers{}",
                                which, buffer.device.to_string(), backend_, device_.to_string(),
                                device_.is_cpu() ? " (use the nccl backend for CUDA tensors)"
                                                 : ""));
  }
}

Work Communicator::issue(Op op, Timeout timeout) {
  require_healthy(op);
  op.timeout = timeout.count() > 0 ? timeout : config_.timeout;
  op.seq = is_collective(op.kind) ? next_collective_.fetch_add(1) : next_p2p_.fetch_add(1);
  const bool async = op.async;
  std::shared_ptr<WorkState> state = start(std::move(op));
  Work work(std::move(state));
  if (!async) {
    work.wait();
  }
  return work;
}

Work Communicator::all_reduce(Buffer send, Buffer recv, const AllReduceOptions& options) {
  Op op{.kind = OpKind::kAllReduce, .send = send, .recv = recv, .reduce = options.op,
        .async = options.async};
  check_buffer(op, send, "send");
  check_buffer(op, recv, "recv");
  if (send.dtype != recv.dtype || send.count != recv.count) {
    throw error(op, fmt::format("send ({}) and recv ({}) must have the same dtype and count",
                                send.to_string(), recv.to_string()));
  }
  op.in_place = send.data == recv.data;
  if (!op.in_place && overlaps(send, recv)) {
    throw error(op, "send and recv overlap but are not the same buffer");
  }
  return issue(std::move(op), options.timeout);
}

Work Communicator::reduce(Buffer send, Buffer recv, const ReduceOptions& options) {
  Op op{.kind = OpKind::kReduce, .send = send, .recv = recv, .reduce = options.op,
        .root = options.root, .async = options.async};
  if (options.root < 0 || options.root >= size_) {
    throw error(op, fmt::format("root {} is not a rank of this communicator (size {})",
                                options.root, size_));
  }
  check_buffer(op, send, "send");
  if (rank_ == options.root) {
    check_buffer(op, recv, "recv");
    if (send.dtype != recv.dtype || send.count != recv.count) {
      throw error(op, fmt::format("send ({}) and recv ({}) must have the same dtype and count",
                                  send.to_string(), recv.to_string()));
    }
    op.in_place = send.data == recv.data;
    if (!op.in_place && overlaps(send, recv)) {
      throw error(op, "send and recv overlap but are not the same buffer");
    }
  } else {
    op.recv = Buffer{nullptr, 0, send.dtype, device_};
  }
  return issue(std::move(op), options.timeout);
}

Work Communicator::broadcast(Buffer inout, const BroadcastOptions& options) {
  Op op{.kind = OpKind::kBroadcast, .send = inout, .recv = inout, .root = options.root,
        .in_place = true, .async = options.async};
  if (options.root < 0 || options.root >= size_) {
    throw error(op, fmt::format("root {} is not a rank of this communicator (size {})",
                                options.root, size_));
  }
  check_buffer(op, inout, "");
  return issue(std::move(op), options.timeout);
}

Work Communicator::all_gather(Buffer send, Buffer recv, const AllGatherOptions& options) {
  Op op{.kind = OpKind::kAllGather, .send = send, .recv = recv, .async = options.async};
  check_buffer(op, send, "send");
  check_buffer(op, recv, "recv");
  const auto n = static_cast<std::size_t>(size_);
  if (send.dtype != recv.dtype || recv.count != send.count * n) {
    throw error(op, fmt::format("recv ({}) must hold size x send ({} x {})", recv.to_string(),
                                size_, send.to_string()));
  }
  op.in_place = send.data == recv.slice(static_cast<std::size_t>(rank_) * send.count, 0).data &&
                send.count > 0;
  if (!op.in_place && overlaps(send, recv)) {
    throw error(op, "send overlaps recv but is not this rank's block of it");
  }
  return issue(std::move(op), options.timeout);
}

Work Communicator::all_gatherv(Buffer send, Buffer recv, std::span<const std::size_t> recv_counts,
                               const AllGatherOptions& options) {
  Op op{.kind = OpKind::kAllGatherv, .send = send, .recv = recv,
        .recv_counts = {recv_counts.begin(), recv_counts.end()}, .async = options.async};
  check_buffer(op, send, "send");
  check_buffer(op, recv, "recv");
  if (recv_counts.size() != static_cast<std::size_t>(size_)) {
    throw error(op, fmt::format("recv_counts has {} entries, need one per rank ({})",
                                recv_counts.size(), size_));
  }
  if (recv_counts[static_cast<std::size_t>(rank_)] != send.count) {
    throw error(op, fmt::format("recv_counts[{}] = {} but this rank sends {} elements", rank_,
                                recv_counts[static_cast<std::size_t>(rank_)], send.count));
  }
  if (send.dtype != recv.dtype || recv.count != total(recv_counts)) {
    throw error(op, fmt::format("recv ({}) must hold the sum of recv_counts ({}) elements of {}",
                                recv.to_string(), total(recv_counts), dtype_name(send.dtype)));
  }
  const std::size_t offset = exclusive_prefix_sum(op.recv_counts)[static_cast<std::size_t>(rank_)];
  op.in_place = send.count > 0 && send.data == recv.slice(offset, 0).data;
  if (!op.in_place && overlaps(send, recv)) {
    throw error(op, "send overlaps recv but is not this rank's block of it");
  }
  return issue(std::move(op), options.timeout);
}

Work Communicator::reduce_scatter(Buffer send, Buffer recv, const ReduceScatterOptions& options) {
  Op op{.kind = OpKind::kReduceScatter, .send = send, .recv = recv, .reduce = options.op,
        .async = options.async};
  check_buffer(op, send, "send");
  check_buffer(op, recv, "recv");
  if (send.dtype != recv.dtype || send.count != recv.count * static_cast<std::size_t>(size_)) {
    throw error(op, fmt::format("send ({}) must hold size x recv ({} x {})", send.to_string(),
                                size_, recv.to_string()));
  }
  op.in_place =
      recv.count > 0 && recv.data == send.slice(static_cast<std::size_t>(rank_) * recv.count, 0).data;
  if (!op.in_place && overlaps(send, recv)) {
    throw error(op, "recv overlaps send but is not this rank's block of it");
  }
  return issue(std::move(op), options.timeout);
}

Work Communicator::all_to_all(Buffer send, Buffer recv, const AllToAllOptions& options) {
  Op op{.kind = OpKind::kAllToAll, .send = send, .recv = recv, .async = options.async};
  check_buffer(op, send, "send");
  check_buffer(op, recv, "recv");
  if (send.dtype != recv.dtype || send.count != recv.count ||
      send.count % static_cast<std::size_t>(size_) != 0) {
    throw error(op, fmt::format("send ({}) and recv ({}) must have the same dtype and a count "
                                "divisible by the size ({})",
                                send.to_string(), recv.to_string(), size_));
  }
  op.in_place = send.data == recv.data && send.count > 0;
  if (!op.in_place && overlaps(send, recv)) {
    throw error(op, "send and recv overlap but are not the same buffer");
  }
  return issue(std::move(op), options.timeout);
}

Work Communicator::all_to_allv(Buffer send, std::span<const std::size_t> send_counts, Buffer recv,
                               std::span<const std::size_t> recv_counts,
                               const AllToAllOptions& options) {
  Op op{.kind = OpKind::kAllToAllv, .send = send, .recv = recv,
        .send_counts = {send_counts.begin(), send_counts.end()},
        .recv_counts = {recv_counts.begin(), recv_counts.end()}, .async = options.async};
  check_buffer(op, send, "send");
  check_buffer(op, recv, "recv");
  const auto n = static_cast<std::size_t>(size_);
  if (send_counts.size() != n || recv_counts.size() != n) {
    throw error(op, fmt::format("send_counts ({}) and recv_counts ({}) need one entry per rank ({})",
                                send_counts.size(), recv_counts.size(), size_));
  }
  if (send.dtype != recv.dtype || send.count != total(send_counts) ||
      recv.count != total(recv_counts)) {
    throw error(op, fmt::format("send ({}) must hold sum(send_counts) = {} and recv ({}) "
                                "sum(recv_counts) = {} elements of one dtype",
                                send.to_string(), total(send_counts), recv.to_string(),
                                total(recv_counts)));
  }
  if (overlaps(send, recv)) {
    throw error(op, "all_to_allv needs separate send and recv buffers");
  }
  return issue(std::move(op), options.timeout);
}

Work Communicator::barrier(const BarrierOptions& options) {
  Op op{.kind = OpKind::kBarrier, .send = {nullptr, 0, DType::kU8, device_},
        .recv = {nullptr, 0, DType::kU8, device_}, .async = options.async};
  return issue(std::move(op), options.timeout);
}

Work Communicator::send(Buffer data, int peer, const SendOptions& options) {
  Op op{.kind = OpKind::kSend, .send = data, .recv = {nullptr, 0, data.dtype, device_},
        .peer = peer, .tag = options.tag, .async = options.async};
  check_buffer(op, data, "send");
  if (peer < 0 || peer >= size_) {
    throw error(op, fmt::format("peer {} is not a rank of this communicator (size {})", peer,
                                size_));
  }
  if (options.tag < 0 || options.tag > kMaxTag) {
    throw error(op, fmt::format("tag {} is outside 0..{}", options.tag, kMaxTag));
  }
  return issue(std::move(op), options.timeout);
}

Work Communicator::recv(Buffer data, int peer, const RecvOptions& options) {
  Op op{.kind = OpKind::kRecv, .send = {nullptr, 0, data.dtype, device_}, .recv = data,
        .peer = peer, .tag = options.tag, .async = options.async};
  check_buffer(op, data, "recv");
  if ((peer < 0 && peer != kAnySource) || peer >= size_) {
    throw error(op, fmt::format("peer {} is not a rank of this communicator (size {}) nor "
                                "kAnySource",
                                peer, size_));
  }
  if ((options.tag < 0 && options.tag != kAnyTag) || options.tag > kMaxTag) {
    throw error(op, fmt::format("tag {} is outside 0..{} and not kAnyTag", options.tag, kMaxTag));
  }
  return issue(std::move(op), options.timeout);
}

std::unique_ptr<Communicator> Communicator::split(int color, int key) {
  Op op{.kind = OpKind::kSplit, .send = {nullptr, 0, DType::kU8, device_},
        .recv = {nullptr, 0, DType::kU8, device_}, .color = color, .key = key};
  if (color < 0 && color != kNoColor) {
    throw error(op, fmt::format("color {} must be >= 0 or kNoColor", color));
  }
  require_healthy(op);
  op.timeout = config_.timeout;
  op.seq = next_collective_.fetch_add(1);
  return split_impl(op);
}

void Communicator::check_agreement(const Op& op) {
  if (!config_.debug || !is_collective(op.kind)) {
    return;
  }
  const auto deadline = WorkState::Clock::now() + op.timeout;
  const Fingerprint::Wire mine = op.fingerprint().to_wire();
  std::vector<std::string> all =
      control_all_gather(std::string(reinterpret_cast<const char*>(mine.data()), sizeof mine),
                         deadline);
  std::vector<Fingerprint> by_rank;
  for (const std::string& bytes : all) {
    Fingerprint::Wire wire{};
    std::memcpy(wire.data(), bytes.data(), std::min(bytes.size(), sizeof wire));
    by_rank.push_back(Fingerprint::from_wire(wire));
  }
  if (std::optional<std::string> disagreement = describe_disagreement(by_rank)) {
    throw error(op, fmt::format("comm_debug: ranks disagree on collective #{}: {}", op.seq,
                                *disagreement));
  }
  if (op.kind != OpKind::kAllToAllv) {
    return;
  }
  // all_to_allv: rank i's send_counts[j] must equal rank j's recv_counts[i].
  std::string counts;
  for (const std::vector<std::size_t>* v : {&op.send_counts, &op.recv_counts}) {
    for (std::size_t c : *v) {
      const auto c64 = static_cast<std::uint64_t>(c);
      counts.append(reinterpret_cast<const char*>(&c64), sizeof c64);
    }
  }
  std::vector<std::string> splits = control_all_gather(counts, deadline);
  const auto n = static_cast<std::size_t>(size_);
  auto at = [&](std::size_t rank, std::size_t index) {
    std::uint64_t v = 0;
    std::memcpy(&v, splits[rank].data() + index * sizeof v, sizeof v);
    return v;
  };
  std::vector<std::string> mismatches;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (at(i, j) != at(j, n + i)) {
        mismatches.push_back(fmt::format("rank {} sends {} elements to rank {}, which expects {}",
                                         i, at(i, j), j, at(j, n + i)));
      }
    }
  }
  if (!mismatches.empty()) {
    throw error(op, fmt::format("comm_debug: all_to_allv splits disagree: {}",
                                fmt::join(mismatches, "; ")));
  }
}

}  // namespace tessera::comm
