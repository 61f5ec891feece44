import {
  appendFileSync,
  existsSync,
  chmodSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  renameSync,
  statSync,
  symlinkSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import {
  appendLines,
  assistantLine,
  limitLine,
  subscriptionLimitLine,
  userLine,
} from '../../../test/helpers/transcripts'
import { tempDir } from '../../../test/helpers/tempDir'
import { AccountLedger } from './ledger'
import { LineReader } from './lineReader'
import { costUsd, createPriceBook, PRICES } from './pricing'
import { accountUsageOf, summarize, summarizeAt, summaryBase } from './summary'
import { blockRunsOutAt } from '../engine/health'
import { EntryTable, hashOf, type UsageEntry, type UsageFields } from './entryTable'
import { createUsageService } from './usageService'
import { watchTree } from './treeWatcher'
import { LineRecord, parseFast, parseFully, parseTranscriptLine } from './transcriptLine'

const T0 = Date.parse('2026-11-27T09:10:00Z')
const at = (minutes: number) => new Date(T0 + minutes * 60_000)
const prices = createPriceBook()

function account() {
  const configDir = tempDir('acct-')
  const indexDir = tempDir('idx-')
  const transcript = join(configDir, 'projects', '-home-dev-project', 'session-1.jsonl')
  const ledger = () => {
    const l = new AccountLedger(configDir, AccountLedger.indexPathFor(indexDir, configDir))
    l.load()
    return l
  }
  return { configDir, indexDir, transcript, ledger }
}

/** The JSON header of an index file. */
function indexHeader(path: string): { summary: unknown } {
  const data = readFileSync(path)
  return JSON.parse(data.toString('utf8', 8, 8 + data.readUInt32LE(4)))
}

function totals(ledger: AccountLedger, now = T0 + 3_600_000) {
  const s = summarize(ledger.table, ledger.limits, prices, now)
  const sum = s.blocks.reduce(
    (acc, b) => ({
      input: acc.input + b.tokens.input,
      output: acc.output + b.tokens.output,
      cost: acc.cost + b.costUsd,
      entries: acc.entries + b.entries,
    }),
    { input: 0, output: 0, cost: 0, entries: 0 },
  )
  return { ...sum, summary: s }
}

/** A usage line as the reader hands it to the table: the key as bytes ('' for none), the rest given or plain. */
function usageEntry(key: string, fields: Partial<UsageFields> & { time: number }): UsageEntry {
  return {
    key: Buffer.from(key),
    keyLength: Buffer.byteLength(key),
    model: 'claude-sonnet-4-5',
    sidechain: false,
    input: 1,
    output: 0,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    cacheRead: 0,
    sessionId: 's',
    cwd: '/p',
    ...fields,
  }
}

describe('pricing', () => {
  it('prices every token kind, 1-hour cache writes included', () => {
    const tokens = {
      input: 1_000_000,
      output: 1_000_000,
      cacheWrite5m: 1_000_000,
      cacheWrite1h: 1_000_000,
      cacheRead: 1_000_000,
    }
    expect(costUsd(tokens, prices.priceOf('claude-sonnet-4-5-20250929').price)).toBeCloseTo(3 + 15 + 3.75 + 6 + 0.3, 10)
    expect(costUsd(tokens, prices.priceOf('claude-opus-4-1-20250805').price)).toBeCloseTo(
      15 + 75 + 18.75 + 30 + 1.5,
      10,
    )
    expect(costUsd(tokens, prices.priceOf('claude-opus-4-5-20251101').price)).toBeCloseTo(5 + 25 + 6.25 + 10 + 0.5, 10)
    expect(costUsd(tokens, prices.priceOf('claude-haiku-4-5-20251001').price)).toBeCloseTo(1 + 5 + 1.25 + 2 + 0.1, 10)
  })

  it('maps known ids exactly and unknown ones to their family, marked estimated', () => {
    expect(prices.priceOf('claude-opus-4-20250514')).toEqual({ price: PRICES.opus4, estimated: false })
    expect(prices.priceOf('claude-opus-4-7')).toEqual({ price: PRICES.opus45, estimated: false })
    expect(prices.priceOf('claude-opus-5-5')).toEqual({ price: PRICES.opus55, estimated: false })
    expect(prices.priceOf('claude-sonnet-4-6')).toEqual({ price: PRICES.sonnet4, estimated: false })
    expect(prices.priceOf('claude-sonnet-5-5')).toEqual({ price: PRICES.sonnet55, estimated: false })
    expect(prices.priceOf('claude-sonnet-9-1')).toEqual({ price: PRICES.sonnet55, estimated: true })
    expect(prices.priceOf('claude-3-5-haiku-20241022')).toEqual({ price: PRICES.haiku35, estimated: false })
    expect(prices.priceOf('mystery-model')).toEqual({ price: PRICES.unknown, estimated: true })
  })

  it('never takes a model name for one of an object’s own properties: no NaN from "constructor"', () => {
    const book = createPriceBook({ sonnet: PRICES.sonnet4 })
    for (const model of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])
      expect(book.priceOf(model), model).toEqual({ price: PRICES.unknown, estimated: true })
  })

  it('lets settings override a model or a family', () => {
    const custom = { input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1 }
    const book = createPriceBook({ 'claude-opus-5-5': custom, haiku: custom })
    expect(book.priceOf('claude-opus-5-5').price).toEqual(custom)
    expect(book.priceOf('claude-haiku-4-5-20251001').price).toEqual(custom)
    expect(book.priceOf('claude-sonnet-4-5').price).toEqual(PRICES.sonnet4)
  })
})

