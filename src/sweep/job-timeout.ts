/**
 * The longest job timeout a sweep takes, in seconds: Node.js timers hold at most 2^31 - 1 ms (about 24.8
 * days), and a longer one fires after 1 ms with a TimeoutOverflowWarning. A module of its own so that the
 * command line can check --job-timeout without loading the sweep runner.
 */
export const MAX_JOB_TIMEOUT_SECONDS = 2_000_000;
