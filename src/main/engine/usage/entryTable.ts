import type { TranscriptLine } from './transcriptLine'

type UsageLine = Extract<TranscriptLine, { kind: 'usage' }>

const SIDECHAIN = 1
const DEAD = 2

/**
 * Every counted API response of one account, in columns (about 40 bytes a row, so a million rows fit
 * in the memory budget), deduplicated on message id + request id across all the account's files.
 */
export class EntryTable {
  size = 0
  time = new Float64Array(1024)
  input = new Uint32Array(1024)
  output = new Uint32Array(1024)
  cacheWrite5m = new Uint32Array(1024)
  cacheWrite1h = new Uint32Array(1024)
  cacheRead = new Uint32Array(1024)
  model = new Uint16Array(1024)
  session = new Uint32Array(1024)
  file = new Uint32Array(1024)
  flags = new Uint8Array(1024)
  /** Dedupe key of each row ('' when it has none); split lazily from the index text on first need. */
  private keyList: string[] | undefined = []
  private keysBytes: Buffer | undefined
  models: string[] = []
  sessions: { id: string; cwd: string | null }[] = []
  /** Every row, kept in time order lazily: appends are cheap, the sort happens when someone reads `order`. */
  private orderRows: Uint32Array<ArrayBufferLike> = new Uint32Array(1024)
  private sorted = true
  /** Bumped on every change, so summaries know when to recompute. */
  version = 0
  /**
   * The earliest time of a row added, rewritten or dropped since `summarized()` (Infinity: none). A
   * summary base computed before stays right for everything earlier (see summary.ts's summaryBase).
   */
  changedFrom = Infinity
  private byKey: Map<string, number> | undefined
  private modelIds = new Map<string, number>()
  private sessionIds = new Map<string, number>()

  private grow(): void {
    const cap = Math.max(1024, this.time.length * 2) // a table loaded from an index has no spare room
    const resize = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(a: T): T => {
      const next = new (a.constructor as new (n: number) => T)(cap)
      next.set(a)
      return next
    }
    this.time = resize(this.time)
    this.input = resize(this.input)
    this.output = resize(this.output)
    this.cacheWrite5m = resize(this.cacheWrite5m)
    this.cacheWrite1h = resize(this.cacheWrite1h)
    this.cacheRead = resize(this.cacheRead)
    this.model = resize(this.model)
    this.session = resize(this.session)
    this.file = resize(this.file)
    this.flags = resize(this.flags)
    this.orderRows = resize(this.orderRows)
  }

  /**
   * Rows in time order (dead rows included; readers skip them); equal times keep their insertion order.
   * Transcripts are read file by file, so rows arrive in runs of increasing time: one sort at the end
   * (TimSort takes advantage of the runs) instead of an insertion per out-of-order row.
   */
  get order(): Uint32Array {
    const rows = this.orderRows.subarray(0, this.size)
    if (!this.sorted) {
      const time = this.time
      rows.sort((a, b) => time[a]! - time[b]! || a - b)
      this.sorted = true
    }
    return rows
  }

  /** Takes a time order read from an index (`rows` may be longer than the table: spare capacity). */
  loadOrder(rows: Uint32Array): void {
    this.orderRows = rows
    this.sorted = true
  }

  private keyIndex(): Map<string, number> {
    if (!this.byKey) {
      // Built lazily: a warm restart with no new lines never needs it.
      this.byKey = new Map()
      const keys = this.keys()
      for (let row = 0; row < this.size; row++) if (keys[row]) this.byKey.set(keys[row]!, row)
    }
    return this.byKey
  }

  private intern(map: Map<string, number>, list: string[], value: string): number {
    let id = map.get(value)
    if (id === undefined) {
      id = list.length
      list.push(value)
      map.set(value, id)
    }
    return id
  }

  modelId(model: string): number {
    if (this.modelIds.size !== this.models.length) this.models.forEach((m, i) => this.modelIds.set(m, i))
    return this.intern(this.modelIds, this.models, model)
  }

