// The diagram model: filters, pairing, folding, refusals.
#include <catch2/catch.hpp>

#include "synthetic.hpp"
#include "viz/model.hpp"

using namespace netsim;
using namespace netsim::viz;
