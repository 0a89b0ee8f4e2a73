#pragma once

// NcclCommunicator: the Communicator over NCCL, for CUDA buffers on this
// rank's device (one GPU per rank, device = local rank).
//
// Every operation is enqueued on the communicator's own CUDA stream, after
// the device's legacy default stream (so data produced by plain CUDA calls
// is ready), and its Work completes on a CUDA event recorded after it:
// is_completed() queries the event and NCCL's asynchronous error state,
// wait() polls them against the timeout. Synchronous calls wait before
// returning. A timeout aborts the communicator (ncclCommAbort), so the GPU
// work behind it is released, and the TimeoutError names op and sequence
// number. all_gatherv and all_to_all(v) are grouped point-to-point calls;
// recv needs a peer (no kAnySource) and no tags (NCCL has neither).
// comm_debug fingerprints travel through NCCL itself (an all-gather of a few
// bytes on the stream).
//
// The unique id is broadcast from rank 0 through a bootstrap Coordinator:
// MPI when the launch wired it, else the TCP store on
// MASTER_ADDR:MASTER_PORT (create_for_launch picks).

#include <cuda_runtime.h>
#include <nccl.h>

#include <memory>

#include "comm/communicator.h"
#include "runtime/coordinator.h"
#include "runtime/launch_info.h"

namespace tessera::comm {

class NcclCommunicator final : public Communicator {
 public:
  // Collective over the ranks of `bootstrap` (used only here, to share the
  // unique id). `device`: this rank's CUDA device.
  static std::unique_ptr<NcclCommunicator> create(runtime::Coordinator& bootstrap,
                                                  int device,
                                                  CommConfig config = {},
                                                  std::shared_ptr<Watchdog> watchdog = nullptr);
  // The world communicator of a launch: device = local rank; bootstrap over
  // MPI if it is running, else over the TCP store.
  static std::unique_ptr<NcclCommunicator> create_for_launch(const runtime::LaunchInfo& launch,
                                                             CommConfig config = {});
  ~NcclCommunicator() override;

  cudaStream_t stream() const { return stream_; }

 protected:
  std::shared_ptr<WorkState> start(Op op) override;
  std::unique_ptr<Communicator> split_impl(const Op& op) override;
  std::vector<std::string> control_all_gather(const std::string& bytes,
                                              WorkState::Clock::time_point deadline) override;

 private:
  NcclCommunicator(ncclComm_t comm,
                   int rank,
                   int size,
                   int device,
                   CommConfig config,
                   std::shared_ptr<Watchdog> watchdog);
  void enqueue(const Op& op, const CommSite& where);
  // Waits (polling, bounded by `deadline`) for everything queued on the stream.
  void synchronize(WorkState::Clock::time_point deadline, const CommSite& where);

  ncclComm_t comm_ = nullptr;
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = nullptr;  // orders the stream after the default stream; synchronize()
  void* scratch_ = nullptr;  // device bytes for barrier and control exchanges
  std::size_t scratch_bytes_ = 0;
};

}  // namespace tessera::comm
