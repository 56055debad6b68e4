#pragma once
// Header-only or compiled: AUTOLRS_COMPILED_LIB turns the heavy numeric kernels of the default
// controller into declarations whose definitions, and the default policies' explicit
// instantiations, are compiled once, in one translation unit: the optional CMake target
// autolrs::compiled (src/autolrs_compiled.cpp; linking it defines AUTOLRS_COMPILED_LIB), or,
// without CMake, one file of your own that defines AUTOLRS_IMPLEMENTATION before including
// <autolrs/autolrs.hpp> (the single header too), as Catch2 v2's CATCH_CONFIG_MAIN does.
// Without either (the default) every definition is in the headers, `inline`. Same code either
// way, so the same numbers.

#if defined(AUTOLRS_IMPLEMENTATION) && !defined(AUTOLRS_COMPILED_LIB)
#define AUTOLRS_COMPILED_LIB
#endif

#ifdef AUTOLRS_COMPILED_LIB
/// On a definition that the compiled library holds: a plain (external) definition there.
#define AUTOLRS_INLINE
#else
/// On a definition that the compiled library holds: `inline` when header-only.
#define AUTOLRS_INLINE inline
#endif

#if !defined(AUTOLRS_COMPILED_LIB) || defined(AUTOLRS_IMPLEMENTATION)
/// Whether this translation unit holds the kernels' definitions (the *_inl.hpp headers):
/// every one when header-only, the implementation's alone in compiled mode.
#define AUTOLRS_DEFINES_KERNELS 1
#else
#define AUTOLRS_DEFINES_KERNELS 0
#endif
