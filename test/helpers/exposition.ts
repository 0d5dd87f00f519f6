// The parser lives with the soak script, which is compiled and reads /metrics with it too.
export * from '../../bench/prometheus-text.js';
