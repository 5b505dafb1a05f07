// Preloaded into the CLI by the flood tests (node --require): at exit, writes the process's
// peak resident set size (VmHWM from /proc/self/status, Linux) to standard error as
// "intransit-peak-rss-kb N", so the test reads the true peak, not a sample.
const { readFileSync, writeSync } = require('node:fs');

process.on('exit', () => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) writeSync(2, `intransit-peak-rss-kb ${m[1]}\n`);
  } catch {
    // not Linux: the test falls back to /usr/bin/time
  }
});