  private sessionId(id: string | null, cwd: string | null): number {
    if (this.sessionIds.size !== this.sessions.length) this.sessions.forEach((s, i) => this.sessionIds.set(s.id, i))
    const key = id ?? ''
    let found = this.sessionIds.get(key)
    if (found === undefined) {
      found = this.sessions.length
      this.sessions.push({ id: key, cwd })
      this.sessionIds.set(key, found)
    }
    return found
  }

  private total(row: number): number {
    return (
      this.input[row]! + this.output[row]! + this.cacheWrite5m[row]! + this.cacheWrite1h[row]! + this.cacheRead[row]!
    )
  }

  private write(row: number, line: UsageLine): void {
    this.input[row] = line.input
    this.output[row] = line.output
    this.cacheWrite5m[row] = line.cacheWrite5m
    this.cacheWrite1h[row] = line.cacheWrite1h
    this.cacheRead[row] = line.cacheRead
    this.model[row] = this.modelId(line.model)
    this.flags[row] = line.sidechain ? SIDECHAIN : 0
  }

  /**
   * Adds a line, or lets it replace the row it duplicates when it is better: a main-chain line beats a
   * sidechain copy, then more total tokens win (earlier lines of one response carry partial output).
   * Returns true when anything changed.
   */
  add(line: UsageLine, fileId: number): boolean {
    const index = line.key ? this.keyIndex() : undefined
    const existing = line.key ? index!.get(line.key) : undefined
    if (existing !== undefined) {
      const wasSidechain = (this.flags[existing]! & SIDECHAIN) !== 0
      const lineTotal = line.input + line.output + line.cacheWrite5m + line.cacheWrite1h + line.cacheRead
      const better =
        wasSidechain && !line.sidechain ? true : wasSidechain === line.sidechain && lineTotal > this.total(existing)
      if (!better) return false
      this.write(existing, line)
      this.changed(this.time[existing]!)
      return true
    }
    if (this.size === this.time.length) this.grow()
    const row = this.size++
    this.time[row] = line.time
    this.session[row] = this.sessionId(line.sessionId, line.cwd)
    this.file[row] = fileId
    this.write(row, line)
    this.keys()[row] = line.key ?? ''
    if (line.key) index!.set(line.key, row)
    if (this.sorted && row > 0 && this.time[this.orderRows[row - 1]!]! > line.time) this.sorted = false
    this.orderRows[row] = row
    this.changed(line.time)
    return true
  }

  private changed(time: number): void {
    this.version++
    if (time < this.changedFrom) this.changedFrom = time
  }

  /** A summary base now describes every row: later changes are counted from here (see changedFrom). */
  summarized(): void {
    this.changedFrom = Infinity
  }

  isLive(row: number): boolean {
    return (this.flags[row]! & DEAD) === 0
  }

  /**
   * Forgets the rows of a file that is being read again from the start (it shrank or was replaced).
   * Only rows without a dedupe key go: keyed rows are matched again by their key, so nothing is counted
   * twice and nothing another file also holds is lost.
   */
  forgetUnkeyedRowsOf(fileId: number): number {
    const keys = this.keys()
    let n = 0
    for (let row = 0; row < this.size; row++)
      if (this.file[row] === fileId && !keys[row] && this.isLive(row)) {
        this.flags[row]! |= DEAD
        this.changed(this.time[row]!)
        n++
      }
    return n
  }

  keys(): string[] {
    if (!this.keyList) {
      this.keyList = this.size === 0 ? [] : (this.keysBytes?.toString('utf8') ?? '').split('\n')
      this.keysBytes = undefined
      if (this.keyList.length !== this.size)
        throw new Error(`index holds ${this.keyList.length} keys for ${this.size} rows`)
    }
    return this.keyList
  }

  /** The keys as stored in the index (one per row, newline-separated), without splitting them. */
  keysAsBytes(): Buffer {
    return this.keyList ? Buffer.from(this.keyList.slice(0, this.size).join('\n')) : (this.keysBytes ?? Buffer.alloc(0))
  }

  /** Takes the keys from an index as text; they are split only when a new line needs deduplicating. */
  loadKeysBytes(bytes: Buffer): void {
    this.keysBytes = bytes
    this.keyList = undefined
    this.byKey = undefined
  }
}
