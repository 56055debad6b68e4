// Compile-time benchmark, the baseline: a translation unit that includes <Eigen/Dense> and
// solves a 3x3 system. bench/compile_time.sh times it beside autolrs_run.cpp.
#include <Eigen/Dense>

#include <cstdio>

int main() {
    Eigen::Matrix3d a;
    a << 4, -2, 1, -2, 4, -2, 1, -2, 4;
    const Eigen::Vector3d b(11, -16, 17);
    const Eigen::Vector3d x = a.partialPivLu().solve(b);
    std::printf("%g %g %g\n", x(0), x(1), x(2));
    return 0;
}
