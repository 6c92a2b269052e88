// pws::detail::waiter_list<T> — asynchronous operations waiting for a value of type T, each
// cancellable on its own. The one primitive behind every "wait until someone else has it" of the
// library: the cache's single-flight (cache_flight.hpp: every miss of a name waits for the one
// driver request), the credentials provider (concurrent requests share one fetch), and the
// DynamoDB client's pool (a call waits until release() hands it a connection).
//
//   waiter_list<int> list;
//   auto [ec, v] = co_await list.async_wait(asio::as_tuple(asio::use_awaitable));  // any token
//   list.notify_all(42);   // every waiter, oldest first     list.notify_one(7);  // the oldest
//
// Completion: signature void(error_code, T), on the handler's associated executor (system_executor
// when it has none: bind one), through asio::post with the handler's associated allocator, never
// inline; outstanding work is tracked on that executor while the waiter waits. The node holding
// a waiter is allocated with that allocator and freed before the handler runs.
//
// Cancellation: per operation, through the handler's associated cancellation slot, any type
// (terminal, partial, total): it removes that waiter alone and completes it with
// asio::error::operation_aborted and T{}. The other waiters and whoever produces the value are not
// disturbed. Exactly one of notify and cancellation wins, decided under the list's mutex: a
// cancellation after the waiter was notified (or taken into a batch) does nothing, and the value
// it was given is delivered. The slot's handler holds only a weak reference and an id, so it may be
// emitted after the wait completed or after the list is gone.
//
// Deadlines are composed by the caller, not owned by the list: wait_handler() enqueues a handler
// and returns a cancel_handle for that wait alone, which a timer's handler calls at the deadline
// (or a timer emits a cancellation_signal bound to the wait: Asio 1.86's cancel_after). Why:
//  - the list then needs no executor, no timer and no reference count per waiter, and a list
//    nobody waits on costs nothing (notify on an empty list is one uncontended lock);
//  - the expiry turns into the same cancellation the list already resolves once against notify,
//    from any thread: a value handed over as the deadline passes is never lost — either the
//    waiter completes with it, or it was removed first and notify_one() hands the value to the
//    next waiter (or reports that none took it). (An awaitable_operators `||` of the wait and a
//    timer would drop such a value.) The waiter keeps its own cancellation slot meanwhile, so
//    its coroutine's cancellation still ends it at once.
// Thread safety: every member may be called from any thread. The mutex is held for pointer moves
// only, never while a handler runs or is posted. A caller with state of its own (a pool's free
// slots, a flight's result) decides and enqueues atomically by calling async_wait with the
// *handler* as the token from inside its own async_initiate, under its own lock: a handler token
// initiates at once. Likewise take_all() / take_one() under its lock, and batch::complete() after
// unlocking. Lock order: the owner's lock, then the list's; the list never calls out under its own.
//
// How the connection pool uses it (dynamodb/impl/client.ipp, wait_for_slot() / release()):
//   acquire, on the call's coroutine: async_initiate<..., void(error_code, conn_ptr)>([&](auto h) {
//       lock pool; a free slot ? post(append(h, {}, nullptr)) : handle = waiters.wait_handler(h); unlock;
//       timer.async_wait([handle](error_code e) { if (!e) handle.cancel(); }); })
//     the handler keeps the coroutine's slot (the call's cancellation ends the wait at once), the
//     timer ends it at the deadline; the timer is cancelled once the wait completed. ec ==
//     operation_aborted past the deadline is a pool timeout; a wait that completes without error
//     owns the slot it was handed.
//   release:  lock pool; auto b = waiters.take_one(); if b.empty(): keep `c` idle (or drop it);
//             unlock; b.complete(std::move(c))   (a null `c` is a permit to open a new connection).
//
// Destruction: waiters still pending complete with operation_aborted (posted, as always).
#pragma once

#include <boost/asio/append.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/assert.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace pws::detail {

/// Asynchronous waits for a T (default-constructible; copyable for notify_all, move-only will do for
/// notify_one), each cancellable.
template <class T>
class waiter_list {
    struct node_base {
        node_base* prev = nullptr;
        node_base* next = nullptr;
        std::uint64_t id = 0;
        // Frees the node, then posts its handler with (ec, value). Called exactly once.
        void (*complete)(node_base*, boost::system::error_code, T&&) = nullptr;
    };

    // What the waiters' cancellation handlers reach: shared, so that they may outlive the list.
    struct core {
        std::mutex mutex;
        node_base* head = nullptr;  // the oldest
        node_base* tail = nullptr;
        std::size_t size = 0;
        std::uint64_t cancelled = 0;
        std::atomic<std::uint64_t> last_id{0};

