// Every view as a person sees it: with a pool that has history and sessions, in light and dark, wide and
// at 420 px; and the fixes the dashboard needed (the whole pool in History, Sessions to filter, page and
// copy from, rules without raw ids, Health and the bars' mark explained).
import { expect, test, type Page } from '@playwright/test'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { appendLines, assistantLine } from '../test/helpers/transcripts'
import { runCli } from '../test/helpers/processes'
import { ARTIFACTS, startBridge, watchForErrors, type Bridge } from './bridge/harness'

let bridge: Bridge
let checkErrors: () => void

test.beforeEach(async ({ page }) => {
  bridge = await startBridge()
  checkErrors = watchForErrors(page)
})

test.afterEach(async () => {
  checkErrors()
  await bridge.stop()
})

const HOUR = 3_600_000
const VIEWS = [
  ['overview', 'Overview'],
  ['sessions', 'Sessions'],
  ['history', 'History'],
  ['accounts', 'Accounts'],
  ['rules', 'Rules & notifications'],
  ['settings', 'Settings'],
] as const

/**
 * Two logged-in accounts with a day of transcripts each, added through the CLI on the bridge's home, and
 * `sessions` conversations started with `auth-pool run` (Claude Code replaced by a program that exits).
 */
async function pool(sessions: { alpha: number; beta: number }) {
  const env = { AUTH_POOL_HOME: bridge.home, HOME: bridge.root }
  for (const [i, name] of ['alpha', 'beta'].entries()) {
    const dir = join(bridge.root, name)
    mkdirSync(dir)
    writeFileSync(join(dir, '.claude.json'), JSON.stringify({ oauthAccount: { emailAddress: `${name}@example.com` } }))
    const start = Date.now() - 20 * HOUR
    appendLines(
      join(dir, 'projects', '-home-dev-project', 'day.jsonl'),
      Array.from({ length: 40 }, (_, k) =>
        assistantLine({
          time: new Date(start + k * 0.5 * HOUR),
          messageId: `msg_${name}_${k}`,
          requestId: `req_${name}_${k}`,
          input: 20_000 * (i + 1),
          output: 4_000,
        }),
      ),
    )
    expect((await runCli(['accounts', 'add', '--name', name, '--config-dir', dir, '--plan', 'max5'], env)).code).toBe(0)
  }
  const claude = join(bridge.root, 'claude-that-exits')
  writeFileSync(claude, '#!/bin/sh\nexit 0\n', { mode: 0o755 })
  const work = join(bridge.root, 'work')
  mkdirSync(work)
  for (const [name, n] of Object.entries(sessions))
    for (let k = 0; k < n; k++) {
      const run = await runCli(['run', '--account', name, '--cwd', work, '--', '-p', 'hi'], {
        ...env,
        AUTH_POOL_CLAUDE: claude,
      })
      expect(run.code, run.stderr).toBe(0)
    }
}

const open = async (page: Page, name: string) => {
  await page.getByRole('tab', { name }).click()
}

test('History shows the whole pool: every account stacked per block and per day', async ({ page }) => {
  await pool({ alpha: 0, beta: 0 })
  await page.goto(bridge.url)
  await open(page, 'History')
  const legend = page.getByRole('list', { name: 'Accounts' }).first()
  await expect(legend).toContainText('alpha')
  await expect(legend).toContainText('beta')
  await page.getByLabel('Show as table').check()
  const perDay = page.getByRole('table').filter({ hasText: 'Cost per day' })
  await expect(perDay.getByRole('columnheader')).toHaveText(['Day', 'alpha', 'beta', 'Tokens', 'Total'])
  // Each row's total is its accounts' costs added up.
  await expect(perDay.getByRole('cell').first()).toBeVisible()
  for (const row of await perDay.getByRole('row').all()) {
    const cells = await row.getByRole('cell').allTextContents()
    if (cells.length === 0) continue
    const [alpha, beta, , total] = cells.slice(1).map((c) => Number(c.replace(/[$,]/g, '')))
    expect(alpha! + beta!).toBeCloseTo(total!, 1)
  }
})

