#include "datasets/tar_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/datasets/testing/shards.h"

namespace tessera::datasets {
namespace {

using ::testing::HasSubstr;
using testing::Members;
using testing::tar_bytes;

struct Read {
  std::string name;
  char type;
  std::string data;
};

std::vector<Read> read_all(const std::string& bytes) {
  TarReader reader(std::make_unique<MemorySource>("t.tar", std::as_bytes(std::span(bytes))), 8192);
  std::vector<Read> out;
  TarMember m;
  while (reader.next(m)) {
    std::string data(m.size, '\0');
    reader.read_data(std::as_writable_bytes(std::span(data)));
    out.push_back({m.name, m.type, data});
  }
  return out;
}

// The DataError message reading `bytes` throws (or "" if none).
std::string error_of(const std::string& bytes) {
  try {
    read_all(bytes);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(TarReader, ReadsMembersAndDataInOrder) {
  std::string big(70000, 'x');
  big[12345] = 'y';
  auto members = read_all(tar_bytes({{"a.txt", "hello"}, {"dir/b.bin", big}, {"c.cls", ""}}));
  ASSERT_EQ(members.size(), 3U);
  EXPECT_EQ(members[0].name, "a.txt");
  EXPECT_EQ(members[0].data, "hello");
  EXPECT_EQ(members[1].name, "dir/b.bin");
  EXPECT_EQ(members[1].data, big);
  EXPECT_EQ(members[2].data, "");
  EXPECT_EQ(members[2].type, '0');
}

TEST(TarReader, LongNamesThroughUstarPrefixAndPax) {
  const std::string with_prefix = std::string(120, 'p') + "/" + std::string(90, 'n') + ".txt";
  const std::string pax = std::string(300, 'q') + ".txt";
  const std::string utf8 = "donn\xc3\xa9" "es/\xe6\x97\xa5\xe6\x9c\xac.txt";
  auto members = read_all(tar_bytes({{with_prefix, "1"}, {pax, "2"}, {utf8, "3"}}));
  ASSERT_EQ(members.size(), 3U);
  EXPECT_EQ(members[0].name, with_prefix);
  EXPECT_EQ(members[1].name, pax);
  EXPECT_EQ(members[2].name, utf8);
  EXPECT_EQ(members[2].data, "3");
}

TEST(TarReader, BaseTwoFiftySixSizeField) {
  std::string tar = tar_bytes({{"a.bin", std::string(1000, 'z')}});
  // Rewrite the size field (offset 124, 12 bytes) as GNU base-256: 0x80 then big-endian.
  std::string field(12, '\0');
  field[0] = static_cast<char>(0x80);
  field[10] = static_cast<char>(1000 >> 8);
  field[11] = static_cast<char>(1000 & 0xff);
  tar.replace(124, 12, field);
  testing::fix_checksum(tar, 0);
  auto members = read_all(tar);
  ASSERT_EQ(members.size(), 1U);
  EXPECT_EQ(members[0].data, std::string(1000, 'z'));
}

TEST(TarReader, ParsesNumericFields) {
  std::uint64_t v = 0;
  auto field = [](std::string s) { return s; };
  std::string octal = field("0000644 \0");
  EXPECT_TRUE(parse_tar_number(std::as_bytes(std::span(octal)), v));
  EXPECT_EQ(v, 0644U);
  std::string spaces = field("   17");
  EXPECT_TRUE(parse_tar_number(std::as_bytes(std::span(spaces)), v));
  EXPECT_EQ(v, 15U);
  std::string bad = field("12a");
  EXPECT_FALSE(parse_tar_number(std::as_bytes(std::span(bad)), v));
  std::string negative(8, '\xff');
  EXPECT_FALSE(parse_tar_number(std::as_bytes(std::span(negative)), v));
}

TEST(TarReader, ChecksumMismatchNamesMemberAndOffset) {
  std::string tar = tar_bytes({{"a.txt", "x"}, {"b.txt", "y"}});
  tar[1024 + 10] ^= 1;  // second header (after a.txt's header and data block)
  std::string what = error_of(tar);
  EXPECT_THAT(what, HasSubstr("offset 1024"));
  EXPECT_THAT(what, HasSubstr("header checksum mismatch"));
}

TEST(TarReader, GarbageIsNotATar) {
  EXPECT_THAT(error_of(std::string(2048, 'g')), HasSubstr("not a tar"));
}

TEST(TarReader, TruncatedInsideDataIsReported) {
  std::string tar = tar_bytes({{"a.txt", "x"}, {"b.bin", std::string(5000, 'b')}});
  std::string what = error_of(tar.substr(0, 1024 + 512 + 3000));
  EXPECT_THAT(what, HasSubstr("member b.bin"));
  EXPECT_THAT(what, HasSubstr("truncated member"));
}

TEST(TarReader, CutAtABlockBoundaryIsReportedNotSilent) {
  // Python's tarfile ends silently here and loses b.txt's data.
  std::string tar = tar_bytes({{"a.cls", "1"}, {"a.txt", "one"}, {"b.cls", "2"}});
  std::string what = error_of(tar.substr(0, 3 * 1024));
  EXPECT_THAT(what, HasSubstr("without the end-of-archive marker"));
  EXPECT_THAT(what, HasSubstr("offset 3072"));
}

TEST(TarReader, CutInsideAHeaderIsReported) {
  std::string tar = tar_bytes({{"a.cls", "1"}, {"b.cls", "2"}});
  EXPECT_THAT(error_of(tar.substr(0, 1024 + 100)), HasSubstr("truncated header"));
}

TEST(TarReader, EmptyFileIsReported) {
  EXPECT_THAT(error_of(""), HasSubstr("without the end-of-archive marker"));
}

TEST(TarReader, LoneZeroBlockAtTheEndIsAccepted) {
  std::string tar = tar_bytes({{"a.cls", "1"}});
  EXPECT_EQ(read_all(tar.substr(0, 1024 + 512)).size(), 1U);
}

TEST(TarReader, MetadataBeyondTheLimitIsRejected) {
  std::string tar = tar_bytes({{"a.cls", "1"}});
  tar[156] = 'L';  // turn the header into a GNU long name of absurd size
  std::string field = fmt::format("{:011o}", TarReader::kMaxMetadataBytes + 1);
  tar.replace(124, 11, field);
  testing::fix_checksum(tar, 0);
  EXPECT_THAT(error_of(tar), HasSubstr("limit"));
}

TEST(TarReader, MalformedPaxRecordIsReported) {
  // A PAX header whose record claims more bytes than it has.
  std::string pax = "99 path=x\n";
  std::string tar = tar_bytes({{"PaxHeader/a", pax}, {"a.cls", "1"}});
  tar[156] = 'x';
  testing::fix_checksum(tar, 0);
  EXPECT_THAT(error_of(tar), HasSubstr("malformed PAX record"));
}

TEST(TarReader, PaxPathAndSizeApplyToTheNextMemberOnly) {
  std::string tar = tar_bytes({{"PaxHeader/a", "20 path=renamed.txt\n"}, {"a.txt", "data"}, {"b.txt", "more"}});
  tar[156] = 'x';
  testing::fix_checksum(tar, 0);
  auto members = read_all(tar);
  ASSERT_EQ(members.size(), 2U);
  EXPECT_EQ(members[0].name, "renamed.txt");
  EXPECT_EQ(members[1].name, "b.txt");
}

TEST(TarReader, StartsMidArchiveAtAHeaderBoundary) {
  std::string tar = tar_bytes({{"a.cls", "1"}, {"b.cls", "2"}, {"c.cls", "3"}});
  auto source = std::make_unique<MemorySource>("t.tar", std::as_bytes(std::span(tar)));
  source->skip(1024);
  TarReader reader(std::move(source));
  TarMember m;
  ASSERT_TRUE(reader.next(m));
  EXPECT_EQ(m.name, "b.cls");
  EXPECT_EQ(m.header_offset, 1024U);
  EXPECT_EQ(m.data_offset, 1536U);
}

}  // namespace
}  // namespace tessera::datasets
