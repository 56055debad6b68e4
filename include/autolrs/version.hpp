#pragma once
// Version of the autolrs library (semantic versioning).

#define AUTOLRS_VERSION_MAJOR 0
#define AUTOLRS_VERSION_MINOR 1
#define AUTOLRS_VERSION_PATCH 0

namespace autolrs {

struct version_info {
    int major;
    int minor;
    int patch;
};

inline constexpr version_info version{AUTOLRS_VERSION_MAJOR, AUTOLRS_VERSION_MINOR, AUTOLRS_VERSION_PATCH};

}  // namespace autolrs
