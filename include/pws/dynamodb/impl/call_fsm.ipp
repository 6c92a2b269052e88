#pragma once

// Out-of-line bodies of pws::detail::call_fsm (dynamodb/detail/call_fsm.hpp).
#include <pws/dynamodb/detail/protocol.hpp>
#include <pws/redact.hpp>
#include <pws/dynamodb/detail/call_fsm.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <string>
#include <utility>

namespace pws::detail {

PWS_DECL call_fsm::call_fsm(const call_limits& limits, time_point deadline, retry_quota& quota, clock_skew& skew,
                            call_secrets secrets, draw_fn draw) noexcept
    : limits_(limits), deadline_(deadline), quota_(quota), skew_(skew), secrets_(secrets), draw_(draw) {}

PWS_DECL call_action call_fsm::resume(call_event& ev) {
    switch (state_) {
    case state::start:
        return begin_attempt();

    case state::acquiring: {
        if (ev.result) {  // no slot: the pool stayed full until the deadline, or the call was cancelled
            if (ev.cancelled) {
                abort("while it waited for a free connection");
                next_ = next::finish;
                state_ = state::releasing;
                return {.step = call_step::release};
            }
            return end_attempt(*ev.result, ev);
        }
        has_connection_ = reused_ = ev.has_connection;
        // A response is only accepted on a connection that had nothing pending before the
        // request: bytes there were never asked for (a proxy's unsolicited answer, a 408 written
        // before the server closed) and would answer this request; EOF means it was closed.
        const bool drop = has_connection_ && !ev.clean;
        if (drop) {
            has_connection_ = reused_ = false;
            ++counters_.idle_discards;
        }
        // Signed once a slot is ours (a wait for the pool must not age the signature), with the
        // server's idea of now once a clock skew has been learned.
        signed_offset_ = skew_.offset();
        state_ = state::signing;
        return {.step = call_step::sign,
                .attempt = static_cast<unsigned>(out_.attempts),
                .signing_offset = signed_offset_,
                .drop_connection = drop};
    }

    case state::signing:
        attempt_deadline_ = std::min(deadline_, ev.now + limits_.attempt_timeout);
        state_ = has_connection_ ? state::exchanging : state::connecting;
        return {.step = has_connection_ ? call_step::exchange : call_step::connect, .until = attempt_deadline_};

    case state::connecting:
        if (ev.result) return end_attempt(*ev.result, ev);
        has_connection_ = true;
        reused_ = false;
        state_ = state::exchanging;
        return {.step = call_step::exchange, .until = attempt_deadline_};

    case state::exchanging: {
        attempt_result& r = *ev.result;
        // A pooled connection the server closed while idle fails before any response byte: the
        // request never reached the server, so it is sent again on a fresh connection, within the
        // same attempt (not counted as one).
        if (r.ec && !ev.cancelled && reused_ && r.nothing_received && ev.now < attempt_deadline_) {
            ++counters_.stale_retries;
            has_connection_ = reused_ = false;
            state_ = state::connecting;
            return {.step = call_step::connect, .until = attempt_deadline_, .drop_connection = true};
        }
        return end_attempt(r, ev);
    }

    case state::releasing:
        switch (next_) {
        case next::retry_now:
            return begin_attempt();
        case next::retry_later:
            state_ = state::waiting;
            return {.step = call_step::wait, .until = ev.now + delay_};
        case next::finish:
            break;
        }
        return finish();

    case state::waiting:
        if (ev.cancelled) {
            abort("while it waited to retry");
            return finish();
        }
        return begin_attempt();

    case state::finished:
        break;
    }
    return {.step = call_step::done};
}

PWS_DECL call_action call_fsm::begin_attempt() {
    ++out_.attempts;
    has_connection_ = reused_ = false;
    state_ = state::acquiring;
    return {.step = call_step::acquire, .until = deadline_};
}

PWS_DECL call_action call_fsm::end_attempt(attempt_result& r, const call_event& ev) {
    // Only a healthy connection goes back to the pool.
    const bool keep = has_connection_ && !r.ec && r.keep_alive;
    next_ = judge(r, ev);
    state_ = state::releasing;
    return {.step = call_step::release, .keep = keep};
}

PWS_DECL call_fsm::next call_fsm::judge(attempt_result& r, const call_event& ev) {
    // Cancelled by the caller: the attempt's failure is the cancellation's doing; no retry. (An
    // answer that came all the same is returned.)
    if (r.ec && ev.cancelled) {
        abort("during its request");
        return next::finish;
    }
    if (r.server_date) skew_.observe(*r.server_date, ev.wall);
    out_.status = r.status;
    // A 2xx whose body is a DynamoDB error object is that error (read below), never success.
    if (!r.ec && r.status >= 200 && r.status < 300 && !is_error_body(r.body)) {
        quota_.release(spent_);
        out_.ec = {};
        out_.diagnostic.clear();
        out_.body = std::move(r.body);
        return next::finish;
    }
    if (r.ec) {
        out_.ec = r.ec;
        out_.diagnostic = std::move(r.diagnostic);
    } else {
        out_.ec = parse_error_response(r.status, r.body, r.error_type, r.request_id, out_.diagnostic,
                                       secrets_.secret_access_key, secrets_.session_token);
    }
    const auto kind = r.permanent ? failure_kind::fatal : classify_failure(out_.ec, r.status, out_.diagnostic);
    if (kind == failure_kind::throttling) ++counters_.throttles;
    last_ = r.local ? failure_kind::fatal : kind;  // a limit of ours is not the region's fault
    if (r.ec == error::timeout && ev.now >= deadline_) return next::finish;
    // With a replica to go to, a region that cannot be reached or does not answer is left at
    // once (throttling is retried here first: it is often one hot key, not the region).
    if (limits_.fail_fast && !r.local && (kind == failure_kind::transient || kind == failure_kind::timeout))
        return next::finish;
    if (kind == failure_kind::clock_skew) {
        // Re-signed with the server's time at once, but only once, and only if the clock it would
        // be signed with now is not the one this attempt was signed with.
        if (skew_retried_ || !skew_.corrects(signed_offset_)) return next::finish;
        skew_retried_ = true;
        ++counters_.skew_corrections;
        return next::retry_now;
    }
    if (kind == failure_kind::fatal || out_.attempts >= static_cast<int>(limits_.max_attempts)) return next::finish;
    const unsigned tokens = quota_.acquire(kind);
    if (tokens == 0) {
        ++counters_.quota_refusals;
        out_.diagnostic += " (not retried: retry quota exhausted)";
        return next::finish;
    }
    spent_ += tokens;
    delay_ = backoff_delay(static_cast<unsigned>(out_.attempts - 1),
                           kind == failure_kind::throttling ? limits_.throttling_base_delay : limits_.retry_base_delay,
                           limits_.max_backoff, draw_());
    if (ev.now + delay_ >= deadline_) return next::finish;
    ++counters_.retries;
    return next::retry_later;
}

PWS_DECL call_action call_fsm::finish() {
    out_.regional = out_.ec && out_.ec != boost::asio::error::operation_aborted &&
                    (last_ == failure_kind::transient || last_ == failure_kind::timeout ||
                     last_ == failure_kind::throttling);
    if (out_.ec && out_.attempts > 1) out_.diagnostic += " (after " + std::to_string(out_.attempts) + " attempts)";
    pws::scrub(out_.diagnostic, secrets_.secret_access_key, secrets_.session_token);
    state_ = state::finished;
    return {.step = call_step::done};
}

PWS_DECL void call_fsm::abort(const char* when) {
    out_.ec = boost::asio::error::operation_aborted;
    out_.diagnostic = std::string("the call was cancelled ") + when;
    last_ = failure_kind::fatal;
}

}  // namespace pws::detail
