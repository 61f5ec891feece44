import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LineRecord, parseFast, parseFully, parseTranscriptLine } from '../src/main/usage/transcriptLine'
import { createUsageService } from '../src/main/usage/usageService'
import { runClaude } from './helpers/claude'
import { startFakeAnthropic, type FakeUsage } from './helpers/fakeAnthropic'
import { runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'

const USAGES: FakeUsage[] = [
  {
    input_tokens: 1234,
    output_tokens: 567,
    cache_creation_input_tokens: 8000,
    cache_read_input_tokens: 20000,
    cache_creation: { ephemeral_5m_input_tokens: 6000, ephemeral_1h_input_tokens: 2000 },
  },
  { input_tokens: 40, output_tokens: 900, cache_creation_input_tokens: 0, cache_read_input_tokens: 31000 },
]

let server: Awaited<ReturnType<typeof startFakeAnthropic>>
let served = 0

beforeAll(async () => {
  server = await startFakeAnthropic(() => ({
    kind: 'reply',
    text: 'Hello from the fake API',
    usage: USAGES[served++ % USAGES.length]!,
  }))
})
afterAll(() => server.close())

/** A temp root with an empty account directory and a work folder for Claude Code to run in. */
function accountAndFolder(prefix: string) {
  const root = tempDir(prefix)
  const configDir = join(root, 'account')
  const cwd = join(root, 'work')
  mkdirSync(configDir)
  mkdirSync(cwd)
  return { root, configDir, cwd }
}

describe('ingesting what the real Claude Code CLI writes', () => {
  it('attributes exactly the tokens the API sent and the cost Claude Code printed', async () => {
    const { root, configDir, cwd } = accountAndFolder('claude-')
    const runs = []
    for (const model of ['claude-sonnet-4-5', 'claude-opus-5-5']) {
      const result = await runClaude(['-p', 'say hello', '--output-format', 'json', '--model', model], {
        configDir,
        baseUrl: server.url,
        cwd,
      })
      expect(result.code, result.stderr).toBe(0)
      runs.push(
        JSON.parse(result.stdout) as { total_cost_usd: number; session_id: string; usage: Record<string, number> },
      )
    }
    // The transcripts are real files Claude Code wrote under projects/.
    const transcripts = readdirSync(join(configDir, 'projects'), { recursive: true, encoding: 'utf8' }).filter((n) =>
      n.endsWith('.jsonl'),
    )
    expect(transcripts).toHaveLength(2)
    // Every line reads the same through the fast path as through JSON.parse, and each usage line Claude
    // Code wrote takes the fast path (its layout is the one the fast path knows, not a silent fallback).
    let usageLines = 0
    for (const file of transcripts)
      for (const line of readFileSync(join(configDir, 'projects', file), 'utf8')
        .split('\n')
        .filter(Boolean)) {
        expect(parseTranscriptLine(line)).toEqual(parseFully(line))
        if (parseFully(line).kind !== 'usage') continue
        expect(parseFast(Buffer.from(line), new LineRecord()), line).toBe(true)
        usageLines++
      }
    expect(usageLines).toBeGreaterThanOrEqual(2)

    const env = { AUTH_POOL_HOME: join(root, 'home') }
    expect((await runCli(['accounts', 'add', '--name', 'real', '--config-dir', configDir], env)).code).toBe(0)
    const usage = await runCli(['usage', '--json'], env)
    expect(usage.code, usage.stderr).toBe(0)
    const account = (
      JSON.parse(usage.stdout) as {
        accounts: {
          blocks: { costUsd: number; entries: number; tokens: Record<string, number> }[]
          diagnostics: { skippedLines: unknown[] }
        }[]
      }
    ).accounts[0]!
    const tokens = account.blocks.reduce(
      (t, b) => ({
        input: t.input + b.tokens.input!,
        output: t.output + b.tokens.output!,
        cacheCreation: t.cacheCreation + b.tokens.cacheCreation!,
        cacheRead: t.cacheRead + b.tokens.cacheRead!,
      }),
      { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 },
    )
    const sent = USAGES.slice(0, 2)
    expect(tokens).toEqual({
      input: sent.reduce((n, u) => n + u.input_tokens, 0),
      output: sent.reduce((n, u) => n + u.output_tokens, 0),
      cacheCreation: sent.reduce((n, u) => n + (u.cache_creation_input_tokens ?? 0), 0),
      cacheRead: sent.reduce((n, u) => n + (u.cache_read_input_tokens ?? 0), 0),
    })
    const ourCost = account.blocks.reduce((n, b) => n + b.costUsd, 0)
    const theirCost = runs.reduce((n, r) => n + r.total_cost_usd, 0)
    expect(Math.round(ourCost * 100)).toBe(Math.round(theirCost * 100))
    expect(ourCost).toBeCloseTo(theirCost, 6)
    expect(account.diagnostics.skippedLines).toEqual([])
  })

  it('sees a line appended by a running Claude Code through the watcher, as an event', async () => {
    const { root, configDir, cwd } = accountAndFolder('live-')
    const first = await runClaude(['-p', 'hi', '--output-format', 'json', '--model', 'claude-sonnet-4-5'], {
      configDir,
      baseUrl: server.url,
      cwd,
    })
    expect(first.code, first.stderr).toBe(0)
    const service = createUsageService({ indexDir: join(root, 'index') })
    const account = { id: 'a', configDir }
    service.watch([account])
    const before = service.summaryOf(account).blocks.reduce((n, b) => n + b.entries, 0)
    const transcript = readdirSync(join(configDir, 'projects'), { recursive: true, encoding: 'utf8' }).find((n) =>
      n.endsWith('.jsonl'),
    )!
    const changed = new Promise<number>((resolve) => service.onDidChangeUsage(() => resolve(performance.now())))
    const appendedAt = performance.now()
    const line = JSON.parse(
      (await import('node:fs'))
        .readFileSync(join(configDir, 'projects', transcript), 'utf8')
        .split('\n')
        .find((l) => l.includes('"type":"assistant"'))!,
    ) as { message: { id: string }; requestId: string; timestamp: string }
    line.message.id = 'msg_live'
    line.requestId = 'req_live'
    line.timestamp = new Date().toISOString()
    appendFileSync(join(configDir, 'projects', transcript), JSON.stringify(line) + '\n')
    // Speed is bench:ingest's business; here the event must simply arrive (the watcher, not the minute's poll).
    const seenAt = await Promise.race([
      changed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no usage event')), 4000)),
    ])
    expect(service.summaryOf(account).blocks.reduce((n, b) => n + b.entries, 0)).toBe(before + 1)
    console.log(`live: appended line reflected after ${(seenAt - appendedAt).toFixed(1)} ms`)
    service.close()
  })
})
