#include "comm/comm_config.h"

#include <spdlog/spdlog.h>

#include "runtime/log.h"
#include "runtime/mpi_session.h"

namespace tessera::comm {

void end_job_on_timeout(const TimeoutError& error) {
  spdlog::critical("{}; ending the job", error.what());
  runtime::flush_logs();
  runtime::MpiSession::abort(1);
}

}  // namespace tessera::comm