describe('transcript lines', () => {
  it('reads usage, ids and the 1-hour cache share; without a breakdown all writes are 5-minute', () => {
    const line = parseTranscriptLine(
      assistantLine({
        time: at(0),
        messageId: 'm',
        requestId: 'r',
        input: 10,
        output: 20,
        cacheWrite: 300,
        cacheWrite1h: 100,
        cacheRead: 5,
      }),
    )
    expect(line).toMatchObject({
      kind: 'usage',
      key: 'm:r',
      input: 10,
      output: 20,
      cacheWrite5m: 200,
      cacheWrite1h: 100,
      cacheRead: 5,
    })
    expect(parseTranscriptLine(assistantLine({ time: at(0), cacheWrite: 300, noBreakdown: true }))).toMatchObject({
      cacheWrite5m: 300,
      cacheWrite1h: 0,
    })
  })

  it('keys a line without a request id by its message id alone, one without a message id not at all, and says what is wrong with bad lines', () => {
    expect(parseTranscriptLine(assistantLine({ time: at(0), messageId: 'msg_1', requestId: null }))).toMatchObject({
      kind: 'usage',
      key: 'msg_1:',
    })
    expect(parseTranscriptLine(assistantLine({ time: at(0), messageId: null, requestId: 'req_1' }))).toMatchObject({
      kind: 'usage',
      key: null,
    })
    expect(parseTranscriptLine('{"type":"assistant"')).toEqual({ kind: 'invalid', reason: 'not JSON' })
    expect(parseTranscriptLine('{"type":"assistant","timestamp":"nope","message":{}}')).toMatchObject({
      kind: 'invalid',
    })
    expect(parseTranscriptLine(userLine(at(0), 'x'))).toEqual({ kind: 'other' })
  })

  it("reads Claude Code 2.1's subscription-limit line, and ignores an API-key 429 without a reset time", () => {
    expect(parseTranscriptLine(subscriptionLimitLine(at(0), 1_795_779_816))).toMatchObject({
      kind: 'usage',
      input: 0,
      limitResetsAt: 1_795_779_816_000,
    })
    const apiKey429 = JSON.parse(subscriptionLimitLine(at(0), 1)) as Record<string, unknown>
    delete apiKey429.quotaLimits
    delete apiKey429.apiErrorParams
    expect(parseTranscriptLine(JSON.stringify(apiKey429))).toMatchObject({ kind: 'usage', limitResetsAt: null })
  })

  it('turns a usage-limit message into a limit with its reset time', () => {
    expect(parseTranscriptLine(limitLine(at(0), 1_795_780_800))).toMatchObject({
      kind: 'usage',
      model: '<synthetic>',
      input: 0,
      output: 0,
      time: at(0).getTime(),
      limitResetsAt: 1_795_780_800_000,
    })
  })
})

