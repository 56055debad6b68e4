#pragma once
// Reads the Fashion-MNIST files that Debian's `dataset-fashion-mnist` installs
// (gzip-compressed IDX) into plain vectors. No framework needed: the MPI and CUDA
// examples use it as it is, the LibTorch ones wrap it in tensors.

#include <zlib.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace fashion_mnist {

inline const std::filesystem::path default_directory = "/usr/share/datasets/fashion-mnist";

enum class split { train, test };

struct dataset {
    std::vector<float> images;          // count x (rows*cols), row-major, scaled to [0, 1]
    std::vector<std::uint8_t> labels;   // count values in 0..9
    std::size_t count = 0;
    std::size_t rows = 0;
    std::size_t cols = 0;

    [[nodiscard]] std::size_t pixels() const noexcept { return rows * cols; }
    [[nodiscard]] const float* image(std::size_t i) const noexcept { return images.data() + i * pixels(); }
};

namespace detail {

class gz_file {
public:
    explicit gz_file(const std::filesystem::path& path) : file_(gzopen(path.c_str(), "rb")) {
        if (file_ == nullptr) {
            throw std::runtime_error("Fashion-MNIST: cannot open " + path.string() +
                                     " (install the Debian package `dataset-fashion-mnist`, or pass the folder "
                                     "that holds the *-ubyte.gz files)");
        }
    }
    gz_file(const gz_file&) = delete;
    gz_file& operator=(const gz_file&) = delete;
    ~gz_file() { gzclose(file_); }

    void read(void* into, std::size_t bytes, const std::filesystem::path& path) {
        auto* out = static_cast<unsigned char*>(into);
        while (bytes > 0) {
            const unsigned chunk = bytes > (1u << 30) ? (1u << 30) : static_cast<unsigned>(bytes);
            const int got = gzread(file_, out, chunk);
            if (got <= 0) throw std::runtime_error("Fashion-MNIST: " + path.string() + " is truncated or damaged");
            out += got;
            bytes -= static_cast<std::size_t>(got);
        }
    }

    std::uint32_t read_big_endian_u32(const std::filesystem::path& path) {
        std::array<unsigned char, 4> b{};
        read(b.data(), b.size(), path);
        return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
    }

private:
    gzFile file_;
};

}  // namespace detail

/// Loads one split; throws std::runtime_error naming the file and the package when it fails.
inline dataset load(split which, const std::filesystem::path& directory = default_directory) {
    const std::string prefix = which == split::train ? "train" : "t10k";
    const auto image_path = directory / (prefix + "-images-idx3-ubyte.gz");
    const auto label_path = directory / (prefix + "-labels-idx1-ubyte.gz");

    dataset data;
    detail::gz_file images(image_path);
    if (images.read_big_endian_u32(image_path) != 0x00000803u)
        throw std::runtime_error("Fashion-MNIST: " + image_path.string() + " is not an IDX image file");
    data.count = images.read_big_endian_u32(image_path);
    data.rows = images.read_big_endian_u32(image_path);
    data.cols = images.read_big_endian_u32(image_path);
    std::vector<unsigned char> raw(data.count * data.pixels());
    images.read(raw.data(), raw.size(), image_path);
    data.images.resize(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) data.images[i] = static_cast<float>(raw[i]) / 255.0f;

    detail::gz_file labels(label_path);
    if (labels.read_big_endian_u32(label_path) != 0x00000801u)
        throw std::runtime_error("Fashion-MNIST: " + label_path.string() + " is not an IDX label file");
    if (labels.read_big_endian_u32(label_path) != data.count)
        throw std::runtime_error("Fashion-MNIST: " + label_path.string() + " does not match " + image_path.string());
    data.labels.resize(data.count);
    labels.read(data.labels.data(), data.labels.size(), label_path);
    for (const auto label : data.labels)
        if (label > 9) throw std::runtime_error("Fashion-MNIST: " + label_path.string() + " has a label above 9");
    return data;
}

}  // namespace fashion_mnist
