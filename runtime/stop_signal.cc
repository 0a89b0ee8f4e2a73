#include "runtime/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

// Signal handlers can only reach process-wide state; these atomics are the
// one place tessera keeps any (lock-free, so async-signal-safe).
std::atomic<int> g_received{0};    // first stop signal received
std::atomic<int> g_interrupts{0};  // SIGINTs received
std::atomic<bool> g_installed{false};

static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

constexpr int kSignals[] = {SIGTERM, SIGUSR1, SIGINT};
struct sigaction g_previous[3];

extern "C" void on_stop_signal(int signal) {
  if (signal == SIGINT && g_interrupts.fetch_add(1) >= 1) {
    static const char kMessage[] = "tessera: second SIGINT, aborting now (no checkpoint)\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(128 + SIGINT);
  }
  int none = 0;
  g_received.compare_exchange_strong(none, signal);
}

}  // namespace

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGINT:
      return "SIGINT";
    default:
      return fmt::format("signal {}", signal);
  }
}

StopSignal::StopSignal(Coordinator& coordinator, StopOptions options)
    : coordinator_(coordinator), options_(options) {
  if (options_.check_every < 1) {
    throw InternalError("StopSignal: check_every must be >= 1");
  }
  if (g_installed.exchange(true)) {
    throw InternalError("StopSignal: only one instance per process");
  }
  g_received = 0;
  g_interrupts = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // file and socket calls go on; the job checks the flag
  for (std::size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &action, &g_previous[i]);
  }
}

StopSignal::~StopSignal() {
  for (std::size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &g_previous[i], nullptr);
  }
  g_installed = false;
}

int StopSignal::received_signal() const { return g_received.load(); }

bool StopSignal::should_stop(std::int64_t step) {
  if (stopping()) {
    return true;
  }
  if (step % options_.check_every != 0) {
    return false;
  }
  StopReason local = StopReason::kNone;
  if (g_received.load() != 0) {
    local = StopReason::kSignal;
  } else if (options_.deadline && std::chrono::system_clock::now() >= *options_.deadline) {
    local = StopReason::kTimeLimit;
  }
  const auto agreed = static_cast<StopReason>(coordinator_.all_reduce_max(static_cast<std::int64_t>(local)));
  if (agreed == StopReason::kNone) {
    return false;
  }
  reason_ = agreed;
  stop_step_ = step;
  spdlog::warn("stopping after step {}: {}", step, describe());
  return true;
}

std::string StopSignal::describe() const {
  switch (reason_) {
    case StopReason::kNone:
      return "not stopping";
    case StopReason::kSignal: {
      const int signal = received_signal();
      return signal != 0 ? fmt::format("{} received", signal_name(signal))
                         : std::string("a stop signal reached another rank");
    }
    case StopReason::kTimeLimit:
      return fmt::format("the Slurm time limit is near (stop deadline {:%Y-%m-%d %H:%M:%S} UTC)",
                         fmt::gmtime(std::chrono::system_clock::to_time_t(*options_.deadline)));
  }
  return "?";
}

}  // namespace tessera::runtime
