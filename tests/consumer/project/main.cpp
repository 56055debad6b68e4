// Uses the library through its umbrella header or through the single header (the same
// `#include`, the target decides which copy it finds); returns 0 when it works.
#include <autolrs/autolrs.hpp>

#include <cstdio>

#if AUTOLRS_CONSUMER_EXPECTS_SINGLE_HEADER
#ifndef AUTOLRS_SINGLE_HEADER
#error "autolrs::single_header should have given the generated single header, not include/"
#endif
#else
#ifdef AUTOLRS_SINGLE_HEADER
#error "autolrs::autolrs should have given include/, not the single header"
#endif
#endif

static_assert(AUTOLRS_VERSION == autolrs::version.major * 10000 + autolrs::version.minor * 100 + autolrs::version.patch);

int main() {
    std::printf("autolrs %d.%d.%d (%s)\n", autolrs::version.major, autolrs::version.minor, autolrs::version.patch,
                AUTOLRS_CONSUMER_EXPECTS_SINGLE_HEADER ? "single header" : "include/");
    return 0;
}
