// compare_acquisitions.cpp: my own acquisition against autolrs's, on the installed problems.
#include <autolrs/harness.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <vector>

// An acquisition scores a posterior prediction of the loss at a candidate LR, given the best
// loss so far; larger is better. This one is EI of an optimistic mean (kappa sd below).
struct optimistic_ei {
    double kappa = 0.5;
    double operator()(const autolrs::prediction& p, double incumbent) const {
        const double sd = std::sqrt(std::max(p.variance, 0.0));
        return autolrs::expected_improvement{}({p.mean - kappa * sd, p.variance}, incumbent);
    }
};

int main() {
    namespace h = autolrs::harness;
    std::vector<h::problem> problems = h::nqm_problems(0.5);   // noisy quadratics, half budget
    for (h::problem& p : h::replay_problems(0.5)) problems.push_back(std::move(p));  // recorded curves

    const std::vector<h::config> configs{
        h::configuration<>("EI (default)"),
        h::configuration<autolrs::lower_confidence_bound>("LCB"),
        h::configuration<optimistic_ei>("optimistic EI (mine)"),                      // a type
        h::configuration_of("optimistic EI, kappa 2 (mine)", optimistic_ei{.kappa = 2.0}),  // a value
    };
    const h::comparison r = h::compare(problems, configs, {.seeds = 5, .jobs = 2});

    h::write_markdown(std::cout, r);  // final loss against tuned constant / cosine / WSD first
    std::ofstream csv("comparison.csv");
    h::write_csv(csv, r);
}
