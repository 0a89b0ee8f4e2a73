#include "comm/mpi/mpi_communicator.h"

#include <climits>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "comm/mpi/mpi_types.h"
#include "comm/reduce_kernels.h"
#include "runtime/mpi_check.h"

namespace tessera::comm {

// What a running MPI operation needs, shared with the tasks that use it so a
// task stuck in MPI after its communicator was destroyed never dangles. The
// MPI communicators are freed by ~MpiCommunicator on the owner's thread
// (never from a worker: Open MPI corrupts its heap when one thread frees a
// communicator while another creates one), or leaked when a timed-out
// operation may still be inside them.
struct MpiContext {
  MPI_Comm data = MPI_COMM_NULL;
  MPI_Comm control = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  MpiReduceOps ops;

  void free_communicators() noexcept {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized != 0) {
      return;
    }
    for (MPI_Comm* comm : {&data, &control}) {
      if (*comm != MPI_COMM_NULL) {
        MPI_Comm_free(comm);
      }
    }
    ops.release();
  }
};

namespace {

// Takes ownership of `data` (a private communicator) and adds a control channel.
std::shared_ptr<MpiContext> make_context(MPI_Comm data) {
  auto context = std::make_shared<MpiContext>();
  context->data = data;
  MPI_Comm_set_errhandler(data, MPI_ERRORS_RETURN);
  TESSERA_MPI_CHECK(MPI_Comm_dup(data, &context->control),
                    (CommSite{.backend = "mpi", .op = "create"}));
  MPI_Comm_set_errhandler(context->control, MPI_ERRORS_RETURN);
  MPI_Comm_rank(data, &context->rank);
  MPI_Comm_size(data, &context->size);
  return context;
}

int as_int(std::size_t count) { return static_cast<int>(count); }

std::vector<int> as_ints(const std::vector<std::size_t>& counts) {
  return {counts.begin(), counts.end()};
}

void* in_place_or(const Op& op, void* data) { return op.in_place ? MPI_IN_PLACE : data; }

// The blocking MPI call for a collective. Throws CommError on failure.
void run_collective(const MpiContext& c, const Op& op, const CommSite& site) {
  const MPI_Datatype type = mpi_datatype(op.send.dtype);
  const MPI_Op reduce = c.ops.get(op.send.dtype, op.reduce);
  const auto n = static_cast<std::size_t>(c.size);
  switch (op.kind) {
    case OpKind::kAllReduce:
      TESSERA_MPI_CHECK(MPI_Allreduce(in_place_or(op, op.send.data), op.recv.data,
                                      as_int(op.recv.count), type, reduce, c.data),
                        site);
      if (op.reduce == ReduceOp::kAvg) {
        divide_by(op.recv.dtype, op.recv.data, op.recv.count, c.size);
      }
      return;
    case OpKind::kReduce:
      TESSERA_MPI_CHECK(MPI_Reduce(in_place_or(op, op.send.data), op.recv.data,
                                   as_int(op.send.count), type, reduce, op.root, c.data),
                        site);
      if (op.reduce == ReduceOp::kAvg && c.rank == op.root) {
        divide_by(op.recv.dtype, op.recv.data, op.recv.count, c.size);
      }
      return;
    case OpKind::kBroadcast:
      TESSERA_MPI_CHECK(MPI_Bcast(op.recv.data, as_int(op.recv.count), type, op.root, c.data),
                        site);
      return;
    case OpKind::kAllGather:
      if (op.in_place) {
        TESSERA_MPI_CHECK(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, op.recv.data,
                                        as_int(op.send.count), type, c.data),
                          site);
      } else {
        TESSERA_MPI_CHECK(MPI_Allgather(op.send.data, as_int(op.send.count), type, op.recv.data,
                                        as_int(op.send.count), type, c.data),
                          site);
      }
      return;
    case OpKind::kAllGatherv: {
      const std::vector<int> counts = as_ints(op.recv_counts);
      const std::vector<int> displs = as_ints(exclusive_prefix_sum(op.recv_counts));
      TESSERA_MPI_CHECK(
          MPI_Allgatherv(op.in_place ? MPI_IN_PLACE : op.send.data, as_int(op.send.count), type,
                         op.recv.data, counts.data(), displs.data(), type, c.data),
          site);
      return;
    }
    case OpKind::kReduceScatter:
      if (op.in_place) {
        // MPI's in-place form leaves the result at the start of the buffer.
        TESSERA_MPI_CHECK(MPI_Reduce_scatter_block(MPI_IN_PLACE, op.send.data,
                                                   as_int(op.recv.count), type, reduce, c.data),
                          site);
        if (c.rank != 0) {
          std::memmove(op.recv.data, op.send.data, op.recv.bytes());
        }
      } else {
        TESSERA_MPI_CHECK(MPI_Reduce_scatter_block(op.send.data, op.recv.data,
                                                   as_int(op.recv.count), type, reduce, c.data),
                          site);
      }
      if (op.reduce == ReduceOp::kAvg) {
        divide_by(op.recv.dtype, op.recv.data, op.recv.count, c.size);
      }
      return;
    case OpKind::kAllToAll: {
      const int block = as_int(op.send.count / n);
      if (op.in_place) {
        TESSERA_MPI_CHECK(MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, op.recv.data, block,
                                       type, c.data),
                          site);
      } else {
        TESSERA_MPI_CHECK(
            MPI_Alltoall(op.send.data, block, type, op.recv.data, block, type, c.data), site);
      }
      return;
    }
    case OpKind::kAllToAllv: {
      const std::vector<int> send_counts = as_ints(op.send_counts);
      const std::vector<int> send_displs = as_ints(exclusive_prefix_sum(op.send_counts));
      const std::vector<int> recv_counts = as_ints(op.recv_counts);
      const std::vector<int> recv_displs = as_ints(exclusive_prefix_sum(op.recv_counts));
      TESSERA_MPI_CHECK(MPI_Alltoallv(op.send.data, send_counts.data(), send_displs.data(), type,
                                      op.recv.data, recv_counts.data(), recv_displs.data(), type,
                                      c.data),
                        site);
      return;
    }
    case OpKind::kBarrier:
      TESSERA_MPI_CHECK(MPI_Barrier(c.data), site);
      return;
    case OpKind::kSplit:
    case OpKind::kSend:
    case OpKind::kRecv:
      break;
  }
  throw InternalError(fmt::format("mpi: {} is not a collective", op_name(op.kind)));
}