test('Sessions filter by account and running, page through, and copy the conversation id to resume', async ({
  page,
  context,
}) => {
  await pool({ alpha: 3, beta: 1 })
  // More than a page: sessions a script recorded with `allocate` (no conversation of Claude Code's).
  for (let k = 0; k < 24; k++)
    expect(
      (await runCli(['allocate', '--account', 'beta'], { AUTH_POOL_HOME: bridge.home, HOME: bridge.root })).code,
    ).toBe(0)
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  await page.goto(bridge.url)
  await open(page, 'Sessions')
  const rows = page.locator('tbody tr')
  await expect(page.getByText('28 sessions')).toBeVisible()
  await expect(rows).toHaveCount(25)
  await expect(page.getByText('Page 1 of 2')).toBeVisible()
  await page.getByRole('button', { name: 'Older' }).click()
  await expect(rows).toHaveCount(3)
  await page.getByLabel('Account').selectOption({ label: 'alpha' })
  await expect(page.getByText('3 sessions')).toBeVisible()
  await expect(rows).toHaveCount(3) // back on the first page
  await page.getByLabel('Running only').check()
  await expect(page.getByText('0 sessions')).toBeVisible() // the three ran and ended
  await expect(page.getByText('No sessions match.')).toBeVisible()
  await page.getByLabel('Running only').uncheck()
  // The conversation id is the one `claude --resume` takes (the session's own, given to Claude Code).
  const sessions = JSON.parse(
    (await runCli(['sessions', '--account', 'alpha', '--json'], { AUTH_POOL_HOME: bridge.home, HOME: bridge.root }))
      .stdout,
  ) as { conversationId: string }[]
  const first = sessions[0]!.conversationId
  await page.getByRole('button', { name: `Copy conversation id ${first}` }).click()
  // "Copied" appears once the clipboard write has finished; only then is the clipboard worth reading.
  await expect(page.getByRole('button', { name: `Copy conversation id ${first}` })).toHaveText('Copied')
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(first)
})

test('rules are titled by what they do, and Overview explains Health and the mark on each bar', async ({ page }) => {
  await page.goto(bridge.url)
  await open(page, 'Rules & notifications')
  // The rules arrive over the bridge after the view opens: wait for them before reading every heading.
  await expect(page.locator('.rule h3', { hasText: 'Usage threshold: 75% of the 5-hour window' })).toBeVisible()
  const headings = await page.locator('.rule h3').allTextContents()
  for (const h of headings) expect(h).not.toMatch(/five-hour-75|[0-9a-f]{8}-/)
  await open(page, 'Overview')
  await expect(page.getByTestId('legend')).toContainText('The mark on a bar is how far through its window you are.')
  await expect(page.getByTestId('legend')).toContainText('Health (0–100) weighs headroom')
})

test('every view, in light and dark, wide and at 420 px, without sideways scrolling', async ({ page }) => {
  await pool({ alpha: 2, beta: 1 })
  mkdirSync(ARTIFACTS, { recursive: true })
  for (const scheme of ['light', 'dark'] as const)
    for (const width of [1280, 420]) {
      await page.emulateMedia({ colorScheme: scheme })
      await page.setViewportSize({ width, height: 900 })
      await page.goto(bridge.url)
      for (const [id, name] of VIEWS) {
        await open(page, name)
        await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true')
        if (id === 'overview') await expect(page.getByTestId('account-alpha')).toBeVisible()
        if (id === 'history') await expect(page.getByRole('img').first()).toBeVisible()
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
        expect(overflow, `${id} at ${width} px scrolls sideways`).toBeLessThanOrEqual(0)
        await page.screenshot({ path: join(ARTIFACTS, `${id}-${scheme}-${width}.png`), fullPage: true })
      }
    }
})

test('Settings turns start at login on and off, and installs the auth-pool command', async ({ page }) => {
  await page.goto(bridge.url)
  await open(page, 'Settings')
  const startAtLogin = page.getByLabel('Start at login')
  const entry = join(bridge.root, '.config', 'autostart', 'auth-pool.desktop')
  await expect(startAtLogin).not.toBeChecked()
  await startAtLogin.check()
  await expect(startAtLogin).toBeChecked()
  expect(readFileSync(entry, 'utf8')).toContain('[Desktop Entry]')
  await startAtLogin.uncheck()
  await expect(startAtLogin).not.toBeChecked()
  expect(existsSync(entry)).toBe(false)
  await page.getByRole('button', { name: 'Install the auth-pool command' }).click()
  // The bridge's PATH is its temporary HOME's ~/.local/bin: the command goes there, and runs from it.
  const installed = join(bridge.root, '.local', 'bin', 'auth-pool')
  await expect(page.getByRole('status')).toHaveText(
    `Installed ${installed}: open a new terminal and run \`auth-pool --help\`.`,
  )
  await expect(page.getByRole('button', { name: 'Install again' })).toBeVisible()
  const version = spawnSync('sh', ['-c', 'auth-pool --version'], {
    env: { PATH: `${join(bridge.root, '.local', 'bin')}:/usr/bin:/bin` },
    encoding: 'utf8',
  })
  expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
})
