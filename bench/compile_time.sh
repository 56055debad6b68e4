#!/usr/bin/env bash
# Compile time of a user's translation unit, side by side with a baseline (issue 19):
#   autolrs.hpp   bench/compile_time/autolrs_run.cpp with <autolrs/autolrs.hpp>: autolrs::run
#                 with the default controller on a small trainer (the README's first use)
#   run.hpp       the same source with only <autolrs/run.hpp> (run() and the default controller)
#   compiled      the autolrs.hpp TU with AUTOLRS_COMPILED_LIB, as a user who links the optional
#                 autolrs::compiled library compiles it (the default controller's heavy numeric
#                 code is declared, not defined; the library holds it: src/autolrs_compiled.cpp)
#   eigen         bench/compile_time/eigen_solve.cpp: <Eigen/Dense> and a 3x3 solve
# Each is compiled to an object file (g++ -std=c++20 -O2, as a user's release build) ROUNDS times,
# interleaved so that a change in the machine's load hits all four alike; the script prints
# the median CPU time (user + system: less sensitive to other processes than wall time) and
# wall time of each, and each one's ratio to the Eigen TU.
#   bash bench/compile_time.sh                 3 rounds with g++
#   ROUNDS=5 CXX=clang++ bash bench/compile_time.sh
#   TRACE=1 bash bench/compile_time.sh         also clang++ -ftime-trace of the autolrs.hpp TU,
#                                              summarised (where the time goes)
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${CXX:-g++}
rounds=${ROUNDS:-3}
eigen_dir=$( (pkg-config --cflags-only-I eigen3 2>/dev/null || echo -I/usr/include/eigen3) | sed 's/^ *//')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-std=c++20 -O2 -Iinclude $eigen_dir)

declare -A cpu wall
measure() {  # <name> <source> [extra flags...]: appends one "cpu wall" sample
  local name=$1 src=$2; shift 2
  /usr/bin/time -f "%U %S %e" -o "$out/time" "$cxx" "${flags[@]}" "$@" -c "$src" -o "$out/$name.o"
  read -r user sys elapsed <"$out/time"
  cpu[$name]+="$(echo "$user + $sys" | bc) "
  wall[$name]+="$elapsed "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "compile time, $cxx -std=c++20 -O2, $rounds rounds, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= rounds; ++i)); do
  measure eigen bench/compile_time/eigen_solve.cpp
  measure umbrella bench/compile_time/autolrs_run.cpp '-DAUTOLRS_BENCH_HEADER=<autolrs/autolrs.hpp>'
  measure run_hpp bench/compile_time/autolrs_run.cpp '-DAUTOLRS_BENCH_HEADER=<autolrs/run.hpp>'
  measure compiled bench/compile_time/autolrs_run.cpp '-DAUTOLRS_BENCH_HEADER=<autolrs/autolrs.hpp>' -DAUTOLRS_COMPILED_LIB
done
base_cpu=$(echo "${cpu[eigen]}" | median)
base_wall=$(echo "${wall[eigen]}" | median)
printf '%-34s %9s %9s %12s %12s\n' "translation unit" "cpu s" "wall s" "cpu / eigen" "wall / eigen"
for name in eigen umbrella run_hpp compiled; do
  c=$(echo "${cpu[$name]}" | median)
  w=$(echo "${wall[$name]}" | median)
  case $name in
    eigen) label="<Eigen/Dense>, 3x3 solve" ;;
    umbrella) label="<autolrs/autolrs.hpp>, run()" ;;
    run_hpp) label="<autolrs/run.hpp>, run()" ;;
    compiled) label="autolrs.hpp, run(), compiled lib" ;;
  esac
  printf '%-34s %9.2f %9.2f %11.2fx %11.2fx\n' "$label" "$c" "$w" "$(echo "$c / $base_cpu" | bc -l)" \
    "$(echo "$w / $base_wall" | bc -l)"
done
echo "samples (cpu s): eigen ${cpu[eigen]}| autolrs.hpp ${cpu[umbrella]}| run.hpp ${cpu[run_hpp]}| compiled ${cpu[compiled]}"

if [ "${TRACE:-0}" = 1 ]; then
  # TRACE_FLAGS=-DAUTOLRS_COMPILED_LIB traces the compiled-mode TU instead.
  clang++ "${flags[@]}" ${TRACE_FLAGS:-} '-DAUTOLRS_BENCH_HEADER=<autolrs/autolrs.hpp>' -ftime-trace -ftime-trace-granularity=100 \
    -c bench/compile_time/autolrs_run.cpp -o "$out/trace.o"
  python3 - "$out/trace.json" <<'PY'
import collections, json, sys
events = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("ph") == "X"]
totals = {e["name"][6:]: e["dur"] / 1e6 for e in events if e["name"].startswith("Total ")}
print("clang -ftime-trace of the <autolrs/autolrs.hpp> TU (seconds, wall):")
for key in ("ExecuteCompiler", "Frontend", "Source", "PerformPendingInstantiations", "InstantiateFunction",
            "InstantiateClass", "Backend", "Optimizer", "CodeGenPasses"):
    if key in totals:
        print(f"  {key:30s} {totals[key]:6.2f}")
includes = collections.defaultdict(float)
for e in events:
    if e["name"] == "Source":
        includes[e["args"]["detail"]] += e["dur"] / 1e6
print("  heaviest includes (inclusive):")
for name, seconds in sorted(includes.items(), key=lambda kv: -kv[1])[1:13]:
    print(f"    {seconds:5.2f}  {name}")
PY
fi