describe('ingestion', () => {
  it('counts a response written as several lines once, keeping the line with the final output', () => {
    const { transcript, ledger } = account()
    appendLines(transcript, [
      assistantLine({ time: at(0), messageId: 'm1', requestId: 'r1', input: 100, output: 1 }),
      assistantLine({ time: at(0), messageId: 'm1', requestId: 'r1', input: 100, output: 1 }),
      assistantLine({ time: at(0), messageId: 'm1', requestId: 'r1', input: 100, output: 250 }),
      assistantLine({ time: at(1), messageId: 'm2', requestId: 'r2', input: 7, output: 3 }),
    ])
    const l = ledger()
    l.ingest()
    expect(totals(l)).toMatchObject({ input: 107, output: 253, entries: 2 })
  })

  it('deduplicates on the ids however a line spells them, and keeps any key across a restart', () => {
    const { transcript, ledger } = account()
    // The same ids written plainly (the fast path) and with JSON escapes (the full parse); an id holding a
    // newline, which must not break the index's newline-separated keys.
    const spelled = (line: string, plain: string, escaped: string) => line.replace(`"${plain}"`, `"${escaped}"`)
    appendLines(transcript, [
      assistantLine({ time: at(0), messageId: 'mA', requestId: 'r/1', input: 100, output: 1 }),
      spelled(
        assistantLine({ time: at(0), messageId: 'mA', requestId: 'r/1', input: 100, output: 9 }),
        'mA',
        'm\\u0041',
      ),
      assistantLine({ time: at(1), messageId: 'two\nlines', requestId: 'r2', input: 7, output: 3 }),
      spelled(
        assistantLine({ time: at(1), messageId: 'two\nlines', requestId: 'r2', input: 7, output: 4 }),
        'two\\nlines',
        'two\\u000alines',
      ),
      assistantLine({ time: at(2), messageId: 'two', requestId: 'lines:r2', input: 1, output: 1 }),
    ])
    const first = ledger()
    first.ingest()
    expect(totals(first)).toMatchObject({ input: 108, output: 14, entries: 3 })
    first.save()
    // After a restart, later copies of both responses still find their rows (a better one replaces it).
    appendLines(transcript, [
      assistantLine({ time: at(0), messageId: 'mA', requestId: 'r/1', input: 100, output: 20 }),
      assistantLine({ time: at(1), messageId: 'two\nlines', requestId: 'r2', input: 7, output: 2 }),
    ])
    const second = ledger()
    expect(second.table.size).toBe(3)
    second.ingest()
    expect(totals(second)).toMatchObject({ input: 108, output: 25, entries: 3 })
  })

  it('does not double count lines a resumed session copied into a new file, and prefers the main chain', () => {
    const { configDir, transcript, ledger } = account()
    const original = [
      assistantLine({ time: at(0), messageId: 'm1', requestId: 'r1', input: 100, output: 10 }),
      assistantLine({ time: at(2), messageId: 'm2', requestId: 'r2', input: 50, output: 5 }),
    ]
    appendLines(transcript, original)
    appendLines(join(configDir, 'projects', '-home-dev-project', 'session-2.jsonl'), [
      ...original,
      assistantLine({ time: at(3), messageId: 'm3', requestId: 'r3', input: 1, output: 1 }),
    ])
    // A sub-agent file repeats m2 as a sidechain line with more tokens: the main-chain line still wins.
    appendLines(join(configDir, 'projects', '-home-dev-project', 'session-1', 'subagents', 'agent-a1.jsonl'), [
      assistantLine({ time: at(2), messageId: 'm2', requestId: 'r2', input: 50, output: 500, sidechain: true }),
      assistantLine({ time: at(4), messageId: 'm4', requestId: 'r4', input: 9, output: 9, sidechain: true }),
    ])
    const l = ledger()
    l.ingest()
    expect(totals(l)).toMatchObject({ input: 160, output: 25, entries: 4 })
  })

  it('reads only new bytes, waits for a truncated last line, and counts it once finished', () => {
    const { transcript, ledger } = account()
    const full = assistantLine({ time: at(0), messageId: 'm1', requestId: 'r1', input: 10, output: 10 })
    const second = assistantLine({ time: at(1), messageId: 'm2', requestId: 'r2', input: 20, output: 20 })
    appendLines(transcript, [full])
    appendFileSync(transcript, second.slice(0, 40)) // Claude Code is mid-write
    const l = ledger()
    l.ingest()
    expect(totals(l)).toMatchObject({ input: 10, entries: 1 })
    expect(l.files.get(transcript)!.invalid).toBe(0)
    appendFileSync(transcript, second.slice(40) + '\n')
    const result = l.ingest()
    expect(result.bytesRead).toBe(second.length + 1)
    expect(totals(l)).toMatchObject({ input: 30, entries: 2 })
    expect(l.ingest()).toMatchObject({ changed: false, bytesRead: 0 })
  })

  it('counts malformed lines per file and survives invalid UTF-8, blank lines and lines without usage', () => {
    const { transcript, ledger } = account()
    appendLines(transcript, [
      '{"type":"assistant","message":{"usage":',
      '',
      userLine(at(0), 'x'),
      JSON.stringify({ type: 'summary', summary: 'hi' }),
    ])
    appendFileSync(
      transcript,
      Buffer.concat([Buffer.from('{"type":"assistant","usage":"\xff\xfe'), Buffer.from([0xff, 0xfe, 0x0a])]),
    )
    appendLines(transcript, [assistantLine({ time: at(0), input: 5, output: 5, text: 'caf\u00e9 \u{1F600}' })])
    const l = ledger()
    l.ingest()
    expect(totals(l)).toMatchObject({ input: 5, entries: 1 })
    expect(l.files.get(transcript)!.invalid).toBe(2)
  })

  it('reads a file whose last line mentions the word usage at its very end', () => {
    const { transcript, ledger } = account()
    appendLines(transcript, [
      assistantLine({ time: at(0), messageId: 'a', requestId: 'a', input: 5, output: 5 }),
      JSON.stringify({ type: 'user', message: { content: 'check usage' } }),
      '{"u":"my usage"}',
    ])
    const l = ledger()
    l.ingest()
    expect(l.files.get(transcript)!.error).toBeNull()
    expect(totals(l)).toMatchObject({ input: 5, entries: 1 })
  })

  it('tells the parser where each offered line last mentions "usage", and offers only lines that might count', () => {
    const { transcript } = account()
    const lines = [
      assistantLine({ time: at(0), text: 'the word "usage" in \\"usage\\" text', input: 5, output: 5 }),
      JSON.stringify({ type: 'user', message: { content: 'no marker here' } }),
      assistantLine({ time: at(1), input: 1, output: 1 }),
    ]
    appendLines(transcript, lines)
    const offered: [string, number | undefined][] = []
    new LineReader().read(transcript, 0, statSync(transcript).size, (bytes, start, end, _final, _limit, usageAt) => {
      offered.push([bytes.toString('utf8', start, end), usageAt - start])
    })
    expect(offered.map(([line]) => line)).toEqual([lines[0], lines[2]])
    for (const [line, usageAt] of offered) expect(usageAt).toBe(Buffer.from(line).lastIndexOf('"usage"'))
  })

  it('skips a huge tool output without reading it whole', () => {
    const { transcript, ledger } = account()
    appendLines(transcript, [
      userLine(at(0), 'x'.repeat(9 * 1024 * 1024)),
      assistantLine({ time: at(1), input: 4, output: 4 }),
    ])
    const l = ledger()
    l.ingest()
    expect(totals(l)).toMatchObject({ input: 4, entries: 1 })
  })

  it('after any appends, truncations, replacements and deletions, and restarts from its index, equals a fresh read', () => {
    const { configDir, ledger } = account()
    let seed = 41
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!
    const files = ['a.jsonl', 'b.jsonl', 'c/sub.jsonl', 'd.jsonl'].map((f) => join(configDir, 'projects', '-p', f))
    /** Lines of responses that several files share (resumed sessions), some streamed in growing copies. */
    const line = (n: number) =>
      assistantLine({
        time: at(n * 7 + Math.floor(random() * 3)),
        messageId: `m${n}`,
        requestId: random() < 0.1 ? null : `r${n}`,
        input: 100 + n,
        output: Math.floor(random() * 50),
        cacheRead: 1000,
        sidechain: random() < 0.1,
      })
    const now = T0 + 40 * 3_600_000
    const fresh = () => {
      const other = new AccountLedger(configDir, join(tempDir('fresh-'), 'x.idx'))
      other.ingest()
      return summarize(other.table, other.limits, prices, now)
    }
    let l = ledger()
    for (let step = 0; step < 120; step++) {
      const file = pick(files)
      const r = random()
      if (r < 0.6)
        appendLines(
          file,
          Array.from({ length: 1 + Math.floor(random() * 4) }, () => line(Math.floor(random() * 60))),
        )
      else if (r < 0.72 && existsSync(file)) truncateSync(file, Math.floor(readFileSync(file).length * random()))
      else if (r < 0.82 && existsSync(file)) {
        const replacement = `${file}.new`
        writeFileSync(replacement, readFileSync(file, 'utf8').split('\n').slice(1).join('\n'))
        renameSync(replacement, file)
      } else if (r < 0.9 && existsSync(file)) unlinkSync(file)
      else if (r < 0.95) {
        l.save()
        l = ledger() // a restart from the index
      }
      if (random() < 0.5) l.ingest()
      else l.ingestFiles(files.filter(existsSync))
      l.ingest()
      const ours = summarize(l.table, l.limits, prices, now)
      const theirs = fresh()
      expect({ blocks: ours.blocks, week: ours.week, daily: ours.daily }, `step ${step}`).toEqual({
        blocks: theirs.blocks,
        week: theirs.week,
        daily: theirs.daily,
      })
    }
  })

  it('counts what the files hold now: a replaced, truncated or deleted file takes its lines with it', () => {
    const { configDir, transcript, ledger } = account()
    appendLines(transcript, [
      assistantLine({ time: at(0), messageId: 'm1', requestId: 'r1', input: 10, output: 0 }),
      assistantLine({ time: at(1), messageId: null, requestId: null, input: 1, output: 0 }),
    ])
    const l = ledger()
    l.ingest()
    expect(totals(l).input).toBe(11)
    // Replaced by a new file (new inode) holding the same lines and one more.
    const replacement = join(configDir, 'replacement.tmp')
    writeFileSync(replacement, '')
    appendLines(replacement, [
      assistantLine({ time: at(0), messageId: 'm1', requestId: 'r1', input: 10, output: 0 }),
      assistantLine({ time: at(1), messageId: null, requestId: null, input: 1, output: 0 }),
      assistantLine({ time: at(2), messageId: 'm3', requestId: 'r3', input: 100, output: 0 }),
    ])
    renameSync(replacement, transcript)
    l.ingest()
    expect(totals(l).input).toBe(111)
    truncateSync(transcript, 0)
    appendLines(transcript, [assistantLine({ time: at(5), messageId: 'm9', requestId: 'r9', input: 1000, output: 0 })])
    l.ingest()
    expect(totals(l).input).toBe(1000)
    unlinkSync(transcript)
    l.ingest()
    expect(totals(l).input).toBe(0)
  })

  it('handles a missing projects/ directory and an unreadable file', () => {
    const { configDir, transcript, ledger } = account()
    const l = ledger()
    expect(l.ingest()).toMatchObject({ changed: false, files: 0 })
    appendLines(transcript, [assistantLine({ time: at(0), input: 1, output: 1 })])
    chmodSync(transcript, 0o000)
    const unreadable = process.getuid?.() !== 0 // root reads anything
    l.ingest()
    if (unreadable) expect(l.files.get(transcript)!.error).toMatch(/EACCES/)
    chmodSync(transcript, 0o600)
    rmSync(join(configDir, 'projects'), { recursive: true })
    expect(() => l.ingest()).not.toThrow()
  })

  it('restarts from its index: no bytes read again when nothing changed, only new ones otherwise', () => {
    const { transcript, ledger, indexDir } = account()
    appendLines(
      transcript,
      Array.from({ length: 50 }, (_, i) =>
        assistantLine({ time: at(i), messageId: `m${i}`, requestId: `r${i}`, input: 10, output: 1 }),
      ),
    )
    const first = ledger()
    first.ingest()
    first.save()
    const second = ledger()
    expect(totals(second).input).toBe(500)
    expect(second.ingest()).toMatchObject({ changed: false, bytesRead: 0 })
    appendLines(transcript, [
      assistantLine({ time: at(60), messageId: 'm0', requestId: 'r0', input: 10, output: 1 }), // a copy: no change
      assistantLine({ time: at(61), messageId: 'new', requestId: 'new', input: 1, output: 1 }),
    ])
    const result = second.ingest()
    expect(result.changed).toBe(true)
    expect(totals(second)).toMatchObject({ input: 501, entries: 51 })
    // Deleting the index only costs a rebuild.
    rmSync(indexDir, { recursive: true })
    const rebuilt = ledger()
    rebuilt.ingest()
    expect(totals(rebuilt)).toMatchObject({ input: 501, entries: 51 })
    // A corrupt index is ignored, not trusted: garbage, or a torn file.
    rebuilt.save()
    const good = readFileSync(rebuilt.indexPath)
    for (const bytes of [Buffer.from('garbage'), good.subarray(0, good.length - 3)]) {
      writeFileSync(rebuilt.indexPath, bytes)
      const again = ledger()
      expect(again.files.size).toBe(0) // nothing taken from it
      expect(again.ingest().bytesRead).toBeGreaterThan(0)
      expect(totals(again)).toMatchObject({ input: 501, entries: 51 })
    }
  })

  it('reuses folder listings only while their mtime stands still, so new files and folders are always found', () => {
    const { configDir, transcript, ledger } = account()
    appendLines(transcript, [assistantLine({ time: at(0), messageId: 'a', requestId: 'a', input: 1 })])
    const hourAgo = new Date(Date.now() - 3_600_000)
    const projects = join(configDir, 'projects')
    for (const dir of [projects, join(projects, '-home-dev-project')]) utimesSync(dir, hourAgo, hourAgo)
    const first = ledger()
    first.ingest()
    first.save()
    // A new file in a listed folder, and a new sub-agent folder: both move a folder's mtime.
    const subagent = join(configDir, 'projects', '-home-dev-project', 'session-1', 'subagents', 'agent-1.jsonl')
    appendLines(join(configDir, 'projects', '-home-dev-project', 'session-2.jsonl'), [
      assistantLine({ time: at(1), messageId: 'b', requestId: 'b', input: 10 }),
    ])
    appendLines(subagent, [assistantLine({ time: at(2), messageId: 'c', requestId: 'c', input: 100, sidechain: true })])
    const second = ledger()
    expect(second.ingest()).toMatchObject({ changed: true, files: 3 })
    expect(totals(second).input).toBe(111)
    // An append to a file in an unchanged folder is found too (files are stat'ed every time).
    second.save()
    appendLines(transcript, [assistantLine({ time: at(3), messageId: 'd', requestId: 'd', input: 1000 })])
    const third = ledger()
    third.ingest()
    expect(totals(third).input).toBe(1111)
  })

  it('records usage-limit hits and the time the account frees up', () => {
    const { transcript, ledger } = account()
    const resets = Math.floor((T0 + 4 * 3_600_000) / 1000)
    appendLines(transcript, [assistantLine({ time: at(0), input: 1, output: 1 }), limitLine(at(30), resets)])
    const l = ledger()
    l.ingest()
    const s = summarize(l.table, l.limits, prices, T0 + 3_600_000)
    expect(s.limitedUntil).toBe(new Date(resets * 1000).toISOString())
    expect(summarize(l.table, l.limits, prices, T0 + 5 * 3_600_000).limitedUntil).toBeNull()
  })
})

