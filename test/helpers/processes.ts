import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')
export const WORKER = join(ROOT, 'test', 'helpers', 'storeWorker.ts')
export const CLI = join(ROOT, 'bin', 'auth-pool')

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export function collect(child: ChildProcess): Promise<Finished> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d))
  child.stderr?.on('data', (d: Buffer) => (stderr += d))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

export function startWorker(home: string, count: number | 'forever', releaseEvery = 0, barrier = false): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WORKER, home, String(count), String(releaseEvery)], {
    cwd: ROOT,
    env: barrier ? { ...process.env, AUTH_POOL_BARRIER: '1' } : process.env,
    stdio: [barrier ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  })
}

/** Resolves once the worker printed its first stdout line (its "ready" under a barrier). */
export function firstLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)))
  })
}

/** Resolves once the worker printed its `{"done":true}` line. */
export function doneLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    child.stdout!.on('data', (d: Buffer) => {
      seen += d
      if (seen.includes('{"done":true}')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was done`)))
  })
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  return collect(
    spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
}
