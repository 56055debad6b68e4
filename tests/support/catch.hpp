#pragma once
// One include for Catch2 v2 (Debian 12) and v3: the test sources are the same for both.

#if AUTOLRS_CATCH2_MAJOR == 3
#include <catch2/catch_all.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif
