// The threads long calls run on (long_call.hpp): one per call in flight, never a queue. A thread whose
// call has ended waits a few seconds for the next one before it exits, so that a burst of short calls
// does not pay a thread start each (about 30 us, measured in bench/event-loop.ts). Process-wide, never
// destroyed: threads may still be waiting here while the process exits.
#pragma once
#include <functional>

namespace nntk::glue {

// Runs task on an idle thread or on a new one, at once; false (and task not run) if no thread can be started.
bool runOnCallThread(std::function<void()> task);

}  // namespace nntk::glue