describe('usage service', () => {
  it('shows an appended line at once and writes the index a moment later, or on close', () => {
    const { configDir, indexDir, transcript, ledger } = account()
    appendLines(transcript, [assistantLine({ time: at(0), messageId: 'a', requestId: 'a', input: 10 })])
    const service = createUsageService({ indexDir, now: () => T0 + 3_600_000 })
    const acct = { id: '1', configDir }
    const entries = () => service.summaryOf(acct).blocks.reduce((n, b) => n + b.entries, 0)
    expect(entries()).toBe(1)
    const indexPath = AccountLedger.indexPathFor(indexDir, configDir)
    const written = readFileSync(indexPath)
    appendLines(transcript, [assistantLine({ time: at(1), messageId: 'b', requestId: 'b', input: 20 })])
    expect(service.refresh(acct)).toBe(true)
    expect(entries()).toBe(2)
    expect(readFileSync(indexPath).equals(written)).toBe(true) // not yet: cache upkeep waits
    service.close()
    const restarted = ledger()
    expect(restarted.ingest()).toMatchObject({ changed: false, bytesRead: 0 })
    expect(totals(restarted).input).toBe(30)
  })

  it('keeps its figures when the index cannot be written, says why, and writes it once it can', () => {
    const { configDir, transcript } = account()
    appendLines(transcript, [assistantLine({ time: at(0), messageId: 'a', requestId: 'a', input: 10 })])
    // Where the index folder should be, a file: every write of the index fails (as on a full disk).
    const indexDir = join(tempDir('idx-'), 'usage-index')
    writeFileSync(indexDir, 'in the way')
    const service = createUsageService({ indexDir, now: () => T0 + 3_600_000 })
    const acct = { id: '1', configDir }
    expect(service.summaryOf(acct).blocks.map((b) => b.tokens.input)).toEqual([10])
    const problem = service.diagnostics(acct).skippedLines.find((l) => l.path.startsWith(indexDir))
    expect(problem?.error).toMatch(/^the usage index could not be saved \((ENOTDIR|EEXIST)\b.*the next start reads/)
    // Still counting what comes.
    appendLines(transcript, [assistantLine({ time: at(1), messageId: 'b', requestId: 'b', input: 20 })])
    expect(service.refresh(acct)).toBe(true)
    expect(service.summaryOf(acct).blocks.map((b) => b.tokens.input)).toEqual([30])
    // Once the way is clear, the next save writes it and the problem goes.
    rmSync(indexDir)
    service.close()
    expect(service.diagnostics(acct).skippedLines).toEqual([])
    const restarted = new AccountLedger(configDir, AccountLedger.indexPathFor(indexDir, configDir))
    expect(restarted.load()).toBe(true)
    expect(restarted.ingest()).toMatchObject({ changed: false, bytesRead: 0 })
  })

  it('removes index temp files a killed writer left, once they are old, on its next write', () => {
    const { configDir, indexDir, transcript, ledger } = account()
    appendLines(transcript, [assistantLine({ time: at(0), messageId: 'a', requestId: 'a', input: 10 })])
    const indexPath = AccountLedger.indexPathFor(indexDir, configDir)
    const stale = `${indexPath}.tmp-123-456-abcdef`
    const fresh = `${indexPath}.tmp-${process.ppid}-ghijkl` // a live process, perhaps writing right now
    writeFileSync(stale, 'half an index')
    writeFileSync(fresh, 'half an index')
    utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000))
    const l = ledger()
    l.ingest()
    l.save()
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(fresh)).toBe(true)
    expect(existsSync(indexPath)).toBe(true)
  })

  it('walks a watched tree once a minute, and every second where there is nothing to watch yet', () => {
    const { configDir, indexDir, transcript } = account()
    appendLines(transcript, [assistantLine({ time: at(0), input: 10 })])
    const bare = tempDir('bare-') // no projects/ yet: Claude Code never ran with this account
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const walks = vi.spyOn(AccountLedger.prototype, 'ingest')
    const service = createUsageService({ indexDir, now: () => T0 + 3_600_000 })
    try {
      const walksOf = (dir: string) => walks.mock.contexts.filter((l) => (l as AccountLedger).configDir === dir).length
      service.watch([
        { id: '1', configDir },
        { id: '2', configDir: bare },
      ])
      vi.advanceTimersByTime(100) // the one more look at folders watched only now
      const [watchedAtStart, bareAtStart] = [walksOf(configDir), walksOf(bare)]
      vi.advanceTimersByTime(59_000)
      expect(walksOf(configDir)).toBe(watchedAtStart) // events bring its changes; no walk meanwhile
      expect(walksOf(bare) - bareAtStart).toBeGreaterThanOrEqual(58) // nothing to watch: polled each second
      vi.advanceTimersByTime(1_000)
      expect(walksOf(configDir)).toBe(watchedAtStart + 1) // the safety walk, in case an event was missed
    } finally {
      service.close()
      walks.mockRestore()
      vi.useRealTimers()
    }
  })

  it('polls a tree it cannot watch less often when walking it takes long', () => {
    const bare = tempDir('bare-') // nothing to watch: polled
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const original = AccountLedger.prototype.ingest
    // Each walk takes 100 ms of real time, as a tree of tens of thousands of files would.
    const walks = vi.spyOn(AccountLedger.prototype, 'ingest').mockImplementation(function (this: AccountLedger) {
      for (const until = performance.now() + 100; performance.now() < until;);
      return original.call(this)
    })
    const service = createUsageService({ indexDir: tempDir('idx-') })
    try {
      service.watch([{ id: '1', configDir: bare }])
      const before = walks.mock.calls.length
      vi.advanceTimersByTime(10_000)
      // Every 2 s (20 × 100 ms) rather than every second: at most a twentieth of the thread's time.
      expect(walks.mock.calls.length - before).toBeGreaterThanOrEqual(4)
      expect(walks.mock.calls.length - before).toBeLessThanOrEqual(6)
    } finally {
      service.close()
      walks.mockRestore()
      vi.useRealTimers()
    }
  })

  it('keeps watching through a projects/ folder it cannot read, says why, and counts what comes once it can', () => {
    const { configDir, indexDir, transcript } = account()
    appendLines(transcript, [assistantLine({ time: at(0), input: 10 })])
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const service = createUsageService({ indexDir, now: () => T0 + 3_600_000 })
    const acct = { id: '1', configDir }
    const projects = join(configDir, 'projects')
    try {
      service.watch([acct])
      vi.advanceTimersByTime(100)
      // projects/ becomes a link to itself: every look at it fails (ELOOP), from the poll's timer.
      renameSync(projects, `${projects}.away`)
      symlinkSync(projects, projects)
      expect(() => vi.advanceTimersByTime(61_000)).not.toThrow()
      expect(service.diagnostics(acct).skippedLines).toContainEqual(
        expect.objectContaining({ path: projects, error: expect.stringMatching(/ELOOP/) }),
      )
      unlinkSync(projects)
      renameSync(`${projects}.away`, projects)
      appendLines(transcript, [assistantLine({ time: at(1), input: 5 })])
      vi.advanceTimersByTime(61_000) // the poll goes on, and reads the new line
      expect(service.summaryOf(acct).blocks.reduce((n, b) => n + b.tokens.input, 0)).toBe(15)
      expect(service.diagnostics(acct).skippedLines).toEqual([])
    } finally {
      service.close()
      vi.useRealTimers()
    }
  })

  it('follows folders made after watching began (a new project, a sub-agent folder) through events alone', async () => {
    const { configDir, indexDir, transcript } = account()
    appendLines(transcript, [assistantLine({ time: at(0), messageId: 'a', requestId: 'a', input: 10 })])
    // The poll is pushed out of the test's reach: only events can bring the new lines.
    const service = createUsageService({ indexDir, now: () => T0 + 3_600_000, pollMs: 600_000 })
    const acct = { id: '1', configDir }
    const entries = () => service.summaryOf(acct).blocks.reduce((n, b) => n + b.entries, 0)
    const changes: number[] = []
    service.onDidChangeUsage(() => changes.push(entries()))
    service.watch([acct])
    expect(entries()).toBe(1)
    const until = async (count: number) => {
      for (const started = Date.now(); entries() !== count && Date.now() - started < 3000;)
        await new Promise((resolve) => setTimeout(resolve, 20))
      return entries()
    }
    const agent = join(configDir, 'projects', '-home-dev-other', 'session-2', 'subagents', 'agent-1.jsonl')
    appendLines(agent, [assistantLine({ time: at(1), messageId: 'b', requestId: 'b', input: 20 })])
    expect(await until(2)).toBe(2)
    // Its folder is watched now: a line appended there arrives as an event of that folder's own, and
    // only that file is read (no walk of the tree).
    const walks = vi.spyOn(AccountLedger.prototype, 'ingest')
    const reads = vi.spyOn(AccountLedger.prototype, 'ingestFiles')
    try {
      // The walks the new folders set off are over once none came for 200 ms.
      for (let quiet = 0, seen = -1; quiet < 4; quiet = walks.mock.calls.length === seen ? quiet + 1 : 0) {
        seen = walks.mock.calls.length
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const walked = walks.mock.calls.length
      reads.mockClear()
      appendFileSync(agent, assistantLine({ time: at(2), messageId: 'c', requestId: 'c', input: 30 }) + '\n')
      expect(await until(3)).toBe(3)
      expect(changes.at(-1)).toBe(3)
      expect(walks.mock.calls.length).toBe(walked)
      expect(reads.mock.calls).toEqual([[[agent]]])
    } finally {
      walks.mockRestore()
      reads.mockRestore()
    }
    service.close()
  })
})

