import { _electron as electron, expect, test } from '@playwright/test'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..')

/** The Electron binary, if this machine has one (npm never downloads it here). */
function electronBinary(): string | undefined {
  const pathFile = join(ROOT, 'node_modules', 'electron', 'path.txt')
  if (!existsSync(pathFile)) return undefined
  const binary = join(ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(binary) ? binary : undefined
}

const binary = electronBinary()
if (!binary)
  console.log(
    'electron.spec: skipped — no Electron binary on this machine (node_modules/electron/dist is absent; npm cannot download it here)',
  )

test.describe('the packaged tray app', () => {
  test.skip(!binary, 'no Electron binary on this machine')

  test('starts as a tray app with its state in the given home, opens the dashboard, and notifies on a threshold', async () => {
    const home = mkdtempSync(join(tmpdir(), 'auth-pool-electron-'))
    // One account whose current block is already past 90% of a $1 budget.
    const account = join(home, 'account')
    mkdirSync(join(account, 'projects', '-work'), { recursive: true })
    const now = new Date().toISOString()
    const line = {
      parentUuid: null,
      isSidechain: false,
      message: {
        id: 'msg_e2e',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        usage: { input_tokens: 320_000, output_tokens: 0 },
      },
      requestId: 'req_e2e',
      type: 'assistant',
      timestamp: now,
      sessionId: 's',
    }
    appendFileSync(join(account, 'projects', '-work', 's.jsonl'), JSON.stringify(line) + '\n')
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'auth-pool'),
        'accounts',
        'add',
        '--name',
        'e2e',
        '--config-dir',
        account,
        '--plan',
        'custom',
        '--block-budget-usd',
        '1',
        '--weekly-budget-usd',
        '10',
      ],
      {
        env: { ...process.env, AUTH_POOL_HOME: home },
      },
    )
    const app = await electron.launch({
      executablePath: binary,
      args: [join(ROOT, 'out', 'main', 'index.js')],
      env: { ...process.env, AUTH_POOL_HOME: home, AUTH_POOL_TEST_HOOKS: '1' },
    })
    try {
      // A tray app opens no window by itself.
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(0)
      await expect
        .poll(() =>
          app.evaluate(
            () => (globalThis as { __authPool?: { trayLabels(): string[] } }).__authPool?.trayLabels() ?? [],
          ),
        )
        .toContain('Open dashboard')
      await app.evaluate(() => (globalThis as { __authPool?: { openDashboard(): void } }).__authPool?.openDashboard())
      const window = await app.firstWindow()
      await expect(window.getByRole('heading', { name: 'Auth Pool' })).toBeVisible()
      expect(existsSync(join(home, 'state.json'))).toBe(true)
      // The threshold was crossed by the transcript; the app raises it on its own (on first ingest or a tick).
      await expect
        .poll(
          () =>
            app.evaluate(async () =>
              (
                await (
                  globalThis as { __authPool?: { notifications(): Promise<{ title: string }[]> } }
                ).__authPool!.notifications()
              ).map((n) => n.title),
            ),
          { timeout: 15_000 },
        )
        .toContain('e2e at 90% of its 5-hour window')
    } finally {
      await app.close()
    }
  })
})
