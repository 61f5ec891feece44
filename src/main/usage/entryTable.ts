/** What one usage line says, whatever form its dedupe key takes. */
export interface UsageFields {
  readonly time: number
  readonly model: string
  readonly sidechain: boolean
  readonly input: number
  readonly output: number
  readonly cacheWrite5m: number
  readonly cacheWrite1h: number
  readonly cacheRead: number
  readonly sessionId: string | null
  readonly cwd: string | null
}

/** One usage line as the table takes it (the line reader's record, reused from line to line). */
export interface UsageEntry extends UsageFields {
  /** The dedupe key (see transcriptLine.ts's LineRecord) is `key[0, keyLength)`; 0 when the line has none. */
  readonly key: Uint8Array
  readonly keyLength: number
}

const SIDECHAIN = 1
const NEWLINE = 10
const COLON = 58
/**
 * A new table's room, in rows. Small on purpose: the table then grows (every column, the key text, the
 * slots) within its first lines, while the code still runs unoptimized. Growth first met in optimized
 * code threw that code away (the growth path had no type feedback, and the replaced arrays broke V8's
 * assumption that those fields never change), five times per thread in a cold ingest.
 */
const INITIAL_ROWS = 16

/** FNV-1a of the key in `bytes[start, end)`. */
export function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  return h >>> 0
}

/**
 * Every counted API response of one account, in columns (about 40 bytes a row, so a million rows fit
 * in the memory budget), deduplicated on message id + request id across all the account's files.
 */
export class EntryTable {
  size = 0
  time = new Float64Array(INITIAL_ROWS)
  input = new Uint32Array(INITIAL_ROWS)
  output = new Uint32Array(INITIAL_ROWS)
  cacheWrite5m = new Uint32Array(INITIAL_ROWS)
  cacheWrite1h = new Uint32Array(INITIAL_ROWS)
  cacheRead = new Uint32Array(INITIAL_ROWS)
  model = new Uint16Array(INITIAL_ROWS)
  session = new Uint32Array(INITIAL_ROWS)
  file = new Uint32Array(INITIAL_ROWS)
  flags = new Uint8Array(INITIAL_ROWS)
  /**
   * Every row's dedupe key followed by a newline (a row without one: the newline alone), as the index
   * stores them. Keys stay bytes: no string per line, none kept per row.
   */
  private keyText: Uint8Array = Buffer.allocUnsafe(INITIAL_ROWS * 64)
  private keyTextLength = 0
  /**
   * Where each row's key ends in keyText (at its newline), each key's hash, and an open-addressing table
   * of row + 1 by hash (0: free). Built on first need: a warm restart with no new lines never needs them.
   */
  private keyEnd = new Uint32Array(INITIAL_ROWS)
  /** False after loading keys from an index, until keyIndex builds the three from them. */
  private keysIndexed = true
  private keyHash = new Uint32Array(INITIAL_ROWS)
  private slots = new Int32Array(INITIAL_ROWS * 2)
  models: string[] = []
  sessions: { id: string; cwd: string | null }[] = []
  /** Every row, kept in time order lazily: appends are cheap, the sort happens when someone reads `order`. */
  private orderRows: Uint32Array<ArrayBufferLike> = new Uint32Array(INITIAL_ROWS)
  private sorted = true
  /** Bumped on every change, so summaries know when to recompute. */
  version = 0
  /**
   * The earliest time of a row added, rewritten or dropped since `summarized()` (Infinity: none). A
   * summary base computed before stays right for everything earlier (see summary.ts's summaryBase).
   */
  changedFrom = Infinity
  private modelIds = new Map<string, number>()
  /**
   * The last model and session looked up and their ids (-1: none yet). Consecutive lines nearly always
   * share both, and a map lookup per line, with the optimized code that depends on it, costs more than
   * this check (cold ingest: 2-3% of its time).
   */
  private lastModel = ''
  private lastModelId = -1
  private lastSession = ''
  private lastSessionId = -1
  private sessionIds = new Map<string, number>()

  private grow(): void {
    const cap = Math.max(INITIAL_ROWS, this.time.length * 2) // a table loaded from an index has no spare room
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
    this.keyEnd = resize(this.keyEnd)
    this.keyHash = resize(this.keyHash)
  }

