import { watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'

/**
 * Watches an account's `projects/` tree for changes, following the folders its ledger walked.
 *
 * Where `fs.watch` is recursive natively (macOS, Windows) one watcher covers the tree. On Linux, Node 20
 * emulates `recursive` on the calling thread by stat'ing and watching every file and folder (for the
 * bench's four accounts: 4,609 inotify watches, ~340 ms with the tray's thread blocked), though inotify
 * reports writes to a folder's files on the folder's own watch. So there, one watcher per folder.
 */
export interface TreeWatcher {
  /**
   * Watches these folders (absolute; the root first), as the ledger found them: new ones are added and
   * vanished ones dropped. Returns true when it added any: writes made before a watch began were missed,
   * so the caller should look again once.
   */
  follow(folders: readonly string[]): boolean
  /** True while changes arrive as events; false where watching failed or nothing exists yet (poll then). */
  live(): boolean
  /** The folders with a watcher of their own (one, the root, where watching is recursive). */
  folders(): string[]
  close(): void
}

/**
 * What changed: `'change'` with the file written to, or `'rename'` (entries came or went; a look at the
 * whole tree is due). `path` is undefined where the platform does not say.
 */
export type TreeChange = (event: 'rename' | 'change', path: string | undefined) => void

export function watchTree(
  root: string,
  onChange: TreeChange,
  recursive: boolean = process.platform === 'darwin' || process.platform === 'win32',
): TreeWatcher {
  const watchers = new Map<string, FSWatcher>()
  /** Watching failed for a reason other than a folder vanishing (watch limit, no inotify): poll. */
  let failed = false

  function add(folder: string): boolean {
    try {
      const watcher = watch(folder, { persistent: false, recursive }, (event, name) =>
        onChange(event === 'change' ? 'change' : 'rename', name ? join(folder, name.toString()) : undefined),
      )
      // The folder went away (Claude Code's cleanup) or watching broke: the next walk decides.
      watcher.on('error', () => {
        if (watchers.get(folder) === watcher) drop(folder)
      })
      watchers.set(folder, watcher)
      return true
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') failed = true
      return false
    }
  }

  function drop(folder: string): void {
    watchers.get(folder)?.close()
    watchers.delete(folder)
  }

  return {
    follow(folders) {
      const wanted = recursive ? folders.filter((f) => f === root) : folders
      const keep = new Set(wanted)
      for (const folder of [...watchers.keys()]) if (!keep.has(folder)) drop(folder)
      let added = false
      for (const folder of wanted) if (!watchers.has(folder) && !failed && add(folder)) added = true
      return added
    },
    live: () => !failed && watchers.size > 0,
    folders: () => [...watchers.keys()],
    close() {
      for (const folder of [...watchers.keys()]) drop(folder)
    },
  }
}
