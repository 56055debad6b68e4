# Installs autolrs into a private prefix, moves the prefix (the install must be relocatable:
# the harness finds its recorded curves relative to the package), then builds and runs
# tests/consumer/harness_project: a user's project that compares its own acquisition with the
# built-in ones on the installed problems, in one source file. Checks the tables it printed,
# the CSV it wrote, and that README.md shows that source file verbatim.
#   cmake -DSOURCE_DIR=<autolrs> -DWORK_DIR=<scratch> [-DCXX_COMPILER=<c++>] -P run_harness_consumer.cmake
foreach(var SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_harness_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/run)
set(compiler_args)
if(CXX_COMPILER)
  set(compiler_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()

function(run_step)
  cmake_parse_arguments(ARG "" "WORKING_DIRECTORY;OUTPUT" "COMMAND" ${ARGN})
  if(NOT ARG_WORKING_DIRECTORY)
    set(ARG_WORKING_DIRECTORY ${WORK_DIR})
  endif()
  execute_process(COMMAND ${ARG_COMMAND} WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "harness consumer step failed: ${ARG_COMMAND}\n${out}\n${err}")
  endif()
  if(ARG_OUTPUT)
    set(${ARG_OUTPUT} "${out}" PARENT_SCOPE)
  endif()
endfunction()

run_step(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/autolrs-build ${compiler_args}
  -DAUTOLRS_BUILD_TESTS=OFF -DAUTOLRS_BUILD_EXAMPLES=OFF -DAUTOLRS_BUILD_BENCHMARKS=OFF
  -DAUTOLRS_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/staging)
run_step(COMMAND ${CMAKE_COMMAND} --install ${WORK_DIR}/autolrs-build)
file(RENAME ${WORK_DIR}/staging ${WORK_DIR}/prefix)
foreach(installed include/autolrs/harness.hpp include/autolrs/harness/compare.hpp
                  share/autolrs/curves/fmnist_mlp_sgd_fresh.txt share/autolrs/curves/README.md)
  if(NOT EXISTS ${WORK_DIR}/prefix/${installed})
    message(FATAL_ERROR "harness consumer: ${installed} was not installed")
  endif()
endforeach()

set(project_dir ${CMAKE_CURRENT_LIST_DIR}/harness_project)
run_step(COMMAND ${CMAKE_COMMAND} -S ${project_dir} -B ${WORK_DIR}/build ${compiler_args}
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run_step(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run_step(COMMAND ${WORK_DIR}/build/compare_acquisitions WORKING_DIRECTORY ${WORK_DIR}/run OUTPUT tables)

foreach(expected "## Final loss against tuned schedules" "| optimistic EI (mine) |"
                 "| optimistic EI, kappa 2 (mine) |" "#### nqm_momentum_noise0.2 " "#### replay_sgd_fresh "
                 "tuned cosine" "## Diagnostic: per-stage regret")
  string(FIND "${tables}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "harness consumer: the tables lack '${expected}':\n${tables}")
  endif()
endforeach()
if(NOT EXISTS ${WORK_DIR}/run/comparison.csv)
  message(FATAL_ERROR "harness consumer: comparison.csv was not written")
endif()

# The README's "Benchmarking acquisition variants" section shows this very file.
file(READ ${project_dir}/compare_acquisitions.cpp source)
file(READ ${SOURCE_DIR}/README.md readme)
string(FIND "${readme}" "${source}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "harness consumer: README.md does not show tests/consumer/harness_project/"
                      "compare_acquisitions.cpp verbatim (update its 'Benchmarking acquisition variants' section)")
endif()
message(STATUS "harness consumer: installed, built and ran; the README shows the file")
