// The NCCL backend on one GPU (a world of one rank): every op on device
// buffers, split, and the errors that are NCCL's own. Skipped, saying why,
// where no CUDA device is present (CI has none). Multi-GPU runs use the
// same binary under mpiexec with one GPU per rank.

#include "comm/nccl/nccl_communicator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <numeric>

#include "runtime/coordinator.h"

namespace tessera::comm {
namespace {

using ::testing::HasSubstr;

bool have_gpu(std::string& why) {
  int count = 0;
  const cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess || count == 0) {
    why = rc != cudaSuccess ? cudaGetErrorString(rc) : "no CUDA device";
    return false;
  }
  return true;
}

// A device copy of `host`, freed with it.
class DeviceFloats {
 public:
  explicit DeviceFloats(const std::vector<float>& host) : count_(host.size()) {
    cudaMalloc(&data_, std::max<std::size_t>(count_, 1) * sizeof(float));
    cudaMemcpy(data_, host.data(), count_ * sizeof(float), cudaMemcpyHostToDevice);
  }
  ~DeviceFloats() { cudaFree(data_); }
  Buffer buffer() const { return {data_, count_, DType::kF32, Device::cuda(0)}; }
  std::vector<float> host() const {
    std::vector<float> out(count_);
    cudaMemcpy(out.data(), data_, count_ * sizeof(float), cudaMemcpyDeviceToHost);
    return out;
  }

 private:
  void* data_ = nullptr;
  std::size_t count_;
};

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!have_gpu(why)) {
      GTEST_SKIP() << "needs a CUDA device (" << why << "); run on a GPU machine";
    }
    runtime::SoloCoordinator solo;
    comm_ = NcclCommunicator::create(solo, 0);
  }
  std::unique_ptr<NcclCommunicator> comm_;
};

TEST_F(NcclCommunicatorTest, EveryOpOnAWorldOfOneGpu) {
  std::vector<float> v(1000);
  std::iota(v.begin(), v.end(), 1.0F);
  DeviceFloats a(v);
  DeviceFloats b(std::vector<float>(1000, 0.0F));
  comm_->all_reduce(a.buffer(), b.buffer(), {.op = ReduceOp::kAvg}).wait();
  EXPECT_EQ(b.host(), v);
  comm_->broadcast(a.buffer()).wait();
  comm_->all_gather(a.buffer(), b.buffer()).wait();
  EXPECT_EQ(b.host(), v);
  comm_->reduce_scatter(a.buffer(), b.buffer(), {.op = ReduceOp::kMax, .async = true}).wait();
  EXPECT_EQ(b.host(), v);
  comm_->all_to_all(a.buffer(), a.buffer()).wait();  // in place, through a staged copy
  EXPECT_EQ(a.host(), v);
  const std::vector<std::size_t> counts{1000};
  comm_->all_to_allv(a.buffer(), counts, b.buffer(), counts).wait();
  EXPECT_EQ(b.host(), v);
  comm_->all_gatherv(a.buffer(), b.buffer(), counts).wait();
  EXPECT_EQ(b.host(), v);
  comm_->barrier().wait();
  auto sub = comm_->split(0, 0);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->size(), 1);
  sub->all_reduce(b.buffer()).wait();
  EXPECT_EQ(b.host(), v);
}

TEST_F(NcclCommunicatorTest, RejectsHostBuffersAnySourceAndTags) {
  std::vector<float> host(4);
  Buffer on_host{host.data(), 4, DType::kF32, Device::cpu()};
  try {
    comm_->all_reduce(on_host).wait();
    ADD_FAILURE() << "host memory must be rejected";
  } catch (const CommError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs cuda:0 buffers"));
  }
  DeviceFloats d(host);
  EXPECT_THROW(comm_->recv(d.buffer(), kAnySource).wait(), CommError);
  EXPECT_THROW(comm_->send(d.buffer(), 0, {.tag = 5}).wait(), CommError);
}

}  // namespace
}  // namespace tessera::comm
