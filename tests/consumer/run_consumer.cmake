# Builds and runs tests/consumer/project, which consumes autolrs in one of three ways.
#   cmake -DMODE=find_package|add_subdirectory|fetchcontent -DSOURCE_DIR=<autolrs>
#         -DWORK_DIR=<scratch> [-DCXX_COMPILER=<c++>] -P run_consumer.cmake
foreach(var MODE SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(compiler_args)
if(CXX_COMPILER)
  set(compiler_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer (${MODE}) step failed: ${ARGN}\n${out}")
  endif()
endfunction()

set(extra_args)
if(MODE STREQUAL "find_package")
  # Install autolrs alone (no tests, examples or benchmarks) into a private prefix.
  run_step(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/autolrs-build ${compiler_args}
    -DAUTOLRS_BUILD_TESTS=OFF -DAUTOLRS_BUILD_EXAMPLES=OFF -DAUTOLRS_BUILD_BENCHMARKS=OFF
    -DAUTOLRS_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
  run_step(${CMAKE_COMMAND} --install ${WORK_DIR}/autolrs-build)
  set(extra_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()

run_step(${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/project -B ${WORK_DIR}/build ${compiler_args}
  -DAUTOLRS_CONSUME=${MODE} -DAUTOLRS_SOURCE_DIR=${SOURCE_DIR} ${extra_args})
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run_step(${WORK_DIR}/build/consumer)
if(MODE STREQUAL "find_package")
  run_step(${WORK_DIR}/build/consumer_single_header)
  foreach(installed include/autolrs/autolrs.hpp include/autolrs_single_include/autolrs/autolrs.hpp
                    share/doc/autolrs/LICENSE)
    if(NOT EXISTS ${WORK_DIR}/prefix/${installed})
      message(FATAL_ERROR "consumer (find_package): ${installed} was not installed")
    endif()
  endforeach()
endif()
message(STATUS "consumer (${MODE}): built and ran")
