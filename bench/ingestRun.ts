// One ingest run in its own process so its peak RSS is its own. Prints a JSON line.
// Usage: node --import tsx bench/ingestRun.ts <indexDir> <accountDir>...
import { createUsageService } from '../src/main/engine/usage/usageService'

const [indexDir, ...dirs] = process.argv.slice(2)
const started = performance.now()
const service = createUsageService({ indexDir: indexDir! })
let entries = 0
let bytes = 0
for (const [i, configDir] of dirs.entries()) {
  const account = { id: String(i), configDir }
  service.refresh(account)
  entries += service.summaryOf(account).blocks.reduce((n, b) => n + b.entries, 0)
  bytes += service.diagnostics(account).bytesIndexed
}
const ms = performance.now() - started
process.stdout.write(JSON.stringify({ ms, entries, bytes, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n')
