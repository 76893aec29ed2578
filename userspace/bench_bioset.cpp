// Userspace allocation microbenchmark over the POSIX environment: ns per alloc+free of a
// 4-vec bio through core/'s BioSet, against malloc+free of an object of the same size
// (what the POSIX environment's backing cache does), on 1 thread and on every CPU.
// Rounds alternate between the cases; the median is printed, one line per case.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "abi/bio_set.h"
#include "abi/types.h"
#include "env_posix.h"

namespace {
constexpr int kRounds = 5;
const bc_bio_shape kShape{136, 16, 4};  // x86-64 6.1 sizes; only the object size matters here

using Clock = std::chrono::steady_clock;

double run(bool bioset, unsigned threads, long iterations, bc_bio_set* set, size_t object_size) {
    std::atomic<unsigned> waiting{threads};
    std::vector<double> ns(threads);
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            bc::posix::NoioScope noio;
            --waiting;
            while (waiting.load())
                ;
            const auto start = Clock::now();
            for (long i = 0; i < iterations; ++i) {
                if (bioset) {
                    void* vecs;
                    unsigned capacity;
                    void* bio = bc_bio_set_alloc(set, 4, 1, &vecs, &capacity);
                    asm volatile("" : : "r"(bio) : "memory");
                    bc_bio_set_free(set, bio, vecs, capacity);
                } else {
                    void* p = std::malloc(object_size);
                    asm volatile("" : : "r"(p) : "memory");
                    std::free(p);
                }
            }
            ns[t] = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / double(iterations);
        });
    for (auto& w : workers)
        w.join();
    double sum = 0;
    for (double v : ns)
        sum += v;
    return sum / threads;
}
}  // namespace

int main(int argc, char** argv) {
    const long iterations = argc > 1 ? std::atol(argv[1]) : 2000000;
    const bc_bio_set_config config{16, 64, 1, 0, 0};
    bc_bio_set* set = bc_bio_set_create(&config, &kShape);
    if (!set) {
        std::fprintf(stderr, "bench_bioset: cannot create the BioSet\n");
        return 1;
    }
    const size_t object_size = 64 + 16 + kShape.bio_size + 4 * kShape.bvec_size;
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    std::printf("# %ld alloc+free of a 4-vec bio per thread and round, median of %d rounds\n", iterations, kRounds);
    for (unsigned threads : {1u, cpus}) {
        std::vector<double> ours, base;
        for (int r = 0; r < kRounds; ++r) {
            ours.push_back(run(true, threads, iterations, set, object_size));
            base.push_back(run(false, threads, iterations, set, object_size));
        }
        std::sort(ours.begin(), ours.end());
        std::sort(base.begin(), base.end());
        const double o = ours[kRounds / 2], b = base[kRounds / 2];
        std::printf("userspace %u thread%s: biochain BioSet %.1f ns/op vs malloc+free %.1f ns/op ratio %.2f\n",
                    threads, threads > 1 ? "s" : "", o, b, o / b);
    }
    bc_bio_set_destroy(set);
    return 0;
}
