#pragma once
// The loss window, as the forecasters see it: scanning it (finite points, exact power-of-two
// rescaling so huge values cannot overflow), robust levels and noise scale, a per-thread
// scratch workspace (no allocation per call once it has grown), the weighted least-squares
// fit of z = a*phi + c that the profile fit (profile_fit.hpp) repeats for every trial theta,
// and the last guard against non-finite output that every forecaster applies.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace autolrs::detail {

/// Per-thread scratch buffers. They only grow, so a thread's calls stop allocating once
/// they have seen their largest window; nothing in them outlives a call.
struct forecast_workspace {
    std::vector<double> z;       // rescaled losses (0 where not finite)
    std::vector<double> w;       // robust weights (0 where not finite)
    std::vector<double> phi;     // basis values of the current trial
    std::vector<double> extra;   // sort buffer
    std::vector<double> aux;     // model-specific (log times of the power law)

    void resize(std::size_t n) {
        if (z.size() < n) {
            z.resize(n);
            w.resize(n);
            phi.resize(n);
            extra.resize(n);
            aux.resize(n);
        }
    }
};

inline forecast_workspace& thread_workspace() {
    thread_local forecast_workspace ws;
    return ws;
}

/// What one pass over the raw window finds.
struct window_scan {
    std::size_t n = 0;           // window length (finite or not)
    std::size_t finite = 0;      // finite points
    double scale = 1.0;          // exact power of two with max |loss| / scale in [0.5, 1)
};

inline window_scan scan_window(std::span<const double> losses) noexcept {
    window_scan s;
    s.n = losses.size();
    double max_abs = 0.0;
    for (double y : losses) {
        if (std::isfinite(y)) {
            ++s.finite;
            max_abs = std::max(max_abs, std::abs(y));
        }
    }
    if (max_abs > 0.0) s.scale = std::ldexp(1.0, std::ilogb(max_abs) + 1);
    return s;
}

/// Fills ws.z with losses / scale and ws.w with 1 (finite) or 0 (NaN/inf).
inline void load_window(std::span<const double> losses, const window_scan& s, forecast_workspace& ws) {
    ws.resize(s.n);
    for (std::size_t i = 0; i < s.n; ++i) {
        const bool ok = std::isfinite(losses[i]);
        ws.z[i] = ok ? losses[i] / s.scale : 0.0;
        ws.w[i] = ok ? 1.0 : 0.0;
    }
}

/// Huber M-estimate of location of z[first, last) (weights w as a mask), with a given
/// scale; starts from the plain mean. Returns {level, effective count}.
struct level_estimate {
    double level = 0.0;
    double count = 0.0;
};

inline level_estimate huber_level(const double* z, const double* w, std::size_t first, std::size_t last,
                                  double sigma, double k = 1.5) noexcept {
    double sum = 0.0, cnt = 0.0;
    for (std::size_t i = first; i < last; ++i) {
        sum += w[i] * z[i];
        cnt += w[i];
    }
    if (cnt <= 0.0) return {};
    double mu = sum / cnt;
    if (!(sigma > 0.0)) return {mu, cnt};
    const double cut = k * sigma;
    for (int it = 0; it < 8; ++it) {
        double s = 0.0, c = 0.0;
        for (std::size_t i = first; i < last; ++i) {
            if (w[i] <= 0.0) continue;
            const double r = std::abs(z[i] - mu);
            const double h = r <= cut ? 1.0 : cut / r;
            s += h * z[i];
            c += h;
        }
        const double next = s / c;
        if (std::abs(next - mu) <= 1e-10 * sigma) {
            mu = next;
            break;
        }
        mu = next;
    }
    return {mu, cnt};
}

/// Robust noise scale of the window: the median absolute difference of consecutive
/// finite points, / (0.6745 * sqrt 2). Uses up to 2048 differences (a fixed stride over
/// longer windows); `buffer` needs that many doubles or n.
inline double difference_noise_scale(const double* z, const double* w, std::size_t n, double* buffer,
                                     std::size_t buffer_size) noexcept {
    std::size_t m = 0;
    const std::size_t stride = n > buffer_size ? (n + buffer_size - 1) / buffer_size : 1;
    for (std::size_t i = 0; i + 1 < n && m < buffer_size; i += stride) {
        if (w[i] > 0.0 && w[i + 1] > 0.0) buffer[m++] = std::abs(z[i + 1] - z[i]);
    }
    if (m == 0) return 0.0;
    std::nth_element(buffer, buffer + m / 2, buffer + m);
    return buffer[m / 2] / (0.6744897501960817 * 1.4142135623730951);
}

/// Weighted least squares of z ~ a*phi + c (two centred passes: no cancellation).
struct affine_fit {
    double a = 0.0;
    double c = 0.0;
    double sse = std::numeric_limits<double>::infinity();  // weighted residual sum of squares
    double sw = 0.0;                                      // sum of weights
    double phi_var = 0.0;                                 // weighted sum of (phi - mean)^2
    bool ok = false;
};

inline affine_fit fit_affine(const double* phi, const double* z, const double* w, std::size_t n) noexcept {
    double sw = 0.0, sp = 0.0, sz = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        sw += w[i];
        sp += w[i] * phi[i];
        sz += w[i] * z[i];
    }
    affine_fit f;
    f.sw = sw;
    if (!(sw > 0.0)) return f;
    const double pm = sp / sw, zm = sz / sw;
    double spp = 0.0, spz = 0.0, szz = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double dp = phi[i] - pm, dz = z[i] - zm;
        spp += w[i] * dp * dp;
        spz += w[i] * dp * dz;
        szz += w[i] * dz * dz;
    }
    f.phi_var = spp;
    // A basis that barely varies over the window cannot be told apart from the constant.
    if (!(spp > 1e-13 * (std::abs(pm) * std::abs(pm) + 1e-300) * sw) || !std::isfinite(spp)) {
        f.c = zm;
        f.sse = szz;
        return f;
    }
    f.a = spz / spp;
    f.c = zm - f.a * pm;
    f.sse = std::max(0.0, szz - spz * f.a);
    f.ok = std::isfinite(f.a) && std::isfinite(f.c) && std::isfinite(f.sse);
    return f;
}

/// Clamps to the finite doubles (a last guard: never NaN/inf out of a forecaster).
[[nodiscard]] inline double finite_or(double x, double otherwise) noexcept {
    if (std::isnan(x)) return otherwise;
    return std::clamp(x, -std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
}

}  // namespace autolrs::detail
