// Preloaded (node --require) into a benchmarked child process: when it exits, writes its own CPU
// time (user + system, the whole process since start) to the file named by HRN_BENCH_CPU_FILE,
// since a parent process cannot read a child's CPU time from Node.
const { writeFileSync } = require('node:fs');
const file = process.env.HRN_BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.cpuUsage();
    writeFileSync(file, JSON.stringify({ cpuMs: (u.user + u.system) / 1000 }));
  });
}
