// The benchmarks' console: log lines, a progress line rewritten in place, and sleep.
export const log = (...a) => console.error('[bench]', ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const progress = (s) => process.stderr.write(`\r\x1b[K[bench] ${s}`);
export const endProgress = () => process.stderr.write('\n');
