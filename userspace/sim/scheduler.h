// A seeded, deterministic scheduler for the simulator: every task is a thread, but only
// the one holding the baton runs; at each yield the scheduler hands the baton to a
// runnable task chosen by its random generator. The same seed replays the same
// interleaving. A task that blocks (a sleep in core/) stops being runnable until woken;
// no runnable task while work remains is a deadlock.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace sim {

class Scheduler {
public:
    explicit Scheduler(uint64_t seed) : rng_(seed) {}
    ~Scheduler();

    // Adds a task; it first runs when the scheduler picks it.
    int spawn(std::string name, std::function<void()> body);
    // Runs until every task is done or blocked. True if all are done. With tasks left
    // blocked (a deadlock) the threads stay parked: the caller reports and exits.
    bool run();

    // Called by the running task:
    void yield();                  // let another runnable task run
    void block(const void* on);    // sleep until wake(on)
    void wake(const void* on);     // make every task blocked on `on` runnable
    int current() const { return current_; }
    const std::string& name(int task) const { return tasks_[size_t(task)]->name; }
    std::vector<std::string> blocked_tasks() const;
    uint64_t random(uint64_t bound) { return std::uniform_int_distribution<uint64_t>(0, bound - 1)(rng_); }
    bool deadlocked() const { return deadlocked_; }

private:
    enum class State { runnable, blocked, done };
    struct Task {
        std::string name;
        State state = State::runnable;
        const void* blocked_on = nullptr;
        std::condition_variable baton;  // signalled when this task is given the baton
        std::thread thread;
    };
    void hand_back(std::unique_lock<std::mutex>& lock, int me);
    void wait_for_baton(std::unique_lock<std::mutex>& lock, int me);

    std::mt19937_64 rng_;
    std::vector<std::unique_ptr<Task>> tasks_;
    mutable std::mutex mutex_;
    std::condition_variable cond_;  // the scheduler's: signalled when the baton comes back
    int current_ = -1;  // the task holding the baton, -1: the scheduler
    bool deadlocked_ = false;
};

// The scheduler of the simulation running now (one at a time per process).
Scheduler& scheduler();
void set_scheduler(Scheduler* s);

}  // namespace sim
