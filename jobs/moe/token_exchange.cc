#include "jobs/moe/token_exchange.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include <torch/autograd.h>

#include "comm/torch/tensor_buffer.h"
#include "runtime/error.h"

namespace tessera::jobs::moe {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::size_t> element_counts(const std::vector<std::int64_t>& rows, std::int64_t width) {
  std::vector<std::size_t> counts(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    counts[i] = static_cast<std::size_t>(rows[i] * width);
  }
  return counts;
}

torch::Tensor all_to_allv_rows(comm::Communicator& comm, const torch::Tensor& rows,
                               const std::vector<std::int64_t>& send_rows,
                               const std::vector<std::int64_t>& recv_rows, ExchangeTimer* timer) {
  const auto start = Clock::now();
  const std::int64_t width = rows.size(1);
  const std::int64_t total = std::accumulate(recv_rows.begin(), recv_rows.end(), std::int64_t{0});
  TESSERA_CHECK(std::accumulate(send_rows.begin(), send_rows.end(), std::int64_t{0}) == rows.size(0),
                "exchange_rows: send_rows do not add up to the rows");
  torch::Tensor send = rows.contiguous();
  torch::Tensor recv = torch::empty({total, width}, rows.options());
  const std::vector<std::size_t> sc = element_counts(send_rows, width);
  const std::vector<std::size_t> rc = element_counts(recv_rows, width);
  comm.all_to_allv(comm::as_buffer(send), sc, comm::as_buffer(recv), rc).wait();
  if (timer != nullptr) {
    timer->seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  return recv;
}

class ExchangeRows : public torch::autograd::Function<ExchangeRows> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor rows,
                               std::int64_t comm, std::vector<std::int64_t> send_rows,
                               std::vector<std::int64_t> recv_rows, std::int64_t timer) {
    ctx->saved_data["comm"] = comm;
    ctx->saved_data["timer"] = timer;
    ctx->saved_data["send"] = send_rows;
    ctx->saved_data["recv"] = recv_rows;
    return all_to_allv_rows(*reinterpret_cast<comm::Communicator*>(comm), rows, send_rows, recv_rows,
                            reinterpret_cast<ExchangeTimer*>(timer));
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto* comm = reinterpret_cast<comm::Communicator*>(ctx->saved_data["comm"].toInt());
    auto* timer = reinterpret_cast<ExchangeTimer*>(ctx->saved_data["timer"].toInt());
    const std::vector<std::int64_t> send = ctx->saved_data["send"].toIntVector();
    const std::vector<std::int64_t> recv = ctx->saved_data["recv"].toIntVector();
    // The gradient of what arrived goes back to where it came from.
    torch::Tensor grad = all_to_allv_rows(*comm, grads[0].contiguous(), recv, send, timer);
    return {grad, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

std::vector<std::int64_t> exchange_counts(comm::Communicator& comm, const std::vector<std::int64_t>& send) {
  std::vector<std::int64_t> recv(send.size());
  if (comm.device().is_cuda()) {
    // NCCL moves device memory only: a few bytes there and back.
    const torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(comm.device().index));
    torch::Tensor s = torch::tensor(send, torch::TensorOptions().dtype(torch::kLong)).to(device);
    torch::Tensor r = torch::empty_like(s);
    comm.all_to_all(comm::as_buffer(s), comm::as_buffer(r)).wait();
    r = r.to(torch::kCPU);
    std::copy(r.data_ptr<std::int64_t>(), r.data_ptr<std::int64_t>() + r.numel(), recv.begin());
    return recv;
  }
  comm.all_to_all(comm::as_buffer(send), comm::as_buffer(recv)).wait();
  return recv;
}

torch::Tensor exchange_rows(comm::Communicator& comm, const torch::Tensor& rows,
                            const std::vector<std::int64_t>& send_rows,
                            const std::vector<std::int64_t>& recv_rows, ExchangeTimer* timer) {
  TESSERA_CHECK(rows.dim() == 2, "exchange_rows: rows must be [N, d]");
  TESSERA_CHECK(static_cast<int>(send_rows.size()) == comm.size() &&
                    static_cast<int>(recv_rows.size()) == comm.size(),
                "exchange_rows: one count per rank");
  return ExchangeRows::apply(rows, reinterpret_cast<std::int64_t>(&comm), send_rows, recv_rows,
                             reinterpret_cast<std::int64_t>(timer));
}

}  // namespace tessera::jobs::moe
