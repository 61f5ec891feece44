// One ingest run in its own process so its peak RSS is its own, the way the CLI and the app do it:
// prime (a first start reads on both cores), then each account's summary. Prints a JSON line.
// Usage (bundled by bench/ingest.ts): node ingestRun.js <indexDir> <accountDir>...
import { readdirSync, readFileSync } from 'node:fs'
import { createUsageService } from '../src/main/usage/usageService'
import { builtUsageWorker } from '../src/main/paths'

const [indexDir, ...dirs] = process.argv.slice(2)
const started = performance.now()
const service = createUsageService({ indexDir: indexDir!, workerScript: builtUsageWorker(import.meta.url) })
const accounts = dirs.map((configDir, i) => ({ id: String(i), configDir }))
await service.prime(accounts)
let entries = 0
let bytes = 0
for (const account of accounts) {
  // As the CLI does: an account's first use reads what is new (prime already did, for most).
  entries += service.summaryOf(account).blocks.reduce((n, b) => n + b.entries, 0)
  bytes += service.diagnostics(account).bytesIndexed
}
const ms = performance.now() - started
const cpu = process.cpuUsage()
process.stdout.write(
  JSON.stringify({
    ms,
    entries,
    bytes,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    cpuMs: (cpu.user + cpu.system) / 1000,
    backgroundCpuMs: backgroundCpuMs(),
  }) + '\n',
)

/**
 * CPU time of the process's threads other than the main one and the (finished) workers: V8's platform
 * threads, which compile optimized code and help the GC for every isolate. Linux only (/proc); null elsewhere.
 */
function backgroundCpuMs(): number | null {
  try {
    const [, ...others] = readdirSync('/proc/self/task') // the first is the main thread
    let ticks = 0
    for (const tid of others) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime
    }
    return ticks * 10 // USER_HZ is 100 on Linux
  } catch {
    return null
  }
}
