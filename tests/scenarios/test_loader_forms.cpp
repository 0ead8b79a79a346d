#include <catch2/catch.hpp>
#include "scenarios/loader/loader.hpp"
TEST_CASE("placeholder") { CHECK(true); }
