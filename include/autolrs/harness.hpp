#pragma once
// <autolrs/harness.hpp>: benchmarking controller configurations (acquisitions, kernels,
// surrogates, forecasters, stop rules, settings) on problems, against tuned fixed schedules.
// Installed with the library but outside the core's single header; link CMake target
// autolrs::harness (autolrs::autolrs, threads, and where the recorded curves are).
//
//   #include <autolrs/harness.hpp>
//   namespace h = autolrs::harness;
//   const std::vector<h::config> configs{h::configuration<>("EI (default)"),
//                                        h::configuration<autolrs::lower_confidence_bound>("LCB")};
//   const h::comparison r = h::compare(h::standard_problems(), configs, {.seeds = 20, .jobs = 2});
//   h::write_markdown(std::cout, r);
//
// harness/problem.hpp    problem, problem_trainer, from_trainer (any autolrs::trainer as a problem)
// harness/problems.hpp   the built-in problems: synthetic, noisy quadratic, recorded-curve replays
// harness/config.hpp     config: configuration<Policies...>, configuration_of(values...), from_factory
// harness/compare.hpp    compare(problems, configs, options) and the tuned fixed-schedule baselines
// harness/report.hpp     write_markdown, write_csv, write_runs_csv

#include <autolrs/autolrs.hpp>
#include <autolrs/harness/problem.hpp>
#include <autolrs/harness/problems.hpp>
#include <autolrs/harness/config.hpp>
#include <autolrs/harness/compare.hpp>
#include <autolrs/harness/report.hpp>
