#pragma once
// The Gaussian process's Cholesky factorisation, one row at a time: the cached factor grows
// by a row per observation (gaussian_process.hpp) and the likelihood refactors the whole
// covariance for every trial of the hyperparameters (gp_hyperparameter_fit.hpp) with the
// same routine, so that the two agree to the bit.

#include <Eigen/Core>

#include <cmath>

namespace autolrs::detail {

using row_major_matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Computes row i of the lower Cholesky factor L from the covariance's row i (`c[0..i-1]`
/// below the diagonal, `diagonal` on it), rows 0..i-1 of L being final. Used for both the
/// incremental update and the full factorisation, so that the two agree to the bit.
/// Returns false when the pivot is not clearly positive.
inline bool cholesky_append_row(row_major_matrix& l, Eigen::Index i, const double* c, double diagonal) {
    double* li = l.data() + i * l.cols();
    double pivot = diagonal;
    for (Eigen::Index j = 0; j < i; ++j) {
        const double* lj = l.data() + j * l.cols();
        double s = c[j];
        for (Eigen::Index k = 0; k < j; ++k) s -= li[k] * lj[k];
        li[j] = s / lj[j];
        pivot -= li[j] * li[j];
    }
    if (!(pivot > 1e-10 * diagonal) || !std::isfinite(pivot)) return false;
    li[i] = std::sqrt(pivot);
    return true;
}

}  // namespace autolrs::detail
