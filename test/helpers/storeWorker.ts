// A separate process hammering one state file, for the multi-process, crash and benchmark runs.
// Usage: node --import tsx storeWorker.ts <home> <count|forever> [releaseEvery]
// Prints one JSON line per allocation: {"id","accountId","ms"}; a final {"done":true} line.
import { createPool } from '../../src/main/engine/pool'
import { nodeFileSystem, nodeProcesses, systemClock } from '../../src/main/system/nodePorts'
import { NO_USAGE } from '../../src/main/engine/ports'
import { createConfBackend } from '../../src/main/store/confBackend'
import { createStateStore } from '../../src/main/store/stateStore'

const [home, countArg, releaseEveryArg] = process.argv.slice(2)
if (!home || !countArg) {
  process.stderr.write('usage: storeWorker.ts <home> <count|forever> [releaseEvery]\n')
  process.exit(2)
}
const count = countArg === 'forever' ? Infinity : Number(countArg)
const releaseEvery = Number(releaseEveryArg ?? 0)
const engine = createPool({
  store: createStateStore({ backend: createConfBackend(home), lock: { timeoutMs: 60_000 } }),
  clock: systemClock,
  notifier: { notify: async () => undefined },
  processes: nodeProcesses,
  fs: nodeFileSystem,
  usage: { usageOf: () => NO_USAGE },
})

// With AUTH_POOL_BARRIER set, warm up and wait for a line on stdin, so a benchmark measures steady
// allocations and not eight processes booting at once. The warm-up is one allocation (released at once,
// so it stays in the file as an ended session): it loads every module and compiles the write path. Its
// latency, a fresh process's first allocation, is reported on the ready line.
if (process.env.AUTH_POOL_BARRIER) {
  const started = performance.now()
  const { session } = await engine.allocate({ cwd: `/proj/${process.pid}/warm-up` })
  const firstMs = performance.now() - started
  await engine.release(session.id)
  process.stdout.write(JSON.stringify({ ready: true, firstMs }) + '\n')
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()))
  process.stdin.pause()
}

const lines: string[] = []
// What the measured loop cost this process: its commits, the time it held the lock, its CPU time.
const storeBefore = engine.metrics().store
const cpuBefore = process.cpuUsage()
for (let i = 0; i < count; i++) {
  const servedBefore = engine.metrics().store?.servedByOthers ?? 0
  const started = performance.now()
  const { session, account } = await engine.allocate({ cwd: `/proj/${process.pid}/${i % 5}` })
  const ms = performance.now() - started
  const servedByOther = (engine.metrics().store?.servedByOthers ?? 0) > servedBefore
  let released = false
  if (releaseEvery > 0 && i % releaseEvery === 0) {
    await engine.release(session.id)
    released = true
  }
  const line = JSON.stringify({ id: session.id, accountId: account.id, ms, released, servedByOther, at: Date.now() })
  if (count === Infinity) process.stdout.write(line + '\n')
  else lines.push(line)
}
const storeAfter = engine.metrics().store
const cpu = process.cpuUsage(cpuBefore)
type Counted = 'commits' | 'lockHeldMs' | 'lockHeldCpuMs' | 'cacheHits' | 'deltaReads' | 'cacheMisses'
const grew = (key: Counted) => (storeAfter?.[key] ?? 0) - (storeBefore?.[key] ?? 0)
const cost = {
  commits: grew('commits'),
  lockHeldMs: grew('lockHeldMs'),
  lockHeldCpuMs: grew('lockHeldCpuMs'),
  cpuMs: (cpu.user + cpu.system) / 1000,
  // How its commits found the document (it only ever reads under the lock): as it left it, by deltas, parsed.
  loads: { cached: grew('cacheHits'), deltas: grew('deltaReads'), parsed: grew('cacheMisses') },
}
if (process.env.AUTH_POOL_BARRIER) lines.push(JSON.stringify({ cost })) // for the benchmark
process.stdout.write(lines.map((l) => l + '\n').join('') + JSON.stringify({ done: true }) + '\n')
// Under a barrier, stay until told (stdin closes), so eight processes tearing down at once do not
// land in the last allocations' latencies of the ones still running.
if (process.env.AUTH_POOL_BARRIER) {
  process.stdin.resume()
  await new Promise((resolve) => process.stdin.once('end', resolve))
}
