// Preloaded into the measured bosun process (`node --import ./bench/rusage-hook.js …`) by bench/run.js.
// At exit it writes, as JSON to $BOSUN_BENCH_RUSAGE, the CPU and peak memory of the node process itself
// and the CPU of its reaped children (the ssh clients): Node cannot report a child's rusage, and
// /usr/bin/time (not installed everywhere) would lump node and ssh together.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.BOSUN_BENCH_RUSAGE;
const ticks = Number(process.env.BOSUN_BENCH_CLK_TCK) || 100;

if (out) {
  process.on('exit', () => {
    const ru = process.resourceUsage();
    let childUser = null;
    let childSys = null;
    try {
      // /proc/self/stat: fields after "(comm)"; cutime and cstime are fields 16 and 17 (1-based).
      const stat = readFileSync('/proc/self/stat', 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      childUser = Number(f[13]) / ticks;
      childSys = Number(f[14]) / ticks;
    } catch {
      // not Linux: children's CPU stays unknown
    }
    writeFileSync(
      out,
      JSON.stringify({
        userS: ru.userCPUTime / 1e6,
        sysS: ru.systemCPUTime / 1e6,
        maxRssMB: ru.maxRSS / 1024,
        childUserS: childUser,
        childSysS: childSys,
      }),
    );
  });
}
