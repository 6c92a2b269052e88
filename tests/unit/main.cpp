#define BOOST_TEST_MODULE pws_unit_tests
#include <boost/test/unit_test.hpp>