  /**
   * Rows in time order; equal times keep their insertion order.
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

  /** Builds the key ends, hashes and slots of a table loaded from an index. */
  private keyIndex(): void {
    if (this.keysIndexed) return
    const capacity = Math.max(INITIAL_ROWS, this.time.length)
    const ends = new Uint32Array(capacity)
    const text = this.keyText
    let row = 0
    for (let at = 0; at < this.keyTextLength; at++) if (text[at] === NEWLINE) ends[row++] = at
    if (row !== this.size) throw new Error(`index holds ${row} keys for ${this.size} rows`)
    this.keyHash = new Uint32Array(capacity)
    for (let r = 0, start = 0; r < this.size; start = ends[r++]! + 1) this.keyHash[r] = hashOf(text, start, ends[r]!)
    this.keyEnd = ends
    this.keysIndexed = true
    this.rehash()
  }

  /** Slots for every keyed row, twice as many as rows (or more), so probes stay short. */
  private rehash(): void {
    let n = 2048
    while (n < this.size * 2) n *= 2
    const slots = new Int32Array(n)
    const mask = n - 1
    for (let row = 0; row < this.size; row++) {
      if (this.keyLengthOf(row) === 0) continue
      let i = this.keyHash[row]! & mask
      while (slots[i] !== 0) i = (i + 1) & mask
      slots[i] = row + 1
    }
    this.slots = slots
  }

  private keyLengthOf(row: number): number {
    const ends = this.keyEnd
    return ends[row]! - (row === 0 ? 0 : ends[row - 1]! + 1)
  }

  /** The row holding this key, or -1. */
  private find(key: Uint8Array, length: number, hash: number): number {
    const ends = this.keyEnd
    const text = this.keyText
    const mask = this.slots.length - 1
    for (let i = hash & mask; this.slots[i] !== 0; i = (i + 1) & mask) {
      const row = this.slots[i]! - 1
      if (this.keyHash[row] !== hash) continue
      const start = row === 0 ? 0 : ends[row - 1]! + 1
      if (ends[row]! - start !== length) continue
      let same = true
      for (let j = 0; j < length && same; j++) same = text[start + j] === key[j]
      if (same) return row
    }
    return -1
  }

