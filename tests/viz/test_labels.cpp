// Labels in tcpdump's and the textbook's words.
#include <catch2/catch.hpp>

#include "viz/labels.hpp"

using namespace netsim;
using namespace netsim::viz;