        void push_back(node_base* n) noexcept {
            n->prev = tail;
            n->next = nullptr;
            (tail ? tail->next : head) = n;
            tail = n;
            ++size;
        }
        void unlink(node_base* n) noexcept {
            (n->prev ? n->prev->next : head) = n->next;
            (n->next ? n->next->prev : tail) = n->prev;
            n->prev = n->next = nullptr;
            --size;
        }
    };

public:
    /// The completion signature of async_wait.
    using signature = void(boost::system::error_code, T);

    /// Waiters taken out of the list, to complete later (after the caller's own lock is released).
    /// Destroyed with waiters left in it, it completes them with operation_aborted.
    class batch {
    public:
        batch() = default;
        batch(batch&& o) noexcept
            : head_(std::exchange(o.head_, nullptr)), size_(std::exchange(o.size_, 0)) {}
        batch& operator=(batch&&) = delete;
        batch(const batch&) = delete;
        batch& operator=(const batch&) = delete;
        ~batch() {
            while (head_) {
                node_base* n = pop();
                n->complete(n, boost::asio::error::operation_aborted, T{});
            }
        }

        std::size_t size() const noexcept { return size_; }  ///< waiters in it
        bool empty() const noexcept { return size_ == 0; }   ///< none

        /// Completes every waiter in it, oldest first, with `value` (copied; the last one gets it
        /// moved). A move-only T completes a batch of one (take_one()).
        void complete(T value) {
            if constexpr (!std::is_copy_constructible_v<T>) BOOST_ASSERT(size_ <= 1);
            while (head_) {
                node_base* n = pop();
                if constexpr (std::is_copy_constructible_v<T>)
                    if (head_) {
                        n->complete(n, {}, T(value));
                        continue;
                    }
                n->complete(n, {}, std::move(value));
            }
        }

    private:
        friend class waiter_list;
        batch(node_base* head, std::size_t size) noexcept : head_(head), size_(size) {}
        node_base* pop() noexcept {
            node_base* n = head_;
            head_ = n->next;
            --size_;
            return n;
        }

        node_base* head_ = nullptr;  // a chain linked by `next`, no longer reachable from the list
        std::size_t size_ = 0;
    };

    /// Cancels one wait — if it still waits — from any thread, also after the list is gone (it
    /// then does nothing). A default-constructed handle cancels nothing. Cheap to copy.
    class cancel_handle {
    public:
        cancel_handle() = default;
        /// Removes that waiter and completes it with operation_aborted and T{}. False when it
        /// was notified (or taken into a batch), cancelled or completed already.
        bool cancel() const {
            const std::shared_ptr<core> c = weak_.lock();
            if (!c) return false;  // the list is gone: its destructor completed the waiter
            node_base* n = nullptr;
            {
                std::lock_guard lock(c->mutex);
                // By id, never by address: the node may have completed and its memory been reused.
                for (node_base* p = c->head; p; p = p->next)
                    if (p->id == id_) {
                        n = p;
                        break;
                    }
                if (!n) return false;  // notified (or taken) already: the value is delivered
                c->unlink(n);
                ++c->cancelled;
            }
            n->complete(n, boost::asio::error::operation_aborted, T{});
            return true;
        }

    private:
        friend class waiter_list;
        cancel_handle(std::weak_ptr<core> w, std::uint64_t id) noexcept : weak_(std::move(w)), id_(id) {}
        std::weak_ptr<core> weak_;
        std::uint64_t id_ = 0;
    };

    /// An empty list (one allocation: the state its waiters' cancellation handlers share).
    waiter_list() : core_(std::make_shared<core>()) {}
    /// Completes the waiters left with operation_aborted.
    ~waiter_list() { take_all(); }
    waiter_list(const waiter_list&) = delete;
    waiter_list& operator=(const waiter_list&) = delete;

    /// Waits for notify_all() or notify_one(): completes with (error_code{}, value), or with
    /// (operation_aborted, T{}) when cancelled through the handler's slot or when the list is
    /// destroyed. A handler passed as `token` is enqueued before async_wait returns.
    template <boost::asio::completion_token_for<signature> Token>
    auto async_wait(Token&& token) {
        return boost::asio::async_initiate<Token, signature>(initiation{this}, token);
    }

    /// async_wait for a completion handler (not a token): enqueues it now and returns the handle
    /// that cancels this wait alone, e.g. from a deadline timer's handler.
    template <class Handler>
    cancel_handle wait_handler(Handler&& handler) {
        return cancel_handle(core_, add(std::decay_t<Handler>(std::forward<Handler>(handler))));
    }

