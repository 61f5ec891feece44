import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, sep } from 'node:path'
import { removeStaleTempFiles, writeFileAtomic } from '../system/atomicFile'
import { pathHash } from '../system/pathHash'
import { EntryTable } from './entryTable'
import { LineReader, type LineHandler } from './lineReader'
import { LineRecord, readTranscriptLine } from './transcriptLine'
import type { PriceBook } from './pricing'
import { baseFits, summaryBase, type SummaryBase } from './summary'

export interface FileState {
  readonly id: number
  readonly path: string
  ino: number
  size: number
  offset: number
  /** Lines that were not valid JSON or lacked what a usage line needs. */
  invalid: number
  /** Lines over the length limit, skipped unread. */
  oversized: number
  /** The last error reading it (unreadable file), if any. */
  error: string | null
}

/** A folder of the account's transcripts that could not be listed: its lines are missing from the figures. */
export interface FolderProblem {
  readonly path: string
  readonly error: string
}

export interface LimitHit {
  readonly time: number
  readonly resetsAt: number
}

export interface IngestResult {
  readonly changed: boolean
  readonly bytesRead: number
  readonly files: number
}

const MAGIC = 0x58495041 // "APIX"
const FORMAT = 4
const COLUMNS = 11
/** A temp file beside an index older than this is a killed writer's: no index write takes a minute. */
const STALE_TEMP_MS = 60_000
const PADDING = Buffer.alloc(8)

/** One directory's entries as last read, with its mtime then: reused while the mtime is unchanged. */
interface DirListing {
  /** mtime (ms) when listed. */
  readonly m: number
  /** When it was listed (ms). */
  readonly at: number
  /** Subdirectory names. */
  readonly d: readonly string[]
  /** Transcript file names. */
  readonly f: readonly string[]
}

const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every((n) => typeof n === 'string')

/** A listing as the index stores it; anything else is dropped (that folder is simply read again). */
function isListingEntry(entry: unknown): entry is [string, DirListing] {
  if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') return false
  const l = entry[1] as Partial<DirListing> | null
  return !!l && typeof l.m === 'number' && typeof l.at === 'number' && isNames(l.d) && isNames(l.f)
}

/**
 * A listing is trusted only if it was taken well after the directory last changed: a change in the
 * same timestamp tick as the listing would not move the mtime (git's "racy" rule; 2 s covers the
 * coarsest file systems).
 */
const RACY_MS = 2_000

/**
 * Transcript files under `<configDir>/projects/`, sub-agent files included. A hand-written walk (Node
 * 20's recursive readdirSync took three times as long on a 3,000-file tree) that re-reads only the
 * directories whose mtime moved: adding, removing or renaming an entry changes its directory's mtime,
 * appending to a file does not (files are stat'ed one by one anyway). `listings` is keyed by the path
 * relative to `projects`; the walk returns the listings it used, for next time.
 */
