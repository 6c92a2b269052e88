// The hardening tests' module: hostile servers, hostile input, secrets (see README.md).
#define BOOST_TEST_MODULE pws_hardening_tests
#include <boost/test/unit_test.hpp>
