// npm run bench:ingest — cold ingest, warm restart and one appended line over a ~1 GB, 4-account
// corpus (generated once, cached outside the repo), with ccusage on the same data for the ratio.
import { execFileSync, spawnSync } from 'node:child_process'
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createUsageService } from '../src/main/usage/usageService'
import { assistantLine } from '../test/helpers/transcripts'
import { build } from 'esbuild'
import { generateCorpus } from './corpus'

const ROOT = join(import.meta.dirname, '..')
const CACHE = process.env.AUTH_POOL_BENCH_CACHE ?? join(homedir(), '.cache', 'auth-pool-bench')
const TOTAL_BYTES = Number(process.env.BENCH_BYTES ?? 1_000_000_000)
const corpus = join(CACHE, `corpus-${TOTAL_BYTES}-v2`)
const done = join(corpus, '.complete')

if (!existsSync(done)) {
  rmSync(corpus, { recursive: true, force: true })
  mkdirSync(corpus, { recursive: true })
  const t = performance.now()
  generateCorpus({ root: corpus, accounts: 4, bytesPerAccount: TOTAL_BYTES / 4, bigFileBytes: 110_000_000, seed: 1 })
  writeFileSync(done, '')
  console.log(`generated corpus in ${((performance.now() - t) / 1000).toFixed(1)} s at ${corpus}`)
}
const dirs = readdirSync(corpus)
  .filter((n) => n.startsWith('account-'))
  .map((n) => join(corpus, n))
const sizeOf = (dir: string): number =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce(
    (n, f) => n + (f.endsWith('.jsonl') ? statSync(join(dir, f)).size : 0),
    0,
  )
const totalBytes = dirs.reduce((n, d) => n + sizeOf(d), 0)
const biggest = Math.max(
  ...dirs.flatMap((d) =>
    readdirSync(d, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => statSync(join(d, f)).size),
  ),
)
console.log(`corpus: ${(totalBytes / 1e6).toFixed(0)} MB in 4 accounts, biggest file ${(biggest / 1e6).toFixed(0)} MB`)

// The runs use bundled JavaScript, as the app and the CLI do (electron-vite bundles them): the runner
// and the usage worker side by side, so the runner finds the worker as the CLI finds out/main/usageWorker.js.
const built = join(CACHE, 'build')
await build({
  entryPoints: {
    ingestRun: join(ROOT, 'bench', 'ingestRun.ts'),
    usageWorker: join(ROOT, 'src', 'main', 'usage', 'usageWorker.ts'),
  },
  outdir: built,
  outExtension: { '.js': '.js' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  packages: 'external',
  logLevel: 'warning',
})
writeFileSync(join(built, 'package.json'), '{"type":"module"}')

const indexDir = join(CACHE, 'index')
/** One run in its own process: its own figures, and the whole process's wall time (start to exit). */
function run(): {
  ms: number
  processMs: number
  entries: number
  bytes: number
  maxRssMb: number
  cpuMs: number
  backgroundCpuMs: number | null
} {
  const started = performance.now()
  const out = execFileSync(process.execPath, [join(built, 'ingestRun.js'), indexDir, ...dirs], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  })
  return { ...JSON.parse(out.toString()), processMs: performance.now() - started }
}

// This VM's speed swings by ±30% between identical runs: each figure is the best of three.
const best = <T extends { ms: number }>(runs: T[]): T => runs.reduce((a, b) => (b.ms < a.ms ? b : a))
const cold = best(
  [1, 2, 3].map(() => {
    rmSync(indexDir, { recursive: true, force: true })
    return run()
  }),
)
const warm = best([run(), run(), run()])
console.log(
  `cold ingest:  ${(cold.ms / 1000).toFixed(2)} s, ${(totalBytes / 1e6 / (cold.ms / 1000)).toFixed(0)} MB/s, peak RSS ${cold.maxRssMb.toFixed(0)} MB, ${cold.entries} entries (whole process, Node's start included: ${(cold.processMs / 1000).toFixed(2)} s)`,
)
if (cold.backgroundCpuMs !== null)
  console.log(
    `  CPU of that run: ${cold.cpuMs.toFixed(0)} ms, of which V8's background threads (optimizing compiles, GC help) ${cold.backgroundCpuMs.toFixed(0)} ms`,
  )
console.log(
  `warm restart: ${warm.ms.toFixed(0)} ms (${((warm.ms / cold.ms) * 100).toFixed(1)}% of cold), peak RSS ${warm.maxRssMb.toFixed(0)} MB`,
)

