import { _electron as electron, expect, test } from '@playwright/test'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
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

  test('starts as a tray app with its state in the given home and opens the dashboard', async () => {
    const home = mkdtempSync(join(tmpdir(), 'auth-pool-electron-'))
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
    } finally {
      await app.close()
    }
  })
})