describe('forgetting a watched account', () => {
  it('drops a look still waiting, so a removed account is not read (nor its index written) again', async () => {
    const { configDir, indexDir, transcript } = account()
    appendLines(transcript, [assistantLine({ time: at(0), messageId: 'a', requestId: 'a', input: 10 })])
    const service = createUsageService({ indexDir, now: () => T0 + 3_600_000, pollMs: 600_000 })
    const acct = { id: '1', configDir }
    service.watch([acct]) // its first look writes its index
    await new Promise((resolve) => setTimeout(resolve, 100)) // and the looks that going live sets off
    const indexPath = AccountLedger.indexPathFor(indexDir, configDir)
    rmSync(indexPath)
    appendLines(transcript, [assistantLine({ time: at(1), messageId: 'b', requestId: 'b', input: 20 })])
    await new Promise((resolve) => setTimeout(resolve, 5)) // the event is in, its look waits 15 ms
    service.forget(configDir)
    await new Promise((resolve) => setTimeout(resolve, 100))
    service.close()
    expect(existsSync(indexPath)).toBe(false)
  })
})

describe('tree watcher', () => {
  it('watches each folder once and no file (Linux), or only the root where watching is recursive', () => {
    const root = join(tempDir('tree-'), 'projects')
    const folders = [root, join(root, 'a'), join(root, 'a', 'b')]
    for (const [i, folder] of folders.entries()) appendLines(join(folder, `s${i}.jsonl`), ['{}'])
    const perFolder = watchTree(root, () => undefined, false)
    expect(perFolder.live()).toBe(false) // nothing watched yet: the caller polls
    expect(perFolder.follow(folders)).toBe(true)
    expect(perFolder.folders()).toEqual(folders)
    expect(perFolder.live()).toBe(true)
    expect(perFolder.follow(folders)).toBe(false) // nothing new
    expect(perFolder.follow([root, join(root, 'gone')])).toBe(false) // a folder removed meanwhile is skipped
    expect(perFolder.folders()).toEqual([root])
    perFolder.close()
    expect(perFolder.live()).toBe(false)
    const recursive = watchTree(root, () => undefined, true)
    expect(recursive.follow(folders)).toBe(true)
    expect(recursive.folders()).toEqual([root])
    recursive.close()
  })
})

