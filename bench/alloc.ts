// npm run bench:alloc — allocations per second and latency for 8 concurrent processes on one store.
// Each allocation is durable when it returns (fsync + rename under the cross-process lock).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEngine } from '../src/main/engine'
import { nodeFileSystem, nodeProcesses, systemClock } from '../src/main/engine/nodePorts'
import { NO_USAGE } from '../src/main/engine/ports'
import { createConfBackend } from '../src/main/store/confBackend'
import { createStateStore } from '../src/main/store/stateStore'
import { StateDocumentSchema } from '../src/shared/schemas/state'
import { collect, doneLine, firstLine, startWorker } from '../test/helpers/processes'

const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 8)
const PER_PROCESS = Number(process.env.BENCH_ALLOCATIONS ?? 100)

const root = mkdtempSync(join(tmpdir(), 'auth-pool-bench-'))
const home = join(root, 'home')
const engine = createEngine({
  store: createStateStore({ backend: createConfBackend(home) }),
  clock: systemClock,
  notifier: { notify: async () => undefined },
  processes: nodeProcesses,
  fs: nodeFileSystem,
  usage: { usageOf: () => NO_USAGE },
})
for (const name of ['a', 'b', 'c', 'd']) {
  mkdirSync(join(root, name))
  await engine.addAccount({ name, configDir: join(root, name) })
}

const workers = Array.from({ length: PROCESSES }, () => startWorker(home, PER_PROCESS, 0, true))
const finished = workers.map(collect)
await Promise.all(workers.map(firstLine))
const revisionAtStart = (JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as { revision: number }).revision
const done = workers.map(doneLine)
const started = performance.now()
for (const w of workers) w.stdin!.write('go\n')
await Promise.all(done)
const wallMs = performance.now() - started
// Only now may they exit: process teardown is not part of the measured work.
for (const w of workers) w.stdin!.end()
const results = await Promise.all(finished)
const latencies: number[] = []
const firsts: number[] = []
for (const r of results) {
  if (r.code !== 0) throw new Error(`worker failed: ${r.stderr}`)
  for (const line of r.stdout.trim().split('\n')) {
    const parsed = JSON.parse(line) as { ms?: number; firstMs?: number }
    if (parsed.ms !== undefined) latencies.push(parsed.ms)
    if (parsed.firstMs !== undefined) firsts.push(parsed.firstMs)
  }
}
if (process.env.TAIL) {
  const tagged = results.flatMap((r, w) =>
    r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((x) => x.ms !== undefined)
      .map((x, i) => [x.ms, w, i, x.servedByOther ? 1 : 0, x.at % 100000]),
  )
  console.log(
    JSON.stringify(
      tagged
        .sort((a, b) => b[0] - a[0])
        .slice(0, 16)
        .map((t) => t.map((v: number) => Math.round(v))),
    ),
  )
}
latencies.sort((a, b) => a - b)
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!
const doc = StateDocumentSchema.parse(JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')))
const expected = PROCESSES * PER_PROCESS
// The measured allocations are the active sessions; each process's warm-up one was released.
const sessions = Object.values(doc.sessions).filter((s) => s.status === 'active').length
console.log(
  `processes: ${PROCESSES}, allocations: ${latencies.length} (${PER_PROCESS} each, sequential per process, after one warm-up allocation each)`,
)
console.log(`wall: ${(wallMs / 1000).toFixed(2)} s`)
console.log(`throughput: ${(latencies.length / (wallMs / 1000)).toFixed(0)} durable allocations/s`)
console.log(
  `latency per durable allocation: p50 ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
)
firsts.sort((a, b) => a - b)
console.log(
  `first allocation of each fresh process (its warm-up, while the others start; not in the figures above): min ${firsts[0]!.toFixed(1)} ms, median ${firsts[firsts.length >> 1]!.toFixed(1)} ms, max ${firsts.at(-1)!.toFixed(1)} ms`,
)
console.log(
  `commits: ${doc.revision - revisionAtStart} for ${latencies.length} allocations (requests waiting for the lock are committed by its holder in one write)`,
)
console.log(
  `sessions in file: ${sessions} / expected ${expected} → ${sessions === expected ? 'no lost updates' : 'LOST UPDATES'}`,
)
rmSync(root, { recursive: true, force: true })
if (sessions !== expected) process.exit(1)
