// A separate process allocating on one state file, for the multi-process, crash and benchmark runs.
// Usage: node --import tsx storeWorker.ts <home> <count|forever> [releaseEvery]
// Prints one JSON line per allocation as it lands ({"id","accountId","ms","released"}), then {"done":true}.
import { createPool } from '../../src/main/engine/pool'
import { nodeFileSystem, nodeProcesses, systemClock } from '../../src/main/system/nodePorts'
import { NO_USAGE } from '../../src/main/engine/ports'
import { createStateStore } from '../../src/main/store/stateStore'
import { randomId } from '../../src/main/system/random'

const [home, countArg, releaseEveryArg] = process.argv.slice(2)
if (!home || !countArg) {
  process.stderr.write('usage: storeWorker.ts <home> <count|forever> [releaseEvery]\n')
  process.exit(2)
}
const count = countArg === 'forever' ? Infinity : Number(countArg)
const releaseEvery = Number(releaseEveryArg ?? 0)
const engine = createPool({
  newId: randomId,
  store: createStateStore({ home, lock: { timeoutMs: 60_000, command: 'storeWorker' } }),
  clock: systemClock,
  notifier: { notify: async () => undefined },
  processes: nodeProcesses,
  fs: nodeFileSystem,
  usage: { usageOf: () => NO_USAGE },
})

// With AUTH_POOL_BARRIER set, warm up and wait for a line on stdin, so a benchmark measures steady
// allocations and not eight processes booting at once. The warm-up allocation is released at once
// (it stays in the file as an ended session); its latency is reported on the ready line.
if (process.env.AUTH_POOL_BARRIER) {
  const started = performance.now()
  const { session } = await engine.allocate({ cwd: `/proj/${process.pid}/warm-up` })
  const firstMs = performance.now() - started
  await engine.release(session.id)
  process.stdout.write(JSON.stringify({ ready: true, firstMs }) + '\n')
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()))
  process.stdin.pause()
}

for (let i = 0; i < count; i++) {
  const started = performance.now()
  const { session, account } = await engine.allocate({ cwd: `/proj/${process.pid}/${i % 5}` })
  const ms = performance.now() - started
  let released = false
  if (releaseEvery > 0 && i % releaseEvery === 0) {
    await engine.release(session.id)
    released = true
  }
  // Written as each lands: a process killed mid-run has reported exactly what it committed.
  process.stdout.write(JSON.stringify({ id: session.id, accountId: account.id, ms, released }) + '\n')
}
process.stdout.write(JSON.stringify({ done: true }) + '\n')
// Under a barrier, stay until told (stdin closes), so eight processes tearing down at once do not
// land in the last allocations' latencies of the ones still running.
if (process.env.AUTH_POOL_BARRIER) {
  process.stdin.resume()
  await new Promise((resolve) => process.stdin.once('end', resolve))
}
