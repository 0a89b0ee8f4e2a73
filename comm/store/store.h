#pragma once

// Store: a small key-value store every rank of a job can reach, for
// rendezvous (bootstrapping NCCL when no MPI wired the ranks) and for jobs
// that need a shared counter or flag. Values are byte strings.
//
// Every call is bounded: waits take a timeout and end in a TimeoutError;
// losing the server is an IoError naming its address. Thread-safe.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::comm {

class Store {
 public:
  virtual ~Store() = default;

  virtual void set(const std::string& key, const std::string& value) = 0;
  // The value of `key`, waiting up to `timeout` for it to be set.
  virtual std::string get(const std::string& key, std::chrono::milliseconds timeout) = 0;
  // Returns once every key is set; TimeoutError after `timeout`.
  virtual void wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) = 0;
  // Adds `delta` to the decimal integer at `key` (absent: 0) and returns the
  // new value. Atomic.
  virtual std::int64_t add(const std::string& key, std::int64_t delta) = 0;
  // Sets `key` to `desired` if its value is `expected` ("" also matches an
  // absent key) and returns the value it has afterwards. Atomic.
  virtual std::string compare_set(const std::string& key,
                                  const std::string& expected,
                                  const std::string& desired) = 0;
  // Removes `key`; true if it existed.
  virtual bool remove(const std::string& key) = 0;
};

}  // namespace tessera::comm
