// Archives written by GNU tar and Python's tarfile are read correctly, and
// tessera's shards read back with both.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/open_shard.h"
#include "datasets/shard_reader.h"
#include "datasets/shard_writer.h"
#include "tests/datasets/testing/shards.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tessera::testing::run_command;

std::vector<std::string> describe_shard(const std::string& path) {
  auto reader = open_shard_reader(std::make_shared<const std::string>(path), 0, {}, {});
  std::vector<Sample> samples;
  Sample s;
  while (reader->next(s)) {
    samples.push_back(std::move(s));
    s = Sample{};
  }
  reader->finish();
  return testing::describe(samples);
}

std::string sh(const std::string& script) {
  auto r = run_command({"sh", "-c", script});
  EXPECT_EQ(r.exit_code, 0) << script << "\n" << r.output;
  return r.output;
}

class GnuTar : public ::testing::TestWithParam<std::string> {};

TEST_P(GnuTar, ArchivesReadAsSamples) {
  tessera::testing::TempDir dir;
  const std::string long_dir = std::string(70, 'd') + "/" + std::string(70, 'e');
  const std::string long_key = long_dir + "/" + std::string(40, 'k');  // 181 characters
  tessera::testing::write_text(dir / "in/a.cls", "1");
  tessera::testing::write_text(dir / "in/a.txt", "one");
  tessera::testing::write_text(dir / ("in/" + long_key + ".cls"), "2");
  tessera::testing::write_text(dir / "in/sub/b.CLS", "3");
  sh("cd " + (dir / "in").string() + " && ln -s a.cls link.cls");
  const std::string format = GetParam();
  const bool gzip = format == "gzip";
  const std::string out = (dir / (gzip ? "x.tar.gz" : "x.tar")).string();
  sh("cd " + (dir / "in").string() + " && tar " + (gzip ? "-z --format=pax" : "--format=" + format) +
     " --sort=name -cf " + out + " a.cls a.txt " + long_key + ".cls link.cls sub");
  EXPECT_THAT(describe_shard(out), ElementsAre("a: cls=1 txt=one", long_key + ": cls=2", "sub/b: cls=3"));
}

INSTANTIATE_TEST_SUITE_P(Formats, GnuTar, ::testing::Values("gnu", "pax", "gzip"));

TEST(GnuTar, UstarPrefixNames) {
  tessera::testing::TempDir dir;
  const std::string name = std::string(120, 'p') + "/n.cls";  // needs the 155-byte prefix
  tessera::testing::write_text(dir / ("in/" + name), "7");
  sh("cd " + (dir / "in").string() + " && tar --format=ustar -cf " + (dir / "u.tar").string() + " " + name);
  EXPECT_THAT(describe_shard((dir / "u.tar").string()), ElementsAre(std::string(120, 'p') + "/n: cls=7"));
}

TEST(PythonTarfile, EveryFormatReadsTheSame) {
  tessera::testing::TempDir dir;
  const std::string script = R"PY(
import io, sys, tarfile
def add(t, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
for fmt, suffix in ((tarfile.PAX_FORMAT, "pax"), (tarfile.GNU_FORMAT, "gnu"), (tarfile.USTAR_FORMAT, "ustar")):
    kw = {"pax_headers": {"comment": "global"}} if fmt == tarfile.PAX_FORMAT else {}
    with tarfile.open(sys.argv[1] + "/py-" + suffix + ".tar", "w", format=fmt, **kw) as t:
        add(t, "s1.cls", b"1")
        add(t, "s1.json", b'{"x": 1}')
        d = tarfile.TarInfo("dir"); d.type = tarfile.DIRTYPE; t.addfile(d)
        add(t, "dir/s2.cls", b"2")
        if fmt != tarfile.USTAR_FORMAT:
            add(t, "d\u00e9j\u00e0/" + "k" * 150 + ".cls", b"3")
)PY";
  tessera::testing::write_text(dir / "make.py", script);
  sh("python3 " + (dir / "make.py").string() + " " + dir.path().string());
  const std::string long_key = "d\xc3\xa9j\xc3\xa0/" + std::string(150, 'k');
  EXPECT_THAT(describe_shard((dir / "py-pax.tar").string()),
              ElementsAre("s1: cls=1 json={\"x\": 1}", "dir/s2: cls=2", long_key + ": cls=3"));
  EXPECT_THAT(describe_shard((dir / "py-gnu.tar").string()),
              ElementsAre("s1: cls=1 json={\"x\": 1}", "dir/s2: cls=2", long_key + ": cls=3"));
  EXPECT_THAT(describe_shard((dir / "py-ustar.tar").string()),
              ElementsAre("s1: cls=1 json={\"x\": 1}", "dir/s2: cls=2"));
}

