// autolrs::compiled: the default controller's heavy numeric code, compiled once. The target
// defines AUTOLRS_COMPILED_LIB for itself and its users (numeric/compiled_lib.hpp), so their
// headers declare what this file defines: AUTOLRS_IMPLEMENTATION turns on the non-template
// kernels' definitions (their *_inl.hpp) and the explicit instantiations of
// autolrs/implementation.hpp, which the umbrella header includes last.

#define AUTOLRS_IMPLEMENTATION
#include "autolrs/autolrs.hpp"

#ifndef AUTOLRS_COMPILED_LIB
#error "autolrs_compiled.cpp is built with AUTOLRS_COMPILED_LIB (the autolrs::compiled target defines it)"
#endif
