// The compiled mode without the CMake library: this translation unit is the program's
// implementation (numeric/compiled_lib.hpp), the single header's kernels defined and its
// default policies instantiated here, once; test_compiled_mode.cpp, compiled with
// AUTOLRS_COMPILED_LIB against the same single header, links against what this file holds.
#define AUTOLRS_IMPLEMENTATION
#include <autolrs/autolrs.hpp>