// Fails `state` with the current exception, except for a passed deadline:
// that op stays pending for its waiter or the watchdog to expire.
void fail_current(WorkState& state) {
  try {
    throw;
  } catch (const DeadlinePassed&) {
  } catch (...) {
    state.fail(std::current_exception());
  }
}

// A send or recv in flight, completed by polling MPI_Test.
class MpiRequestState final : public WorkState {
 public:
  MpiRequestState(CommSite site, Fingerprint what, Timeout timeout,
                  std::shared_ptr<CommHealth> health, std::shared_ptr<MpiContext> context,
                  bool is_recv)
      : WorkState(std::move(site), what, timeout, std::move(health)),
        context_(std::move(context)),
        is_recv_(is_recv) {}

  ~MpiRequestState() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (request != MPI_REQUEST_NULL && finalized == 0) {
      MPI_Request_free(&request);  // the Work was dropped while pending
    }
  }

  MPI_Request request = MPI_REQUEST_NULL;

 protected:
  bool polled() const override { return true; }

  void poll() override {
    int done = 0;
    MPI_Status status{};
    const int rc = MPI_Test(&request, &done, &status);
    if (rc != MPI_SUCCESS) {
      fail(std::make_exception_ptr(CommError(
          site(), fmt::format("MPI_Test failed: {}", runtime::mpi_error_string(rc)))));
      return;
    }
    if (done == 0) {
      return;
    }
    if (!is_recv_) {
      complete();
      return;
    }
    set_source_rank(status.MPI_SOURCE);
    int received = 0;
    MPI_Get_count(&status, mpi_datatype(what().dtype), &received);
    if (static_cast<std::uint64_t>(received) != what().count) {
      fail(std::make_exception_ptr(CommError(
          site(), fmt::format("expected {} elements of {} from rank {}, received {}", what().count,
                              dtype_name(what().dtype), status.MPI_SOURCE, received))));
      return;
    }
    complete();
  }

  bool withdraw() noexcept override {
    if (!is_recv_ || request == MPI_REQUEST_NULL) {
      return false;
    }
    MPI_Cancel(&request);
    MPI_Status status{};
    MPI_Wait(&request, &status);
    return true;
  }

 private:
  std::shared_ptr<MpiContext> context_;  // keeps the communicator alive while posted
  bool is_recv_;
};

}  // namespace

std::unique_ptr<MpiCommunicator> MpiCommunicator::create(MPI_Comm parent, CommConfig config,
                                                         std::shared_ptr<Watchdog> watchdog) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized == 0) {
    throw InternalError("MpiCommunicator::create: MPI is not initialised (runtime::Session starts it)");
  }
  MPI_Comm data = MPI_COMM_NULL;
  TESSERA_MPI_CHECK(MPI_Comm_dup(parent, &data), (CommSite{.backend = "mpi", .op = "create"}));
  return std::unique_ptr<MpiCommunicator>(
      new MpiCommunicator(make_context(data), std::move(config), std::move(watchdog)));
}

MpiCommunicator::MpiCommunicator(std::shared_ptr<MpiContext> context, CommConfig config,
                                 std::shared_ptr<Watchdog> watchdog)
    : Communicator(context->rank, context->size, "mpi", Device::cpu(), std::move(config),
                   std::move(watchdog)),
      context_(std::move(context)) {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  threads_ok_ = level == MPI_THREAD_MULTIPLE;
  if (!threads_ok_ && rank() == 0) {
    spdlog::warn("mpi: the MPI library granted less than MPI_THREAD_MULTIPLE; asynchronous "
                 "operations run synchronously (no overlap of communication and computation)");
  }
}

