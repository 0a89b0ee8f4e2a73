#include "runtime/job_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/testing/temp_dir.h"

namespace tessera::runtime {
namespace {

using ::testing::HasSubstr;

struct EchoConfig final : JobConfig {
  std::string text = "hello";
  int repeat = 1;
  void fields(config::Fields& f) override {
    f("text", text, "what to say");
    f("repeat", repeat, "how often", config::at_least(1));
  }
};

class EchoJob final : public Job {
 public:
  explicit EchoJob(const EchoConfig& c) : config(c) {}
  void run(JobContext& /*context*/) override {}
  EchoConfig config;
};

JobRegistry registry() {
  JobRegistry r;
  r.add<EchoConfig, EchoJob>("echo", "says something");
  return r;
}

config::ConfigDocument doc(const std::string& yaml) { return {"job.yaml", YAML::Load(yaml)}; }

TEST(JobRegistry, FindsKindsAndRejectsDuplicates) {
  JobRegistry r = registry();
  ASSERT_NE(r.find("echo"), nullptr);
  EXPECT_EQ(r.find("nope"), nullptr);
  EXPECT_THROW((r.add<EchoConfig, EchoJob>("echo", "again")), InternalError);
}

TEST(ResolveJob, BuildsTheTypedConfigAndResolvedYaml) {
  JobRegistry r = registry();
  ResolvedJob job = resolve_job(doc("job: echo\ntext: hi\nrepeat: 3\nseed: 7\n"), r);
  EXPECT_EQ(job.kind->name, "echo");
  EXPECT_EQ(job.spec.seed, 7U);
  EXPECT_EQ(job.spec.name, "echo");
  EXPECT_EQ(job.spec.output.dir, "runs/echo");
  auto instance = job.kind->make_job(*job.config);
  EXPECT_EQ(dynamic_cast<EchoJob&>(*instance).config.repeat, 3);
  YAML::Node resolved = YAML::Load(job.yaml);
  EXPECT_EQ(resolved["text"].as<std::string>(), "hi");
  EXPECT_EQ(resolved["runtime"]["backend"].as<std::string>(), "auto");
  EXPECT_EQ(resolved["checkpoint"]["keep"].as<int>(), 3);
}

TEST(ResolveJob, UnknownKindSuggestsTheNearest) {
  JobRegistry r = registry();
  try {
    resolve_job(doc("job: ehco\n"), r);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("job.yaml:1: job = ehco (unknown job kind; did you mean 'echo'?)"));
  }
}

TEST(ResolveJob, MissingKindIsAnError) {
  EXPECT_THROW(resolve_job(doc("name: x\n"), registry()), ConfigError);
}

TEST(ResolveJob, ReportsEveryProblemAcrossHeaderAndKind) {
  try {
    resolve_job(doc("job: echo\nrepeat: 0\nruntime: {threads_per_rank: 0, backnd: mpi}\ntxt: x\n"),
                registry());
    FAIL();
  } catch (const ConfigError& e) {
    std::vector<std::string> lines;
    for (const auto& issue : e.issues()) {
      lines.push_back(issue.to_string());
    }
    EXPECT_THAT(lines, ::testing::UnorderedElementsAre(
                           "job.yaml:2: repeat = 0 (must be >= 1)",
                           "job.yaml:3: runtime.threads_per_rank = 0 (must be >= 1)",
                           HasSubstr("runtime.backnd (unknown key; did you mean 'backend'?)"),
                           HasSubstr("job.yaml:4: txt (unknown key; did you mean 'text'?)")));
  }
}

TEST(ResolveJobFile, AppliesOverrides) {
  testing::TempDir dir;
  testing::write_text(dir / "echo.yaml", "job: echo\nrepeat: 2\n");
  ResolvedJob job = resolve_job_file(dir / "echo.yaml", {"repeat=4", "name=loud"}, registry());
  EXPECT_EQ(dynamic_cast<const EchoConfig&>(*job.config).repeat, 4);
  EXPECT_EQ(job.spec.output.dir, "runs/loud");
}

}  // namespace
}  // namespace tessera::runtime
