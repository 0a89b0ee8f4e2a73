#include "comm/nccl/nccl_communicator.h"

#include <mpi.h>

#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "comm/nccl/nccl_check.h"
#include "comm/store/store_coordinator.h"
#include "runtime/mpi_coordinator.h"

namespace tessera::comm {
namespace {

constexpr std::size_t kScratchBytes = 64 * 1024;

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return ncclFloat32;
    case DType::kF64:
      return ncclFloat64;
    case DType::kF16:
      return ncclFloat16;
    case DType::kBF16:
      return ncclBfloat16;
    case DType::kI32:
      return ncclInt32;
    case DType::kI64:
      return ncclInt64;
    case DType::kU8:
      return ncclUint8;
  }
  return ncclUint8;
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return ncclSum;
    case ReduceOp::kAvg:
      return ncclAvg;  // integer dtypes: sum, then divide (truncating)
    case ReduceOp::kMin:
      return ncclMin;
    case ReduceOp::kMax:
      return ncclMax;
    case ReduceOp::kProd:
      return ncclProd;
  }
  return ncclSum;
}

std::byte* at(const Buffer& b, std::size_t elements) {
  return b.begin_bytes() + elements * dtype_size(b.dtype);
}

// Completes when its CUDA event has; fails on a CUDA or NCCL asynchronous error.
class NcclWorkState final : public WorkState {
 public:
  NcclWorkState(CommSite site, Fingerprint what, Timeout timeout,
                std::shared_ptr<CommHealth> health, ncclComm_t comm)
      : WorkState(std::move(site), what, timeout, health), health_(std::move(health)), comm_(comm) {
    cudaEventCreateWithFlags(&event, cudaEventDisableTiming);
  }
  ~NcclWorkState() override { cudaEventDestroy(event); }

  cudaEvent_t event = nullptr;

 protected:
  bool polled() const override { return true; }
  void poll() override {
    if (!health_->ok()) {
      return;  // aborted: the comm handle is gone; expire() reports it
    }
    const cudaError_t query = cudaEventQuery(event);
    if (query == cudaSuccess) {
      complete();
      return;
    }
    if (query != cudaErrorNotReady) {
      fail(std::make_exception_ptr(
          CommError(site(), fmt::format("CUDA error: {}", cudaGetErrorString(query)))));
      return;
    }
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(comm_, &async);
    if (async != ncclSuccess && async != ncclInProgress) {
      fail(std::make_exception_ptr(CommError(
          site(), fmt::format("NCCL reported an asynchronous error: {}", ncclGetErrorString(async)))));
    }
  }

 private:
  std::shared_ptr<CommHealth> health_;
  ncclComm_t comm_;
};

}  // namespace

std::unique_ptr<NcclCommunicator> NcclCommunicator::create(runtime::Coordinator& bootstrap,
                                                           int device, CommConfig config,
                                                           std::shared_ptr<Watchdog> watchdog) {
  const CommSite where{.backend = "nccl", .op = "create", .rank = bootstrap.rank(),
                       .size = bootstrap.size()};
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || device < 0 || device >= devices) {
    throw ConfigError(fmt::format("runtime.device: cuda: rank {} needs CUDA device {}, but this "
                                  "node has {} (one GPU per rank on a node)",
                                  bootstrap.rank(), device, devices));
  }
  TESSERA_CUDA_CHECK(cudaSetDevice(device), where);
  ncclUniqueId id{};
  if (bootstrap.rank() == 0) {
    TESSERA_NCCL_CHECK(ncclGetUniqueId(&id), where);
  }
  const std::string shared = bootstrap.broadcast(
      bootstrap.rank() == 0 ? std::string(reinterpret_cast<const char*>(&id), sizeof id) : "", 0);
  std::memcpy(&id, shared.data(), std::min(shared.size(), sizeof id));
  ncclComm_t comm = nullptr;
  TESSERA_NCCL_CHECK(ncclCommInitRank(&comm, bootstrap.size(), id, bootstrap.rank()), where);
  return std::unique_ptr<NcclCommunicator>(new NcclCommunicator(
      comm, bootstrap.rank(), bootstrap.size(), device, std::move(config), std::move(watchdog)));
}

