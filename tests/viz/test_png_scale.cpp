// PNG diagrams are drawn at `scale` pixels per point (2 by default): the image's size is the
// layout's size times the scale, and a scale out of range is a DiagramError.
#include <catch2/catch.hpp>

#include "synthetic.hpp"
#include "viz/diagram.hpp"
#include "viz/layout.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::viz::testing;

namespace {
// Width and height from the PNG's IHDR chunk (big-endian, bytes 16..23).
std::pair<uint32_t, uint32_t> png_size(const std::string& png) {
  auto be = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i)
      v = (v << 8) | static_cast<unsigned char>(png.at(at + i));
    return v;
  };
  return {be(16), be(20)};
}
}  // namespace

TEST_CASE("a PNG diagram has two pixels per point by default and scale pixels on request") {
  auto records = handshake_trace();
  DiagramOptions opt;
  DiagramLayout L = compute_layout(records, meta_for("handshake"), opt);
  auto [w2, h2] =
      png_size(render_diagram_bytes(records, meta_for("handshake"), opt, DiagramFormat::png));
  CHECK(static_cast<double>(w2) == Approx(2 * L.width).margin(2));
  CHECK(static_cast<double>(h2) == Approx(2 * L.height).margin(2));
  opt.scale = 1;
  auto [w1, h1] =
      png_size(render_diagram_bytes(records, meta_for("handshake"), opt, DiagramFormat::png));
  CHECK(static_cast<double>(w1) == Approx(L.width).margin(2));
  CHECK(static_cast<double>(h1) == Approx(L.height).margin(2));
  opt.scale = 0;
  CHECK_THROWS_WITH(render_diagram_bytes(records, meta_for("handshake"), opt, DiagramFormat::png),
                    "the scale must lie between 0.25 and 8, not 0");
}