// What no restart can skip: one stat of every transcript and folder under projects/ (new bytes and new
// files show only there). Timed here, in this already-warm process, on a second pass.
const statPaths = dirs.flatMap((d) => {
  const projects = join(d, 'projects')
  return [projects, ...readdirSync(projects, { recursive: true, encoding: 'utf8' }).map((f) => join(projects, f))]
})
let statMs = Infinity
for (let pass = 0; pass < 3; pass++) {
  const t = performance.now()
  for (const path of statPaths) statSync(path)
  statMs = Math.min(statMs, performance.now() - t)
}
console.log(
  `  of which no restart can skip: ${statPaths.length} stat calls (every transcript and folder), ${statMs.toFixed(0)} ms in a warm process`,
)

// One appended line, in a warm process: time until the refreshed summary shows it.
const service = createUsageService({ indexDir })
const account = { id: '0', configDir: dirs[0]! }
service.refresh(account)
service.summaryOf(account)
const transcript = readdirSync(dirs[0]!, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.jsonl'))!
const entriesBefore = service.summaryOf(account).blocks.reduce((n, b) => n + b.entries, 0)
const t0 = performance.now()
appendFileSync(
  join(dirs[0]!, transcript),
  assistantLine({
    time: new Date(),
    messageId: `msg_bench_${Date.now()}`,
    requestId: 'req_bench',
    input: 1,
    output: 1,
  }) + '\n',
)
service.refresh(account)
const entriesAfter = service.summaryOf(account).blocks.reduce((n, b) => n + b.entries, 0)
const appendMs = performance.now() - t0
service.close() // the index write it put off (outside the measured time, as in the app)
if (entriesAfter !== entriesBefore + 1) throw new Error('appended line not counted')
console.log(`appended line: reflected in ${appendMs.toFixed(1)} ms (ingest + summary)`)

// Going live, as the app does at start: every account watched (a look at each included), on the thread
// that also serves the tray.
const live = createUsageService({ indexDir })
const accounts = dirs.map((configDir, i) => ({ id: String(i), configDir }))
for (const a of accounts) live.summaryOf(a)
const t2 = performance.now()
live.watch(accounts)
console.log(
  `going live (watching all ${accounts.length} accounts, each looked at once): ${(performance.now() - t2).toFixed(0)} ms`,
)
// A line a running Claude Code appends, seen through the watcher: from the write to the usage event
// (the watcher names the file, which alone is read). Best of five.
await new Promise((resolve) => setTimeout(resolve, 200)) // let the start-up looks settle
const keepAlive = setInterval(() => undefined, 1000) // the app's windows keep it running; here, this
let liveMs = Infinity
for (let i = 0; i < 5; i++) {
  const seen = new Promise<number>((resolve) => {
    const stop = live.onDidChangeUsage(() => {
      stop()
      resolve(performance.now())
    })
  })
  const t3 = performance.now()
  appendFileSync(
    join(dirs[0]!, transcript),
    assistantLine({
      time: new Date(),
      messageId: `msg_live_${Date.now()}_${i}`,
      requestId: 'req_live',
      input: 1,
      output: 1,
    }) + '\n',
  )
  liveMs = Math.min(liveMs, (await seen) - t3)
}
console.log(
  `appended line through the watcher: usage event after ${liveMs.toFixed(1)} ms (best of 5; 15 ms of it is the debounce)`,
)
clearInterval(keepAlive)
live.close()

// ccusage's native binary on the same directories, started directly: the npm package's \`ccusage\`
// command is a Node script that starts this binary and relays its output, which adds ~0.5 s here.
// Its JSON goes to /dev/null (its formatting still counts; ours prints nothing). Compared process to
// process: both wall times from start to exit.
const native = join(ROOT, 'node_modules', '@ccusage', `ccusage-${process.platform}-${process.arch}`, 'bin', 'ccusage')
const devNull = openSync('/dev/null', 'w')
const ccMs = Math.min(
  ...[1, 2, 3].map(() => {
    const t1 = performance.now()
    const cc = spawnSync(native, ['blocks', '--json', '--offline'], {
      env: { ...process.env, CLAUDE_CONFIG_DIR: dirs.join(',') },
      stdio: ['ignore', devNull, 'pipe'],
    })
    if (cc.status !== 0) throw new Error(`ccusage failed: ${cc.error ?? cc.stderr}`)
    return performance.now() - t1
  }),
)
closeSync(devNull)
console.log(
  `ccusage blocks --offline (native binary): ${(ccMs / 1000).toFixed(2)} s, ${(totalBytes / 1e6 / (ccMs / 1000)).toFixed(0)} MB/s`,
)
console.log(
  `ratio: auth-pool cold ingest runs at ${(ccMs / cold.processMs).toFixed(2)}× ccusage's speed, process to process (${(ccMs / cold.ms).toFixed(2)}× counting from our first line of code)`,
)