std::unique_ptr<NcclCommunicator> NcclCommunicator::create_for_launch(
    const runtime::LaunchInfo& launch, CommConfig config) {
  int mpi_initialized = 0;
  MPI_Initialized(&mpi_initialized);
  std::unique_ptr<runtime::Coordinator> bootstrap;
  if (mpi_initialized != 0) {
    bootstrap = std::make_unique<runtime::MpiCoordinator>(MPI_COMM_WORLD, config.timeout);
  } else {
    bootstrap = make_store_coordinator(launch, config.timeout);
  }
  std::unique_ptr<NcclCommunicator> comm = create(*bootstrap, launch.local_rank, std::move(config));
  bootstrap->barrier();  // every rank has the id before rank 0's store goes away
  return comm;
}

NcclCommunicator::NcclCommunicator(ncclComm_t comm, int rank, int size, int device,
                                   CommConfig config, std::shared_ptr<Watchdog> watchdog)
    : Communicator(rank, size, "nccl", Device::cuda(device), std::move(config), std::move(watchdog)),
      comm_(comm),
      device_(device),
      scratch_bytes_(kScratchBytes) {
  const CommSite where{.backend = "nccl", .op = "create", .rank = rank, .size = size};
  TESSERA_CUDA_CHECK(cudaSetDevice(device), where);
  TESSERA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), where);
  TESSERA_CUDA_CHECK(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming), where);
  TESSERA_CUDA_CHECK(cudaMalloc(&scratch_, scratch_bytes_), where);
  // A timeout (or another fatal error) aborts the NCCL communicator, which
  // releases the GPU work stuck behind it.
  health()->set_abort_hook([comm](const std::string&) { ncclCommAbort(comm); });
}

NcclCommunicator::~NcclCommunicator() {
  // Never blocks on peers: a healthy communicator is destroyed (its queued
  // work finishes first on the device), an aborted one is already gone.
  cudaSetDevice(device_);
  if (health()->ok()) {
    ncclCommDestroy(comm_);
  }
  cudaFree(scratch_);
  cudaEventDestroy(ready_);
  cudaStreamDestroy(stream_);
}

