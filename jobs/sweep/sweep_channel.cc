#include "jobs/sweep/sweep_channel.h"

#include "comm/factory.h"
#include "runtime/error.h"

namespace tessera::jobs::sweep::detail {
namespace {

// Long enough for any chunk: a receive waits while its peer computes. A dead
// peer ends the whole job through the launcher, not through this timeout.
constexpr comm::Timeout kPatience = std::chrono::hours(24 * 7);

}  // namespace

SweepChannel::SweepChannel(const runtime::JobContext& context) {
  if (context.launch.size <= 1) {
    return;
  }
  runtime::RuntimeConfig runtime = context.spec.runtime;
  runtime.backend = "mpi";
  comm_ = comm::make_communicator(runtime, context.launch);
  rank_ = comm_->rank();
  size_ = comm_->size();
}

SweepChannel::~SweepChannel() {
  try {
    reap(true);
  } catch (...) {
  }
}

void SweepChannel::reap(bool wait_all) {
  for (auto it = outgoing_.begin(); it != outgoing_.end();) {
    if (wait_all) {
      it->header.wait();
      it->payload.wait();
    } else if (!it->header.is_completed() || !it->payload.is_completed()) {
      ++it;
      continue;
    }
    it = outgoing_.erase(it);
  }
}

void SweepChannel::send(int peer, int tag, std::string bytes) {
  reap(false);
  Outgoing& o = outgoing_.emplace_back();
  o.length = static_cast<std::int64_t>(bytes.size());
  o.bytes.assign(bytes.begin(), bytes.end());
  o.header = comm_->send(comm::as_buffer(o.length), peer, {.tag = tag, .timeout = kPatience, .async = true});
  o.payload = comm_->send(comm::as_buffer(o.bytes), peer, {.tag = tag + 1, .timeout = kPatience, .async = true});
}

std::string SweepChannel::payload_from(int peer, int tag, std::int64_t length) {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(length));
  comm_->recv(comm::as_buffer(bytes), peer, {.tag = tag + 1, .timeout = kPatience}).wait();
  return std::string(bytes.begin(), bytes.end());
}

std::optional<std::pair<int, std::string>> SweepChannel::try_recv(int tag, bool expect_more) {
  if (comm_ == nullptr) {
    return std::nullopt;
  }
  reap(false);
  if (!incoming_ && expect_more) {
    incoming_tag_ = tag;
    incoming_ = comm_->recv(comm::as_buffer(incoming_length_), comm::kAnySource,
                            {.tag = tag, .timeout = kPatience, .async = true});
  }
  if (!incoming_ || !incoming_->is_completed()) {
    return std::nullopt;
  }
  TESSERA_CHECK(incoming_tag_ == tag, "sweep channel: a receive for tag {} is pending, asked for {}",
                incoming_tag_, tag);
  incoming_->wait();  // rethrows a failure
  const int peer = incoming_->source_rank();
  incoming_.reset();
  return std::make_pair(peer, payload_from(peer, tag, incoming_length_));
}

std::string SweepChannel::recv(int peer, int tag) {
  std::int64_t length = 0;
  comm_->recv(comm::as_buffer(length), peer, {.tag = tag, .timeout = kPatience}).wait();
  reap(false);
  return payload_from(peer, tag, length);
}

}  // namespace tessera::jobs::sweep::detail
