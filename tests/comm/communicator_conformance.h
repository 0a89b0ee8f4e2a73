#pragma once

// The conformance suite every Communicator backend passes: one set of test
// bodies, instantiated per backend by a thin test file with a Harness:
//
//   struct Harness {
//     static std::vector<int> world_sizes();   // the sizes this backend runs
//     // Runs body(comm) on every rank of a world of `size` ranks.
//     static void run(int size, const std::function<void(Communicator&)>& body,
//                     const CommConfig& config);
//   };
//
// Inputs are small integers, exact in every dtype, so every result is
// compared exactly. Sizes are {0, 1, 7, 1000, 2^20} elements for every op and
// dtype; 2^24 + 3 runs for all_reduce (f32 sum, f64 max in place) and
// all_gather (u8) on worlds of at most 2 ranks, to keep the suite's time
// bounded on a 2-core CI machine; for the same reason 2^20-element buffers
// (2^20 per block for reduce_scatter and all_to_all) run on worlds of at most
// 2 ranks, and reduce to every root only up to 1000 elements.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "comm/communicator.h"
#include "comm/torch/tensor_buffer.h"
#include "tests/comm/comm_test_util.h"

namespace tessera::comm::testing {

inline constexpr std::size_t kSizes[] = {0, 1, 7, 1000, std::size_t{1} << 20};
inline constexpr std::size_t kHugeSize = (std::size_t{1} << 24) + 3;

// Whether a world of `size` ranks runs buffers of `count` elements.
inline bool runs_size(std::size_t count, int size) { return count <= 1000 || size <= 2; }

// A bounded timeout: a bug that hangs fails within a minute (the watchdog
// ends the process), instead of at the test runner's limit.
inline CommConfig conformance_config() {
  CommConfig config;
  config.timeout = std::chrono::seconds(60);
  return config;
}

#define TESSERA_EXPECT_VALUES(values, expected, ...)                                      \
  do {                                                                                    \
    const std::int64_t at_ = first_mismatch((values), (expected));                        \
    EXPECT_EQ(at_, -1) << fmt::format(__VA_ARGS__) << ": element " << at_ << " is "      \
                       << (at_ >= 0 ? (values).get(static_cast<std::size_t>(at_)) : 0.0) \
                       << ", expected "                                                   \
                       << (at_ >= 0 ? (expected)(static_cast<std::size_t>(at_)) : 0.0);  \
  } while (false)

template <class Harness>
class CommunicatorConformance : public ::testing::Test {
 protected:
  static void each_world(const std::function<void(Communicator&)>& body,
                         const CommConfig& config = conformance_config()) {
    for (int size : Harness::world_sizes()) {
      SCOPED_TRACE(fmt::format("world size {}", size));
      Harness::run(size, body, config);
    }
  }
};

TYPED_TEST_SUITE_P(CommunicatorConformance);

TYPED_TEST_P(CommunicatorConformance, ReportsRankSizeAndBackend) {
  this->each_world([](Communicator& comm) {
    EXPECT_GE(comm.rank(), 0);
    EXPECT_LT(comm.rank(), comm.size());
    EXPECT_FALSE(comm.backend_name().empty());
    EXPECT_TRUE(comm.device().is_cpu());
  });
}

TYPED_TEST_P(CommunicatorConformance, AllReduceEveryOpDtypeAndSizeInAndOutOfPlace) {
  this->each_world([](Communicator& comm) {
    const int n = comm.size();
    for (std::size_t count : kSizes) {
      if (!runs_size(count, n)) {
        continue;
      }
      for (DType dtype : kAllDTypes) {
        for (ReduceOp op : kAllReduceOps) {
          auto expected = periodic(kInputPeriod, [&](std::size_t i) {
            return expected_reduction(dtype, op, n, i);
          });
          auto fill = [&](std::size_t i) { return input(op, comm.rank(), i); };
          Values send(dtype, count, fill);
          Values recv(dtype, count);
          comm.all_reduce(send.buffer(), recv.buffer(), {.op = op}).wait();
          TESSERA_EXPECT_VALUES(recv, expected, "all_reduce {} {} x {}", reduce_op_name(op),
                                dtype_name(dtype), count);
          Values inout(dtype, count, fill);
          comm.all_reduce(inout.buffer(), {.op = op}).wait();
          TESSERA_EXPECT_VALUES(inout, expected, "in-place all_reduce {} {} x {}",
                                reduce_op_name(op), dtype_name(dtype), count);
        }
      }
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, AllReduceOfTwoToThe24PlusThreeElements) {
  this->each_world([](Communicator& comm) {
    if (comm.size() > 2) {
      return;  // see the file comment: bounded suite time
    }
    const int n = comm.size();
    {
      auto fill = [&](std::size_t i) { return input(ReduceOp::kSum, comm.rank(), i); };
      Values send(DType::kF32, kHugeSize, fill);
      Values recv(DType::kF32, kHugeSize);
      comm.all_reduce(send.buffer(), recv.buffer()).wait();
      auto expected = periodic(kInputPeriod, [&](std::size_t i) {
        return expected_reduction(DType::kF32, ReduceOp::kSum, n, i);
      });
      TESSERA_EXPECT_VALUES(recv, expected, "all_reduce f32 sum x 2^24+3");
    }
    {
      auto fill = [&](std::size_t i) { return input(ReduceOp::kMax, comm.rank(), i); };
      Values inout(DType::kF64, kHugeSize, fill);
      comm.all_reduce(inout.buffer(), {.op = ReduceOp::kMax}).wait();
      auto expected = periodic(kInputPeriod, [&](std::size_t i) {
        return expected_reduction(DType::kF64, ReduceOp::kMax, n, i);
      });
      TESSERA_EXPECT_VALUES(inout, expected, "in-place all_reduce f64 max x 2^24+3");
    }
    {
      Values send(DType::kU8, kHugeSize, [&](std::size_t i) { return (i + comm.rank()) % 251; });
      Values recv(DType::kU8, kHugeSize * static_cast<std::size_t>(n));
      comm.all_gather(send.buffer(), recv.buffer()).wait();
      auto expected = [&](std::size_t j) {
        return static_cast<double>((j % kHugeSize + j / kHugeSize) % 251);
      };
      TESSERA_EXPECT_VALUES(recv, expected, "all_gather u8 x 2^24+3");
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, ReduceToEveryRootInAndOutOfPlace) {
  this->each_world([](Communicator& comm) {
    const int n = comm.size();
    for (std::size_t count : kSizes) {
      if (!runs_size(count, n)) {
        continue;
      }
      for (DType dtype : kAllDTypes) {
        for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kAvg, ReduceOp::kMax}) {
          for (int root = count <= 1000 ? 0 : n - 1; root < n; ++root) {
            auto fill = [&](std::size_t i) { return input(op, comm.rank(), i); };
            auto expected = periodic(kInputPeriod, [&](std::size_t i) {
              return expected_reduction(dtype, op, n, i);
            });
            Values send(dtype, count, fill);
            Values recv(dtype, count, [](std::size_t) { return 99; });
            comm.reduce(send.buffer(), recv.buffer(), {.op = op, .root = root}).wait();
            if (comm.rank() == root) {
              TESSERA_EXPECT_VALUES(recv, expected, "reduce {} {} x {} root {}",
                                    reduce_op_name(op), dtype_name(dtype), count, root);
            } else {
              TESSERA_EXPECT_VALUES(recv, [](std::size_t) { return 99.0; },
                                    "non-root recv untouched");
            }
            Values inout(dtype, count, fill);
            comm.reduce(inout.buffer(), inout.buffer(), {.op = op, .root = root}).wait();
            if (comm.rank() == root) {
              TESSERA_EXPECT_VALUES(inout, expected, "in-place reduce {} {} x {} root {}",
                                    reduce_op_name(op), dtype_name(dtype), count, root);
            }
          }
        }
      }
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, BroadcastFromEveryRoot) {
  this->each_world([](Communicator& comm) {
    for (std::size_t count : kSizes) {
      if (!runs_size(count, comm.size())) {
        continue;
      }
      for (DType dtype : kAllDTypes) {
        for (int root = 0; root < comm.size(); ++root) {
          auto of_root = [&](std::size_t i) { return as_dtype(dtype, (i * 7 + root) % 100); };
          Values buf(dtype, count,
                     [&](std::size_t i) { return comm.rank() == root ? of_root(i) : 0.0; });
          comm.broadcast(buf.buffer(), {.root = root}).wait();
          TESSERA_EXPECT_VALUES(buf, of_root, "broadcast {} x {} from {}", dtype_name(dtype),
                                count, root);
        }
      }
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, AllGatherInAndOutOfPlace) {
  this->each_world([](Communicator& comm) {
    const auto n = static_cast<std::size_t>(comm.size());
    const auto r = static_cast<std::size_t>(comm.rank());
    for (std::size_t count : kSizes) {
      if (!runs_size(count, comm.size())) {
        continue;
      }
      for (DType dtype : kAllDTypes) {
        auto of_rank = [&](std::size_t rank, std::size_t i) {
          return as_dtype(dtype, (i + 10 * rank) % 120);
        };
        auto expected = [&](std::size_t j) { return of_rank(j / std::max<std::size_t>(count, 1), j % std::max<std::size_t>(count, 1)); };
        Values send(dtype, count, [&](std::size_t i) { return of_rank(r, i); });
        Values recv(dtype, count * n);
        comm.all_gather(send.buffer(), recv.buffer()).wait();
        TESSERA_EXPECT_VALUES(recv, expected, "all_gather {} x {}", dtype_name(dtype), count);

        Values inout(dtype, count * n, [&](std::size_t j) {
          return j / std::max<std::size_t>(count, 1) == r ? expected(j) : -1.0;
        });
        comm.all_gather(inout.slice(r * count, count), inout.buffer()).wait();
        TESSERA_EXPECT_VALUES(inout, expected, "in-place all_gather {} x {}", dtype_name(dtype),
                              count);
      }
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, AllGathervWithUnevenAndEmptyBlocks) {
  this->each_world([](Communicator& comm) {
    const auto n = static_cast<std::size_t>(comm.size());
    const auto r = static_cast<std::size_t>(comm.rank());
    for (DType dtype : kAllDTypes) {
      for (std::size_t scale : {std::size_t{1}, std::size_t{1000}}) {
        std::vector<std::size_t> counts(n);
        for (std::size_t i = 0; i < n; ++i) {
          counts[i] = (i % 3 == 1) ? 0 : scale * (i + 1) + i;  // rank 1 sends nothing
        }
        const std::vector<std::size_t> offsets = exclusive_prefix_sum(counts);
        const std::size_t total = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
        auto value = [&](std::size_t rank, std::size_t i) {
          return as_dtype(dtype, (3 * i + rank) % 100);
        };
        auto expected = [&](std::size_t j) {
          std::size_t rank = 0;
          while (rank + 1 < n && offsets[rank + 1] <= j) {
            ++rank;
          }
          while (counts[rank] == 0) {
            ++rank;
          }
          return value(rank, j - offsets[rank]);
        };
        Values send(dtype, counts[r], [&](std::size_t i) { return value(r, i); });
        Values recv(dtype, total);
        comm.all_gatherv(send.buffer(), recv.buffer(), counts).wait();
        TESSERA_EXPECT_VALUES(recv, expected, "all_gatherv {} scale {}", dtype_name(dtype), scale);

        Values inout(dtype, total, [&](std::size_t j) {
          return j >= offsets[r] && j < offsets[r] + counts[r] ? expected(j) : -1.0;
        });
        comm.all_gatherv(inout.slice(offsets[r], counts[r]), inout.buffer(), counts).wait();
        TESSERA_EXPECT_VALUES(inout, expected, "in-place all_gatherv {}", dtype_name(dtype));
      }
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, ReduceScatterEveryOpInAndOutOfPlace) {
  this->each_world([](Communicator& comm) {
    const int n = comm.size();
    const auto r = static_cast<std::size_t>(comm.rank());
    for (std::size_t block : kSizes) {
      if (!runs_size(block, n)) {
        continue;
      }
      for (DType dtype : kAllDTypes) {
        for (ReduceOp op : kAllReduceOps) {
          auto fill = [&](std::size_t i) { return input(op, comm.rank(), i); };
          auto reduced = periodic(kInputPeriod, [&](std::size_t i) {
            return expected_reduction(dtype, op, n, i);
          });
          auto expected = [&](std::size_t i) { return reduced(r * block + i); };
          Values send(dtype, block * static_cast<std::size_t>(n), fill);
          Values recv(dtype, block);
          comm.reduce_scatter(send.buffer(), recv.buffer(), {.op = op}).wait();
          TESSERA_EXPECT_VALUES(recv, expected, "reduce_scatter {} {} block {}",
                                reduce_op_name(op), dtype_name(dtype), block);

          Values inout(dtype, block * static_cast<std::size_t>(n), fill);
          comm.reduce_scatter(inout.buffer(), inout.slice(r * block, block), {.op = op}).wait();
          auto in_block = [&](std::size_t j) { return expected(j - r * block); };
          const std::int64_t at = first_mismatch(inout, in_block, r * block, block);
          EXPECT_EQ(at, -1) << "in-place reduce_scatter " << reduce_op_name(op) << " "
                            << dtype_name(dtype) << " block " << block;
        }
      }
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, AllToAllInAndOutOfPlace) {
  this->each_world([](Communicator& comm) {
    const auto n = static_cast<std::size_t>(comm.size());
    const auto r = static_cast<std::size_t>(comm.rank());
    for (std::size_t block : kSizes) {
      if (!runs_size(block, static_cast<int>(n))) {
        continue;
      }
      for (DType dtype : kAllDTypes) {
        // Element i of the block rank s sends to rank d.
        auto value = [&](std::size_t s, std::size_t d, std::size_t i) {
          return as_dtype(dtype, (i + 7 * s + 3 * d) % 100);
        };
        auto fill = [&](std::size_t j) { return value(r, j / block, j % block); };
        auto expected = [&](std::size_t j) { return value(j / block, r, j % block); };
        Values send = block > 0 ? Values(dtype, block * n, fill) : Values(dtype, 0);
        Values recv(dtype, block * n);
        comm.all_to_all(send.buffer(), recv.buffer()).wait();
        if (block > 0) {
          TESSERA_EXPECT_VALUES(recv, expected, "all_to_all {} block {}", dtype_name(dtype), block);
          Values inout(dtype, block * n, fill);
          comm.all_to_all(inout.buffer(), inout.buffer()).wait();
          TESSERA_EXPECT_VALUES(inout, expected, "in-place all_to_all {} block {}",
                                dtype_name(dtype), block);
        }
      }
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, AllToAllvWithUnevenAndEmptySplits) {
  this->each_world([](Communicator& comm) {
    const auto n = static_cast<std::size_t>(comm.size());
    const auto r = static_cast<std::size_t>(comm.rank());
    // Rank s sends count(s, d) elements to rank d; some pairs send nothing.
    auto count = [](std::size_t s, std::size_t d) -> std::size_t {
      return (s + 2 * d) % 3 == 0 ? 0 : 1 + 5 * s + d;
    };
    for (DType dtype : kAllDTypes) {
      std::vector<std::size_t> send_counts(n);
      std::vector<std::size_t> recv_counts(n);
      for (std::size_t p = 0; p < n; ++p) {
        send_counts[p] = count(r, p);
        recv_counts[p] = count(p, r);
      }
      const std::vector<std::size_t> send_offsets = exclusive_prefix_sum(send_counts);
      const std::vector<std::size_t> recv_offsets = exclusive_prefix_sum(recv_counts);
      auto value = [&](std::size_t s, std::size_t d, std::size_t i) {
        return as_dtype(dtype, (i + 11 * s + 5 * d) % 100);
      };
      Values send(dtype, send_offsets.back() + send_counts.back(), [&](std::size_t j) {
        std::size_t d = n - 1;
        while (send_offsets[d] > j || send_counts[d] == 0) {
          --d;
        }
        return value(r, d, j - send_offsets[d]);
      });
      Values recv(dtype, recv_offsets.back() + recv_counts.back());
      comm.all_to_allv(send.buffer(), send_counts, recv.buffer(), recv_counts).wait();
      auto expected = [&](std::size_t j) {
        std::size_t s = n - 1;
        while (recv_offsets[s] > j || recv_counts[s] == 0) {
          --s;
        }
        return value(s, r, j - recv_offsets[s]);
      };
      TESSERA_EXPECT_VALUES(recv, expected, "all_to_allv {}", dtype_name(dtype));
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, BarrierSeparatesPhases) {
  this->each_world([](Communicator& comm) {
    for (int i = 0; i < 20; ++i) {
      comm.barrier().wait();
    }
    comm.barrier({.async = true}).wait();
  });
}

TYPED_TEST_P(CommunicatorConformance, SendRecvRingAnySourceAndTags) {
  this->each_world([](Communicator& comm) {
    const int n = comm.size();
    const int r = comm.rank();
    if (n == 1) {
      return;
    }
    // A ring: post the receive first (async), then send.
    Values in(DType::kI64, 1000);
    Work recv = comm.recv(in.buffer(), (r + n - 1) % n, {.async = true});
    Values out(DType::kI64, 1000, [&](std::size_t i) { return 1000.0 * r + i; });
    comm.send(out.buffer(), (r + 1) % n).wait();
    recv.wait();
    const int from = (r + n - 1) % n;
    TESSERA_EXPECT_VALUES(in, [&](std::size_t i) { return 1000.0 * from + i; }, "ring recv");
    EXPECT_EQ(recv.source_rank(), from);

    // Work handout: every other rank sends its rank under tag 7; rank 0 takes
    // them from any source, in whatever order they come.
    if (r == 0) {
      std::vector<int> seen;
      for (int k = 1; k < n; ++k) {
        std::int32_t who = -1;
        Work w = comm.recv(as_buffer(who), kAnySource, {.tag = 7});
        w.wait();
        EXPECT_EQ(w.source_rank(), who);
        seen.push_back(who);
      }
      std::sort(seen.begin(), seen.end());
      std::vector<int> all(static_cast<std::size_t>(n - 1));
      std::iota(all.begin(), all.end(), 1);
      EXPECT_EQ(seen, all);
    } else {
      std::int32_t me = r;
      comm.send(as_buffer(me), 0, {.tag = 7}).wait();
    }

    // Messages with different tags are matched by tag, not by arrival order.
    if (r == 1) {
      std::int32_t a = 1;
      std::int32_t b = 2;
      comm.send(as_buffer(a), 0, {.tag = 1}).wait();
      comm.send(as_buffer(b), 0, {.tag = 2}).wait();
    } else if (r == 0) {
      std::int32_t b = 0;
      std::int32_t a = 0;
      comm.recv(as_buffer(b), 1, {.tag = 2}).wait();
      comm.recv(as_buffer(a), 1, {.tag = 1}).wait();
      EXPECT_EQ(a, 1);
      EXPECT_EQ(b, 2);
    }
    comm.barrier().wait();
  });
}

TYPED_TEST_P(CommunicatorConformance, RecvOfTheWrongLengthIsAnError) {
  this->each_world([](Communicator& comm) {
    if (comm.size() == 1) {
      return;
    }
    if (comm.rank() == 1) {
      std::vector<float> three(3, 1.0F);
      comm.send(as_buffer(three), 0).wait();
    } else if (comm.rank() == 0) {
      std::vector<float> five(5);
      Work w = comm.recv(as_buffer(five), 1, {.async = true});
      try {
        w.wait();
        ADD_FAILURE() << "a 3-element message into a 5-element recv must fail";
      } catch (const CommError& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("recv"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("5"));
      }
    }
    comm.barrier().wait();
  });
}

TYPED_TEST_P(CommunicatorConformance, SplitMakesIndependentSubGroups) {
  this->each_world([](Communicator& comm) {
    const int n = comm.size();
    const int r = comm.rank();
    // Even and odd ranks, numbered in reverse order of the old rank.
    std::unique_ptr<Communicator> sub = comm.split(r % 2, -r);
    ASSERT_NE(sub, nullptr);
    const int members = (n + 1 - r % 2) / 2;
    EXPECT_EQ(sub->size(), members);
    EXPECT_EQ(sub->rank(), members - 1 - r / 2);
    std::int64_t value = r;
    sub->all_reduce(as_buffer(value)).wait();
    std::int64_t expected = 0;
    for (int q = r % 2; q < n; q += 2) {
      expected += q;
    }
    EXPECT_EQ(value, expected);

    // The world still works, interleaved with the sub-group.
    std::int64_t total = 1;
    comm.all_reduce(as_buffer(total)).wait();
    EXPECT_EQ(total, n);

    // A rank can stay out; nested splits work.
    std::unique_ptr<Communicator> first = comm.split(r == 0 ? kNoColor : 0, r);
    EXPECT_EQ(first == nullptr, r == 0);
    if (first) {
      EXPECT_EQ(first->size(), n - 1);
      std::unique_ptr<Communicator> solo = first->split(first->rank(), 0);
      ASSERT_NE(solo, nullptr);
      EXPECT_EQ(solo->size(), 1);
      std::int32_t x = 5;
      solo->all_reduce(as_buffer(x)).wait();
      EXPECT_EQ(x, 5);
    }
  });
}

TYPED_TEST_P(CommunicatorConformance, AsyncOperationsCompleteInIssueOrder) {
  this->each_world([](Communicator& comm) {
    const int n = comm.size();
    std::vector<Values> buffers;
    std::vector<Work> works;
    for (int k = 0; k < 8; ++k) {
      buffers.emplace_back(DType::kF32, 10000, [&](std::size_t i) {
        return input(ReduceOp::kSum, comm.rank(), i + static_cast<std::size_t>(k));
      });
    }
    for (auto& b : buffers) {
      works.push_back(comm.all_reduce(b.buffer(), {.async = true}));
    }
    // A synchronous op issued behind them waits its turn.
    std::int32_t one = 1;
    comm.all_reduce(as_buffer(one)).wait();
    EXPECT_EQ(one, n);
    for (std::size_t k = works.size(); k-- > 0;) {  // waited in reverse: fine
      works[k].wait();
      EXPECT_TRUE(works[k].is_completed());
      TESSERA_EXPECT_VALUES(buffers[k],
                            [&](std::size_t i) {
                              return expected_reduction(DType::kF32, ReduceOp::kSum, n, i + k);
                            },
                            "async all_reduce {}", k);
    }
    Work done = comm.barrier({.async = true});
    while (!done.is_completed()) {
      std::this_thread::yield();
    }
    done.wait();
  });
}

TYPED_TEST_P(CommunicatorConformance, RejectsNonContiguousAndWrongDeviceBuffers) {
  this->each_world([](Communicator& comm) {
    torch::Tensor t = torch::zeros({4, 3}).t();
    try {
      (void)as_buffer(t);
      ADD_FAILURE() << "a transposed tensor must be rejected";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("not contiguous"));
    }
    EXPECT_NO_THROW((void)as_buffer(t.contiguous()));
    std::vector<float> host(4);
    Buffer on_gpu = as_buffer(host);
    on_gpu.device = Device::cuda(0);
    try {
      comm.all_reduce(on_gpu).wait();
      ADD_FAILURE() << "a CUDA buffer must be rejected by a CPU communicator";
    } catch (const CommError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("cuda:0"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("needs cpu buffers"));
    }
    std::vector<float> small(3);
    EXPECT_THROW(comm.all_gather(as_buffer(host), as_buffer(small)).wait(), CommError);
    EXPECT_THROW(comm.broadcast(as_buffer(host), {.root = comm.size()}).wait(), CommError);
    // Nothing was sent: the communicator still works.
    comm.barrier().wait();
  });
}

TYPED_TEST_P(CommunicatorConformance, TimeoutNamesTheOpAndPoisonsTheCommunicator) {
  std::atomic<int> watchdog_calls{0};
  CommConfig config = conformance_config();
  config.on_timeout = [&](const TimeoutError&) { ++watchdog_calls; };
  this->each_world(
      [](Communicator& world) {
        if (world.size() == 1) {
          return;
        }
        std::unique_ptr<Communicator> sub = world.split(0, world.rank());
        std::vector<float> data(16, 1.0F);
        // A timed-out op is abandoned, not cancelled: when the others arrive
        // late, MPI still completes it into this buffer, possibly after this
        // test body returned. So it must outlive the test.
        static std::vector<float> abandoned(16, 1.0F);
        if (world.rank() == 0) {
          // Rank 0 calls all_reduce; the others do not (yet).
          Work w = sub->all_reduce(as_buffer(abandoned),
                                   {.timeout = std::chrono::milliseconds(300), .async = true});
          try {
            w.wait();
            ADD_FAILURE() << "the all_reduce must time out";
          } catch (const TimeoutError& e) {
            EXPECT_THAT(e.what(), ::testing::HasSubstr("all_reduce #0"));
            EXPECT_THAT(e.what(), ::testing::HasSubstr("f32 x 16"));
            EXPECT_THAT(e.what(), ::testing::HasSubstr("on rank 0/"));
            EXPECT_THAT(e.what(), ::testing::HasSubstr("300 ms"));
          }
          EXPECT_THROW(sub->barrier().wait(), CommError);  // unusable now
        }
        world.barrier().wait();
        if (world.rank() != 0) {
          // Arriving late: completes with the stuck op (mpi) or fails because
          // the group was aborted (local). Either way, no hang.
          try {
            sub->all_reduce(as_buffer(data)).wait();
          } catch (const CommError&) {
          }
        }
        world.barrier().wait();
      },
      config);
  EXPECT_EQ(watchdog_calls.load(), 0) << "the waiter reported the timeout itself";
}

TYPED_TEST_P(CommunicatorConformance, DebugModeCatchesAFingerprintMismatch) {
  CommConfig config = conformance_config();
  config.debug = true;
  this->each_world(
      [](Communicator& world) {
        if (world.size() == 1) {
          return;
        }
        std::unique_ptr<Communicator> sub = world.split(0, world.rank());
        std::vector<float> data(8, 1.0F);
        try {
          if (sub->rank() == 0) {
            sub->all_reduce(as_buffer(data)).wait();
          } else {
            sub->broadcast(as_buffer(data)).wait();
          }
          ADD_FAILURE() << "different collectives must be caught";
        } catch (const CommError& e) {
          EXPECT_THAT(e.what(), ::testing::HasSubstr("rank 0 called all_reduce(f32 x 8, sum) #0"));
          EXPECT_THAT(e.what(), ::testing::HasSubstr("called broadcast(f32 x 8, root 0) #0"));
        }
        // Matching calls still work after a caught mismatch in debug mode.
        std::unique_ptr<Communicator> fresh = world.split(0, world.rank());
        std::int32_t one = 1;
        fresh->all_reduce(as_buffer(one)).wait();
        EXPECT_EQ(one, world.size());
        // Uneven all_to_allv splits that do not pair up are named.
        const auto n = static_cast<std::size_t>(world.size());
        std::vector<std::size_t> send_counts(n, 1);
        std::vector<std::size_t> recv_counts(n, 1);
        if (world.rank() == 0) {
          send_counts[1] = 2;
        }
        std::vector<float> out(n + 1);
        std::vector<float> in(n);
        try {
          std::vector<float>& send = out;
          fresh->all_to_allv(as_buffer(send).slice(0, world.rank() == 0 ? n + 1 : n), send_counts,
                             as_buffer(in), recv_counts)
              .wait();
          ADD_FAILURE() << "mismatched splits must be caught";
        } catch (const CommError& e) {
          EXPECT_THAT(e.what(), ::testing::HasSubstr("rank 0 sends 2 elements to rank 1, which "
                                                     "expects 1"));
        }
      },
      config);
}

REGISTER_TYPED_TEST_SUITE_P(CommunicatorConformance,
                            ReportsRankSizeAndBackend,
                            AllReduceEveryOpDtypeAndSizeInAndOutOfPlace,
                            AllReduceOfTwoToThe24PlusThreeElements,
                            ReduceToEveryRootInAndOutOfPlace,
                            BroadcastFromEveryRoot,
                            AllGatherInAndOutOfPlace,
                            AllGathervWithUnevenAndEmptyBlocks,
                            ReduceScatterEveryOpInAndOutOfPlace,
                            AllToAllInAndOutOfPlace,
                            AllToAllvWithUnevenAndEmptySplits,
                            BarrierSeparatesPhases,
                            SendRecvRingAnySourceAndTags,
                            RecvOfTheWrongLengthIsAnError,
                            SplitMakesIndependentSubGroups,
                            AsyncOperationsCompleteInIssueOrder,
                            RejectsNonContiguousAndWrongDeviceBuffers,
                            TimeoutNamesTheOpAndPoisonsTheCommunicator,
                            DebugModeCatchesAFingerprintMismatch);

}  // namespace tessera::comm::testing
