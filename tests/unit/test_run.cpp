#include <autolrs/autolrs.hpp>
#include "catch.hpp"
