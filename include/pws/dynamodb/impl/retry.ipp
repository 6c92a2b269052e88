#pragma once

#include <pws/dynamodb/detail/retry.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <ctime>

namespace pws::detail {

PWS_DECL failure_kind classify_failure(boost::system::error_code ec, unsigned status, std::string_view message) noexcept {
    if (ec.category() == dynamodb_category()) {
        switch (static_cast<dynamodb_errc>(ec.value())) {
        case dynamodb_errc::provisioned_throughput_exceeded:
        case dynamodb_errc::throttling:
        case dynamodb_errc::request_limit_exceeded:
            return failure_kind::throttling;
        case dynamodb_errc::internal_server_error:
        case dynamodb_errc::service_unavailable:
        case dynamodb_errc::transaction_in_progress:
            return failure_kind::transient;
        case dynamodb_errc::request_time_too_skewed:
            return failure_kind::clock_skew;
        case dynamodb_errc::invalid_signature:
            if (message.find("Signature expired") != std::string_view::npos ||
                message.find("not yet current") != std::string_view::npos)
                return failure_kind::clock_skew;
            return failure_kind::fatal;
        default:
            break;
        }
        if (status == 429) return failure_kind::throttling;
        return status >= 500 ? failure_kind::transient : failure_kind::fatal;
    }
    if (ec.category() == error_category()) {
        switch (static_cast<error>(ec.value())) {
        case error::connection_failed:
        case error::connection_closed:
        case error::crc32_mismatch:
            return failure_kind::transient;
        case error::timeout:
            return failure_kind::timeout;
        case error::unexpected_status:
            return status >= 500 ? failure_kind::transient : status == 429 ? failure_kind::throttling
                                                                            : failure_kind::fatal;
        default:
            return failure_kind::fatal;
        }
    }
    return failure_kind::fatal;
}

PWS_DECL std::chrono::milliseconds backoff_delay(unsigned retry, std::chrono::milliseconds base,
                                                 std::chrono::milliseconds cap, std::uint64_t random) noexcept {
    // base * 2^retry without overflow, then capped.
    std::int64_t ceiling = base.count();
    for (unsigned i = 0; i < retry && ceiling < cap.count(); ++i) ceiling *= 2;
    ceiling = std::min<std::int64_t>(ceiling, cap.count());
    if (ceiling <= 0) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(random % static_cast<std::uint64_t>(ceiling + 1)));
}

PWS_DECL unsigned retry_quota::acquire(failure_kind kind) noexcept {
    unsigned want = kind == failure_kind::timeout ? timeout_cost_ : cost_;
    std::lock_guard lock(mutex_);
    if (tokens_ < want) return 0;
    tokens_ -= want;
    return want;
}

PWS_DECL void retry_quota::release(unsigned spent) noexcept {
    std::lock_guard lock(mutex_);
    tokens_ = std::min(capacity_, tokens_ + (spent ? spent : 1));
}

PWS_DECL unsigned retry_quota::available() const noexcept {
    std::lock_guard lock(mutex_);
    return tokens_;
}

namespace crc32_impl {

// Slicing-by-8 (Intel's, as zlib's braided CRC): table s maps a byte to its CRC contribution s
// bytes further on, so eight input bytes cost eight independent lookups instead of a chain of
// eight. The table-at-a-time loop (boost::crc_32_type) was 4-6 % of an uncached lookup's CPU.
struct tables {
    std::uint32_t t[8][256];
};

constexpr tables make_tables() {
    tables r{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;  // reflected 0x04C11DB7
        r.t[0][i] = c;
    }
    for (int s = 1; s < 8; ++s)
        for (std::uint32_t i = 0; i < 256; ++i) r.t[s][i] = (r.t[s - 1][i] >> 8) ^ r.t[0][r.t[s - 1][i] & 0xff];
    return r;
}

inline constexpr tables table = make_tables();

}  // namespace crc32_impl

PWS_DECL std::uint32_t crc32(std::string_view data) noexcept {
    const auto& t = crc32_impl::table.t;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size();
    std::uint32_t c = 0xFFFFFFFFu;
    if constexpr (std::endian::native == std::endian::little) {
        for (; n >= 8; p += 8, n -= 8) {
            std::uint32_t lo, hi;
            std::memcpy(&lo, p, 4);
            std::memcpy(&hi, p + 4, 4);
            lo ^= c;
            c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
                t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
        }
    }
    for (; n != 0; ++p, --n) c = t[0][(c ^ *p) & 0xff] ^ (c >> 8);
    return ~c;
}

PWS_DECL bool crc32_matches(std::string_view body, std::string_view header) noexcept {
    if (header.empty()) return true;
    std::uint32_t expected = 0;
    auto [p, ec] = std::from_chars(header.data(), header.data() + header.size(), expected);
    if (ec != std::errc() || p != header.data() + header.size()) return false;
    return crc32(body) == expected;
}

PWS_DECL std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view v) noexcept {
    // "Sun, 06 Nov 1994 08:49:37 GMT": fixed layout, parsed by hand (no locale, no allocation).
    if (v.size() != 29 || v[3] != ',' || v.substr(26) != "GMT") return std::nullopt;
    auto num = [&](std::size_t pos, std::size_t len, int& out) {
        auto [p, ec] = std::from_chars(v.data() + pos, v.data() + pos + len, out);
        return ec == std::errc() && p == v.data() + pos + len;
    };
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int day, year, hh, mm, ss, month = -1;
    for (int i = 0; i < 12; ++i)
        if (v.substr(8, 3) == months[i]) month = i;
    if (month < 0 || !num(5, 2, day) || !num(12, 4, year) || !num(17, 2, hh) || !num(20, 2, mm) || !num(23, 2, ss))
        return std::nullopt;
    // Years past 2200 would overflow system_clock's nanosecond time_point (it ends in 2262).
    if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970 || year > 2200) return std::nullopt;
    using namespace std::chrono;
    auto ymd = year_month_day{std::chrono::year{year}, std::chrono::month{unsigned(month + 1)}, std::chrono::day{unsigned(day)}};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd} + hours{hh} + minutes{mm} + seconds{ss};
}

PWS_DECL bool clock_skew::observe(std::chrono::system_clock::time_point server_time,
                                  std::chrono::system_clock::time_point now) noexcept {
    auto skew = server_time - now;
    auto abs_skew = skew < duration::zero() ? -skew : skew;
    auto old = offset();
    if (abs_skew < threshold) {
        // Our clock agrees with the server's again: forget a correction learned earlier.
        if (old != duration::zero()) offset_.store(0, std::memory_order_relaxed);
        return false;
    }
    offset_.store(skew.count(), std::memory_order_relaxed);
    auto change = skew - old;
    return (change < duration::zero() ? -change : change) >= threshold;
}

}  // namespace pws::detail
