#pragma once
// Header-only or compiled: AUTOLRS_COMPILED_LIB (defined for whoever links the optional
// CMake target autolrs::compiled) turns the heavy numeric kernels of the default controller
// into declarations whose definitions, and the default policies' explicit instantiations,
// are compiled once in that library (src/autolrs_compiled.cpp). Without it (the default)
// every definition is in the headers, `inline`. Same code either way, so the same numbers.

#ifdef AUTOLRS_COMPILED_LIB
/// On a definition that the compiled library holds: a plain (external) definition there.
#define AUTOLRS_INLINE
#else
/// On a definition that the compiled library holds: `inline` when header-only.
#define AUTOLRS_INLINE inline
#endif
