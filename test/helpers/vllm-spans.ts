// The builder lives with the benchmark (compiled, so `npm run bench` can use it).
export * from '../../bench/vllm-spans.js';
