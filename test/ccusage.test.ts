// Auth Pool's 5-hour blocks against ccusage's (the tool people compare with), block for block: start
// times, token counts and entries, on a generated corpus and on one made of the cases that once differed.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { generateCorpus } from '../bench/corpus'
import { ROOT, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'
import { appendLines, assistantLine, limitLine, subscriptionLimitLine, userLine } from './helpers/transcripts'

const run = promisify(execFile)
const CCUSAGE = join(ROOT, 'node_modules', '.bin', 'ccusage')

interface Block {
  start: string
  entries: number
  input: number
  output: number
  cacheCreation: number
  cacheRead: number
}

/** ccusage's blocks for one config directory, gaps left out. */
async function theirBlocks(dir: string): Promise<Block[]> {
  const { stdout } = await run(CCUSAGE, ['blocks', '--json', '--offline'], {
    env: { ...process.env, CLAUDE_CONFIG_DIR: dir },
    maxBuffer: 64 << 20,
  })
  const blocks = (
    JSON.parse(stdout) as {
      blocks: {
        startTime: string
        isGap: boolean
        entries: number
        tokenCounts: Record<
          'inputTokens' | 'outputTokens' | 'cacheCreationInputTokens' | 'cacheReadInputTokens',
          number
        >
      }[]
    }
  ).blocks
  return blocks
    .filter((b) => !b.isGap)
    .map((b) => ({
      start: b.startTime,
      entries: b.entries,
      input: b.tokenCounts.inputTokens,
      output: b.tokenCounts.outputTokens,
      cacheCreation: b.tokenCounts.cacheCreationInputTokens,
      cacheRead: b.tokenCounts.cacheReadInputTokens,
    }))
}

/** Auth Pool's blocks for the same directories, through the built command line. */
async function ourBlocks(dirs: readonly string[], home: string): Promise<Map<string, Block[]>> {
  const env = { AUTH_POOL_HOME: home }
  for (const [i, dir] of dirs.entries()) {
    const added = await runCli(['accounts', 'add', '--name', `acct${i}`, '--config-dir', dir], env)
    expect(added.code, added.stderr).toBe(0)
  }
  const ours = await runCli(['usage', '--json'], env)
  expect(ours.code, ours.stderr).toBe(0)
  const report = JSON.parse(ours.stdout) as {
    accounts: {
      configDir: string
      blocks: { start: string; entries: number; tokens: Omit<Block, 'start' | 'entries'> }[]
    }[]
  }
  return new Map(
    report.accounts.map((a) => [
      a.configDir,
      a.blocks.map((b) => ({ start: b.start, entries: b.entries, ...b.tokens })),
    ]),
  )
}

describe('cross-check against ccusage', () => {
  it('per-block token totals equal ccusage blocks --offline for every account of a generated corpus', async () => {
    const root = tempDir('corpus-')
    const dirs = generateCorpus({ root, accounts: 3, bytesPerAccount: 6_000_000, seed: 7 })
    const ours = await ourBlocks(dirs, join(root, 'home'))
    let blocksCompared = 0
    for (const dir of dirs) {
      const mine = ours.get(dir)!
      expect(mine.length).toBeGreaterThan(3)
      expect(mine).toEqual(await theirBlocks(dir))
      blocksCompared += mine.length
    }
    expect(blocksCompared).toBeGreaterThan(10)
  })

  it('dates streamed, resumed, sub-agent and replayed copies of a response as ccusage does, block for block', async () => {
    const root = tempDir('copies-')
    const dir = join(root, 'account')
    const project = join(dir, 'projects', '-home-dev-project')
    const at = (iso: string) => new Date(iso)
    const usage = { input: 1200, cacheWrite: 300, cacheRead: 5000 }
    /** A copy of a response as Claude Code writes it: when, which message and request, its output so far. */
    const response = (
      iso: string,
      messageId: string,
      requestId: string | null,
      output: number,
      more: { sidechain?: boolean; sessionId?: string } = {},
    ) => assistantLine({ time: at(iso), messageId, requestId, output, ...usage, ...more })
    // A block begins at 10:00 with an entry at 10:02.
    appendLines(join(project, 'b-session.jsonl'), [
      userLine(at('2026-11-20T10:01:00Z'), 'hello', 'b-session'),
      response('2026-11-20T10:02:00Z', 'msg_open', 'req_open', 40),
      // Streamed over three lines straddling 15:00, the block's end: ccusage keeps the most complete copy,
      // the 15:00:03 one, which opens the next block.
      response('2026-11-20T14:59:58Z', 'msg_stream', 'req_stream', 3),
      response('2026-11-20T15:00:03Z', 'msg_stream', 'req_stream', 480),
      response('2026-11-20T15:00:09Z', 'msg_stream', 'req_stream', 480),
      // Copies with equal usage: the first of them is kept.
      response('2026-11-20T19:58:00Z', 'msg_tie', 'req_tie', 70),
      response('2026-11-20T20:01:00Z', 'msg_tie', 'req_tie', 70),
      limitLine(at('2026-11-20T20:30:00Z'), Date.parse('2026-11-21T01:00:00Z') / 1000),
      subscriptionLimitLine(at('2026-11-20T20:31:00Z'), Date.parse('2026-11-21T01:00:00Z') / 1000),
      // A line without a request id, twice.
      response('2026-11-21T02:00:00Z', 'msg_noreq', null, 9),
      response('2026-11-21T02:00:05Z', 'msg_noreq', null, 12),
    ])
    // The conversation resumed in another file (it sorts first): its copies of earlier responses carry
    // their first timestamps, or later ones, and the same usage.
    appendLines(join(project, 'a-resumed.jsonl'), [
      response('2026-11-20T10:02:00Z', 'msg_open', 'req_open', 40, { sessionId: 'a-resumed' }),
      response('2026-11-20T20:05:00Z', 'msg_tie', 'req_tie', 70, { sessionId: 'a-resumed' }),
      response('2026-11-21T09:00:00Z', 'msg_new', 'req_new', 33, { sessionId: 'a-resumed' }),
    ])
    // A sub-agent's file: its own responses, and a /btw side conversation replaying a parent message under
    // a new request id.
    appendLines(join(project, 'b-session', 'subagents', 'agent-1.jsonl'), [
      response('2026-11-21T09:10:00Z', 'msg_agent', 'req_agent', 21, { sidechain: true }),
      response('2026-11-21T09:12:00Z', 'msg_new', 'req_replay', 33, { sidechain: true }),
      response('2026-11-21T09:13:00Z', 'msg_side_only', 'req_s1', 5, { sidechain: true }),
      response('2026-11-21T09:14:00Z', 'msg_side_only', 'req_s2', 8, { sidechain: true }),
    ])
    const ours = (await ourBlocks([dir], join(root, 'home'))).get(dir)!
    const theirs = await theirBlocks(dir)
    expect(theirs.map((b) => b.start)).toContain('2026-11-20T15:00:00.000Z') // the straddling copy opened a block
    expect(ours).toEqual(theirs)
  })
})