  /** Appends a new row's key (length 0: none) to keyText, and to the slots when it has one. */
  private appendKey(row: number, key: Uint8Array, length: number, hash: number): void {
    if (this.keyTextLength + length + 1 > this.keyText.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.keyText.length * 2, this.keyTextLength + length + 1))
      bigger.set(this.keyText.subarray(0, this.keyTextLength))
      this.keyText = bigger
    }
    const text = this.keyText
    for (let i = 0; i < length; i++) text[this.keyTextLength + i] = key[i]!
    this.keyTextLength += length
    this.keyEnd[row] = this.keyTextLength
    this.keyText[this.keyTextLength++] = NEWLINE
    this.keyHash[row] = hash
    if (length === 0) return
    if (this.size * 2 > this.slots.length)
      this.rehash() // this row is counted in size already
    else {
      const mask = this.slots.length - 1
      let i = hash & mask
      while (this.slots[i] !== 0) i = (i + 1) & mask
      this.slots[i] = row + 1
    }
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
    if (model === this.lastModel && this.lastModelId >= 0) return this.lastModelId
    if (this.modelIds.size !== this.models.length) this.models.forEach((m, i) => this.modelIds.set(m, i))
    this.lastModel = model
    return (this.lastModelId = this.intern(this.modelIds, this.models, model))
  }

  private sessionId(id: string | null, cwd: string | null): number {
    const key = id ?? ''
    if (key === this.lastSession && this.lastSessionId >= 0) return this.lastSessionId
    if (this.sessionIds.size !== this.sessions.length) this.sessions.forEach((s, i) => this.sessionIds.set(s.id, i))
    let found = this.sessionIds.get(key)
    if (found === undefined) {
      found = this.sessions.length
      this.sessions.push({ id: key, cwd })
      this.sessionIds.set(key, found)
    }
    this.lastSession = key
    return (this.lastSessionId = found)
  }

  private total(row: number): number {
    return (
      this.input[row]! + this.output[row]! + this.cacheWrite5m[row]! + this.cacheWrite1h[row]! + this.cacheRead[row]!
    )
  }

  private write(row: number, line: UsageEntry): void {
    this.input[row] = line.input
    this.output[row] = line.output
    this.cacheWrite5m[row] = line.cacheWrite5m
    this.cacheWrite1h[row] = line.cacheWrite1h
    this.cacheRead[row] = line.cacheRead
    this.model[row] = this.modelId(line.model)
    this.flags[row] = line.sidechain ? SIDECHAIN : 0
  }

  /**
   * Orders two files for a tie between copies of one response: the copy in the file whose path sorts
   * first is kept, as ccusage keeps the first it reads (it reads files in path order). Set by the ledger.
   */
  pathOf: (fileId: number) => string = () => ''

  /**
   * Whether `line` (in `fileId`) is the copy to keep rather than row `existing`, as ccusage decides: a
   * main-chain line beats a sidechain copy, then more total tokens win (earlier lines of a streamed
   * response carry partial output), then the file whose path sorts first; within a file, the first.
   */
  private better(line: UsageEntry, fileId: number, existing: number): boolean {
    const wasSidechain = (this.flags[existing]! & SIDECHAIN) !== 0
    if (wasSidechain !== line.sidechain) return wasSidechain
    const lineTotal = line.input + line.output + line.cacheWrite5m + line.cacheWrite1h + line.cacheRead
    const total = this.total(existing)
    if (lineTotal !== total) return lineTotal > total
    return fileId !== this.file[existing] && this.pathOf(fileId) < this.pathOf(this.file[existing]!)
  }

  /**
   * Adds a line, or lets it replace the row it duplicates when it is the better copy (see `better`): the
   * row then takes everything of the copy, its time too, so a response is dated as ccusage dates it.
   * Returns true when anything changed.
   */
  add(line: UsageEntry, fileId: number): boolean {
    this.keyIndex()
    const length = line.keyLength
    const hash = length > 0 ? hashOf(line.key, 0, length) : 0
    let existing = length > 0 ? this.find(line.key, length, hash) : -1
    if (existing === -1 && length > 0) existing = this.findReplayed(line)
    if (existing !== -1) {
      if (!this.better(line, fileId, existing)) return false
      const was = this.time[existing]!
      this.write(existing, line)
      this.time[existing] = line.time
      this.file[existing] = fileId
      this.session[existing] = this.sessionId(line.sessionId, line.cwd)
      if (line.time !== was) this.sorted = false
      this.changed(Math.min(was, line.time))
      return true
    }
    if (this.size === this.time.length) this.grow()
    const row = this.size++
    this.time[row] = line.time
    this.session[row] = this.sessionId(line.sessionId, line.cwd)
    this.file[row] = fileId
    this.write(row, line)
    this.appendKey(row, line.key, length, hash)
    if (length > 0 && (line.sidechain || this.byMessage))
      this.messageRows().set(this.messageIdOf(line.key, length), row)
    if (this.sorted && row > 0 && this.time[this.orderRows[row - 1]!]! > line.time) this.sorted = false
    this.orderRows[row] = row
    this.changed(line.time)
    return true
  }

  /**
   * Rows by message id alone, for sidechain copies: a /btw side conversation replays its parent's
   * messages under new request ids (ccusage matches those by message id when either copy is a
   * sidechain). Built on the first sidechain line, so accounts without any never pay for it.
   */
  private byMessage: Map<string, number> | undefined

  private messageIdOf(key: Uint8Array, length: number): string {
    let colon = 0
    while (colon < length && key[colon] !== COLON) colon++
    return Buffer.from(key.buffer, key.byteOffset, colon).toString('latin1')
  }

  private messageRows(): Map<string, number> {
    if (this.byMessage) return this.byMessage
    const rows = new Map<string, number>()
    for (let r = 0, start = 0; r < this.size; start = this.keyEnd[r++]! + 1)
      if (this.keyEnd[r]! > start) rows.set(this.messageIdOf(this.keyText.subarray(start), this.keyEnd[r]! - start), r)
    return (this.byMessage = rows)
  }

  /** The row a sidechain replay duplicates (same message id, another request id), or -1. */
  private findReplayed(line: UsageEntry): number {
    if (!line.sidechain && !this.byMessage) return -1 // no sidechain line yet: nothing to match
    const row = this.messageRows().get(this.messageIdOf(line.key, line.keyLength))
    if (row === undefined) return -1
    return line.sidechain || (this.flags[row]! & SIDECHAIN) !== 0 ? row : -1
  }

  private changed(time: number): void {
    this.version++
    if (time < this.changedFrom) this.changedFrom = time
  }

  /** A summary base now describes every row: later changes are counted from here (see changedFrom). */
  summarized(): void {
    this.changedFrom = Infinity
  }

  /** The keys as the index stores them: each followed by a newline, one per row. */
  keysAsBytes(): Uint8Array {
    return this.keyText.subarray(0, this.keyTextLength)
  }

  /** Takes the keys from an index; they are indexed only when a new line needs deduplicating. */
  loadKeysBytes(bytes: Uint8Array): void {
    this.keyText = bytes
    this.keyTextLength = bytes.length
    this.keysIndexed = false
  }
}
