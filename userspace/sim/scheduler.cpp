#include "scheduler.h"

#include <memory>

namespace sim {
namespace {
Scheduler* g_scheduler = nullptr;
}

Scheduler& scheduler() { return *g_scheduler; }
void set_scheduler(Scheduler* s) { g_scheduler = s; }

int Scheduler::spawn(std::string name, std::function<void()> body) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int id = int(tasks_.size());
    tasks_.push_back(std::make_unique<Task>());
    Task* task = tasks_.back().get();
    task->name = std::move(name);
    task->thread = std::thread([this, id, body = std::move(body)] {
        {
            std::unique_lock<std::mutex> l(mutex_);
            wait_for_baton(l, id);
        }
        body();
        std::unique_lock<std::mutex> l(mutex_);
        tasks_[size_t(id)]->state = State::done;
        current_ = -1;
        cond_.notify_one();
    });
    return id;
}

Scheduler::~Scheduler() {
    for (auto& task : tasks_)
        if (task->thread.joinable()) {
            if (task->state == State::done)
                task->thread.join();
            else
                task->thread.detach();  // parked forever in a deadlock; the process exits
        }
}

bool Scheduler::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        std::vector<int> runnable;
        bool all_done = true;
        for (size_t i = 0; i < tasks_.size(); ++i) {
            all_done = all_done && tasks_[i]->state == State::done;
            if (tasks_[i]->state == State::runnable)
                runnable.push_back(int(i));
        }
        if (all_done)
            return true;
        if (runnable.empty()) {
            deadlocked_ = true;
            return false;
        }
        current_ = runnable[size_t(std::uniform_int_distribution<size_t>(0, runnable.size() - 1)(rng_))];
        tasks_[size_t(current_)]->baton.notify_one();
        cond_.wait(lock, [&] { return current_ == -1; });
    }
}

void Scheduler::wait_for_baton(std::unique_lock<std::mutex>& lock, int me) {
    Task* task = tasks_[size_t(me)].get();
    task->baton.wait(lock, [&] { return current_ == me; });
}

void Scheduler::hand_back(std::unique_lock<std::mutex>& lock, int me) {
    current_ = -1;
    cond_.notify_one();
    wait_for_baton(lock, me);
}

void Scheduler::yield() {
    std::unique_lock<std::mutex> lock(mutex_);
    hand_back(lock, current_);
}

void Scheduler::block(const void* on) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int me = current_;
    tasks_[size_t(me)]->state = State::blocked;
    tasks_[size_t(me)]->blocked_on = on;
    hand_back(lock, me);
}

void Scheduler::wake(const void* on) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (auto& task : tasks_)
        if (task->state == State::blocked && task->blocked_on == on) {
            task->state = State::runnable;
            task->blocked_on = nullptr;
        }
}

std::vector<std::string> Scheduler::blocked_tasks() const {
    std::unique_lock<std::mutex> lock(mutex_);
    std::vector<std::string> names;
    for (const auto& task : tasks_)
        if (task->state == State::blocked)
            names.push_back(task->name);
    return names;
}

}  // namespace sim
