// Byte sources against real counterparts: a child process for pipe:, an HTTP
// server on loopback for http://, gzip files made by gzip(1).

#include <signal.h>
#include <sys/wait.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/open_shard.h"
#include "datasets/byte_source.h"
#include "datasets/shard_reader.h"
#include "runtime/error.h"
#include "tests/datasets/testing/http_test_server.h"
#include "tests/datasets/testing/shards.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets {
namespace {

using ::testing::HasSubstr;
using testing::slurp;

std::string read_everything(ByteSource& source) {
  std::string out;
  std::string chunk(7000, '\0');
  for (;;) {
    std::size_t n = source.read(std::as_writable_bytes(std::span(chunk)));
    if (n == 0) {
      break;
    }
    out.append(chunk.data(), n);
  }
  source.finish();
  return out;
}

std::vector<std::string> keys_of(const std::string& url, const SourceOptions& options = {}) {
  auto reader = open_shard_reader(std::make_shared<const std::string>(url), 0, options, {});
  std::vector<std::string> keys;
  Sample s;
  while (reader->next(s)) {
    keys.push_back(s.key);
  }
  reader->finish();
  return keys;
}

SourceOptions quick() {
  SourceOptions o;
  o.timeout = config::Seconds(2);
  o.retries = 3;
  o.backoff = config::Seconds(0.01);
  return o;
}

class Sources : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_numbered_shard(dir_ / "s.tar", "k", 0, 300);  // ~600 KB
    bytes_ = slurp(dir_ / "s.tar");
  }
  tessera::testing::TempDir dir_;
  std::string bytes_;
};

TEST_F(Sources, LocalPathsAndFileUrls) {
  auto a = open_source((dir_ / "s.tar").string(), {});
  EXPECT_EQ(read_everything(*a), bytes_);
  auto b = open_source("file://" + (dir_ / "s.tar").string(), {});
  EXPECT_EQ(read_everything(*b), bytes_);
  try {
    open_source((dir_ / "missing.tar").string(), {});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("No such file"));
  }
  EXPECT_THROW(open_source("s3://bucket/x.tar", {}), DataError);
}

TEST_F(Sources, PipeReadsTheCommandsOutput) {
  auto p = open_source("pipe:cat " + (dir_ / "s.tar").string(), {});
  EXPECT_EQ(read_everything(*p), bytes_);
  EXPECT_EQ(keys_of("pipe:cat " + (dir_ / "s.tar").string()).size(), 300U);
}

TEST_F(Sources, PipeFailureCarriesExitStatusAndStderr) {
  auto p = open_source("pipe:echo partial; echo 'no such bucket' >&2; exit 3", {});
  try {
    read_everything(*p);
    FAIL() << "a failing command was accepted";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("exited with status 3"));
    EXPECT_THAT(e.what(), HasSubstr("stderr: no such bucket"));
  }
}

TEST_F(Sources, PipeThatFailsAfterTheArchiveIsStillAnError) {
  // The tar is complete, but the producer reports failure: finish() says so.
  const std::string url = "pipe:cat " + (dir_ / "s.tar").string() + "; exit 1";
  EXPECT_THROW(keys_of(url), DataError);
}

TEST_F(Sources, PipeWithoutOutputTimesOut) {
  SourceOptions o = quick();
  o.timeout = config::Seconds(0.2);
  auto p = open_source("pipe:sleep 30", o);
  std::byte b[16];
  EXPECT_THAT([&] { p->read(b); }, ::testing::ThrowsMessage<DataError>(HasSubstr("no output for")));
}

TEST_F(Sources, AbandonedPipeKillsItsCommand) {
  const auto pid_file = dir_ / "pid";
  {
    auto p = open_source("pipe:echo $$ > " + pid_file.string() + "; exec cat /dev/zero", {});
    std::byte b[4096];
    ASSERT_EQ(p->read(b), sizeof b);
  }  // dropped mid-stream
  const int pid = std::stoi(slurp(pid_file));
  EXPECT_NE(::kill(pid, 0), 0) << "the command outlived its source";
}

