# LibTorch for the optional integration, found once (top level) so that examples/, tests/
# and bench/ all see the same result:
#   AUTOLRS_TORCH_FOUND          ON when LibTorch (and zlib, for the Fashion-MNIST files) was found
#   autolrs_libtorch             INTERFACE target: autolrs + torch (the integration header's needs)
# (autolrs_fashion_mnist, the Fashion-MNIST data, models and trainer over it, is defined in
# support/CMakeLists.txt on top of autolrs_libtorch.)
# The core library never needs any of this.
option(AUTOLRS_USE_TORCH "Build the LibTorch integration's tests, demo and benchmarks when LibTorch is found" ON)
set(AUTOLRS_TORCH_FOUND OFF)
if(AUTOLRS_USE_TORCH)
  find_package(Torch QUIET)
  find_package(ZLIB QUIET)
  if(TORCH_FOUND AND CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND Torch_VERSION VERSION_LESS 2.1)
    # LibTorch < 2.1 headers use std::vector<c10::IValue> while IValue is incomplete, which
    # C++20's constexpr vector rejects under Clang (fixed upstream: pytorch/pytorch#93978).
    message(STATUS "autolrs: LibTorch ${Torch_VERSION} headers do not compile as C++20 with Clang; "
                   "the LibTorch demo and tests are built with GCC only")
  elseif(TORCH_FOUND AND ZLIB_FOUND)
    set(AUTOLRS_TORCH_FOUND ON)
    add_library(autolrs_libtorch INTERFACE)
    target_link_libraries(autolrs_libtorch INTERFACE autolrs::autolrs torch)
    find_program(AUTOLRS_GNUPLOT gnuplot)
    message(STATUS "autolrs: LibTorch ${Torch_VERSION} found; building the LibTorch integration's tests and demo")
  elseif(TORCH_FOUND)
    message(STATUS "autolrs: zlib not found (Debian: zlib1g-dev); the LibTorch demo and tests are not built")
  else()
    message(STATUS "autolrs: LibTorch not found (Debian: libtorch-dev); the LibTorch demo and tests are not built")
  endif()
endif()
