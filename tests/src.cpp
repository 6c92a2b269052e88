#include <pws/src.hpp>
