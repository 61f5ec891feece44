// npm run bench:alloc — allocations per second and latency for 8 processes allocating in a tight loop on
// one state file. Each allocation is durable when it returns (fsync and rename under the lock). This is a
// load no user makes (a developer starts a session a few times an hour); it is information, and a check
// that no update is lost under contention.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { writeLogin } from '../test/helpers/accounts'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPool } from '../src/main/engine/pool'
import { nodeFileSystem, nodeProcesses, systemClock } from '../src/main/system/nodePorts'
import { NO_USAGE } from '../src/main/engine/ports'
import { createStateStore } from '../src/main/store/stateStore'
import { StateDocumentSchema } from '../src/shared/schemas/state'
import { collect, doneLine, firstLine, startWorker } from '../test/helpers/processes'
import { randomId } from '../src/main/system/random'

const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 8)
const PER_PROCESS = Number(process.env.BENCH_ALLOCATIONS ?? 100)
/** Rounds on fresh stores: this VM's speed swings by a third between identical runs, so one is not enough. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

interface Round {
  readonly latencies: number[]
  readonly wallMs: number
  readonly sessions: number
}

/** One round: a fresh store with four accounts, eight processes started, warmed up, then let go at once. */
async function round(): Promise<Round> {
  const root = mkdtempSync(join(tmpdir(), 'auth-pool-bench-'))
  const home = join(root, 'home')
  const engine = createPool({
    newId: randomId,
    store: createStateStore({ home }),
    clock: systemClock,
    notifier: { notify: async () => undefined },
    processes: nodeProcesses,
    fs: nodeFileSystem,
    usage: { usageOf: () => NO_USAGE },
  })
  for (const name of ['a', 'b', 'c', 'd']) {
    mkdirSync(join(root, name))
    writeLogin(join(root, name)) // only accounts with a Claude login take sessions
    await engine.addAccount({ name, configDir: join(root, name) })
  }
  const workers = Array.from({ length: PROCESSES }, () => startWorker(home, PER_PROCESS, 0, true))
  const finished = workers.map(collect)
  await Promise.all(workers.map(firstLine))
  const done = workers.map(doneLine)
  const started = performance.now()
  for (const w of workers) w.stdin!.write('go\n')
  await Promise.all(done)
  const wallMs = performance.now() - started
  for (const w of workers) w.stdin!.end() // only now may they exit: teardown is not measured
  const latencies: number[] = []
  for (const r of await Promise.all(finished)) {
    if (r.code !== 0) throw new Error(`worker failed: ${r.stderr}`)
    for (const line of r.stdout.trim().split('\n')) {
      const parsed = JSON.parse(line) as { ms?: number }
      if (parsed.ms !== undefined) latencies.push(parsed.ms)
    }
  }
  const doc = StateDocumentSchema.parse(JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')))
  // The measured allocations are the active sessions; each process's warm-up one was released.
  const sessions = Object.values(doc.sessions).filter((s) => s.status === 'active').length
  rmSync(root, { recursive: true, force: true })
  return { latencies, wallMs, sessions }
}

const quantile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
const percentiles = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return `p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p90 ${quantile(sorted, 0.9).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`
}
/** How fast this VM is right now, to read the figures against: the median of five `node -e 0`. */
const nodeStartMs = () =>
  [1, 2, 3, 4, 5]
    .map(() => {
      const t = performance.now()
      execFileSync(process.execPath, ['-e', '0'])
      return performance.now() - t
    })
    .sort((a, b) => a - b)[2]!

const expected = PROCESSES * PER_PROCESS
const speedBefore = nodeStartMs()
console.log(
  `processes: ${PROCESSES}, ${PER_PROCESS} allocations each after one warm-up, ${ROUNDS} rounds on fresh stores`,
)
const rounds: Round[] = []
for (let i = 0; i < ROUNDS; i++) {
  const r = await round()
  rounds.push(r)
  console.log(
    `round ${i + 1}: ${(r.latencies.length / (r.wallMs / 1000)).toFixed(0)} durable allocations/s, ${percentiles(r.latencies)}, sessions in file ${r.sessions}/${expected}`,
  )
}
const all = rounds.flatMap((r) => r.latencies)
const wallMs = rounds.reduce((n, r) => n + r.wallMs, 0)
console.log(`throughput: ${(all.length / (wallMs / 1000)).toFixed(0)} durable allocations/s (all rounds)`)
console.log(`latency per durable allocation, all ${all.length}: ${percentiles(all)}`)
console.log(
  `this VM meanwhile: \`node -e 0\` ${speedBefore.toFixed(0)} ms before the rounds, ${nodeStartMs().toFixed(0)} ms after`,
)
const lost = rounds.some((r) => r.sessions !== expected)
console.log(`sessions in file: ${lost ? 'LOST UPDATES' : `${expected} per round as expected → no lost updates`}`)
if (lost) process.exit(1)
