// Uses the library through its umbrella header; returns 0 when it works.
#include <autolrs/autolrs.hpp>

#include <cstdio>

int main() {
    static_assert(autolrs::version.major >= 0);
    std::printf("autolrs %d.%d.%d\n", autolrs::version.major, autolrs::version.minor, autolrs::version.patch);
    return 0;
}
