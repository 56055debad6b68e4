#pragma once
// Small value types shared by the search (BO) and the controller.

namespace autolrs {

/// A surrogate's posterior at one point: mean and variance (variance >= 0), in y units.
struct prediction {
    double mean;
    double variance;
};

/// One evaluated point of a search. `x` is log(LR); `y` the (forecast) loss observed there;
/// `noise_variance` the extra observation noise of this point in y units squared
/// (e.g. the forecast's variance), added to the surrogate's own noise.
struct observation {
    double x;
    double y;
    double noise_variance = 0.0;
};

}  // namespace autolrs
