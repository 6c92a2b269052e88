// Build-mode switches shared by every pws header.
//
// Header-only by default: every non-template function is declared PWS_DECL and its body lives in
// an impl/*.ipp file that the public header includes at its bottom. Define
// PWS_SEPARATE_COMPILATION to compile those bodies once, in the single translation unit that
// includes <pws/src.hpp> (as Boost.MySQL and Boost.Redis do).
#pragma once

#include <boost/version.hpp>

#if BOOST_VERSION < 108100
#error "pws-app-manager needs Boost 1.81 or newer (Debian: libboost1.81-dev)"
#endif

#ifdef PWS_SEPARATE_COMPILATION
#define PWS_DECL
#else
#define PWS_DECL inline
#define PWS_HEADER_ONLY 1
#endif