describe('entry table', () => {
  it('finds every key again through growth, rehashing and a restart from the index, as a Map would', () => {
    const { configDir, ledger } = account()
    let seed = 11
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const reference = new Map<string, number>() // key → the output kept (the largest seen)
    let unkeyed = 0
    const entry = (key: string, output: number) => usageEntry(key, { time: T0 + random() * 3_600_000, output })
    const addSome = (table: EntryTable, count: number) => {
      for (let i = 0; i < count; i++) {
        const r = random()
        if (r < 0.05) {
          table.add(entry('', 1), 0) // no key: never deduplicated
          unkeyed++
          continue
        }
        // Often a key seen before (as each response's later lines are), sometimes a new one; some keys
        // share a prefix or differ only at the end, and some are long.
        const n = r < 0.5 && reference.size > 0 ? Math.floor(random() * reference.size) : reference.size
        const key = n % 7 === 0 ? `msg_${n}:${'r'.repeat(300)}${n}` : `msg_${n}:req_${n}`
        const output = Math.floor(random() * 1000)
        table.add(entry(key, output), 0)
        reference.set(key, Math.max(reference.get(key) ?? -1, output))
      }
    }
    const check = (table: EntryTable) => {
      expect(table.size).toBe(reference.size + unkeyed)
      let output = 0
      for (let row = 0; row < table.size; row++) output += table.output[row]!
      expect(output).toBe([...reference.values()].reduce((a, b) => a + b, 0) + unkeyed)
    }
    const first = ledger()
    addSome(first.table, 6000) // past several doublings of the 1024-row start
    check(first.table)
    first.summaryBase(prices)
    first.save()
    const second = ledger()
    expect(second.configDir).toBe(configDir)
    expect(second.table.size).toBe(first.table.size)
    addSome(second.table, 6000) // the key index rebuilt from the stored keys, then grown again
    check(second.table)
  })

  it('tells apart two keys whose hashes collide', () => {
    // Two keys of one length with the same 32-bit hash, found by the birthday bound among some 100,000.
    const seen = new Map<number, string>()
    let pair: [string, string] | undefined
    for (let i = 0; !pair; i++) {
      const key = `msg_${String(i).padStart(7, '0')}:req` // one length: only the bytes tell them apart
      const bytes = Buffer.from(key)
      const h = hashOf(bytes, 0, bytes.length)
      const other = seen.get(h)
      if (other) pair = [other, key]
      else seen.set(h, key)
    }
    const table = new EntryTable()
    const entry = (key: string, output: number) => usageEntry(key, { time: T0, output })
    table.add(entry(pair[0], 1), 0)
    table.add(entry(pair[1], 2), 0)
    table.add(entry(pair[0], 3), 0) // a later line of the first: replaces its row, not the other's
    expect(table.size).toBe(2)
    expect([table.output[0], table.output[1]]).toEqual([3, 2])
  })
})

