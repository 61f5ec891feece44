// Generates Claude Code transcripts shaped like real ones (see test/helpers/transcripts.ts), for the
// ccusage cross-check and bench:ingest. Deterministic for a given seed.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { assistantLine, limitLine, userLine } from '../test/helpers/transcripts'

export interface CorpusOptions {
  readonly root: string
  readonly accounts: number
  /** Approximate bytes per account. */
  readonly bytesPerAccount: number
  readonly seed?: number
  /** Make one session of the first account at least this big (bytes). */
  readonly bigFileBytes?: number
  /** Latest timestamp; sessions spread over the 10 days before it. */
  readonly end?: number
}

const MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-5-20251101',
  'claude-haiku-4-5-20251001',
  'claude-opus-5-5',
]

function prng(seed: number) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
}

class FileWriter {
  private fd: number
  private pending: string[] = []
  private pendingBytes = 0
  bytes = 0
  constructor(path: string) {
    mkdirSync(join(path, '..'), { recursive: true })
    this.fd = openSync(path, 'w')
  }
  line(text: string): void {
    this.pending.push(text)
    this.pendingBytes += text.length + 1
    this.bytes += Buffer.byteLength(text) + 1
    if (this.pendingBytes > 1 << 20) this.flush()
  }
  flush(): void {
    if (this.pending.length) writeSync(this.fd, this.pending.join('\n') + '\n')
    this.pending = []
    this.pendingBytes = 0
  }
  close(): void {
    this.flush()
    closeSync(this.fd)
  }
}

/** Returns the account directories. */
export function generateCorpus(options: CorpusOptions): string[] {
  const random = prng(options.seed ?? 42)
  const end = options.end ?? Date.parse('2026-11-27T08:00:00Z')
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1))
  const dirs: string[] = []
  let serial = 0
  for (let a = 0; a < options.accounts; a++) {
    const dir = join(options.root, `account-${a}`)
    dirs.push(dir)
    let written = 0
    let time = end - 10 * 24 * 3_600_000 + int(0, 3_600_000)
    const sessions: { id: string; lines: string[] }[] = []
    let session = 0
    while (written < options.bytesPerAccount) {
      const project = `-home-dev-project-${session % 3}`
      const id = `${a}-${session}-${Math.floor(random() * 1e9).toString(36)}`
      const big = a === 0 && session === 0 && options.bigFileBytes ? options.bigFileBytes : 0
      const file = new FileWriter(join(dir, 'projects', project, `${id}.jsonl`))
      file.line(JSON.stringify({ type: 'summary', summary: `session ${id}`, leafUuid: crypto.randomUUID() }))
      // A resumed session starts with lines copied verbatim from an earlier one.
      const resumed = sessions.length > 0 && random() < 0.3 ? pick(sessions) : undefined
      if (resumed) for (const line of resumed.lines.slice(0, int(1, resumed.lines.length))) file.line(line)
      const kept: string[] = []
      const turns = big ? Number.MAX_SAFE_INTEGER : int(5, 60)
      for (let t = 0; t < turns && (big ? file.bytes < big : true); t++) {
        time += int(5, 180) * 1000
        const toolOutput = random() < 0.015 ? int(50_000, 1_000_000) : int(50, 6_000)
        file.line(userLine(new Date(time), 'x'.repeat(toolOutput), id))
        const messageId = `msg_${(serial++).toString(36)}`
        const requestId = `req_${Math.floor(random() * 1e12).toString(36)}`
        const usage = {
          input: int(1, 5_000),
          output: int(10, 4_000),
          cacheWrite: int(0, 20_000),
          cacheRead: int(0, 150_000),
        }
        const cacheWrite1h = random() < 0.3 ? int(0, usage.cacheWrite) : 0
        const model = pick(MODELS)
        // One response, several content blocks: one line each, sharing ids and usage.
        for (let block = int(1, 3); block > 0; block--) {
          const line = assistantLine({
            time: new Date(time + 1000),
            messageId,
            requestId,
            model,
            ...usage,
            cacheWrite1h,
            sessionId: id,
            text: 'y'.repeat(int(20, 2000)),
          })
          file.line(line)
          kept.push(line)
        }
        if (random() < 0.02) {
          // A sub-agent's own transcript, as sidechain lines.
          const agent = new FileWriter(join(dir, 'projects', project, id, 'subagents', `agent-${serial}.jsonl`))
          for (let k = int(1, 5); k > 0; k--) {
            time += int(2, 20) * 1000
            agent.line(
              assistantLine({
                time: new Date(time),
                messageId: `msg_${(serial++).toString(36)}`,
                requestId: `req_sub_${serial}`,
                model: pick(MODELS),
                input: int(1, 2_000),
                output: int(1, 2_000),
                sidechain: true,
                sessionId: id,
              }),
            )
          }
          agent.close()
          written += agent.bytes
        }
        if (random() < 0.003) file.line(limitLine(new Date(time + 2000), Math.floor(time / 1000) + 3600))
      }
      file.close()
      written += file.bytes
      sessions.push({ id, lines: kept })
      session++
      // Gaps between sessions: sometimes minutes, sometimes longer than a 5-hour block.
      time += random() < 0.25 ? int(5, 20) * 3_600_000 : int(1, 90) * 60_000
      if (time > end) time = end - 10 * 24 * 3_600_000 + int(0, 3_600_000)
    }
  }
  return dirs
}
