import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { generateCorpus } from '../bench/corpus'
import { ROOT, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'

const run = promisify(execFile)
const CCUSAGE = join(ROOT, 'node_modules', '.bin', 'ccusage')

interface CcusageBlock {
  startTime: string
  isGap: boolean
  entries: number
  tokenCounts: {
    inputTokens: number
    outputTokens: number
    cacheCreationInputTokens: number
    cacheReadInputTokens: number
  }
}

describe('cross-check against ccusage', () => {
  it('per-block token totals equal ccusage blocks --offline for every account of a generated corpus', async () => {
    const root = tempDir('corpus-')
    const dirs = generateCorpus({ root, accounts: 3, bytesPerAccount: 6_000_000, seed: 7 })
    const env = { AUTH_POOL_HOME: join(root, 'home') }
    for (const [i, dir] of dirs.entries()) {
      const added = await runCli(['accounts', 'add', '--name', `acct${i}`, '--config-dir', dir], env)
      expect(added.code, added.stderr).toBe(0)
    }
    const ours = await runCli(['usage', '--json'], env)
    expect(ours.code, ours.stderr).toBe(0)
    const report = JSON.parse(ours.stdout) as {
      accounts: {
        configDir: string
        blocks: {
          start: string
          entries: number
          tokens: { input: number; output: number; cacheCreation: number; cacheRead: number }
        }[]
      }[]
    }
    let blocksCompared = 0
    for (const dir of dirs) {
      const { stdout } = await run(CCUSAGE, ['blocks', '--json', '--offline'], {
        env: { ...process.env, CLAUDE_CONFIG_DIR: dir },
        maxBuffer: 64 << 20,
      })
      const theirs = (JSON.parse(stdout) as { blocks: CcusageBlock[] }).blocks
        .filter((b) => !b.isGap)
        .map((b) => ({
          start: b.startTime,
          input: b.tokenCounts.inputTokens,
          output: b.tokenCounts.outputTokens,
          cacheCreation: b.tokenCounts.cacheCreationInputTokens,
          cacheRead: b.tokenCounts.cacheReadInputTokens,
        }))
      const mine = report.accounts
        .find((a) => a.configDir === dir)!
        .blocks.map((b) => ({ start: b.start, ...b.tokens }))
      expect(mine.length).toBeGreaterThan(3)
      expect(mine).toEqual(theirs)
      blocksCompared += mine.length
    }
    expect(blocksCompared).toBeGreaterThan(10)
  })
})