TEST_F(Sources, GzipShardsAreDetectedByMagicNotName) {
  auto r = tessera::testing::run_command({"sh", "-c", "gzip -c " + (dir_ / "s.tar").string() + " > " +
                                                          (dir_ / "compressed.bin").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(keys_of((dir_ / "compressed.bin").string()).size(), 300U);
  auto s = open_shard((dir_ / "compressed.bin").string(), {});
  EXPECT_EQ(read_everything(*s), bytes_);
  // Resuming inside a gzip shard starts at a decompressed offset.
  auto mid = open_shard((dir_ / "compressed.bin").string(), {}, 4096);
  EXPECT_EQ(read_everything(*mid), bytes_.substr(4096));
}

TEST_F(Sources, TruncatedGzipIsReported) {
  std::string gz = tessera::testing::run_command({"sh", "-c", "gzip -c " + (dir_ / "s.tar").string()}).output;
  testing::spit(dir_ / "cut.tar.gz", gz.substr(0, gz.size() / 2));
  EXPECT_THAT([&] { keys_of((dir_ / "cut.tar.gz").string()); },
              ::testing::ThrowsMessage<DataError>(HasSubstr("truncated gzip stream")));
}

TEST_F(Sources, HttpStreamsAShard) {
  testing::HttpTestServer server({.root = dir_.path()});
  auto h = open_source(server.url("s.tar"), quick());
  EXPECT_EQ(read_everything(*h), bytes_);
  EXPECT_EQ(keys_of(server.url("s.tar"), quick()).size(), 300U);
}

TEST_F(Sources, HttpResumesWithARangeRequestAfterACut) {
  testing::HttpTestServer server({.root = dir_.path(), .cut_responses = 2, .cut_after = 100000});
  auto h = open_source(server.url("s.tar"), quick());
  EXPECT_EQ(read_everything(*h), bytes_);
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0], "GET /s.tar");
  EXPECT_EQ(requests[1], "GET /s.tar bytes=100000-");
  EXPECT_EQ(requests[2], "GET /s.tar bytes=200000-");
}

TEST_F(Sources, HttpWithoutRangeSupportReReadsAndDiscards) {
  testing::HttpTestServer server({.root = dir_.path(), .ranges = false, .cut_responses = 1, .cut_after = 50000});
  auto h = open_source(server.url("s.tar"), quick());
  EXPECT_EQ(read_everything(*h), bytes_);
  EXPECT_EQ(server.requests().size(), 2U);
}

TEST_F(Sources, HttpStallTimesOutAndRetries) {
  SourceOptions o = quick();
  o.timeout = config::Seconds(0.3);
  testing::HttpTestServer server(
      {.root = dir_.path(), .cut_responses = 1, .cut_after = 70000, .stall = std::chrono::milliseconds(3000)});
  auto h = open_source(server.url("s.tar"), o);
  EXPECT_EQ(read_everything(*h), bytes_);
  EXPECT_EQ(server.requests().back(), "GET /s.tar bytes=70000-");
}

TEST_F(Sources, HttpRetriesServerErrorsThenGivesUp) {
  testing::HttpTestServer flaky({.root = dir_.path(), .unavailable = 2});
  auto h = open_source(flaky.url("s.tar"), quick());
  EXPECT_EQ(read_everything(*h), bytes_);

  testing::HttpTestServer down({.root = dir_.path(), .unavailable = 100});
  auto d = open_source(down.url("s.tar"), quick());
  EXPECT_THAT([&] { read_everything(*d); },
              ::testing::ThrowsMessage<DataError>(HasSubstr("HTTP failed after 3 retries: HTTP 503")));
}

TEST_F(Sources, HttpNotFoundFailsAtOnce) {
  testing::HttpTestServer server({.root = dir_.path()});
  auto h = open_source(server.url("missing.tar"), quick());
  EXPECT_THAT([&] { read_everything(*h); }, ::testing::ThrowsMessage<DataError>(HasSubstr("HTTP 404")));
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST_F(Sources, HttpSkipSeeksWithRange) {
  testing::HttpTestServer server({.root = dir_.path()});
  auto s = open_shard(server.url("s.tar"), quick(), 400000);
  EXPECT_EQ(read_everything(*s), bytes_.substr(400000));
  EXPECT_EQ(server.requests().back(), "GET /s.tar bytes=400000-");
}

TEST_F(Sources, RefusedConnectionIsRetriedThenReported) {
  std::string url;
  {
    testing::HttpTestServer gone({.root = dir_.path()});
    url = gone.url("s.tar");
  }
  auto h = open_source(url, quick());
  std::byte b[16];
  EXPECT_THAT([&] { h->read(b); }, ::testing::ThrowsMessage<DataError>(HasSubstr("cannot connect")));
}

}  // namespace
}  // namespace tessera::datasets
