#include "jobs/sweep/results_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "jobs/sweep/results_journal.h"
#include "tests/testing/temp_dir.h"

namespace tessera::jobs::sweep {
namespace {

TaskRecord sample_record() {
  TaskRecord r;
  r.id = "0123456789abcdef0123456789abcdef";
  r.params = {{"distance", 3}, {"p", 0.001}};
  r.metadata = {{"distance", 3}, {"note", "say \"hi\", ok"}};
  r.decoder = "mwpm";
  r.total.counts = Counts{1000, 7, 2, 1.5, {{"detection_events", 99}}};
  r.total.arrays["occupation"] = {{2, 3}, {1, 2, 3, 4, 5, 6}};
  r.chunks = 4;
  r.finished = false;
  ChunkResult p;
  p.counts = Counts{64, 1, 0, 0.25, {}};
  p.arrays["occupation"] = {{2, 3}, {0, 0, 1, 0, 0, 1}};
  r.pending[6] = p;
  return r;
}

TEST(ResultsFile, RoundTripsEveryField) {
  testing::TempDir dir;
  TaskRecord empty;
  empty.id = "ffffffffffffffffffffffffffffffff";
  empty.params = nlohmann::json::object();
  empty.metadata = nlohmann::json::object();
  empty.finished = true;
  write_results(dir / "results.h5", {sample_record(), empty}, {"qec", "job: qec\n"});
  ResultsMetadata meta;
  const std::vector<TaskRecord> back = read_results(dir / "results.h5", &meta);
  EXPECT_EQ(meta.job, "qec");
  EXPECT_EQ(meta.config, "job: qec\n");
  ASSERT_EQ(back.size(), 2u);
  const TaskRecord want = sample_record();
  EXPECT_EQ(back[0].id, want.id);
  EXPECT_EQ(back[0].params, want.params);
  EXPECT_EQ(back[0].metadata, want.metadata);
  EXPECT_EQ(back[0].decoder, want.decoder);
  EXPECT_EQ(back[0].total, want.total);
  EXPECT_EQ(back[0].chunks, 4);
  EXPECT_FALSE(back[0].finished);
  EXPECT_EQ(back[0].pending, want.pending);
  EXPECT_TRUE(back[1].finished);
  EXPECT_FALSE(std::filesystem::exists(dir / "results.h5.tmp"));
}

TEST(ResultsFile, CsvHasSintersColumnsAndQuotesJson) {
  const std::string csv = results_csv({sample_record()});
  EXPECT_EQ(csv,
            "shots,errors,discards,seconds,decoder,strong_id,json_metadata,custom_counts\n"
            "1000,7,2,1.5,mwpm,0123456789abcdef0123456789abcdef,"
            "\"{\"\"distance\"\":3,\"\"note\"\":\"\"say \\\"\"hi\\\"\", ok\"\"}\","
            "\"{\"\"detection_events\"\":99}\"\n");
}

TEST(ResultsJournal, ReplaysCompleteRecordsAndIgnoresATornTail) {
  testing::TempDir dir;
  const auto path = dir / "results.journal";
  {
    ResultsJournal journal(path);
    journal.append("a", 0, sample_record().total);
    journal.append("b", 3, sample_record().pending.at(6));
  }
  {  // a record cut short by a kill
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "TSJ1\0\0\0\0garbage";
  }
  std::vector<std::pair<std::string, std::int64_t>> seen;
  const std::size_t n = ResultsJournal::replay(path, [&](const std::string& id, std::int64_t chunk, ChunkResult r) {
    seen.emplace_back(id, chunk);
    if (id == "a") {
      EXPECT_EQ(r, sample_record().total);
    }
  });
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::int64_t>>{{"a", 0}, {"b", 3}}));
  {
    ResultsJournal journal(path);
    journal.clear();
  }
  EXPECT_EQ(ResultsJournal::replay(path, [](const std::string&, std::int64_t, ChunkResult) {}), 0u);
  EXPECT_EQ(ResultsJournal::replay(dir / "missing", [](const std::string&, std::int64_t, ChunkResult) {}), 0u);
}

}  // namespace
}  // namespace tessera::jobs::sweep
