#include "runtime/plot/gnuplot.h"

#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/testing/temp_dir.h"

namespace tessera::runtime {
namespace {

TEST(Gnuplot, DrawsPngAndSvgFromDataBlocks) {
  ASSERT_TRUE(Gnuplot::available()) << "gnuplot-nox is installed by scripts/setup.sh";
  testing::TempDir dir;
  Gnuplot plot;
  plot.add_data("loss", {{1, 0.9}, {2, 0.7}, {3, std::nan("")}, {4, 0.5}});
  plot.render(dir / "loss.png", "plot $loss using 1:2 with linespoints title 'loss'");
  plot.render(dir / "loss.svg", "plot $loss using 1:2 with lines notitle");
  std::string png = testing::read_text(dir / "loss.png");
  ASSERT_GT(png.size(), 8U);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_NE(testing::read_text(dir / "loss.svg").find("<svg"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "loss.png.gp"));
}

TEST(Gnuplot, ScriptErrorsComeBackWithGnuplotsMessage) {
  testing::TempDir dir;
  Gnuplot plot;
  try {
    plot.render(dir / "bad.png", "plot $nothing using 1:2");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("gnuplot failed"), std::string::npos) << e.what();
  }
}

TEST(Gnuplot, UnknownExtensionIsRejected) {
  testing::TempDir dir;
  EXPECT_THROW(Gnuplot().render(dir / "x.jpg", "plot x"), IoError);
}

}  // namespace
}  // namespace tessera::runtime
