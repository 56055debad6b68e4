#pragma once
// Version of the autolrs library (semantic versioning).
// SPDX-License-Identifier: MIT. Copyright (c) 2026 the autolrs authors; see LICENSE.
// tools/amalgamate.py and CMakeLists.txt read the three numbers below: keep one #define a line.

#define AUTOLRS_VERSION_MAJOR 0
#define AUTOLRS_VERSION_MINOR 1
#define AUTOLRS_VERSION_PATCH 0

// One integer for preprocessor comparisons: major * 10000 + minor * 100 + patch.
#define AUTOLRS_VERSION (AUTOLRS_VERSION_MAJOR * 10000 + AUTOLRS_VERSION_MINOR * 100 + AUTOLRS_VERSION_PATCH)

namespace autolrs {

struct version_info {
    int major;
    int minor;
    int patch;
};

inline constexpr version_info version{AUTOLRS_VERSION_MAJOR, AUTOLRS_VERSION_MINOR, AUTOLRS_VERSION_PATCH};

}  // namespace autolrs