TEST(ShardWriterInterop, GnuTarAndPythonReadOurShards) {
  tessera::testing::TempDir dir;
  const std::string long_key = std::string(130, 'q') + "/" + std::string(120, 'r');  // PAX path
  ShardWriter writer((dir / "w-%03d.tar").string(), {.max_samples = 2});
  writer.write({.key = "b", .fields = {{"txt", "bee"}, {"cls", "2"}}});
  writer.write({.key = long_key, .fields = {{"cls", "9"}}});
  writer.write({.key = "c", .fields = {{"npy", std::string(1000, '\x01')}}});
  writer.close();
  ASSERT_EQ(writer.shards().size(), 2U);

  // Extensions in sorted order, long names intact, mode 0444.
  std::string listing = sh("tar -tvf " + (dir / "w-000.tar").string());
  EXPECT_THAT(listing, HasSubstr("-r--r--r-- 0/0"));
  EXPECT_THAT(sh("tar -tf " + (dir / "w-000.tar").string()), ::testing::StartsWith("b.cls\nb.txt\n" + long_key + ".cls\n"));
  EXPECT_EQ(sh("tar -xOf " + (dir / "w-001.tar").string() + " c.npy").size(), 1000U);

  const std::string py = R"PY(
import sys, tarfile
for path in sys.argv[1:]:
    with tarfile.open(path) as t:
        for m in t:
            print(m.name, m.size, t.extractfile(m).read()[:3].decode("latin-1"))
)PY";
  tessera::testing::write_text(dir / "list.py", py);
  std::string out = sh("python3 " + (dir / "list.py").string() + " " + (dir / "w-000.tar").string() + " " +
                       (dir / "w-001.tar").string());
  EXPECT_THAT(out, HasSubstr("b.txt 3 bee\n"));
  EXPECT_THAT(out, HasSubstr(long_key + ".cls 1 9\n"));
  EXPECT_THAT(out, HasSubstr("c.npy 1000"));
}

TEST(ShardWriterInterop, GzipShardsReadByGnuTar) {
  tessera::testing::TempDir dir;
  ShardWriter writer((dir / "g-%d.tar.gz").string());
  writer.write({.key = "x", .fields = {{"cls", "5"}}});
  writer.close();
  EXPECT_EQ(sh("tar -xzOf " + (dir / "g-0.tar.gz").string() + " x.cls"), "5");
  EXPECT_THAT(describe_shard((dir / "g-0.tar.gz").string()), ElementsAre("x: cls=5"));
}

TEST(ShardWriter, RollsOverBySamplesAndBytes) {
  tessera::testing::TempDir dir;
  ShardWriter writer((dir / "r-%02d.tar").string(), {.max_samples = 100, .max_bytes = 5000});
  for (int i = 0; i < 10; ++i) {
    writer.write({.key = fmt::format("k{}", i), .fields = {{"bin", std::string(1500, 'x')}}});
  }
  writer.close();
  // 1536 + 512 bytes per sample: a shard takes samples until it holds >= 5000 bytes.
  EXPECT_EQ(writer.shards().size(), 4U);
  EXPECT_EQ(writer.shards().front().filename(), "r-00.tar");
  EXPECT_FALSE(std::filesystem::exists(dir / "r-00.tar.partial"));
}

TEST(ShardWriter, UnclosedShardIsNeverVisible) {
  tessera::testing::TempDir dir;
  {
    TarWriter writer(dir / "u.tar");
    writer.add("a.cls", "1");
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "u.tar"));
  EXPECT_FALSE(std::filesystem::exists(dir / "u.tar.partial"));
}

}  // namespace
}  // namespace tessera::datasets
