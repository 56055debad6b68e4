# Runs the demo for a few hundred steps on the real Fashion-MNIST files and checks that it
# learned (test accuracy above MIN_ACCURACY, chance is 0.1) and wrote its outputs.
#   cmake -DDEMO=<autolrs_demo> -DOUT=<folder> -DEXPECT_PNG=ON|OFF -DMIN_ACCURACY=0.6 [-DRANGE_TEST=ON] -P check_demo.cmake
# With RANGE_TEST, the demo runs in the zero-setting mode (--range-test) and the summary must
# show the range test's steps inside the budget and the interval it found.
file(REMOVE_RECURSE ${OUT})
set(extra)
if(RANGE_TEST)
  set(extra --range-test)
endif()
execute_process(
  COMMAND ${DEMO} --steps 400 --seed 1 --out ${OUT} ${extra}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors)
message("${output}${errors}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "autolrs_demo failed (exit ${rc})")
endif()

set(expected decisions.jsonl decisions.csv loss_curve.csv schedule.csv summary.json)
if(EXPECT_PNG)
  list(APPEND expected lr_and_loss.png)
endif()
foreach(name IN LISTS expected)
  file(SIZE ${OUT}/${name} size)
  if(NOT size GREATER 0)
    message(FATAL_ERROR "autolrs_demo did not write ${OUT}/${name}")
  endif()
endforeach()

file(STRINGS ${OUT}/loss_curve.csv curve_lines)
list(LENGTH curve_lines curve_length)
if(NOT curve_length EQUAL 401)  # header + one row per optimizer step
  message(FATAL_ERROR "loss_curve.csv has ${curve_length} lines, expected 401")
endif()
file(STRINGS ${OUT}/decisions.jsonl decisions LIMIT_COUNT 1)
if(NOT decisions MATCHES "^{\"kind\":")
  message(FATAL_ERROR "decisions.jsonl does not start with a JSON event: ${decisions}")
endif()

file(READ ${OUT}/summary.json summary)
string(JSON accuracy GET "${summary}" test_accuracy)
string(JSON steps_total GET "${summary}" steps_total)
if(NOT steps_total EQUAL 400)
  message(FATAL_ERROR "the demo took ${steps_total} optimizer steps, not its budget of 400")
endif()
if(accuracy LESS MIN_ACCURACY)
  message(FATAL_ERROR "test accuracy ${accuracy} is below ${MIN_ACCURACY}: the demo did not learn")
endif()
string(JSON range_steps GET "${summary}" steps_range_test)
string(JSON trained GET "${summary}" steps_trained)
string(JSON searched GET "${summary}" steps_searched)
string(JSON lr_max GET "${summary}" lr_max)
math(EXPR accounted "${trained} + ${searched} + ${range_steps}")
if(NOT accounted EQUAL 400)
  message(FATAL_ERROR "trained ${trained} + searched ${searched} + range test ${range_steps} != the budget of 400")
endif()
if(RANGE_TEST AND (range_steps LESS 2 OR NOT lr_max GREATER 0))
  message(FATAL_ERROR "--range-test: no range test in the summary (steps ${range_steps}, lr_max ${lr_max})")
endif()
if(NOT RANGE_TEST AND NOT range_steps EQUAL 0)
  message(FATAL_ERROR "a range test ran (${range_steps} steps) though the interval was given")
endif()
message(STATUS "autolrs_demo learned: test accuracy ${accuracy} after 400 steps")
