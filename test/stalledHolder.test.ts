// A lock holder stopped with SIGSTOP for longer than every waiter's patience: nobody breaks its lock,
// those who give up say why and change nothing, those who wait get their turn, and nothing is lost.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StateDocumentSchema } from '../src/shared/schemas/state'
import { CLI, collect, ROOT, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'
import { writeLogin } from './helpers/accounts'

const HOLDER = join(ROOT, 'test', 'helpers', 'stallInTransaction.ts')

/** Resolves once the child has written `text` to the given stream. */
function printed(child: ChildProcess, stream: 'stdout' | 'stderr', text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    child[stream]!.on('data', (d: Buffer) => {
      seen += d
      if (seen.includes(text)) resolve()
    })
    child.once('exit', () =>
      seen.includes(text) ? resolve() : reject(new Error(`exited without printing "${text}": ${seen}`)),
    )
  })
}

describe.skipIf(process.platform === 'win32')('a lock holder stopped in the middle of a transaction', () => {
  it('is waited for, never robbed: every allocation that succeeded is in the file once, the others said why', async () => {
    const root = tempDir()
    const env = { ...process.env, AUTH_POOL_HOME: join(root, 'home'), HOME: root }
    mkdirSync(join(root, 'a'))
    writeLogin(join(root, 'a'))
    expect((await runCli(['accounts', 'add', '--name', 'a', '--config-dir', join(root, 'a')], env)).code).toBe(0)

    const holder = spawn(process.execPath, ['--import', 'tsx', HOLDER, env.AUTH_POOL_HOME], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const holderDone = collect(holder)
    await printed(holder, 'stdout', 'in transaction')
    holder.kill('SIGSTOP')

    const allocate = (waitSeconds: number) =>
      spawn(process.execPath, [CLI, 'allocate', '--cwd', root, '--json'], {
        cwd: ROOT,
        env: { ...env, AUTH_POOL_LOCK_WAIT: String(waitSeconds) },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    const impatient = [2, 2, 2].map(allocate)
    const patient = [120, 120, 120].map(allocate)
    const waitingLine = `auth-pool: waiting for process ${holder.pid} (stall test), which holds the state lock`
    const patientSaid = patient.map((p) => printed(p, 'stderr', waitingLine))
    const patientDone = patient.map(collect)
    // The holder stays stopped until every impatient one has given up and every patient one has said it waits.
    const gaveUp = await Promise.all(impatient.map(collect))
    await Promise.all(patientSaid)
    holder.kill('SIGCONT')
    const [held, ...done] = await Promise.all([holderDone, ...patientDone])

    for (const g of gaveUp) {
      expect(g.code).toBe(1)
      expect(g.stderr).toContain(waitingLine)
      expect(g.stderr).toMatch(
        new RegExp(
          `process ${holder.pid} \\(stall test\\) has held the state lock for \\d+ s and is still running; .*kill -CONT ${holder.pid}`,
        ),
      )
      expect(JSON.parse(g.stdout).error.code).toBe('STORE_LOCKED')
    }
    expect(held).toMatchObject({ code: 0, stdout: 'in transaction\ncommitted\n' })
    const sessions = done.map((d) => {
      expect(d.code, d.stderr).toBe(0)
      return (JSON.parse(d.stdout) as { session: { id: string } }).session.id
    })
    const doc = StateDocumentSchema.parse(JSON.parse(readFileSync(join(env.AUTH_POOL_HOME, 'state.json'), 'utf8')))
    expect(Object.keys(doc.sessions).sort()).toEqual([...sessions].sort())
    expect(doc.sessionIndex[doc.accounts[0]!.id]!.slice().sort()).toEqual([...sessions].sort())
    expect(doc.recoveries.map((r) => r.reason)).toEqual(['held through a stop'])
  })
})
