// The one translation unit that defines the core test module.
#define BOOST_TEST_MODULE core_test
#include <boost/test/unit_test.hpp>
