# cmake -DPROGRAM=<autolrs_cuda_mnist> -P expect_no_gpu.cmake
# Runs the CUDA example with every GPU hidden and checks that it fails the way a user can act
# on: exit code 2 and a message that says no GPU is usable and why. A crash, a hang, another
# exit code or an unclear message fails the test.
set(ENV{CUDA_VISIBLE_DEVICES} "-1")
execute_process(COMMAND "${PROGRAM}" --smoke
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
message("exit code: ${rc}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT rc STREQUAL "2")
  message(FATAL_ERROR "expected exit code 2 (no GPU), got '${rc}'")
endif()
if(NOT err MATCHES "no usable CUDA GPU: cudaGetDeviceCount (failed: cuda[A-Za-z]+ \\(|found 0 devices)")
  message(FATAL_ERROR "stderr does not explain that no GPU is usable")
endif()
message("no-GPU path OK")