MpiCommunicator::~MpiCommunicator() {
  if (!health()->ok()) {
    queue_.abandon(std::make_exception_ptr(InternalError(
        fmt::format("{}: communicator destroyed with this operation still queued", describe()))));
  }
  if (queue_.shutdown()) {
    context_->free_communicators();
  }
}

MPI_Comm MpiCommunicator::mpi_handle() const { return context_->data; }

std::shared_ptr<WorkState> MpiCommunicator::start(Op op) {
  for (const Buffer* b : {&op.send, &op.recv}) {
    if (b->count > static_cast<std::size_t>(INT_MAX)) {
      throw error(op, fmt::format("{} elements exceed MPI's limit of INT_MAX per call",
                                  b->count));
    }
  }
  if (!is_collective(op.kind)) {
    return start_point_to_point(std::move(op));
  }
  std::shared_ptr<WorkState> state = new_state(op);
  const bool inline_ok = !op.async || !threads_ok_;
  if (inline_ok && queue_.run_if_idle([&] {
        try {
          check_agreement(op);
          run_collective(*context_, op, site(op));
          state->complete();
        } catch (...) {
          fail_current(*state);
        }
      })) {
    return state;
  }
  const CommSite where = site(op);
  queue_.submit({[this, context = context_, op = std::move(op), state, where] {
                   try {
                     check_agreement(op);
                     run_collective(*context, op, where);
                     state->complete();
                   } catch (...) {
                     fail_current(*state);
                   }
                 },
                 state},
                inline_ok);
  return state;
}

std::shared_ptr<WorkState> MpiCommunicator::start_point_to_point(Op op) {
  const bool is_recv = op.kind == OpKind::kRecv;
  auto state = new_state<MpiRequestState>(op, context_, is_recv);
  const CommSite where = site(op);
  if (is_recv) {
    TESSERA_MPI_CHECK(MPI_Irecv(op.recv.data, as_int(op.recv.count), mpi_datatype(op.recv.dtype),
                                op.peer == kAnySource ? MPI_ANY_SOURCE : op.peer,
                                op.tag == kAnyTag ? MPI_ANY_TAG : op.tag, context_->data,
                                &state->request),
                      where);
  } else {
    TESSERA_MPI_CHECK(MPI_Isend(op.send.data, as_int(op.send.count), mpi_datatype(op.send.dtype),
                                op.peer, op.tag, context_->data, &state->request),
                      where);
  }
  return state;
}

std::unique_ptr<Communicator> MpiCommunicator::split_impl(const Op& op) {
  std::shared_ptr<WorkState> state = new_state(op);
  // Filled by the task; shared so a task that outlives a timed-out wait
  // never writes to a dead stack frame.
  auto child = std::make_shared<std::shared_ptr<MpiContext>>();
  const CommSite where = site(op);
  queue_.submit({[this, context = context_, op, state, child, where] {
                   try {
                     check_agreement(op);
                     MPI_Comm comm = MPI_COMM_NULL;
                     TESSERA_MPI_CHECK(
                         MPI_Comm_split(context->data, op.color == kNoColor ? MPI_UNDEFINED : op.color,
                                        op.key, &comm),
                         where);
                     if (comm != MPI_COMM_NULL) {
                       *child = make_context(comm);
                     }
                     state->complete();
                   } catch (...) {
                     fail_current(*state);
                   }
                 },
                 state},
                true);
  Work(state).wait();
  if (!*child) {
    return nullptr;
  }
  return std::unique_ptr<Communicator>(new MpiCommunicator(*child, config(), watchdog()));
}

std::vector<std::string> MpiCommunicator::control_all_gather(
    const std::string& bytes, WorkState::Clock::time_point deadline) {
  const CommSite where{.backend = "mpi", .op = "comm_debug exchange", .rank = rank(),
                       .size = size()};
  auto wait = [&](MPI_Request& request) {
    auto pause = std::chrono::microseconds(0);
    for (;;) {
      int done = 0;
      TESSERA_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE), where);
      if (done != 0) {
        return;
      }
      if (WorkState::Clock::now() > deadline) {
        throw DeadlinePassed{};  // a rank skipped a collective or stopped
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause + std::chrono::microseconds(10), std::chrono::microseconds(1000));
    }
  };
  const int length = static_cast<int>(bytes.size());
  std::vector<int> lengths(static_cast<std::size_t>(size()));
  MPI_Request request = MPI_REQUEST_NULL;
  TESSERA_MPI_CHECK(MPI_Iallgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT,
                                   context_->control, &request),
                    where);
  wait(request);
  std::vector<int> offsets(lengths.size());
  int total = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    offsets[i] = total;
    total += lengths[i];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  TESSERA_MPI_CHECK(MPI_Iallgatherv(bytes.data(), length, MPI_BYTE, all.data(), lengths.data(),
                                    offsets.data(), MPI_BYTE, context_->control, &request),
                    where);
  wait(request);
  std::vector<std::string> out;
  out.reserve(lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    out.push_back(all.substr(static_cast<std::size_t>(offsets[i]),
                             static_cast<std::size_t>(lengths[i])));
  }
  return out;
}

}  // namespace tessera::comm