describe('summary', () => {
  it('brings its blocks and days up to date from the latest changes on, exactly as computing them afresh', () => {
    // A table grown as live sessions write to it: new responses (now and then after a gap of hours, or
    // out of order, or days late), a response's later line with more output (its row rewritten), a
    // sidechain copy, lines without ids in a file that is then read again from the start (dropped).
    const table = new EntryTable()
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const line = (key: string | null, time: number, output: number, sidechain = false) =>
      usageEntry(key ?? '', {
        time,
        model: ['claude-sonnet-4-5', 'claude-opus-4-5', 'claude-opus-9-x'][Math.floor(random() * 3)]!,
        sidechain,
        input: Math.floor(random() * 5000),
        output,
        cacheWrite5m: Math.floor(random() * 900),
        cacheWrite1h: Math.floor(random() * 300),
        cacheRead: Math.floor(random() * 20000),
      })
    let t = T0 - 20 * 86_400_000
    let n = 0
    let base: ReturnType<typeof summaryBase> | undefined
    let incremental = 0
    for (let step = 1; step <= 600; step++) {
      const r = random()
      if (r < 0.55) {
        t += random() < 0.08 ? 6 * 3_600_000 : random() * 600_000
        table.add(line(`m${++n}`, t, 100), 1)
      } else if (r < 0.7 && n > 0) table.add(line(`m${n - Math.floor(random() * 3)}`, t, 100 + step), 1)
      else if (r < 0.8) table.add(line(`m${++n}`, t - random() * 3 * 3_600_000, 50), 2)
      else if (r < 0.85) table.add(line(`m${++n}`, t - (1 + random() * 3) * 86_400_000, 70), 2)
      else if (r < 0.9) table.add(line(`m${n}`, t, 10, true), 3)
      else table.add(line(null, t - random() * 7_200_000, 30), 4)
      if (step % 5 !== 0) continue
      const from = table.changedFrom
      const updated = summaryBase(table, prices, base)
      table.summarized()
      expect(updated).toEqual(summaryBase(table, prices))
      if (base && from !== Infinity && from > base.blocks[0]!.firstMs) incremental++
      base = updated
    }
    expect(base!.blocks.length).toBeGreaterThan(10)
    expect(incremental).toBeGreaterThan(60) // most updates took the short way
  })

  it('projects a burst then a pause as a falling burn, never running out in the past, and no burn once idle', () => {
    const { transcript, ledger } = account()
    // $12 in five minutes, then nothing.
    appendLines(
      transcript,
      Array.from({ length: 6 }, (_, i) =>
        assistantLine({ time: new Date(Date.parse('2026-11-27T06:40:00Z') + i * 60_000), input: 1_000_000, output: 0 }),
      ),
    )
    const l = ledger()
    l.ingest()
    const budget = 40
    let previousBurn = Infinity
    for (const minute of [46, 47, 50, 52, 54]) {
      const now = Date.parse(`2026-11-27T06:${minute}:00Z`)
      const s = summarize(l.table, l.limits, prices, now)
      const usage = accountUsageOf(s, l.limits, now)
      expect(usage.blockBurnUsdPerHour, `06:${minute}`).toBeLessThan(previousBurn)
      previousBurn = usage.blockBurnUsdPerHour
      const runsOut = blockRunsOutAt(budget, usage, new Date(now))
      if (runsOut) expect(runsOut.getTime(), `06:${minute}`).toBeGreaterThan(now)
    }
    // Fifteen minutes after the last line, nothing is burning: no burn, no "runs out".
    const idle = Date.parse('2026-11-27T07:01:00Z')
    const quiet = accountUsageOf(summarize(l.table, l.limits, prices, idle), l.limits, idle)
    expect(quiet.blockBurnUsdPerHour).toBe(0)
    expect(blockRunsOutAt(budget, quiet, new Date(idle))).toBeNull()
  })

  it('builds blocks with the gap rules, marks the active one and projects its burn rate', () => {
    const { transcript, ledger } = account()
    appendLines(transcript, [
      assistantLine({ time: '2026-11-27T02:10:00Z', input: 1_000_000, output: 0 }), // block 02:00–07:00
      assistantLine({ time: '2026-11-27T09:05:00Z', input: 1_000_000, output: 0 }), // gap > 5 h: block 09:00
      assistantLine({ time: '2026-11-27T10:05:00Z', input: 1_000_000, output: 0 }),
    ])
    const l = ledger()
    l.ingest()
    const s = summarize(l.table, l.limits, prices, Date.parse('2026-11-27T11:00:00Z'))
    expect(s.blocks.map((b) => [b.start, b.isActive, b.entries])).toEqual([
      ['2026-11-27T02:00:00.000Z', false, 1],
      ['2026-11-27T09:00:00.000Z', true, 2],
    ])
    expect(s.current!.costUsd).toBeCloseTo(6)
    expect(s.current!.progress).toBeCloseTo(0.4)
    // Last used at 10:05: by 11:00 nothing is burning, and the projection is what was spent.
    expect(s.current!.burnRateUsdPerHour).toBe(0)
    expect(s.current!.projectedCostUsd).toBeCloseTo(6)
    // At 10:15, $6 since 09:05 is $5.14 an hour, to 14:00.
    const busy = summarize(l.table, l.limits, prices, Date.parse('2026-11-27T10:15:00Z'))
    expect(busy.current!.burnRateUsdPerHour).toBeCloseTo(6 / (70 / 60))
    expect(busy.current!.projectedCostUsd).toBeCloseTo(6 + (6 / (70 / 60)) * 3.75)
    expect(s.week.costUsd).toBeCloseTo(9)
    expect(s.week.freesAt).toBe('2026-12-04T02:10:00.000Z')
  })

  it('restarts from the blocks and days kept in the index, and still moves the week and the active block with the clock', () => {
    const { transcript, ledger } = account()
    // Bursts of entries over nine days, so week edges fall inside blocks as the clock moves.
    const lines: string[] = []
    let t = Date.parse('2026-11-18T00:20:00Z')
    for (let i = 0; i < 400; i++) {
      t += (i % 7 === 0 ? 5.5 * 3_600_000 : 0) + ((i * 37) % 50) * 60_000
      lines.push(
        assistantLine({
          time: new Date(t),
          messageId: `m${i}`,
          requestId: `r${i}`,
          input: 1000 + i,
          output: i,
          cacheWrite: i % 3,
        }),
      )
    }
    appendLines(transcript, lines)
    const first = ledger()
    first.ingest()
    first.summaryBase(prices)
    first.save()
    const storedBase = indexHeader(first.indexPath).summary
    const second = ledger()
    expect(second.ingest()).toMatchObject({ changed: false })
    const base = second.summaryBase(prices)
    second.save()
    expect(base).toEqual(storedBase) // reused as stored
    expect(indexHeader(second.indexPath).summary).toEqual(storedBase)
    // The week by brute force over every entry, for each hour from the first entry to a day after the last.
    const rows = Array.from(second.table.order)
    for (let now = Date.parse('2026-11-18T00:00:00Z'); now < t + 86_400_000; now += 3_600_000 + 7 * 60_000) {
      const inWeek = rows.filter((r) => second.table.time[r]! > now - 7 * 86_400_000 && second.table.time[r]! <= now)
      const s = summarizeAt(base, second.table, second.limits, prices, now)
      const full = summarize(second.table, second.limits, prices, now)
      expect(s.week.entries).toBe(inWeek.length)
      expect(s.week.tokens.input).toBe(inWeek.reduce((n, r) => n + second.table.input[r]!, 0))
      expect(s.week.freesAt).toBe(
        inWeek.length ? new Date(second.table.time[inWeek[0]!]! + 7 * 86_400_000).toISOString() : null,
      )
      expect(s.week.costUsd).toBeCloseTo(full.week.costUsd, 9)
      expect(s.blocks).toEqual(full.blocks)
      expect(s.current).toEqual(full.current)
      expect(s.daily).toEqual(full.daily)
    }
    // New prices or a new line make the stored base stale.
    const dearer = createPriceBook({ sonnet: { ...PRICES.sonnet4, input: 30 } })
    expect(second.summaryBase(dearer)).not.toBe(base)
    expect(second.summaryBase(dearer).blocks[0]!.costUsd).toBeGreaterThan(base.blocks[0]!.costUsd)
    appendLines(transcript, [assistantLine({ time: new Date(t + 60_000), messageId: 'n', requestId: 'n', input: 5 })])
    const before = second.summaryBase(prices)
    second.ingest()
    expect(second.summaryBase(prices).blocks.at(-1)!.entries).toBe(before.blocks.at(-1)!.entries + 1)
  })
})

