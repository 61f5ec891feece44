// Auth Pool's prices against the real Claude Code's own total_cost_usd, model by model: each is run once
// against the fake API with every kind of token, and what Auth Pool reads back from the transcript it
// wrote must cost what Claude Code says it cost.
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUsageService } from '../src/main/usage/usageService'
import { CLAUDE } from './helpers/claude'
import { startFakeAnthropic } from './helpers/fakeAnthropic'
import { collect } from './helpers/processes'
import { tempDir } from './helpers/tempDir'

/** Every model id Claude Code 2.1.332 names, its dated ids, and the aliases it resolves. */
const MODELS = [
  'opus',
  'sonnet',
  'haiku',
  'claude-opus-5-5',
  'claude-opus-5',
  'claude-opus-4-8',
  'claude-opus-4-7',
  'claude-opus-4-6',
  'claude-opus-4-5',
  'claude-opus-4-5-20251101',
  'claude-opus-4-1', // sent as claude-opus-5-5 by this Claude Code
  'claude-sonnet-5-5',
  'claude-sonnet-5',
  'claude-sonnet-4-6',
  'claude-sonnet-4-5',
  'claude-sonnet-4-5-20250929',
  'claude-sonnet-4-0',
  'claude-haiku-5-5',
  'claude-haiku-4-5',
  'claude-haiku-4-5-20251001',
  'claude-3-7-sonnet-20250219',
  'claude-3-5-haiku-20241022',
]

const USAGE = {
  input_tokens: 123_457,
  output_tokens: 54_321,
  cache_creation_input_tokens: 30_000,
  cache_read_input_tokens: 987_654,
  cache_creation: { ephemeral_5m_input_tokens: 20_000, ephemeral_1h_input_tokens: 10_000 },
}

let server: Awaited<ReturnType<typeof startFakeAnthropic>>
beforeAll(async () => {
  server = await startFakeAnthropic(() => ({ kind: 'reply', text: 'priced', usage: USAGE }))
})
afterAll(() => server.close())

/** Claude Code's total_cost_usd for one run on `model`, and what Auth Pool makes of its transcript. */
async function priced(
  model: string,
): Promise<{ claude: number; ours: number; estimated: boolean; recorded: string[] }> {
  const root = tempDir('price-')
  const configDir = join(root, 'config')
  mkdirSync(configDir)
  const run = await collect(
    spawn(CLAUDE, ['-p', 'hi', '--output-format', 'json', '--model', model], {
      cwd: root,
      env: {
        ...process.env,
        CLAUDE_CONFIG_DIR: configDir,
        ANTHROPIC_BASE_URL: server.url,
        ANTHROPIC_API_KEY: 'sk-ant-test-dummy',
        DISABLE_AUTOUPDATER: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  expect(run.code, `${model}: ${run.stderr}`).toBe(0)
  const claude = (JSON.parse(run.stdout) as { total_cost_usd: number }).total_cost_usd
  const usage = createUsageService({ indexDir: join(root, 'index') })
  const summary = usage.summaryOf({ id: 'a', configDir })
  usage.close()
  return {
    claude,
    ours: summary.blocks.reduce((n, b) => n + b.costUsd, 0),
    estimated: summary.blocks.some((b) => b.estimated),
    recorded: [...new Set(summary.blocks.flatMap((b) => b.models))],
  }
}

describe('prices against the real Claude Code', () => {
  it('costs every model Claude Code uses what Claude Code itself reports, and none is an estimate', async () => {
    const results: (readonly [string, Awaited<ReturnType<typeof priced>>])[] = []
    for (let i = 0; i < MODELS.length; i += 4)
      results.push(...(await Promise.all(MODELS.slice(i, i + 4).map(async (m) => [m, await priced(m)] as const))))
    for (const [model, { claude, ours, estimated, recorded }] of results) {
      expect(claude, model).toBeGreaterThan(0)
      expect(ours, `${model} (recorded as ${recorded.join(', ')})`).toBeCloseTo(claude, 9)
      expect(estimated, model).toBe(false)
    }
    const [, deprecated] = results.find(([m]) => m === 'claude-opus-4-1')!
    expect(deprecated.recorded).toEqual(['claude-opus-5-5'])
  }, 180_000)
})
