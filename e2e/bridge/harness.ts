import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, type Page } from '@playwright/test'

export const ROOT = join(import.meta.dirname, '..', '..')
export const ARTIFACTS = join(ROOT, 'e2e', 'artifacts')

export interface Bridge {
  readonly url: string
  readonly home: string
  readonly root: string
  stop(): Promise<void>
}

/** Starts the loopback bridge in its own Node process with a fresh AUTH_POOL_HOME. */
export async function startBridge(): Promise<Bridge> {
  const root = mkdtempSync(join(tmpdir(), 'auth-pool-e2e-'))
  const home = join(root, 'home')
  mkdirSync(home)
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'e2e', 'bridge', 'server.ts'), home, join(ROOT, 'out', 'renderer')],
    {
      cwd: ROOT,
      // HOME and XDG_CONFIG_HOME in the temporary folder: the app's autostart entry and command go there.
      env: { ...process.env, AUTH_POOL_HOME: home, TERMINAL: '', HOME: root, XDG_CONFIG_HOME: join(root, '.config') },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d
      const line = out.split('\n')[0]
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url)
    })
    child.once('exit', (code) => reject(new Error(`bridge exited with ${code}: ${stderr}`)))
  })
  return {
    url,
    home,
    root,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.stdin!.end()
        setTimeout(() => child.kill('SIGKILL'), 5000).unref()
      }),
  }
}

/** Fails the test on any console error or uncaught page error. */
export function watchForErrors(page: Page): () => void {
  const problems: string[] = []
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`))
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  return () => expect(problems).toEqual([])
}
