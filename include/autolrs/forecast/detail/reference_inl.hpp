#pragma once
// The definition of reference.hpp's quadratic_smooth: in the headers when header-only,
// compiled once in autolrs::compiled otherwise (numeric/compiled_lib.hpp).

#include "autolrs/forecast/reference.hpp"
#include "autolrs/numeric/compiled_lib.hpp"

#if AUTOLRS_DEFINES_KERNELS  // header-only, or the compiled mode's implementation TU

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

namespace autolrs::detail {

AUTOLRS_INLINE bool quadratic_smooth(const std::vector<double>& x, const std::vector<double>& y, std::span<const double> at,
                                     std::vector<double>& out) {
    if (x.size() < 3) return false;
    const double lo = x.front(), hi = x.back();
    const double mid = 0.5 * (lo + hi), half = std::max(0.5 * (hi - lo), 1e-300);
    Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
    Eigen::Vector3d r = Eigen::Vector3d::Zero();
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double u = (x[i] - mid) / half;
        const Eigen::Vector3d v(1.0, u, u * u);
        m.noalias() += v * v.transpose();
        r += v * y[i];
    }
    // LDLT, the decomposition the exponential forecaster's Laplace step uses too: each fixed-size
    // Eigen decomposition costs seconds of compile time in every translation unit.
    const Eigen::LDLT<Eigen::Matrix3d> ldlt(m);
    const Eigen::Vector3d d = ldlt.vectorD();
    if (ldlt.info() != Eigen::Success || !(d.minCoeff() > 1e-12 * d.maxCoeff())) return false;  // fewer than 3 distinct x
    const Eigen::Vector3d coef = ldlt.solve(r);
    out.resize(at.size());
    for (std::size_t i = 0; i < at.size(); ++i) {
        const double u = (at[i] - mid) / half;
        out[i] = coef[0] + coef[1] * u + coef[2] * u * u;
    }
    return coef.allFinite();
}

}  // namespace autolrs::detail

#endif  // AUTOLRS_DEFINES_KERNELS
