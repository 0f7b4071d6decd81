// The one translation unit that defines the simulator test module.
#define BOOST_TEST_MODULE sim_test
#include <boost/test/unit_test.hpp>
