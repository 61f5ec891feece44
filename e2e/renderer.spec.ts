import { expect, test } from '@playwright/test'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { serveDirectory } from './staticServer'

const ROOT = join(import.meta.dirname, '..')
const RENDERER = join(ROOT, 'out', 'renderer')

test('the built renderer loads under its CSP without console errors', async ({ page }) => {
  test.skip(!existsSync(join(RENDERER, 'index.html')), 'run `npm run build` first')
  const server = await serveDirectory(RENDERER)
  const problems: string[] = []
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
  page.on('pageerror', (e) => problems.push(e.message))
  try {
    await page.goto(server.url)
    await expect(page.getByRole('heading', { name: 'Auth Pool' })).toBeVisible()
    mkdirSync(join(ROOT, 'e2e', 'artifacts'), { recursive: true })
    await page.screenshot({ path: join(ROOT, 'e2e', 'artifacts', 'renderer-shell.png') })
    expect(problems).toEqual([])
  } finally {
    await server.close()
  }
})