function listTranscripts(
  projects: string,
  listings: ReadonlyMap<string, DirListing>,
): { files: string[]; listings: Map<string, DirListing>; problems: FolderProblem[] } {
  const files: string[] = []
  const problems: FolderProblem[] = []
  const used = new Map<string, DirListing>()
  const walk = (relative: string, top: boolean) => {
    // Plain concatenation: `projects` is normalized and entry names hold no separator (path.join cost
    // more than the readdir it replaced on a warm restart).
    const dir = relative ? `${projects}${sep}${relative}` : projects
    let listing: DirListing
    try {
      const mtime = statSync(dir).mtimeMs
      const cached = listings.get(relative)
      if (cached && cached.m === mtime && cached.at - mtime > RACY_MS) listing = cached
      else {
        const at = Date.now()
        const entries = readdirSync(dir, { withFileTypes: true })
        listing = {
          m: mtime,
          at,
          d: entries.filter((e) => e.isDirectory()).map((e) => e.name),
          f: entries.filter((e) => !e.isDirectory() && e.name.endsWith('.jsonl')).map((e) => e.name),
        }
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // A missing projects/ is an account never used; a folder vanishing mid-walk is Claude Code's cleanup.
      if (code === 'ENOENT' || (code === 'ENOTDIR' && !top)) return
      // Anything else (no permission, a path too long) is this account's problem, said on it.
      if (typeof code !== 'string') throw error
      problems.push({ path: dir, error: (error as Error).message })
      return
    }
    used.set(relative, listing)
    for (const name of listing.f) files.push(`${dir}${sep}${name}`)
    for (const name of listing.d) walk(relative ? `${relative}${sep}${name}` : name, false)
  }
  walk('', true)
  // ccusage reads transcripts in path order; the ledger does too (it keeps the same copy of a tie).
  return { files: files.sort(), listings: used, problems }
}

/**
 * One reader (and its 4 MB buffer) for every ledger of a thread: reads are synchronous, so they never
 * overlap, and fresh memory is dear (each new page faults: ~3 ms per MB on the VMs we measure on).
 */
const reader = new LineReader()
/** Likewise one record for the line being read. */
const record = new LineRecord()
/** The ledger and file that reader is reading (reads never overlap). */
let readingInto: AccountLedger | undefined
let readingFile: FileState | undefined
/**
 * The reader's handler, counting one line into the ledger and file being read: one function for every
 * ledger and file of the thread. The reader's optimized code is specialized on the function it calls; a
 * closure per ledger or per file would throw it away each time.
 */
const countLine: LineHandler = (bytes, start, end, final, mentionsLimit, usageAt) => {
  const ledger = readingInto!
  const file = readingFile!
  const line = readTranscriptLine(bytes, start, end, record, mentionsLimit, usageAt)
  if (line.kind === 'invalid') {
    if (!final) file.invalid++
    return false
  }
  if (line.kind === 'usage') {
    ledger.table.add(line, file.id)
    if (!Number.isNaN(line.limitResetsAt)) ledger.addLimit({ time: line.time, resetsAt: line.limitResetsAt })
  } else if (line.kind === 'limit') ledger.addLimit({ time: line.time, resetsAt: line.limitResetsAt })
  return true
}

/**
 * One account's usage ledger: which bytes of which transcript have been read, and the deduplicated
 * entries they held. Persisted as a binary index so a restart reads only new bytes; the index is a cache.
 */
export class AccountLedger {
  readonly table = new EntryTable()
  readonly files = new Map<string, FileState>()
  limits: LimitHit[] = []
  /** Folders the last walk could not list. */
  problems: FolderProblem[] = []
  /** Blocks and days of the entries as they are now; dropped whenever an entry changes. Kept in the index. */
  private base: SummaryBase | undefined
  private listings = new Map<string, DirListing>()
  private dirty = false
  /** Why the last attempt to write the index failed (a full disk), until one succeeds. */
  saveError: string | null = null
  /** Leftover temp files beside the index were looked for (once per ledger, on its first write). */
  private swept = false

  constructor(
    readonly configDir: string,
    readonly indexPath: string,
  ) {
    this.table.pathOf = this.pathOf
  }

  /** Each file's path by its id (ids count up from 0 as files are first met, and in the index). */
  private paths: string[] = []
  private readonly pathOf = (fileId: number): string => {
    if (this.paths.length !== this.files.size) {
      this.paths = []
      for (const file of this.files.values()) this.paths[file.id] = file.path
    }
    return this.paths[fileId] ?? ''
  }

  /**
   * Forgets everything read: the next ingest reads every transcript from its start, as a first start
   * does. For a transcript deleted, shortened or replaced: its lines leave the figures, and a copy of a
   * response another file also holds takes their place as a fresh read would have it.
   */
  private reset(): void {
    const version = this.table.version + 1 // summaries of the old table must not match the new one's
    Object.assign(this.table, new EntryTable())
    this.table.version = version
    this.table.pathOf = this.pathOf
    this.files.clear()
    this.limits = []
    this.base = undefined
    this.dirty = true
  }

  /** The index's file, named by its folder's path (the index checks whose it is on load). */
  static indexPathFor(indexDir: string, configDir: string): string {
    return join(indexDir, `${pathHash(configDir)}.idx`)
  }

  /** The folders the last walk listed (absolute, `projects/` first): what a live view watches. */
  folders(): string[] {
    const projects = join(this.configDir, 'projects')
    return [...this.listings.keys()].map((relative) => (relative ? `${projects}${sep}${relative}` : projects))
  }

  /** Reads new bytes of every transcript. Never throws for a bad file or folder: it is recorded as a problem. */
  ingest(): IngestResult {
    const before = this.table.version
    const walked = listTranscripts(join(this.configDir, 'projects'), this.listings)
    if (
      walked.listings.size !== this.listings.size ||
      [...walked.listings].some(([k, v]) => this.listings.get(k) !== v)
    )
      this.dirty = true
    this.listings = walked.listings
    this.problems = walked.problems
    const present = new Set(walked.files)
    if ([...this.files.keys()].some((path) => !present.has(path))) this.reset() // one was deleted
    let bytesRead = 0
    for (const path of walked.files) {
      const read = this.ingestFile(path)
      if (read === 'changed') {
        this.reset()
        return this.ingest()
      }
      bytesRead += read
    }
    return this.ingested(before, bytesRead, walked.files.length)
  }

  /**
   * Reads what is new in these transcripts only, without walking the tree: a live view's watcher names
   * the files that were written to. New and removed files are the walk's business (`ingest`).
   */
  ingestFiles(paths: readonly string[]): IngestResult {
    const before = this.table.version
    let bytesRead = 0
    for (const path of paths) {
      const read = this.ingestFile(path)
      if (read === 'changed') {
        this.reset()
        return this.ingest()
      }
      bytesRead += read
    }
    return this.ingested(before, bytesRead, paths.length)
  }

  private ingested(before: number, bytesRead: number, files: number): IngestResult {
    const changed = this.table.version !== before
    if (changed) this.dirty = true // the summary base is brought up to date on its next use
    return { changed, bytesRead, files }
  }

  /** Reads a transcript's new bytes; 'changed' when it was shortened or replaced (the ledger starts over). */
  private ingestFile(path: string): number | 'changed' {
    let stat
    try {
      stat = statSync(path)
    } catch (error) {
      return this.fileError(path, error)
    }
    let file = this.files.get(path)
    if (!file) {
      file = {
        id: this.files.size,
        path,
        ino: stat.ino,
        // Its size now though nothing is read yet (offset 0 says so): the field holds a stat's kind of
        // number from the start, so V8 keeps one layout for every file's state (a new layout on the first
        // read threw the reader's optimized code away).
        size: stat.size,
        offset: 0,
        invalid: 0,
        oversized: 0,
        error: null,
      }
      this.files.set(path, file)
      this.dirty = true
    } else if (file.ino !== stat.ino || stat.size < file.offset) return 'changed'
    if (stat.size === file.offset && file.size === stat.size && !file.error) return 0
    let result
    readingInto = this
    readingFile = file
    try {
      result = reader.read(path, file.offset, stat.size, countLine)
    } catch (error) {
      return this.fileError(path, error)
    }
    file.offset = result.offset
    file.size = stat.size
    file.oversized += result.oversized
    file.error = null
    this.dirty = true
    return result.bytesRead
  }

  private fileError(path: string, error: unknown): number {
    const code = (error as NodeJS.ErrnoException).code
    const file = this.files.get(path)
    if (code === 'ENOENT') return 0 // deleted between the walk and the read: the next walk sees it gone
    if (file) file.error = (error as Error).message
    else
      this.files.set(path, {
        id: this.files.size,
        path,
        ino: 0,
        size: 0,
        offset: 0,
        invalid: 0,
        oversized: 0,
        error: (error as Error).message,
      })
    this.dirty = true
    return 0
  }

  /**
   * The summary base for these prices, computed again only when the entries (or prices, or time zone)
   * changed, and then only from the changes on (see summaryBase).
   */
  summaryBase(prices: PriceBook): SummaryBase {
    if (this.table.changedFrom !== Infinity || !baseFits(this.base, this.table, prices)) {
      this.base = summaryBase(this.table, prices, this.base)
      this.table.summarized()
      this.dirty = true
    }
    return this.base
  }

  /** Records a usage-limit hit (once, however many lines repeat it). */
  addLimit(hit: LimitHit): void {
    if (this.limits.some((l) => l.time === hit.time && l.resetsAt === hit.resetsAt)) return
    this.limits.push(hit)
    this.limits.sort((a, b) => a.time - b.time)
    this.table.version++
  }

  /**
   * Writes the index if it can: it is only a cache, so a failure (a full disk, a folder it may not
   * write) must not stop the figures, which are in memory. It is recorded in `saveError` (shown in the
   * account's diagnostics); the ledger stays dirty, so the next save tries again.
   */
  trySave(): void {
    try {
      this.save()
      this.saveError = null
    } catch (error) {
      if (!(error instanceof Error)) throw error
      this.saveError = error.message
    }
  }

  /** Writes the index when anything changed since the last save. */
  save(): void {
    if (!this.dirty) return
    const t = this.table
    const keyText = t.keysAsBytes()
    const keys = Buffer.from(keyText.buffer, keyText.byteOffset, keyText.length)
    const header = Buffer.from(
      JSON.stringify({
        format: FORMAT,
        configDir: this.configDir,
        rows: t.size,
        files: [...this.files.values()],
        models: t.models,
        sessions: t.sessions,
        limits: this.limits,
        // A base older than the entries is not kept (it is brought up to date before saving, as a rule).
        summary: this.table.changedFrom === Infinity ? (this.base ?? null) : null,
        dirs: [...this.listings],
        keysBytes: keys.length,
      }),
    )
    const headerPadded = Math.ceil((8 + header.length) / 8) * 8
    const n = t.size
    const columns: [ArrayBufferView, number][] = [
      [t.time, 8],
      [t.input, 4],
      [t.output, 4],
      [t.cacheWrite5m, 4],
      [t.cacheWrite1h, 4],
      [t.cacheRead, 4],
      [t.session, 4],
      [t.file, 4],
      [t.model, 2],
      [t.flags, 1],
      [t.order, 4],
    ]
    const parts: Buffer[] = []
    if (columns.length !== COLUMNS) throw new Error('index layout changed without a format bump')
    const prefix = Buffer.alloc(headerPadded)
    prefix.writeUInt32LE(MAGIC, 0)
    prefix.writeUInt32LE(header.length, 4)
    header.copy(prefix, 8)
    parts.push(prefix)
    for (const [column, width] of columns) {
      const bytes = Buffer.from(column.buffer, column.byteOffset, n * width)
      parts.push(bytes)
      if ((n * width) % 8) parts.push(PADDING.subarray(0, 8 - ((n * width) % 8)))
    }
    parts.push(keys)
    mkdirSync(join(this.indexPath, '..'), { recursive: true, mode: 0o700 })
    if (!this.swept) {
      // Temp files of writes a killed process never finished (megabytes each, on every such crash).
      removeStaleTempFiles(this.indexPath, STALE_TEMP_MS)
      this.swept = true
    }
    // A cache: no fsync. A torn index fails its checks on load and costs one rebuild.
    writeFileAtomic(this.indexPath, parts, { durable: false })
    this.dirty = false
  }

  /** Loads the index if it is ours and intact; returns false (and stays empty) otherwise. */
  load(): boolean {
    let data: Buffer
    try {
      data = readFileSync(this.indexPath)
    } catch (error) {
      // None yet, or none we can read (its folder is not one, we may not read it): it is only a cache.
      if (error instanceof Error) return false
      throw error
    }
    try {
      if (data.readUInt32LE(0) !== MAGIC) return false
      const headerLength = data.readUInt32LE(4)
      const header = JSON.parse(data.toString('utf8', 8, 8 + headerLength)) as {
        format: number
        configDir: string
        rows: number
        files: FileState[]
        models: string[]
        sessions: { id: string; cwd: string | null }[]
        limits: LimitHit[]
        summary: SummaryBase | null
        dirs?: [string, DirListing][]
        keysBytes: number
      }
      if (header.format !== FORMAT || header.configDir !== this.configDir) return false
      const n = header.rows
      let at = Math.ceil((8 + headerLength) / 8) * 8
      // Columns are views on the file's bytes where aligned (no copy); the table copies on its first growth.
      const take = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(
        Type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; new (length: number): T },
        width: number,
      ): T => {
        const end = at + n * width
        if (end > data.length) throw new Error('index truncated')
        const offset = data.byteOffset + at
        let out: T
        if (offset % width === 0) out = new Type(data.buffer, offset, n)
        else {
          out = new Type(n)
          new Uint8Array(out.buffer).set(data.subarray(at, end))
        }
        at = end + ((8 - ((n * width) % 8)) % 8)
        return out
      }
      const t = this.table
      t.time = take(Float64Array, 8)
      t.input = take(Uint32Array, 4)
      t.output = take(Uint32Array, 4)
      t.cacheWrite5m = take(Uint32Array, 4)
      t.cacheWrite1h = take(Uint32Array, 4)
      t.cacheRead = take(Uint32Array, 4)
      t.session = take(Uint32Array, 4)
      t.file = take(Uint32Array, 4)
      t.model = take(Uint16Array, 2)
      t.flags = take(Uint8Array, 1)
      const order = take(Uint32Array, 4)
      if (data.length - at !== header.keysBytes) throw new Error('index keys do not match its header')
      t.loadKeysBytes(data.subarray(at))
      t.size = n
      t.models = header.models
      t.sessions = header.sessions
      t.loadOrder(order)
      for (const file of header.files) this.files.set(file.path, file)
      this.limits = header.limits
      this.base = Array.isArray(header.summary?.blocks) ? header.summary : undefined
      this.listings = new Map((Array.isArray(header.dirs) ? header.dirs : []).filter(isListingEntry))
      return true
    } catch (error) {
      if (!(error instanceof Error)) throw error
      // Unreadable index: start over (it is only a cache).
      this.files.clear()
      Object.assign(this.table, new EntryTable())
      this.limits = []
      this.base = undefined
      this.listings = new Map()
      return false
    }
  }
}
