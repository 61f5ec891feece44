import { readdirSync, statSync, type Dirent } from 'node:fs'
import { join } from 'node:path'

/** Claude Code's folder for a project: the absolute path with every non-alphanumeric character as '-'. */
export function projectSlug(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-')
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return []
    throw error
  }
}

/** The account whose config directory holds transcript `<sessionId>.jsonl`, if any. */
export function accountHoldingSession<A extends { readonly configDir: string }>(
  accounts: readonly A[],
  sessionId: string,
): A | undefined {
  const file = `${sessionId}.jsonl`
  return accounts.find((account) => {
    const projects = join(account.configDir, 'projects')
    return entries(projects).some(
      (project) => project.isDirectory() && entries(join(projects, project.name)).some((e) => e.name === file),
    )
  })
}

/** The account holding the most recent conversation of `cwd` (what `claude --continue` resumes), and its id. */
export function latestConversationOf<A extends { readonly configDir: string }>(
  accounts: readonly A[],
  cwd: string,
): { account: A; sessionId: string } | undefined {
  let best: { account: A; sessionId: string; mtime: number } | undefined
  for (const account of accounts) {
    const folder = join(account.configDir, 'projects', projectSlug(cwd))
    for (const entry of entries(folder)) {
      if (!entry.isFile() || !entry.name.endsWith('.jsonl')) continue
      const mtime = statSync(join(folder, entry.name)).mtimeMs
      if (!best || mtime > best.mtime) best = { account, sessionId: entry.name.slice(0, -'.jsonl'.length), mtime }
    }
  }
  return best && { account: best.account, sessionId: best.sessionId }
}
