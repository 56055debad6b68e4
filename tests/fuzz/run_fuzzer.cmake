# Runs one libFuzzer target for $ENV{AUTOLRS_FUZZ_SECONDS} (else DEFAULT_SECONDS) seconds
# from the seed corpus; new corpus entries and crash artifacts go to WORK_DIR.
set(seconds "${DEFAULT_SECONDS}")
if(DEFINED ENV{AUTOLRS_FUZZ_SECONDS})
  set(seconds "$ENV{AUTOLRS_FUZZ_SECONDS}")
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
# ASan's per-allocation costs dominate a short input (filling every new block, the stack of
# every malloc, a 256 MB quarantine): off or smaller, the targets run about twice the inputs
# per second; errors are still found (rerun an artifact without these to see where a block
# was allocated). A user's own ASAN_OPTIONS win.
if(NOT DEFINED ENV{ASAN_OPTIONS})
  set(ENV{ASAN_OPTIONS} "max_malloc_fill_size=0:malloc_context_size=0:quarantine_size_mb=8")
endif()
execute_process(
  COMMAND ${FUZZER} -max_total_time=${seconds} -timeout=20 -rss_limit_mb=2048 -max_len=8192
          -print_final_stats=1 -artifact_prefix=${WORK_DIR}/artifacts/
          ${WORK_DIR}/corpus ${SEED_CORPUS}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "fuzzer failed (${result}); the input that failed is in ${WORK_DIR}/artifacts/")
endif()