void NcclCommunicator::synchronize(WorkState::Clock::time_point deadline, const CommSite& where) {
  TESSERA_CUDA_CHECK(cudaEventRecord(ready_, stream_), where);
  for (;;) {
    const cudaError_t query = cudaEventQuery(ready_);
    if (query == cudaSuccess) {
      return;
    }
    if (query != cudaErrorNotReady) {
      throw CommError(where, fmt::format("CUDA error: {}", cudaGetErrorString(query)));
    }
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(comm_, &async);
    if (async != ncclSuccess && async != ncclInProgress) {
      throw CommError(where, fmt::format("NCCL error: {}", ncclGetErrorString(async)));
    }
    if (WorkState::Clock::now() > deadline) {
      throw DeadlinePassed{};
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

std::vector<std::string> NcclCommunicator::control_all_gather(
    const std::string& bytes, WorkState::Clock::time_point deadline) {
  const CommSite where{.backend = "nccl", .op = "comm_debug exchange", .rank = rank(),
                       .size = size()};
  const auto n = static_cast<std::size_t>(size());
  const auto r = static_cast<std::size_t>(rank());
  auto gather = [&](const void* mine, std::size_t length) {
    if (length * n > scratch_bytes_) {
      throw CommError(where, fmt::format("control message of {} bytes exceeds the scratch buffer",
                                         length));
    }
    auto* base = static_cast<std::byte*>(scratch_);
    TESSERA_CUDA_CHECK(cudaMemcpyAsync(base + r * length, mine, length, cudaMemcpyHostToDevice, stream_),
                       where);
    TESSERA_NCCL_CHECK(ncclAllGather(base + r * length, base, length, ncclUint8, comm_, stream_),
                       where);
    std::string all(length * n, '\0');
    TESSERA_CUDA_CHECK(cudaMemcpyAsync(all.data(), base, all.size(), cudaMemcpyDeviceToHost, stream_),
                       where);
    synchronize(deadline, where);
    return all;
  };
  const std::uint64_t length = bytes.size();
  const std::string lengths = gather(&length, sizeof length);
  for (std::size_t i = 0; i < n; ++i) {
    if (std::memcmp(lengths.data() + i * sizeof length, &length, sizeof length) != 0) {
      throw CommError(where, "comm_debug: ranks exchanged control messages of different lengths "
                             "(they called different collectives)");
    }
  }
  const std::string all = gather(bytes.data(), bytes.size());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(all.substr(i * bytes.size(), bytes.size()));
  }
  return out;
}

void NcclCommunicator::enqueue(const Op& op, const CommSite& where) {
  const ncclDataType_t type = nccl_type(op.send.dtype);
  const auto n = static_cast<std::size_t>(size());
  switch (op.kind) {
    case OpKind::kAllReduce:
      TESSERA_NCCL_CHECK(ncclAllReduce(op.send.data, op.recv.data, op.recv.count, type,
                                       nccl_op(op.reduce), comm_, stream_),
                         where);
      return;
    case OpKind::kReduce:
      TESSERA_NCCL_CHECK(ncclReduce(op.send.data, op.recv.data, op.send.count, type,
                                    nccl_op(op.reduce), op.root, comm_, stream_),
                         where);
      return;
    case OpKind::kBroadcast:
      TESSERA_NCCL_CHECK(ncclBroadcast(op.send.data, op.recv.data, op.recv.count, type, op.root,
                                       comm_, stream_),
                         where);
      return;
    case OpKind::kAllGather:
      TESSERA_NCCL_CHECK(ncclAllGather(op.send.data, op.recv.data, op.send.count, type, comm_,
                                       stream_),
                         where);
      return;
    case OpKind::kAllGatherv: {
      // One broadcast per rank into its block, grouped into one launch.
      const std::vector<std::size_t> offsets = exclusive_prefix_sum(op.recv_counts);
      TESSERA_NCCL_CHECK(ncclGroupStart(), where);
      for (std::size_t i = 0; i < n; ++i) {
        void* block = at(op.recv, offsets[i]);
        const void* from = i == static_cast<std::size_t>(rank()) ? op.send.data : block;
        TESSERA_NCCL_CHECK(ncclBroadcast(from, block, op.recv_counts[i], type, static_cast<int>(i),
                                         comm_, stream_),
                           where);
      }
      TESSERA_NCCL_CHECK(ncclGroupEnd(), where);
      return;
    }
    case OpKind::kReduceScatter:
      TESSERA_NCCL_CHECK(ncclReduceScatter(op.send.data, op.recv.data, op.recv.count, type,
                                           nccl_op(op.reduce), comm_, stream_),
                         where);
      return;
    case OpKind::kAllToAll:
    case OpKind::kAllToAllv: {
      std::vector<std::size_t> send_counts = op.send_counts;
      std::vector<std::size_t> recv_counts = op.recv_counts;
      if (op.kind == OpKind::kAllToAll) {
        send_counts.assign(n, op.send.count / n);
        recv_counts = send_counts;
      }
      const std::vector<std::size_t> send_offsets = exclusive_prefix_sum(send_counts);
      const std::vector<std::size_t> recv_offsets = exclusive_prefix_sum(recv_counts);
      Buffer send = op.send;
      void* staged = nullptr;
      if (op.in_place) {  // NCCL has no in-place all-to-all: send from a copy
        TESSERA_CUDA_CHECK(cudaMallocAsync(&staged, op.send.bytes(), stream_), where);
        TESSERA_CUDA_CHECK(cudaMemcpyAsync(staged, op.send.data, op.send.bytes(),
                                           cudaMemcpyDeviceToDevice, stream_),
                           where);
        send.data = staged;
      }
      TESSERA_NCCL_CHECK(ncclGroupStart(), where);
      for (std::size_t peer = 0; peer < n; ++peer) {
        TESSERA_NCCL_CHECK(ncclSend(at(send, send_offsets[peer]), send_counts[peer], type,
                                    static_cast<int>(peer), comm_, stream_),
                           where);
        TESSERA_NCCL_CHECK(ncclRecv(at(op.recv, recv_offsets[peer]), recv_counts[peer], type,
                                    static_cast<int>(peer), comm_, stream_),
                           where);
      }
      TESSERA_NCCL_CHECK(ncclGroupEnd(), where);
      if (staged != nullptr) {
        TESSERA_CUDA_CHECK(cudaFreeAsync(staged, stream_), where);
      }
      return;
    }
    case OpKind::kBarrier:
      TESSERA_NCCL_CHECK(ncclAllReduce(scratch_, scratch_, 1, ncclUint8, ncclSum, comm_, stream_),
                         where);
      return;
    case OpKind::kSend:
      TESSERA_NCCL_CHECK(ncclSend(op.send.data, op.send.count, type, op.peer, comm_, stream_),
                         where);
      return;
    case OpKind::kRecv:
      TESSERA_NCCL_CHECK(ncclRecv(op.recv.data, op.recv.count, nccl_type(op.recv.dtype), op.peer,
                                  comm_, stream_),
                         where);
      return;
    case OpKind::kSplit:
      break;
  }
  throw InternalError(fmt::format("nccl: cannot enqueue {}", op_name(op.kind)));
}

std::shared_ptr<WorkState> NcclCommunicator::start(Op op) {
  const CommSite where = site(op);
  if (op.kind == OpKind::kRecv && op.peer == kAnySource) {
    throw error(op, "NCCL has no any-source receive: name the peer (or use the mpi backend for "
                    "dynamic work handout)");
  }
  if ((op.kind == OpKind::kSend || op.kind == OpKind::kRecv) && op.tag != 0 && op.tag != kAnyTag) {
    throw error(op, fmt::format("NCCL has no message tags (tag {}): messages between two ranks "
                                "match in order",
                                op.tag));
  }
  TESSERA_CUDA_CHECK(cudaSetDevice(device_), where);
  auto state = new_state<NcclWorkState>(op, comm_);
  try {
    check_agreement(op);
  } catch (const DeadlinePassed&) {
    return state;  // left pending: its waiter (or the watchdog) expires it
  }
  // Work already queued on the device's default stream comes first.
  TESSERA_CUDA_CHECK(cudaEventRecord(ready_, cudaStreamLegacy), where);
  TESSERA_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_, 0), where);
  enqueue(op, where);
  TESSERA_CUDA_CHECK(cudaEventRecord(state->event, stream_), where);
  return state;
}

std::unique_ptr<Communicator> NcclCommunicator::split_impl(const Op& op) {
  const CommSite where = site(op);
  TESSERA_CUDA_CHECK(cudaSetDevice(device_), where);
  check_agreement(op);
  synchronize(WorkState::Clock::now() + op.timeout, where);
  ncclComm_t child = nullptr;
  TESSERA_NCCL_CHECK(ncclCommSplit(comm_, op.color == kNoColor ? NCCL_SPLIT_NOCOLOR : op.color,
                                   op.key, &child, nullptr),
                     where);
  if (child == nullptr) {
    return nullptr;
  }
  int child_rank = 0;
  int child_size = 1;
  TESSERA_NCCL_CHECK(ncclCommUserRank(child, &child_rank), where);
  TESSERA_NCCL_CHECK(ncclCommCount(child, &child_size), where);
  return std::unique_ptr<Communicator>(
      new NcclCommunicator(child, child_rank, child_size, device_, config(), watchdog()));
}

}  // namespace tessera::comm
