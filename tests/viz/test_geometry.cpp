// Geometry of the layout.
#include <catch2/catch.hpp>

#include "synthetic.hpp"
#include "viz/layout.hpp"

using namespace netsim;
using namespace netsim::viz;