    /// Completes every waiter, oldest first, with `value`; returns how many there were.
    std::size_t notify_all(const T& value) {
        batch b = take_all();
        const std::size_t n = b.size();
        if (n) b.complete(value);
        return n;
    }

    /// Completes the oldest waiter with `value` and returns true; false (and `value` untouched)
    /// when none waits.
    bool notify_one(T&& value) {
        batch b = take_one();
        if (b.empty()) return false;
        b.complete(std::move(value));
        return true;
    }

    /// Takes every waiter out (a cancellation no longer reaches them), for batch::complete().
    batch take_all() {
        std::lock_guard lock(core_->mutex);
        batch b(core_->head, core_->size);
        core_->head = core_->tail = nullptr;
        core_->size = 0;
        return b;
    }

    /// Takes the oldest waiter out, if any, for batch::complete().
    batch take_one() {
        std::lock_guard lock(core_->mutex);
        node_base* n = core_->head;
        if (!n) return batch();
        core_->unlink(n);
        return batch(n, 1);
    }

    /// Waiters waiting now.
    std::size_t size() const {
        std::lock_guard lock(core_->mutex);
        return core_->size;
    }

    /// Waits that ended by cancellation, since construction.
    std::uint64_t cancelled() const {
        std::lock_guard lock(core_->mutex);
        return core_->cancelled;
    }

private:
    // Installed in a waiter's cancellation slot. Left there after the wait completes (clearing a
    // slot from another thread than its emitter's would race): then it finds no waiter.
    struct canceller {
        cancel_handle handle;
        void operator()(boost::asio::cancellation_type type) const {
            if (type != boost::asio::cancellation_type::none) handle.cancel();
        }
    };

    template <class Handler>
    struct node final : node_base {
        using executor = boost::asio::associated_executor_t<Handler>;
        using work_type = std::decay_t<decltype(boost::asio::prefer(
            std::declval<const executor&>(), boost::asio::execution::outstanding_work.tracked))>;
        using allocator = typename std::allocator_traits<
            boost::asio::associated_allocator_t<Handler>>::template rebind_alloc<node>;

        explicit node(Handler&& h)
            : handler(std::move(h)),
              work(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                       boost::asio::execution::outstanding_work.tracked)) {
            this->complete = &node::do_complete;
        }

        static void do_complete(node_base* base, boost::system::error_code ec, T&& value) {
            node* self = static_cast<node*>(base);
            Handler h(std::move(self->handler));
            work_type w(std::move(self->work));  // keeps the executor busy until the post
            allocator a(boost::asio::get_associated_allocator(h));
            std::allocator_traits<allocator>::destroy(a, self);
            std::allocator_traits<allocator>::deallocate(a, self, 1);
            // append keeps the handler's associated executor, allocator and slot.
            boost::asio::post(boost::asio::append(std::move(h), ec, std::move(value)));
        }

        Handler handler;
        work_type work;
    };

    struct initiation {
        waiter_list* self;
        template <class Handler>
        void operator()(Handler&& h) const {
            self->add(std::decay_t<Handler>(std::forward<Handler>(h)));
        }
    };

    template <class Handler>
    std::uint64_t add(Handler h) {
        using node_t = node<Handler>;
        typename node_t::allocator a(boost::asio::get_associated_allocator(h));
        node_t* n = std::allocator_traits<typename node_t::allocator>::allocate(a, 1);
        try {
            std::allocator_traits<typename node_t::allocator>::construct(a, n, std::move(h));
        } catch (...) {
            std::allocator_traits<typename node_t::allocator>::deallocate(a, n, 1);
            throw;
        }
        n->id = core_->last_id.fetch_add(1, std::memory_order_relaxed) + 1;
        // Outside the lock: assigning may allocate, or destroy the canceller of an earlier wait.
        // (Asio's rule: a slot is never emitted while its operation is being initiated.)
        if (auto slot = boost::asio::get_associated_cancellation_slot(n->handler); slot.is_connected()) {
            try {
                slot.template emplace<canceller>(canceller{cancel_handle(core_, n->id)});
            } catch (...) {  // not started: the handler is destroyed uncalled, as Asio's own ops do
                std::allocator_traits<typename node_t::allocator>::destroy(a, n);
                std::allocator_traits<typename node_t::allocator>::deallocate(a, n, 1);
                throw;
            }
        }
        const std::uint64_t id = n->id;
        std::lock_guard lock(core_->mutex);
        core_->push_back(n);
        return id;
    }

    std::shared_ptr<core> core_;
};

}  // namespace pws::detail
