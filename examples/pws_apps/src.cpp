// The library's bodies, compiled once for pws-apps (PWS_SEPARATE_COMPILATION): the commands'
// translation units then stay light, which matters on CI's two cores.
#include <pws/src.hpp>