describe('fast line parsing', () => {
  it('agrees with full JSON parsing on every line of a generated corpus', async () => {
    const { generateCorpus } = await import('../../../bench/corpus')
    const { readdirSync, readFileSync } = await import('node:fs')
    const root = tempDir('fast-')
    const [dir] = generateCorpus({ root, accounts: 1, bytesPerAccount: 2_000_000, seed: 3 })
    let compared = 0
    let fast = 0
    for (const file of readdirSync(dir!, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl')))
      for (const line of readFileSync(join(dir!, file), 'utf8').split('\n').filter(Boolean)) {
        expect(parseTranscriptLine(line)).toEqual(parseFully(line))
        compared++
        if (line.includes('"type":"assistant"') && !line.includes('usage limit')) {
          // The fast path must really be taken for the layout Claude Code writes, not fall back silently.
          expect(parseFast(Buffer.from(line), new LineRecord())).toBe(true)
          fast++
        }
      }
    expect(fast).toBeGreaterThan(100)
    expect(compared).toBeGreaterThan(fast)
  })

  it('falls back to full parsing for another layout, escapes and odd values, with the same result', () => {
    const base = JSON.parse(
      assistantLine({
        time: at(0),
        messageId: 'm',
        requestId: 'r',
        input: 3,
        output: 4,
        cwd: '/home/dev/"quoted" dir\\x',
        sidechain: true,
      }),
    )
    const reordered = JSON.stringify({
      type: 'assistant',
      timestamp: base.timestamp,
      requestId: 'r',
      message: { ...base.message, id: 'm' },
    })
    const braces = assistantLine({ time: at(0), text: '}}} "usage":{ {{{', input: 1, output: 1 })
    const withUsage = (usage: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ ...base, ...extra, message: { ...base.message, usage } })
    const tricky = [
      assistantLine({ time: at(0), cwd: 'C:\\Users\\dev', sessionId: 's"1' }),
      JSON.stringify(base),
      reordered,
      braces,
      withUsage({ input_tokens: 1e3, output_tokens: 2 }),
      withUsage({ input_tokens: '5', output_tokens: 2 }),
      withUsage({ input_tokens: 5, output_tokens: 2, cache_creation_input_tokens: 9, cache_creation: null }),
      withUsage({
        input_tokens: 5,
        output_tokens: 2,
        cache_creation_input_tokens: 9,
        cache_creation: { ephemeral_1h_input_tokens: null },
      }),
      withUsage({
        input_tokens: 5,
        output_tokens: 2,
        cache_creation_input_tokens: 9,
        cache_creation: { ephemeral_1h_input_tokens: 4 },
        iterations: [{ a: [1, { b: '}' }] }],
      }),
      withUsage({ input_tokens: 5, output_tokens: 7, nested: { input_tokens: 99 } }),
      withUsage({ input_tokens: 5, output_tokens: 7 }, { isApiErrorMessage: false, isSidechain: false }),
      withUsage({ input_tokens: 5, output_tokens: 7 }, { type: 'user' }),
      withUsage({ input_tokens: 5, output_tokens: 7 }, { timestamp: 12 }),
      withUsage({ input_tokens: 5, output_tokens: 7 }).slice(0, -1), // truncated: being written
      withUsage({ input_tokens: 5, output_tokens: 7 }) + ' ',
    ]
    for (const time of [
      '2026-11-27T10:00:00Z',
      '2026-11-27T10:00:00.123456Z',
      '0050-01-01T00:00:00.000Z',
      '2026-02-30T10:00:00.000Z',
      '2026-11-27T24:00:00.000Z',
      '2026-11-27T10:00:00.000+01:00',
      '2026-13-01T10:00:00.000Z',
    ])
      tricky.push(withUsage({ input_tokens: 5, output_tokens: 7 }, { timestamp: time }))
    tricky.push(JSON.stringify(base).replace('"isSidechain":true', '"isSidechain":false,"isSidechain":true'))
    for (const line of tricky) {
      expect(parseTranscriptLine(line)).toEqual(parseFully(line))
      // With the line reader's hint of where "usage" last starts, and with a wrong hint (it is checked).
      const hint = Buffer.from(line).lastIndexOf('"usage"')
      for (const usageAt of [hint, 0, 5, Buffer.byteLength(line) - 2])
        expect(parseTranscriptLine(line, false, usageAt)).toEqual(parseFully(line))
    }
    // The plain variants still take the fast path.
    expect(parseFast(Buffer.from(tricky[6]!), new LineRecord())).toBe(true)
    expect(parseFast(Buffer.from(tricky[8]!), new LineRecord())).toBe(true)
    expect(parseTranscriptLine(JSON.stringify(base))).toMatchObject({
      key: 'm:r',
      sidechain: true,
      cwd: '/home/dev/"quoted" dir\\x',
    })
    expect(parseTranscriptLine(reordered)).toMatchObject({ kind: 'usage', key: 'm:r', input: 3, output: 4 })
  })
})
