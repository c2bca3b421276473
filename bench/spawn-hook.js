// Preloaded into a measured bosun process (`node --import ./bench/spawn-hook.js …`): how long node's
// main thread is blocked starting child processes (libuv forks, then waits until the child has
// exec'd), and when the transports become usable. At exit it writes, as JSON to $BOSUN_BENCH_SPAWNS:
//   spawns, spawnMs (sum of the synchronous ChildProcess#spawn calls), spawnMaxMs,
//   firstSpawnAt / lastSpawnEnd (ms since the process started),
//   lastFirstOutputAt: when the last transport printed its first stdout byte (for a channel: its
//   bootstrap's "ready" line, so this is the moment the last channel was ready),
//   elu: the main thread's event-loop utilisation over the whole run (1 = never idle).
import { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const out = process.env.BOSUN_BENCH_SPAWNS;

if (out) {
  const s = { spawns: 0, spawnMs: 0, spawnMaxMs: 0, firstSpawnAt: null, lastSpawnEnd: null, lastFirstOutputAt: null };
  const original = ChildProcess.prototype.spawn;
  ChildProcess.prototype.spawn = function (...args) {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const t1 = performance.now();
      s.spawns++;
      s.spawnMs += t1 - t0;
      s.spawnMaxMs = Math.max(s.spawnMaxMs, t1 - t0);
      s.firstSpawnAt ??= t0;
      s.lastSpawnEnd = t1;
      this.stdout?.once('data', () => (s.lastFirstOutputAt = performance.now()));
    }
  };
  process.on('exit', () => {
    const elu = performance.eventLoopUtilization();
    const r = (x) => (x === null ? null : Math.round(x * 10) / 10);
    writeFileSync(
      out,
      JSON.stringify({
        spawns: s.spawns,
        spawnMs: r(s.spawnMs),
        spawnMaxMs: r(s.spawnMaxMs),
        firstSpawnAt: r(s.firstSpawnAt),
        lastSpawnEnd: r(s.lastSpawnEnd),
        lastFirstOutputAt: r(s.lastFirstOutputAt),
        exitAt: r(performance.now()),
        elu: Math.round(elu.utilization * 1000) / 1000,
      }),
    );
  });
}
